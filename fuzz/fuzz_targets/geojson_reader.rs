//! Arbitrary bytes through the import reader: the splitter (fed in pieces
//! whose size the first byte chooses), each feature's parser, the
//! reprojection from Gauss–Krüger and the drafts' validation. It must never
//! panic, hang or allocate without bound.
//!
//! `cargo +nightly fuzz run geojson_reader -- -max_total_time=600`

#![no_main]

use libfuzzer_sys::fuzz_target;
use partimap_ingest::{
    crs::{Crs, ToWgs84},
    features,
    import::{parse_feature, reproject_feature},
    reader::{Item, Splitter},
};
use partimap_model::{Problems, ProcedureId};

fuzz_target!(|data: &[u8]| {
    let Some((&piece, body)) = data.split_first() else {
        return;
    };
    let piece = usize::from(piece).max(1);
    let to = ToWgs84::new(Crs::GaussKrueger2);
    let mut splitter = Splitter::default();
    let mut items = Vec::new();
    for chunk in body.chunks(piece) {
        if splitter.push(chunk, &mut items).is_err() {
            break;
        }
    }
    let _ = splitter.finish(&mut items);
    for item in items {
        let Item::Feature { at, text, .. } = item else {
            continue;
        };
        let Ok(mut feature) = parse_feature(&text, at) else {
            continue;
        };
        let mut problems = Problems::default();
        reproject_feature(&mut feature, &to, &mut problems);
        let props = features::properties(&feature).clone();
        let draft = features::procedure_draft(&feature, &props, None, &mut problems);
        let _ = draft.validate(ProcedureId(1));
        let _ = features::report_draft(&feature, &mut problems);
    }
});
