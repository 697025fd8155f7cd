//! Imports of GIS staff: a GeoJSON body of any size, read as it arrives,
//! reprojected to WGS84, validated feature by feature, and written in one
//! transaction — all of it, or nothing.
//!
//! [`Import`] is fed the body's bytes ([`Import::push`]) and finished
//! ([`Import::finish`]); the HTTP endpoint and the CLI both drive it. Every
//! feature is validated even after one was rejected (the answer lists them
//! all, up to [`MAX_LISTED`]), but nothing is written after the first
//! rejection and the transaction is dropped: the store stays as it was. A
//! dry run validates and writes inside the transaction (so the database's
//! own checks run too) and drops it.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use geojson::{Feature, GeometryValue, JsonValue};
use partimap_model::{OrganisationId, Problem, Problems, Procedure, ProcedureId, Report};
use partimap_store::{Store, WriteTx};
use serde::Serialize;

use crate::{
    crs::{self, Crs, ToWgs84},
    features,
    reader::{Item, Position, Splitter, SyntaxError},
};

/// At most this many rejected features are listed in an answer (all are
/// counted).
pub const MAX_LISTED: usize = 1000;

/// Which layer a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Procedures,
    Reports,
}

impl Layer {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "procedures" => Some(Self::Procedures),
            "reports" => Some(Self::Reports),
            _ => None,
        }
    }
}

/// How the file meets what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// New features are inserted, procedures whose external id exists are
    /// updated (or left when equal).
    Upsert,
    /// As upsert, and the organisation's procedures missing from the file
    /// are deleted with their reports: its set equals the file.
    Replace,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "upsert" => Some(Self::Upsert),
            "replace" => Some(Self::Replace),
            _ => None,
        }
    }
}

/// What an import is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub layer: Layer,
    /// From the request; `None`: the file's legacy `crs` member, else WGS84.
    pub crs: Option<Crs>,
    pub mode: Mode,
    pub dry_run: bool,
    /// The organisation whose data this is (the token's, or chosen by an
    /// admin).
    pub organisation: OrganisationId,
    pub organisation_key: String,
}

/// A rejected feature in the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// Its position in the file (from 0).
    pub index: usize,
    /// Its id in the file (external id of a procedure, `id` of a report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where it starts in the file.
    pub line: u64,
    pub column: u64,
    /// What is wrong, each with a JSON pointer into the feature (and for
    /// malformed JSON, the line and column of the error in the message).
    pub problems: Vec<Problem>,
}

/// The answer of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub layer: Layer,
    pub organisation: String,
    pub crs: String,
    pub mode: Mode,
    pub dry_run: bool,
    /// Whether the changes are in the store now. When features were
    /// rejected nothing is, and the counts below are 0; a clean dry run
    /// counts what it would have done.
    pub committed: bool,
    pub features: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub rejected: usize,
    pub rejections: Vec<Rejected>,
    /// More were rejected than listed.
    pub rejections_truncated: bool,
    /// The change sequence number of the commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
}

/// Why an import stopped before its end (nothing is written then).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The body is not readable as GeoJSON.
    #[error("the body is not GeoJSON: {0}")]
    Syntax(#[from] SyntaxError),
    /// A FeatureCollection member contradicts the request.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] partimap_store::Error),
}

/// An import under way; see the module documentation.
#[derive(Debug)]
pub struct Import {
    options: Options,
    tx: WriteTx,
    splitter: Splitter,
    items: Vec<Item>,
    transform: ToWgs84,
    crs_fixed: bool,
    outcome: Outcome,
    /// Ids seen in the file, with the feature that had them first.
    seen: HashMap<String, usize>,
    /// Procedures of the organisation by external id, as looked up (reports).
    procedures: HashMap<String, Option<Procedure>>,
    /// External ids of the procedures in the file (replace).
    in_file: HashSet<String>,
    pending: Vec<Report>,
    now: chrono::DateTime<Utc>,
}

/// Reports are written in batches of this many.
const BATCH: usize = 2000;

