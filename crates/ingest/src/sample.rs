//! The sample data of `data/`: real NRW authorities, procedures at their real
//! places and reports in defect reporters. Compiled into the binary, so that
//! `partimap serve` shows a map anywhere with one command.

use std::collections::HashMap;

use chrono::Utc;
use geojson::{Feature, GeoJson};
use partimap_model::{OrganisationDraft, OrganisationId, Problems, Procedure};
use partimap_store::{Store, WriteTx};

use crate::{Error, Rejection, Result, features};

pub const ORGANISATIONS: &str = include_str!("../../../data/organisations.geojson");
pub const PROCEDURES: &str = include_str!("../../../data/procedures.geojson");
pub const REPORTS: &str = include_str!("../../../data/reports.geojson");

/// How much was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub organisations: usize,
    pub procedures: usize,
    pub reports: usize,
}

/// Loads the sample data when the store is new; `None` when it already holds
/// data (a restart must not load it twice).
pub async fn load_if_empty(store: &Store) -> Result<Option<Summary>> {
    if !store.is_empty().await? {
        return Ok(None);
    }
    load(store, ORGANISATIONS, PROCEDURES, REPORTS)
        .await
        .map(Some)
}

fn collection(layer: &'static str, text: &str) -> Result<Vec<Feature>> {
    match text.parse::<GeoJson>() {
        Ok(GeoJson::FeatureCollection(fc)) => Ok(fc.features),
        Ok(other) => Err(Error::NotGeoJson {
            layer,
            reason: format!(
                "found a {} instead",
                match other {
                    GeoJson::Feature(_) => "Feature",
                    _ => "Geometry",
                }
            ),
        }),
        Err(e) => Err(Error::NotGeoJson {
            layer,
            reason: e.to_string(),
        }),
    }
}

/// Loads organisations, procedures and reports (three FeatureCollections) in
/// one transaction: all of it, or — when any feature is rejected — nothing.
pub async fn load(
    store: &Store,
    organisations: &str,
    procedures: &str,
    reports: &str,
) -> Result<Summary> {
    let organisations = collection("organisations", organisations)?;
    let procedures = collection("procedures", procedures)?;
    let reports = collection("reports", reports)?;
    let mut tx = store.begin().await?;
    let mut loader = Loader {
        tx: &mut tx,
        rejections: Vec::new(),
        organisations: HashMap::new(),
        procedures: HashMap::new(),
    };
    let summary = Summary {
        organisations: loader.organisations(&organisations).await?,
        procedures: loader.procedures(&procedures).await?,
        reports: loader.reports(&reports).await?,
    };
    if !loader.rejections.is_empty() {
        return Err(Error::Rejected(loader.rejections));
    }
    tx.commit().await?;
    Ok(summary)
}

struct Loader<'a> {
    tx: &'a mut WriteTx,
    rejections: Vec<Rejection>,
    /// Organisations by key, as loaded in this transaction.
    organisations: HashMap<String, OrganisationId>,
    /// Procedures by (organisation key, external id), as loaded here.
    procedures: HashMap<(String, String), Procedure>,
}

