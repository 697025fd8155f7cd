//! Citizens' reports: `POST /api/v1/procedures/{id}/reports` and the public
//! read of one report, `GET /api/v1/reports/{id}`.
//!
//! A report is taken when the procedure exists, is a running defect
//! reporter, the category is one of its own and the point lies in its area.
//! An open report of the same category within [`DUPLICATE_RADIUS_M`] filed
//! in the last [`DUPLICATE_DAYS`] days is answered first (409 with that
//! report): the citizen may send again with `"insist": true`. The answer
//! (201) comes only after the report is committed; the procedure's
//! moderation decides whether it is public at once.
//!
//! Body: `{"location": {"type": "Point", "coordinates": [lon, lat]},
//! "category": "...", "description": "...", "contact_email": "..." (optional,
//! private), "insist": false}`.

use std::{
    net::{IpAddr, SocketAddr},
    time::Instant,
};

use axum::{
    Json,
    body::Body,
    extract::{ConnectInfo, Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{Duration, Utc};
use geo::{Distance, Haversine, Point};
use partimap_http::HttpError;
use partimap_model::{
    Problem, Procedure, ProcedureId, ProcedureKind, ProcedureStatus, Report, ReportDraft, ReportId,
};
use serde_json::{Value, json};

use crate::reports::{
    Members, ReportsState, invalid, json_object, json_type, parse_id, public_feature, report_path,
    store_error,
};

/// A report this close to an open one of the same category is likely the
/// same place of concern.
pub const DUPLICATE_RADIUS_M: f64 = 50.0;
/// How far back an open report counts as a likely duplicate.
pub const DUPLICATE_DAYS: i64 = 10;

const MEMBERS: [&str; 5] = [
    "location",
    "category",
    "description",
    "contact_email",
    "insist",
];

/// The client's address: the connection's, or with a trusted proxy the last
/// address it added to `X-Forwarded-For`.
fn client(headers: &HeaderMap, peer: Option<SocketAddr>, trust_forwarded_for: bool) -> IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| headers.get("x-forwarded-for")?.to_str().ok())
        .flatten()
        .and_then(|v| v.rsplit(',').next())
        .and_then(|a| a.trim().parse().ok());
    forwarded
        .or(peer.map(|p| p.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The location member: a GeoJSON Point in WGS84.
fn point(members: &mut Members) -> Option<Point<f64>> {
    let Some(value) = members.take("location") else {
        members
            .problems
            .push(Problem::new("/location", "is required"));
        return None;
    };
    let expected =
        "must be a GeoJSON Point, {\"type\": \"Point\", \"coordinates\": [longitude, latitude]}";
    let Value::Object(point) = &value else {
        members.problems.push(Problem::new(
            "/location",
            format!("{expected}, not {}", json_type(&value)),
        ));
        return None;
    };
    if point.get("type").and_then(Value::as_str) != Some("Point") {
        members
            .problems
            .push(Problem::new("/location/type", expected));
        return None;
    }
    let coordinates = point.get("coordinates").and_then(Value::as_array);
    match coordinates.map(|c| c.iter().map(Value::as_f64).collect::<Vec<_>>()) {
        Some(c) if c.len() == 2 && c.iter().all(Option::is_some) => {
            Some(Point::new(c[0].unwrap_or(0.0), c[1].unwrap_or(0.0)))
        }
        _ => {
            members.problems.push(Problem::new(
                "/location/coordinates",
                "must be two numbers, [longitude, latitude] in WGS84",
            ));
            None
        }
    }
}

/// Why `procedure` takes no report now, if it does not.
fn closed_for_reports(procedure: &Procedure) -> Option<String> {
    let title = &procedure.title;
    let id = procedure.id.0;
    if procedure.kind != ProcedureKind::Reporting {
        return Some(format!(
            "procedure {id} ({title:?}) is a {}, not a defect reporter: it takes no reports",
            procedure.kind
        ));
    }
    match procedure.status(Utc::now().date_naive()) {
        ProcedureStatus::Running => None,
        ProcedureStatus::Upcoming => Some(format!(
            "procedure {id} ({title:?}) has not started yet: it takes reports from {}",
            procedure.start
        )),
        ProcedureStatus::Closed => Some(match procedure.end {
            Some(end) => {
                format!("procedure {id} ({title:?}) is closed: it took reports until {end}")
            }
            None => format!("procedure {id} ({title:?}) is closed: it takes no more reports"),
        }),
    }
}

/// A box of `radius` metres around `p` (west, south, east, north).
fn around(p: Point<f64>, radius: f64) -> [f64; 4] {
    use partimap_model::procedure::METRES_PER_DEGREE;
    let dlat = radius / METRES_PER_DEGREE;
    let dlon = radius / (METRES_PER_DEGREE * p.y().to_radians().cos().max(0.01));
    [p.x() - dlon, p.y() - dlat, p.x() + dlon, p.y() + dlat]
}

/// A citizen's report in a defect reporter.
#[utoipa::path(
    post,
    path = "/api/v1/procedures/{id}/reports",
    tag = "reports",
    params(("id" = i64, Path, description = "The defect reporter (a procedure)")),
    request_body(content = crate::reports::CitizenReportDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Committed; Location names it; status submitted (pre-moderation) or published", content_type = "application/json", body = crate::reports::ReportFeatureDoc),
        (status = 400, description = "The body is not JSON (line and column)", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such procedure", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "The procedure takes no reports now, or a likely duplicate (member duplicate; send again with insist)", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 20 KiB", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared JSON", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Problems of the body, each with its JSON pointer (members problems)", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many reports from this address (Retry-After)", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "The database is away (Retry-After)", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn submit(
    State(state): State<ReportsState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, HttpError> {
    let (parts, body): (_, Body) = request.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = client(&parts.headers, peer, state.trust_forwarded_for);
    if let Err(wait) = state.limiter.check(client, Instant::now()) {
        let seconds = u32::try_from(wait.as_secs() + 1).unwrap_or(u32::MAX);
        let limit = state.limiter.limit().map_or(0, |l| l.burst);
        return Err(HttpError {
            retry_after: Some(seconds),
            ..HttpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many reports from this address: at most {limit} an hour; try again in {seconds} s"
                ),
            )
        });
    }
    let procedure_id = ProcedureId(parse_id("procedure", &id)?);
    let body = json_object(&parts.headers, body).await?;

    let mut members = crate::reports::Members::new(body);
    let location = point(&mut members);
    let category = members.string("category", true);
    let description = members.string("description", true);
    let contact_email = members.string("contact_email", false);
    let insist = members.boolean("insist").unwrap_or(false);
    let problems = members.finish(&MEMBERS);

    let filing = Filing {
        location,
        category,
        description,
        contact_email,
        problems,
        duplicate_hint: !insist,
    };
    let report = file(&state.store, procedure_id, filing, |_| Ok(()))
        .await
        .map_err(|r| match r {
            Refused::Invalid(problems) => invalid(problems),
            Refused::Other(e) => e,
        })?;
    let id = report.id;
    let record = partimap_store::ReportRecord {
        report: Report {
            contact: None,
            ..report
        },
        status_note: None,
        original_description: None,
        exact_location: None,
    };
    let mut response = (StatusCode::CREATED, Json(public_feature(&record))).into_response();
    if let Ok(value) = HeaderValue::from_str(&report_path(id)) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// A report as an API brings it, read with the problems found so far.
#[derive(Debug)]
pub(crate) struct Filing {
    pub(crate) location: Option<Point<f64>>,
    pub(crate) category: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) contact_email: Option<String>,
    pub(crate) problems: Vec<Problem>,
    /// Whether a likely duplicate is answered (409) instead of filed.
    pub(crate) duplicate_hint: bool,
}

/// Why a report was not filed: its problems (each with its JSON pointer),
/// which every API words in its own way, or a refusal as it is answered.
#[derive(Debug)]
pub(crate) enum Refused {
    Invalid(Vec<Problem>),
    Other(HttpError),
}

impl From<HttpError> for Refused {
    fn from(e: HttpError) -> Self {
        Self::Other(e)
    }
}

/// Files a report in procedure `procedure_id`, when `allowed` lets the
/// caller file there: the rules of the module doc, in one transaction; the
/// report as committed.
pub(crate) async fn file(
    store: &partimap_store::Store,
    procedure_id: ProcedureId,
    filing: Filing,
    allowed: impl FnOnce(&Procedure) -> Result<(), HttpError>,
) -> Result<Report, Refused> {
    let Filing {
        location,
        category,
        description,
        contact_email,
        mut problems,
        duplicate_hint,
    } = filing;
    let mut tx = store.begin().await.map_err(|e| store_error(&e))?;
    let procedure = tx
        .procedure(procedure_id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| HttpError::not_found(format!("no procedure {}", procedure_id.0)))?;
    allowed(&procedure)?;
    if let Some(why) = closed_for_reports(&procedure) {
        return Err(HttpError::new(StatusCode::CONFLICT, why).into());
    }
    let (Some(location), Some(category), Some(description)) = (location, category, description)
    else {
        return Err(Refused::Invalid(problems));
    };
    let id = tx.next_report_id().await.map_err(|e| store_error(&e))?;
    let draft = ReportDraft {
        category: category.into(),
        description: description.into(),
        // The procedure's moderation decides; a citizen cannot choose.
        status: Some(procedure.moderation.initial_status().as_str().into()),
        location,
        created: None,
        contact_email: contact_email.map(Into::into),
    };
    let mut report = match draft.validate(id, &procedure, Utc::now()) {
        Ok(report) if problems.is_empty() => report,
        Ok(_) => return Err(Refused::Invalid(problems)),
        Err(found) => {
            // The draft names the place `/geometry`; the body `/location`.
            problems.extend(found.0.into_iter().map(|mut p| {
                if let Some(rest) = p.pointer.strip_prefix("/geometry") {
                    p.pointer = format!("/location{rest}");
                }
                p
            }));
            return Err(Refused::Invalid(problems));
        }
    };
    // The place is checked as the citizen gave it, and published as the
    // procedure says (snapped to its grid; the exact one for moderators).
    let exact = report.location;
    report.location = procedure.published_location(exact);
    let exact = (report.location != exact).then_some(exact);
    if duplicate_hint && let Some((near, metres)) = likely_duplicate(&mut tx, &report).await? {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            format!(
                "report {} of the same category, {metres:.0} m away, is still open: it is likely the same place; send again with \"insist\": true if it is another",
                near.id.0
            ),
        )
        .with(json!({
            "duplicate": public_feature(&partimap_store::ReportRecord {
                report: near,
                status_note: None,
                original_description: None,
                exact_location: None,
            }),
            "distance_m": metres.round(),
        }))
        .into());
    }
    tx.submit_report(&report, exact)
        .await
        .map_err(|e| store_error(&e))?;
    tx.commit().await.map_err(|e| store_error(&e))?;
    Ok(report)
}

/// The nearest open report of the same procedure and category within
/// [`DUPLICATE_RADIUS_M`] filed in the last [`DUPLICATE_DAYS`] days, and its
/// distance in metres.
async fn likely_duplicate(
    tx: &mut partimap_store::WriteTx,
    report: &Report,
) -> Result<Option<(Report, f64)>, HttpError> {
    let since = report.created - Duration::days(DUPLICATE_DAYS);
    let candidates = tx
        .open_reports_near(
            report.procedure,
            &report.category,
            around(report.location, DUPLICATE_RADIUS_M),
            since,
        )
        .await
        .map_err(|e| store_error(&e))?;
    Ok(candidates
        .into_iter()
        .map(|r| {
            let metres = Haversine.distance(r.location, report.location);
            (r, metres)
        })
        .filter(|(_, metres)| *metres <= DUPLICATE_RADIUS_M)
        .min_by(|a, b| a.1.total_cmp(&b.1)))
}

/// A public report (published, in progress or resolved).
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}",
    tag = "reports",
    params(("id" = i64, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The report, without contact", content_type = "application/json", body = crate::reports::ReportFeatureDoc),
        (status = 404, description = "No public report of that id", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn public_report(
    State(state): State<ReportsState>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let id = ReportId(parse_id("report", &id)?);
    let record = state
        .store
        .public_report(id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| HttpError::not_found(format!("no public report {}", id.0)))?;
    Ok(Json(public_feature(&record)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_peer_unless_a_proxy_is_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.7, 198.51.100.2"),
        );
        let peer: SocketAddr = "192.0.2.1:4000".parse().expect("address");
        assert_eq!(
            client(&headers, Some(peer), false),
            IpAddr::from([192, 0, 2, 1])
        );
        assert_eq!(
            client(&headers, Some(peer), true),
            IpAddr::from([198, 51, 100, 2])
        );
    }

    #[test]
    fn the_duplicate_box_holds_the_radius() {
        let p = Point::new(8.02, 50.87);
        let [w, s, e, n] = around(p, DUPLICATE_RADIUS_M);
        for corner in [
            Point::new(w, p.y()),
            Point::new(e, p.y()),
            Point::new(p.x(), s),
            Point::new(p.x(), n),
        ] {
            let d = Haversine.distance(p, corner);
            assert!((49.5..=51.0).contains(&d), "{d}");
        }
    }
}