impl Import {
    pub async fn begin(store: &Store, options: Options) -> Result<Self, ImportError> {
        let crs = options.crs.unwrap_or(Crs::Wgs84);
        let outcome = Outcome {
            layer: options.layer,
            organisation: options.organisation_key.clone(),
            crs: crs.to_string(),
            mode: options.mode,
            dry_run: options.dry_run,
            committed: false,
            features: 0,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            deleted: 0,
            rejected: 0,
            rejections: Vec::new(),
            rejections_truncated: false,
            seq: None,
        };
        Ok(Self {
            crs_fixed: options.crs.is_some(),
            options,
            tx: store.begin().await?,
            splitter: Splitter::default(),
            items: Vec::new(),
            transform: ToWgs84::new(crs),
            outcome,
            seen: HashMap::new(),
            procedures: HashMap::new(),
            in_file: HashSet::new(),
            pending: Vec::new(),
            now: Utc::now(),
        })
    }

    /// Features read so far.
    pub fn features(&self) -> usize {
        self.outcome.features
    }

    /// Reads the next piece of the body.
    pub async fn push(&mut self, bytes: &[u8]) -> Result<(), ImportError> {
        let mut items = std::mem::take(&mut self.items);
        self.splitter.push(bytes, &mut items)?;
        for item in items.drain(..) {
            self.item(item).await?;
        }
        self.items = items;
        Ok(())
    }

    /// The end of the body: commits unless something was rejected or it is
    /// a dry run.
    pub async fn finish(mut self) -> Result<Outcome, ImportError> {
        let mut items = std::mem::take(&mut self.items);
        self.splitter.finish(&mut items)?;
        for item in items {
            self.item(item).await?;
        }
        if self.outcome.features == 0 && self.outcome.rejected == 0 {
            return Err(ImportError::Invalid(
                "the body holds no features".to_owned(),
            ));
        }
        self.flush().await?;
        if self.writing() && self.options.mode == Mode::Replace {
            self.delete_missing().await?;
        }
        if self.outcome.rejected == 0 && !self.options.dry_run {
            self.outcome.seq = Some(self.tx.commit().await?);
            self.outcome.committed = true;
        } else if self.outcome.rejected > 0 {
            // The transaction is dropped: nothing was written, and the
            // counts say so (a dry run keeps what it would have done).
            self.outcome.inserted = 0;
            self.outcome.updated = 0;
            self.outcome.unchanged = 0;
            self.outcome.deleted = 0;
        }
        Ok(self.outcome)
    }

    /// Whether features are still written (nothing rejected so far).
    fn writing(&self) -> bool {
        self.outcome.rejected == 0
    }

    async fn item(&mut self, item: Item) -> Result<(), ImportError> {
        match item {
            Item::Member { name, at, text } => self.member(&name, at, &text),
            Item::Feature { index, at, text } => {
                self.outcome.features += 1;
                self.feature(index, at, &text).await
            }
        }
    }

