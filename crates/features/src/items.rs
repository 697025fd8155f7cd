//! `/ogc/collections/{id}/items` and `/ogc/collections/{id}/items/{fid}`.
//!
//! Procedures are selected in the tile server's index with the tiles'
//! filter (so `status` defaults to running, as on the map), then read from
//! the store a page at a time; reports are selected in the store among the
//! procedures the filter admits. Both are ordered by id, so that `offset`
//! pages are stable.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use geo::Coord;
use partimap_http::HttpError;
use partimap_index::{Envelope, Filter, mercator};
use partimap_model::{Area, Procedure, ProcedureId, ReportId};
use partimap_store::{ReportQuery, ReportRecord};
use serde_json::{Value, json};

use crate::{
    Collection, FeaturesState, base_url,
    crs::{self, Crs, Transform},
};

/// Items per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u32 = 10;
/// The largest page; a larger `limit` is served as this (Part 1 asks not to
/// fail on it).
pub const MAX_LIMIT: u32 = 10_000;

/// The parameters of an items request besides the map's filter.
#[derive(Debug)]
struct Params {
    filter: Filter,
    /// West, south, east, north in WGS84.
    bbox: Option<[f64; 4]>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: u32,
    offset: u64,
    crs: Crs,
    /// The request's other parameters, for the paging links.
    rest: Vec<(String, String)>,
}

fn bad(name: &str, why: impl std::fmt::Display) -> HttpError {
    HttpError::bad_request(format!("query parameter {name:?}: {why}"))
}

fn crs_param(name: &str, value: Option<&str>) -> Result<Crs, HttpError> {
    value.map_or(Ok(Crs::Crs84), |v| {
        Crs::parse(v).ok_or_else(|| {
            bad(
                name,
                format!(
                    "{v:?} is not offered; the CRS are {} and {}",
                    crs::CRS84_URI,
                    crs::UTM32_URI
                ),
            )
        })
    })
}

/// An instant of `datetime`: RFC 3339, or a date (the whole day: its start
/// when it opens an interval, its end when it closes one).
fn instant(v: &str, end: bool) -> Result<Option<DateTime<Utc>>, HttpError> {
    if v.is_empty() || v == ".." {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        bad(
            "datetime",
            format!("{v:?} is neither an RFC 3339 time nor a date (YYYY-MM-DD); intervals are START/END with .. for open ends"),
        )
    })?;
    let time = if end {
        NaiveTime::from_hms_milli_opt(23, 59, 59, 999)
    } else {
        Some(NaiveTime::MIN)
    };
    Ok(time.map(|t| date.and_time(t).and_utc()))
}

type Interval = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn datetime(v: &str) -> Result<Interval, HttpError> {
    let (from, to) = match v.split_once('/') {
        Some((a, b)) => (instant(a, false)?, instant(b, true)?),
        None if v == ".." => return Err(bad("datetime", "\"..\" alone is no time")),
        None => (instant(v, false)?, instant(v, true)?),
    };
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        return Err(bad("datetime", format!("{v:?} ends before it starts")));
    }
    Ok((from, to))
}

const EXTRA: [&str; 7] = [
    "bbox", "bbox-crs", "datetime", "limit", "offset", "crs", "f",
];

