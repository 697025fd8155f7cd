//! Open311 GeoReport v2 under `/open311/v2/`, the API that defect-reporting
//! back offices and apps speak (FixMyStreet, Mark-a-Spot, Klarschiff).
//!
//! | request | what |
//! |---|---|
//! | `GET discovery.{json,xml}` | the endpoint and its formats |
//! | `GET services.{fmt}?jurisdiction_id=` | a defect reporter's categories as services |
//! | `GET services/{code}.{fmt}?jurisdiction_id=` | a service's definition (no attributes) |
//! | `GET requests.{fmt}?jurisdiction_id=&service_request_id=&service_code=&start_date=&end_date=&status=&bbox=&page=&page_size=` | public reports |
//! | `GET requests/{id}.{fmt}?jurisdiction_id=` | one public report |
//! | `POST requests.{fmt}` (form-encoded, `api_key`) | a new report |
//!
//! `jurisdiction_id` is a defect reporter (a procedure's id), or the key of
//! an organisation that runs exactly one. Services are its categories
//! (`service_code` = the category's code, `group` = the procedure's title).
//! Statuses map to `open` (published, in progress) and `closed` (resolved);
//! `detailed_status` (an extension field) has partimap's own. Only public
//! reports are listed, never with the reporter's contact. An `api_key` is a
//! partimap token of the procedure's organisation (or an admin token): a
//! back office files reports for its own defect reporters. Errors are
//! Open311's own list of `{code, description}`, with the code as the HTTP
//! status.

use axum::{
    Json, Router,
    body::Body,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, Duration, Utc};
use partimap_http::HttpError;
use partimap_model::{Procedure, ProcedureId, ProcedureKind, ReportId, ReportStatus};
use partimap_store::{ReportQuery, ReportRecord};
use serde_json::{Map, Value, json};

use crate::{
    citizen::{self, Filing},
    reports::{MAX_BODY_BYTES, ReportsState, store_error},
    tokens,
};

pub fn router(state: ReportsState) -> Router {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(create))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/services/{file}", get(one_service))
        .with_state(state)
}

/// The answer formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// An Open311 error: its code is the HTTP status.
#[derive(Debug)]
pub struct Open311Error {
    status: StatusCode,
    description: String,
    format: Format,
}

impl Open311Error {
    fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            status,
            description: description.into(),
            format,
        }
    }

    fn from_http(format: Format, e: HttpError) -> Self {
        Self::new(format, e.status, e.detail)
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let error = json!({"code": self.status.as_u16(), "description": self.description});
        let mut response = render(self.format, "errors", "error", &[error]);
        *response.status_mut() = self.status;
        response
    }
}

type Answer = Result<Response, Open311Error>;

/// `name.json` / `name.xml`: the name and the format.
fn split_format(file: &str) -> Result<(&str, Format), Open311Error> {
    let (name, ext) = file.rsplit_once('.').ok_or_else(|| {
        Open311Error::new(
            Format::Json,
            StatusCode::NOT_FOUND,
            format!("{file:?}: name the format, as {file}.json or {file}.xml"),
        )
    })?;
    match ext {
        "json" => Ok((name, Format::Json)),
        "xml" => Ok((name, Format::Xml)),
        _ => Err(Open311Error::new(
            Format::Json,
            StatusCode::NOT_FOUND,
            format!("format {ext:?} is not offered; the formats are json and xml"),
        )),
    }
}

fn xml_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

