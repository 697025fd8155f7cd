//! Procedures: the participation processes of the portal, and their areas.

use std::{collections::HashSet, fmt, str::FromStr};

use chrono::NaiveDate;
use geo::{MultiPolygon, Point};
use serde::{Deserialize, Serialize};

use crate::{
    OrganisationId, Problems, ProcedureId, geometry,
    organisation::{MAX_NAME_CHARS, UnknownValue, check_text, parse_vocabulary},
    problem::field,
};

/// The formats of participation the portal knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureKind {
    Dialog,
    Survey,
    Event,
    /// Comments on a draft law, regulation or bylaw.
    FormalProcedure,
    /// Bauleitplanung: land-use and development plans.
    LandUsePlan,
    /// A defect reporter ("Mängelmelder"): citizens report places of concern.
    Reporting,
}

impl ProcedureKind {
    pub const ALL: [Self; 6] = [
        Self::Dialog,
        Self::Survey,
        Self::Event,
        Self::FormalProcedure,
        Self::LandUsePlan,
        Self::Reporting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dialog => "dialog",
            Self::Survey => "survey",
            Self::Event => "event",
            Self::FormalProcedure => "formal_procedure",
            Self::LandUsePlan => "land_use_plan",
            Self::Reporting => "reporting",
        }
    }
}

impl FromStr for ProcedureKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_vocabulary("procedure kind", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for ProcedureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a procedure stands in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureStatus {
    Upcoming,
    Running,
    Closed,
}

impl ProcedureStatus {
    pub const ALL: [Self; 3] = [Self::Upcoming, Self::Running, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upcoming => "upcoming",
            Self::Running => "running",
            Self::Closed => "closed",
        }
    }
}

impl ProcedureStatus {
    /// The status on `today` of a procedure running from `start` to `end`:
    /// the one set by hand, else upcoming before `start`, closed after `end`,
    /// running in between.
    pub fn on(
        today: NaiveDate,
        start: NaiveDate,
        end: Option<NaiveDate>,
        status_override: Option<ProcedureStatus>,
    ) -> Self {
        if let Some(status) = status_override {
            status
        } else if today < start {
            Self::Upcoming
        } else if end.is_some_and(|end| today > end) {
            Self::Closed
        } else {
            Self::Running
        }
    }
}

impl FromStr for ProcedureStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_vocabulary("procedure status", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for ProcedureStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When the reports citizens file in a defect reporter become public.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    /// Pre-moderation: a new report is `submitted`, hidden until a moderator
    /// publishes it. The default: nothing a citizen writes is public before
    /// somebody of the authority has read it.
    #[default]
    Pre,
    /// Post-moderation: a new report is `published` at once; moderators
    /// may still reject it.
    Post,
}

impl Moderation {
    pub const ALL: [Self; 2] = [Self::Pre, Self::Post];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pre => "pre",
            Self::Post => "post",
        }
    }

    /// The status a citizen's new report starts in.
    pub fn initial_status(self) -> crate::ReportStatus {
        match self {
            Self::Pre => crate::ReportStatus::Submitted,
            Self::Post => crate::ReportStatus::Published,
        }
    }
}

impl FromStr for Moderation {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_vocabulary("moderation", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for Moderation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a procedure takes place.
#[derive(Debug, Clone, PartialEq)]
pub enum Area {
    /// An area (a Polygon is kept as a MultiPolygon of one part).
    Polygons(MultiPolygon<f64>),
    /// A single place, e.g. an event's venue.
    Point(Point<f64>),
}

/// A category of reports in a defect reporter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// A stable code (`road_damage`), unique within its procedure.
    pub code: String,
    /// The label citizens see (`Straßenschäden`).
    pub label: String,
}

/// A participation procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct Procedure {
    pub id: ProcedureId,
    pub organisation: OrganisationId,
    /// The organisation's own id of the procedure, unique within it.
    pub external_id: String,
    pub title: String,
    pub summary: String,
    pub kind: ProcedureKind,
    pub start: NaiveDate,
    /// `None`: open-ended.
    pub end: Option<NaiveDate>,
    /// A status set by hand wins over the one derived from the dates.
    pub status_override: Option<ProcedureStatus>,
    /// The procedure's page on the portal.
    pub url: String,
    /// `None` for statewide procedures such as a draft law.
    pub area: Option<Area>,
    /// The report categories; only defect reporters have them.
    pub categories: Vec<Category>,
    /// When citizens' reports become public (defect reporters only).
    pub moderation: Moderation,
    /// The published place of a citizen's report is snapped to a grid of
    /// this many metres (the exact one is kept for moderators); `None`:
    /// published as reported.
    pub location_precision_m: Option<u32>,
}

