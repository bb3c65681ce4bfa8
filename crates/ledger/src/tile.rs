//! C2SP tlog-tiles: tile coordinates and paths, which tiles a tree of a given
//! size has, the stored hashes that make up a hash tile, and entry bundles.
//!
//! A hash tile at level `L` holds up to 256 consecutive Merkle tree hashes of
//! tree level `8 * L`: hash `i` of tile `n` is the hash of the complete
//! subtree over records `(n * 256 + i) * 256^L .. (n * 256 + i + 1) * 256^L`.
//! The entry bundle `n` holds records `n * 256 ..`, each prefixed by its
//! length as a big-endian `u16`.

use std::collections::HashMap;
use std::fmt;

use crate::error::{LedgerError, Result};
use crate::hash::{HASH_SIZE, Hash, merkle_power_of_two};
use crate::tree::{HashReader, checked_stored_hash_index, read_exact, split_stored_hash_index};

/// Tree levels per tile level: a tile is a subtree of height 8.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Largest tile level a path may name (C2SP tlog-tiles allows 0..=63).
pub const MAX_TILE_LEVEL: u32 = 63;

/// What a tile holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileLevel {
    /// Merkle tree hashes of tile level `L` (tree level `8 * L`); 0 = leaf hashes.
    Hashes(u32),
    /// An entry bundle: the records themselves, length-prefixed.
    Entries,
}

/// One tile of the log: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tile {
    /// Hash tile level or entry bundle.
    pub level: TileLevel,
    /// Index of the tile within its level.
    pub n: u64,
    /// Number of hashes or entries, `1..=256`; 256 is a full tile, anything
    /// less a partial tile (path suffix `.p/<W>`).
    pub width: u16,
}

impl Tile {
    /// Whether this is a full (256-wide) tile.
    pub fn is_full(&self) -> bool {
        u64::from(self.width) >= TILE_WIDTH
    }

    /// The same tile at full width (its path once 256 entries exist).
    pub fn full(&self) -> Tile {
        Tile { width: TILE_WIDTH as u16, ..*self }
    }

    /// The tile's path relative to the log prefix, e.g. `tile/0/x001/x234/067`,
    /// `tile/2/005.p/17` or `tile/entries/000`. Index `N` is written as
    /// zero-padded 3-digit groups, all but the last prefixed with `x`.
    pub fn path(&self) -> String {
        let mut p = String::from("tile/");
        match self.level {
            TileLevel::Hashes(l) => p.push_str(&l.to_string()),
            TileLevel::Entries => p.push_str("entries"),
        }
        p.push('/');
        p.push_str(&encode_tile_index(self.n));
        if !self.is_full() {
            p.push_str(".p/");
            p.push_str(&self.width.to_string());
        }
        p
    }

    /// Parses a tile path as written by [`Tile::path`], strictly: the level
    /// is `0..=63` or `entries` without leading zeros, the index groups are
    /// exactly three digits with `x` on all but the last and no leading
    /// all-zero group, and a `.p/<W>` width is `1..=255` without leading zeros.
    pub fn parse(path: &str) -> Result<Tile> {
        let bad = || LedgerError::MalformedTilePath(path.to_string());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level_str, rest) = rest.split_once('/').ok_or_else(bad)?;
        let level = if level_str == "entries" {
            TileLevel::Entries
        } else {
            let l = parse_decimal(level_str).ok_or_else(bad)?;
            if l > u64::from(MAX_TILE_LEVEL) {
                return Err(bad());
            }
            TileLevel::Hashes(l as u32)
        };

        let parts: Vec<&str> = rest.split('/').collect();
        // The index groups end at the first part without the `x` prefix.
        let last = parts.iter().position(|p| !p.starts_with('x')).ok_or_else(bad)?;
        if last + 1 > 7 {
            // u64::MAX has 20 digits: at most 7 groups.
            return Err(bad());
        }
        let mut n: u64 = 0;
        for (i, part) in parts[..last].iter().enumerate() {
            let digits = &part[1..];
            if i == 0 && digits == "000" {
                return Err(bad());
            }
            n = push_group(n, digits).ok_or_else(bad)?;
        }
        let (digits, partial) = match parts[last].strip_suffix(".p") {
            Some(d) => (d, true),
            None => (parts[last], false),
        };
        n = push_group(n, digits).ok_or_else(bad)?;
        let width = if partial {
            if parts.len() != last + 2 {
                return Err(bad());
            }
            let w = parse_decimal(parts[last + 1]).ok_or_else(bad)?;
            if !(1..TILE_WIDTH).contains(&w) {
                return Err(bad());
            }
            w as u16
        } else {
            if parts.len() != last + 1 {
                return Err(bad());
            }
            TILE_WIDTH as u16
        };
        Ok(Tile { level, n, width })
    }
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

