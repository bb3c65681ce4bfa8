//! RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256.

use sha2::{Digest, Sha256};

/// A SHA-256 hash: a record's leaf hash, an interior node's hash or a tree root.
pub type Hash = [u8; 32];

/// Size of a [`Hash`] in bytes.
pub const HASH_SIZE: usize = 32;

/// Root hash of the empty tree: SHA-256 of the empty string (RFC 6962, section 2.1).
///
/// Note that Go's `tlog.TreeHash(0)` returns an all-zero hash instead; this
/// crate follows the RFC.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41,
    0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Hash of a record (a leaf): `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// Hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 1 + 2 * HASH_SIZE];
    buf[0] = 0x01;
    buf[1..1 + HASH_SIZE].copy_from_slice(left);
    buf[1 + HASH_SIZE..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// Plain SHA-256, used for key IDs.
pub(crate) fn sha256(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Merkle tree hash of a non-empty run of hashes whose length is a power of two.
///
/// Used for tiles: a full tile's 256 hashes hash to the hash one tile level up.
pub(crate) fn merkle_power_of_two(hashes: &[Hash]) -> Hash {
    debug_assert!(hashes.len().is_power_of_two());
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level.chunks_exact(2).map(|pair| node_hash(&pair[0], &pair[1])).collect();
    }
    level.first().copied().unwrap_or(EMPTY_ROOT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hx(s: &str) -> Hash {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    #[test]
    fn empty_root_is_sha256_of_empty_string() {
        assert_eq!(EMPTY_ROOT, sha256(&[]));
        assert_eq!(EMPTY_ROOT, hx("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    #[test]
    fn leaf_and_node_hash_known_answers() {
        // transparency-dev/merkle testonly.NodeHashes(): leaf 0 is the empty record.
        assert_eq!(leaf_hash(b""), hx("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
        assert_eq!(leaf_hash(&[0x00]), hx("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"));
        assert_eq!(
            node_hash(&leaf_hash(b""), &leaf_hash(&[0x00])),
            hx("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")
        );
    }

    #[test]
    fn merkle_power_of_two_matches_node_hash() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let c = leaf_hash(b"c");
        let d = leaf_hash(b"d");
        assert_eq!(merkle_power_of_two(&[a]), a);
        assert_eq!(merkle_power_of_two(&[a, b, c, d]), node_hash(&node_hash(&a, &b), &node_hash(&c, &d)));
    }
}
