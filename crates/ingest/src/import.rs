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
use partimap_model::{OrganisationId, Problem, Problems, Procedure, ProcedureId};
use partimap_store::{StagedReport, Store, WriteTx};
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
    /// admin); `None` for a statewide import by an admin, where each
    /// feature names its organisation (procedures must; a report's procedure
    /// is found by its external id when that is unique).
    pub organisation: Option<Scope>,
}

/// An organisation an import is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub id: OrganisationId,
    pub key: String,
}

/// A body's bytes as they arrive, ungzipped when compressed (declared by
/// the caller, or recognised by gzip's magic bytes), piece by piece: memory
/// stays bounded whatever the file's size.
#[derive(Debug)]
pub struct Decompress {
    gzip: Option<flate2::write::MultiGzDecoder<Vec<u8>>>,
    declared: bool,
    started: bool,
}

impl Decompress {
    pub fn new(gzip_declared: bool) -> Self {
        Self {
            gzip: None,
            declared: gzip_declared,
            started: false,
        }
    }

    /// The plain bytes of the next piece.
    ///
    /// # Errors
    /// When the body is not valid gzip.
    pub fn feed<'a>(&'a mut self, chunk: &'a [u8]) -> std::io::Result<std::borrow::Cow<'a, [u8]>> {
        use std::io::Write;
        if !self.started && !chunk.is_empty() {
            self.started = true;
            if self.declared || chunk.starts_with(&[0x1f, 0x8b]) {
                self.gzip = Some(flate2::write::MultiGzDecoder::new(Vec::new()));
            }
        }
        match &mut self.gzip {
            Some(decoder) => {
                decoder.write_all(chunk)?;
                Ok(std::borrow::Cow::Owned(std::mem::take(decoder.get_mut())))
            }
            None => Ok(std::borrow::Cow::Borrowed(chunk)),
        }
    }

    /// What the decompressor still holds at the end.
    ///
    /// # Errors
    /// When the body ends inside a gzip stream.
    pub fn finish(self) -> std::io::Result<Vec<u8>> {
        match self.gzip {
            Some(decoder) => decoder.finish(),
            None => Ok(Vec::new()),
        }
    }
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
    /// Procedures by (organisation, external id), as looked up (reports);
    /// `Err` says why none is found.
    procedures: HashMap<(Option<OrganisationId>, String), Result<Procedure, String>>,
    /// Organisations by key, as looked up (statewide imports).
    organisations: HashMap<String, Option<OrganisationId>>,
    /// External ids of the procedures in the file (replace).
    in_file: HashSet<String>,
    /// Reports validated and not yet staged.
    pending: Vec<StagedReport>,
    now: chrono::DateTime<Utc>,
}

/// Reports are staged in batches of this many.
const BATCH: usize = 10_000;