fn xml_value(name: &str, v: &Value, out: &mut String) {
    match v {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Object(members) => {
            out.push('<');
            out.push_str(name);
            out.push('>');
            for (k, v) in members {
                xml_value(k, v, out);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        // A list is its elements, each under the list's name.
        Value::Array(items) => {
            for item in items {
                xml_value(name, item, out);
            }
        }
        other => {
            let text = match other {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            out.push('<');
            out.push_str(name);
            out.push('>');
            xml_escape(&text, out);
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
    }
}

/// One XML document: `value` under `root`.
fn xml_document(root: &str, value: &Value) -> Response {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    xml_value(root, value, &mut out);
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], out).into_response()
}

/// A list of records as JSON (an array) or XML (`<root><item>…</item></root>`,
/// as the GeoReport v2 examples write them).
fn render(format: Format, root: &str, item: &str, records: &[Value]) -> Response {
    match format {
        Format::Json => Json(Value::Array(records.to_vec())).into_response(),
        Format::Xml => {
            let list = Map::from_iter([(item.to_owned(), Value::Array(records.to_vec()))]);
            xml_document(root, &Value::Object(list))
        }
    }
}

/// The query's parameters by name (the last of a name wins, as PHP's
/// clients expect); unknown names are refused.
fn params(
    format: Format,
    query: Option<&str>,
    known: &[&str],
) -> Result<Map<String, Value>, Open311Error> {
    let mut out = Map::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if !known.contains(&&*name) {
            return Err(Open311Error::new(
                format,
                StatusCode::BAD_REQUEST,
                format!(
                    "unknown parameter {name:?}; expected one of: {}",
                    known.join(", ")
                ),
            ));
        }
        out.insert(name.into_owned(), Value::String(value.into_owned()));
    }
    Ok(out)
}

fn text<'a>(p: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    p.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn bad(format: Format, description: impl Into<String>) -> Open311Error {
    Open311Error::new(format, StatusCode::BAD_REQUEST, description)
}

