//! Inclusion ("record") and consistency ("tree") proofs, RFC 6962 / RFC 9162
//! section 2.1, computed from stored hashes as Go's `tlog.ProveRecord` and
//! `tlog.ProveTree` do. The proofs are byte-for-byte the RFC's audit paths
//! and consistency proofs, so any RFC 6962 verifier accepts them.

use crate::error::{LedgerError, Result};
use crate::hash::{EMPTY_ROOT, Hash, node_hash};
use crate::tree::{HashCursor, HashReader, pow2_below, read_exact, sub_tree_hash, sub_tree_index};

/// Stored indexes [`prove_record`] reads to prove record `n` in the tree of
/// size `t`. Empty when the proof is empty (`t == 1`) or the inputs are
/// invalid (`n >= t`).
pub fn prove_record_indexes(t: u64, n: u64) -> Vec<u64> {
    let mut need = Vec::new();
    if n < t {
        leaf_proof_index(0, t, n, &mut need);
    }
    need
}

fn leaf_proof_index(lo: u64, hi: u64, n: u64, need: &mut Vec<u64>) {
    if lo + 1 == hi {
        return;
    }
    let k = pow2_below(hi - lo);
    if n < lo + k {
        leaf_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        leaf_proof_index(lo + k, hi, n, need);
    }
}

fn leaf_proof(lo: u64, hi: u64, n: u64, hashes: &mut HashCursor<'_>, proof: &mut Vec<Hash>) -> Result<()> {
    if lo + 1 == hi {
        // The verifier knows the leaf hash itself.
        return Ok(());
    }
    let k = pow2_below(hi - lo);
    let sibling = if n < lo + k {
        leaf_proof(lo, lo + k, n, hashes, proof)?;
        sub_tree_hash(lo + k, hi, hashes)?
    } else {
        let th = sub_tree_hash(lo, lo + k, hashes)?;
        leaf_proof(lo + k, hi, n, hashes, proof)?;
        th
    };
    proof.push(sibling);
    Ok(())
}

/// Inclusion proof (RFC 6962 audit path) of record `n` in the tree of size `t`,
/// leaf-side sibling first. Reads exactly [`prove_record_indexes`]`(t, n)`.
///
/// Errors with [`LedgerError::InvalidArgument`] unless `n < t`.
pub fn prove_record(t: u64, n: u64, r: &dyn HashReader) -> Result<Vec<Hash>> {
    if n >= t {
        return Err(LedgerError::InvalidArgument(format!("record {n} is not in a tree of size {t}")));
    }
    let indexes = prove_record_indexes(t, n);
    let hashes = read_exact(r, &indexes)?;
    let mut cursor = HashCursor::new(&hashes);
    let mut proof = Vec::with_capacity(64);
    leaf_proof(0, t, n, &mut cursor, &mut proof)?;
    if !cursor.is_empty() {
        return Err(LedgerError::HashCount { wanted: indexes.len(), got: hashes.len() });
    }
    Ok(proof)
}

/// Checks that `proof` shows that the tree of size `t` with root `th` has
/// leaf hash `h` at record index `n`.
///
/// Returns [`LedgerError::ProofFailed`] if it does not, and
/// [`LedgerError::InvalidArgument`] unless `n < t`.
pub fn check_record(proof: &[Hash], t: u64, th: &Hash, n: u64, h: &Hash) -> Result<()> {
    if n >= t {
        return Err(LedgerError::InvalidArgument(format!("record {n} is not in a tree of size {t}")));
    }
    let computed = run_record_proof(proof, 0, t, n, h)?;
    if computed == *th { Ok(()) } else { Err(LedgerError::ProofFailed) }
}

/// The root implied by `proof` for leaf `n` with hash `leaf` in records `lo..hi`.
fn run_record_proof(proof: &[Hash], lo: u64, hi: u64, n: u64, leaf: &Hash) -> Result<Hash> {
    if lo + 1 == hi {
        // The proof must not carry unused hashes.
        return if proof.is_empty() { Ok(*leaf) } else { Err(LedgerError::ProofFailed) };
    }
    let Some((sibling, rest)) = proof.split_last() else {
        return Err(LedgerError::ProofFailed);
    };
    let k = pow2_below(hi - lo);
    if n < lo + k {
        let th = run_record_proof(rest, lo, lo + k, n, leaf)?;
        Ok(node_hash(&th, sibling))
    } else {
        let th = run_record_proof(rest, lo + k, hi, n, leaf)?;
        Ok(node_hash(sibling, &th))
    }
}

