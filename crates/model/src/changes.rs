//! A batch of changes to the data the map shows: what the store's change
//! feed reads and the index applies.

use crate::{Organisation, Procedure, ProcedureId, Report, ReportId};

/// A batch of changes, applied together: rows as they are now, and the ids
/// of those that are gone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    pub organisations: Vec<Organisation>,
    pub procedures: Vec<Procedure>,
    pub removed_procedures: Vec<ProcedureId>,
    /// Reports of every status: one that is no longer public leaves the map.
    pub reports: Vec<Report>,
    pub removed_reports: Vec<ReportId>,
}

impl Changes {
    /// How many rows changed.
    pub fn len(&self) -> usize {
        self.organisations.len()
            + self.procedures.len()
            + self.removed_procedures.len()
            + self.reports.len()
            + self.removed_reports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
