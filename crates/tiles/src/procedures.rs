//! What is read about procedures, beside the tiles: the tiles of the
//! overview zooms carry only what styling needs (kind, status, placement),
//! and a popup or the list beside the map asks here for the rest.
//!
//! - `GET /api/v1/procedures/{id}`: one procedure on the map.
//! - `GET /api/v1/procedures?bbox=W,S,E,N&limit=N&<filter>`: the procedures
//!   whose area meets the box (WGS84 degrees) and that pass the tiles' filter
//!   parameters — the same selection the map draws there — sorted by title,
//!   with their total.
//! - `GET /api/v1/organisations?q=TEXT`: the authorities (all, or those whose
//!   name or key holds the text, case and umlauts folded), sorted by name,
//!   for the map's authority search; a map is filtered by one with
//!   `organisation=KEY` (its sub-organisations included).
//!
//! They answer from the index, so they show exactly what the tiles show.

use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::NaiveDate;
use geo::Coord;
use partimap_index::{Envelope, Index, IndexedProcedure, mercator};
use partimap_model::ProcedureId;
use serde_json::{Value, json};

use crate::{TilesState, params, problem::HttpError, today};

/// How many procedures a list answer holds unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest `limit` accepted.
pub const MAX_LIMIT: usize = 500;

pub fn router(state: TilesState) -> Router {
    Router::new()
        .route("/api/v1/procedures", get(list))
        .route("/api/v1/procedures/{id}", get(one))
        .route("/api/v1/organisations", get(organisations))
        .with_state(state)
}

/// A procedure as the API shows it on `today`.
fn describe(index: &Index, p: &IndexedProcedure, today: NaiveDate) -> Value {
    json!({
        "id": p.facts.id.0,
        "title": p.title,
        "kind": p.facts.kind.as_str(),
        "status": p.status(today).as_str(),
        "placement": p.placement.as_str(),
        "organisation": {
            "id": p.facts.organisation.0,
            "key": index.organisation(p.facts.organisation).map(|o| &*o.key),
            "name": &*p.organisation_name,
        },
        "start": p.facts.start.to_string(),
        "end": p.facts.end.map(|d| d.to_string()),
        "url": p.url,
    })
}

fn cached(value: Value) -> Response {
    ([(header::CACHE_CONTROL, "public, max-age=60")], Json(value)).into_response()
}

/// One procedure on the map: what the overview tiles leave out.
#[utoipa::path(
    get,
    path = "/api/v1/procedures/{id}",
    tag = "procedures",
    params(("id" = i64, Path, description = "The procedure's id")),
    responses(
        (status = 200, description = "The procedure", content_type = "application/json", body = Object),
        (status = 400, description = "The id is not a number", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such procedure on the map", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    )
)]
async fn one(State(state): State<TilesState>, Path(id): Path<String>) -> Response {
    let Ok(number) = id.parse::<i64>() else {
        return HttpError::bad_request(format!("procedure id {id:?} in the path is not a number"))
            .into_response();
    };
    let index = state.index();
    match index.procedure(ProcedureId(number)) {
        Some(p) => cached(describe(&index, p, today())),
        None => HttpError::not_found(format!("there is no procedure {number} on the map"))
            .into_response(),
    }
}

/// Parses `bbox=W,S,E,N` (WGS84 degrees) into a Web Mercator envelope.
fn bbox(value: &str) -> Result<Envelope, HttpError> {
    let bad = |why: &str| HttpError::bad_request(format!("query parameter \"bbox\": {why}"));
    let [w, s, e, n] = params::four_numbers(value)
        .ok_or_else(|| bad(&format!("{value:?} is not four numbers W,S,E,N")))?;
    if !(-180.0..=180.0).contains(&w) || !(-180.0..=180.0).contains(&e) {
        return Err(bad("longitudes must lie between -180 and 180"));
    }
    if !(-90.0..=90.0).contains(&s) || !(-90.0..=90.0).contains(&n) {
        return Err(bad("latitudes must lie between -90 and 90"));
    }
    if w > e || s > n {
        return Err(bad("west must not exceed east, nor south north"));
    }
    Ok(Envelope {
        min: mercator::project(Coord { x: w, y: s }),
        max: mercator::project(Coord { x: e, y: n }),
    })
}

