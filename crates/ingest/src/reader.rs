//! Streaming GeoJSON: features one at a time out of a body of any size.
//!
//! [`Splitter`] is fed the bytes as they arrive and hands out each feature's
//! own text with the line and column where it starts, so that memory is
//! bounded by the largest feature ([`MAX_FEATURE_BYTES`]), not by the file.
//! It reads
//!
//! - a FeatureCollection (`{"type": "FeatureCollection", "features": […]}`,
//!   members in any order; a legacy `crs` member is handed out too),
//! - a GeoJSON text sequence (RFC 8142: each feature after a record
//!   separator, 0x1E) and newline-delimited features,
//! - a single Feature.
//!
//! It only finds where values begin and end (strings, escapes, nesting); each
//! feature's text is then parsed by `serde_json`, whose error positions
//! [`Position::within`] turns into positions in the whole body. Why not a
//! streaming JSON crate: serde_json reads a whole value, and the streaming
//! parsers of the ecosystem (`struson`, `actson`) would make us rebuild each
//! feature from tokens; cutting the text and letting serde_json parse it is
//! simpler and as fast as serde_json itself.

use std::fmt;

/// A feature larger than this is refused: memory stays bounded whatever the
/// body holds.
pub const MAX_FEATURE_BYTES: usize = 64 << 20;

/// A place in the body: line and column (in bytes) from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

