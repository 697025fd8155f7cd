//! The filter query parameters of tiles and TileJSON:
//! `status`, `kind`, `organisation`, `procedure`, `category`, each a
//! comma-separated list, and the time window `from` / `until` (one date
//! each, `YYYY-MM-DD`: procedures running on some day of it). Unknown
//! parameters and values are rejected with the parameter's name, because a
//! silently ignored filter shows a portal the wrong map.

use chrono::NaiveDate;
use partimap_index::{Filter, Index};
use partimap_model::{ProcedureId, ProcedureKind, ProcedureStatus};

use crate::problem::HttpError;

/// The parameters understood, in the order they are written back to URLs.
pub const NAMES: [&str; 7] = [
    "status",
    "kind",
    "organisation",
    "procedure",
    "category",
    "from",
    "until",
];

/// Four comma-separated numbers ("west,south,east,north" of a box); `None`
/// when there are not exactly four or one is no number.
pub fn four_numbers(s: &str) -> Option<[f64; 4]> {
    let numbers: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    numbers.try_into().ok()
}

/// Parses the query string into a filter, checking every value against the
/// index (organisations and procedures must exist).
pub fn parse(query: Option<&str>, index: &Index) -> Result<Filter, HttpError> {
    parse_with(query, index, &[]).map(|(filter, _)| filter)
}

/// Like [`parse`], for an endpoint that also takes the parameters `extra`:
/// their values are returned as given (each at most once), in the order of
/// `extra`.
pub fn parse_with(
    query: Option<&str>,
    index: &Index,
    extra: &[&'static str],
) -> Result<(Filter, Vec<Option<String>>), HttpError> {
    let mut filter = Filter::default();
    let mut extras = vec![None; extra.len()];
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok((filter, extras));
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Some(i) = extra.iter().position(|e| *e == name) {
            if extras[i].is_some() {
                return Err(HttpError::bad_request(format!(
                    "query parameter {name:?} is given twice"
                )));
            }
            extras[i] = Some(value.into_owned());
            continue;
        }
        let name = NAMES.iter().copied().find(|n| *n == name).ok_or_else(|| {
            HttpError::bad_request(format!(
                "unknown query parameter {name:?}; expected one of: {}",
                NAMES
                    .iter()
                    .chain(extra)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if seen.contains(&name) {
            return Err(HttpError::bad_request(format!(
                "query parameter {name:?} is given twice; separate several values with commas"
            )));
        }
        seen.push(name);
        let values: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Err(HttpError::bad_request(format!(
                "query parameter {name:?} is empty"
            )));
        }
        let bad = |e: &dyn std::fmt::Display| {
            HttpError::bad_request(format!("query parameter {name:?}: {e}"))
        };
        match name {
            "status" => {
                filter.statuses = values
                    .iter()
                    .map(|v| v.parse::<ProcedureStatus>().map_err(|e| bad(&e)))
                    .collect::<Result<_, _>>()?;
            }
            "kind" => {
                filter.kinds = values
                    .iter()
                    .map(|v| v.parse::<ProcedureKind>().map_err(|e| bad(&e)))
                    .collect::<Result<_, _>>()?;
            }
            "organisation" => {
                filter.organisations = values
                    .iter()
                    .map(|v| {
                        index.organisation_by_key_or_id(v).ok_or_else(|| {
                            bad(&format!("unknown organisation {v:?} (give its key or id)"))
                        })
                    })
                    .collect::<Result<_, _>>()?;
            }
            "procedure" => {
                filter.procedures = values
                    .iter()
                    .map(|v| {
                        v.parse::<i64>()
                            .ok()
                            .map(ProcedureId)
                            .filter(|id| index.procedure(*id).is_some())
                            .ok_or_else(|| {
                                bad(&format!("unknown procedure {v:?} (give its numeric id)"))
                            })
                    })
                    .collect::<Result<_, _>>()?;
            }
            "from" | "until" => {
                let [day] = values[..] else {
                    return Err(bad(&"give one date, YYYY-MM-DD"));
                };
                let day = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map_err(|_| bad(&format!("{day:?} is not a date of the form YYYY-MM-DD")))?;
                if name == "from" {
                    filter.from = Some(day);
                } else {
                    filter.until = Some(day);
                }
            }
            _ => {
                filter.categories = values.iter().map(|v| (*v).to_owned()).collect();
            }
        }
    }
    if let (Some(from), Some(until)) = (filter.from, filter.until)
        && from > until
    {
        return Err(HttpError::bad_request(format!(
            "query parameters \"from\" and \"until\": the window starts ({from}) after it ends ({until})"
        )));
    }
    Ok((filter.normalised(), extras))
}
