//! Offline verification of a whole downloaded log (C2SP tlog-tiles layout),
//! and inclusion proofs computed from tiles alone.

use std::collections::{BTreeMap, HashMap};

use crate::checkpoint::{Checkpoint, open_checkpoint};
use crate::hash::{HASH_SIZE, Hash, leaf_hash, merkle_power_of_two};
use crate::note::NoteVerifier;
use crate::proof::{check_record, prove_record, prove_record_indexes};
use crate::tile::{EntryBundleIter, TILE_WIDTH, Tile, TileHashes, TileLevel, level_count, tile_at};
use crate::tree::tree_hash;

/// Path of the signed checkpoint within a log.
pub const CHECKPOINT_PATH: &str = "checkpoint";

/// Read-only access to a downloaded log's files by path relative to the log
/// prefix: `checkpoint`, `tile/0/000`, `tile/entries/000.p/5`, ...
pub trait TileSource {
    /// The file's bytes, or `None` if it is not there.
    fn read(&self, path: &str) -> Option<Vec<u8>>;
}

impl TileSource for HashMap<String, Vec<u8>> {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.get(path).cloned()
    }
}

impl TileSource for BTreeMap<String, Vec<u8>> {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.get(path).cloned()
    }
}

/// Why a downloaded log failed verification.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The checkpoint is malformed, the verifier key is malformed, or the
    /// checkpoint is not signed by that key.
    #[error("checkpoint rejected: {reason}")]
    Checkpoint {
        /// What is wrong.
        reason: String,
    },
    /// Entry `index` is missing from its bundle (truncated bundle), or its
    /// leaf hash differs from (or is missing in) its level-0 tile. A bundle or
    /// level-0 tile with data beyond its width is reported at the index the
    /// first extra entry or hash would have (`start + width`).
    #[error("entry {index} does not match its leaf hash")]
    Entry {
        /// Index of the entry in the log.
        index: u64,
    },
    /// Hash `index` of tile level `level` (tile `index / 256`, position
    /// `index % 256`; it covers entries `index * 256^level .. (index + 1) * 256^level`)
    /// differs from the hash recomputed from the level below, or is missing
    /// from a truncated tile. A tile with data beyond its width is reported at
    /// the index the first extra hash would have.
    #[error("hash {index} at tile level {level} does not match the level below")]
    Node {
        /// Tile level (`1..`; level-0 problems are reported as [`Mismatch::Entry`]).
        level: u32,
        /// Index of the hash within its level.
        index: u64,
    },
    /// The root recomputed from the tiles differs from the checkpoint's.
    /// From [`prove_inclusion_offline`]: the record's inclusion cannot be
    /// proven against the checkpoint's root — no level-0 hash equals the
    /// record's leaf hash, or the proof built from the tiles does not lead
    /// to the root.
    #[error("recomputed root of the tree of size {size} differs from the checkpoint")]
    Root {
        /// The checkpoint's tree size.
        size: u64,
    },
    /// A file the checkpoint requires is missing (for a partial tile, both
    /// the partial and the full tile are missing).
    #[error("missing {path}")]
    MissingTile {
        /// Path of the missing file.
        path: String,
    },
}

/// Summary of a successful [`verify_log`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Tree size of the verified checkpoint.
    pub size: u64,
    /// Root hash of the verified checkpoint (recomputed from the entries).
    pub root: Hash,
    /// Number of entries whose leaf hash was recomputed.
    pub entries_checked: u64,
    /// Number of tiles and entry bundles read.
    pub tiles_checked: u64,
}

