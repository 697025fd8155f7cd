//! What a map asks to see.

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
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            statuses: vec![ProcedureStatus::Running],
            kinds: Vec::new(),
            organisations: Vec::new(),
            procedures: Vec::new(),
            categories: Vec::new(),
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
    /// kind, id and status; `organisations` says whether it belongs to one
    /// of the organisations it is given (asked only of a filter by
    /// organisation, since a procedure's chain may have to be looked up).
    pub fn admits_procedure(
        &self,
        kind: ProcedureKind,
        id: ProcedureId,
        status: ProcedureStatus,
        organisations: impl FnOnce(&[OrganisationId]) -> bool,
    ) -> bool {
        admits(&self.kinds, &kind)
            && admits(&self.procedures, &id)
            && admits(&self.statuses, &status)
            && (self.organisations.is_empty() || organisations(&self.organisations))
    }
}

/// `true` when `allowed` is empty or holds `value`.
pub(crate) fn admits<T: PartialEq>(allowed: &[T], value: &T) -> bool {
    allowed.is_empty() || allowed.contains(value)
}
