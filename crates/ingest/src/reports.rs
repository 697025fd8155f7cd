//! The participation API of defect reporters: citizens file reports
//! ([`crate::citizen`]), moderators decide on them ([`crate::moderation`]).
//!
//! | route | who | what |
//! |---|---|---|
//! | `POST /api/v1/procedures/{id}/reports` | anyone (rate-limited) | a citizen's report |
//! | `GET /api/v1/reports/{id}` | anyone | a public report |
//! | `PATCH /api/v1/reports/{id}` | moderator token | a decision: status, note, edited text |
//! | `GET /api/v1/reports/{id}/history` | moderator token | the report with contact and audit log |
//!
//! Bodies are JSON objects; every member is checked and unknown ones are
//! refused, so that a misspelt field is not silently dropped. A report's
//! contact never leaves through the public routes.

use std::sync::Arc;

use axum::{
    Router,
    body::{Body, Bytes},
    http::{HeaderMap, StatusCode, header},
    routing::{get, patch, post},
};
use partimap_http::HttpError;
use partimap_model::{Problem, ReportId};
use partimap_store::{ReportRecord, Store};
use serde_json::{Map, Value, json};

pub(crate) use crate::endpoint::store_error;
use crate::{citizen, moderation, ratelimit::RateLimiter};

/// What the participation routes need.
#[derive(Debug, Clone)]
pub struct ReportsState {
    pub store: Store,
    pub limiter: Arc<RateLimiter>,
    /// Whether the client's address is taken from `X-Forwarded-For` (behind
    /// a proxy or load balancer that sets it), not from the connection.
    pub trust_forwarded_for: bool,
    /// The public base URL (Open311 discovery names its endpoint); else the
    /// request's host.
    pub public_url: Option<String>,
}

pub fn router(state: ReportsState) -> Router {
    Router::new()
        .route("/api/v1/procedures/{id}/reports", post(citizen::submit))
        .route(
            "/api/v1/reports/{id}",
            get(citizen::public_report).patch(moderation::decide),
        )
        .route("/api/v1/reports/{id}/history", get(moderation::history))
        .route(
            "/api/v1/organisations/{key}",
            patch(crate::organisations::update),
        )
        .with_state(state)
}

/// The largest body accepted: a report with a description of 4,000
/// characters of up to four bytes each, and room for the rest.
pub const MAX_BODY_BYTES: usize = 20 * 1024;

/// A path's id: a positive number.
pub(crate) fn parse_id(what: &str, id: &str) -> Result<i64, HttpError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| HttpError::not_found(format!("no {what} {id:?}: ids are positive numbers")))
}

/// Reads a JSON object body of at most [`MAX_BODY_BYTES`]: 413 when larger,
/// 415 when not declared JSON, 400 when not JSON (with line and column),
/// 422 when not an object.
pub(crate) async fn json_object(
    headers: &HeaderMap,
    body: Body,
) -> Result<Map<String, Value>, HttpError> {
    let too_large = || {
        HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is larger than {MAX_BODY_BYTES} bytes; a description has at most {} characters",
                partimap_model::report::MAX_DESCRIPTION_CHARS
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json") || v.to_ascii_lowercase().ends_with("+json")
        });
    if !json {
        return Err(HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON (Content-Type: application/json)",
        ));
    }
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        HttpError::bad_request(format!(
            "the body is not JSON: {} at line {}, column {}",
            e.to_string()
                .split(" at line")
                .next()
                .unwrap_or("malformed"),
            e.line(),
            e.column()
        ))
    })?;
    match value {
        Value::Object(members) => Ok(members),
        other => Err(invalid(vec![Problem::new(
            "",
            format!("must be a JSON object, not {}", json_type(&other)),
        )])),
    }
}

/// 422 with every problem of the body, each with its JSON pointer.
pub(crate) fn invalid(problems: Vec<Problem>) -> HttpError {
    let detail = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, detail).with(json!({ "problems": problems }))
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Members of a body object, taken one by one with their problems.
pub(crate) struct Members {
    members: Map<String, Value>,
    pub(crate) problems: Vec<Problem>,
}

