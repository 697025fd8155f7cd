//! A gzip encoder of our own for the tiles of zooms below
//! [`crate::cache::FAST_GZIP_BELOW`]: Huffman coding of the bytes, one
//! dynamic code per 64 KiB block, no LZ77 matching.
//!
//! Why our own: with the tile cache off, libdeflate's fastest level was 41 %
//! of the tile server's CPU on the shared workload's mixed list (perf), at
//! 80–150 MB/s on tile bytes — most of a tile is varint-coded geometry, on
//! which the match finder finds little. Huffman coding alone runs several
//! times faster (`benches/encoder.rs` prints both) and gives up what LZ77
//! finds: on the workload's zoom-6 tile 0.76 of the raw size where
//! libdeflate reaches 0.65, on a zoom-14 tile 0.72 against 0.45 — which is
//! why deeper zooms keep libdeflate (`cache::FAST_GZIP_BELOW` has the
//! measurements).
//!
//! The output is plain RFC 1951/1952: dynamic-Huffman blocks whose distance
//! code is empty (RFC 1951 3.2.7: "one distance code of zero bits means
//! that there are no distance codes used at all").

/// Bytes per block: each has its own code, so that a tile's layers (whose
/// byte statistics differ) get codes of their own.
const BLOCK: usize = 64 * 1024;
/// The longest literal/length code deflate allows.
const MAX_BITS: u8 = 15;
/// The longest code-length code deflate allows.
const MAX_CL_BITS: u8 = 7;
/// The end-of-block symbol.
const EOB: usize = 256;
/// The order in which the code-length code's lengths are sent.
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// `raw` as a gzip member.
pub fn huffman_gzip(raw: &[u8]) -> Vec<u8> {
    let mut w = BitWriter::default();
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=unknown
    w.bytes(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    if raw.is_empty() {
        // A final block with fixed codes holding only the end of block.
        w.room(2);
        w.put(0b011, 3);
        w.put(0, 7);
    } else {
        let blocks = raw.len().div_ceil(BLOCK);
        for (i, block) in raw.chunks(BLOCK).enumerate() {
            w.block(block, i + 1 == blocks);
        }
    }
    let mut out = w.finish();
    out.extend_from_slice(&crc32fast::hash(raw).to_le_bytes());
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    out
}

/// Deflate's bit order: least significant bit first; Huffman codes are
/// stored bit-reversed so that they go out the same way. The buffer is
/// sized ahead ([`BitWriter::room`]) and each write stores eight bytes and
/// advances by the whole ones, without a branch on the bit count.
#[derive(Default)]
struct BitWriter {
    buf: Vec<u8>,
    /// Whole bytes written.
    pos: usize,
    acc: u64,
    /// Bits in `acc` (< 8 between writes).
    bits: u32,
}

impl BitWriter {
    /// Makes room for `bytes` more bytes.
    fn room(&mut self, bytes: usize) {
        let need = self.pos + bytes + 16;
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.bits, 0);
        self.room(bytes.len());
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }

    /// Appends the `len` (≤ 32) low bits of `value`; [`BitWriter::room`]
    /// must have made room for them.
    #[inline(always)]
    fn put(&mut self, value: u32, len: u32) {
        self.acc |= u64::from(value) << self.bits;
        self.bits += len;
        self.flush();
    }

    #[inline(always)]
    fn flush(&mut self) {
        self.buf[self.pos..self.pos + 8].copy_from_slice(&self.acc.to_le_bytes());
        let whole = self.bits >> 3;
        self.pos += whole as usize;
        self.acc = self.acc.checked_shr(whole * 8).unwrap_or(0);
        self.bits &= 7;
    }

    /// The bytes, the last one padded.
    fn finish(mut self) -> Vec<u8> {
        if self.bits > 0 {
            self.bits = 8;
            self.room(1);
            self.flush();
        }
        self.buf.truncate(self.pos);
        self.buf
    }

    /// One dynamic-Huffman block of literals.
    fn block(&mut self, data: &[u8], last: bool) {
        let mut freq = [0u32; 257];
        histogram(data, &mut freq);
        freq[EOB] = 1;
        let lengths = code_lengths(&freq, MAX_BITS);
        let codes = canonical_codes(&lengths);

        // The code lengths of the literal/length code and of the one
        // (unused) distance code, run-length coded.
        let mut all = [0u8; 258];
        all[..257].copy_from_slice(&lengths);
        let runs = run_lengths(&all);
        let mut cl_freq = [0u32; 19];
        for (symbol, _) in &runs {
            cl_freq[usize::from(*symbol)] += 1;
        }
        // zlib refuses an incomplete code-length code, which one symbol
        // alone would get: a second (unused) one completes it.
        if cl_freq.iter().filter(|c| **c > 0).count() == 1 {
            let spare = usize::from(cl_freq[0] > 0);
            cl_freq[spare] = 1;
        }
        let cl_lengths = code_lengths(&cl_freq, MAX_CL_BITS);
        let cl_codes = canonical_codes(&cl_lengths);
        let hclen = CL_ORDER
            .iter()
            .rposition(|&s| cl_lengths[s] != 0)
            .map_or(4, |p| (p + 1).max(4));

        // The block's exact size: the header is at most 3 + 14 + 19 * 3
        // bits plus 258 code lengths of at most 7 + 7 bits.
        let data_bits: u64 = freq
            .iter()
            .zip(&lengths)
            .map(|(f, l)| u64::from(*f) * u64::from(*l))
            .sum();
        self.room(8 + 19 * 3 / 8 + 258 * 2 + (data_bits / 8) as usize);

        self.put(u32::from(last), 1);
        self.put(0b10, 2);
        self.put(0, 5); // HLIT: 257 literal/length codes
        self.put(0, 5); // HDIST: 1 distance code
        self.put(hclen as u32 - 4, 4);
        for &s in &CL_ORDER[..hclen] {
            self.put(u32::from(cl_lengths[s]), 3);
        }
        for (symbol, extra) in runs {
            let s = usize::from(symbol);
            self.put(cl_codes[s], u32::from(cl_lengths[s]));
            match symbol {
                16 => self.put(u32::from(extra), 2),
                17 => self.put(u32::from(extra), 3),
                18 => self.put(u32::from(extra), 7),
                _ => {}
            }
        }

        // Code and length in one word: one load per byte; three codes (at
        // most 45 bits, with the 7 left over 52) per store.
        let table: [u64; 257] =
            std::array::from_fn(|s| u64::from(codes[s]) | (u64::from(lengths[s]) << 32));
        let mut triples = data.chunks_exact(3);
        for t in &mut triples {
            let (a, b, c) = (
                table[usize::from(t[0])],
                table[usize::from(t[1])],
                table[usize::from(t[2])],
            );
            self.acc |= (a & 0xffff) << self.bits;
            self.bits += (a >> 32) as u32;
            self.acc |= (b & 0xffff) << self.bits;
            self.bits += (b >> 32) as u32;
            self.acc |= (c & 0xffff) << self.bits;
            self.bits += (c >> 32) as u32;
            self.flush();
        }
        for &b in triples.remainder() {
            let e = table[usize::from(b)];
            self.put((e & 0xffff) as u32, (e >> 32) as u32);
        }
        let e = table[EOB];
        self.put((e & 0xffff) as u32, (e >> 32) as u32);
    }
}

