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
#[derive(Debug)]
pub struct Splitter {
    at: Position,
    depth: u32,
    in_string: bool,
    escape: bool,
    top: Top,
    /// The whole top-level object while it may still be a single feature.
    whole: Option<(Position, Vec<u8>)>,
    /// Inside the top-level object: the key being read (at depth 1), the
    /// last key read, and whether a value is expected next.
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
}

impl Default for Splitter {
    fn default() -> Self {
        Self {
            at: Position { line: 1, column: 1 },
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
        }
    }
}

impl Splitter {
    /// Reads `bytes`, appending what is complete to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Item>) -> Result<(), SyntaxError> {
        if self.failed {
            return Err(self.error("the body could not be read before"));
        }
        for &b in bytes {
            if let Err(e) = self.byte(b, out) {
                self.failed = true;
                return Err(e);
            }
            if b == b'\n' {
                self.at.line += 1;
                self.at.column = 1;
            } else {
                self.at.column += 1;
            }
        }
        Ok(())
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

    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            at: self.at,
        }
    }

    fn capture(&mut self, b: u8) -> Result<(), SyntaxError> {
        for buffer in [
            self.whole.as_mut().map(|(_, t)| t),
            self.member.as_mut().map(|(_, t)| t),
            self.feature.as_mut().map(|(_, t, _)| t),
        ]
        .into_iter()
        .flatten()
        {
            if buffer.len() >= MAX_FEATURE_BYTES {
                return Err(SyntaxError {
                    message: format!("a feature is larger than {MAX_FEATURE_BYTES} bytes"),
                    at: self.at,
                });
            }
            buffer.push(b);
        }
        if let Some(key) = &mut self.key {
            key.push(b);
        }
        Ok(())
    }

    fn byte(&mut self, b: u8, out: &mut Vec<Item>) -> Result<(), SyntaxError> {
        if self.in_string {
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
                if self.key.is_some() {
                    // The key's text is complete (without its quotes).
                    if let Some(k) = self.key.take() {
                        self.last_key = k;
                    }
                    return self.capture_plain(b);
                }
                self.capture(b)?;
                self.end_scalar_feature_string(out);
                return Ok(());
            }
            return self.capture(b);
        }
        match b {
            b' ' | b'\t' | b'\r' | b'\n' | 0x1e => {
                if self.depth > 0 {
                    self.capture(b)?;
                }
                Ok(())
            }
            b'{' | b'[' => self.open(b, out),
            b'}' | b']' => self.close(b, out),
            b',' => {
                if self.top == Top::Features && self.depth == 2 {
                    self.end_scalar_feature(out);
                    return Ok(());
                }
                if self.top == Top::Object && self.depth == 1 {
                    self.end_member(out);
                    self.expect_key = true;
                }
                self.capture(b)
            }
            b':' => self.capture(b),
            b'"' => {
                self.in_string = true;
                if self.top == Top::Object && self.depth == 1 && self.expect_key {
                    // A key of the top-level object.
                    self.expect_key = false;
                    self.key = Some(Vec::new());
                    return self.capture_plain(b);
                }
                self.start_value();
                self.capture(b)
            }
            _ => {
                if self.depth == 0 {
                    return Err(self.error(
                        "expected a GeoJSON FeatureCollection, Feature or text sequence of features",
                    ));
                }
                self.start_value();
                self.capture(b)
            }
        }
    }

    /// Captures into the whole-object buffer only (keys are not member
    /// values).
    fn capture_plain(&mut self, b: u8) -> Result<(), SyntaxError> {
        if let Some((_, t)) = &mut self.whole {
            t.push(b);
        }
        Ok(())
    }

    /// A value starts at the current byte: a member value of interest at
    /// depth 1, or a scalar element of `features`.
    fn start_value(&mut self) {
        if self.top == Top::Object && self.depth == 1 && self.member.is_none() {
            if matches!(&self.last_key[..], b"type" | b"crs") {
                self.member = Some((self.at, Vec::new()));
            }
        } else if self.top == Top::Features && self.depth == 2 && self.feature.is_none() {
            self.feature = Some((self.at, Vec::new(), true));
        }
    }

    fn open(&mut self, b: u8, out: &mut Vec<Item>) -> Result<(), SyntaxError> {
        match (self.top, self.depth) {
            (Top::Between, 0) => {
                if b == b'[' {
                    return Err(
                        self.error("expected a GeoJSON FeatureCollection or Feature, not an array")
                    );
                }
                self.top = Top::Object;
                self.whole = Some((self.at, Vec::new()));
                self.last_key.clear();
                self.expect_key = true;
            }
            (Top::Object, 1)
                if b == b'[' && self.last_key == b"features" && self.member.is_none() =>
            {
                // The collection's features: no longer a single feature.
                self.whole = None;
                out.append(&mut self.pending);
                self.top = Top::Features;
                self.depth += 1;
                return Ok(());
            }
            (Top::Object, 1)
                if matches!(&self.last_key[..], b"type" | b"crs") && self.member.is_none() =>
            {
                // An object value (`crs`).
                self.member = Some((self.at, Vec::new()));
            }
            (Top::Features, 2) => {
                self.feature = Some((self.at, Vec::new(), false));
            }
            _ => {}
        }
        self.depth += 1;
        self.capture(b)
    }

    fn close(&mut self, b: u8, out: &mut Vec<Item>) -> Result<(), SyntaxError> {
        if self.depth == 0 {
            return Err(self.error("unexpected closing bracket"));
        }
        if self.top == Top::Features && self.depth == 2 {
            if b != b']' {
                return Err(self.error("expected ] to close the features array"));
            }
            self.end_scalar_feature(out);
            self.depth -= 1;
            self.top = Top::Object;
            self.last_key.clear();
            return Ok(());
        }
        if self.top == Top::Object && self.depth == 1 {
            // The top-level object closes: its last member ends here.
            self.end_member(out);
        }
        self.capture(b)?;
        self.depth -= 1;
        match (self.top, self.depth) {
            (Top::Features, 2) => {
                if let Some((at, text, _)) = self.feature.take() {
                    out.push(Item::Feature {
                        index: self.features,
                        at,
                        text,
                    });
                    self.features += 1;
                }
            }
            (Top::Object, 1) => {}
            (Top::Object, 0) => {
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
            // Trailing separators were captured with it.
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

    /// A string element of `features` ends with its closing quote.
    fn end_scalar_feature_string(&mut self, out: &mut Vec<Item>) {
        if self.top == Top::Features && self.depth == 2 {
            self.end_scalar_feature(out);
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
}