impl Procedure {
    /// The status on `today`: the one set by hand, else derived from the dates
    /// (upcoming before `start`, closed after `end`, running in between).
    pub fn status(&self, today: NaiveDate) -> ProcedureStatus {
        ProcedureStatus::on(today, self.start, self.end, self.status_override)
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// Where a citizen's report at `exact` is shown: snapped to the
    /// procedure's grid of [`Procedure::location_precision_m`] metres
    /// (latitude first, then longitude in metres along that latitude), or
    /// `exact`.
    pub fn published_location(&self, exact: Point<f64>) -> Point<f64> {
        let Some(metres) = self.location_precision_m.filter(|m| *m > 0) else {
            return exact;
        };
        let step = f64::from(metres) / METRES_PER_DEGREE;
        let lat = (exact.y() / step).round() * step;
        let lon_step = step / lat.to_radians().cos().max(0.01);
        Point::new((exact.x() / lon_step).round() * lon_step, lat)
    }
}

/// Metres of a degree of latitude (and of longitude at the equator), near
/// enough for grids and search boxes of tens of metres.
pub const METRES_PER_DEGREE: f64 = 111_320.0;

/// The coarsest grid published locations may be snapped to.
pub const MAX_LOCATION_PRECISION_M: i64 = 1000;

/// The raw values of a procedure, as a file or a request brings them.
#[derive(Debug, Clone, Default)]
pub struct ProcedureDraft {
    pub organisation: Option<OrganisationId>,
    pub external_id: String,
    pub title: String,
    pub summary: String,
    pub kind: String,
    pub start: String,
    pub end: Option<String>,
    pub status: Option<String>,
    pub url: String,
    pub area: Option<Area>,
    pub categories: Vec<(String, String)>,
    /// `pre` (the default) or `post`.
    pub moderation: Option<String>,
    /// Metres, 1 to [`MAX_LOCATION_PRECISION_M`].
    pub location_precision_m: Option<i64>,
}

/// The longest summary accepted.
pub const MAX_SUMMARY_CHARS: usize = 4000;

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("expected a date as YYYY-MM-DD, not {s:?}"))
}

/// An identifier chosen by people: 1 to 100 of `A-Z a-z 0-9 . _ : -`.
pub(crate) fn check_identifier(problems: &mut Problems, pointer: &str, id: &str) {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if !ok {
        problems.push(
            pointer,
            format!(
                "must be 1 to 100 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-', not {id:?}"
            ),
        );
    }
}