impl Position {
    /// The position in the body of `(line, column)` within a text that
    /// starts at `self`.
    pub fn within(self, line: usize, column: usize) -> Self {
        if line <= 1 {
            Self {
                line: self.line,
                column: self.column + column.saturating_sub(1) as u64,
            }
        } else {
            Self {
                line: self.line + line as u64 - 1,
                column: column as u64,
            }
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// What the splitter found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// The text of the feature number `index` (from 0), starting at `at`.
    Feature {
        index: usize,
        at: Position,
        text: Vec<u8>,
    },
    /// A member of the FeatureCollection other than `features` whose value
    /// matters: `type` or `crs` (its JSON text).
    Member {
        name: String,
        at: Position,
        text: Vec<u8>,
    },
}

/// Why the body cannot be read further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {at}")]
pub struct SyntaxError {
    pub message: String,
    pub at: Position,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    /// Between top-level values.
    Between,
    /// Inside a top-level object, not in `features`.
    Object,
    /// Inside the `features` array of the top-level object.
    Features,
}

/// The splitter's state; see the module documentation.
///
/// Bytes are not copied one by one: each buffer being filled (the whole
/// top-level object, a member, a feature, a key) receives slices of the
/// chunk between state changes, and strings are skipped with `memchr` to
/// their next quote or backslash.
#[derive(Debug)]
pub struct Splitter {
    /// Offset of the next byte in the body, its line, and the offset where
    /// that line starts.
    offset: u64,
    line: u64,
    line_start: u64,
    depth: u32,
    in_string: bool,
    escape: bool,
    top: Top,
    /// The whole top-level object while it may still be a single feature.
    whole: Option<(Position, Vec<u8>)>,
    /// The key being read at depth 1 (without quotes), the last key read,
    /// and whether a key comes next.
    key: Option<Vec<u8>>,
    last_key: Vec<u8>,
    expect_key: bool,
    /// A member value being captured (`type`, `crs`).
    member: Option<(Position, Vec<u8>)>,
    /// The feature being captured, and whether it is a scalar (ends at `,`
    /// or `]`).
    feature: Option<(Position, Vec<u8>, bool)>,
    features: usize,
    failed: bool,
    /// Members read while the object may still be a single feature; handed
    /// out once `features` shows it is a collection.
    pending: Vec<Item>,
    /// Start, in the current chunk, of the bytes not yet given to the
    /// buffers being filled.
    segment: usize,
}

impl Default for Splitter {
    fn default() -> Self {
        Self {
            offset: 0,
            line: 1,
            line_start: 0,
            depth: 0,
            in_string: false,
            escape: false,
            top: Top::Between,
            whole: None,
            key: None,
            last_key: Vec::new(),
            expect_key: false,
            member: None,
            feature: None,
            features: 0,
            failed: false,
            pending: Vec::new(),
            segment: 0,
        }
    }
}

impl Splitter {
    /// Reads `bytes`, appending what is complete to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Item>) -> Result<(), SyntaxError> {
        if self.failed {
            return Err(self.error("the body could not be read before"));
        }
        self.segment = 0;
        let result = self
            .scan(bytes, out)
            .and_then(|()| self.flush(bytes, bytes.len()));
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn scan(&mut self, bytes: &[u8], out: &mut Vec<Item>) -> Result<(), SyntaxError> {
        let mut i = 0;
        while i < bytes.len() {
            if let Some(floor) = self.nested_floor() {
                i = self.skim(bytes, i, floor);
                if i == bytes.len() {
                    return Ok(());
                }
            }
            if self.in_string {
                if self.escape {
                    self.escape = false;
                    self.step(bytes[i]);
                    i += 1;
                    continue;
                }
                let Some(k) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else {
                    self.skip(&bytes[i..]);
                    return Ok(());
                };
                self.skip(&bytes[i..i + k]);
                i += k;
                if bytes[i] == b'\\' {
                    self.escape = true;
                } else {
                    self.in_string = false;
                    self.string_closed(bytes, i, out)?;
                }
                self.step(bytes[i]);
                i += 1;
                continue;
            }
            let b = bytes[i];
            self.structure(bytes, i, b, out)?;
            self.step(b);
            i += 1;
        }
        Ok(())
    }

    /// The depth from which on the splitter is inside a value whose parts do
    /// not matter (a feature, or a member's object or array), if it is.
    fn nested_floor(&self) -> Option<u32> {
        let floor = match self.top {
            Top::Between => return None,
            Top::Object => 2,
            Top::Features => 3,
        };
        (self.depth >= floor).then_some(floor)
    }

    /// Passes the bytes of a nested value from `i` on, up to the bracket
    /// that closes depth `floor` (left to [`Self::structure`]) or the end of
    /// the chunk; returns where it stopped. Inside a nested value only
    /// strings, brackets and line ends change the state, so one tight loop
    /// does: calling `memchr` per string (features have twenty short ones)
    /// cost four times as much.
    fn skim(&mut self, bytes: &[u8], mut i: usize, floor: u32) -> usize {
        let start = i;
        let base = self.offset - start as u64;
        let (mut depth, mut in_string, mut escape) = (self.depth, self.in_string, self.escape);
        while i < bytes.len() {
            let b = bytes[i];
            if in_string {
                if escape {
                    escape = false;
                } else if b == b'\\' {
                    escape = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        if depth == floor {
                            break;
                        }
                        depth -= 1;
                    }
                    _ => {}
                }
            }
            if b == b'\n' {
                self.line += 1;
                self.line_start = base + i as u64 + 1;
            }
            i += 1;
        }
        self.offset = base + i as u64;
        (self.depth, self.in_string, self.escape) = (depth, in_string, escape);
        i
    }

    /// The end of the body: fails if a value is still open.
    pub fn finish(&mut self, out: &mut Vec<Item>) -> Result<(), SyntaxError> {
        if let Some((at, text, true)) = self.feature.take() {
            // A scalar at the end of an unclosed array.
            out.push(Item::Feature {
                index: self.features,
                at,
                text,
            });
        }
        if self.depth > 0 || self.in_string {
            return Err(self.error("unexpected end of the body (a value is not closed)"));
        }
        Ok(())
    }

    fn at(&self) -> Position {
        Position {
            line: self.line,
            column: self.offset - self.line_start + 1,
        }
    }

    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            at: self.at(),
        }
    }

    /// Moves past one byte.
    fn step(&mut self, b: u8) {
        self.offset += 1;
        if b == b'\n' {
            self.line += 1;
            self.line_start = self.offset;
        }
    }

    /// Moves past a run of string bytes.
    fn skip(&mut self, run: &[u8]) {
        if let Some(last) = memchr::memrchr(b'\n', run) {
            self.line += memchr::memchr_iter(b'\n', run).count() as u64;
            self.line_start = self.offset + last as u64 + 1;
        }
        self.offset += run.len() as u64;
    }

    /// Gives the bytes `segment..end` of the chunk to every buffer being
    /// filled.
    fn flush(&mut self, bytes: &[u8], end: usize) -> Result<(), SyntaxError> {
        let run = &bytes[self.segment.min(end)..end];
        self.segment = end;
        if run.is_empty() {
            return Ok(());
        }
        let at = self.at();
        for buffer in [
            self.whole.as_mut().map(|(_, t)| t),
            self.member.as_mut().map(|(_, t)| t),
            self.feature.as_mut().map(|(_, t, _)| t),
            self.key.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if buffer.len() + run.len() > MAX_FEATURE_BYTES {
                return Err(SyntaxError {
                    message: format!("a feature is larger than {MAX_FEATURE_BYTES} bytes"),
                    at,
                });
            }
            buffer.extend_from_slice(run);
        }
        Ok(())
    }

    /// A string closed with the quote at `i`: a key of the top-level object,
    /// or a string element of `features`.
    fn string_closed(
        &mut self,
        bytes: &[u8],
        i: usize,
        out: &mut Vec<Item>,
    ) -> Result<(), SyntaxError> {
        if self.key.is_some() {
            // The key's text without its closing quote.
            self.flush(bytes, i)?;
            if let Some(k) = self.key.take() {
                self.last_key = k;
            }
            return Ok(());
        }
        if self.top == Top::Features
            && self.depth == 2
            && matches!(self.feature, Some((_, _, true)))
        {
            self.flush(bytes, i + 1)?;
            self.end_scalar_feature(out);
        }
        Ok(())
    }

    fn structure(
        &mut self,
        bytes: &[u8],
        i: usize,
        b: u8,
        out: &mut Vec<Item>,
    ) -> Result<(), SyntaxError> {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' | 0x1e => Ok(()),
            b'{' | b'[' => self.open(bytes, i, b, out),
            b'}' | b']' => self.close(bytes, i, b, out),
            b',' => {
                if self.top == Top::Features && self.depth == 2 {
                    self.flush(bytes, i)?;
                    self.end_scalar_feature(out);
                } else if self.top == Top::Object && self.depth == 1 {
                    self.flush(bytes, i)?;
                    self.end_member(out);
                    self.expect_key = true;
                }
                Ok(())
            }
            b':' => Ok(()),
            b'"' => {
                self.in_string = true;
                if self.top == Top::Object && self.depth == 1 && self.expect_key {
                    // A key of the top-level object: read without quotes.
                    self.expect_key = false;
                    self.flush(bytes, i + 1)?;
                    self.key = Some(Vec::new());
                    return Ok(());
                }
                self.start_value(bytes, i)
            }
            _ => {
                if self.depth == 0 {
                    return Err(self.error(
                        "expected a GeoJSON FeatureCollection, Feature or text sequence of features",
                    ));
                }
                self.start_value(bytes, i)
            }
        }
    }

    /// A scalar value starts at byte `i`: a member value of interest at
    /// depth 1, or a scalar element of `features`.
    fn start_value(&mut self, bytes: &[u8], i: usize) -> Result<(), SyntaxError> {
        if self.top == Top::Object && self.depth == 1 && self.member.is_none() {
            if matches!(&self.last_key[..], b"type" | b"crs") {
                self.flush(bytes, i)?;
                self.member = Some((self.at(), Vec::new()));
            }
        } else if self.top == Top::Features && self.depth == 2 && self.feature.is_none() {
            self.flush(bytes, i)?;
            self.feature = Some((self.at(), Vec::new(), true));
        }
        Ok(())
    }

    fn open(
        &mut self,
        bytes: &[u8],
        i: usize,
        b: u8,
        out: &mut Vec<Item>,
    ) -> Result<(), SyntaxError> {
        match (self.top, self.depth) {
            (Top::Between, 0) => {
                if b == b'[' {
                    return Err(
                        self.error("expected a GeoJSON FeatureCollection or Feature, not an array")
                    );
                }
                self.flush(bytes, i)?;
                self.top = Top::Object;
                self.whole = Some((self.at(), Vec::new()));
                self.last_key.clear();
                self.expect_key = true;
            }
            (Top::Object, 1)
                if b == b'[' && self.last_key == b"features" && self.member.is_none() =>
            {
                // The collection's features: no longer a single feature.
                self.flush(bytes, i + 1)?;
                self.whole = None;
                out.append(&mut self.pending);
                self.top = Top::Features;
            }
            (Top::Object, 1)
                if matches!(&self.last_key[..], b"type" | b"crs") && self.member.is_none() =>
            {
                // An object value (`crs`).
                self.flush(bytes, i)?;
                self.member = Some((self.at(), Vec::new()));
            }
            (Top::Features, 2) => {
                self.flush(bytes, i)?;
                self.feature = Some((self.at(), Vec::new(), false));
            }
            _ => {}
        }
        self.depth += 1;
        Ok(())
    }

    fn close(
        &mut self,
        bytes: &[u8],
        i: usize,
        b: u8,
        out: &mut Vec<Item>,
    ) -> Result<(), SyntaxError> {
        if self.depth == 0 {
            return Err(self.error("unexpected closing bracket"));
        }
        if self.top == Top::Features && self.depth == 2 {
            if b != b']' {
                return Err(self.error("expected ] to close the features array"));
            }
            self.flush(bytes, i)?;
            self.end_scalar_feature(out);
            self.segment = i + 1;
            self.depth -= 1;
            self.top = Top::Object;
            self.last_key.clear();
            return Ok(());
        }
        if self.top == Top::Object && self.depth == 1 {
            // The top-level object closes: its last member ends here.
            self.flush(bytes, i)?;
            self.end_member(out);
        }
        self.depth -= 1;
        match (self.top, self.depth) {
            (Top::Features, 2) => {
                self.flush(bytes, i + 1)?;
                if let Some((at, text, _)) = self.feature.take() {
                    out.push(Item::Feature {
                        index: self.features,
                        at,
                        text,
                    });
                    self.features += 1;
                }
            }
            (Top::Object, 0) => {
                self.flush(bytes, i + 1)?;
                self.top = Top::Between;
                self.pending.clear();
                if let Some((at, text)) = self.whole.take() {
                    // A top-level object without `features`: a feature of
                    // a sequence (or a single one).
                    out.push(Item::Feature {
                        index: self.features,
                        at,
                        text,
                    });
                    self.features += 1;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end_member(&mut self, out: &mut Vec<Item>) {
        if let Some((at, text)) = self.member.take() {
            let member = Item::Member {
                name: String::from_utf8_lossy(&self.last_key).into_owned(),
                at,
                text: trim_json(text),
            };
            if self.whole.is_some() {
                self.pending.push(member);
            } else {
                out.push(member);
            }
        }
    }

    fn end_scalar_feature(&mut self, out: &mut Vec<Item>) {
        if matches!(self.feature, Some((_, _, true)))
            && let Some((at, text, _)) = self.feature.take()
        {
            out.push(Item::Feature {
                index: self.features,
                at,
                text: trim_json(text),
            });
            self.features += 1;
        }
    }
}

fn trim_json(mut text: Vec<u8>) -> Vec<u8> {
    while text
        .last()
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b','))
    {
        text.pop();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `body` fed in pieces of `chunk` bytes.
    fn split(body: &str, chunk: usize) -> Result<Vec<Item>, SyntaxError> {
        let mut s = Splitter::default();
        let mut out = Vec::new();
        for piece in body.as_bytes().chunks(chunk) {
            s.push(piece, &mut out)?;
        }
        s.finish(&mut out)?;
        Ok(out)
    }

    fn texts(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                Item::Feature { index, at, text } => format!(
                    "{index}@{}:{} {}",
                    at.line,
                    at.column,
                    String::from_utf8_lossy(text)
                ),
                Item::Member { name, text, .. } => {
                    format!("{name}={}", String::from_utf8_lossy(text))
                }
            })
            .collect()
    }

    const COLLECTION: &str = r#"{"type": "FeatureCollection",
 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
 "features": [
  {"type": "Feature", "properties": {"t": "a \"]}\" b"}, "geometry": null},
  {"type": "Feature", "properties": {"n": [1, {"x": 2}]}, "geometry": {"type": "Point", "coordinates": [1, 2]}}
 ]}"#;

    #[test]
    fn a_collection_is_split_into_features_with_their_positions_in_any_chunking() {
        let expected = vec![
            r#"type="FeatureCollection""#.to_owned(),
            r#"crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}"#
                .to_owned(),
            r#"0@4:3 {"type": "Feature", "properties": {"t": "a \"]}\" b"}, "geometry": null}"#
                .to_owned(),
            r#"1@5:3 {"type": "Feature", "properties": {"n": [1, {"x": 2}]}, "geometry": {"type": "Point", "coordinates": [1, 2]}}"#.to_owned(),
        ];
        for chunk in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(
                texts(&split(COLLECTION, chunk).unwrap()),
                expected,
                "{chunk}"
            );
        }
    }

    #[test]
    fn text_sequences_and_single_features_are_read() {
        let seq = "\x1e{\"type\":\"Feature\",\"id\":1}\n\x1e{\"type\":\"Feature\",\"id\":2}\n";
        assert_eq!(
            texts(&split(seq, 5).unwrap()),
            [
                r#"0@1:2 {"type":"Feature","id":1}"#,
                r#"1@2:2 {"type":"Feature","id":2}"#
            ]
        );
        let single = r#" {"type":"Feature","features":1}"#;
        assert_eq!(texts(&split(single, 3).unwrap()).len(), 1);
    }

    #[test]
    fn scalars_in_features_are_handed_out_to_be_rejected() {
        let body = r#"{"features": [1, "x", null, {"type":"Feature"}]}"#;
        assert_eq!(
            texts(&split(body, 2).unwrap()),
            [
                "0@1:15 1",
                r#"1@1:18 "x""#,
                "2@1:23 null",
                r#"3@1:29 {"type":"Feature"}"#
            ]
        );
    }

    #[test]
    fn broken_bodies_say_where() {
        let err = split(r#"{"features": [{"type":"Feature"}"#, 4).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected end of the body (a value is not closed) at line 1, column 33"
        );
        let err = split("[1, 2]", 4).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a GeoJSON FeatureCollection or Feature, not an array at line 1, column 1"
        );
        let err = split("\n  nonsense", 4).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a GeoJSON FeatureCollection, Feature or text sequence of features at line 2, column 3"
        );
        let err = split(r#"{"features": [}"#, 4).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected ] to close the features array at line 1, column 15"
        );
    }

    #[test]
    fn serde_positions_map_into_the_body() {
        let start = Position { line: 4, column: 3 };
        assert_eq!(
            start.within(1, 10),
            Position {
                line: 4,
                column: 12
            }
        );
        assert_eq!(start.within(3, 5), Position { line: 6, column: 5 });
    }

    proptest::proptest! {
        /// Arbitrary bytes in arbitrary pieces: no panic, and every place
        /// named lies within the body.
        #[test]
        fn any_bytes_are_read_without_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000),
            piece in 1usize..97,
        ) {
            let mut s = Splitter::default();
            let mut out = Vec::new();
            let mut failed = None;
            for chunk in bytes.chunks(piece) {
                if let Err(e) = s.push(chunk, &mut out) {
                    failed = Some(e);
                    break;
                }
            }
            let failed = failed.or_else(|| s.finish(&mut out).err());
            let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            if let Some(e) = failed {
                proptest::prop_assert!(e.at.line <= lines, "{e}");
            }
            for item in &out {
                if let Item::Feature { at, .. } = item {
                    proptest::prop_assert!(at.line <= lines);
                }
            }
        }

        /// A collection of features with tricky strings gives the same
        /// features, whatever the pieces, each parsing to what was written.
        #[test]
        fn pieces_do_not_change_what_is_read(
            titles in proptest::collection::vec("[a-z\"\\\\ \n{}\\[\\],:\u{1e}ä]{0,24}", 0..8),
            piece in 1usize..40,
        ) {
            let features: Vec<serde_json::Value> = titles
                .iter()
                .map(|t| serde_json::json!({"type": "Feature", "properties": {"t": t}, "geometry": null}))
                .collect();
            let body = serde_json::to_string_pretty(
                &serde_json::json!({"type": "FeatureCollection", "features": features}),
            )
            .unwrap();
            let whole = split(&body, body.len().max(1)).unwrap();
            let pieces = split(&body, piece).unwrap();
            proptest::prop_assert_eq!(&whole, &pieces);
            let read: Vec<serde_json::Value> = pieces
                .iter()
                .filter_map(|i| match i {
                    Item::Feature { text, .. } => serde_json::from_slice(text).ok(),
                    Item::Member { .. } => None,
                })
                .collect();
            proptest::prop_assert_eq!(read, features);
        }
    }
}