fn encode_tile_index(n: u64) -> String {
    let mut groups = Vec::new();
    let mut x = n;
    loop {
        groups.push(x % 1000);
        x /= 1000;
        if x == 0 {
            break;
        }
    }
    let mut out = String::new();
    for (i, g) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            out.push_str(&format!("x{g:03}/"));
        } else {
            out.push_str(&format!("{g:03}"));
        }
    }
    out
}

/// `n * 1000 + digits` for exactly three ASCII digits.
fn push_group(n: u64, digits: &str) -> Option<u64> {
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let g: u64 = digits.parse().ok()?;
    n.checked_mul(1000)?.checked_add(g)
}

/// A non-negative decimal without sign or leading zeros.
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

/// Number of complete tree-level-`8 * level` hashes in a tree of `size` records.
pub(crate) fn level_count(size: u64, level: u32) -> u64 {
    size.checked_shr(level.saturating_mul(TILE_HEIGHT)).unwrap_or(0)
}

/// The tile `n` at `level` of a tree of `size` records, with its width,
/// or `None` if that tile does not exist (yet).
pub fn tile_at(size: u64, level: TileLevel, n: u64) -> Option<Tile> {
    let count = match level {
        TileLevel::Hashes(l) => level_count(size, l),
        TileLevel::Entries => size,
    };
    let start = n.checked_mul(TILE_WIDTH)?;
    if start >= count {
        return None;
    }
    let width = (count - start).min(TILE_WIDTH) as u16;
    Some(Tile { level, n, width })
}

/// Every tile of a tree of `size` records: for each hash level, its full
/// tiles and the final partial tile if any (ascending level, then index),
/// followed by the entry bundles. Empty for `size == 0`.
///
/// The list grows linearly with `size` (about `size / 128` tiles).
pub fn tiles_for_size(size: u64) -> Vec<Tile> {
    let mut tiles = Vec::new();
    let mut level = 0;
    loop {
        let count = level_count(size, level);
        if count == 0 {
            break;
        }
        push_level_tiles(&mut tiles, TileLevel::Hashes(level), count);
        level += 1;
    }
    push_level_tiles(&mut tiles, TileLevel::Entries, size);
    tiles
}

fn push_level_tiles(tiles: &mut Vec<Tile>, level: TileLevel, count: u64) {
    for n in 0..count / TILE_WIDTH {
        tiles.push(Tile { level, n, width: TILE_WIDTH as u16 });
    }
    let rest = count % TILE_WIDTH;
    if rest > 0 {
        tiles.push(Tile { level, n: count / TILE_WIDTH, width: rest as u16 });
    }
}

/// Stored indexes whose hashes, concatenated in this order, are the data of
/// a hash tile: tree level `8 * L`, hashes `n * 256 .. n * 256 + width`.
///
/// Empty for entry bundles (they hold records, not hashes; their leaf hashes
/// are the level-0 tile with the same `n`) and for tiles beyond 2^62 records.
pub fn tile_hash_indexes(tile: &Tile) -> Vec<u64> {
    let TileLevel::Hashes(l) = tile.level else {
        return Vec::new();
    };
    let Some(tree_level) = l.checked_mul(TILE_HEIGHT) else {
        return Vec::new();
    };
    let Some(start) = tile.n.checked_mul(TILE_WIDTH) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(usize::from(tile.width));
    for i in 0..u64::from(tile.width) {
        match start.checked_add(i).and_then(|k| checked_stored_hash_index(tree_level, k)) {
            Some(index) => out.push(index),
            None => return Vec::new(),
        }
    }
    out
}

/// The bytes of a hash tile (its hashes concatenated), from stored hashes.
///
/// Errors with [`LedgerError::InvalidArgument`] for entry bundles and tiles
/// beyond 2^62 records.
pub fn tile_data(tile: &Tile, r: &dyn HashReader) -> Result<Vec<u8>> {
    let indexes = tile_hash_indexes(tile);
    if indexes.is_empty() {
        return Err(LedgerError::InvalidArgument(format!("{} is not a hash tile of a supported tree", tile.path())));
    }
    Ok(read_exact(r, &indexes)?.concat())
}