fn parse(query: Option<&str>, index: &partimap_index::Index) -> Result<Params, HttpError> {
    let (filter, extra) = partimap_tiles::params::parse_with(query, index, &EXTRA)?;
    let [bbox, bbox_crs, datetime_value, limit, offset, crs, f] =
        <[Option<String>; 7]>::try_from(extra).map_err(|_| HttpError::bad_request("parameters"))?;
    if let Some(f) = f.as_deref()
        && !matches!(f, "json" | "geojson" | "application/geo+json")
    {
        return Err(bad(
            "f",
            format!("{f:?} is not offered; the format is json"),
        ));
    }
    let bbox_crs = crs_param("bbox-crs", bbox_crs.as_deref())?;
    let bbox = bbox
        .map(|v| {
            let [x0, y0, x1, y1] = partimap_tiles::params::four_numbers(&v).ok_or_else(|| {
                bad(
                    "bbox",
                    format!("{v:?} is not four numbers minx,miny,maxx,maxy (boxes with heights are not offered)"),
                )
            })?;
            if !(x0 <= x1 && y0 <= y1) || [x0, y0, x1, y1].iter().any(|n| !n.is_finite()) {
                return Err(bad("bbox", format!("{v:?}: the minimum must not exceed the maximum")));
            }
            if bbox_crs == Crs::Crs84
                && (x0 < -180.0 || x1 > 180.0 || y0 < -90.0 || y1 > 90.0)
            {
                return Err(bad(
                    "bbox",
                    format!("{v:?}: longitudes lie between -180 and 180, latitudes between -90 and 90"),
                ));
            }
            Transform::new(bbox_crs)
                .inverse_box([x0, y0, x1, y1])
                .ok_or_else(|| bad("bbox", format!("{v:?} cannot be transformed to WGS84")))
        })
        .transpose()?;
    let (from, to) = datetime_value
        .as_deref()
        .map_or(Ok((None, None)), datetime)?;
    let limit = match limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .map(|n| u32::try_from(n.min(u64::from(MAX_LIMIT))).unwrap_or(MAX_LIMIT))
            .ok_or_else(|| {
                bad(
                    "limit",
                    format!("{v:?} is not a whole number of at least 1"),
                )
            })?,
    };
    let offset = match offset.as_deref() {
        None => 0,
        Some(v) => v.parse::<u64>().map_err(|_| {
            bad(
                "offset",
                format!("{v:?} is not a whole number of at least 0"),
            )
        })?,
    };
    let crs = crs_param("crs", crs.as_deref())?;
    let rest = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k != "limit" && k != "offset")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(Params {
        filter,
        bbox,
        from,
        to,
        limit,
        offset,
        crs,
        rest,
    })
}

/// The Web Mercator envelope of a WGS84 box (latitudes clamped to what
/// Mercator reaches), or the whole world.
fn envelope(bbox: Option<[f64; 4]>) -> Envelope {
    let [w, s, e, n] = bbox.unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    let lat = |y: f64| y.clamp(-mercator::MAX_LATITUDE, mercator::MAX_LATITUDE);
    Envelope {
        min: mercator::project(Coord { x: w, y: lat(s) }),
        max: mercator::project(Coord { x: e, y: lat(n) }),
    }
}

/// Whether a procedure running from `start` to `end` (whole days) meets
/// the interval.
fn meets(start: NaiveDate, end: Option<NaiveDate>, (from, to): Interval) -> bool {
    let starts = start.and_time(NaiveTime::MIN).and_utc();
    let ends = end
        .and_then(|e| e.succ_opt())
        .map(|e| e.and_time(NaiveTime::MIN).and_utc());
    to.is_none_or(|to| starts <= to) && from.is_none_or(|from| ends.is_none_or(|e| e > from))
}

/// What the index knows of a procedure that the store does not say: its
/// status today, its organisation's key, name and seat.
#[derive(Debug, Clone)]
struct Known {
    status: &'static str,
    organisation_key: Option<String>,
    organisation_name: String,
    seat: Option<geo::Point<f64>>,
}

fn known(index: &partimap_index::Index, id: ProcedureId, today: NaiveDate) -> Option<Known> {
    let p = index.procedure(id)?;
    let organisation = index.organisation(p.facts.organisation);
    Some(Known {
        status: p.status(today).as_str(),
        organisation_key: organisation.map(|o| o.key.to_string()),
        organisation_name: p.organisation_name.to_string(),
        seat: organisation.and_then(|o| o.seat),
    })
}

fn position(t: &Transform, c: Coord<f64>) -> Value {
    match t.forward(c.x, c.y) {
        // A centimetre: 7 decimals of a degree, 2 of a metre.
        Some([x, y]) if t.crs() == Crs::Crs84 => json!([round(x, 1e7), round(y, 1e7)]),
        Some([x, y]) => json!([round(x, 100.0), round(y, 100.0)]),
        None => Value::Null,
    }
}

fn round(v: f64, scale: f64) -> f64 {
    (v * scale).round() / scale
}

