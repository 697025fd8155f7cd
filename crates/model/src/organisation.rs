//! Organisations: the authorities that run procedures, in the administrative
//! hierarchy of the state (state → regional government → district →
//! municipality; ministries and state agencies sit directly below the state).

use std::{fmt, str::FromStr};

use geo::Point;
use serde::{Deserialize, Serialize};

use crate::{OrganisationId, Problems, geometry, problem::field};

/// What kind of authority an organisation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    State,
    RegionalGovernment,
    District,
    Municipality,
    Ministry,
    StateAgency,
}

impl OrganisationKind {
    pub const ALL: [Self; 6] = [
        Self::State,
        Self::RegionalGovernment,
        Self::District,
        Self::Municipality,
        Self::Ministry,
        Self::StateAgency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::RegionalGovernment => "regional_government",
            Self::District => "district",
            Self::Municipality => "municipality",
            Self::Ministry => "ministry",
            Self::StateAgency => "state_agency",
        }
    }
}

impl fmt::Display for OrganisationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing one of the closed vocabularies (kinds, statuses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}; expected one of: {expected}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub given: String,
    pub expected: String,
}

pub(crate) fn parse_vocabulary<T: Copy>(
    what: &'static str,
    given: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, UnknownValue> {
    all.iter()
        .copied()
        .find(|v| name(*v) == given)
        .ok_or_else(|| UnknownValue {
            what,
            given: given.to_owned(),
            expected: all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", "),
        })
}

impl FromStr for OrganisationKind {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_vocabulary("organisation kind", s, &Self::ALL, Self::as_str)
    }
}

/// The official municipality key (Amtlicher Gemeindeschlüssel): 2 digits for
/// a state, 3 for a regional government, 5 for a district, 8 for a
/// municipality.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ags(String);

impl Ags {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Ags {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if matches!(s.len(), 2 | 3 | 5 | 8) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "an official municipality key (AGS) has 2, 3, 5 or 8 digits, not {s:?}"
            ))
        }
    }
}

impl TryFrom<String> for Ags {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Ags> for String {
    fn from(ags: Ags) -> Self {
        ags.0
    }
}

/// An authority that runs procedures.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub id: OrganisationId,
    /// A stable, human-readable key (`stadt-koeln`), unique in the store.
    pub key: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub ags: Option<Ags>,
    pub parent: Option<OrganisationId>,
    /// Where the authority sits; procedures without an area are shown here.
    pub seat: Option<Point<f64>>,
    /// The origins (`https://portal.example`) whose pages may frame the
    /// maps of this organisation's procedures (CSP `frame-ancestors`).
    pub embed_origins: Vec<String>,
}

/// The raw values of an organisation, as a file or a request brings them.
#[derive(Debug, Clone, Default)]
pub struct OrganisationDraft {
    pub key: String,
    pub name: String,
    pub kind: String,
    pub ags: Option<String>,
    pub parent: Option<OrganisationId>,
    pub seat: Option<Point<f64>>,
    pub embed_origins: Vec<String>,
}

/// The most embed origins an organisation may name.
pub const MAX_EMBED_ORIGINS: usize = 20;

/// The problems of an organisation's embed origins (pointers under
/// `/embed_origins`): at most [`MAX_EMBED_ORIGINS`], each an origin.
pub fn check_embed_origins(origins: &[String]) -> Problems {
    let mut problems = Problems::default();
    if origins.len() > MAX_EMBED_ORIGINS {
        problems.push(
            "/embed_origins",
            format!("at most {MAX_EMBED_ORIGINS} origins, not {}", origins.len()),
        );
    }
    for (i, origin) in origins.iter().enumerate() {
        if !is_origin(origin) {
            problems.push(
                format!("/embed_origins/{i}"),
                format!("{origin:?} is no origin: expected {ORIGIN_FORM}"),
            );
        }
    }
    problems
}

/// What [`is_origin`] takes, for messages.
pub const ORIGIN_FORM: &str = "https://host or https://host:port, lowercase, without a path";

/// Whether `s` is a web origin as CSP names one: `http(s)://host[:port]`,
/// lowercase, no path, no wildcard.
pub fn is_origin(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-']);
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    host_ok && port_ok
}

/// The longest key, name or title accepted.
pub const MAX_NAME_CHARS: usize = 300;

