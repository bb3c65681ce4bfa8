//! Stored-hash layout of the log (as Go's `golang.org/x/mod/sumdb/tlog`),
//! tree hashes and the batch appender [`Frontier`].
//!
//! Every complete subtree of the log — the leaf hashes at level 0, the hash
//! of each pair of leaves at level 1, and so on — has a fixed *stored
//! index*: the hashes are numbered in the order they become known while
//! records are appended (Crosby and Wallach, "Efficient Data Structures for
//! Tamper-Evident Logging", section 3.3). Appending record `n` stores its
//! leaf hash at [`stored_hash_index`]`(0, n)` followed by the hashes of the
//! subtrees it completes, so a tree of `n` records has exactly
//! [`stored_hash_count`]`(n)` stored hashes at indexes `0..stored_hash_count(n)`.
//!
//! Index arithmetic saturates at `u64::MAX` instead of overflowing; that only
//! happens for trees of more than 2^62 records, which this crate does not support.

use std::collections::{BTreeMap, HashMap};

use crate::error::{LedgerError, Result};
use crate::hash::{EMPTY_ROOT, Hash, node_hash};

/// The stored index of the hash of the complete subtree at `level` (0 = leaves)
/// with index `n` within that level, i.e. the subtree over records
/// `n * 2^level .. (n + 1) * 2^level`.
///
/// Saturates at `u64::MAX` if the subtree lies beyond 2^62 records.
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    checked_stored_hash_index(level, n).unwrap_or(u64::MAX)
}

/// [`stored_hash_index`] that reports overflow.
pub(crate) fn checked_stored_hash_index(level: u32, n: u64) -> Option<u64> {
    if level >= 64 {
        return None;
    }
    // Level L's n-th hash is stored right after level L-1's (2n+1)-th hash,
    // so it is stored right after the last leaf of the subtree, which is
    // record (n+1)*2^L - 1, and the level-0 hash of record m is stored at
    // m + m/2 + m/4 + ... = 2m - popcount(m).
    let count = n.checked_add(1)?;
    if count > (u64::MAX >> level) {
        return None;
    }
    let last = (count << level) - 1;
    let base = last.checked_mul(2)? - u64::from(last.count_ones());
    base.checked_add(u64::from(level))
}

/// The inverse of [`stored_hash_index`]: the `(level, n)` whose hash is
/// stored at `index`.
pub fn split_stored_hash_index(index: u64) -> (u32, u64) {
    // The record whose append stored this hash is in [index/2, index/2 + log2(index)].
    let mut n = index / 2;
    let mut index_n = stored_hash_count(n); // == stored_hash_index(0, n)
    loop {
        // Appending record n stores 1 + trailing_zeros(n + 1) hashes.
        let x = index_n.checked_add(1).and_then(|x| x.checked_add(u64::from((n + 1).trailing_zeros())));
        match x {
            Some(x) if x <= index => {
                n += 1;
                index_n = x;
            }
            _ => break,
        }
    }
    // The hash was stored with record n: it is one of (0, n), (1, n/2), (2, n/4), ...
    let level = (index - index_n) as u32;
    (level, n.checked_shr(level).unwrap_or(0))
}

/// The number of hashes stored for a tree of `n` records
/// (`2n - popcount(n)`); they occupy stored indexes `0..stored_hash_count(n)`.
pub fn stored_hash_count(n: u64) -> u64 {
    n.saturating_mul(2) - u64::from(n.count_ones())
}

/// Synchronous source of stored hashes, looked up by stored index.
///
/// A database-backed caller first asks the matching `*_indexes` function
/// (e.g. [`tree_hash_indexes`]) which indexes a computation needs, fetches
/// them in one query, and passes them in, e.g. as a `HashMap<u64, Hash>`.
pub trait HashReader {
    /// Returns the hashes stored at `indexes`, in the same order.
    ///
    /// Must return exactly `indexes.len()` hashes, or an error
    /// (typically [`LedgerError::MissingHash`]).
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>>;
}

impl HashReader for HashMap<u64, Hash> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        indexes.iter().map(|&index| self.get(&index).copied().ok_or(LedgerError::MissingHash { index })).collect()
    }
}

impl HashReader for BTreeMap<u64, Hash> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        indexes.iter().map(|&index| self.get(&index).copied().ok_or(LedgerError::MissingHash { index })).collect()
    }
}