/// The procedures of a box that the filter selects (what the map draws
/// there), sorted by title, with their total.
#[utoipa::path(
    get,
    path = "/api/v1/procedures",
    tag = "procedures",
    params(
        ("bbox" = Option<String>, Query, description = "W,S,E,N in WGS84 degrees"),
        ("limit" = Option<usize>, Query, description = "1 to 500, default 50"),
        crate::openapi::FilterParams,
    ),
    responses(
        (status = 200, description = "{total, items}", content_type = "application/json", body = Object),
        (status = 400, description = "A malformed box, limit or filter, named", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    )
)]
async fn list(State(state): State<TilesState>, RawQuery(query): RawQuery) -> Response {
    let index = state.index();
    let answer = (|| {
        let (filter, extra) = params::parse_with(query.as_deref(), &index, &["bbox", "limit"])?;
        let envelope = extra[0].as_deref().map(bbox).transpose()?;
        let limit = match extra[1].as_deref() {
            None => DEFAULT_LIMIT,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    HttpError::bad_request(format!(
                        "query parameter \"limit\": {v:?} is not a number from 1 to {MAX_LIMIT}"
                    ))
                })?,
        };
        let world = Envelope {
            min: Coord {
                x: -mercator::HALF_WORLD,
                y: -mercator::HALF_WORLD,
            },
            max: Coord {
                x: mercator::HALF_WORLD,
                y: mercator::HALF_WORLD,
            },
        };
        let today = today();
        let mut found: Vec<_> = index
            .procedures_in(&envelope.unwrap_or(world), &filter, today)
            .collect();
        let total = found.len();
        found.sort_by_cached_key(|p| (p.title.to_lowercase(), p.facts.id));
        let items: Vec<_> = found
            .iter()
            .take(limit)
            .map(|p| describe(&index, p, today))
            .collect();
        Ok::<_, HttpError>(json!({ "total": total, "items": items }))
    })();
    match answer {
        Ok(value) => cached(value),
        Err(e) => e.into_response(),
    }
}

/// The longest search text accepted.
pub const MAX_SEARCH: usize = 200;

/// Lowercase, with ä, ö, ü, ß and other accented Latin letters written
/// without their marks, so that "koln" finds "Köln".
fn folded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' | 'à' | 'á' | 'â' => out.push('a'),
            'ö' | 'ò' | 'ó' | 'ô' => out.push('o'),
            'ü' | 'ù' | 'ú' | 'û' => out.push('u'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'ß' => out.push_str("ss"),
            '-' | '_' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The organisations whose name or key holds `q` (all without one), sorted
/// by name, each with the organisation it belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "procedures",
    params(
        ("q" = Option<String>, Query, description = "Text the name or key holds (case and umlauts folded), at most 200 characters"),
    ),
    responses(
        (status = 200, description = "{total, items: [{id, key, name, parent}]}", content_type = "application/json", body = Object),
        (status = 400, description = "An unknown parameter or a search text too long, named", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    )
)]
async fn organisations(State(state): State<TilesState>, RawQuery(query): RawQuery) -> Response {
    let mut q = None;
    for (name, value) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        if name != "q" {
            return HttpError::bad_request(format!(
                "unknown query parameter {name:?}; expected: q"
            ))
            .into_response();
        }
        if q.is_some() {
            return HttpError::bad_request("query parameter \"q\" is given twice").into_response();
        }
        if value.chars().count() > MAX_SEARCH {
            return HttpError::bad_request(format!(
                "query parameter \"q\": at most {MAX_SEARCH} characters"
            ))
            .into_response();
        }
        q = Some(folded(value.trim()));
    }
    let index = state.index();
    let mut found: Vec<_> = index
        .organisations()
        .map(|o| (folded(&o.name), o))
        .filter(|(name, o)| {
            q.as_deref()
                .is_none_or(|q| name.contains(q) || folded(&o.key).contains(q))
        })
        .collect();
    // By folded name (each folded once, for the search and the order).
    found.sort_unstable_by(|(a, x), (b, y)| a.cmp(b).then(x.id.cmp(&y.id)));
    let items: Vec<_> = found
        .iter()
        .map(|(_, o)| {
            let parent = o.parent.and_then(|id| index.organisation(id));
            json!({
                "id": o.id.0,
                "key": &*o.key,
                "name": &*o.name,
                "parent": parent.map(|p| json!({"id": p.id.0, "key": &*p.key, "name": &*p.name})),
            })
        })
        .collect();
    cached(json!({ "total": items.len(), "items": items }))
}