    fn member(&mut self, name: &str, at: Position, text: &[u8]) -> Result<(), ImportError> {
        let value: JsonValue = serde_json::from_slice(text).map_err(|e| {
            ImportError::Invalid(format!("the {name} member at {at} is not JSON: {e}"))
        })?;
        match name {
            "type" if value != "FeatureCollection" => Err(ImportError::Invalid(format!(
                "expected a FeatureCollection, not {value} (type member at {at})"
            ))),
            "crs" => {
                let named = value
                    .pointer("/properties/name")
                    .and_then(JsonValue::as_str)
                    .ok_or_else(|| {
                        ImportError::Invalid(format!(
                            "the crs member at {at} has no properties.name; expected {{\"type\": \"name\", \"properties\": {{\"name\": \"urn:ogc:def:crs:EPSG::25832\"}}}}"
                        ))
                    })?;
                let crs = Crs::parse(named).ok_or_else(|| {
                    ImportError::Invalid(format!(
                        "unsupported crs {named:?} (crs member at {at}); supported: {}",
                        crs::SUPPORTED
                    ))
                })?;
                if self.crs_fixed && crs != self.transform.crs() {
                    return Err(ImportError::Invalid(format!(
                        "the file's crs member ({crs}, at {at}) contradicts the crs parameter ({})",
                        self.transform.crs()
                    )));
                }
                if self.outcome.features > 0 {
                    return Err(ImportError::Invalid(format!(
                        "the crs member at {at} comes after features; it must come before them"
                    )));
                }
                self.transform = ToWgs84::new(crs);
                self.outcome.crs = crs.to_string();
                self.crs_fixed = true;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn reject(&mut self, index: usize, id: Option<String>, at: Position, problems: Vec<Problem>) {
        self.outcome.rejected += 1;
        if self.outcome.rejections.len() < MAX_LISTED {
            self.outcome.rejections.push(Rejected {
                index,
                id,
                line: at.line,
                column: at.column,
                problems,
            });
        } else {
            self.outcome.rejections_truncated = true;
        }
    }

    async fn feature(
        &mut self,
        index: usize,
        at: Position,
        text: &[u8],
    ) -> Result<(), ImportError> {
        let value: JsonValue = match serde_json::from_slice(text) {
            Ok(v) => v,
            Err(e) => {
                let place = at.within(e.line(), e.column());
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message);
                self.reject(
                    index,
                    None,
                    at,
                    vec![Problem::new(
                        "",
                        format!("malformed JSON at {place}: {message}"),
                    )],
                );
                return Ok(());
            }
        };
        let kind = value.get("type").and_then(JsonValue::as_str);
        if kind != Some("Feature") {
            let what = match kind {
                Some(k) => format!("type {k:?}"),
                None => features::json_type(&value).to_owned(),
            };
            self.reject(
                index,
                None,
                at,
                vec![Problem::new("", format!("not a GeoJSON Feature ({what})"))],
            );
            return Ok(());
        }
        let mut feature = match serde_json::from_value::<Feature>(value) {
            Ok(f) => f,
            Err(e) => {
                self.reject(
                    index,
                    None,
                    at,
                    vec![Problem::new(
                        "",
                        format!("not a valid GeoJSON Feature: {e}"),
                    )],
                );
                return Ok(());
            }
        };
        let mut problems = Problems::default();
        if let Some(geometry) = &mut feature.geometry {
            reproject(&mut geometry.value, &self.transform, &mut problems);
        }
        match self.options.layer {
            Layer::Procedures => self.procedure(index, at, &feature, problems).await,
            Layer::Reports => self.report(index, at, &feature, problems).await,
        }
    }

    /// Checks the `organisation` property against the import's.
    fn check_organisation(&self, props: &geojson::JsonObject, problems: &mut Problems) {
        match features::optional_string(props, "organisation") {
            Ok(Some(key)) if key != self.options.organisation_key => problems.push(
                "/properties/organisation",
                format!(
                    "belongs to {key:?}; this import is for {:?}",
                    self.options.organisation_key
                ),
            ),
            Ok(_) => {}
            Err(p) => problems.0.push(p),
        }
    }

    /// Records `id` as seen in feature `index`; a problem when it was seen
    /// before.
    fn check_unique(&mut self, id: &str, index: usize, pointer: &str, problems: &mut Problems) {
        if id.is_empty() {
            return;
        }
        if let Some(first) = self.seen.get(id) {
            problems.push(
                pointer,
                format!("{id:?} appears twice in the file (first in feature {first})"),
            );
        } else {
            self.seen.insert(id.to_owned(), index);
        }
    }

    async fn procedure(
        &mut self,
        index: usize,
        at: Position,
        feature: &Feature,
        mut problems: Problems,
    ) -> Result<(), ImportError> {
        let props = features::properties(feature);
        self.check_organisation(&props, &mut problems);
        let organisation = self.options.organisation;
        let draft = features::procedure_draft(feature, &props, Some(organisation), &mut problems);
        let external_id = draft.external_id.clone();
        self.check_unique(
            &external_id,
            index,
            "/properties/external_id",
            &mut problems,
        );
        let existing = if external_id.is_empty() {
            None
        } else {
            self.tx
                .procedure_by_external_id(organisation, &external_id)
                .await?
        };
        let id = match &existing {
            Some(p) => p.id,
            None => ProcedureId(0),
        };
        let validated = match draft.validate(id) {
            Ok(p) => Some(p),
            Err(found) => {
                problems.extend(features::in_feature(found));
                None
            }
        };
        let Some(mut procedure) = validated.filter(|_| problems.is_empty()) else {
            let id = Some(external_id).filter(|e| !e.is_empty());
            self.reject(index, id, at, problems.0);
            return Ok(());
        };
        self.in_file.insert(external_id);
        if !self.writing() {
            return Ok(());
        }
        match existing {
            Some(old) if old == procedure => self.outcome.unchanged += 1,
            Some(_) => {
                self.tx.update_procedure(&procedure).await?;
                self.outcome.updated += 1;
            }
            None => {
                procedure.id = self.tx.next_procedure_id().await?;
                self.tx.insert_procedure(&procedure).await?;
                self.outcome.inserted += 1;
            }
        }
        Ok(())
    }

    async fn report(
        &mut self,
        index: usize,
        at: Position,
        feature: &Feature,
        mut problems: Problems,
    ) -> Result<(), ImportError> {
        let props = features::properties(feature);
        self.check_organisation(&props, &mut problems);
        let file_id = match &feature.id {
            Some(geojson::feature::Id::String(s)) => Some(s.clone()),
            Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
            None => None,
        };
        if let Some(id) = &file_id {
            self.check_unique(id, index, "/id", &mut problems);
        }
        let external_id = features::required_string(&props, "procedure", &mut problems);
        let procedure = if external_id.is_empty() {
            None
        } else {
            if !self.procedures.contains_key(&external_id) {
                let found = self
                    .tx
                    .procedure_by_external_id(self.options.organisation, &external_id)
                    .await?;
                self.procedures.insert(external_id.clone(), found);
            }
            let found = self.procedures.get(&external_id).cloned().flatten();
            if found.is_none() {
                problems.push(
                    "/properties/procedure",
                    format!(
                        "unknown procedure {external_id:?} of organisation {:?}",
                        self.options.organisation_key
                    ),
                );
            }
            found
        };
        let draft = features::report_draft(feature, &mut problems);
        let validated = match (draft, &procedure) {
            (Some(draft), Some(procedure)) => {
                match draft.validate(partimap_model::ReportId(0), procedure, self.now) {
                    Ok(r) => Some(r),
                    Err(found) => {
                        problems.extend(features::in_feature(found));
                        None
                    }
                }
            }
            _ => None,
        };
        let Some(report) = validated.filter(|_| problems.is_empty()) else {
            self.reject(index, file_id, at, problems.0);
            return Ok(());
        };
        if self.writing() {
            self.pending.push(report);
            if self.pending.len() >= BATCH {
                self.flush().await?;
            }
        }
        Ok(())
    }

    /// Writes the reports validated so far.
    async fn flush(&mut self) -> Result<(), ImportError> {
        if !self.writing() {
            self.pending.clear();
            return Ok(());
        }
        for mut report in std::mem::take(&mut self.pending) {
            report.id = self.tx.next_report_id().await?;
            self.tx.insert_report(&report).await?;
            self.outcome.inserted += 1;
        }
        Ok(())
    }

    /// Replace: deletes the organisation's procedures (and their reports)
    /// that the file does not hold.
    async fn delete_missing(&mut self) -> Result<(), ImportError> {
        let stored = self.tx.procedures_of(self.options.organisation).await?;
        for (id, external_id) in stored {
            if !self.in_file.contains(&external_id) {
                self.tx.delete_procedure(id).await?;
                self.outcome.deleted += 1;
            }
        }
        Ok(())
    }
}

/// Transforms every position of `geometry` to WGS84 in place; positions that
/// cannot be transformed are named.
fn reproject(geometry: &mut GeometryValue, to: &ToWgs84, problems: &mut Problems) {
    if to.crs() == Crs::Wgs84 {
        return;
    }
    let mut one = |position: &mut geojson::Position, pointer: String| {
        let p = position.as_slice_mut();
        if p.len() < 2 {
            return; // named by the geometry checks
        }
        match to.transform(p[0], p[1]) {
            Some([lon, lat]) => {
                p[0] = lon;
                p[1] = lat;
            }
            None => problems.push(
                pointer,
                format!(
                    "({}, {}) cannot be transformed from {} to WGS84",
                    p[0],
                    p[1],
                    to.crs()
                ),
            ),
        }
    };
    let base = "/geometry/coordinates";
    match geometry {
        GeometryValue::Point { coordinates } => one(coordinates, base.to_owned()),
        GeometryValue::MultiPoint { coordinates } | GeometryValue::LineString { coordinates } => {
            for (i, p) in coordinates.iter_mut().enumerate() {
                one(p, format!("{base}/{i}"));
            }
        }
        GeometryValue::Polygon { coordinates } | GeometryValue::MultiLineString { coordinates } => {
            for (r, ring) in coordinates.iter_mut().enumerate() {
                for (i, p) in ring.iter_mut().enumerate() {
                    one(p, format!("{base}/{r}/{i}"));
                }
            }
        }
        GeometryValue::MultiPolygon { coordinates } => {
            for (k, polygon) in coordinates.iter_mut().enumerate() {
                for (r, ring) in polygon.iter_mut().enumerate() {
                    for (i, p) in ring.iter_mut().enumerate() {
                        one(p, format!("{base}/{k}/{r}/{i}"));
                    }
                }
            }
        }
        // Named as the wrong type by the layer's checks.
        GeometryValue::GeometryCollection { .. } => {}
    }
}