/// Byte counts into `freq[..256]`, in four tables so that repeated bytes do
/// not wait on each other's increments.
fn histogram(data: &[u8], freq: &mut [u32; 257]) {
    let mut t = [[0u32; 256]; 4];
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        t[0][usize::from(c[0])] += 1;
        t[1][usize::from(c[1])] += 1;
        t[2][usize::from(c[2])] += 1;
        t[3][usize::from(c[3])] += 1;
    }
    for &b in chunks.remainder() {
        t[0][usize::from(b)] += 1;
    }
    for (i, f) in freq.iter_mut().take(256).enumerate() {
        *f = t[0][i] + t[1][i] + t[2][i] + t[3][i];
    }
}

/// Huffman code lengths for `freq` (symbols of count 0 get none), none
/// longer than `limit`. Where the optimal code is deeper, the counts are
/// halved (a used symbol keeps at least 1) until it is not — rare on tiles,
/// and at most a little longer than a package-merge code.
fn code_lengths<const N: usize>(freq: &[u32; N], limit: u8) -> [u8; N] {
    let mut counts = *freq;
    loop {
        let mut used: Vec<(u32, usize)> = counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(s, c)| (*c, s))
            .collect();
        let mut lengths = [0u8; N];
        match used.len() {
            0 => return lengths,
            1 => {
                // A code needs two codes to be complete; one code of length 1
                // is what zlib writes too.
                lengths[used[0].1] = 1;
                return lengths;
            }
            _ => {}
        }
        used.sort_unstable();
        let mut depths: Vec<u32> = used.iter().map(|(c, _)| *c).collect();
        minimum_redundancy(&mut depths);
        if depths.iter().all(|d| *d <= u32::from(limit)) {
            for ((_, s), d) in used.iter().zip(&depths) {
                lengths[*s] = *d as u8;
            }
            return lengths;
        }
        for c in counts.iter_mut().filter(|c| **c > 0) {
            *c = (*c).div_ceil(2);
        }
    }
}

