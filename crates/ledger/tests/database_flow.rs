//! The flow a database-backed caller follows: ask which stored indexes a
//! computation needs, fetch exactly those (one query), compute, store.

use std::collections::HashMap;

use anjian_ledger::{
    Checkpoint, Frontier, Hash, HashReader, NoteSigner, check_record, check_tree, leaf_hash, open_checkpoint,
    prove_record, prove_record_indexes, prove_tree, prove_tree_indexes, stored_hash_count, stored_hashes,
    stored_hashes_indexes, tree_hash, tree_hash_indexes,
};

/// Stands in for the database table `(stored_index, hash)`.
#[derive(Default)]
struct Db {
    rows: HashMap<u64, Hash>,
    queries: usize,
}

impl Db {
    /// One `SELECT ... WHERE stored_index IN (...)`.
    fn fetch(&mut self, indexes: &[u64]) -> HashMap<u64, Hash> {
        self.queries += 1;
        indexes.iter().filter_map(|i| self.rows.get(i).map(|h| (*i, *h))).collect()
    }
}

#[test]
fn one_record_at_a_time_then_in_batches() {
    let mut db = Db::default();
    // Append 100 records one by one with stored_hashes.
    for n in 0..100u64 {
        let prefetched = db.fetch(&stored_hashes_indexes(n));
        let hashes = stored_hashes(n, &leaf_hash(&n.to_be_bytes()), &prefetched).unwrap();
        for (i, h) in hashes.into_iter().enumerate() {
            db.rows.insert(stored_hash_count(n) + i as u64, h);
        }
    }
    // Then 900 more in three batches with a Frontier.
    let mut size = 100;
    for batch in [17u64, 383, 500] {
        let prefetched = db.fetch(&Frontier::indexes(size));
        let mut frontier = Frontier::resume(size, &prefetched).unwrap();
        for n in size..size + batch {
            db.rows.extend(frontier.append(leaf_hash(&n.to_be_bytes())));
        }
        size += batch;
        let root = tree_hash(size, &db.fetch(&tree_hash_indexes(size))).unwrap();
        assert_eq!(frontier.root(), root);
    }
    assert_eq!(db.rows.len() as u64, stored_hash_count(1000));

    // Publish a checkpoint, then serve proofs from single prefetches.
    let signer = NoteSigner::from_seed("example.com/evidence", &[3; 32]).unwrap();
    let root = tree_hash(1000, &db.rows).unwrap();
    let note = Checkpoint::new("example.com/evidence", 1000, root).sign(&signer).unwrap();
    let (checkpoint, _) = open_checkpoint(&note, &[signer.verifier()]).unwrap();
    assert_eq!(checkpoint.size, 1000);

    for n in [0u64, 99, 100, 116, 117, 999] {
        let proof = prove_record(1000, n, &db.fetch(&prove_record_indexes(1000, n))).unwrap();
        check_record(&proof, 1000, &checkpoint.root, n, &leaf_hash(&n.to_be_bytes())).unwrap();
    }
    let old_root = tree_hash(117, &db.rows).unwrap();
    let proof = prove_tree(1000, 117, &db.fetch(&prove_tree_indexes(1000, 117))).unwrap();
    check_tree(&proof, 1000, &checkpoint.root, 117, &old_root).unwrap();
}

#[test]
fn missing_rows_are_errors_not_panics() {
    let empty: HashMap<u64, Hash> = HashMap::new();
    assert!(tree_hash(5, &empty).is_err());
    assert!(prove_record(5, 2, &empty).is_err());
    assert!(prove_tree(5, 3, &empty).is_err());
    assert!(Frontier::resume(5, &empty).is_err());
    assert!(stored_hashes(3, &[0; 32], &empty).is_err());
    let reader: &dyn HashReader = &empty;
    assert!(reader.read_hashes(&[0]).is_err());
}