/// Stored indexes [`prove_tree`] reads to prove that the tree of size `t`
/// extends the tree of size `n`. Empty when the proof is empty
/// (`n == 0` or `n == t`) or the inputs are invalid (`n > t`).
pub fn prove_tree_indexes(t: u64, n: u64) -> Vec<u64> {
    let mut need = Vec::new();
    if n >= 1 && n <= t {
        tree_proof_index(0, t, n, &mut need);
    }
    need
}

fn tree_proof_index(lo: u64, hi: u64, n: u64, need: &mut Vec<u64>) {
    if n == hi {
        if lo != 0 {
            sub_tree_index(lo, hi, need);
        }
        return;
    }
    let k = pow2_below(hi - lo);
    if n <= lo + k {
        tree_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        tree_proof_index(lo + k, hi, n, need);
    }
}

fn tree_proof(lo: u64, hi: u64, n: u64, hashes: &mut HashCursor<'_>, proof: &mut Vec<Hash>) -> Result<()> {
    if n == hi {
        if lo != 0 {
            proof.push(sub_tree_hash(lo, hi, hashes)?);
        }
        // lo == 0: this subtree is exactly the old tree, which the verifier knows.
        return Ok(());
    }
    let k = pow2_below(hi - lo);
    let sibling = if n <= lo + k {
        tree_proof(lo, lo + k, n, hashes, proof)?;
        sub_tree_hash(lo + k, hi, hashes)?
    } else {
        let th = sub_tree_hash(lo, lo + k, hashes)?;
        tree_proof(lo + k, hi, n, hashes, proof)?;
        th
    };
    proof.push(sibling);
    Ok(())
}

