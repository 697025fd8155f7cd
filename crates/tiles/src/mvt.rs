//! A Mapbox Vector Tile 2.1 encoder.
//!
//! Written here rather than taken from the `mvt` crate because the tile
//! pipeline already holds clean integer geometry (clipped, snapped, rings
//! oriented and de-duplicated by [`crate::geometry`]), so all that is left is
//! the protobuf framing: doing it directly avoids the `protobuf` runtime and a
//! second geometry representation per feature. The output is checked in the
//! tests by decoding it with MapLibre's own decoder (`@mapbox/vector-tile`).
//!
//! The protobuf messages (vector_tile.proto of the specification):
//! `Tile { repeated Layer layers = 3; }`,
//! `Layer { uint32 version = 15; string name = 1; repeated Feature features = 2;
//! repeated string keys = 3; repeated Value values = 4; uint32 extent = 5; }`,
//! `Feature { uint64 id = 1; packed uint32 tags = 2; GeomType type = 3;
//! packed uint32 geometry = 4; }`.

use hashbrown::{Equivalent, HashMap};

/// A property value. Strings are borrowed: a layer encodes them right away.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Str(&'a str),
    UInt(u64),
    Int(i64),
    Double(f64),
    Bool(bool),
}

/// A geometry in integer tile coordinates, cleaned for the specification:
/// no repeated points, rings oriented (exterior positive area by the
/// surveyor's formula with y down, interior negative), every ring with at
/// least three distinct points. Rings are open (the closing point is implied
/// by ClosePath).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileGeometry {
    Points(Vec<[i32; 2]>),
    /// Polygons, each an exterior ring followed by its holes.
    Polygons(Vec<Vec<Vec<[i32; 2]>>>),
}

/// A value as the layer's dictionary keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    Str(String),
    UInt(u64),
    Int(i64),
    Double(u64),
    Bool(bool),
}

/// The same, borrowed: looking a value up allocates nothing (only a value
/// seen for the first time is copied). It hashes exactly as [`ValueKey`]
/// does, the derived `Hash` of an enum being its discriminant, then its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ValueRef<'a> {
    Str(&'a str),
    UInt(u64),
    Int(i64),
    Double(u64),
    Bool(bool),
}

impl Equivalent<ValueKey> for ValueRef<'_> {
    fn equivalent(&self, key: &ValueKey) -> bool {
        match (self, key) {
            (Self::Str(a), ValueKey::Str(b)) => *a == b,
            (Self::UInt(a), ValueKey::UInt(b)) => a == b,
            (Self::Int(a), ValueKey::Int(b)) => a == b,
            (Self::Double(a), ValueKey::Double(b)) => a == b,
            (Self::Bool(a), ValueKey::Bool(b)) => a == b,
            _ => false,
        }
    }
}

impl ValueRef<'_> {
    fn to_key(self) -> ValueKey {
        match self {
            Self::Str(s) => ValueKey::Str(s.to_owned()),
            Self::UInt(v) => ValueKey::UInt(v),
            Self::Int(v) => ValueKey::Int(v),
            Self::Double(v) => ValueKey::Double(v),
            Self::Bool(v) => ValueKey::Bool(v),
        }
    }
}

