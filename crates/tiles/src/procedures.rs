//! What is read about procedures, beside the tiles: the tiles of the
//! overview zooms carry only what styling needs (kind, status, placement),
//! and a popup or the list beside the map asks here for the rest.
//!
//! - `GET /api/v1/procedures/{id}`: one procedure on the map.
//! - `GET /api/v1/procedures?bbox=W,S,E,N&limit=N&<filter>`: the procedures
//!   whose area meets the box (WGS84 degrees) and that pass the tiles' filter
//!   parameters — the same selection the map draws there — sorted by title,
//!   with their total.
//!
//! Both answer from the index, so they show exactly what the tiles show.

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