/// Dense storage: the hash with stored index `i` is element `i`.
impl HashReader for [Hash] {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        indexes
            .iter()
            .map(|&index| {
                usize::try_from(index).ok().and_then(|i| self.get(i)).copied().ok_or(LedgerError::MissingHash { index })
            })
            .collect()
    }
}

/// Dense storage: the hash with stored index `i` is element `i`.
impl HashReader for Vec<Hash> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        self.as_slice().read_hashes(indexes)
    }
}

/// Reads `indexes` and checks that the reader kept its contract.
pub(crate) fn read_exact(r: &dyn HashReader, indexes: &[u64]) -> Result<Vec<Hash>> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = r.read_hashes(indexes)?;
    if hashes.len() != indexes.len() {
        return Err(LedgerError::HashCount { wanted: indexes.len(), got: hashes.len() });
    }
    Ok(hashes)
}

/// Largest power of two that is `<= x`, for `x >= 1`.
pub(crate) fn pow2_at_most(x: u64) -> u64 {
    1 << (63 - x.leading_zeros())
}

/// Largest power of two that is `< x`, for `x >= 2`.
pub(crate) fn pow2_below(x: u64) -> u64 {
    pow2_at_most(x - 1)
}

/// Appends to `need` the stored indexes of the complete subtrees that make up
/// records `lo..hi` (largest first), as RFC 6962's MTH splits them.
pub(crate) fn sub_tree_index(mut lo: u64, hi: u64, need: &mut Vec<u64>) {
    while lo < hi {
        let k = pow2_at_most(hi - lo);
        let level = k.trailing_zeros();
        need.push(stored_hash_index(level, lo >> level));
        lo += k;
    }
}

/// Cursor over hashes read for indexes produced by the `*_index` functions,
/// consumed in the same order by the matching hash computations.
pub(crate) struct HashCursor<'a> {
    rest: &'a [Hash],
}

impl<'a> HashCursor<'a> {
    pub(crate) fn new(hashes: &'a [Hash]) -> Self {
        HashCursor { rest: hashes }
    }

    fn take(&mut self, count: usize) -> Result<&'a [Hash]> {
        if self.rest.len() < count {
            return Err(LedgerError::HashCount { wanted: count, got: self.rest.len() });
        }
        let (head, tail) = self.rest.split_at(count);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

/// Hash of records `lo..hi` from the hashes listed by [`sub_tree_index`].
pub(crate) fn sub_tree_hash(lo: u64, hi: u64, hashes: &mut HashCursor<'_>) -> Result<Hash> {
    let mut count = 0usize;
    let mut x = lo;
    while x < hi {
        x += pow2_at_most(hi - x);
        count += 1;
    }
    let parts = hashes.take(count)?;
    let Some((last, rest)) = parts.split_last() else {
        return Ok(EMPTY_ROOT);
    };
    Ok(rest.iter().rev().fold(*last, |h, left| node_hash(left, &h)))
}

/// Stored indexes [`tree_hash`] reads for a tree of `n` records: one per set
/// bit of `n`, largest subtree first. Empty for `n == 0`.
pub fn tree_hash_indexes(n: u64) -> Vec<u64> {
    let mut need = Vec::with_capacity(n.count_ones() as usize);
    sub_tree_index(0, n, &mut need);
    need
}

/// Root hash of the tree of the first `n` records (RFC 6962 MTH), from stored
/// hashes. Reads exactly [`tree_hash_indexes`]`(n)`. `tree_hash(0, _)` is
/// [`EMPTY_ROOT`].
pub fn tree_hash(n: u64, r: &dyn HashReader) -> Result<Hash> {
    if n == 0 {
        return Ok(EMPTY_ROOT);
    }
    let indexes = tree_hash_indexes(n);
    let hashes = read_exact(r, &indexes)?;
    let mut cursor = HashCursor::new(&hashes);
    sub_tree_hash(0, n, &mut cursor)
}

/// Stored indexes [`stored_hashes`] reads when appending record `n`: the left
/// siblings of the subtrees record `n` completes, in increasing order.
pub fn stored_hashes_indexes(n: u64) -> Vec<u64> {
    let m = n.trailing_ones();
    let mut indexes = vec![0; m as usize];
    for i in 0..m {
        // n >> i is odd, so (n >> i) - 1 is its left sibling.
        indexes[(m - 1 - i) as usize] = stored_hash_index(i, (n >> i) - 1);
    }
    indexes
}

/// The hashes to store when appending record `n` (0-based) with leaf hash
/// `leaf`: the leaf hash first, then the hash of every subtree it completes.
/// They go to stored indexes `stored_hash_count(n)..stored_hash_count(n + 1)`.
///
/// `r` must hold the hashes of the first `n` records; exactly
/// [`stored_hashes_indexes`]`(n)` are read.
pub fn stored_hashes(n: u64, leaf: &Hash, r: &dyn HashReader) -> Result<Vec<Hash>> {
    let indexes = stored_hashes_indexes(n);
    let old = read_exact(r, &indexes)?;
    let mut hashes = Vec::with_capacity(1 + old.len());
    let mut h = *leaf;
    hashes.push(h);
    for left in old.iter().rev() {
        h = node_hash(left, &h);
        hashes.push(h);
    }
    Ok(hashes)
}

/// Batch appender: the hashes of the complete subtrees along the right edge
/// of a tree (one per set bit of its size).
///
/// Resume it from storage with [`Frontier::resume`], [`append`](Frontier::append)
/// any number of leaves in memory, insert the returned `(stored index, hash)`
/// pairs and publish [`root`](Frontier::root). The pairs are exactly what
/// [`stored_hashes`] would return record by record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Right-edge subtree hashes, largest (leftmost) subtree first.
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Stored indexes that [`Frontier::resume`] reads to resume at size `n`
    /// (the same as [`tree_hash_indexes`]).
    pub fn indexes(n: u64) -> Vec<u64> {
        tree_hash_indexes(n)
    }