/// One layer being built.
#[derive(Debug)]
pub struct LayerBuilder {
    name: String,
    extent: u32,
    keys: Vec<String>,
    key_index: HashMap<String, u32>,
    values: Vec<u8>,
    value_index: HashMap<ValueKey, u32>,
    features: Vec<u8>,
    feature_count: usize,
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

fn command(id: u32, count: usize) -> u32 {
    // A count never exceeds 2^29 - 1 here: rings are bounded by a tile.
    (id & 0x7) | ((count as u32) << 3)
}

fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn put_key(buf: &mut Vec<u8>, field: u32, wire_type: u32) {
    put_varint(buf, u64::from((field << 3) | wire_type));
}

fn put_bytes(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(buf, field, 2);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

fn put_packed(buf: &mut Vec<u8>, field: u32, values: &[u32]) {
    let mut packed = Vec::with_capacity(values.len() * 2);
    for v in values {
        put_varint(&mut packed, u64::from(*v));
    }
    put_bytes(buf, field, &packed);
}

/// Encodes the geometry commands; `None` when nothing is left to draw.
fn geometry_commands(geometry: &TileGeometry) -> Option<(u32, Vec<u32>)> {
    let mut out = Vec::new();
    let mut cursor = [0i32, 0i32];
    let mut delta = |out: &mut Vec<u32>, p: [i32; 2]| {
        out.push(zigzag(p[0] - cursor[0]));
        out.push(zigzag(p[1] - cursor[1]));
        cursor = p;
    };
    match geometry {
        TileGeometry::Points(points) if !points.is_empty() => {
            out.push(command(MOVE_TO, points.len()));
            for p in points {
                delta(&mut out, *p);
            }
            Some((1, out))
        }
        TileGeometry::Polygons(polygons) if !polygons.is_empty() => {
            for ring in polygons.iter().flatten() {
                debug_assert!(ring.len() >= 3, "rings are cleaned before encoding");
                out.push(command(MOVE_TO, 1));
                delta(&mut out, ring[0]);
                out.push(command(LINE_TO, ring.len() - 1));
                for p in &ring[1..] {
                    delta(&mut out, *p);
                }
                out.push(command(CLOSE_PATH, 1));
            }
            Some((3, out))
        }
        _ => None,
    }
}

impl LayerBuilder {
    pub fn new(name: &str, extent: u32) -> Self {
        Self {
            name: name.to_owned(),
            extent,
            keys: Vec::new(),
            key_index: HashMap::new(),
            values: Vec::new(),
            value_index: HashMap::new(),
            features: Vec::new(),
            feature_count: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.feature_count == 0
    }

    pub fn len(&self) -> usize {
        self.feature_count
    }

    fn key(&mut self, key: &str) -> u32 {
        if let Some(i) = self.key_index.get(key) {
            return *i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(key.to_owned());
        self.key_index.insert(key.to_owned(), i);
        i
    }

    fn value(&mut self, value: Value<'_>) -> u32 {
        let key = match value {
            Value::Str(s) => ValueRef::Str(s),
            Value::UInt(v) => ValueRef::UInt(v),
            Value::Int(v) => ValueRef::Int(v),
            Value::Double(v) => ValueRef::Double(v.to_bits()),
            Value::Bool(v) => ValueRef::Bool(v),
        };
        if let Some(i) = self.value_index.get(&key) {
            return *i;
        }
        let i = self.value_index.len() as u32;
        let mut message = Vec::new();
        match value {
            Value::Str(s) => put_bytes(&mut message, 1, s.as_bytes()),
            Value::Double(v) => {
                put_key(&mut message, 3, 1);
                message.extend_from_slice(&v.to_le_bytes());
            }
            Value::Int(v) if v < 0 => {
                // sint_value (zigzag) is the compact form for negatives.
                put_key(&mut message, 6, 0);
                put_varint(&mut message, ((v << 1) ^ (v >> 63)) as u64);
            }
            Value::Int(v) => {
                put_key(&mut message, 4, 0);
                put_varint(&mut message, v as u64);
            }
            Value::UInt(v) => {
                put_key(&mut message, 5, 0);
                put_varint(&mut message, v);
            }
            Value::Bool(v) => {
                put_key(&mut message, 7, 0);
                put_varint(&mut message, u64::from(v));
            }
        }
        put_bytes(&mut self.values, 4, &message);
        self.value_index.insert(key.to_key(), i);
        i
    }

    /// Adds a feature; returns `false` (and adds nothing) when the geometry
    /// is empty.
    pub fn add_feature(
        &mut self,
        id: u64,
        geometry: &TileGeometry,
        properties: &[(&str, Value<'_>)],
    ) -> bool {
        let Some((geom_type, commands)) = geometry_commands(geometry) else {
            return false;
        };
        let mut tags = Vec::with_capacity(properties.len() * 2);
        for (key, value) in properties {
            tags.push(self.key(key));
            tags.push(self.value(*value));
        }
        let mut message = Vec::with_capacity(16 + commands.len() * 2);
        put_key(&mut message, 1, 0);
        put_varint(&mut message, id);
        if !tags.is_empty() {
            put_packed(&mut message, 2, &tags);
        }
        put_key(&mut message, 3, 0);
        put_varint(&mut message, u64::from(geom_type));
        put_packed(&mut message, 4, &commands);
        put_bytes(&mut self.features, 2, &message);
        self.feature_count += 1;
        true
    }

    fn encode_into(&self, tile: &mut Vec<u8>) {
        let mut layer = Vec::with_capacity(self.features.len() + self.values.len() + 64);
        put_key(&mut layer, 15, 0);
        put_varint(&mut layer, 2);
        put_bytes(&mut layer, 1, self.name.as_bytes());
        layer.extend_from_slice(&self.features);
        for key in &self.keys {
            put_bytes(&mut layer, 3, key.as_bytes());
        }
        layer.extend_from_slice(&self.values);
        put_key(&mut layer, 5, 0);
        put_varint(&mut layer, u64::from(self.extent));
        put_bytes(tile, 3, &layer);
    }
}

/// Encodes a tile of the non-empty `layers` (names must be unique); an empty
/// vector when every layer is empty.
pub fn encode(layers: &[LayerBuilder]) -> Vec<u8> {
    let mut tile = Vec::new();
    for layer in layers.iter().filter(|l| !l.is_empty()) {
        layer.encode_into(&mut tile);
    }
    tile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_and_commands_follow_the_specification() {
        assert_eq!([zigzag(0), zigzag(-1), zigzag(1), zigzag(-2)], [0, 1, 2, 3]);
        // The specification's examples: MoveTo(1) = 9, LineTo(2) = 18, ClosePath = 15.
        assert_eq!(command(MOVE_TO, 1), 9);
        assert_eq!(command(LINE_TO, 2), 18);
        assert_eq!(command(CLOSE_PATH, 1), 15);
    }

    #[test]
    fn the_specifications_polygon_example_encodes_exactly() {
        // Section 4.3.5.3 of the specification: a polygon (3,6) (8,12) (20,34).
        let g = TileGeometry::Polygons(vec![vec![vec![[3, 6], [8, 12], [20, 34]]]]);
        let (t, commands) = geometry_commands(&g).unwrap();
        assert_eq!(t, 3);
        assert_eq!(commands, [9, 6, 12, 18, 10, 12, 24, 44, 15]);
    }

    #[test]
    fn values_and_keys_are_shared_within_a_layer() {
        let mut layer = LayerBuilder::new("reports", 4096);
        let p = TileGeometry::Points(vec![[1, 1]]);
        assert!(layer.add_feature(1, &p, &[("status", Value::Str("published"))]));
        assert!(layer.add_feature(2, &p, &[("status", Value::Str("published"))]));
        assert!(!layer.add_feature(3, &TileGeometry::Points(vec![]), &[]));
        assert_eq!(
            (layer.keys.len(), layer.value_index.len(), layer.len()),
            (1, 1, 2)
        );
    }

    #[test]
    fn an_all_empty_tile_is_zero_bytes() {
        assert!(encode(&[LayerBuilder::new("a", 4096)]).is_empty());
    }
}
