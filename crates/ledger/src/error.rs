//! The crate's single error type.

/// Everything that can go wrong in this crate.
///
/// Proof, note and tile inputs are untrusted: malformed input always comes
/// back as one of these variants, never as a panic.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    /// A [`HashReader`](crate::HashReader) does not have the hash at this stored index.
    #[error("stored hash {index} is missing")]
    MissingHash {
        /// The stored hash index that was asked for.
        index: u64,
    },
    /// A [`HashReader`](crate::HashReader) answered with the wrong number of hashes.
    #[error("hash reader returned {got} hashes for {wanted} indexes")]
    HashCount {
        /// How many indexes were asked for.
        wanted: usize,
        /// How many hashes came back.
        got: usize,
    },
    /// The arguments do not describe a valid request (e.g. a record index
    /// outside the tree, or a consistency proof from a larger to a smaller tree).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An inclusion or consistency proof does not verify.
    #[error("invalid transparency proof")]
    ProofFailed,
    /// A tile path does not follow the C2SP tlog-tiles syntax.
    #[error("malformed tile path {0:?}")]
    MalformedTilePath(String),
    /// An entry is too large for an entry bundle (the limit is 65,535 bytes).
    #[error("entry of {len} bytes does not fit a 16-bit length prefix")]
    EntryTooLarge {
        /// The entry's length in bytes.
        len: usize,
    },
    /// An entry bundle is truncated or otherwise malformed.
    #[error("malformed entry bundle: {0}")]
    MalformedEntryBundle(String),
    /// A key name is empty or has a space, a plus sign or a control character.
    #[error("invalid key name {0:?}")]
    InvalidKeyName(String),
    /// A verifier key (`name+keyid+base64`) is malformed or its key ID does not match.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(String),
    /// The note text or the signed note does not follow the C2SP signed-note format.
    #[error("malformed note: {0}")]
    MalformedNote(String),
    /// A signature line names a known key (name and key ID match) but its signature is wrong.
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature {
        /// The key name on the signature line.
        name: String,
        /// The key ID on the signature line.
        key_id: u32,
    },
    /// Two of the given verifiers share both name and key ID.
    #[error("ambiguous key {name}+{key_id:08x}")]
    AmbiguousKey {
        /// The shared key name.
        name: String,
        /// The shared key ID.
        key_id: u32,
    },
    /// The note parsed, but no signature from any of the given verifiers is on it.
    #[error("note has no signature from a known key")]
    NoVerifiedSignature,
    /// A checkpoint body does not follow C2SP tlog-checkpoint.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(String),
    /// A cosignature line is malformed or does not belong to this cosigner.
    #[error("malformed cosignature: {0}")]
    MalformedCosignature(String),
    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
    /// A JSON value cannot be written canonically (e.g. a non-integer number).
    #[error("cannot canonicalize JSON: {0}")]
    Json(String),
}

/// `Result` with [`LedgerError`].
pub type Result<T> = std::result::Result<T, LedgerError>;