    /// The frontier of the tree of `n` records, from stored hashes.
    pub fn resume(n: u64, r: &dyn HashReader) -> Result<Frontier> {
        let hashes = read_exact(r, &Frontier::indexes(n))?;
        Ok(Frontier { size: n, hashes })
    }

    /// Number of records in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The right-edge subtree hashes, largest subtree first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a record with leaf hash `leaf` and returns every newly stored
    /// hash with its stored index: the leaf hash first, then each subtree it
    /// completes (the same hashes as [`stored_hashes`], at indexes
    /// `stored_hash_count(size)..stored_hash_count(size + 1)`).
    pub fn append(&mut self, leaf: Hash) -> Vec<(u64, Hash)> {
        let n = self.size;
        let mut index = stored_hash_count(n);
        let mut out = Vec::with_capacity(1 + n.trailing_ones() as usize);
        out.push((index, leaf));
        let mut h = leaf;
        for _ in 0..n.trailing_ones() {
            let Some(left) = self.hashes.pop() else { break };
            h = node_hash(&left, &h);
            index = index.saturating_add(1);
            out.push((index, h));
        }
        self.hashes.push(h);
        self.size = self.size.saturating_add(1);
        out
    }

    /// Root hash of the current tree ([`EMPTY_ROOT`] when empty).
    pub fn root(&self) -> Hash {
        match self.hashes.split_last() {
            None => EMPTY_ROOT,
            Some((last, rest)) => rest.iter().rev().fold(*last, |h, left| node_hash(left, &h)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use proptest::prelude::*;

    /// Go's StoredHashIndex, literally.
    fn go_stored_hash_index(level: u32, mut n: u64) -> u64 {
        for _ in 0..level {
            n = 2 * n + 1;
        }
        let mut i = 0;
        while n > 0 {
            i += n;
            n >>= 1;
        }
        i + u64::from(level)
    }

    #[test]
    fn stored_hash_index_matches_go_and_splits_back() {
        for level in 0..10 {
            for n in 0..200 {
                let x = stored_hash_index(level, n);
                assert_eq!(x, go_stored_hash_index(level, n), "({level}, {n})");
                assert_eq!(split_stored_hash_index(x), (level, n), "index {x}");
            }
        }
        // The first stored indexes, by hand: leaf0, leaf1, (1,0), leaf2, leaf3, (1,1), (2,0), leaf4.
        let order = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4)];
        for (i, (level, n)) in order.into_iter().enumerate() {
            assert_eq!(stored_hash_index(level, n), i as u64);
        }
    }

    #[test]
    fn stored_hash_index_saturates_instead_of_overflowing() {
        assert_eq!(stored_hash_index(64, 0), u64::MAX);
        assert_eq!(stored_hash_index(1, u64::MAX), u64::MAX);
        assert_eq!(stored_hash_index(0, u64::MAX), u64::MAX);
        // And the split never panics, even at the top of the range.
        let _ = split_stored_hash_index(u64::MAX);
        let _ = split_stored_hash_index(u64::MAX - 1);
    }

    #[test]
    fn stored_hash_count_matches_appends() {
        let mut store: Vec<Hash> = Vec::new();
        for n in 0..300u64 {
            assert_eq!(stored_hash_count(n), store.len() as u64, "n={n}");
            let hashes = stored_hashes(n, &leaf_hash(&n.to_be_bytes()), &store).unwrap();
            assert_eq!(hashes.len() as u32, 1 + n.trailing_ones());
            store.extend(hashes);
        }
    }

    #[test]
    fn ct_roots_for_sizes_0_to_8() {
        // transparency-dev/merkle testonly.LeafInputs() and RootHashes().
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
        let roots = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut store: Vec<Hash> = Vec::new();
        let mut frontier = Frontier::new();
        assert_eq!(hex::encode(tree_hash(0, &store).unwrap()), roots[0]);
        assert_eq!(hex::encode(frontier.root()), roots[0]);
        for (n, leaf) in leaves.iter().enumerate() {
            let h = leaf_hash(leaf);
            store.extend(stored_hashes(n as u64, &h, &store).unwrap());
            frontier.append(h);
            let size = n as u64 + 1;
            assert_eq!(hex::encode(tree_hash(size, &store).unwrap()), roots[n + 1], "size {size}");
            assert_eq!(hex::encode(frontier.root()), roots[n + 1], "frontier size {size}");
        }
    }

    #[test]
    fn readers_report_missing_and_miscounted_hashes() {
        let map: HashMap<u64, Hash> = HashMap::new();
        assert_eq!(tree_hash(1, &map), Err(LedgerError::MissingHash { index: 0 }));
        struct Short;
        impl HashReader for Short {
            fn read_hashes(&self, _: &[u64]) -> Result<Vec<Hash>> {
                Ok(vec![])
            }
        }
        assert_eq!(tree_hash(3, &Short), Err(LedgerError::HashCount { wanted: 2, got: 0 }));
        assert!(Frontier::resume(3, &Short).is_err());
        assert!(stored_hashes(1, &[0; 32], &Short).is_err());
    }

    #[test]
    fn frontier_resume_continues_where_it_stopped() {
        let mut store: HashMap<u64, Hash> = HashMap::new();
        let mut f = Frontier::new();
        for i in 0..100u64 {
            store.extend(f.append(leaf_hash(&i.to_le_bytes())));
        }
        let mut resumed = Frontier::resume(100, &store).unwrap();
        assert_eq!(resumed, f);
        for i in 100..130u64 {
            let a = f.append(leaf_hash(&i.to_le_bytes()));
            let b = resumed.append(leaf_hash(&i.to_le_bytes()));
            assert_eq!(a, b);
            store.extend(a);
        }
        assert_eq!(resumed.root(), tree_hash(130, &store).unwrap());
        assert_eq!(store.len() as u64, stored_hash_count(130));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Frontier appends store exactly what `stored_hashes` stores, and its
        /// root is `tree_hash` at every size.
        #[test]
        fn frontier_matches_stored_hashes(size in 1u64..3000, seed in any::<u64>()) {
            let mut dense: Vec<Hash> = Vec::new();
            let mut f = Frontier::new();
            for n in 0..size {
                let leaf = leaf_hash(&(seed ^ n).to_le_bytes());
                let expected = stored_hashes(n, &leaf, &dense).unwrap();
                let got = f.append(leaf);
                let start = stored_hash_count(n);
                prop_assert_eq!(got.len(), expected.len());
                for (i, ((idx, h), want)) in got.iter().zip(&expected).enumerate() {
                    prop_assert_eq!(*idx, start + i as u64);
                    prop_assert_eq!(h, want);
                }
                dense.extend(expected);
                prop_assert_eq!(f.size(), n + 1);
                if n % 97 == 0 || n + 1 == size {
                    prop_assert_eq!(f.root(), tree_hash(n + 1, &dense).unwrap());
                }
            }
            prop_assert_eq!(dense.len() as u64, stored_hash_count(size));
        }

        #[test]
        fn split_inverts_stored_hash_index(level in 0u32..40, n in 0u64..(1 << 20)) {
            prop_assert_eq!(split_stored_hash_index(stored_hash_index(level, n)), (level, n));
        }
    }
}
