//! `POST /api/v1/imports`: GeoJSON from GIS staff, over HTTP.
//!
//! `?layer=procedures|reports&crs=EPSG:25832&mode=upsert|replace&dry_run=true|false&organisation=KEY`,
//! `Authorization: Bearer TOKEN`, body a FeatureCollection or a GeoJSON text
//! sequence, optionally gzip-compressed (`Content-Encoding: gzip`, or
//! recognised by its magic bytes). The body is read as it arrives and never
//! held whole. Answers: 200 with the [`Outcome`] when committed (or a clean
//! dry run); 422 problem+json with the outcome's members when features were
//! rejected (nothing written); 400 for a malformed request or body; 401
//! without a valid token; 403 for another organisation's data; 503 with
//! `Retry-After` when the database is away.

use axum::{
    Json, Router,
    body::Body,
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use futures_util::StreamExt;
use partimap_http::HttpError;
use partimap_store::{Store, TokenScope};

use crate::{
    crs::{self, Crs},
    import::{Decompress, Import, ImportError, Layer, Mode, Options, Outcome, Scope},
    tokens,
};

/// What the import endpoint needs.
#[derive(Debug, Clone)]
pub struct ImportState {
    pub store: Store,
}

pub fn router(state: ImportState) -> Router {
    Router::new()
        .route("/api/v1/imports", post(import))
        .with_state(state)
}

/// Seconds a client is told to wait when the database is away.
const RETRY_AFTER: u32 = 5;

/// A store error as an answer of any write route (imports, reports,
/// moderation): 503 with `Retry-After` when the database is away, else a
/// logged 500.
pub(crate) fn store_error(e: &partimap_store::Error) -> HttpError {
    if e.is_unavailable() {
        tracing::warn!(error = %e, "the database is unavailable");
        HttpError::unavailable(
            "the database is unavailable; nothing was written, try again later",
            RETRY_AFTER,
        )
    } else {
        HttpError::internal(e)
    }
}

fn unauthorized(detail: &str) -> HttpError {
    HttpError::new(StatusCode::UNAUTHORIZED, detail)
}

/// The scope of the request's bearer token.
pub async fn authenticate(store: &Store, headers: &HeaderMap) -> Result<TokenScope, HttpError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "a bearer token is required (Authorization: Bearer …; create one with `partimap token create`)",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthorized("the Authorization header must be `Bearer TOKEN`"))?;
    store
        .token_scope(&tokens::hash(token))
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| unauthorized("the bearer token is not known"))
}

/// The query parameters.
#[derive(Debug, Default)]
struct Params {
    layer: Option<Layer>,
    crs: Option<Crs>,
    mode: Option<Mode>,
    dry_run: bool,
    organisation: Option<String>,
}

fn parse_params(query: Option<&str>) -> Result<Params, HttpError> {
    let mut params = Params::default();
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match &*name {
            "layer" => {
                params.layer = Some(Layer::parse(&value).ok_or_else(|| {
                    HttpError::bad_request(format!(
                        "layer: unknown layer {value:?}; expected procedures or reports"
                    ))
                })?);
            }
            "crs" => {
                params.crs = Some(Crs::parse(&value).ok_or_else(|| {
                    HttpError::bad_request(format!(
                        "crs: unsupported {value:?}; supported: {}",
                        crs::SUPPORTED
                    ))
                })?);
            }
            "mode" => {
                params.mode = Some(Mode::parse(&value).ok_or_else(|| {
                    HttpError::bad_request(format!(
                        "mode: unknown mode {value:?}; expected upsert or replace"
                    ))
                })?);
            }
            "dry_run" => {
                params.dry_run = match &*value {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(HttpError::bad_request(format!(
                            "dry_run: expected true or false, not {value:?}"
                        )));
                    }
                };
            }
            "organisation" => params.organisation = Some(value.into_owned()),
            other => {
                return Err(HttpError::bad_request(format!(
                    "unknown parameter {other:?}; expected layer, crs, mode, dry_run, organisation"
                )));
            }
        }
    }
    Ok(params)
}