impl Import {
    pub async fn begin(store: &Store, options: Options) -> Result<Self, ImportError> {
        let crs = options.crs.unwrap_or(Crs::Wgs84);
        let outcome = Outcome {
            layer: options.layer,
            organisation: options
                .organisation
                .as_ref()
                .map_or_else(|| "*".to_owned(), |o| o.key.clone()),
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
            organisations: HashMap::new(),
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
        if self.writing() && self.options.layer == Layer::Reports {
            self.merge().await?;
        }
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

    /// The organisation of a feature: the import's (the `organisation`
    /// property, if given, must name it), or in a statewide import the one
    /// the property names — `required` for procedures.
    async fn feature_organisation(
        &mut self,
        props: &geojson::JsonObject,
        required: bool,
        problems: &mut Problems,
    ) -> Result<Option<OrganisationId>, ImportError> {
        let named = match features::optional_string(props, "organisation") {
            Ok(named) => named,
            Err(p) => {
                problems.0.push(p);
                return Ok(None);
            }
        };
        match (&self.options.organisation, named) {
            (Some(scope), Some(key)) if key != scope.key => {
                problems.push(
                    "/properties/organisation",
                    format!("belongs to {key:?}; this import is for {:?}", scope.key),
                );
                Ok(None)
            }
            (Some(scope), _) => Ok(Some(scope.id)),
            (None, Some(key)) => {
                if !self.organisations.contains_key(&key) {
                    let id = self.tx.organisation_id_by_key(&key).await?;
                    self.organisations.insert(key.clone(), id);
                }
                let id = self.organisations.get(&key).copied().flatten();
                if id.is_none() {
                    problems.push(
                        "/properties/organisation",
                        format!("unknown organisation {key:?}"),
                    );
                }
                Ok(id)
            }
            (None, None) => {
                if required {
                    problems.push(
                        "/properties/organisation",
                        "is required in an import for several organisations (no organisation parameter)",
                    );
                }
                Ok(None)
            }
        }
    }

    /// Records `key` (the id `id`, qualified) as seen in feature `index`; a
    /// problem when it was seen before.
    fn check_unique(
        &mut self,
        key: &str,
        id: &str,
        index: usize,
        pointer: &str,
        problems: &mut Problems,
    ) {
        if id.is_empty() {
            return;
        }
        if let Some(first) = self.seen.get(key) {
            problems.push(
                pointer,
                format!("{id:?} appears twice in the file (first in feature {first})"),
            );
        } else {
            self.seen.insert(key.to_owned(), index);
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
        let organisation = self
            .feature_organisation(&props, true, &mut problems)
            .await?;
        let draft = features::procedure_draft(feature, &props, organisation, &mut problems);
        let external_id = draft.external_id.clone();
        let unique_key = format!("{}/{external_id}", organisation.map_or(0, |o| o.0));
        self.check_unique(
            &unique_key,
            &external_id,
            index,
            "/properties/external_id",
            &mut problems,
        );
        let existing = match organisation {
            Some(organisation) if !external_id.is_empty() => {
                self.tx
                    .procedure_by_external_id(organisation, &external_id)
                    .await?
            }
            _ => None,
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
        self.in_file.insert(unique_key);
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
        let organisation = self
            .feature_organisation(&props, false, &mut problems)
            .await?;
        let file_id = match &feature.id {
            Some(geojson::feature::Id::String(s)) => Some(s.clone()),
            Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
            None => features::string_or_none(&props, "id", &mut problems),
        };
        // Repeated ids are found in the store's staging table when the
        // file is through: a million ids need not be held here.
        let external_id = features::required_string(&props, "procedure", &mut problems);
        let procedure = if external_id.is_empty() || !problems.is_empty() {
            None
        } else {
            let key = (organisation, external_id);
            if !self.procedures.contains_key(&key) {
                let found = self.find_procedure(key.0, &key.1).await?;
                self.procedures.insert(key.clone(), found);
            }
            match self.procedures.get(&key) {
                Some(Ok(p)) => Some(p.clone()),
                Some(Err(why)) => {
                    problems.push("/properties/procedure", why.clone());
                    None
                }
                None => None,
            }
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
            let mut report = report;
            report.external_id = file_id;
            self.pending.push(StagedReport {
                report,
                feature: index,
                line: at.line,
                column: at.column,
            });
            if self.pending.len() >= BATCH {
                self.flush().await?;
            }
        }
        Ok(())
    }

    /// The procedure a report names: within its organisation, or in a
    /// statewide import by its external id when that is unique.
    async fn find_procedure(
        &mut self,
        organisation: Option<OrganisationId>,
        external_id: &str,
    ) -> Result<Result<Procedure, String>, ImportError> {
        let scope = self
            .options
            .organisation
            .as_ref()
            .map_or_else(|| "any organisation".to_owned(), |o| format!("organisation {:?}", o.key));
        if let Some(organisation) = organisation {
            return Ok(self
                .tx
                .procedure_by_external_id(organisation, external_id)
                .await?
                .ok_or_else(|| format!("unknown procedure {external_id:?} of {scope}")));
        }
        let mut found = self.tx.procedures_by_external_id(external_id).await?;
        Ok(match found.len() {
            0 => Err(format!("unknown procedure {external_id:?} of {scope}")),
            1 => Ok(found.remove(0)),
            n => Err(format!(
                "procedure {external_id:?} exists in {n} organisations; name one with the organisation property"
            )),
        })
    }

    /// Stages the reports validated so far.
    async fn flush(&mut self) -> Result<(), ImportError> {
        if self.writing() && !self.pending.is_empty() {
            self.tx.stage_reports(&self.pending).await?;
        }
        self.pending.clear();
        Ok(())
    }

    /// Merges the staged reports; ids the file repeats reject it.
    async fn merge(&mut self) -> Result<(), ImportError> {
        let listed = MAX_LISTED.saturating_sub(self.outcome.rejections.len());
        let merged = self.tx.merge_staged_reports(listed).await?;
        if merged.duplicate_count > 0 {
            for d in &merged.duplicates {
                self.outcome.rejections.push(Rejected {
                    index: d.feature,
                    id: Some(d.external_id.clone()),
                    line: d.line,
                    column: d.column,
                    problems: vec![Problem::new(
                        "/id",
                        format!(
                            "{:?} appears twice in the file (first in feature {})",
                            d.external_id, d.first
                        ),
                    )],
                });
            }
            self.outcome.rejected += usize::try_from(merged.duplicate_count).unwrap_or(usize::MAX);
            self.outcome.rejections_truncated |=
                u64::try_from(merged.duplicates.len()).unwrap_or(0) < merged.duplicate_count;
            return Ok(());
        }
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        self.outcome.inserted += count(merged.inserted);
        self.outcome.updated += count(merged.updated);
        self.outcome.unchanged += count(merged.unchanged);
        Ok(())
    }

    /// Replace: deletes the organisation's procedures (and their reports)
    /// that the file does not hold.
    async fn delete_missing(&mut self) -> Result<(), ImportError> {
        let Some(scope) = self.options.organisation.clone() else {
            return Ok(());
        };
        let stored = self.tx.procedures_of(scope.id).await?;
        for (id, external_id) in stored {
            if !self.in_file.contains(&format!("{}/{external_id}", scope.id.0)) {
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
