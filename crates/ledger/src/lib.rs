//! The evidence ledger: an append-only, tamper-evident Merkle log in the
//! style of Certificate Transparency, Sigstore and Go's checksum database.
//!
//! Pure functions and types only — no files, network, async or database.
//! The caller owns storage; this crate says which stored hashes a
//! computation needs (the `*_indexes` functions), computes with them, and
//! returns what to store.
//!
//! - [`hash`](crate::leaf_hash): RFC 6962 / RFC 9162 leaf and node hashes.
//! - [`tree`](crate::stored_hash_index): the stored-hash layout of Go's
//!   `sumdb/tlog`, tree hashes and the batch appender [`Frontier`].
//! - [`proof`](crate::prove_record): inclusion and consistency proofs.
//! - [`tile`](crate::Tile): C2SP tlog-tiles paths, tiles and entry bundles.
//! - [`note`](crate::open_note): C2SP signed notes (Ed25519).
//! - [`checkpoint`](crate::Checkpoint): C2SP tlog-checkpoint.
//! - [`cosignature`](crate::Cosigner): C2SP tlog-cosignature (`cosignature/v1`).
//! - [`verify`](crate::verify_log): offline verification of a downloaded log.
//! - [`canonical`](crate::canonical_json): canonical JSON for records.
//!
//! Typical append, with a database holding stored hashes by index:
//!
//! ```
//! use std::collections::HashMap;
//! use anjian_ledger::{Checkpoint, Frontier, NoteSigner, leaf_hash, open_note};
//!
//! let mut db: HashMap<u64, [u8; 32]> = HashMap::new(); // stands in for the database
//! let size = 0;
//! // Fetch Frontier::indexes(size) from the database, then:
//! let mut frontier = Frontier::resume(size, &db)?;
//! for record in [&b"first"[..], b"second", b"third"] {
//!     db.extend(frontier.append(leaf_hash(record)));
//! }
//! let signer = NoteSigner::from_seed("example.com/log", &[1; 32])?;
//! let note = Checkpoint::new("example.com/log", frontier.size(), frontier.root()).sign(&signer)?;
//! assert_eq!(open_note(&note, &[signer.verifier()])?.verified, ["example.com/log"]);
//! # Ok::<(), anjian_ledger::LedgerError>(())
//! ```

mod canonical;
mod checkpoint;
mod cosignature;
mod error;
mod hash;
mod note;
mod proof;
mod tile;
mod tree;
mod verify;

pub use canonical::{MAX_DEPTH as MAX_JSON_DEPTH, MAX_SAFE_INTEGER, canonical_json};
pub use checkpoint::{Checkpoint, open_checkpoint};
pub use cosignature::{ALG_COSIGNATURE_V1, CosignatureVerifier, Cosigner, MAX_COSIGNATURE_TIME};
pub use error::{LedgerError, Result};
pub use hash::{EMPTY_ROOT, HASH_SIZE, Hash, leaf_hash, node_hash};
pub use note::{
    ALG_ED25519, MAX_SIGNATURES, NoteSigner, NoteVerifier, OpenedNote, is_valid_key_name, key_id, open_note,
};
pub use proof::{check_record, check_tree, prove_record, prove_record_indexes, prove_tree, prove_tree_indexes};
pub use tile::{
    MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, Tile, TileHashes, TileLevel, decode_entry_bundle, encode_entry_bundle,
    parse_hash_tile, tile_at, tile_data, tile_hash_indexes, tiles_for_size,
};
pub use tree::{
    Frontier, HashReader, split_stored_hash_index, stored_hash_count, stored_hash_index, stored_hashes,
    stored_hashes_indexes, tree_hash, tree_hash_indexes,
};
pub use verify::{CHECKPOINT_PATH, Mismatch, TileSource, VerifyReport, prove_inclusion_offline, verify_log};