impl Loader<'_> {
    fn reject(
        &mut self,
        layer: &'static str,
        index: usize,
        id: Option<String>,
        problems: Problems,
    ) {
        self.rejections.push(Rejection {
            layer,
            index,
            id,
            problems: problems.0,
        });
    }

    async fn organisation_id(&mut self, key: &str) -> Result<Option<OrganisationId>> {
        if let Some(id) = self.organisations.get(key) {
            return Ok(Some(*id));
        }
        Ok(self.tx.organisation_id_by_key(key).await?)
    }

    async fn organisations(&mut self, features: &[Feature]) -> Result<usize> {
        let mut count = 0;
        for (i, feature) in features.iter().enumerate() {
            let mut problems = Problems::default();
            let props = features::properties(feature);
            let key = features::required_string(props, "key", &mut problems);
            let parent = match features::string_or_none(props, "parent", &mut problems) {
                Some(parent) => {
                    let id = self.organisation_id(&parent).await?;
                    if id.is_none() {
                        problems.push("/properties/parent", format!("unknown organisation {parent:?} (parents must come before their children)"));
                    }
                    id
                }
                None => None,
            };
            if self.organisation_id(&key).await?.is_some() {
                problems.push(
                    "/properties/key",
                    format!("organisation {key:?} exists already"),
                );
            }
            let draft = OrganisationDraft {
                key: key.clone(),
                name: features::required_string(props, "name", &mut problems),
                kind: features::required_string(props, "kind", &mut problems),
                ags: features::string_or_none(props, "ags", &mut problems),
                parent,
                seat: features::point(feature, false, &mut problems),
                embed_origins: features::strings_or_none(props, "embed_origins", &mut problems),
            };
            let id = self.tx.next_organisation_id().await?;
            let validated = problems.take("/properties", draft.validate(id));
            match validated {
                Some(organisation) if problems.is_empty() => {
                    self.tx.insert_organisation(&organisation).await?;
                    self.organisations.insert(key, organisation.id);
                    count += 1;
                }
                _ => self.reject(
                    "organisations",
                    i,
                    Some(key).filter(|k| !k.is_empty()),
                    problems,
                ),
            }
        }
        Ok(count)
    }

    async fn procedures(&mut self, features: &[Feature]) -> Result<usize> {
        let mut count = 0;
        for (i, feature) in features.iter().enumerate() {
            let mut problems = Problems::default();
            let props = features::properties(feature);
            let organisation_key = features::required_string(props, "organisation", &mut problems);
            let organisation = self.organisation_id(&organisation_key).await?;
            if organisation.is_none() && !organisation_key.is_empty() {
                problems.push(
                    "/properties/organisation",
                    format!("unknown organisation {organisation_key:?}"),
                );
            }
            let external_id = features::optional_string(props, "external_id")
                .ok()
                .flatten()
                .unwrap_or_default();
            let key = (organisation_key.clone(), external_id.clone());
            let exists = match organisation {
                Some(org) => {
                    self.procedures.contains_key(&key)
                        || self
                            .tx
                            .procedure_by_external_id(org, &external_id)
                            .await?
                            .is_some()
                }
                None => false,
            };
            if exists {
                problems.push(
                    "/properties/external_id",
                    format!("procedure {external_id:?} of {organisation_key:?} exists already"),
                );
            }
            let draft = features::procedure_draft(feature, props, organisation, &mut problems);
            let id = self.tx.next_procedure_id().await?;
            let validated = match draft.validate(id) {
                Ok(p) => Some(p),
                Err(found) => {
                    problems.extend(features::in_feature(found));
                    None
                }
            };
            match validated {
                Some(procedure) if problems.is_empty() => {
                    self.tx.insert_procedure(&procedure).await?;
                    self.procedures.insert(key, procedure);
                    count += 1;
                }
                _ => self.reject(
                    "procedures",
                    i,
                    Some(format!("{organisation_key}/{external_id}")),
                    problems,
                ),
            }
        }
        Ok(count)
    }

    async fn reports(&mut self, features: &[Feature]) -> Result<usize> {
        let mut count = 0;
        let now = Utc::now();
        for (i, feature) in features.iter().enumerate() {
            let mut problems = Problems::default();
            let props = features::properties(feature);
            let organisation_key = features::required_string(props, "organisation", &mut problems);
            let external_id = features::required_string(props, "procedure", &mut problems);
            let procedure = match self
                .procedures
                .get(&(organisation_key.clone(), external_id.clone()))
            {
                Some(p) => Some(p.clone()),
                None => match self.organisation_id(&organisation_key).await? {
                    Some(org) => self.tx.procedure_by_external_id(org, &external_id).await?,
                    None => None,
                },
            };
            if procedure.is_none() && !external_id.is_empty() {
                problems.push(
                    "/properties/procedure",
                    format!(
                        "unknown procedure {external_id:?} of organisation {organisation_key:?}"
                    ),
                );
            }
            let draft = features::report_draft(feature, &mut problems);
            let id = self.tx.next_report_id().await?;
            let validated = match (draft, &procedure) {
                (Some(draft), Some(procedure)) => match draft.validate(id, procedure, now) {
                    Ok(r) => Some(r),
                    Err(found) => {
                        problems.extend(features::in_feature(found));
                        None
                    }
                },
                _ => None,
            };
            match validated {
                Some(report) if problems.is_empty() => {
                    self.tx.insert_report(&report).await?;
                    count += 1;
                }
                _ => self.reject("reports", i, None, problems),
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use partimap_store::DatabaseUrl;

    use super::*;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DatabaseUrl::embedded(dir.path()))
            .await
            .unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn the_sample_data_loads_whole_and_only_once() {
        let (_dir, store) = store().await;
        let summary = load_if_empty(&store).await.unwrap().unwrap();
        assert!(summary.organisations >= 15, "{summary:?}");
        assert!(summary.procedures >= 40, "{summary:?}");
        assert!(summary.reports >= 300, "{summary:?}");
        assert_eq!(load_if_empty(&store).await.unwrap(), None);
        let snapshot = store.snapshot().await.unwrap();
        assert_eq!(snapshot.procedures.len(), summary.procedures);
        // A snapshot holds the public reports (the index keeps no other).
        let public = collection("reports", REPORTS)
            .unwrap()
            .iter()
            .filter(|f| {
                let status = f.property("status").and_then(|s| s.as_str());
                matches!(status, Some("published" | "in_progress" | "resolved"))
            })
            .count();
        assert!(public > 0 && public < summary.reports, "{public}");
        assert_eq!(snapshot.reports.len(), public);
        assert!(snapshot.reports.iter().all(|r| r.status.is_public()));
    }

    #[tokio::test]
    async fn one_bad_feature_rejects_everything_and_says_where() {
        let (_dir, store) = store().await;
        let organisations = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[6.77,51.22]},"properties":{"key":"land-nrw","name":"Land NRW","kind":"state","ags":"05"}},
            {"type":"Feature","geometry":null,"properties":{"key":"stadt-x","name":"Stadt X","kind":"city","parent":"land-nrw"}}
        ]}"#;
        let procedures = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[7,51],[7.1,51],[7.1,51.1],[7,51]]]},
             "properties":{"organisation":"land-nrw","external_id":"p1","title":"T","kind":"dialog","start":"2026-01-01","end":"2025-01-01","url":"https://example.org"}},
            {"type":"Feature","geometry":null,
             "properties":{"organisation":"nobody","external_id":"p2","title":"T","kind":"dialog","start":"2026-01-01","url":"https://example.org"}}
        ]}"#;
        let reports = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[7.05,51.02]},"properties":{"organisation":"land-nrw","procedure":"p9","category":"x","description":"d"}}
        ]}"#;
        let Err(Error::Rejected(rejections)) =
            load(&store, organisations, procedures, reports).await
        else {
            panic!("expected rejections");
        };
        let found: Vec<_> = rejections
            .iter()
            .map(|r| {
                (
                    r.layer,
                    r.index,
                    r.problems[0].pointer.as_str(),
                    r.problems[0].message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "organisations",
                    1,
                    "/properties/kind",
                    "unknown organisation kind \"city\"; expected one of: state, regional_government, district, municipality, ministry, state_agency"
                ),
                (
                    "procedures",
                    0,
                    "/properties/end",
                    "ends (2025-01-01) before it starts (2026-01-01)"
                ),
                (
                    "procedures",
                    1,
                    "/properties/organisation",
                    "unknown organisation \"nobody\""
                ),
                (
                    "reports",
                    0,
                    "/properties/procedure",
                    "unknown procedure \"p9\" of organisation \"land-nrw\""
                ),
            ]
        );
        assert!(store.is_empty().await.unwrap(), "nothing may be written");
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_feature_collection_is_named() {
        let (_dir, store) = store().await;
        let err = load(&store, "{\"type\":\"Point\",\"coordinates\":[1,2]}", "", "")
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "organisations: not a GeoJSON FeatureCollection: found a Geometry instead"
        );
    }
}