fn point_geometry(t: &Transform, p: geo::Point<f64>) -> Value {
    json!({"type": "Point", "coordinates": position(t, p.0)})
}

fn area_geometry(t: &Transform, area: &Area) -> Value {
    match area {
        Area::Point(p) => point_geometry(t, *p),
        Area::Polygons(mp) => {
            let ring = |r: &geo::LineString<f64>| -> Value {
                Value::Array(r.coords().map(|c| position(t, *c)).collect())
            };
            let polygons: Vec<Value> = mp
                .iter()
                .map(|p| {
                    let mut rings = vec![ring(p.exterior())];
                    rings.extend(p.interiors().iter().map(ring));
                    Value::Array(rings)
                })
                .collect();
            json!({"type": "MultiPolygon", "coordinates": polygons})
        }
    }
}

fn procedure_feature(t: &Transform, p: &Procedure, k: Option<&Known>, today: NaiveDate) -> Value {
    let geometry = match (&p.area, k.and_then(|k| k.seat)) {
        (Some(area), _) => area_geometry(t, area),
        (None, Some(seat)) => point_geometry(t, seat),
        (None, None) => Value::Null,
    };
    let mut properties = json!({
        "title": p.title,
        "summary": p.summary,
        "kind": p.kind.as_str(),
        "status": k.map_or(p.status(today).as_str(), |k| k.status),
        "placement": if p.area.is_some() { "area" } else { "organisation" },
        "organisation_id": p.organisation.0,
        "organisation": k.and_then(|k| k.organisation_key.clone()),
        "organisation_name": k.map(|k| k.organisation_name.clone()),
        "start": p.start.to_string(),
        "end": p.end.map(|d| d.to_string()),
        "url": p.url,
    });
    if p.kind == partimap_model::ProcedureKind::Reporting {
        properties["categories"] = json!(p.categories.iter().map(|c| &c.code).collect::<Vec<_>>());
        properties["moderation"] = json!(p.moderation.as_str());
        properties["location_precision_m"] = json!(p.location_precision_m);
    }
    json!({"type": "Feature", "id": p.id.0, "geometry": geometry, "properties": properties})
}

fn report_feature(t: &Transform, r: &ReportRecord) -> Value {
    let report = &r.report;
    json!({
        "type": "Feature",
        "id": report.id.0,
        "geometry": point_geometry(t, report.location),
        "properties": {
            "procedure_id": report.procedure.0,
            "category": report.category,
            "description": report.description,
            "status": report.status.as_str(),
            "status_note": r.status_note,
            "created": report.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
    })
}

fn geojson(value: Value, crs: Crs) -> Response {
    let mut response = Json(value).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        headers.insert("content-crs", v);
    }
    response
}

fn store_error(e: &partimap_store::Error) -> HttpError {
    if e.is_unavailable() {
        HttpError::unavailable("the database is unavailable; try again later", 5)
    } else {
        HttpError::internal(e)
    }
}

fn link(base: &str, path: &str, rest: &[(String, String)], limit: u32, offset: u64) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in rest {
        query.append_pair(k, v);
    }
    query.append_pair("limit", &limit.to_string());
    query.append_pair("offset", &offset.to_string());
    format!("{base}{path}?{}", query.finish())
}

