//! Moderation: `PATCH /api/v1/reports/{id}` (a decision) and
//! `GET /api/v1/reports/{id}/history` (the report as moderators see it, with
//! the reporter's contact and the audit log).
//!
//! A moderator's bearer token speaks for one organisation (an admin token
//! for all): it decides on the reports of that organisation's procedures
//! only. A decision moves the report along [`ReportStatus::next`], may set
//! a public status note (required for a rejection) and may edit the
//! description; the citizen's own text is kept. Every decision is written
//! to the audit log with the token that made it, in the same transaction.
//!
//! [`ReportStatus::next`]: partimap_model::ReportStatus::next

use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use partimap_http::HttpError;
use partimap_model::{DecisionDraft, ReportId};
use partimap_store::{ReportEvent, ReportRecord, TokenScope, WriteTx};
use serde_json::{Value, json};

use crate::{
    endpoint::authenticate,
    reports::{Members, ReportsState, invalid, json_object, parse_id, public_feature, store_error},
};

const MEMBERS: [&str; 3] = ["status", "note", "description"];

/// The report, if the token may moderate it: 404 when there is none, 403
/// when it belongs to another organisation's procedure.
async fn report_in_scope(
    tx: &mut WriteTx,
    scope: TokenScope,
    id: ReportId,
) -> Result<ReportRecord, HttpError> {
    let record = tx
        .report_record(id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| HttpError::not_found(format!("no report {}", id.0)))?;
    if let Some(organisation) = scope.organisation {
        let procedure = tx
            .procedure(record.report.procedure)
            .await
            .map_err(|e| store_error(&e))?
            .ok_or_else(|| HttpError::not_found(format!("no report {}", id.0)))?;
        if procedure.organisation != organisation {
            return Err(HttpError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "report {} belongs to procedure {} of another organisation; this token moderates only its own organisation's reports",
                    id.0, procedure.id.0
                ),
            ));
        }
    }
    Ok(record)
}

/// The report as moderators see it, with its audit log.
fn moderator_view(record: &ReportRecord, events: &[ReportEvent]) -> Value {
    let mut feature = public_feature(record);
    if let Some(properties) = feature.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert(
            "contact_email".to_owned(),
            json!(record.report.contact.as_ref().map(|c| c.email())),
        );
        properties.insert(
            "original_description".to_owned(),
            json!(record.original_description),
        );
        properties.insert(
            "exact_location".to_owned(),
            json!(
                record
                    .exact_location
                    .map(|p| json!({"type": "Point", "coordinates": [p.x(), p.y()]}))
            ),
        );
        properties.insert(
            "history".to_owned(),
            Value::Array(
                events
                    .iter()
                    .map(|e| {
                        json!({
                            "at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                            "token_id": e.token,
                            "from": e.old_status.map(|s| s.as_str()),
                            "to": e.new_status.as_str(),
                            "note": e.note,
                            "description_edited": e.description_edited,
                        })
                    })
                    .collect(),
            ),
        );
    }
    feature
}

/// A moderator's decision: a new status, a public note (required for a
/// rejection), an edited description (the citizen's is kept).
#[utoipa::path(
    patch,
    path = "/api/v1/reports/{id}",
    tag = "moderation",
    params(("id" = i64, Path, description = "The report's id")),
    request_body(content = crate::reports::DecisionDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "The report as moderators see it, with contact and audit log", content_type = "application/json", body = Object),
        (status = 401, description = "No valid bearer token", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "A report of another organisation's procedure", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A transition that is not allowed, a rejection without reason, a malformed member", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn decide(
    State(state): State<ReportsState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, HttpError> {
    let scope = authenticate(&state.store, &headers).await?;
    let id = ReportId(parse_id("report", &id)?);
    let mut members = Members::new(json_object(&headers, body).await?);
    let draft = DecisionDraft {
        status: members.string("status", false),
        note: members.string("note", false),
        description: members.string("description", false),
    };
    let problems = members.finish(&MEMBERS);
    let mut tx = state.store.begin().await.map_err(|e| store_error(&e))?;
    let old = report_in_scope(&mut tx, scope, id).await?;
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let decision = draft
        .validate(old.report.status)
        .map_err(|p| invalid(p.0))?;
    tx.moderate_report(&old, &decision, scope.token, Utc::now())
        .await
        .map_err(|e| store_error(&e))?;
    let record = tx
        .report_record(id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| HttpError::not_found(format!("no report {}", id.0)))?;
    let events = tx.report_events(id).await.map_err(|e| store_error(&e))?;
    tx.commit().await.map_err(|e| store_error(&e))?;
    tracing::info!(
        report = id.0,
        token = scope.token,
        from = old.report.status.as_str(),
        to = decision.status.as_str(),
        "report moderated"
    );
    Ok(Json(moderator_view(&record, &events)).into_response())
}

/// The report as moderators see it: contact, original text, audit log.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/history",
    tag = "moderation",
    params(("id" = i64, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The report with contact_email, original_description and history", content_type = "application/json", body = Object),
        (status = 401, description = "No valid bearer token", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "A report of another organisation's procedure", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn history(
    State(state): State<ReportsState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let scope = authenticate(&state.store, &headers).await?;
    let id = ReportId(parse_id("report", &id)?);
    // Read only; the transaction is dropped.
    let mut tx = state.store.begin().await.map_err(|e| store_error(&e))?;
    let record = report_in_scope(&mut tx, scope, id).await?;
    let events = tx.report_events(id).await.map_err(|e| store_error(&e))?;
    Ok(Json(moderator_view(&record, &events)).into_response())
}