/// Reads, verifies and parses the checkpoint.
fn load_checkpoint(source: &dyn TileSource, vkey: &str) -> Result<Checkpoint, Mismatch> {
    let data =
        source.read(CHECKPOINT_PATH).ok_or_else(|| Mismatch::MissingTile { path: CHECKPOINT_PATH.to_string() })?;
    let note =
        String::from_utf8(data).map_err(|_| Mismatch::Checkpoint { reason: "checkpoint is not UTF-8".into() })?;
    let verifier =
        NoteVerifier::from_vkey(vkey).map_err(|e| Mismatch::Checkpoint { reason: format!("verifier key: {e}") })?;
    let (checkpoint, _) =
        open_checkpoint(&note, &[verifier]).map_err(|e| Mismatch::Checkpoint { reason: e.to_string() })?;
    Ok(checkpoint)
}

/// A tile's bytes: from its own path, or for a partial tile that is gone,
/// from the full tile that replaced it (whose prefix it is).
struct TileBytes {
    data: Vec<u8>,
    from_full: bool,
}

fn read_tile(source: &dyn TileSource, tile: &Tile) -> Result<TileBytes, Mismatch> {
    let path = tile.path();
    if let Some(data) = source.read(&path) {
        return Ok(TileBytes { data, from_full: false });
    }
    if !tile.is_full()
        && let Some(data) = source.read(&tile.full().path())
    {
        return Ok(TileBytes { data, from_full: true });
    }
    Err(Mismatch::MissingTile { path })
}

/// The first `width` hashes of a hash tile (fewer if it is short), and
/// whether it has bytes beyond what it should hold.
fn tile_hashes(bytes: &TileBytes, width: u16) -> (Vec<Hash>, bool) {
    let width = usize::from(width);
    let expected_len = if bytes.from_full { TILE_WIDTH as usize } else { width } * HASH_SIZE;
    let complete = (bytes.data.len() / HASH_SIZE).min(width);
    let hashes = bytes.data[..complete * HASH_SIZE]
        .chunks_exact(HASH_SIZE)
        .map(|c| {
            let mut h = [0u8; HASH_SIZE];
            h.copy_from_slice(c);
            h
        })
        .collect();
    let trailing = complete == width && bytes.data.len() > expected_len;
    (hashes, trailing)
}

fn hash_mismatch(level: u32, index: u64) -> Mismatch {
    if level == 0 { Mismatch::Entry { index } } else { Mismatch::Node { level, index } }
}

