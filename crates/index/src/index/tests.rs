//! The index against brute force on seeded random data.

use std::collections::BTreeSet;

use geo::{BoundingRect, MultiPolygon, Point, polygon};
use partimap_model::{OrganisationKind, ReportStatus};
use proptest::prelude::*;

use super::*;
use crate::mercator::project;

const KINDS: [ProcedureKind; 6] = ProcedureKind::ALL;
const CATEGORIES: [&str; 3] = ["litter", "road_damage", "graffiti"];

/// Random data: organisations in a chain-and-branch hierarchy, procedures
/// with an area, a point or nothing, and reports of every status.
#[derive(Debug, Clone)]
struct World {
    organisations: Vec<Organisation>,
    procedures: Vec<Procedure>,
    reports: Vec<Report>,
}

fn world() -> impl Strategy<Value = World> {
    let organisations = prop::collection::vec((any::<bool>(), 6.0f64..9.0, 50.5f64..52.0), 1..8);
    let procedures = prop::collection::vec(
        (
            0usize..8,
            0usize..6,
            0u8..3,
            6.0f64..9.0,
            50.5f64..52.0,
            0.001f64..0.3,
            0i64..60,
            prop::option::of(0i64..60),
            prop::option::of(0usize..3),
        ),
        0..40,
    );
    let reports = prop::collection::vec(
        (0usize..40, 0usize..3, 0usize..5, 0.0f64..1.0, 0.0f64..1.0),
        0..200,
    );
    (organisations, procedures, reports).prop_map(|(orgs, procs, reps)| {
        let organisations: Vec<_> = orgs
            .iter()
            .enumerate()
            .map(|(i, (has_seat, lon, lat))| Organisation {
                id: OrganisationId(i as i64 + 1),
                key: format!("o{i}"),
                name: format!("Org {i}"),
                kind: if i == 0 { OrganisationKind::State } else { OrganisationKind::Municipality },
                ags: None,
                // Organisation i hangs below i / 2: a binary tree.
                parent: (i > 0).then(|| OrganisationId((i / 2) as i64 + 1)),
                seat: has_seat.then(|| Point::new(*lon, *lat)),
                embed_origins: Vec::new(),
            })
            .collect();
        let day0 = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let procedures: Vec<_> = procs
            .iter()
            .enumerate()
            .map(|(i, (org, kind, place, lon, lat, size, start, len, status))| Procedure {
                id: ProcedureId(i as i64 + 1),
                organisation: OrganisationId((org % organisations.len()) as i64 + 1),
                external_id: format!("p{i}"),
                title: format!("Procedure {i}"),
                summary: String::new(),
                kind: KINDS[*kind],
                start: day0 + chrono::Days::new(*start as u64),
                end: len.map(|l| day0 + chrono::Days::new((*start + l) as u64)),
                status_override: status.map(|s| ProcedureStatus::ALL[s]),
                url: "https://example.org".into(),
                area: match place {
                    0 => Some(Area::Polygons(MultiPolygon(vec![polygon![
                        (x: *lon, y: *lat), (x: lon + size, y: *lat), (x: lon + size / 2.0, y: lat + size)
                    ]]))),
                    1 => Some(Area::Point(Point::new(*lon, *lat))),
                    _ => None,
                },
                categories: CATEGORIES
                    .iter()
                    .take(2)
                    .map(|c| partimap_model::Category { code: (*c).to_owned(), label: String::new() })
                    .collect(),
                moderation: Default::default(),
                location_precision_m: None,
            })
            .collect();
        let reports = reps
            .iter()
            .enumerate()
            .filter(|_| !procedures.is_empty())
            .map(|(i, (proc_, cat, status, fx, fy))| {
                let p = &procedures[proc_ % procedures.len()];
                let (lon, lat) = match &p.area {
                    Some(Area::Polygons(mp)) => {
                        let r = mp.bounding_rect().unwrap();
                        (r.min().x + fx * r.width(), r.min().y + fy * r.height())
                    }
                    _ => (6.0 + 3.0 * fx, 50.5 + 1.5 * fy),
                };
                Report {
                    id: ReportId(i as i64 + 1),
                    procedure: p.id,
                    external_id: None,
                    category: CATEGORIES[*cat].into(),
                    description: "x".into(),
                    status: ReportStatus::ALL[*status],
                    location: Point::new(lon, lat),
                    created: chrono::DateTime::UNIX_EPOCH,
                    contact: None,
                }
            })
            .collect();
        World { organisations, procedures, reports }
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    (
        prop::collection::vec(0usize..3, 0..3),
        prop::collection::vec(0usize..6, 0..3),
        prop::collection::vec(1i64..9, 0..2),
        prop::collection::vec(1i64..41, 0..2),
        prop::collection::vec(0usize..3, 0..2),
        prop::option::of(0u64..120),
        prop::option::of(0u64..120),
    )
        // A window's first day is not after its last (the parameters refuse
        // one that is).
        .prop_map(|(s, k, o, p, c, a, b)| match (a, b) {
            (Some(a), Some(b)) => (s, k, o, p, c, Some(a.min(b)), Some(a.max(b))),
            _ => (s, k, o, p, c, a, b),
        })
        .prop_map(|(s, k, o, p, c, from, until)| Filter {
            statuses: s.into_iter().map(|i| ProcedureStatus::ALL[i]).collect(),
            kinds: k.into_iter().map(|i| KINDS[i]).collect(),
            organisations: o.into_iter().map(OrganisationId).collect(),
            procedures: p.into_iter().map(ProcedureId).collect(),
            categories: c.into_iter().map(|i| CATEGORIES[i].to_owned()).collect(),
            from: from.map(|d| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(d)),
            until: until
                .map(|d| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(d)),
        })
}

/// The brute-force answer, computed from the domain values alone.
fn brute_force_admits(world: &World, p: &Procedure, f: &Filter, today: NaiveDate) -> bool {
    let mut chain = vec![p.organisation];
    let mut next = world
        .organisations
        .iter()
        .find(|o| o.id == p.organisation)
        .and_then(|o| o.parent);
    while let Some(parent) = next {
        chain.push(parent);
        next = world
            .organisations
            .iter()
            .find(|o| o.id == parent)
            .and_then(|o| o.parent);
    }
    (f.statuses.is_empty() || f.statuses.contains(&p.status(today)))
        && (f.kinds.is_empty() || f.kinds.contains(&p.kind))
        && (f.procedures.is_empty() || f.procedures.contains(&p.id))
        && (f.organisations.is_empty() || f.organisations.iter().any(|o| chain.contains(o)))
        && shares_a_day(p, f)
}

/// Whether some day lies in the procedure's period and in the filter's
/// window: the first day of both, if there is one, is in both.
fn shares_a_day(p: &Procedure, f: &Filter) -> bool {
    let first = f.from.map_or(p.start, |from| from.max(p.start));
    p.end.is_none_or(|end| first <= end) && f.until.is_none_or(|until| first <= until)
}

fn placed_envelope(world: &World, p: &Procedure) -> Option<Envelope> {
    let rect = match &p.area {
        Some(Area::Polygons(mp)) => {
            let r = mp.bounding_rect()?;
            (project(r.min()), project(r.max()))
        }
        Some(Area::Point(pt)) => (project(pt.0), project(pt.0)),
        None => {
            let seat = world
                .organisations
                .iter()
                .find(|o| o.id == p.organisation)?
                .seat?;
            (project(seat.0), project(seat.0))
        }
    };
    Some(Envelope {
        min: rect.0,
        max: rect.1,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]

    #[test]
    fn queries_equal_brute_force(world in world(), f in filter(), lon in 5.5f64..9.0, lat in 50.3f64..52.0, span in 0.01f64..3.0, day in 0u64..150) {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(day);
        let index = Index::build(&world.organisations, &world.procedures, &world.reports);
        let envelope = Envelope {
            min: project(Coord { x: lon, y: lat }),
            max: project(Coord { x: lon + span, y: lat + span / 2.0 }),
        };

        let got: BTreeSet<_> = index.procedures_in(&envelope, &f, today).map(|p| p.facts.id).collect();
        let want: BTreeSet<_> = world.procedures.iter()
            .filter(|p| placed_envelope(&world, p).is_some_and(|e| e.intersects(&envelope)))
            .filter(|p| brute_force_admits(&world, p, &f, today))
            .map(|p| p.id)
            .collect();
        prop_assert_eq!(got, want);

        // The overview slabs admit what the filter admits, and hold every
        // placed procedure drawn at their zoom.
        let everywhere: BTreeSet<_> = index.procedures_in(&world_envelope(), &f, today).map(|p| p.facts.id).collect();
        for z in 0..crate::OVERVIEW_ZOOMS {
            let slab = index.overview(z).unwrap();
            let got: BTreeSet<_> = slab.entries().iter().filter(|e| index.admits_entry(e, &f, today)).map(|e| e.id).collect();
            let want: BTreeSet<_> = everywhere.iter().copied()
                .filter(|id| !matches!(index.procedure(*id).unwrap().grid_at(z), Some(crate::GridShape::Polygons(g)) if g.is_empty()))
                .collect();
            prop_assert_eq!(got, want, "zoom {}", z);
        }

        let got: BTreeSet<_> = index.reports_in(&envelope, &f, today).map(|r| r.id).collect();
        let want: BTreeSet<_> = world.reports.iter()
            .filter(|r| r.status.is_public())
            .filter(|r| envelope.contains(project(r.location.0)))
            .filter(|r| f.categories.is_empty() || f.categories.contains(&r.category))
            .filter(|r| world.procedures.iter().find(|p| p.id == r.procedure)
                .is_some_and(|p| placed_envelope(&world, p).is_some() && brute_force_admits(&world, p, &f, today)))
            .map(|r| r.id)
            .collect();
        prop_assert_eq!(got, want);
    }
}

/// The state, seated in Düsseldorf.
fn state() -> Organisation {
    Organisation {
        id: OrganisationId(1),
        key: "land-nrw".into(),
        name: "Land NRW".into(),
        kind: OrganisationKind::State,
        ags: None,
        parent: None,
        seat: Some(Point::new(6.77, 51.22)),
        embed_origins: Vec::new(),
    }
}

/// A running defect reporter of the state, with one category.
fn reporter() -> Procedure {
    Procedure {
        id: ProcedureId(1),
        organisation: OrganisationId(1),
        external_id: "m".into(),
        title: "M".into(),
        summary: String::new(),
        kind: ProcedureKind::Reporting,
        start: NaiveDate::MIN,
        end: None,
        status_override: None,
        url: "https://example.org".into(),
        area: Some(Area::Polygons(MultiPolygon(vec![
            polygon![(x: 7.0, y: 51.0), (x: 7.2, y: 51.0), (x: 7.1, y: 51.1)],
        ]))),
        categories: vec![partimap_model::Category {
            code: "litter".into(),
            label: String::new(),
        }],
        moderation: Default::default(),
        location_precision_m: None,
    }
}

#[test]
fn private_and_hidden_reports_never_enter_the_index() {
    let org = state();
    let procedure = Procedure {
        area: None,
        categories: Vec::new(),
        ..reporter()
    };
    let reports: Vec<_> = ReportStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, status)| Report {
            id: ReportId(i as i64),
            procedure: procedure.id,
            external_id: None,
            category: "litter".into(),
            description: "x".into(),
            status: *status,
            location: Point::new(6.77, 51.22),
            created: chrono::DateTime::UNIX_EPOCH,
            contact: None,
        })
        .collect();
    let index = Index::build(&[org], &[procedure], &reports);
    let statuses: BTreeSet<_> = index
        .reports_in(
            &crate::TileCoord::new(0, 0, 0).unwrap().envelope(),
            &Filter::everything(),
            NaiveDate::MIN,
        )
        .map(|r| r.status.as_str())
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["in_progress", "published", "resolved"])
    );
}