/// Splits tile data into hashes; errors unless its length is a multiple of 32.
pub fn parse_hash_tile(data: &[u8]) -> Result<Vec<Hash>> {
    if !data.len().is_multiple_of(HASH_SIZE) {
        return Err(LedgerError::InvalidArgument(format!(
            "tile data of {} bytes is not a whole number of hashes",
            data.len()
        )));
    }
    Ok(data
        .chunks_exact(HASH_SIZE)
        .map(|c| {
            let mut h = [0u8; HASH_SIZE];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

/// Encodes an entry bundle: each entry prefixed by its length as a
/// big-endian `u16`. Errors with [`LedgerError::EntryTooLarge`] if an entry
/// is longer than 65,535 bytes.
pub fn encode_entry_bundle(entries: &[&[u8]]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
    for entry in entries {
        let len = u16::try_from(entry.len()).map_err(|_| LedgerError::EntryTooLarge { len: entry.len() })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Decodes an entry bundle; errors with [`LedgerError::MalformedEntryBundle`]
/// if a length prefix or an entry is truncated.
pub fn decode_entry_bundle(data: &[u8]) -> Result<Vec<Vec<u8>>> {
    EntryBundleIter::new(data).map(|r| r.map(<[u8]>::to_vec)).collect()
}

/// Iterates over the entries of a bundle without copying; yields one error
/// at the first truncated entry and then stops.
pub(crate) struct EntryBundleIter<'a> {
    rest: &'a [u8],
    index: usize,
    failed: bool,
}

impl<'a> EntryBundleIter<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        EntryBundleIter { rest: data, index: 0, failed: false }
    }

    /// Bytes not yet consumed.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }
}

impl<'a> Iterator for EntryBundleIter<'a> {
    type Item = Result<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let index = self.index;
        self.index += 1;
        let Some((len, body)) = self.rest.split_first_chunk::<2>() else {
            self.failed = true;
            return Some(Err(LedgerError::MalformedEntryBundle(format!("entry {index}: truncated length prefix"))));
        };
        let len = usize::from(u16::from_be_bytes(*len));
        if body.len() < len {
            self.failed = true;
            return Some(Err(LedgerError::MalformedEntryBundle(format!(
                "entry {index}: {len} bytes announced, {} present",
                body.len()
            ))));
        }
        let (entry, rest) = body.split_at(len);
        self.rest = rest;
        Some(Ok(entry))
    }
}

/// A [`HashReader`] over hash tiles: serves any stored hash that lies inside
/// one of its tiles, hashing up the tile's bottom row for the tree levels
/// between tile levels (Go's `tlog.HashFromTile`).
#[derive(Clone, Debug, Default)]
pub struct TileHashes {
    /// (tile level, tile index) -> the tile's hashes.
    tiles: HashMap<(u32, u64), Vec<Hash>>,
}

impl TileHashes {
    /// An empty set of tiles.
    pub fn new() -> Self {
        TileHashes::default()
    }

    /// Adds (or replaces) the hashes of hash tile `n` at tile `level`.
    pub fn insert(&mut self, level: u32, n: u64, hashes: Vec<Hash>) {
        self.tiles.insert((level, n), hashes);
    }

    /// The stored hash at `index`, if the tiles hold what it is made of.
    pub fn hash(&self, index: u64) -> Option<Hash> {
        let (tree_level, n) = split_stored_hash_index(index);
        let (level, sub) = (tree_level / TILE_HEIGHT, tree_level % TILE_HEIGHT);
        // The hash covers 2^sub consecutive hashes of tree level 8 * level.
        let first = n.checked_shl(sub).filter(|f| f >> sub == n)?;
        let tile = first / TILE_WIDTH;
        let start = (first % TILE_WIDTH) as usize;
        let hashes = self.tiles.get(&(level, tile))?;
        let row = hashes.get(start..start + (1usize << sub))?;
        Some(merkle_power_of_two(row))
    }

    /// The tile (level, index) and the width needed to serve stored hash `index`.
    pub(crate) fn tile_for_index(index: u64) -> (u32, u64, u64) {
        let (tree_level, n) = split_stored_hash_index(index);
        let (level, sub) = (tree_level / TILE_HEIGHT, tree_level % TILE_HEIGHT);
        let first = n.checked_shl(sub).unwrap_or(u64::MAX);
        let end = (first % TILE_WIDTH) + (1 << sub);
        (level, first / TILE_WIDTH, end)
    }
}

impl HashReader for TileHashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        indexes.iter().map(|&index| self.hash(index).ok_or(LedgerError::MissingHash { index })).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::{Frontier, tree_hash};
    use proptest::prelude::*;

    fn t(level: TileLevel, n: u64, width: u16) -> Tile {
        Tile { level, n, width }
    }

    #[test]
    fn paths_follow_the_spec_examples() {
        use TileLevel::*;
        let cases = [
            ("tile/0/x001/x234/067", t(Hashes(0), 1_234_067, 256)),
            ("tile/2/005.p/17", t(Hashes(2), 5, 17)),
            ("tile/entries/000", t(Entries, 0, 256)),
            ("tile/entries/x001/000.p/255", t(Entries, 1000, 255)),
            ("tile/63/999", t(Hashes(63), 999, 256)),
            ("tile/1/000.p/1", t(Hashes(1), 0, 1)),
            ("tile/0/x018/x446/x744/x073/x709/x551/615", t(Hashes(0), u64::MAX, 256)),
        ];
        for (path, tile) in cases {
            assert_eq!(tile.path(), path);
            assert_eq!(Tile::parse(path).unwrap(), tile, "{path}");
        }
    }

    #[test]
    fn parse_rejects_malformed_paths() {
        let bad = [
            "",
            "tile",
            "tile/",
            "tile/0",
            "tile/0/",
            "tile/0/1",
            "tile/0/0001",
            "tile/0/01",
            "tile/00/000",
            "tile/01/000",
            "tile/64/000",
            "tile/-1/000",
            "tile/+1/000",
            "tile/x/000",
            "tile/data/000",
            "tile/entry/000",
            "tile/0/x000/001", // leading all-zero group
            "tile/0/x001",     // last group must not have x
            "tile/0/001/002",  // non-last group needs x
            "tile/0/x01/002",  // groups have three digits
            "tile/0/x0011/002",
            "tile/0/000.p/0",   // width 0
            "tile/0/000.p/256", // full tiles have no .p
            "tile/0/000.p/017", // leading zero in width
            "tile/0/000.p/",
            "tile/0/000.p",
            "tile/0/000.p/5/6",
            "tile/0/000/",
            "tile/0/000.q/5",
            "tile/0/00a",
            "tile/0/x018/x446/x744/x073/x709/x551/616", // > u64::MAX
            "tile/0/x001/x018/x446/x744/x073/x709/x551/615",
            "/tile/0/000",
            "ledger/tile/0/000",
            "tile/0/000 ",
            "tile/0/+12",
            "tile/0/x+12/000",
        ];
        for path in bad {
            assert!(Tile::parse(path).is_err(), "{path:?} should be rejected");
        }
    }

    #[test]
    fn tiles_for_size_matches_spec_example() {
        // "a tree of size 70,000 will be represented by 273 full level 0 tiles,
        // one partial level 0 tile of width 112, one full level 1 tile, one
        // partial level 1 tile of width 17, and one partial level 2 tile of width 1."
        let tiles = tiles_for_size(70_000);
        let of = |level| tiles.iter().filter(|t| t.level == level).copied().collect::<Vec<_>>();
        let l0 = of(TileLevel::Hashes(0));
        assert_eq!(l0.len(), 274);
        assert!(l0[..273].iter().all(|t| t.is_full()));
        assert_eq!(l0[273], t(TileLevel::Hashes(0), 273, 112));
        assert_eq!(of(TileLevel::Hashes(1)), vec![t(TileLevel::Hashes(1), 0, 256), t(TileLevel::Hashes(1), 1, 17)]);
        assert_eq!(of(TileLevel::Hashes(2)), vec![t(TileLevel::Hashes(2), 0, 1)]);
        assert!(of(TileLevel::Hashes(3)).is_empty());
        assert_eq!(
            of(TileLevel::Entries),
            l0.iter().map(|x| Tile { level: TileLevel::Entries, ..*x }).collect::<Vec<_>>()
        );
        // "a tree of size 256 will be represented by a full level 0 tile and a
        // partial level 1 tile of width 1."
        assert_eq!(
            tiles_for_size(256),
            vec![t(TileLevel::Hashes(0), 0, 256), t(TileLevel::Hashes(1), 0, 1), t(TileLevel::Entries, 0, 256)]
        );
        assert!(tiles_for_size(0).is_empty());
        assert_eq!(tile_at(70_000, TileLevel::Hashes(1), 1), Some(t(TileLevel::Hashes(1), 1, 17)));
        assert_eq!(tile_at(70_000, TileLevel::Hashes(1), 2), None);
        assert_eq!(tile_at(70_000, TileLevel::Hashes(9), 0), None);
    }

    #[test]
    fn tile_data_is_the_tree_hashes_of_the_spec() {
        // Hash i of tile n at level l = MTH(D[(n*256+i)*256^l .. (n*256+i+1)*256^l]).
        let size: u64 = 256 * 256 + 3 * 256 + 7;
        let mut store: HashMap<u64, Hash> = HashMap::new();
        let mut f = Frontier::new();
        let mut leaves = Vec::new();
        for i in 0..size {
            let h = leaf_hash(&i.to_be_bytes());
            leaves.push(h);
            store.extend(f.append(h));
        }
        let l0 = tile_at(size, TileLevel::Hashes(0), 3).unwrap();
        assert_eq!(parse_hash_tile(&tile_data(&l0, &store).unwrap()).unwrap(), leaves[768..1024]);
        let l1 = tile_at(size, TileLevel::Hashes(1), 0).unwrap();
        let row = parse_hash_tile(&tile_data(&l1, &store).unwrap()).unwrap();
        assert_eq!(row.len(), 256);
        assert_eq!(row[5], merkle_power_of_two(&leaves[5 * 256..6 * 256]));
        let l1p = tile_at(size, TileLevel::Hashes(1), 1).unwrap();
        assert_eq!(l1p.width, 3);
        let row = parse_hash_tile(&tile_data(&l1p, &store).unwrap()).unwrap();
        assert_eq!(row[2], merkle_power_of_two(&leaves[(256 + 2) * 256..(256 + 3) * 256]));
        let l2 = tile_at(size, TileLevel::Hashes(2), 0).unwrap();
        assert_eq!(l2.width, 1);
        assert_eq!(
            parse_hash_tile(&tile_data(&l2, &store).unwrap()).unwrap(),
            vec![merkle_power_of_two(&leaves[..65536])]
        );
        assert!(tile_data(&t(TileLevel::Entries, 0, 256), &store).is_err());
        assert!(tile_hash_indexes(&t(TileLevel::Hashes(63), 5, 256)).is_empty());

        // TileHashes serves every stored hash of the tree from its tiles alone.
        let mut th = TileHashes::new();
        for tile in tiles_for_size(size) {
            if let TileLevel::Hashes(l) = tile.level {
                th.insert(l, tile.n, parse_hash_tile(&tile_data(&tile, &store).unwrap()).unwrap());
            }
        }
        for index in (0..crate::tree::stored_hash_count(size)).step_by(61) {
            assert_eq!(th.hash(index), Some(store[&index]), "stored index {index}");
        }
        assert_eq!(tree_hash(size, &th).unwrap(), f.root());
    }

    #[test]
    fn entry_bundles_round_trip_and_reject_truncation() {
        let big = vec![7u8; 65_535];
        let entries: Vec<&[u8]> = vec![b"", b"a", b"hello world", &big];
        let data = encode_entry_bundle(&entries).unwrap();
        assert_eq!(&data[..5], &[0, 0, 0, 1, b'a']);
        let back = decode_entry_bundle(&data).unwrap();
        assert_eq!(back.iter().map(Vec::as_slice).collect::<Vec<_>>(), entries);
        assert_eq!(decode_entry_bundle(&[]).unwrap(), Vec::<Vec<u8>>::new());
        let too_big = vec![0u8; 65_536];
        assert_eq!(encode_entry_bundle(&[&too_big]), Err(LedgerError::EntryTooLarge { len: 65_536 }));
        for cut in [1, 3, 4, data.len() - 1] {
            assert!(decode_entry_bundle(&data[..cut]).is_err(), "cut at {cut}");
        }
    }

    proptest! {
        #[test]
        fn tile_path_round_trips(
            level in prop_oneof![(0u32..=63).prop_map(TileLevel::Hashes), Just(TileLevel::Entries)],
            n in prop_oneof![0u64..2000, any::<u64>()],
            width in 1u16..=256,
        ) {
            let tile = Tile { level, n, width };
            prop_assert_eq!(Tile::parse(&tile.path()).unwrap(), tile);
        }

        #[test]
        fn tile_parse_never_panics(s in "tile/[0-9a-z.px/]{0,30}") {
            let _ = Tile::parse(&s);
        }

        #[test]
        fn entry_bundle_round_trips(entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20)) {
            let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            let data = encode_entry_bundle(&refs).unwrap();
            prop_assert_eq!(decode_entry_bundle(&data).unwrap(), entries);
        }
    }
}
