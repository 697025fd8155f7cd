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

use std::{
    borrow::Cow,
    collections::{HashMap, HashSet},
    sync::Arc,
};

use chrono::Utc;
use geojson::{Feature, GeometryValue, JsonValue};
use partimap_model::{OrganisationId, Problem, Problems, Procedure, ProcedureId, ReportDraft};
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
    /// New features are inserted, those whose external id exists (a
    /// procedure's within its organisation, a report's within its
    /// procedure) are updated, or left when equal.
    Upsert,
    /// As upsert, and what the organisation has of the layer and the file
    /// lacks is deleted: its procedures (with their reports), or its
    /// imported reports (those with an id; citizens' reports stay).
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

impl Rejected {
    fn at(index: usize, id: Option<String>, at: Position, problems: Vec<Problem>) -> Self {
        Self {
            index,
            id,
            line: at.line,
            column: at.column,
            problems,
        }
    }
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
    /// The temporary file of feature positions failed.
    #[error("the temporary file of feature positions failed: {0}")]
    Spill(std::io::Error),
}

/// An import under way; see the module documentation.
#[derive(Debug)]
pub struct Import {
    options: Options,
    /// The transaction; while reports are staged, the stager holds it.
    tx: Option<WriteTx>,
    stager: Option<Stager>,
    splitter: Splitter,
    items: Vec<Item>,
    transform: ToWgs84,
    crs_fixed: bool,
    outcome: Outcome,
    /// Ids seen in the file, with the feature that had them first.
    seen: HashMap<String, usize>,
    /// The procedures reports may name, by external id (one per
    /// organisation that has it; read when a reports import begins).
    procedures: HashMap<String, Vec<Arc<Procedure>>>,
    /// Organisations by key.
    organisations: HashMap<String, OrganisationId>,
    /// External ids of the procedures in the file (replace).
    in_file: HashSet<String>,
    /// Reports validated and not yet staged.
    pending: Vec<StagedReport>,
    /// Where each staged report's feature starts, for a store that lists
    /// repeated ids without it.
    positions: Option<Positions>,
    now: chrono::DateTime<Utc>,
}

/// The line and column of every staged report's feature, in a temporary
/// file (16 bytes a feature), so that memory does not grow with the file:
/// a bulk import into PostGIS writes its reports straight into the table,
/// and when the rebuilt unique index finds a repeated id the store can name
/// the feature (reports are staged in file order, so the n-th staged report
/// is feature n) but not where it starts.
#[derive(Debug)]
struct Positions {
    file: std::io::BufWriter<std::fs::File>,
}

impl Positions {
    fn new() -> std::io::Result<Self> {
        Ok(Self {
            file: std::io::BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
        })
    }

    fn push(&mut self, line: u64, column: u64) -> std::io::Result<()> {
        use std::io::Write;
        self.file.write_all(&line.to_le_bytes())?;
        self.file.write_all(&column.to_le_bytes())
    }

    /// The line and column of the `n`-th staged report.
    fn get(&mut self, n: usize) -> std::io::Result<(u64, u64)> {
        use std::io::{Read, Seek, SeekFrom, Write};
        self.file.flush()?;
        let file = self.file.get_mut();
        file.seek(SeekFrom::Start(n as u64 * 16))?;
        let mut bytes = [0; 16];
        file.read_exact(&mut bytes)?;
        file.seek(SeekFrom::End(0))?;
        let half = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
        Ok((half(&bytes[..8]), half(&bytes[8..])))
    }
}

/// The stager of a reports import: a task that owns the transaction while
/// reports are written to the store's staging table, so that the database
/// takes one batch while the next is read and validated.
#[derive(Debug)]
struct Stager {
    sender: tokio::sync::mpsc::Sender<Vec<StagedReport>>,
    task: tokio::task::JoinHandle<Result<WriteTx, partimap_store::Error>>,
}