/// Moffat and Katajainen's in-place computation of Huffman code lengths
/// ("In-Place Calculation of Minimum-Redundancy Codes", 1995): `a` holds at
/// least two counts in ascending order and is left holding each one's code
/// length.
fn minimum_redundancy(a: &mut [u32]) {
    let n = a.len();
    // Phase 1: internal nodes' weights, leaves' parents.
    a[0] += a[1];
    let (mut root, mut leaf) = (0, 2);
    for next in 1..n - 1 {
        if leaf >= n || a[root] < a[leaf] {
            a[next] = a[root];
            a[root] = next as u32;
            root += 1;
        } else {
            a[next] = a[leaf];
            leaf += 1;
        }
        if leaf >= n || (root < next && a[root] < a[leaf]) {
            a[next] += a[root];
            a[root] = next as u32;
            root += 1;
        } else {
            a[next] += a[leaf];
            leaf += 1;
        }
    }
    // Phase 2: internal nodes' depths.
    a[n - 2] = 0;
    for next in (0..n - 2).rev() {
        a[next] = a[a[next] as usize] + 1;
    }
    // Phase 3: leaves' depths.
    let (mut avail, mut used, mut depth) = (1i64, 0i64, 0u32);
    let (mut root, mut next) = (n as i64 - 2, n as i64 - 1);
    while avail > 0 {
        while root >= 0 && a[root as usize] == depth {
            used += 1;
            root -= 1;
        }
        while avail > used {
            a[next as usize] = depth;
            next -= 1;
            avail -= 1;
        }
        avail = 2 * used;
        depth += 1;
        used = 0;
    }
}

/// The canonical code (RFC 1951 3.2.2) of `lengths`, each code bit-reversed.
fn canonical_codes<const N: usize>(lengths: &[u8; N]) -> [u32; N] {
    let mut count = [0u32; 16];
    for &l in lengths {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 16];
    let mut code = 0;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    let mut codes = [0u32; N];
    for (s, &l) in lengths.iter().enumerate() {
        if l > 0 {
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            codes[s] = c.reverse_bits() >> (32 - u32::from(l));
        }
    }
    codes
}