/// Procedure ids, report ids, per zoom the clusters (id, rounded
/// position, count), and the overview slabs' entries with their commands.
type Answers = (
    BTreeSet<i64>,
    BTreeSet<i64>,
    Vec<Vec<(u64, i64, i64, u32)>>,
    Vec<Vec<(crate::OverviewEntry, Vec<u8>)>>,
);

/// Everything the index answers for one query, in a comparable form.
fn answers(index: &Index, envelope: &Envelope, f: &Filter, today: NaiveDate) -> Answers {
    let procedures = index
        .procedures_in(envelope, f, today)
        .map(|p| p.facts.id.0)
        .collect();
    let reports = index
        .reports_in(envelope, f, today)
        .map(|r| r.id.0)
        .collect();
    let clusters = (0..index.config().cluster_below_zoom)
        .map(|z| {
            let mut v: Vec<_> = index
                .clusters_in(z, envelope, f, today)
                .map(|(_, c, n)| {
                    (
                        c.id,
                        c.position.x.round() as i64,
                        c.position.y.round() as i64,
                        n,
                    )
                })
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    let overview = (0..crate::OVERVIEW_ZOOMS)
        .map(|z| {
            index
                .overview(z)
                .map(|s| {
                    s.contents()
                        .into_iter()
                        .filter(|(e, _)| index.admits_entry(e, f, today))
                        .map(|(e, c)| (e, c.to_vec()))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    (procedures, reports, clusters, overview)
}

fn world_envelope() -> Envelope {
    crate::TileCoord::new(0, 0, 0).unwrap().envelope()
}

/// A random edit of a world: what changes, applied to both the world and a
/// batch of [`Changes`].
#[derive(Debug, Clone)]
enum Edit {
    MoveOrganisationSeat(usize, f64, f64),
    DropOrganisationSeat(usize),
    ChangeProcedure(usize, usize, f64),
    RemoveProcedure(usize),
    ChangeReport(usize, usize, f64, f64),
    RemoveReport(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0usize..8, 6.0f64..9.0, 50.5f64..52.0)
            .prop_map(|(o, x, y)| Edit::MoveOrganisationSeat(o, x, y)),
        (0usize..8).prop_map(Edit::DropOrganisationSeat),
        (0usize..40, 0usize..6, 0.0f64..0.2).prop_map(|(p, k, d)| Edit::ChangeProcedure(p, k, d)),
        (0usize..40).prop_map(Edit::RemoveProcedure),
        (0usize..200, 0usize..5, 0.0f64..1.0, 0.0f64..1.0)
            .prop_map(|(r, s, fx, fy)| Edit::ChangeReport(r, s, fx, fy)),
        (0usize..200).prop_map(Edit::RemoveReport),
    ]
}

fn apply_edit(world: &mut World, edit: &Edit, changes: &mut Changes) {
    match *edit {
        Edit::MoveOrganisationSeat(o, x, y) => {
            if let Some(org) = world.organisations.get_mut(o) {
                org.seat = Some(Point::new(x, y));
                changes.organisations.push(org.clone());
            }
        }
        Edit::DropOrganisationSeat(o) => {
            if let Some(org) = world.organisations.get_mut(o) {
                org.seat = None;
                changes.organisations.push(org.clone());
            }
        }
        Edit::ChangeProcedure(p, kind, shift) => {
            if let Some(proc_) = world.procedures.get_mut(p) {
                proc_.kind = KINDS[kind];
                if let Some(Area::Polygons(mp)) = &mut proc_.area {
                    use geo::Translate;
                    mp.translate_mut(shift, 0.0);
                }
                changes.procedures.push(proc_.clone());
            }
        }
        Edit::RemoveProcedure(p) => {
            if p < world.procedures.len() {
                let removed = world.procedures.remove(p);
                world.reports.retain(|r| r.procedure != removed.id);
                changes.removed_procedures.push(removed.id);
            }
        }
        Edit::ChangeReport(r, status, fx, fy) => {
            if let Some(report) = world.reports.get_mut(r) {
                report.status = ReportStatus::ALL[status];
                report.location = Point::new(6.0 + 3.0 * fx, 50.5 + 1.5 * fy);
                changes.reports.push(report.clone());
            }
        }
        Edit::RemoveReport(r) => {
            if r < world.reports.len() {
                let removed = world.reports.remove(r);
                changes.removed_reports.push(removed.id);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, rng_seed: proptest::test_runner::RngSeed::Fixed(11), ..ProptestConfig::default() })]

    /// Applying changes in place gives the same answers as building afresh
    /// from the changed data: for procedures, reports and clusters at every
    /// clustered zoom.
    #[test]
    fn incremental_changes_equal_a_fresh_bulk_load(
        world in world(),
        batches in prop::collection::vec(prop::collection::vec(edit(), 1..6), 1..4),
        f in filter(),
        day in 0u64..150,
    ) {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(day);
        let mut world = world;
        let mut index = Index::build(&world.organisations, &world.procedures, &world.reports);
        for batch in &batches {
            let mut changes = Changes::default();
            for e in batch {
                apply_edit(&mut world, e, &mut changes);
            }
            index.apply(&changes);
        }
        let fresh = Index::build(&world.organisations, &world.procedures, &world.reports);
        for f in [Filter::everything(), f] {
            prop_assert_eq!(answers(&index, &world_envelope(), &f, today), answers(&fresh, &world_envelope(), &f, today));
        }
    }

    /// At every clustered zoom, the clusters' counts under a filter add up to
    /// the reports the filter admits.
    #[test]
    fn cluster_counts_add_up_to_the_reports(world in world(), f in filter(), day in 0u64..150) {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(day);
        let index = Index::build(&world.organisations, &world.procedures, &world.reports);
        let reports = index.reports_in(&world_envelope(), &f, today).count() as u32;
        for zoom in 0..index.config().cluster_below_zoom {
            let sum: u32 = index.clusters_in(zoom, &world_envelope(), &f, today).map(|(_, _, n)| n).sum();
            prop_assert_eq!(sum, reports, "zoom {}", zoom);
        }
    }
}

#[test]
fn a_report_change_dirties_only_its_place_and_procedure() {
    let world = World {
        organisations: vec![state()],
        procedures: vec![reporter()],
        reports: Vec::new(),
    };
    let mut index = Index::build(&world.organisations, &world.procedures, &world.reports);
    let report = Report {
        id: ReportId(1),
        procedure: ProcedureId(1),
        external_id: None,
        category: "litter".into(),
        description: "x".into(),
        status: ReportStatus::Published,
        location: Point::new(7.1, 51.03),
        created: chrono::DateTime::UNIX_EPOCH,
        contact: None,
    };
    let dirty = index.apply(&Changes {
        reports: vec![report],
        ..Changes::default()
    });
    let today = NaiveDate::MIN;
    let at = project(Coord { x: 7.1, y: 51.03 });
    let tile_at = |z: u32| {
        let n = f64::from(1u32 << z);
        let size = 2.0 * crate::mercator::HALF_WORLD / n;
        let x = ((at.x + crate::mercator::HALF_WORLD) / size).floor() as u32;
        let y = ((crate::mercator::HALF_WORLD - at.y) / size).floor() as u32;
        crate::TileCoord::new(z, x, y).unwrap()
    };
    for z in 0..=crate::MAX_ZOOM {
        let tile = tile_at(u32::from(z)).envelope();
        assert!(
            dirty
                .iter()
                .any(|d| d.touches(z, &tile, &Filter::default(), today)),
            "zoom {z}"
        );
        let other_category = Filter {
            categories: vec!["graffiti".into()],
            ..Filter::default()
        };
        let other_procedure = Filter {
            procedures: vec![ProcedureId(2)],
            ..Filter::default()
        };
        if z >= 14 {
            assert!(
                !dirty
                    .iter()
                    .any(|d| d.touches(z, &tile, &other_category, today)),
                "zoom {z}"
            );
        }
        assert!(
            !dirty
                .iter()
                .any(|d| d.touches(z, &tile, &other_procedure, today)),
            "zoom {z}"
        );
    }
    // A far tile is untouched.
    let far = crate::TileCoord::new(14, 0, 0).unwrap().envelope();
    assert!(
        !dirty
            .iter()
            .any(|d| d.touches(14, &far, &Filter::default(), today))
    );
}
