//! What a map asks to see.

use partimap_model::{OrganisationId, ProcedureId, ProcedureKind, ProcedureStatus};

/// A selection of procedures and reports. Empty lists mean "any"; the default
/// shows what the overview map shows: running procedures of every kind.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// A filter that lets everything through, whatever its status.
    pub fn everything() -> Self {
        Self {
            statuses: Vec::new(),
            ..Self::default()
        }
    }
}

/// `true` when `allowed` is empty or holds `value`.
pub(crate) fn admits<T: PartialEq>(allowed: &[T], value: &T) -> bool {
    allowed.is_empty() || allowed.contains(value)
}