/// Code lengths as code-length symbols (RFC 1951 3.2.7) with their extra
/// bits: 16 repeats the previous length 3–6 times, 17 and 18 are runs of
/// 3–10 and 11–138 zeros.
fn run_lengths(lengths: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::with_capacity(64);
    let mut i = 0;
    while i < lengths.len() {
        let l = lengths[i];
        let run = lengths[i..].iter().take_while(|x| **x == l).count();
        if l == 0 && run >= 3 {
            let n = run.min(138);
            if n >= 11 {
                out.push((18, (n - 11) as u8));
            } else {
                out.push((17, (n - 3) as u8));
            }
            i += n;
        } else if l != 0 && run >= 4 {
            out.push((l, 0));
            let n = (run - 1).min(6);
            out.push((16, (n - 3) as u8));
            i += 1 + n;
        } else {
            out.push((l, 0));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

    use std::io::Read;

    use proptest::prelude::*;

    use super::*;

    /// Decoded by two independent inflaters: miniz (flate2) and libdeflate,
    /// which refuses incomplete and over-subscribed codes.
    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .unwrap();
        let mut strict = vec![0; out.len()];
        let n = libdeflater::Decompressor::new()
            .gzip_decompress(gz, &mut strict)
            .unwrap();
        assert_eq!(n, out.len());
        assert_eq!(strict, out, "libdeflate and miniz agree");
        out
    }

    /// The cost of a reference Huffman code (merging the two lightest
    /// nodes with a heap): the sum of the internal nodes' weights.
    fn optimal_cost(counts: &[u32]) -> u64 {
        let mut heap: std::collections::BinaryHeap<_> = counts
            .iter()
            .map(|c| std::cmp::Reverse(u64::from(*c)))
            .collect();
        let mut cost = 0;
        while heap.len() > 1 {
            let (std::cmp::Reverse(a), std::cmp::Reverse(b)) =
                (heap.pop().unwrap(), heap.pop().unwrap());
            cost += a + b;
            heap.push(std::cmp::Reverse(a + b));
        }
        cost
    }

    #[test]
    fn fibonacci_counts_are_limited_to_fifteen_bits() {
        // Fibonacci counts make the deepest Huffman tree: 25 symbols would
        // need 24 bits.
        let mut freq = [0u32; 257];
        let (mut a, mut b) = (1u32, 1u32);
        for f in freq.iter_mut().take(25) {
            *f = a;
            (a, b) = (b, a + b);
        }
        assert!(code_lengths(&freq, 32).iter().any(|l| *l > 15));
        let lengths = code_lengths(&freq, MAX_BITS);
        assert!(lengths.iter().all(|l| *l <= 15));
        let kraft: f64 = lengths
            .iter()
            .filter(|l| **l > 0)
            .map(|l| 0.5f64.powi(i32::from(*l)))
            .sum();
        assert!((kraft - 1.0).abs() < 1e-12, "{kraft}");
        // And data with those counts comes back.
        let data: Vec<u8> = freq
            .iter()
            .enumerate()
            .take(25)
            .flat_map(|(s, c)| std::iter::repeat_n(s as u8, (*c as usize).min(20_000)))
            .collect();
        assert_eq!(gunzip(&huffman_gzip(&data)), data);
    }

    #[test]
    fn empty_single_byte_and_one_symbol_inputs_round_trip() {
        for data in [vec![], vec![7], vec![0; 100_000], vec![255; 3]] {
            assert_eq!(gunzip(&huffman_gzip(&data)), data);
        }
    }

    #[test]
    fn a_tile_compresses_and_round_trips_through_zlib() {
        // Tile-like bytes: small varints and repeated tags.
        let data: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 27) as u8 + (i % 7) as u8)
            .collect();
        let gz = huffman_gzip(&data);
        assert!(
            gz.len() < data.len() * 3 / 4,
            "{} of {}",
            gz.len(),
            data.len()
        );
        assert_eq!(gunzip(&gz), data);
        // The decoder checks the trailer's CRC.
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n - 5] ^= 1;
        let mut out = Vec::new();
        assert!(
            flate2::read::GzDecoder::new(&bad[..])
                .read_to_end(&mut out)
                .is_err()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn lengths_are_optimal_when_within_the_limit(
            counts in proptest::collection::vec(1u32..5_000, 2..257)
        ) {
            let mut freq = [0u32; 257];
            freq[..counts.len()].copy_from_slice(&counts);
            let lengths = code_lengths(&freq, 32);
            let cost: u64 = freq.iter().zip(&lengths).map(|(f, l)| u64::from(*f) * u64::from(*l)).sum();
            prop_assert_eq!(cost, optimal_cost(&counts));
        }

        #[test]
        fn any_bytes_round_trip(data in proptest::collection::vec(any::<u8>(), 0..70_000)) {
            prop_assert_eq!(gunzip(&huffman_gzip(&data)), data);
        }

        #[test]
        fn skewed_bytes_round_trip(
            data in proptest::collection::vec(prop_oneof![10 => Just(0u8), 3 => 0u8..4, 1 => any::<u8>()], 0..70_000)
        ) {
            prop_assert_eq!(gunzip(&huffman_gzip(&data)), data);
        }
    }
}