/// The defect reporter a `jurisdiction_id` names.
async fn jurisdiction(
    state: &ReportsState,
    format: Format,
    given: Option<&str>,
) -> Result<Procedure, Open311Error> {
    let given = given.ok_or_else(|| {
        bad(
            format,
            "jurisdiction_id is required: a defect reporter's id (e.g. 45) or the key of an organisation that runs one (e.g. stadt-siegen)",
        )
    })?;
    let store = |e: partimap_store::Error| Open311Error::from_http(format, store_error(&e));
    let unknown = || {
        Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!(
                "jurisdiction_id {given:?}: no defect reporter and no organisation of that id or key"
            ),
        )
    };
    if let Ok(id) = given.parse::<i64>() {
        let found = state
            .store
            .procedures_by_ids(&[ProcedureId(id)])
            .await
            .map_err(store)?;
        let p = found.into_iter().next().ok_or_else(unknown)?;
        if p.kind != ProcedureKind::Reporting {
            return Err(bad(
                format,
                format!(
                    "jurisdiction_id {given:?}: procedure {id} is a {}, not a defect reporter",
                    p.kind
                ),
            ));
        }
        return Ok(p);
    }
    let (_, procedures) = state
        .store
        .procedures_of_key(given)
        .await
        .map_err(store)?
        .ok_or_else(unknown)?;
    let today = Utc::now().date_naive();
    let mut reporters: Vec<Procedure> = procedures
        .into_iter()
        .filter(|p| {
            p.kind == ProcedureKind::Reporting
                && p.status(today) == partimap_model::ProcedureStatus::Running
        })
        .collect();
    match reporters.len() {
        1 => Ok(reporters.remove(0)),
        0 => Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("jurisdiction_id {given:?}: the organisation runs no defect reporter"),
        )),
        n => Err(bad(
            format,
            format!(
                "jurisdiction_id {given:?}: the organisation runs {n} defect reporters; name one by its id: {}",
                reporters
                    .iter()
                    .map(|p| p.id.0.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn service(p: &Procedure, c: &partimap_model::Category) -> Value {
    json!({
        "service_code": c.code,
        "service_name": c.label,
        "description": format!("{} – {}", c.label, p.title),
        "metadata": false,
        "type": "realtime",
        "keywords": c.code,
        "group": p.title,
    })
}

/// Open311's two statuses.
fn open_or_closed(s: ReportStatus) -> &'static str {
    if s == ReportStatus::Resolved {
        "closed"
    } else {
        "open"
    }
}

/// The authority that runs the defect reporter: Open311's
/// `agency_responsible`.
async fn agency(
    state: &ReportsState,
    format: Format,
    p: &Procedure,
) -> Result<Option<String>, Open311Error> {
    state
        .store
        .organisation_name(p.organisation)
        .await
        .map_err(|e| Open311Error::from_http(format, store_error(&e)))
}

fn request(p: &Procedure, agency: Option<&str>, r: &ReportRecord) -> Value {
    let report = &r.report;
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "service_request_id": report.id.0.to_string(),
        "status": open_or_closed(report.status),
        "status_notes": r.status_note,
        "service_name": p.category(&report.category).map(|c| c.label.clone()),
        "service_code": report.category,
        "description": report.description,
        "agency_responsible": agency,
        "service_notice": Value::Null,
        "requested_datetime": time(report.created),
        "updated_datetime": Value::Null,
        "expected_datetime": Value::Null,
        "address": Value::Null,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": report.location.y(),
        "long": report.location.x(),
        "media_url": Value::Null,
        "detailed_status": report.status.as_str(),
    })
}

/// `discovery`, `services` or `requests` (GET).
/// Open311 GeoReport v2: `discovery.{json,xml}`, `services.{json,xml}`
/// (a defect reporter's categories), `requests.{json,xml}` (its public
/// reports; filters service_request_id, service_code, start_date,
/// end_date, status, bbox, page, page_size).
#[utoipa::path(
    get,
    path = "/open311/v2/{file}",
    tag = "open311",
    params(
        ("file" = String, Path, description = "discovery, services or requests, with .json or .xml"),
        ("jurisdiction_id" = Option<String>, Query, description = "a defect reporter's id, or the key of an organisation that runs one (required but for discovery)"),
    ),
    responses(
        (status = 200, description = "The list (JSON array, or XML)", content_type = "application/json", body = Object),
        (status = 400, description = "Open311 errors: [{code, description}] (XML: <errors>), the code the HTTP status; 400 a bad parameter, 403 a missing or foreign api_key, 404 unknown jurisdiction or request", content_type = "application/json", body = Object),
    )
)]
async fn top(
    State(state): State<ReportsState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (name, format) = split_format(&file)?;
    match name {
        "discovery" => {
            params(format, query.as_deref(), &[])?;
            let base = partimap_http::base_url(state.public_url.as_deref(), &headers);
            // The same document; XML wraps each list's elements (as the
            // specification's example does).
            let endpoint = |formats: Value| {
                json!({
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": format!("{base}/open311/v2"),
                    "changeset": "2026-12-01T00:00:00Z",
                    "type": "production",
                    "formats": formats,
                })
            };
            let discovery = |endpoints: Value| {
                json!({
                    "changeset": "2026-12-01T00:00:00Z",
                    "contact": "Die Betreiber des Beteiligungsportals",
                    "key_service": "API keys are partimap tokens of an organisation (partimap token create)",
                    "endpoints": endpoints,
                })
            };
            let formats = json!(["application/json", "text/xml"]);
            Ok(match format {
                Format::Json => Json(discovery(json!([endpoint(formats)]))).into_response(),
                Format::Xml => xml_document(
                    "discovery",
                    &discovery(json!({"endpoint": endpoint(json!({"format": formats}))})),
                ),
            })
        }
        "services" => {
            let p = params(format, query.as_deref(), &["jurisdiction_id"])?;
            let procedure = jurisdiction(&state, format, text(&p, "jurisdiction_id")).await?;
            let services: Vec<Value> = procedure
                .categories
                .iter()
                .map(|c| service(&procedure, c))
                .collect();
            Ok(render(format, "services", "service", &services))
        }
        "requests" => list_requests(&state, format, query.as_deref()).await,
        other => Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("nothing is served at /open311/v2/{other}; see discovery.json"),
        )),
    }
}

/// The default window of a request list without dates or ids (the
/// specification's 90 days), and the most a page may hold (its 1000).
const DEFAULT_DAYS: i64 = 90;
const MAX_PAGE: u32 = 1000;