/// Verifies a downloaded log: the checkpoint's signature by `vkey` (a note
/// verifier key), every entry against its level-0 leaf hash, every hash tile
/// against the tiles below it, and the root against the checkpoint.
///
/// Checks proceed level by level from the entries up and stop at the first
/// problem, which is therefore the lowest entry index (or, with all entries
/// right, the lowest hash of the lowest level) that is wrong. Partial tiles
/// that have been replaced by full tiles are read from the full tile.
/// Memory use is one hash per 256 entries.
pub fn verify_log(source: &dyn TileSource, vkey: &str) -> Result<VerifyReport, Mismatch> {
    let checkpoint = load_checkpoint(source, vkey)?;
    let size = checkpoint.size;
    let mut tiles_checked = 0u64;
    // Hashes of the partial (right-most) tiles: the root is made of them.
    let mut partials = TileHashes::new();

    // Entries and level 0. `row` collects the hashes of the level above:
    // one per full tile of this level.
    let mut row: Vec<Hash> = Vec::with_capacity((size / TILE_WIDTH) as usize);
    for n in 0..size.div_ceil(TILE_WIDTH) {
        let Some(tile) = tile_at(size, TileLevel::Hashes(0), n) else {
            break;
        };
        let start = n * TILE_WIDTH;
        let bundle = read_tile(source, &Tile { level: TileLevel::Entries, ..tile })?;
        let hash_tile = read_tile(source, &tile)?;
        tiles_checked += 2;
        let (hashes, trailing_hashes) = tile_hashes(&hash_tile, tile.width);
        let mut entries = EntryBundleIter::new(&bundle.data);
        let mut leaves = Vec::with_capacity(usize::from(tile.width));
        for i in 0..usize::from(tile.width) {
            let index = start + i as u64;
            let Some(Ok(entry)) = entries.next() else {
                return Err(Mismatch::Entry { index });
            };
            let leaf = leaf_hash(entry);
            if hashes.get(i) != Some(&leaf) {
                return Err(Mismatch::Entry { index });
            }
            leaves.push(leaf);
        }
        if (!bundle.from_full && entries.remaining() > 0) || trailing_hashes {
            return Err(Mismatch::Entry { index: start + u64::from(tile.width) });
        }
        if tile.is_full() {
            row.push(merkle_power_of_two(&leaves));
        } else {
            partials.insert(0, n, leaves);
        }
    }

    // Levels 1 and up: each hash must be the hash of the full tile below it.
    let mut level = 1;
    while level_count(size, level) > 0 {
        let count = level_count(size, level);
        let mut next = Vec::with_capacity((count / TILE_WIDTH) as usize);
        for n in 0..count.div_ceil(TILE_WIDTH) {
            let Some(tile) = tile_at(size, TileLevel::Hashes(level), n) else {
                break;
            };
            let start = n * TILE_WIDTH;
            let bytes = read_tile(source, &tile)?;
            tiles_checked += 1;
            let (hashes, trailing) = tile_hashes(&bytes, tile.width);
            let begin = start as usize;
            let expected = row.get(begin..begin + usize::from(tile.width)).unwrap_or(&[]);
            for i in 0..usize::from(tile.width) {
                if hashes.get(i).is_none() || hashes.get(i) != expected.get(i) {
                    return Err(Mismatch::Node { level, index: start + i as u64 });
                }
            }
            if trailing {
                return Err(Mismatch::Node { level, index: start + u64::from(tile.width) });
            }
            if tile.is_full() {
                next.push(merkle_power_of_two(&hashes));
            } else {
                partials.insert(level, n, hashes);
            }
        }
        row = next;
        level += 1;
    }

    let root = tree_hash(size, &partials).map_err(|_| Mismatch::Root { size })?;
    if root != checkpoint.root {
        return Err(Mismatch::Root { size });
    }
    Ok(VerifyReport { size, root, entries_checked: size, tiles_checked })
}

