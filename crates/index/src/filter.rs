//! What a map asks to see.

use chrono::NaiveDate;
use partimap_model::{OrganisationId, ProcedureId, ProcedureKind, ProcedureStatus};

/// A selection of procedures and reports. Empty lists mean "any"; the default
/// shows what the overview map shows: running procedures of every kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    /// Procedures in one of these statuses (on the day of the query).
    pub statuses: Vec<ProcedureStatus>,
    pub kinds: Vec<ProcedureKind>,
    /// Procedures of these organisations or of any organisation below them.
    pub organisations: Vec<OrganisationId>,
    pub procedures: Vec<ProcedureId>,
    /// Reports of these categories (procedures are not filtered by it).
    pub categories: Vec<String>,
    /// Procedures that run on some day from `from` (inclusive) on: their
    /// end is not before it (an open end runs on).
    pub from: Option<NaiveDate>,
    /// Procedures that run on some day up to `until` (inclusive): their
    /// start is not after it. Not before `from` (the parameters refuse such
    /// a window).
    pub until: Option<NaiveDate>,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            statuses: vec![ProcedureStatus::Running],
            kinds: Vec::new(),
            organisations: Vec::new(),
            procedures: Vec::new(),
            categories: Vec::new(),
            from: None,
            until: None,
        }
    }
}

impl Filter {
    /// The same filter with its lists sorted and without repeats, so that
    /// equal selections compare (and cache) as equal.
    #[must_use]
    pub fn normalised(mut self) -> Self {
        self.statuses.sort_unstable_by_key(|s| s.as_str());
        self.statuses.dedup();
        self.kinds.sort_unstable_by_key(|k| k.as_str());
        self.kinds.dedup();
        self.organisations.sort_unstable();
        self.organisations.dedup();
        self.procedures.sort_unstable();
        self.procedures.dedup();
        self.categories.sort_unstable();
        self.categories.dedup();
        self
    }

    /// A filter that lets everything through, whatever its status.
    pub fn everything() -> Self {
        Self {
            statuses: Vec::new(),
            ..Self::default()
        }
    }
}

impl Filter {
    /// Whether the procedure part of the filter admits a procedure of this
    /// kind, id, status and period (`start` to `end`, both days included);
    /// `organisations` says whether it belongs to one of the organisations
    /// it is given (asked only of a filter by organisation, since a
    /// procedure's chain may have to be looked up).
    pub fn admits_procedure(
        &self,
        kind: ProcedureKind,
        id: ProcedureId,
        status: ProcedureStatus,
        start: NaiveDate,
        end: Option<NaiveDate>,
        organisations: impl FnOnce(&[OrganisationId]) -> bool,
    ) -> bool {
        admits(&self.kinds, &kind)
            && admits(&self.procedures, &id)
            && admits(&self.statuses, &status)
            && self.runs_within(start, end)
            && (self.organisations.is_empty() || organisations(&self.organisations))
    }

    /// Whether a procedure running from `start` to `end` (open: on and on)
    /// runs on at least one day of the window `from`..=`until`.
    pub fn runs_within(&self, start: NaiveDate, end: Option<NaiveDate>) -> bool {
        self.until.is_none_or(|until| start <= until)
            && self
                .from
                .is_none_or(|from| end.is_none_or(|end| end >= from))
    }
}

/// `true` when `allowed` is empty or holds `value`.
pub(crate) fn admits<T: PartialEq>(allowed: &[T], value: &T) -> bool {
    allowed.is_empty() || allowed.contains(value)
}