impl Stager {
    fn start(mut tx: WriteTx) -> Self {
        // Two batches in flight bound the memory.
        let (sender, mut batches) = tokio::sync::mpsc::channel::<Vec<StagedReport>>(2);
        let task = tokio::spawn(async move {
            while let Some(batch) = batches.recv().await {
                tx.stage_reports(&batch).await?;
            }
            Ok(tx)
        });
        Self { sender, task }
    }
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
        let mut tx = store.begin().await?;
        let organisations = tx.organisation_keys().await?.into_iter().collect();
        let mut procedures: HashMap<String, Vec<Arc<Procedure>>> = HashMap::new();
        if options.layer == Layer::Reports {
            let scope = options.organisation.as_ref().map(|o| o.id);
            for p in tx.procedures_in(scope).await? {
                procedures
                    .entry(p.external_id.clone())
                    .or_default()
                    .push(Arc::new(p));
            }
        }
        Ok(Self {
            crs_fixed: options.crs.is_some(),
            options,
            tx: Some(tx),
            stager: None,
            splitter: Splitter::default(),
            items: Vec::new(),
            transform: ToWgs84::new(crs),
            outcome,
            seen: HashMap::new(),
            procedures,
            organisations,
            in_file: HashSet::new(),
            pending: Vec::new(),
            positions: None,
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
        self.take_items(&mut items).await?;
        self.items = items;
        Ok(())
    }

    /// The end of the body: commits unless something was rejected or it is
    /// a dry run.
    pub async fn finish(mut self) -> Result<Outcome, ImportError> {
        let mut items = std::mem::take(&mut self.items);
        self.splitter.finish(&mut items)?;
        self.take_items(&mut items).await?;
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
            match self.options.layer {
                Layer::Procedures => self.delete_missing().await?,
                Layer::Reports => self.delete_missing_reports().await?,
            }
        }
        if self.outcome.rejected == 0 && !self.options.dry_run {
            self.tx().await?;
            let tx = self.tx.take().ok_or(ImportError::Invalid(
                "the import's transaction is gone".to_owned(),
            ))?;
            self.outcome.seq = Some(tx.commit().await?);
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

    /// Takes the items read, in order. The features of a reports import are
    /// checked on every core (a run of features between two members at a
    /// time), then counted, rejected or staged in file order.
    async fn take_items(&mut self, items: &mut Vec<Item>) -> Result<(), ImportError> {
        let mut rest = items.drain(..).peekable();
        while let Some(item) = rest.next() {
            match item {
                Item::Member { name, at, text } => self.member(&name, at, &text)?,
                Item::Feature { index, at, text } if self.options.layer == Layer::Procedures => {
                    self.outcome.features += 1;
                    self.feature(index, at, &text).await?;
                }
                first @ Item::Feature { .. } => {
                    let mut run = vec![first];
                    while let Some(next) = rest.next_if(|i| matches!(i, Item::Feature { .. })) {
                        run.push(next);
                    }
                    let checked = self.report_check().check_all(&run);
                    for result in checked {
                        self.outcome.features += 1;
                        match result {
                            Ok(staged) => self.stage(staged).await?,
                            Err(rejected) => self.reject(rejected),
                        }
                    }
                }
            }
        }
        Ok(())
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

    fn reject(&mut self, rejected: Rejected) {
        self.outcome.rejected += 1;
        if self.outcome.rejections.len() < MAX_LISTED {
            self.outcome.rejections.push(rejected);
        } else {
            self.outcome.rejections_truncated = true;
        }
    }

    /// A feature of a procedures import.
    async fn feature(
        &mut self,
        index: usize,
        at: Position,
        text: &[u8],
    ) -> Result<(), ImportError> {
        match read_feature(index, at, text, &self.transform) {
            Ok((feature, problems)) => self.procedure(index, at, &feature, problems).await,
            Err(rejected) => {
                self.reject(rejected);
                Ok(())
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
        let organisation = feature_organisation(
            self.options.organisation.as_ref(),
            &self.organisations,
            props,
            true,
            &mut problems,
        );
        let draft = features::procedure_draft(feature, props, organisation, &mut problems);
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
                self.tx()
                    .await?
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
            self.reject(Rejected::at(index, id, at, problems.0));
            return Ok(());
        };
        self.in_file.insert(unique_key);
        if !self.writing() {
            return Ok(());
        }
        match existing {
            Some(old) if old == procedure => self.outcome.unchanged += 1,
            Some(_) => {
                self.tx().await?.update_procedure(&procedure).await?;
                self.outcome.updated += 1;
            }
            None => {
                let tx = self.tx().await?;
                procedure.id = tx.next_procedure_id().await?;
                tx.insert_procedure(&procedure).await?;
                self.outcome.inserted += 1;
            }
        }
        Ok(())
    }

    /// What checking report features needs (borrowed from the import).
    fn report_check(&self) -> ReportCheck<'_> {
        ReportCheck {
            scope: self.options.organisation.as_ref(),
            transform: &self.transform,
            procedures: &self.procedures,
            organisations: &self.organisations,
            now: self.now,
        }
    }

    /// A checked report: staged (in batches) while nothing is rejected.
    async fn stage(&mut self, staged: StagedReport) -> Result<(), ImportError> {
        if self.writing() {
            self.pending.push(staged);
            if self.pending.len() >= BATCH {
                self.flush().await?;
            }
        }
        Ok(())
    }

    /// Hands the reports validated so far to the stager, which writes them
    /// while the next ones are read.
    async fn flush(&mut self) -> Result<(), ImportError> {
        let batch = std::mem::take(&mut self.pending);
        if !self.writing() || batch.is_empty() {
            return Ok(());
        }
        let positions = match &mut self.positions {
            Some(positions) => positions,
            None => self
                .positions
                .insert(Positions::new().map_err(ImportError::Spill)?),
        };
        for s in &batch {
            positions
                .push(s.line, s.column)
                .map_err(ImportError::Spill)?;
        }
        if self.stager.is_none() {
            let tx = self.tx.take().ok_or(ImportError::Invalid(
                "the import's transaction is gone".to_owned(),
            ))?;
            self.stager = Some(Stager::start(tx));
        }
        if let Some(stager) = &self.stager
            && stager.sender.send(batch).await.is_err()
        {
            // The stager stopped: its error says why.
            self.tx = Some(self.stop_staging().await?);
        }
        Ok(())
    }

    /// Waits for the stager and takes the transaction back.
    async fn stop_staging(&mut self) -> Result<WriteTx, ImportError> {
        match self.stager.take() {
            Some(stager) => {
                drop(stager.sender);
                stager
                    .task
                    .await
                    .map_err(|e| ImportError::Invalid(format!("staging failed: {e}")))?
                    .map_err(ImportError::Store)
            }
            None => self.tx.take().ok_or(ImportError::Invalid(
                "the import's transaction is gone".to_owned(),
            )),
        }
    }

    /// The transaction (after staging, if any).
    async fn tx(&mut self) -> Result<&mut WriteTx, ImportError> {
        if self.stager.is_some() {
            let tx = self.stop_staging().await?;
            self.tx = Some(tx);
        }
        self.tx.as_mut().ok_or(ImportError::Invalid(
            "the import's transaction is gone".to_owned(),
        ))
    }

    /// Merges the staged reports; ids the file repeats reject it.
    async fn merge(&mut self) -> Result<(), ImportError> {
        let listed = MAX_LISTED.saturating_sub(self.outcome.rejections.len());
        let merged = self.tx().await?.merge_staged_reports(listed).await?;
        if merged.duplicate_count > 0 {
            for d in &merged.duplicates {
                let (line, column) = match (d.line, d.column, &mut self.positions) {
                    (Some(line), Some(column), _) => (line, column),
                    (_, _, Some(positions)) => {
                        positions.get(d.feature).map_err(ImportError::Spill)?
                    }
                    (_, _, None) => (0, 0),
                };
                self.outcome.rejections.push(Rejected {
                    index: d.feature,
                    id: Some(d.external_id.clone()),
                    line,
                    column,
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

    /// Replace for reports: deletes the organisation's imported reports the
    /// file does not hold (citizens' reports, which have no external id,
    /// stay).
    async fn delete_missing_reports(&mut self) -> Result<(), ImportError> {
        let Some(scope) = self.options.organisation.clone() else {
            return Ok(());
        };
        let deleted = self.tx().await?.delete_reports_not_staged(scope.id).await?;
        self.outcome.deleted += usize::try_from(deleted).unwrap_or(usize::MAX);
        Ok(())
    }

    /// Replace: deletes the organisation's procedures (and their reports)
    /// that the file does not hold.
    async fn delete_missing(&mut self) -> Result<(), ImportError> {
        let Some(scope) = self.options.organisation.clone() else {
            return Ok(());
        };
        let stored = self.tx().await?.procedures_of(scope.id).await?;
        let missing: Vec<ProcedureId> = stored
            .into_iter()
            .filter(|(_, external_id)| {
                !self
                    .in_file
                    .contains(&format!("{}/{external_id}", scope.id.0))
            })
            .map(|(id, _)| id)
            .collect();
        let tx = self.tx().await?;
        for id in &missing {
            tx.delete_procedure(*id).await?;
        }
        self.outcome.deleted += missing.len();
        Ok(())
    }
}

/// The organisation of a feature: the import's (the `organisation`
/// property, if given, must name it), or in a statewide import the one
/// the property names — `required` for procedures.
fn feature_organisation(
    scope: Option<&Scope>,
    organisations: &HashMap<String, OrganisationId>,
    props: &geojson::JsonObject,
    required: bool,
    problems: &mut Problems,
) -> Option<OrganisationId> {
    match features::optional_string(props, "organisation") {
        Ok(named) => organisation_named(scope, organisations, named.as_deref(), required, problems),
        Err(p) => {
            problems.0.push(p);
            None
        }
    }
}

/// The organisation a feature's `organisation` property (`named`) gives it;
/// see [`feature_organisation`].
fn organisation_named(
    scope: Option<&Scope>,
    organisations: &HashMap<String, OrganisationId>,
    named: Option<&str>,
    required: bool,
    problems: &mut Problems,
) -> Option<OrganisationId> {
    match (scope, named) {
        (Some(scope), Some(key)) if key != scope.key => {
            problems.push(
                "/properties/organisation",
                format!("belongs to {key:?}; this import is for {:?}", scope.key),
            );
            None
        }
        (Some(scope), _) => Some(scope.id),
        (None, Some(key)) => {
            let id = organisations.get(key).copied();
            if id.is_none() {
                problems.push(
                    "/properties/organisation",
                    format!("unknown organisation {key:?}"),
                );
            }
            id
        }
        (None, None) => {
            if required {
                problems.push(
                    "/properties/organisation",
                    "is required in an import for several organisations (no organisation parameter)",
                );
            }
            None
        }
    }
}

/// Checks the features of a reports import, on as many threads as there
/// are cores: everything it reads is shared and unchanged while a file is
/// read.
struct ReportCheck<'a> {
    scope: Option<&'a Scope>,
    transform: &'a ToWgs84,
    procedures: &'a HashMap<String, Vec<Arc<Procedure>>>,
    organisations: &'a HashMap<String, OrganisationId>,
    now: chrono::DateTime<Utc>,
}

impl ReportCheck<'_> {
    /// Below this many features a run is checked on the calling thread.
    const PARALLEL_FROM: usize = 64;

    /// Checks a run of feature items; results in their order.
    fn check_all(&self, run: &[Item]) -> Vec<Result<StagedReport, Rejected>> {
        use rayon::prelude::*;
        let check = |item: &Item| match item {
            Item::Feature { index, at, text } => self.check(*index, *at, text),
            Item::Member { .. } => unreachable!("a run holds features only"),
        };
        if run.len() < Self::PARALLEL_FROM {
            return run.iter().map(check).collect();
        }
        let all = || run.par_iter().with_min_len(16).map(check).collect();
        // Checking blocks this thread: the runtime moves its other tasks
        // (the stager writing the previous batch) to another worker.
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(all),
            _ => all(),
        }
    }

    fn check(&self, index: usize, at: Position, text: &[u8]) -> Result<StagedReport, Rejected> {
        match self.check_usual(index, at, text) {
            Some(checked) => checked,
            None => self.check_any(index, at, text),
        }
    }

    /// A report feature of the usual shape (string ids, string properties,
    /// a Point that reprojects), read without building a GeoJSON feature:
    /// half the work of [`Self::check_any`], which takes everything else and
    /// names what is wrong.
    fn check_usual(
        &self,
        index: usize,
        at: Position,
        text: &[u8],
    ) -> Option<Result<StagedReport, Rejected>> {
        let feature = fast::report(text)?;
        let (x, y) = feature.geometry.coordinates;
        let [lon, lat] = self.transform.transform(x, y)?;
        let p = feature.properties;
        let mut problems = Problems::default();
        let organisation = organisation_named(
            self.scope,
            self.organisations,
            p.organisation.as_deref(),
            false,
            &mut problems,
        );
        let file_id = feature.id.or(p.id).map(Cow::into_owned);
        let draft = |_: &mut Problems| {
            Some(ReportDraft {
                category: p.category,
                description: p.description,
                status: p.status,
                location: geo::Point::new(lon, lat),
                created: p.created,
                contact_email: p.contact_email,
            })
        };
        Some(self.finish(
            (index, at),
            organisation,
            &p.procedure,
            file_id,
            draft,
            problems,
        ))
    }

    /// Any feature: read as GeoJSON, every problem named.
    fn check_any(&self, index: usize, at: Position, text: &[u8]) -> Result<StagedReport, Rejected> {
        let (feature, mut problems) = read_feature(index, at, text, self.transform)?;
        let props = features::properties(&feature);
        let organisation =
            feature_organisation(self.scope, self.organisations, props, false, &mut problems);
        let file_id = match &feature.id {
            Some(geojson::feature::Id::String(s)) => Some(s.clone()),
            Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
            None => features::string_or_none(props, "id", &mut problems),
        };
        let procedure = features::required_string(props, "procedure", &mut problems);
        let draft = |problems: &mut Problems| features::report_draft(&feature, problems);
        self.finish(
            (index, at),
            organisation,
            &procedure,
            file_id,
            draft,
            problems,
        )
    }

    /// The checks after reading: the procedure the report names, and the
    /// report against it. `draft` reads the rest of the feature.
    fn finish<'t>(
        &self,
        (index, at): (usize, Position),
        organisation: Option<OrganisationId>,
        procedure: &str,
        file_id: Option<String>,
        draft: impl FnOnce(&mut Problems) -> Option<ReportDraft<'t>>,
        mut problems: Problems,
    ) -> Result<StagedReport, Rejected> {
        // Repeated ids are found in the store's staging table when the
        // file is through: a million ids need not be held here.
        let procedure = if !problems.is_empty() {
            None
        } else if procedure.is_empty() {
            problems.push("/properties/procedure", "must not be empty");
            None
        } else {
            match self.find_procedure(organisation, procedure) {
                Ok(p) => Some(p),
                Err(why) => {
                    problems.push("/properties/procedure", why);
                    None
                }
            }
        };
        let draft = draft(&mut problems);
        let created_given = draft.as_ref().is_some_and(|d| d.created.is_some());
        let validated = match (draft, procedure) {
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
        let Some(mut report) = validated.filter(|_| problems.is_empty()) else {
            return Err(Rejected::at(index, file_id, at, problems.0));
        };
        report.external_id = file_id;
        Ok(StagedReport {
            report,
            created_given,
            feature: index,
            line: at.line,
            column: at.column,
        })
    }

    /// The procedure a report names: within its organisation, or in a
    /// statewide import by its external id when that is unique.
    fn find_procedure(
        &self,
        organisation: Option<OrganisationId>,
        external_id: &str,
    ) -> Result<&Procedure, String> {
        let unknown = || {
            let scope = self.scope.map_or_else(
                || "any organisation".to_owned(),
                |o| format!("organisation {:?}", o.key),
            );
            format!("unknown procedure {external_id:?} of {scope}")
        };
        let found = self
            .procedures
            .get(external_id)
            .map_or(&[][..], Vec::as_slice);
        if let Some(organisation) = organisation {
            return found
                .iter()
                .find(|p| p.organisation == organisation)
                .map(|p| &**p)
                .ok_or_else(unknown);
        }
        match found {
            [] => Err(unknown()),
            [p] => Ok(p),
            _ => Err(format!(
                "procedure {external_id:?} exists in {} organisations; name one with the organisation property",
                found.len()
            )),
        }
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

/// A feature's text (starting at `at` in the body) as a GeoJSON Feature,
/// or what is wrong with it. Pure: the fuzz target drives it with the
/// splitter.
pub fn parse_feature(text: &[u8], at: Position) -> Result<Feature, Problem> {
    if let Some(feature) = fast::feature(text) {
        return Ok(feature);
    }
    // Not the usual shape: geojson's reader either takes it after all, or
    // the slow path says what is wrong.
    let value: JsonValue = serde_json::from_slice(text).map_err(|e| {
        let place = at.within(e.line(), e.column());
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        Problem::new("", format!("malformed JSON at {place}: {message}"))
    })?;
    let kind = value.get("type").and_then(JsonValue::as_str);
    if kind != Some("Feature") {
        let what = match kind {
            Some(k) => format!("type {k:?}"),
            None => features::json_type(&value).to_owned(),
        };
        return Err(Problem::new("", format!("not a GeoJSON Feature ({what})")));
    }
    serde_json::from_value::<Feature>(value)
        .map_err(|e| Problem::new("", format!("not a valid GeoJSON Feature: {e}")))
}

/// Feature `index` (starting at `at`) parsed and reprojected, with the
/// positions that could not be transformed; rejected when it is not a
/// feature at all.
fn read_feature(
    index: usize,
    at: Position,
    text: &[u8],
    to: &ToWgs84,
) -> Result<(Feature, Problems), Rejected> {
    let mut feature =
        parse_feature(text, at).map_err(|problem| Rejected::at(index, None, at, vec![problem]))?;
    let mut problems = Problems::default();
    reproject_feature(&mut feature, to, &mut problems);
    Ok((feature, problems))
}

/// Reprojects a feature's geometry in place (see [`ToWgs84`]); the
/// positions that cannot be transformed become problems.
pub fn reproject_feature(feature: &mut Feature, to: &ToWgs84, problems: &mut Problems) {
    if let Some(geometry) = &mut feature.geometry {
        reproject(&mut geometry.value, to, problems);
    }
}

/// The reader of well-formed features, several times faster than geojson's
/// own (whose `#[serde(flatten)]` foreign members make serde buffer every
/// feature twice): a feature is read straight into its parts, the geometry's
/// coordinates built by hand. Anything unusual falls back to geojson's
/// reader, which also says what is wrong.
mod fast {
    use std::borrow::Cow;

    use geojson::{Feature, GeometryValue, JsonObject, JsonValue, Position, feature::Id};
    use serde::Deserialize;

    #[derive(Deserialize)]
    enum FeatureTag {
        Feature,
    }

    #[derive(Deserialize)]
    struct RawFeature {
        #[serde(rename = "type")]
        _kind: FeatureTag,
        #[serde(default)]
        id: Option<JsonValue>,
        #[serde(default)]
        properties: Option<JsonObject>,
        #[serde(default)]
        geometry: Option<RawGeometry>,
    }

    #[derive(Deserialize)]
    struct RawGeometry {
        #[serde(rename = "type")]
        kind: String,
        coordinates: JsonValue,
    }

    /// A report feature in its usual shape; strings are borrowed from the
    /// text unless they hold escapes. Anything else (numeric ids, a
    /// property of another type, a third coordinate, a repeated member)
    /// does not read, and goes the general way.
    #[derive(Deserialize)]
    pub(super) struct Report<'a> {
        #[serde(rename = "type")]
        _kind: FeatureTag,
        #[serde(default, borrow)]
        pub id: Option<Cow<'a, str>>,
        #[serde(borrow)]
        pub properties: ReportProperties<'a>,
        pub geometry: PointGeometry,
    }

    #[derive(Deserialize)]
    pub(super) struct ReportProperties<'a> {
        #[serde(borrow)]
        pub procedure: Cow<'a, str>,
        #[serde(borrow)]
        pub category: Cow<'a, str>,
        #[serde(borrow)]
        pub description: Cow<'a, str>,
        #[serde(default, borrow)]
        pub status: Option<Cow<'a, str>>,
        #[serde(default, borrow)]
        pub created: Option<Cow<'a, str>>,
        #[serde(default, borrow)]
        pub contact_email: Option<Cow<'a, str>>,
        #[serde(default, borrow)]
        pub organisation: Option<Cow<'a, str>>,
        #[serde(default, borrow)]
        pub id: Option<Cow<'a, str>>,
    }

    #[derive(Deserialize)]
    enum PointTag {
        Point,
    }

    #[derive(Deserialize)]
    pub(super) struct PointGeometry {
        #[serde(rename = "type")]
        _kind: PointTag,
        pub coordinates: (f64, f64),
    }

    pub(super) fn report(text: &[u8]) -> Option<Report<'_>> {
        // One UTF-8 check of the whole text: `from_slice` checks every
        // string by itself, which costs more for twenty short ones.
        serde_json::from_str(std::str::from_utf8(text).ok()?).ok()
    }

    pub(super) fn feature(text: &[u8]) -> Option<Feature> {
        let raw: RawFeature = serde_json::from_slice(text).ok()?;
        let id = match raw.id {
            None | Some(JsonValue::Null) => None,
            Some(JsonValue::String(s)) => Some(Id::String(s)),
            Some(JsonValue::Number(n)) => Some(Id::Number(n)),
            Some(_) => return None,
        };
        let geometry = match raw.geometry {
            None => None,
            Some(g) => Some(geojson::Geometry::new(geometry(&g.kind, &g.coordinates)?)),
        };
        Some(Feature {
            bbox: None,
            geometry,
            id,
            properties: raw.properties,
            foreign_members: None,
        })
    }

    fn position(v: &JsonValue) -> Option<Position> {
        let numbers = v.as_array()?;
        if numbers.len() < 2 {
            return None;
        }
        let mut p = Vec::with_capacity(numbers.len());
        for n in numbers {
            p.push(n.as_f64()?);
        }
        Some(Position::from(p))
    }

    fn line(v: &JsonValue) -> Option<Vec<Position>> {
        v.as_array()?.iter().map(position).collect()
    }

    fn lines(v: &JsonValue) -> Option<Vec<Vec<Position>>> {
        v.as_array()?.iter().map(line).collect()
    }

    fn geometry(kind: &str, c: &JsonValue) -> Option<GeometryValue> {
        Some(match kind {
            "Point" => GeometryValue::Point {
                coordinates: position(c)?,
            },
            "MultiPoint" => GeometryValue::MultiPoint {
                coordinates: line(c)?,
            },
            "LineString" => GeometryValue::LineString {
                coordinates: line(c)?,
            },
            "MultiLineString" => GeometryValue::MultiLineString {
                coordinates: lines(c)?,
            },
            "Polygon" => GeometryValue::Polygon {
                coordinates: lines(c)?,
            },
            "MultiPolygon" => GeometryValue::MultiPolygon {
                coordinates: c.as_array()?.iter().map(lines).collect::<Option<_>>()?,
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use geo::{MultiPolygon, polygon};
    use partimap_model::{Area, Category, ProcedureKind};
    use serde_json::{Value, json};

    use super::*;

    fn maengelmelder() -> Procedure {
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

    /// One of `choices` (`None`: the member is left out).
    fn pick(choices: &[Option<Value>], i: usize) -> Option<Value> {
        choices[i % choices.len()].clone()
    }

    /// A report feature whose every member is one of several choices, the
    /// usual one first.
    fn feature(i: [usize; 11]) -> Vec<u8> {
        let mut properties = serde_json::Map::new();
        let members: [(&str, Vec<Option<Value>>); 8] = [
            (
                "procedure",
                vec![
                    Some(json!("maengelmelder")),
                    Some(json!("nope")),
                    Some(json!("")),
                    Some(json!(3)),
                    None,
                ],
            ),
            (
                "category",
                vec![
                    Some(json!("litter")),
                    Some(json!("graffiti")),
                    Some(json!(5)),
                    None,
                ],
            ),
            (
                "description",
                vec![
                    Some(json!("Müll \"am\" Weg\n")),
                    Some(json!("")),
                    Some(json!("x".repeat(4001))),
                    Some(Value::Null),
                    None,
                ],
            ),
            (
                "status",
                vec![
                    None,
                    Some(Value::Null),
                    Some(json!("published")),
                    Some(json!("bogus")),
                    Some(json!(4)),
                ],
            ),
            (
                "created",
                vec![
                    None,
                    Some(json!("2026-05-01T10:00:00Z")),
                    Some(json!("gestern")),
                ],
            ),
            (
                "contact_email",
                vec![
                    None,
                    Some(json!("melder@example.org")),
                    Some(json!("kaputt")),
                ],
            ),
            (
                "organisation",
                vec![
                    None,
                    Some(json!("stadt-siegen")),
                    Some(json!("stadt-koeln")),
                ],
            ),
            ("id", vec![None, Some(json!("p-1")), Some(json!(5))]),
        ];
        for (k, (name, choices)) in members.into_iter().enumerate() {
            if let Some(v) = pick(&choices, i[k]) {
                properties.insert(name.to_owned(), v);
            }
        }
        let geometry = pick(
            &[
                Some(json!({"type": "Point", "coordinates": [8.02, 50.87]})),
                Some(json!({"type": "Point", "coordinates": [7.0, 50.87]})),
                Some(json!({"type": "Point", "coordinates": [8.02, 50.87, 100.0]})),
                Some(json!({"type": "LineString", "coordinates": [[8.02, 50.87], [8.03, 50.87]]})),
                Some(json!({"type": "Point", "coordinates": ["8", "50"]})),
                Some(Value::Null),
                None,
            ],
            i[8],
        );
        let mut f = serde_json::Map::new();
        f.insert("type".into(), json!("Feature"));
        if let Some(id) = pick(
            &[Some(json!("r-1")), None, Some(json!(17)), Some(Value::Null)],
            i[9],
        ) {
            f.insert("id".into(), id);
        }
        if let Some(g) = geometry {
            f.insert("geometry".into(), g);
        }
        if i[10] % 4 != 3 {
            f.insert("properties".into(), Value::Object(properties));
        }
        serde_json::to_vec(&Value::Object(f)).unwrap()
    }

    proptest::proptest! {
        /// The usual shape's shortcut gives exactly what the general way
        /// gives — the same report, or the same rejection — whatever the
        /// feature holds.
        #[test]
        fn the_shortcut_agrees_with_the_general_way(
            // Mostly the usual member (choice 0), so that the shortcut is
            // taken often, with every other choice mixed in.
            i in proptest::array::uniform11(proptest::prop_oneof![3 => proptest::strategy::Just(0usize), 2 => 0usize..8]),
            scoped in proptest::bool::ANY,
        ) {
            let text = feature(i);
            let scope = Scope { id: OrganisationId(1), key: "stadt-siegen".into() };
            let procedures = HashMap::from([("maengelmelder".to_owned(), vec![Arc::new(maengelmelder())])]);
            let organisations = HashMap::from([("stadt-siegen".to_owned(), OrganisationId(1))]);
            let check = ReportCheck {
                scope: scoped.then_some(&scope),
                transform: &ToWgs84::new(Crs::Wgs84),
                procedures: &procedures,
                organisations: &organisations,
                now: "2026-11-23T12:00:00Z".parse().unwrap(),
            };
            let at = Position { line: 3, column: 5 };
            let general = check.check_any(7, at, &text);
            let Some(short) = check.check_usual(7, at, &text) else {
                return Ok(());
            };
            let same = match (&short, &general) {
                (Ok(a), Ok(b)) => {
                    a.report == b.report
                        && a.created_given == b.created_given
                        && (a.feature, a.line, a.column) == (b.feature, b.line, b.column)
                }
                (Err(a), Err(b)) => a == b,
                _ => false,
            };
            proptest::prop_assert!(same, "{}\nshortcut: {short:?}\ngeneral: {general:?}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    fn the_usual_report_takes_the_shortcut() {
        let text = br#"{"type": "Feature", "id": "r-1", "geometry": {"type": "Point", "coordinates": [8.02, 50.87]},
                        "properties": {"procedure": "maengelmelder", "category": "litter", "description": "x"}}"#;
        let procedures =
            HashMap::from([("maengelmelder".to_owned(), vec![Arc::new(maengelmelder())])]);
        let check = ReportCheck {
            scope: None,
            transform: &ToWgs84::new(Crs::Wgs84),
            procedures: &procedures,
            organisations: &HashMap::new(),
            now: Utc::now(),
        };
        let staged = check
            .check_usual(0, Position { line: 1, column: 1 }, text)
            .expect("the shortcut reads it")
            .expect("valid");
        assert_eq!(staged.report.external_id.as_deref(), Some("r-1"));
        assert_eq!(staged.report.procedure, ProcedureId(4));
    }
}
