//! Citizens' reports in defect reporters, and the reporter's private contact.

use std::{borrow::Cow, fmt, str::FromStr};

use chrono::{DateTime, Utc};
use geo::Point;
use serde::{Deserialize, Serialize};

use crate::{
    Problems, ProcedureId, ReportId, geometry,
    organisation::{UnknownValue, check_text, parse_vocabulary},
    problem::field,
};

/// Where a report stands in moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Received, not yet moderated: not public.
    Submitted,
    Published,
    InProgress,
    Resolved,
    /// Not public.
    Rejected,
}

impl ReportStatus {
    pub const ALL: [Self; 5] = [
        Self::Submitted,
        Self::Published,
        Self::InProgress,
        Self::Resolved,
        Self::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Published => "published",
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Rejected => "rejected",
        }
    }

    /// Whether a report in this status may be shown to the public.
    pub fn is_public(self) -> bool {
        matches!(self, Self::Published | Self::InProgress | Self::Resolved)
    }

    /// Public and not yet resolved: where a new report of the same place
    /// is likely a duplicate.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Published | Self::InProgress)
    }

    /// The statuses a moderator may move a report to from this one.
    /// Rejection is final; a resolved report may be taken up again (the
    /// pothole came back).
    pub fn next(self) -> &'static [Self] {
        match self {
            Self::Submitted => &[Self::Published, Self::Rejected],
            Self::Published => &[Self::InProgress, Self::Resolved, Self::Rejected],
            Self::InProgress => &[Self::Resolved, Self::Rejected],
            Self::Resolved => &[Self::InProgress],
            Self::Rejected => &[],
        }
    }
}

/// The longest public status note a moderator may write.
pub const MAX_NOTE_CHARS: usize = 1000;

/// A moderator's decision on a report, as the request brings it: a new
/// status, a public note on it, an edited description (the original is
/// kept by the store).
#[derive(Debug, Clone, Default)]
pub struct DecisionDraft {
    pub status: Option<String>,
    pub note: Option<String>,
    pub description: Option<String>,
}

/// A valid decision; `status` is the report's status after it (the same
/// when only the note or the text changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub status: ReportStatus,
    pub note: Option<String>,
    pub description: Option<String>,
}

impl DecisionDraft {
    /// Checks the decision against the report's status now.
    pub fn validate(self, current: ReportStatus) -> Result<Decision, Problems> {
        let mut problems = Problems::default();
        if self.status.is_none() && self.note.is_none() && self.description.is_none() {
            problems.push(
                "",
                "nothing to decide: give a status, a note or a description",
            );
        }
        let status = match self.status.as_deref() {
            Some(s) => field(&mut problems, "/status", s.parse::<ReportStatus>()),
            None => Some(current),
        };
        if let Some(to) = status
            && to != current
            && !current.next().contains(&to)
        {
            let allowed = current.next();
            problems.push(
                "/status",
                if allowed.is_empty() {
                    format!("a report cannot go from {current} to {to}: {current} is final")
                } else {
                    format!(
                        "a report cannot go from {current} to {to}; from {current} it can go to {}",
                        allowed
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            );
        }
        if let Some(note) = &self.note {
            check_text(&mut problems, "/note", note, MAX_NOTE_CHARS);
        }
        if status == Some(ReportStatus::Rejected)
            && current != ReportStatus::Rejected
            && self.note.as_deref().is_none_or(|n| n.trim().is_empty())
            && !problems.iter().any(|p| p.pointer == "/note")
        {
            problems.push(
                "/note",
                "a rejection needs a reason: the note is shown with the report's status",
            );
        }
        if let Some(d) = &self.description {
            check_text(&mut problems, "/description", d, MAX_DESCRIPTION_CHARS);
        }
        match status {
            Some(status) if problems.is_empty() => Ok(Decision {
                status,
                note: self.note.map(|n| n.trim().to_owned()),
                description: self.description,
            }),
            _ => Err(problems),
        }
    }
}

impl FromStr for ReportStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_vocabulary("report status", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for ReportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reporter's contact. Private: it is stored, never shown. Its `Debug`
/// is redacted so that it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    email: String,
}

impl Contact {
    /// A plausible e-mail address: one '@' with text on both sides, a dot in
    /// the domain, no white space, at most 254 characters (RFC 5321).
    pub fn parse(email: &str) -> Result<Self, String> {
        let email = email.trim();
        let plausible = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if plausible {
            Ok(Self {
                email: email.to_owned(),
            })
        } else {
            Err("is not a plausible e-mail address".to_owned())
        }
    }

    /// The address, for the store and for moderators only.
    pub fn email(&self) -> &str {
        &self.email
    }
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Contact(<redacted>)")
    }
}

/// A citizen's report of a place of concern.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: ReportId,
    pub procedure: ProcedureId,
    /// The id an importing organisation gave it, unique within the
    /// procedure (imports match on it); `None` for reports filed by
    /// citizens.
    pub external_id: Option<String>,
    /// A code of the procedure's categories.
    pub category: String,
    pub description: String,
    pub status: ReportStatus,
    pub location: Point<f64>,
    pub created: DateTime<Utc>,
    pub contact: Option<Contact>,
}

