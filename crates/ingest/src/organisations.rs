//! An organisation's settings: `PATCH /api/v1/organisations/{key}` with
//! `{"embed_origins": ["https://portal.example", …]}` replaces the origins
//! whose pages may frame the maps of the organisation's procedures (CSP
//! `frame-ancestors` of `/embed/procedures/{id}`).
//!
//! A bearer token of that organisation or an admin token may change it; the
//! list is checked whole (each an origin, at most
//! [`MAX_EMBED_ORIGINS`](partimap_model::organisation::MAX_EMBED_ORIGINS))
//! and written in one transaction, recorded as a change of the
//! organisation, so every server following the store applies it to its
//! index: the embeds' policy follows within the follow interval.

use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use partimap_http::HttpError;
use partimap_model::{Problem, check_embed_origins};
use serde_json::{Value, json};

use crate::{
    endpoint::authenticate,
    reports::{Members, ReportsState, invalid, json_object, json_type, store_error},
};

const MEMBERS: [&str; 1] = ["embed_origins"];

/// The organisation's settings, as a body of `PATCH` documents them.
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = OrganisationSettings)]
pub struct OrganisationSettingsDoc {
    /// The origins (`https://host[:port]`) whose pages may frame the maps
    /// of the organisation's procedures; replaces the list, `[]` empties it.
    pub embed_origins: Vec<String>,
}

/// Replaces the origins whose pages may frame the organisation's maps.
#[utoipa::path(
    patch,
    path = "/api/v1/organisations/{key}",
    tag = "organisations",
    params(("key" = String, Path, description = "The organisation's key (or id)")),
    request_body(content = OrganisationSettingsDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "{id, key, name, embed_origins}: the organisation as now stored", content_type = "application/json", body = Object),
        (status = 401, description = "No valid bearer token", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "A token of another organisation", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A member missing, unknown or malformed; an origin that is none (with its JSON pointer)", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn update(
    State(state): State<ReportsState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, HttpError> {
    let scope = authenticate(&state.store, &headers).await?;
    let mut members = Members::new(json_object(&headers, body).await?);
    let origins = match members.take("embed_origins") {
        None => {
            members
                .problems
                .push(Problem::new("/embed_origins", "is required"));
            None
        }
        Some(Value::Array(items)) => {
            let mut origins = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::String(s) => origins.push(s),
                    other => members.problems.push(Problem::new(
                        format!("/embed_origins/{i}"),
                        format!("must be a string, not {}", json_type(&other)),
                    )),
                }
            }
            Some(origins)
        }
        Some(other) => {
            members.problems.push(Problem::new(
                "/embed_origins",
                format!("must be an array of origins, not {}", json_type(&other)),
            ));
            None
        }
    };
    let mut problems = members.finish(&MEMBERS);
    if let Some(origins) = &origins {
        problems.extend(check_embed_origins(origins).0);
    }

    let mut tx = state.store.begin().await.map_err(|e| store_error(&e))?;
    let id = match key.parse::<i64>() {
        Ok(n) => tx
            .organisation(partimap_model::OrganisationId(n))
            .await
            .map_err(|e| store_error(&e))?
            .map(|o| o.id),
        Err(_) => tx
            .organisation_id_by_key(&key)
            .await
            .map_err(|e| store_error(&e))?,
    }
    .ok_or_else(|| HttpError::not_found(format!("there is no organisation {key:?}")))?;
    if scope.organisation.is_some_and(|own| own != id) {
        return Err(HttpError::new(
            StatusCode::FORBIDDEN,
            format!(
                "this token speaks for another organisation; only a token of {key:?} or an admin token may change its settings"
            ),
        ));
    }
    let origins = match origins {
        Some(origins) if problems.is_empty() => origins,
        _ => return Err(invalid(problems)),
    };
    tx.set_embed_origins(id, &origins)
        .await
        .map_err(|e| store_error(&e))?;
    let organisation = tx
        .organisation(id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| HttpError::not_found(format!("there is no organisation {key:?}")))?;
    tx.commit().await.map_err(|e| store_error(&e))?;
    tracing::info!(
        organisation = organisation.key.as_str(),
        token = scope.token,
        origins = organisation.embed_origins.len(),
        "embed origins changed"
    );
    Ok(Json(json!({
        "id": organisation.id.0,
        "key": organisation.key,
        "name": organisation.name,
        "embed_origins": organisation.embed_origins,
    }))
    .into_response())
}