/// A page of a collection's features, selected as the map selects them.
#[utoipa::path(get, path = "/ogc/collections/{collection}/items", tag = "ogc",
    params(
        ("collection" = String, Path, description = "procedures or reports"),
        ("bbox" = Option<String>, Query, description = "minx,miny,maxx,maxy in bbox-crs"),
        ("bbox-crs" = Option<String>, Query, description = "CRS84 (default) or http://www.opengis.net/def/crs/EPSG/0/25832"),
        ("datetime" = Option<String>, Query, description = "an RFC 3339 instant, a date, or START/END with .. for open ends"),
        ("limit" = Option<u32>, Query, description = "1 to 10000 (larger is served as 10000), default 10"),
        ("offset" = Option<u64>, Query, description = "features to skip (the next link sets it)"),
        ("crs" = Option<String>, Query, description = "CRS84 (default) or http://www.opengis.net/def/crs/EPSG/0/25832"),
        partimap_tiles::openapi::FilterParams,
    ),
    responses((status = 200, description = "A GeoJSON FeatureCollection with numberMatched, numberReturned and next/prev links; Content-Crs", content_type = "application/geo+json", body = Object),
              (status = 400, description = "A malformed or unknown parameter, named", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
              (status = 404, description = "No such collection", body = partimap_http::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn items(
    State(state): State<FeaturesState>,
    Path(collection): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let c = Collection::parse(&collection)?;
    let today = Utc::now().date_naive();
    // The index is read (and its guard dropped) before the store is asked.
    let (params, ids, matched, known) = {
        let index = state.tiles.index();
        let params = parse(query.as_deref(), &index)?;
        let interval = (params.from, params.to);
        let mut ids: Vec<ProcedureId> = index
            .procedures_in(
                &envelope(match c {
                    Collection::Procedures => params.bbox,
                    // A report's procedure may reach beyond the box.
                    Collection::Reports => None,
                }),
                &params.filter,
                today,
            )
            .filter(|p| c == Collection::Reports || meets(p.facts.start, p.facts.end, interval))
            .map(|p| p.facts.id)
            .collect();
        ids.sort_unstable();
        let matched = ids.len() as u64;
        // Procedures: the page's ids, with what the index knows of them.
        // Reports: all the procedures the filter admits.
        let (ids, known) = match c {
            Collection::Procedures => {
                let start = usize::try_from(params.offset)
                    .unwrap_or(usize::MAX)
                    .min(ids.len());
                let end = start.saturating_add(params.limit as usize).min(ids.len());
                let page = ids[start..end].to_vec();
                let known: HashMap<ProcedureId, Known> = page
                    .iter()
                    .filter_map(|id| Some((*id, known(&index, *id, today)?)))
                    .collect();
                (page, known)
            }
            Collection::Reports => (ids, HashMap::new()),
        };
        (params, ids, matched, known)
    };
    let transform = Transform::new(params.crs);
    let (features, matched): (Vec<Value>, u64) = match c {
        Collection::Procedures => {
            let rows = state
                .store
                .procedures_by_ids(&ids)
                .await
                .map_err(|e| store_error(&e))?;
            let features = rows
                .iter()
                .map(|p| procedure_feature(&transform, p, known.get(&p.id), today))
                .collect();
            (features, matched)
        }
        Collection::Reports => {
            let q = ReportQuery {
                procedures: ids,
                categories: params.filter.categories.clone(),
                bbox: params.bbox,
                from: params.from,
                to: params.to,
                limit: params.limit,
                offset: params.offset,
                ..ReportQuery::default()
            };
            let (rows, matched) = state
                .store
                .public_reports_page(&q)
                .await
                .map_err(|e| store_error(&e))?;
            (
                rows.iter().map(|r| report_feature(&transform, r)).collect(),
                matched,
            )
        }
    };
    let base = base_url(&state, &headers);
    let path = format!("/ogc/collections/{}/items", c.id());
    let returned = features.len() as u64;
    let mut links = vec![json!({
        "href": link(&base, &path, &params.rest, params.limit, params.offset),
        "rel": "self", "type": "application/geo+json",
    })];
    if params.offset + returned < matched {
        links.push(json!({
            "href": link(&base, &path, &params.rest, params.limit, params.offset + returned),
            "rel": "next", "type": "application/geo+json",
        }));
    }
    if params.offset > 0 {
        links.push(json!({
            "href": link(&base, &path, &params.rest, params.limit, params.offset.saturating_sub(u64::from(params.limit))),
            "rel": "prev", "type": "application/geo+json",
        }));
    }
    links.push(json!({
        "href": format!("{base}/ogc/collections/{}", c.id()),
        "rel": "collection", "type": "application/json",
    }));
    Ok(geojson(
        json!({
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": returned,
            "timeStamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "links": links,
        }),
        params.crs,
    ))
}

/// One feature of a collection.
#[utoipa::path(get, path = "/ogc/collections/{collection}/items/{id}", tag = "ogc",
    params(
        ("collection" = String, Path, description = "procedures or reports"),
        ("id" = i64, Path, description = "the feature's id"),
        ("crs" = Option<String>, Query, description = "CRS84 (default) or http://www.opengis.net/def/crs/EPSG/0/25832"),
    ),
    responses((status = 200, description = "A GeoJSON Feature; Content-Crs", content_type = "application/geo+json", body = Object),
              (status = 400, description = "A malformed or unknown parameter, named", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
              (status = 404, description = "No such collection or feature (reports: public ones only)", body = partimap_http::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn item(
    State(state): State<FeaturesState>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let c = Collection::parse(&collection)?;
    let mut crs = None;
    for (name, value) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match &*name {
            "crs" => crs = Some(value.into_owned()),
            "f" if matches!(&*value, "json" | "geojson" | "application/geo+json") => {}
            _ => {
                return Err(HttpError::bad_request(format!(
                    "unknown query parameter {name:?}; a single feature takes crs and f"
                )));
            }
        }
    }
    let crs = crs_param("crs", crs.as_deref())?;
    let not_found = || HttpError::not_found(format!("no feature {id:?} in {}", c.id()));
    let number = id.parse::<i64>().map_err(|_| not_found())?;
    let transform = Transform::new(crs);
    let today = Utc::now().date_naive();
    let mut feature = match c {
        Collection::Procedures => {
            let k = known(&state.tiles.index(), ProcedureId(number), today);
            let rows = state
                .store
                .procedures_by_ids(&[ProcedureId(number)])
                .await
                .map_err(|e| store_error(&e))?;
            let p = rows.first().ok_or_else(not_found)?;
            procedure_feature(&transform, p, k.as_ref(), today)
        }
        Collection::Reports => {
            let r = state
                .store
                .public_report(ReportId(number))
                .await
                .map_err(|e| store_error(&e))?
                .ok_or_else(not_found)?;
            report_feature(&transform, &r)
        }
    };
    let base = base_url(&state, &headers);
    if let Some(f) = feature.as_object_mut() {
        f.insert(
            "links".into(),
            json!([
                {"href": format!("{base}/ogc/collections/{}/items/{number}", c.id()), "rel": "self", "type": "application/geo+json"},
                {"href": format!("{base}/ogc/collections/{}", c.id()), "rel": "collection", "type": "application/json"},
            ]),
        );
    }
    Ok(geojson(feature, crs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .expect("time")
    }

    #[test]
    fn datetime_takes_instants_dates_and_open_intervals() {
        assert_eq!(
            datetime("2026-03-01T12:00:00Z").ok(),
            Some((
                Some(t("2026-03-01T12:00:00Z")),
                Some(t("2026-03-01T12:00:00Z"))
            ))
        );
        assert_eq!(
            datetime("2026-03-01/..").ok(),
            Some((Some(t("2026-03-01T00:00:00Z")), None))
        );
        assert_eq!(
            datetime("../2026-03-01").ok(),
            Some((None, Some(t("2026-03-01T23:59:59.999Z"))))
        );
        let cases = [
            ("yesterday", "is neither an RFC 3339 time nor a date"),
            ("2026-03-02/2026-03-01", "ends before it starts"),
            ("..", "\"..\" alone is no time"),
        ];
        for (v, want) in cases {
            let e = datetime(v).expect_err(v);
            assert!(e.detail.contains(want), "{v}: {}", e.detail);
            assert!(
                e.detail.starts_with("query parameter \"datetime\": "),
                "{}",
                e.detail
            );
        }
    }

    #[test]
    fn a_procedure_meets_an_interval_by_its_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let (start, end) = (d("2026-01-01"), Some(d("2026-06-30")));
        assert!(meets(start, end, (Some(t("2026-06-30T23:00:00Z")), None)));
        assert!(!meets(start, end, (Some(t("2026-07-01T00:00:00Z")), None)));
        assert!(!meets(start, end, (None, Some(t("2025-12-31T23:59:59Z")))));
        assert!(meets(start, None, (Some(t("2040-01-01T00:00:00Z")), None)));
    }
}
