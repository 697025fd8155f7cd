//! Identifiers. Each is a newtype so that a procedure id can never be passed
//! where a report id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// The store's id of an organisation.
    OrganisationId
);
id_type!(
    /// The store's id of a procedure; also its feature id in vector tiles.
    ProcedureId
);
id_type!(
    /// The store's id of a citizen's report; also its feature id in vector tiles.
    ReportId
);