impl OrganisationDraft {
    /// Validates every field, returning all problems found.
    pub fn validate(self, id: OrganisationId) -> Result<Organisation, Problems> {
        let mut problems = Problems::default();
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 100
            && self
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !key_ok {
            problems.push(
                "/key",
                format!(
                    "key must be 1 to 100 characters of a-z, 0-9 and '-', not {:?}",
                    self.key
                ),
            );
        }
        check_text(&mut problems, "/name", &self.name, MAX_NAME_CHARS);
        let kind = field(
            &mut problems,
            "/kind",
            self.kind.parse::<OrganisationKind>(),
        );
        let ags = match self.ags.as_deref() {
            Some(ags) => field(&mut problems, "/ags", ags.parse::<Ags>()).map(Some),
            None => Some(None),
        };
        let seat = match self.seat {
            Some(seat) => problems
                .take("/seat", geometry::check_point(seat, ""))
                .map(Some),
            None => Some(None),
        };
        problems.extend(check_embed_origins(&self.embed_origins));
        if kind == Some(OrganisationKind::State) && self.parent.is_some() {
            problems.push("/parent", "the state has no parent organisation");
        }
        if kind.is_some_and(|k| k != OrganisationKind::State) && self.parent.is_none() {
            problems.push("/parent", "every organisation but the state needs a parent");
        }
        match (kind, ags, seat) {
            (Some(kind), Some(ags), Some(seat)) if problems.is_empty() => Ok(Organisation {
                id,
                key: self.key,
                name: self.name.trim().to_owned(),
                kind,
                ags,
                parent: self.parent,
                seat,
                embed_origins: self.embed_origins,
            }),
            _ => Err(problems),
        }
    }
}

/// A required text: not blank, and at most `max` characters.
pub(crate) fn check_text(problems: &mut Problems, pointer: &str, text: &str, max: usize) {
    if text.trim().is_empty() {
        problems.push(pointer, "must not be empty");
    } else if text.chars().count() > max {
        problems.push(
            pointer,
            format!(
                "is {} characters long; at most {max} are allowed",
                text.chars().count()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_of_an_organisation_is_reported() {
        let draft = OrganisationDraft {
            key: "Stadt Köln".into(),
            name: " ".into(),
            kind: "city".into(),
            ags: Some("5315".into()),
            parent: None,
            seat: Some(Point::new(6.96, 95.0)),
            embed_origins: vec!["https://beteiligung.nrw.de/portal".into(), "*".into()],
        };
        let problems = draft.validate(OrganisationId(1)).unwrap_err();
        let pointers: Vec<_> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/key",
                "/name",
                "/kind",
                "/ags",
                "/seat",
                "/embed_origins/0",
                "/embed_origins/1"
            ],
            "{problems}"
        );
        assert_eq!(
            problems.0[5].message,
            "\"https://beteiligung.nrw.de/portal\" is no origin: expected https://host or https://host:port, lowercase, without a path"
        );
        assert!(
            problems.0[2]
                .message
                .contains("expected one of: state, regional_government")
        );
    }

    #[test]
    fn a_municipality_validates() {
        let draft = OrganisationDraft {
            key: "stadt-koeln".into(),
            name: "Stadt Köln".into(),
            kind: "municipality".into(),
            ags: Some("05315000".into()),
            parent: Some(OrganisationId(3)),
            seat: Some(Point::new(6.9583, 50.9385)),
            embed_origins: vec![
                "https://www.stadt-koeln.de".into(),
                "http://127.0.0.1:8080".into(),
            ],
        };
        let org = draft.validate(OrganisationId(7)).unwrap();
        assert_eq!(org.embed_origins.len(), 2);
        assert_eq!(org.kind, OrganisationKind::Municipality);
        assert_eq!(org.ags.unwrap().as_str(), "05315000");
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for good in [
            "https://a.de",
            "http://127.0.0.1:8080",
            "https://x-y.example.org:443",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "a.de",
            "ftp://a.de",
            "https://",
            "https://A.de",
            "https://a.de/",
            "https://a.de:0",
            "https://a.de:99999",
            "https://*.a.de",
            "https://a.de:80:80",
            "https://.a.de",
            "'self'",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }

    #[test]
    fn only_the_state_is_without_parent() {
        let draft = OrganisationDraft {
            key: "kreis-paderborn".into(),
            name: "Kreis Paderborn".into(),
            kind: "district".into(),
            ..Default::default()
        };
        let problems = draft.validate(OrganisationId(1)).unwrap_err();
        assert_eq!(problems.0[0].pointer, "/parent");
    }
}
