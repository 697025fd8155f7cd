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
                categories: Vec::new(),
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
    )
        .prop_map(|(s, k, o, p, c)| Filter {
            statuses: s.into_iter().map(|i| ProcedureStatus::ALL[i]).collect(),
            kinds: k.into_iter().map(|i| KINDS[i]).collect(),
            organisations: o.into_iter().map(OrganisationId).collect(),
            procedures: p.into_iter().map(ProcedureId).collect(),
            categories: c.into_iter().map(|i| CATEGORIES[i].to_owned()).collect(),
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

        let got: BTreeSet<_> = index.procedures_in(&envelope, &f, today).map(|p| p.id).collect();
        let want: BTreeSet<_> = world.procedures.iter()
            .filter(|p| placed_envelope(&world, p).is_some_and(|e| e.intersects(&envelope)))
            .filter(|p| brute_force_admits(&world, p, &f, today))
            .map(|p| p.id)
            .collect();
        prop_assert_eq!(got, want);

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

#[test]
fn private_and_hidden_reports_never_enter_the_index() {
    let org = Organisation {
        id: OrganisationId(1),
        key: "land-nrw".into(),
        name: "Land NRW".into(),
        kind: OrganisationKind::State,
        ags: None,
        parent: None,
        seat: Some(Point::new(6.77, 51.22)),
    };
    let procedure = Procedure {
        id: ProcedureId(1),
        organisation: org.id,
        external_id: "m".into(),
        title: "M".into(),
        summary: String::new(),
        kind: ProcedureKind::Reporting,
        start: NaiveDate::MIN,
        end: None,
        status_override: None,
        url: "https://example.org".into(),
        area: None,
        categories: Vec::new(),
    };
    let reports: Vec<_> = ReportStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, status)| Report {
            id: ReportId(i as i64),
            procedure: procedure.id,
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