/// The import's organisation: the token's (a parameter naming another is
/// refused), or for an admin token the one the parameter names — or none,
/// when each feature names its own.
async fn organisation(
    store: &Store,
    scope: TokenScope,
    asked: Option<&str>,
) -> Result<Option<Scope>, HttpError> {
    let mut tx = store.begin().await.map_err(|e| store_error(&e))?;
    let asked_id = match asked {
        Some(key) => Some(
            tx.organisation_id_by_key(key)
                .await
                .map_err(|e| store_error(&e))?
                .ok_or_else(|| {
                    HttpError::bad_request(format!("organisation: unknown organisation {key:?}"))
                })?,
        ),
        None => None,
    };
    let id = match (scope.organisation, asked_id) {
        (Some(own), Some(other)) if own != other => {
            return Err(HttpError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "this token may import only for its own organisation, not for {:?}",
                    asked.unwrap_or_default()
                ),
            ));
        }
        (Some(own), _) => own,
        (None, Some(asked)) => asked,
        // An admin's import for several organisations: each feature
        // names its own.
        (None, None) => return Ok(None),
    };
    let key = tx
        .organisation_key_by_id(id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| HttpError::internal(&"the token's organisation is gone"))?;
    Ok(Some(Scope { id, key }))
}

/// A GeoJSON import of GIS staff: a FeatureCollection or GeoJSON text
/// sequence (optionally gzip), streamed, reprojected, validated, all or
/// nothing.
#[utoipa::path(
    post,
    path = "/api/v1/imports",
    tag = "imports",
    params(
        ("layer" = String, Query, description = "procedures or reports"),
        ("crs" = Option<String>, Query, description = "EPSG:4326 (default), EPSG:25832, EPSG:25833, EPSG:3857, EPSG:31466, EPSG:31467"),
        ("mode" = Option<String>, Query, description = "upsert (default) or replace"),
        ("dry_run" = Option<bool>, Query, description = "validate and count, write nothing"),
        ("organisation" = Option<String>, Query, description = "the organisation's key (admin tokens)"),
    ),
    request_body(content = String, content_type = "application/geo+json", description = "FeatureCollection, or RFC 8142 sequence (application/geo+json-seq); Content-Encoding: gzip allowed"),
    responses(
        (status = 200, description = "Committed (or a clean dry run): counts inserted, updated, unchanged, deleted", content_type = "application/json", body = Object),
        (status = 400, description = "A malformed parameter or body (with line and column)", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Another organisation's data", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Features rejected, each with index, id, line, column and JSON pointer; nothing written", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "The database is away (Retry-After)", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn import(
    State(state): State<ImportState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, HttpError> {
    let scope = authenticate(&state.store, &headers).await?;
    let params = parse_params(query.as_deref())?;
    let layer = params
        .layer
        .ok_or_else(|| HttpError::bad_request("layer: required (procedures or reports)"))?;
    let mode = params.mode.unwrap_or(Mode::Upsert);
    let organisation = organisation(&state.store, scope, params.organisation.as_deref()).await?;
    if organisation.is_none() && mode == Mode::Replace {
        return Err(HttpError::bad_request(
            "organisation: replace needs the organisation whose data the file replaces",
        ));
    }
    let options = Options {
        layer,
        crs: params.crs,
        mode,
        dry_run: params.dry_run,
        organisation,
    };
    let gzip_declared = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let outcome = run(&state.store, options, body, gzip_declared).await?;
    tracing::info!(
        layer = ?outcome.layer,
        organisation = %outcome.organisation,
        features = outcome.features,
        inserted = outcome.inserted,
        updated = outcome.updated,
        deleted = outcome.deleted,
        rejected = outcome.rejected,
        committed = outcome.committed,
        "import"
    );
    if outcome.rejected > 0 {
        let detail = format!(
            "{} of {} features rejected; nothing was written",
            outcome.rejected, outcome.features
        );
        let members = serde_json::to_value(&outcome).map_err(|e| HttpError::internal(&e))?;
        return Err(HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, detail).with(members));
    }
    let mut response = Json(outcome).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Streams the body through the import, ungzipping when it is compressed.
async fn run(
    store: &Store,
    options: Options,
    body: Body,
    gzip_declared: bool,
) -> Result<Outcome, HttpError> {
    let mut import = Import::begin(store, options).await.map_err(import_error)?;
    let mut stream = body.into_data_stream();
    let mut plain = Decompress::new(gzip_declared);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            HttpError::bad_request(format!(
                "the body could not be read ({e}); nothing was written"
            ))
        })?;
        let bytes = plain.feed(&chunk).map_err(gzip_error)?;
        import.push(&bytes).await.map_err(import_error)?;
    }
    let rest = plain.finish().map_err(gzip_error)?;
    import.push(&rest).await.map_err(import_error)?;
    import.finish().await.map_err(import_error)
}

fn gzip_error(e: std::io::Error) -> HttpError {
    HttpError::bad_request(format!(
        "the body is not valid gzip ({e}); nothing was written"
    ))
}

fn import_error(e: ImportError) -> HttpError {
    match e {
        ImportError::Store(e) => store_error(&e),
        ImportError::Spill(e) => HttpError::internal(&e),
        other => HttpError::bad_request(format!("{other}; nothing was written")),
    }
}
