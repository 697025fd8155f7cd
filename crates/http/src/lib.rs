//! What partimap's HTTP services (tiles, imports) share: errors as RFC 7807
//! `application/problem+json`, with extension members where a client needs
//! more than a sentence (an import's rejected features).

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// An HTTP error. Client errors say exactly what is wrong; server errors are
/// logged with their cause and answered with a generic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub status: StatusCode,
    pub detail: String,
    /// Extension members added to the problem object.
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
    /// Seconds, for `Retry-After` (503, 429).
    pub retry_after: Option<u32>,
}

impl HttpError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            extra: None,
            retry_after: None,
        }
    }

    /// Adds extension members (an object's members; anything else is
    /// ignored).
    #[must_use]
    pub fn with(mut self, extra: serde_json::Value) -> Self {
        if let serde_json::Value::Object(members) = extra {
            self.extra
                .get_or_insert_with(Default::default)
                .extend(members);
        }
        self
    }

    /// 503 with `Retry-After`: the database is away; the client may retry.
    pub fn unavailable(detail: impl Into<String>, retry_after: u32) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, detail)
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// An internal error: `cause` goes to the log, never to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "an internal error occurred; it has been logged",
        )
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let (Some(extra), Some(members)) = (self.extra, body.as_object_mut()) {
            members.extend(extra);
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The absolute base URL of links in answers (TileJSON, the style, the
/// feature API, Open311 discovery): the configured public URL, else
/// `http://` and the request's `Host` when it is a plain host name (and
/// port), else `http://127.0.0.1`.
pub fn base_url(public_url: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(url) = public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// The answer to a path no route serves.
pub async fn not_found(uri: axum::http::Uri) -> HttpError {
    HttpError::not_found(format!("nothing is served at {}", uri.path()))
}

/// An error answer as the OpenAPI document describes it: RFC 7807
/// `application/problem+json`, sometimes with extension members (an import's
/// `rejections`, a report's `problems`, a likely `duplicate`).
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    /// Always `about:blank`: the status says the kind.
    #[schema(example = "about:blank")]
    pub r#type: String,
    /// The status's reason phrase.
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    /// What is wrong and where, in a sentence a person can act on.
    #[schema(
        example = "/category: unknown category \"potholes\"; procedure \"maengelmelder\" has: road_damage, litter"
    )]
    pub detail: String,
    /// Each problem of a body with its JSON pointer (422 of the reports API).
    pub problems: Option<Vec<ProblemItem>>,
}

/// One problem of a body.
#[derive(Debug, utoipa::ToSchema)]
pub struct ProblemItem {
    #[schema(example = "/location")]
    pub pointer: String,
    pub message: String,
}