impl ProcedureDraft {
    /// Validates every field, returning all problems found.
    pub fn validate(self, id: ProcedureId) -> Result<Procedure, Problems> {
        let mut problems = Problems::default();
        if self.organisation.is_none() {
            problems.push("/organisation", "the organisation is unknown");
        }
        check_identifier(&mut problems, "/external_id", &self.external_id);
        check_text(&mut problems, "/title", &self.title, MAX_NAME_CHARS);
        if self.summary.chars().count() > MAX_SUMMARY_CHARS {
            problems.push(
                "/summary",
                format!("is longer than {MAX_SUMMARY_CHARS} characters"),
            );
        }
        let kind = field(&mut problems, "/kind", self.kind.parse::<ProcedureKind>());
        let start = field(&mut problems, "/start", parse_date(&self.start));
        let end = match self.end.as_deref() {
            Some(end) => field(&mut problems, "/end", parse_date(end)).map(Some),
            None => Some(None),
        };
        if let (Some(start), Some(Some(end))) = (start, end)
            && end < start
        {
            problems.push("/end", format!("ends ({end}) before it starts ({start})"));
        }
        let status_override = match self.status.as_deref() {
            Some(s) => field(&mut problems, "/status", s.parse::<ProcedureStatus>()).map(Some),
            None => Some(None),
        };
        if !(self.url.starts_with("https://") || self.url.starts_with("http://"))
            || self.url.len() > 2000
            || self.url.chars().any(char::is_whitespace)
        {
            problems.push(
                "/url",
                format!(
                    "must be an http(s) URL of at most 2000 characters, not {:?}",
                    self.url
                ),
            );
        }
        let area = match self.area {
            Some(Area::Polygons(polygons)) => problems
                .take("", geometry::check_area(polygons, "/geometry"))
                .map(|p| Some(Area::Polygons(p))),
            Some(Area::Point(point)) => problems
                .take("", geometry::check_point(point, "/geometry"))
                .map(|p| Some(Area::Point(p))),
            None => Some(None),
        };
        let moderation = match self.moderation.as_deref() {
            Some(m) => field(&mut problems, "/moderation", m.parse::<Moderation>()),
            None => Some(Moderation::default()),
        };
        if self.moderation.is_some() && kind.is_some_and(|k| k != ProcedureKind::Reporting) {
            problems.push(
                "/moderation",
                "only reporting procedures take citizens' reports to moderate",
            );
        }
        let location_precision_m = match self.location_precision_m {
            Some(m) if (1..=MAX_LOCATION_PRECISION_M).contains(&m) => u32::try_from(m).ok(),
            Some(m) => {
                problems.push(
                    "/location_precision_m",
                    format!("must be 1 to {MAX_LOCATION_PRECISION_M} metres, not {m}"),
                );
                None
            }
            None => None,
        };
        if self.location_precision_m.is_some()
            && kind.is_some_and(|k| k != ProcedureKind::Reporting)
        {
            problems.push(
                "/location_precision_m",
                "only reporting procedures publish citizens' report locations",
            );
        }
        let mut codes = HashSet::new();
        for (i, (code, label)) in self.categories.iter().enumerate() {
            let ok = !code.is_empty()
                && code.len() <= 50
                && code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                problems.push(
                    format!("/categories/{i}/code"),
                    format!("must be 1 to 50 characters of a-z, 0-9 and '_', not {code:?}"),
                );
            } else if !codes.insert(code.as_str()) {
                problems.push(
                    format!("/categories/{i}/code"),
                    format!("category {code:?} is listed twice"),
                );
            }
            check_text(&mut problems, &format!("/categories/{i}/label"), label, 100);
        }
        if kind == Some(ProcedureKind::Reporting) {
            if self.categories.is_empty() {
                problems.push(
                    "/categories",
                    "a reporting procedure needs at least one category",
                );
            }
            if !matches!(area, Some(Some(Area::Polygons(_))) | None) {
                problems.push(
                    "/geometry",
                    "a reporting procedure needs an area (Polygon or MultiPolygon) to report in",
                );
            }
        } else if kind.is_some() && !self.categories.is_empty() {
            problems.push(
                "/categories",
                "only reporting procedures have report categories",
            );
        }
        match (
            self.organisation,
            kind,
            start,
            end,
            status_override,
            area,
            moderation,
        ) {
            (
                Some(organisation),
                Some(kind),
                Some(start),
                Some(end),
                Some(status_override),
                Some(area),
                Some(moderation),
            ) if problems.is_empty() => Ok(Procedure {
                id,
                organisation,
                external_id: self.external_id,
                title: self.title.trim().to_owned(),
                summary: self.summary,
                kind,
                start,
                end,
                status_override,
                url: self.url,
                area,
                categories: self
                    .categories
                    .into_iter()
                    .map(|(code, label)| Category { code, label })
                    .collect(),
                moderation,
                location_precision_m,
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use geo::polygon;

    use super::*;

    fn draft() -> ProcedureDraft {
        ProcedureDraft {
            organisation: Some(OrganisationId(1)),
            external_id: "maengelmelder".into(),
            title: "Mängelmelder Siegen".into(),
            summary: "Melden Sie Schäden.".into(),
            kind: "reporting".into(),
            start: "2026-01-01".into(),
            end: Some("2028-12-31".into()),
            status: None,
            url: "https://beteiligung.nrw.de/portal/siegen".into(),
            area: Some(Area::Polygons(MultiPolygon(vec![polygon![
                (x: 8.0, y: 50.86), (x: 8.05, y: 50.86), (x: 8.05, y: 50.89), (x: 8.0, y: 50.89)
            ]]))),
            categories: vec![("road_damage".into(), "Straßenschäden".into())],
            moderation: Some("post".into()),
            location_precision_m: None,
        }
    }

    #[test]
    fn published_locations_snap_to_the_procedure_grid() {
        let mut p = draft().validate(ProcedureId(1)).unwrap();
        let exact = Point::new(8.023_456, 50.875_432);
        assert_eq!(p.published_location(exact), exact);
        p.location_precision_m = Some(100);
        let shown = p.published_location(exact);
        assert_ne!(shown, exact);
        // Within half a cell of the exact place in both directions.
        let dy = (shown.y() - exact.y()).abs() * 111_320.0;
        let dx = (shown.x() - exact.x()).abs() * 111_320.0 * shown.y().to_radians().cos();
        assert!(dy <= 50.0 + 1e-6 && dx <= 50.0 + 1e-6, "{dx} {dy}");
        // On the grid: every report of the cell is shown at the same place.
        assert_eq!(p.published_location(Point::new(8.023_47, 50.875_44)), shown);
    }

    #[test]
    fn status_follows_the_dates_unless_set() {
        let mut p = draft().validate(ProcedureId(1)).unwrap();
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(p.status(day("2025-12-31")), ProcedureStatus::Upcoming);
        assert_eq!(p.status(day("2026-01-01")), ProcedureStatus::Running);
        assert_eq!(p.status(day("2028-12-31")), ProcedureStatus::Running);
        assert_eq!(p.status(day("2029-01-01")), ProcedureStatus::Closed);
        p.end = None;
        assert_eq!(p.status(day("2099-01-01")), ProcedureStatus::Running);
        p.status_override = Some(ProcedureStatus::Closed);
        assert_eq!(p.status(day("2027-01-01")), ProcedureStatus::Closed);
    }

    /// A change to a valid draft, the pointer and the message it must cause.
    type Case = (fn(&mut ProcedureDraft), &'static str, &'static str);

    #[test]
    fn every_problem_of_a_procedure_is_reported() {
        let cases: Vec<Case> = vec![
            (
                |d| d.organisation = None,
                "/organisation",
                "organisation is unknown",
            ),
            (
                |d| d.external_id = "a b".into(),
                "/external_id",
                "must be 1 to 100 characters",
            ),
            (|d| d.title = "".into(), "/title", "must not be empty"),
            (
                |d| d.title = "x".repeat(301),
                "/title",
                "301 characters long",
            ),
            (
                |d| d.kind = "hearing".into(),
                "/kind",
                "unknown procedure kind \"hearing\"",
            ),
            (
                |d| d.start = "1.1.2026".into(),
                "/start",
                "expected a date as YYYY-MM-DD",
            ),
            (
                |d| d.end = Some("2025-01-01".into()),
                "/end",
                "ends (2025-01-01) before it starts (2026-01-01)",
            ),
            (
                |d| d.status = Some("open".into()),
                "/status",
                "unknown procedure status \"open\"",
            ),
            (
                |d| d.url = "javascript:alert(1)".into(),
                "/url",
                "must be an http(s) URL",
            ),
            (
                |d| d.categories.clear(),
                "/categories",
                "needs at least one category",
            ),
            (
                |d| d.location_precision_m = Some(0),
                "/location_precision_m",
                "must be 1 to 1000 metres, not 0",
            ),
            (
                |d| d.moderation = Some("later".into()),
                "/moderation",
                "unknown moderation \"later\"; expected one of: pre, post",
            ),
            (
                |d| {
                    d.kind = "survey".into();
                    d.categories.clear();
                },
                "/moderation",
                "only reporting procedures take citizens' reports to moderate",
            ),
            (
                |d| d.categories.push(("road_damage".into(), "Nochmal".into())),
                "/categories/1/code",
                "listed twice",
            ),
            (
                |d| d.categories[0].0 = "Road Damage".into(),
                "/categories/0/code",
                "must be 1 to 50 characters",
            ),
            (
                |d| d.area = Some(Area::Point(Point::new(8.0, 50.9))),
                "/geometry",
                "needs an area",
            ),
            (
                |d| {
                    d.kind = "survey".into();
                    d.moderation = None;
                },
                "/categories",
                "only reporting procedures",
            ),
        ];
        for (change, pointer, message) in cases {
            let mut d = draft();
            change(&mut d);
            let problems = d.validate(ProcedureId(1)).unwrap_err();
            assert_eq!(problems.0.len(), 1, "{pointer}: {problems}");
            assert_eq!(problems.0[0].pointer, pointer, "{problems}");
            assert!(
                problems.0[0].message.contains(message),
                "{pointer}: {problems}"
            );
        }
    }

    #[test]
    fn all_problems_come_at_once() {
        let mut d = draft();
        d.title.clear();
        d.kind = "x".into();
        d.start = "x".into();
        let problems = d.validate(ProcedureId(1)).unwrap_err();
        assert_eq!(problems.0.len(), 3, "{problems}");
    }
}