/// Proves from tiles alone that `record` is in the log: verifies the
/// checkpoint with `vkey`, finds the first level-0 leaf hash equal to the
/// record's, builds its inclusion proof from hash tiles and checks it
/// against the checkpoint's root. Returns the record's index and the proof
/// (as [`prove_record`] would return it for the checkpoint's size).
///
/// A record that is not in the log is reported as [`Mismatch::Root`]: its
/// inclusion cannot be proven against the checkpoint's root. Entry bundles
/// are not read.
pub fn prove_inclusion_offline(
    source: &dyn TileSource,
    vkey: &str,
    record: &[u8],
) -> Result<(u64, Vec<Hash>), Mismatch> {
    let checkpoint = load_checkpoint(source, vkey)?;
    let size = checkpoint.size;
    let leaf = leaf_hash(record);

    let mut found = None;
    for n in 0..size.div_ceil(TILE_WIDTH) {
        let Some(tile) = tile_at(size, TileLevel::Hashes(0), n) else {
            break;
        };
        let (hashes, _) = tile_hashes(&read_tile(source, &tile)?, tile.width);
        if let Some(i) = hashes.iter().position(|h| *h == leaf) {
            found = Some(n * TILE_WIDTH + i as u64);
            break;
        }
    }
    let index = found.ok_or(Mismatch::Root { size })?;

    let mut tiles = TileHashes::new();
    let mut loaded = std::collections::HashSet::new();
    for stored in prove_record_indexes(size, index) {
        let (level, n, _) = TileHashes::tile_for_index(stored);
        if !loaded.insert((level, n)) {
            continue;
        }
        let tile = tile_at(size, TileLevel::Hashes(level), n).ok_or(Mismatch::Root { size })?;
        let (hashes, _) = tile_hashes(&read_tile(source, &tile)?, tile.width);
        if hashes.len() < usize::from(tile.width) {
            return Err(hash_mismatch(level, n * TILE_WIDTH + hashes.len() as u64));
        }
        tiles.insert(level, n, hashes);
    }
    let proof = prove_record(size, index, &tiles).map_err(|_| Mismatch::Root { size })?;
    check_record(&proof, size, &checkpoint.root, index, &leaf).map_err(|_| Mismatch::Root { size })?;
    Ok((index, proof))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Checkpoint;
    use crate::hash::EMPTY_ROOT;
    use crate::note::NoteSigner;
    use crate::tile::{decode_entry_bundle, encode_entry_bundle, tile_data, tiles_for_size};
    use crate::tree::Frontier;

    const ORIGIN: &str = "example.com/anjian-test-log";

    fn entry(i: u64) -> Vec<u8> {
        format!("{{\"record\":{i},\"pad\":\"{}\"}}", "x".repeat((i % 17) as usize)).into_bytes()
    }

    /// A complete log of `size` entries, as a server would publish it.
    struct TestLog {
        files: HashMap<String, Vec<u8>>,
        store: HashMap<u64, Hash>,
        root: Hash,
        signer: NoteSigner,
    }

    fn build_log(size: u64) -> TestLog {
        let signer = NoteSigner::from_seed(ORIGIN, &[42; 32]).unwrap();
        let entries: Vec<Vec<u8>> = (0..size).map(entry).collect();
        let mut store = HashMap::new();
        let mut frontier = Frontier::new();
        for e in &entries {
            store.extend(frontier.append(leaf_hash(e)));
        }
        let root = frontier.root();
        let mut files = HashMap::new();
        for tile in tiles_for_size(size) {
            let data = match tile.level {
                TileLevel::Hashes(_) => tile_data(&tile, &store).unwrap(),
                TileLevel::Entries => {
                    let start = (tile.n * TILE_WIDTH) as usize;
                    let refs: Vec<&[u8]> =
                        entries[start..start + usize::from(tile.width)].iter().map(Vec::as_slice).collect();
                    encode_entry_bundle(&refs).unwrap()
                }
            };
            files.insert(tile.path(), data);
        }
        let note = Checkpoint::new(ORIGIN, size, root).sign(&signer).unwrap();
        files.insert(CHECKPOINT_PATH.to_string(), note.into_bytes());
        TestLog { files, store, root, signer }
    }

    /// Rewrites entry `index` of the log's bundles with `f`.
    fn tamper_entry(files: &mut HashMap<String, Vec<u8>>, size: u64, index: u64, f: impl Fn(&mut Vec<u8>)) {
        let tile = tile_at(size, TileLevel::Entries, index / TILE_WIDTH).unwrap();
        let data = files.get_mut(&tile.path()).unwrap();
        let mut entries = decode_entry_bundle(data).unwrap();
        f(&mut entries[(index % TILE_WIDTH) as usize]);
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        *data = encode_entry_bundle(&refs).unwrap();
    }

    fn flip_hash(files: &mut HashMap<String, Vec<u8>>, path: &str, position: usize) {
        files.get_mut(path).unwrap()[position * HASH_SIZE + 5] ^= 0x40;
    }

    #[test]
    fn verifies_an_intact_log() {
        let log = build_log(1000);
        let report = verify_log(&log.files, &log.signer.vkey()).unwrap();
        assert_eq!(
            report,
            VerifyReport {
                size: 1000,
                root: log.root,
                entries_checked: 1000,
                tiles_checked: tiles_for_size(1000).len() as u64,
            }
        );
    }

    #[test]
    fn verifies_small_and_empty_logs() {
        for size in [0, 1, 2, 255, 256, 257, 511, 512, 513] {
            let log = build_log(size);
            let report = verify_log(&log.files, &log.signer.vkey()).unwrap();
            assert_eq!(report.size, size);
            assert_eq!(report.root, log.root);
        }
        assert_eq!(build_log(0).root, EMPTY_ROOT);
    }

    #[test]
    fn altered_entry_is_reported_by_index() {
        let log = build_log(1000);
        let vkey = log.signer.vkey();
        for index in [0, 255, 256, 777, 999] {
            let mut files = log.files.clone();
            tamper_entry(&mut files, 1000, index, |e| e[3] ^= 1);
            assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Entry { index }));
        }
        // Two altered entries: the lower index is reported.
        let mut files = log.files.clone();
        tamper_entry(&mut files, 1000, 612, |e| e[0] ^= 1);
        tamper_entry(&mut files, 1000, 300, |e| e.push(b' '));
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Entry { index: 300 }));
        // A level-0 hash that does not match its entry is reported at that entry.
        let mut files = log.files.clone();
        flip_hash(&mut files, "tile/0/001", 17);
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Entry { index: 256 + 17 }));
    }

    #[test]
    fn truncated_or_padded_files_are_reported() {
        let log = build_log(1000);
        let vkey = log.signer.vkey();
        // A bundle cut inside entry 512 + 10.
        let mut files = log.files.clone();
        let bundle = files.get_mut("tile/entries/002").unwrap();
        let cut: usize = decode_entry_bundle(bundle).unwrap()[..10].iter().map(|e| e.len() + 2).sum::<usize>() + 1;
        bundle.truncate(cut);
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Entry { index: 522 }));
        // A level-1 tile missing its last hash.
        let mut files = log.files.clone();
        files.get_mut("tile/1/000.p/3").unwrap().truncate(2 * HASH_SIZE);
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Node { level: 1, index: 2 }));
        // Trailing bytes after a complete tile or bundle.
        let mut files = log.files.clone();
        files.get_mut("tile/0/000").unwrap().push(0);
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Entry { index: 256 }));
        let mut files = log.files.clone();
        files.get_mut("tile/entries/003.p/232").unwrap().extend_from_slice(&[0, 0]);
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Entry { index: 1000 }));
        let mut files = log.files.clone();
        files.get_mut("tile/1/000.p/3").unwrap().extend_from_slice(&[0; 32]);
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Node { level: 1, index: 3 }));
    }

    #[test]
    fn altered_level_1_hash_is_reported_with_level_and_index() {
        let log = build_log(1000);
        let mut files = log.files.clone();
        flip_hash(&mut files, "tile/1/000.p/3", 1);
        assert_eq!(verify_log(&files, &log.signer.vkey()), Err(Mismatch::Node { level: 1, index: 1 }));
    }

    #[test]
    fn deeper_levels_are_checked() {
        // 70,000 entries: level-1 tile 1 has 17 hashes, level 2 has one.
        let log = build_log(70_000);
        let vkey = log.signer.vkey();
        verify_log(&log.files, &vkey).unwrap();
        let mut files = log.files.clone();
        flip_hash(&mut files, "tile/1/001.p/17", 4);
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Node { level: 1, index: 260 }));
        let mut files = log.files.clone();
        flip_hash(&mut files, "tile/2/000.p/1", 0);
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Node { level: 2, index: 0 }));
        // Also the root: a checkpoint for the same size with another root.
        let mut files = log.files.clone();
        let note = Checkpoint::new(ORIGIN, 70_000, [0; 32]).sign(&log.signer).unwrap();
        files.insert(CHECKPOINT_PATH.into(), note.into_bytes());
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::Root { size: 70_000 }));
    }

    #[test]
    fn wrong_root_in_checkpoint_is_reported() {
        let log = build_log(1000);
        let mut root = log.root;
        root[0] ^= 1;
        let mut files = log.files.clone();
        let note = Checkpoint::new(ORIGIN, 1000, root).sign(&log.signer).unwrap();
        files.insert(CHECKPOINT_PATH.into(), note.into_bytes());
        assert_eq!(verify_log(&files, &log.signer.vkey()), Err(Mismatch::Root { size: 1000 }));
        // A checkpoint claiming a smaller size has another root.
        let note = Checkpoint::new(ORIGIN, 999, log.root).sign(&log.signer).unwrap();
        files.insert(CHECKPOINT_PATH.into(), note.into_bytes());
        assert_eq!(
            verify_log(&files, &log.signer.vkey()),
            Err(Mismatch::MissingTile { path: "tile/entries/003.p/231".into() })
        );
    }

    #[test]
    fn checkpoint_signed_by_another_key_is_rejected() {
        let log = build_log(300);
        let other = NoteSigner::from_seed(ORIGIN, &[7; 32]).unwrap();
        let mut files = log.files.clone();
        let note = Checkpoint::new(ORIGIN, 300, log.root).sign(&other).unwrap();
        files.insert(CHECKPOINT_PATH.into(), note.into_bytes());
        assert!(matches!(verify_log(&files, &log.signer.vkey()), Err(Mismatch::Checkpoint { .. })));
        // The log's own key still verifies the original.
        verify_log(&log.files, &log.signer.vkey()).unwrap();
        assert!(matches!(verify_log(&log.files, "not a vkey"), Err(Mismatch::Checkpoint { .. })));
        let mut files = log.files.clone();
        files.insert(CHECKPOINT_PATH.into(), vec![0xff, 0xfe]);
        assert!(matches!(verify_log(&files, &log.signer.vkey()), Err(Mismatch::Checkpoint { .. })));
    }

    #[test]
    fn missing_tiles_and_full_tile_fallback() {
        let log = build_log(1000);
        let vkey = log.signer.vkey();
        let mut files = log.files.clone();
        files.remove(CHECKPOINT_PATH);
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::MissingTile { path: "checkpoint".into() }));
        let mut files = log.files.clone();
        files.remove("tile/entries/001");
        assert_eq!(verify_log(&files, &vkey), Err(Mismatch::MissingTile { path: "tile/entries/001".into() }));

        // The log grew to 1024 entries: its partial tiles were replaced by full ones.
        let grown = build_log(1024);
        let mut files = log.files.clone();
        for path in ["tile/0/003.p/232", "tile/entries/003.p/232"] {
            files.remove(path);
        }
        for path in ["tile/0/003", "tile/entries/003"] {
            files.insert(path.into(), grown.files[path].clone());
        }
        assert_eq!(verify_log(&files, &vkey).unwrap().root, log.root);
    }

    #[test]
    fn inclusion_proofs_from_tiles() {
        let log = build_log(1000);
        let vkey = log.signer.vkey();
        for index in [0u64, 1, 255, 256, 600, 767, 768, 998, 999] {
            let (found, proof) = prove_inclusion_offline(&log.files, &vkey, &entry(index)).unwrap();
            assert_eq!(found, index);
            assert_eq!(proof, prove_record(1000, index, &log.store).unwrap());
            check_record(&proof, 1000, &log.root, index, &leaf_hash(&entry(index))).unwrap();
        }
        assert_eq!(prove_inclusion_offline(&log.files, &vkey, b"never logged"), Err(Mismatch::Root { size: 1000 }));
        // A tampered hash on the proof's path breaks it.
        let mut files = log.files.clone();
        flip_hash(&mut files, "tile/1/000.p/3", 2);
        assert_eq!(prove_inclusion_offline(&files, &vkey, &entry(5)), Err(Mismatch::Root { size: 1000 }));
        let other = NoteSigner::from_seed(ORIGIN, &[8; 32]).unwrap();
        assert!(matches!(
            prove_inclusion_offline(&log.files, &other.vkey(), &entry(5)),
            Err(Mismatch::Checkpoint { .. })
        ));
    }
}