/// Consistency proof (RFC 6962 section 2.1.2) that the tree of size `t`
/// contains the tree of size `n` as a prefix. Reads exactly
/// [`prove_tree_indexes`]`(t, n)`. The proof is empty when `n == 0` or `n == t`.
///
/// Errors with [`LedgerError::InvalidArgument`] if `n > t`.
pub fn prove_tree(t: u64, n: u64, r: &dyn HashReader) -> Result<Vec<Hash>> {
    if n > t {
        return Err(LedgerError::InvalidArgument(format!("tree of size {t} cannot contain a larger tree of size {n}")));
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    let indexes = prove_tree_indexes(t, n);
    let hashes = read_exact(r, &indexes)?;
    let mut cursor = HashCursor::new(&hashes);
    let mut proof = Vec::with_capacity(64);
    tree_proof(0, t, n, &mut cursor, &mut proof)?;
    if !cursor.is_empty() {
        return Err(LedgerError::HashCount { wanted: indexes.len(), got: hashes.len() });
    }
    Ok(proof)
}

/// Checks that `proof` shows that the tree of size `t` with root `th`
/// contains as a prefix the tree of size `n` with root `h`.
///
/// For `n == 0` the proof must be empty and `h` must be [`EMPTY_ROOT`];
/// for `n == t` the proof must be empty and `h == th`.
/// Returns [`LedgerError::ProofFailed`] if the proof does not verify and
/// [`LedgerError::InvalidArgument`] if `n > t`.
pub fn check_tree(proof: &[Hash], t: u64, th: &Hash, n: u64, h: &Hash) -> Result<()> {
    if n > t {
        return Err(LedgerError::InvalidArgument(format!("tree of size {t} cannot contain a larger tree of size {n}")));
    }
    if n == 0 {
        let ok = proof.is_empty() && *h == EMPTY_ROOT && (t != 0 || *th == EMPTY_ROOT);
        return if ok { Ok(()) } else { Err(LedgerError::ProofFailed) };
    }
    let (old, new) = run_tree_proof(proof, 0, t, n, h)?;
    if old == *h && new == *th { Ok(()) } else { Err(LedgerError::ProofFailed) }
}

/// The (old, new) hashes of records `lo..hi` implied by `proof`, where `old`
/// is the root of the old tree of size `n`.
fn run_tree_proof(proof: &[Hash], lo: u64, hi: u64, n: u64, old: &Hash) -> Result<(Hash, Hash)> {
    if n == hi {
        if lo == 0 {
            return if proof.is_empty() { Ok((*old, *old)) } else { Err(LedgerError::ProofFailed) };
        }
        return match proof {
            [h] => Ok((*h, *h)),
            _ => Err(LedgerError::ProofFailed),
        };
    }
    let Some((sibling, rest)) = proof.split_last() else {
        return Err(LedgerError::ProofFailed);
    };
    let k = pow2_below(hi - lo);
    if n <= lo + k {
        let (oh, th) = run_tree_proof(rest, lo, lo + k, n, old)?;
        Ok((oh, node_hash(&th, sibling)))
    } else {
        let (oh, th) = run_tree_proof(rest, lo + k, hi, n, old)?;
        Ok((node_hash(sibling, &oh), node_hash(sibling, &th)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::{Frontier, stored_hashes, tree_hash};
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn hx(s: &str) -> Hash {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The eight RFC 6962 test leaves of transparency-dev/merkle (testonly.LeafInputs).
    fn ct_store() -> (Vec<Hash>, Vec<Hash>) {
        let leaves: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
        ];
        let mut store = Vec::new();
        let mut leaf_hashes = Vec::new();
        for (n, leaf) in leaves.iter().enumerate() {
            let h = leaf_hash(leaf);
            leaf_hashes.push(h);
            store.extend(stored_hashes(n as u64, &h, &store).unwrap());
        }
        (store, leaf_hashes)
    }

    /// transparency-dev/merkle proof/verify_test.go `inclusionProofs`
    /// (there 1-based leaf numbers; here 0-based indexes).
    #[test]
    fn ct_inclusion_proof_vectors() {
        let (store, leaves) = ct_store();
        let vectors: [(u64, u64, &[&str]); 5] = [
            (0, 1, &[]),
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (n, t, want) in vectors {
            let want: Vec<Hash> = want.iter().map(|s| hx(s)).collect();
            let got = prove_record(t, n, &store).unwrap();
            assert_eq!(got, want, "inclusion of {n} in {t}");
            let root = tree_hash(t, &store).unwrap();
            check_record(&want, t, &root, n, &leaves[n as usize]).unwrap();
            // Wrong index, wrong size, truncated or extended proofs all fail.
            assert!(check_record(&want, t, &root, n ^ 1, &leaves[n as usize]).is_err());
            assert!(check_record(&want, t * 2, &root, n, &leaves[n as usize]).is_err());
            let mut longer = want.clone();
            longer.push(root);
            assert!(check_record(&longer, t, &root, n, &leaves[n as usize]).is_err());
            if !want.is_empty() {
                assert!(check_record(&want[1..], t, &root, n, &leaves[n as usize]).is_err());
            }
        }
    }

    /// transparency-dev/merkle proof/verify_test.go `consistencyProofs`.
    #[test]
    fn ct_consistency_proof_vectors() {
        let (store, _) = ct_store();
        let vectors: [(u64, u64, &[&str]); 5] = [
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                6,
                7,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (n, t, want) in vectors {
            let want: Vec<Hash> = want.iter().map(|s| hx(s)).collect();
            let got = prove_tree(t, n, &store).unwrap();
            assert_eq!(got, want, "consistency {n} -> {t}");
            let old = tree_hash(n, &store).unwrap();
            let new = tree_hash(t, &store).unwrap();
            check_tree(&want, t, &new, n, &old).unwrap();
            if n != t {
                assert!(check_tree(&want, t, &old, n, &new).is_err(), "swapped roots");
                assert!(check_tree(&[], t, &new, n, &old).is_err(), "empty proof");
                assert!(check_tree(&want, t, &new, n + 1, &old).is_err(), "wrong n");
            }
        }
    }

    #[test]
    fn edge_cases_of_sizes() {
        let (store, leaves) = ct_store();
        let root8 = tree_hash(8, &store).unwrap();
        assert!(matches!(prove_record(8, 8, &store), Err(LedgerError::InvalidArgument(_))));
        assert!(matches!(prove_record(0, 0, &store), Err(LedgerError::InvalidArgument(_))));
        assert!(matches!(check_record(&[], 0, &EMPTY_ROOT, 0, &leaves[0]), Err(LedgerError::InvalidArgument(_))));
        assert!(matches!(prove_tree(3, 4, &store), Err(LedgerError::InvalidArgument(_))));
        assert!(matches!(check_tree(&[], 3, &root8, 4, &root8), Err(LedgerError::InvalidArgument(_))));
        // The empty tree is a prefix of every tree, with an empty proof.
        assert_eq!(prove_tree(8, 0, &store).unwrap(), Vec::<Hash>::new());
        check_tree(&[], 8, &root8, 0, &EMPTY_ROOT).unwrap();
        check_tree(&[], 0, &EMPTY_ROOT, 0, &EMPTY_ROOT).unwrap();
        assert!(check_tree(&[], 8, &root8, 0, &root8).is_err());
        assert!(check_tree(&[root8], 8, &root8, 0, &EMPTY_ROOT).is_err());
        // Equal sizes need equal roots.
        check_tree(&[], 8, &root8, 8, &root8).unwrap();
        assert!(check_tree(&[], 8, &root8, 8, &EMPTY_ROOT).is_err());
        assert!(prove_record_indexes(3, 3).is_empty());
        assert!(prove_tree_indexes(3, 4).is_empty());
    }

    #[test]
    fn proofs_read_exactly_their_indexes() {
        let mut store: HashMap<u64, Hash> = HashMap::new();
        let mut f = Frontier::new();
        for i in 0..77u64 {
            store.extend(f.append(leaf_hash(&i.to_be_bytes())));
        }
        let root = f.root();
        for n in 0..77 {
            let only: HashMap<u64, Hash> = prove_record_indexes(77, n).into_iter().map(|i| (i, store[&i])).collect();
            let p = prove_record(77, n, &only).unwrap();
            check_record(&p, 77, &root, n, &leaf_hash(&n.to_be_bytes())).unwrap();
            let only: HashMap<u64, Hash> = prove_tree_indexes(77, n + 1)
                .into_iter()
                .chain(crate::tree::tree_hash_indexes(n + 1))
                .map(|i| (i, store[&i]))
                .collect();
            let p = prove_tree(77, n + 1, &only).unwrap();
            let old = tree_hash(n + 1, &only).unwrap();
            check_tree(&p, 77, &root, n + 1, &old).unwrap();
        }
    }

    /// A tree of `size` records built once with a [`Frontier`] into a map.
    fn build(size: u64, seed: u64) -> (HashMap<u64, Hash>, Vec<Hash>) {
        let mut store = HashMap::with_capacity(2 * size as usize);
        let mut leaves = Vec::with_capacity(size as usize);
        let mut f = Frontier::new();
        for i in 0..size {
            let leaf = leaf_hash(&(seed.wrapping_add(i)).to_be_bytes());
            leaves.push(leaf);
            store.extend(f.append(leaf));
        }
        (store, leaves)
    }

    fn flip(h: &Hash, bit: usize) -> Hash {
        let mut h = *h;
        h[bit / 8] ^= 1 << (bit % 8);
        h
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// Every inclusion and consistency proof verifies, and flipping any
        /// single bit of a proof hash, the leaf or a root makes it fail.
        #[test]
        fn proofs_verify_and_any_bit_flip_breaks_them(
            t in 1u64..=10_000,
            pairs in proptest::collection::vec((any::<u64>(), any::<u64>()), 1..6),
            bit in 0usize..256,
            seed in any::<u64>(),
        ) {
            let (store, leaves) = build(t, seed);
            let root = tree_hash(t, &store).unwrap();
            for (a, b) in pairs {
                // Inclusion of record n < t.
                let n = a % t;
                let leaf = leaves[n as usize];
                let p = prove_record(t, n, &store).unwrap();
                prop_assert!(check_record(&p, t, &root, n, &leaf).is_ok());
                prop_assert!(check_record(&p, t, &flip(&root, bit), n, &leaf).is_err());
                prop_assert!(check_record(&p, t, &root, n, &flip(&leaf, bit)).is_err());
                for i in 0..p.len() {
                    let mut bad = p.clone();
                    bad[i] = flip(&bad[i], bit);
                    prop_assert!(check_record(&bad, t, &root, n, &leaf).is_err());
                }

                // Consistency of tree m (1 <= m <= t) in tree t.
                let m = 1 + b % t;
                let old = tree_hash(m, &store).unwrap();
                let p = prove_tree(t, m, &store).unwrap();
                prop_assert!(check_tree(&p, t, &root, m, &old).is_ok());
                prop_assert!(check_tree(&p, t, &flip(&root, bit), m, &old).is_err());
                prop_assert!(check_tree(&p, t, &root, m, &flip(&old, bit)).is_err());
                for i in 0..p.len() {
                    let mut bad = p.clone();
                    bad[i] = flip(&bad[i], bit);
                    prop_assert!(check_tree(&bad, t, &root, m, &old).is_err());
                }
            }
        }
    }
}