fn date_param(
    format: Format,
    p: &Map<String, Value>,
    name: &str,
) -> Result<Option<DateTime<Utc>>, Open311Error> {
    text(p, name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    bad(
                        format,
                        format!("{name}: {v:?} is not a W3C date-time (e.g. 2026-03-01T00:00:00Z)"),
                    )
                })
        })
        .transpose()
}

async fn list_requests(state: &ReportsState, format: Format, query: Option<&str>) -> Answer {
    let p = params(
        format,
        query,
        &[
            "jurisdiction_id",
            "service_request_id",
            "service_code",
            "start_date",
            "end_date",
            "status",
            "bbox",
            "page",
            "page_size",
        ],
    )?;
    let procedure = jurisdiction(state, format, text(&p, "jurisdiction_id")).await?;
    let list = |name: &str| -> Vec<String> {
        text(&p, name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let ids = list("service_request_id")
        .iter()
        .map(|i| {
            i.parse::<i64>().map(ReportId).map_err(|_| {
                bad(
                    format,
                    format!("service_request_id: {i:?} is not a request id"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let codes = list("service_code");
    if let Some(unknown) = codes.iter().find(|c| procedure.category(c).is_none()) {
        return Err(bad(
            format,
            format!(
                "service_code: {unknown:?} is not a service of jurisdiction {}; its services are {}",
                procedure.id.0,
                procedure
                    .categories
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut statuses = Vec::new();
    for s in list("status") {
        match &*s {
            "open" => statuses.extend([ReportStatus::Published, ReportStatus::InProgress]),
            "closed" => statuses.push(ReportStatus::Resolved),
            other => {
                return Err(bad(
                    format,
                    format!("status: {other:?} is neither open nor closed"),
                ));
            }
        }
    }
    let mut from = date_param(format, &p, "start_date")?;
    let to = date_param(format, &p, "end_date")?;
    if from.is_none() && to.is_none() && ids.is_empty() {
        from = Some(Utc::now() - Duration::days(DEFAULT_DAYS));
    }
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        return Err(bad(format, "end_date lies before start_date"));
    }
    let bbox = text(&p, "bbox")
        .map(|v| {
            // Every part must be a number: "8,50,x,9,51" is no box.
            let n: Option<Vec<f64>> = v.split(',').map(|n| n.trim().parse().ok()).collect();
            n.and_then(|n| <[f64; 4]>::try_from(n).ok())
                .filter(|[w, s, e, n]| w <= e && s <= n)
                .ok_or_else(|| {
                    bad(
                        format,
                        format!("bbox: {v:?} is not four numbers west,south,east,north in WGS84"),
                    )
                })
        })
        .transpose()?;
    let number = |name: &str, default: u32, min: u32| -> Result<u32, Open311Error> {
        text(&p, name).map_or(Ok(default), |v| {
            v.parse::<u32>().ok().filter(|n| *n >= min).ok_or_else(|| {
                bad(
                    format,
                    format!("{name}: {v:?} is not a whole number of at least {min}"),
                )
            })
        })
    };
    let page_size = number("page_size", MAX_PAGE, 1)?.min(MAX_PAGE);
    let page = number("page", 1, 1)?;
    let q = ReportQuery {
        procedures: vec![procedure.id],
        categories: codes,
        statuses,
        ids,
        bbox,
        from,
        to,
        limit: page_size,
        offset: u64::from(page - 1) * u64::from(page_size),
    };
    let (rows, _) = state
        .store
        .public_reports_page(&q)
        .await
        .map_err(|e| Open311Error::from_http(format, store_error(&e)))?;
    let agency = agency(state, format, &procedure).await?;
    let requests: Vec<Value> = rows
        .iter()
        .map(|r| request(&procedure, agency.as_deref(), r))
        .collect();
    Ok(render(format, "service_requests", "request", &requests))
}

/// The name in `file` (`NAME.json`), its format, and the defect reporter
/// the query's `jurisdiction_id` names: what a single request or service
/// is read by.
async fn one_of<'f>(
    state: &ReportsState,
    file: &'f str,
    query: Option<&str>,
) -> Result<(&'f str, Format, Procedure), Open311Error> {
    let (name, format) = split_format(file)?;
    let p = params(format, query, &["jurisdiction_id"])?;
    let procedure = jurisdiction(state, format, text(&p, "jurisdiction_id")).await?;
    Ok((name, format, procedure))
}

/// One public service request.
#[utoipa::path(
    get,
    path = "/open311/v2/requests/{file}",
    tag = "open311",
    params(
        ("file" = String, Path, description = "the request id with .json or .xml"),
        ("jurisdiction_id" = String, Query, description = "the defect reporter"),
    ),
    responses(
        (status = 200, description = "A list of one request", content_type = "application/json", body = Object),
        (status = 400, description = "Open311 errors: [{code, description}] (XML: <errors>), the code the HTTP status; 400 a bad parameter, 403 a missing or foreign api_key, 404 unknown jurisdiction or request", content_type = "application/json", body = Object),
    )
)]
async fn one_request(
    State(state): State<ReportsState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let (id, format, procedure) = one_of(&state, &file, query.as_deref()).await?;
    let not_found = || {
        Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!(
                "no public request {id:?} in jurisdiction {}",
                procedure.id.0
            ),
        )
    };
    let id = id.parse::<i64>().map_err(|_| not_found())?;
    let record = state
        .store
        .public_report(ReportId(id))
        .await
        .map_err(|e| Open311Error::from_http(format, store_error(&e)))?
        .filter(|r| r.report.procedure == procedure.id)
        .ok_or_else(not_found)?;
    Ok(render(
        format,
        "service_requests",
        "request",
        &[request(
            &procedure,
            agency(&state, format, &procedure).await?.as_deref(),
            &record,
        )],
    ))
}

/// A service's definition (partimap's services have no attributes).
#[utoipa::path(
    get,
    path = "/open311/v2/services/{file}",
    tag = "open311",
    params(
        ("file" = String, Path, description = "the service code with .json or .xml"),
        ("jurisdiction_id" = String, Query, description = "the defect reporter"),
    ),
    responses(
        (status = 200, description = "The service definition", content_type = "application/json", body = Object),
        (status = 400, description = "Open311 errors: [{code, description}] (XML: <errors>), the code the HTTP status; 400 a bad parameter, 403 a missing or foreign api_key, 404 unknown jurisdiction or request", content_type = "application/json", body = Object),
    )
)]
async fn one_service(
    State(state): State<ReportsState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let (code, format, procedure) = one_of(&state, &file, query.as_deref()).await?;
    if procedure.category(code).is_none() {
        return Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("no service {code:?} in jurisdiction {}", procedure.id.0),
        ));
    }
    let definition = json!({"service_code": code, "attributes": []});
    Ok(match format {
        Format::Json => Json(definition).into_response(),
        Format::Xml => xml_document("service_definition", &definition),
    })
}

/// `POST requests.{fmt}`: a report from a back office or an app, form
/// encoded.
/// A new service request from a back office or app: form-encoded with
/// api_key, jurisdiction_id, service_code, lat, long, description, email.
#[utoipa::path(
    post,
    path = "/open311/v2/{file}",
    tag = "open311",
    params(("file" = String, Path, description = "requests.json or requests.xml")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "[{service_request_id, service_notice, account_id}]", content_type = "application/json", body = Object),
        (status = 400, description = "Open311 errors: [{code, description}] (XML: <errors>), the code the HTTP status; 400 a bad parameter, 403 a missing or foreign api_key, 404 unknown jurisdiction or request", content_type = "application/json", body = Object),
    )
)]
async fn create(
    State(state): State<ReportsState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let (name, format) = split_format(&file)?;
    if name != "requests" {
        return Err(Open311Error::new(
            format,
            StatusCode::METHOD_NOT_ALLOWED,
            format!("only requests.{{json,xml}} takes a POST, not {name}"),
        ));
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(Open311Error::new(
            format,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be form-encoded (Content-Type: application/x-www-form-urlencoded)",
        ));
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            Open311Error::new(
                format,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            )
        })?;
    let known = [
        "api_key",
        "jurisdiction_id",
        "service_code",
        "lat",
        "long",
        "address_string",
        "address_id",
        "email",
        "device_id",
        "account_id",
        "first_name",
        "last_name",
        "phone",
        "description",
        "media_url",
    ];
    let p = params(format, std::str::from_utf8(&bytes).ok(), &known)?;
    let key = text(&p, "api_key").ok_or_else(|| {
        Open311Error::new(
            format,
            StatusCode::FORBIDDEN,
            "api_key is required to file a request",
        )
    })?;
    let scope = state
        .store
        .token_scope(&tokens::hash(key))
        .await
        .map_err(|e| Open311Error::from_http(format, store_error(&e)))?
        .ok_or_else(|| Open311Error::new(format, StatusCode::FORBIDDEN, "api_key is not known"))?;
    let procedure = jurisdiction(&state, format, text(&p, "jurisdiction_id")).await?;
    let coordinate = |name: &str| -> Result<Option<f64>, Open311Error> {
        text(&p, name)
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| bad(format, format!("{name}: {v:?} is not a number")))
            })
            .transpose()
    };
    let location = match (coordinate("lat")?, coordinate("long")?) {
        (Some(lat), Some(lon)) => Some(geo::Point::new(lon, lat)),
        (None, None)
            if text(&p, "address_string").is_some() || text(&p, "address_id").is_some() =>
        {
            return Err(bad(
                format,
                "lat and long are required: addresses are not looked up (no geocoder is configured)",
            ));
        }
        _ => return Err(bad(format, "lat and long are required")),
    };
    let service_code =
        text(&p, "service_code").ok_or_else(|| bad(format, "service_code is required"))?;
    let filing = Filing {
        location,
        category: Some(service_code.to_owned()),
        description: Some(text(&p, "description").unwrap_or("").to_owned()),
        contact_email: text(&p, "email").map(str::to_owned),
        problems: Vec::new(),
        // A back office files what it was told; it has its own triage.
        duplicate_hint: false,
    };
    // An organisation's key files into its own defect reporters only.
    let own = |p: &Procedure| match scope.organisation {
        Some(o) if o != p.organisation => Err(HttpError::new(
            StatusCode::FORBIDDEN,
            format!(
                "this api_key files requests for its own organisation's defect reporters; procedure {} is another's",
                p.id.0
            ),
        )),
        _ => Ok(()),
    };
    let report = citizen::file(&state.store, procedure.id, filing, own)
        .await
        .map_err(|r| match r {
            // Open311 has no pointers: the problems in one description, named
            // by the form's fields.
            citizen::Refused::Invalid(problems) => bad(
                format,
                problems
                    .iter()
                    .map(|p| {
                        let field = match p.pointer.as_str() {
                            "/category" => "service_code",
                            "/location" => "lat/long",
                            "/contact_email" => "email",
                            other => other.trim_start_matches('/'),
                        };
                        format!("{field}: {}", p.message)
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            citizen::Refused::Other(e) => Open311Error::from_http(format, e),
        })?;
    let notice = if report.status.is_public() {
        "Die Meldung ist eingegangen und öffentlich sichtbar."
    } else {
        "Die Meldung ist eingegangen und wird vor der Veröffentlichung geprüft."
    };
    let mut response = render(
        format,
        "service_requests",
        "request",
        &[json!({
            "service_request_id": report.id.0.to_string(),
            "service_notice": notice,
            "account_id": Value::Null,
        })],
    );
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_text_and_drops_what_xml_cannot_carry() {
        let mut out = String::new();
        xml_value("description", &json!("<b>&\"'\u{1}</b>"), &mut out);
        assert_eq!(
            out,
            "<description>&lt;b&gt;&amp;&quot;&apos;&lt;/b&gt;</description>"
        );
        let mut out = String::new();
        xml_value(
            "request",
            &json!({"status_notes": null, "lat": 50.8}),
            &mut out,
        );
        assert_eq!(out, "<request><lat>50.8</lat><status_notes/></request>");
    }
}