impl Members {
    pub(crate) fn new(members: Map<String, Value>) -> Self {
        Self {
            members,
            problems: Vec::new(),
        }
    }

    /// A string member; `null` counts as absent.
    pub(crate) fn string(&mut self, name: &str, required: bool) -> Option<String> {
        match self.members.remove(name) {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => {
                if required {
                    self.problems
                        .push(Problem::new(format!("/{name}"), "is required"));
                }
                None
            }
            Some(other) => {
                self.problems.push(Problem::new(
                    format!("/{name}"),
                    format!("must be a string, not {}", json_type(&other)),
                ));
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.members.remove(name) {
            Some(Value::Bool(b)) => Some(b),
            None | Some(Value::Null) => None,
            Some(other) => {
                self.problems.push(Problem::new(
                    format!("/{name}"),
                    format!("must be true or false, not {}", json_type(&other)),
                ));
                None
            }
        }
    }

    pub(crate) fn take(&mut self, name: &str) -> Option<Value> {
        self.members.remove(name).filter(|v| !v.is_null())
    }

    /// The problems, with one for every member nobody took.
    pub(crate) fn finish(mut self, expected: &[&str]) -> Vec<Problem> {
        let mut unknown: Vec<_> = self.members.keys().cloned().collect();
        unknown.sort();
        for name in unknown {
            self.problems.push(Problem::new(
                format!("/{name}"),
                format!("unknown member; expected {}", expected.join(", ")),
            ));
        }
        self.problems
    }
}

/// A report as the public sees it: a GeoJSON Feature without the
/// reporter's contact and without the citizen's original text.
pub(crate) fn public_feature(r: &ReportRecord) -> Value {
    let report = &r.report;
    json!({
        "type": "Feature",
        "id": report.id.0,
        "geometry": {
            "type": "Point",
            "coordinates": [report.location.x(), report.location.y()],
        },
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

/// A citizen's report, as the OpenAPI document describes the body.
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = CitizenReport)]
pub struct CitizenReportDoc {
    /// A GeoJSON Point in WGS84, `{"type": "Point", "coordinates": [lon, lat]}`,
    /// inside the procedure's area.
    #[schema(value_type = Object)]
    pub location: (),
    /// One of the procedure's category codes.
    #[schema(example = "road_damage")]
    pub category: String,
    /// At most 4,000 characters; stored as given.
    pub description: String,
    /// Private: shown to the procedure's moderators only.
    pub contact_email: Option<String>,
    /// File it even when an open report of the category lies within 50 m.
    pub insist: Option<bool>,
}

/// A moderator's decision, as the OpenAPI document describes the body.
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = Decision)]
pub struct DecisionDoc {
    /// submitted → published | rejected; published → in_progress | resolved
    /// | rejected; in_progress → resolved | rejected; resolved → in_progress.
    #[schema(example = "published")]
    pub status: Option<String>,
    /// The public note on the status (required for a rejection).
    pub note: Option<String>,
    /// An edited description (the citizen's text is kept).
    pub description: Option<String>,
}

/// A public report: a GeoJSON Feature with id, Point geometry and
/// properties procedure_id, category, description, status, status_note,
/// created.
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = ReportFeature)]
pub struct ReportFeatureDoc {
    #[schema(example = "Feature")]
    pub r#type: String,
    pub id: i64,
    #[schema(value_type = Object)]
    pub geometry: (),
    #[schema(value_type = Object)]
    pub properties: (),
}

/// The routes of the ingestion service.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        crate::endpoint::import,
        crate::citizen::submit,
        crate::citizen::public_report,
        crate::moderation::decide,
        crate::moderation::history,
        crate::open311::top,
        crate::open311::create,
        crate::open311::one_request,
        crate::open311::one_service,
        crate::organisations::update,
    ),
    components(schemas(
        CitizenReportDoc,
        DecisionDoc,
        ReportFeatureDoc,
        crate::organisations::OrganisationSettingsDoc
    ))
)]
pub struct IngestApi;

/// Where a report is read.
pub(crate) fn report_path(id: ReportId) -> String {
    format!("/api/v1/reports/{}", id.0)
}