/// The raw values of a report. Whether the category belongs to the procedure
/// and the place lies in its area is checked against the procedure by
/// [`ReportDraft::validate`].
///
/// The texts may be borrowed from what was read (an import reads a million
/// of them; only category and description are kept).
#[derive(Debug, Clone)]
pub struct ReportDraft<'a> {
    pub category: Cow<'a, str>,
    pub description: Cow<'a, str>,
    pub status: Option<Cow<'a, str>>,
    pub location: Point<f64>,
    pub created: Option<Cow<'a, str>>,
    pub contact_email: Option<Cow<'a, str>>,
}

/// The longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;

impl ReportDraft<'_> {
    /// Validates the report against the procedure it is filed in. `now` is the
    /// creation time when the draft brings none.
    pub fn validate(
        self,
        id: ReportId,
        procedure: &crate::Procedure,
        now: DateTime<Utc>,
    ) -> Result<Report, Problems> {
        use geo::Intersects;
        let mut problems = Problems::default();
        if procedure.kind != crate::ProcedureKind::Reporting {
            problems.push(
                "",
                format!(
                    "procedure {:?} is a {}, not a reporting procedure",
                    procedure.external_id, procedure.kind
                ),
            );
        } else if procedure.category(&self.category).is_none() {
            problems.push(
                "/category",
                format!(
                    "unknown category {:?}; procedure {:?} has: {}",
                    self.category,
                    procedure.external_id,
                    procedure
                        .categories
                        .iter()
                        .map(|c| c.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        check_text(
            &mut problems,
            "/description",
            &self.description,
            MAX_DESCRIPTION_CHARS,
        );
        let status = match self.status.as_deref() {
            Some(s) => field(&mut problems, "/status", s.parse::<ReportStatus>()),
            None => Some(ReportStatus::Submitted),
        };
        let created = match self.created.as_deref() {
            Some(s) => field(
                &mut problems,
                "/created",
                DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| format!("expected an RFC 3339 time, not {s:?}")),
            ),
            None => Some(now),
        };
        let contact = match self.contact_email.as_deref() {
            Some(email) => field(&mut problems, "/contact_email", Contact::parse(email)).map(Some),
            None => Some(None),
        };
        let location = problems.take("", geometry::check_point(self.location, "/geometry"));
        if let (Some(location), Some(crate::Area::Polygons(area))) = (location, &procedure.area)
            // Polygon by polygon: the multipolygon's own `intersects` computes
            // its bounding box first, on every call — a tenth of an import's time.
            && !area.iter().any(|polygon| polygon.intersects(&location))
        {
            problems.push(
                "/geometry",
                format!(
                    "the point ({}, {}) lies outside the area of procedure {:?}",
                    location.x(),
                    location.y(),
                    procedure.external_id
                ),
            );
        }
        match (status, created, contact, location) {
            (Some(status), Some(created), Some(contact), Some(location)) if problems.is_empty() => {
                Ok(Report {
                    id,
                    procedure: procedure.id,
                    external_id: None,
                    category: self.category.into_owned(),
                    description: self.description.into_owned(),
                    status,
                    location,
                    created,
                    contact,
                })
            }
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use geo::{MultiPolygon, polygon};

    use super::*;
    use crate::{Area, Category, OrganisationId, Procedure, ProcedureKind};

    fn procedure() -> Procedure {
        Procedure {
            id: ProcedureId(4),
            organisation: OrganisationId(1),
            external_id: "maengelmelder".into(),
            title: "Mängelmelder".into(),
            summary: String::new(),
            kind: ProcedureKind::Reporting,
            start: chrono::NaiveDate::MIN,
            end: None,
            status_override: None,
            url: "https://example.org".into(),
            area: Some(Area::Polygons(MultiPolygon(vec![polygon![
                (x: 8.0, y: 50.86), (x: 8.05, y: 50.86), (x: 8.05, y: 50.89), (x: 8.0, y: 50.89)
            ]]))),
            categories: vec![Category {
                code: "litter".into(),
                label: "Müll".into(),
            }],
            moderation: Default::default(),
            location_precision_m: None,
        }
    }

    fn draft() -> ReportDraft<'static> {
        ReportDraft {
            category: "litter".into(),
            description: "Wilder Müll am Weg".into(),
            status: None,
            location: Point::new(8.02, 50.87),
            created: None,
            contact_email: Some("melder@example.org".into()),
        }
    }

    #[test]
    fn a_report_inside_the_area_validates() {
        let report = draft()
            .validate(ReportId(1), &procedure(), Utc::now())
            .unwrap();
        assert_eq!(report.status, ReportStatus::Submitted);
        assert_eq!(format!("{:?}", report.contact), "Some(Contact(<redacted>))");
    }

    /// A change to a valid draft, the pointer and the message it must cause.
    type Case = (fn(&mut ReportDraft<'static>), &'static str, &'static str);

    #[test]
    fn moderators_decide_along_the_allowed_transitions() {
        use ReportStatus::*;
        let decide = |from: ReportStatus, to: &str, note: Option<&str>| {
            DecisionDraft {
                status: Some(to.to_owned()),
                note: note.map(str::to_owned),
                description: None,
            }
            .validate(from)
        };
        assert_eq!(
            decide(Submitted, "published", None).map(|d| d.status),
            Ok(Published)
        );
        assert_eq!(
            decide(Published, "in_progress", None).map(|d| d.status),
            Ok(InProgress)
        );
        assert_eq!(
            decide(InProgress, "resolved", Some("Repariert")).map(|d| d.status),
            Ok(Resolved)
        );
        assert_eq!(
            decide(Published, "rejected", Some("Kein Mangel")).map(|d| d.status),
            Ok(Rejected)
        );
        // Table: from, to, note, pointer, message.
        let cases = [
            (
                Resolved,
                "submitted",
                None,
                "/status",
                "a report cannot go from resolved to submitted; from resolved it can go to in_progress",
            ),
            (
                Rejected,
                "published",
                None,
                "/status",
                "a report cannot go from rejected to published: rejected is final",
            ),
            (
                Submitted,
                "in_progress",
                None,
                "/status",
                "a report cannot go from submitted to in_progress; from submitted it can go to published, rejected",
            ),
            (
                Submitted,
                "rejected",
                None,
                "/note",
                "a rejection needs a reason: the note is shown with the report's status",
            ),
            (
                Submitted,
                "rejected",
                Some("  "),
                "/note",
                "must not be empty",
            ),
            (
                Submitted,
                "gone",
                None,
                "/status",
                "unknown report status \"gone\"",
            ),
        ];
        for (from, to, note, pointer, message) in cases {
            let problems = decide(from, to, note).expect_err(to);
            assert!(
                problems
                    .iter()
                    .any(|p| p.pointer == pointer && p.message.starts_with(message)),
                "{from} -> {to}: {problems:?}"
            );
        }
        let nothing = DecisionDraft::default()
            .validate(Published)
            .expect_err("empty");
        assert_eq!(
            nothing.0[0].message,
            "nothing to decide: give a status, a note or a description"
        );
        let long = DecisionDraft {
            note: Some("x".repeat(MAX_NOTE_CHARS + 1)),
            ..DecisionDraft::default()
        }
        .validate(Published)
        .expect_err("long note");
        assert_eq!(long.0[0].pointer, "/note");
    }

    #[test]
    fn every_problem_of_a_report_is_reported() {
        let cases: Vec<Case> = vec![
            (
                |d| d.category = "graffiti".into(),
                "/category",
                "unknown category \"graffiti\"; procedure \"maengelmelder\" has: litter",
            ),
            (
                |d| d.description = " ".into(),
                "/description",
                "must not be empty",
            ),
            (
                |d| d.description = "x".repeat(4001).into(),
                "/description",
                "4001 characters long",
            ),
            (
                |d| d.status = Some("done".into()),
                "/status",
                "unknown report status \"done\"",
            ),
            (
                |d| d.created = Some("gestern".into()),
                "/created",
                "expected an RFC 3339 time",
            ),
            (
                |d| d.contact_email = Some("no-at-sign".into()),
                "/contact_email",
                "not a plausible e-mail",
            ),
            (
                |d| d.location = Point::new(9.0, 50.87),
                "/geometry",
                "lies outside the area of procedure \"maengelmelder\"",
            ),
            (
                |d| d.location = Point::new(f64::NAN, 50.87),
                "/geometry",
                "must be finite",
            ),
        ];
        for (change, pointer, message) in cases {
            let mut d = draft();
            change(&mut d);
            let problems = d
                .validate(ReportId(1), &procedure(), Utc::now())
                .unwrap_err();
            assert_eq!(problems.0.len(), 1, "{pointer}: {problems}");
            assert_eq!(problems.0[0].pointer, pointer, "{problems}");
            assert!(
                problems.0[0].message.contains(message),
                "{pointer}: {problems}"
            );
        }
    }
}
