//! C2SP tlog-cosignature v1 with Ed25519 (signature type `0x04`): a witness's
//! timestamped statement that it saw a checkpoint.
//!
//! The signed message is `"cosignature/v1\ntime <unix seconds>\n" + checkpoint body`;
//! the signature-line bytes are `key ID (4) || timestamp u64 big-endian (8) || Ed25519 signature (64)`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::checkpoint::Checkpoint;
use crate::error::{LedgerError, Result};
use crate::note::{SIG_PREFIX, check_key_name, decode_vkey, encode_vkey, key_id, parse_signature_line, random_seed};

/// Signature type byte for timestamped Ed25519 cosignatures.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Largest timestamp a cosignature may carry (2^63 - 1).
pub const MAX_COSIGNATURE_TIME: u64 = i64::MAX as u64;

fn signed_message(checkpoint_body: &str, unix_time: u64) -> String {
    format!("cosignature/v1\ntime {unix_time}\n{checkpoint_body}")
}

/// A witness (cosigner) key.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key: SigningKey,
    key_id: u32,
}

impl fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cosigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl Cosigner {
    /// A new random cosigner key named `name`. The name is checked by
    /// [`cosign`](Cosigner::cosign); use [`try_generate`](Cosigner::try_generate)
    /// to check it now.
    ///
    /// # Panics
    /// If the operating system's random number generator fails.
    pub fn generate(name: &str) -> Self {
        let seed = random_seed().expect("operating system random number generator failed");
        Self::with_seed(name, &seed)
    }

    /// A new random cosigner key; errors for an invalid name or if the
    /// operating system's random number generator fails.
    pub fn try_generate(name: &str) -> Result<Self> {
        check_key_name(name)?;
        Ok(Self::with_seed(name, &random_seed()?))
    }

    /// The cosigner key with this 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self> {
        check_key_name(name)?;
        Ok(Self::with_seed(name, seed))
    }

    fn with_seed(name: &str, seed: &[u8; 32]) -> Self {
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(name, ALG_COSIGNATURE_V1, key.verifying_key().as_bytes());
        Cosigner { name: name.to_string(), key, key_id }
    }

    /// The private Ed25519 seed; keep it secret.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The cosigner name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID (computed with signature type `0x04`).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The verifier key: `<name>+<8 hex key ID>+<base64(0x04 || public key)>`.
    pub fn vkey(&self) -> String {
        encode_vkey(&self.name, ALG_COSIGNATURE_V1, self.key.verifying_key().as_bytes())
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier { name: self.name.clone(), key_id: self.key_id, key: self.key.verifying_key() }
    }

    /// Cosigns a checkpoint body (the note text, ending in a newline) at
    /// `unix_time` and returns the complete signature line
    /// `— <name> <base64>\n`, to append to the checkpoint note.
    ///
    /// Errors if the body is not a valid checkpoint, the time exceeds
    /// 2^63 - 1 or the name is invalid.
    pub fn cosign(&self, checkpoint_body: &str, unix_time: u64) -> Result<String> {
        check_key_name(&self.name)?;
        Checkpoint::parse(checkpoint_body)?;
        if unix_time > MAX_COSIGNATURE_TIME {
            return Err(LedgerError::InvalidArgument(format!("cosignature time {unix_time} exceeds 2^63 - 1")));
        }
        let sig = self.key.sign(signed_message(checkpoint_body, unix_time).as_bytes());
        let mut raw = Vec::with_capacity(4 + 8 + 64);
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&unix_time.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        Ok(format!("{SIG_PREFIX}{} {}\n", self.name, BASE64.encode(raw)))
    }
}

/// A witness public key that verifies cosignature lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// Parses a verifier key `<name>+<8 hex key ID>+<base64(0x04 || public key)>`.
    pub fn from_vkey(vkey: &str) -> Result<Self> {
        let (name, key_id, key) = decode_vkey(vkey, ALG_COSIGNATURE_V1)?;
        Ok(CosignatureVerifier { name, key_id, key })
    }

    /// The cosigner name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The verifier key string.
    pub fn vkey(&self) -> String {
        encode_vkey(&self.name, ALG_COSIGNATURE_V1, self.key.as_bytes())
    }

    /// Verifies one signature line (with or without its trailing newline)
    /// over `checkpoint_body` and returns the cosignature's timestamp.
    ///
    /// Errors with [`LedgerError::MalformedCosignature`] if the line is not
    /// this cosigner's (other name or key ID) or is not 76 bytes of base64,
    /// and with [`LedgerError::InvalidSignature`] if the signature is wrong.
    pub fn verify_line(&self, checkpoint_body: &str, line: &str) -> Result<u64> {
        let bad = |why: String| LedgerError::MalformedCosignature(why);
        let line = line.strip_suffix('\n').unwrap_or(line);
        if line.contains('\n') {
            return Err(bad("a signature line is a single line".into()));
        }
        let sig = parse_signature_line(line).map_err(|e| bad(e.to_string()))?;
        if sig.name != self.name || sig.key_id != self.key_id {
            return Err(bad(format!(
                "signature line is from {}+{:08x}, not {}+{:08x}",
                sig.name, sig.key_id, self.name, self.key_id
            )));
        }
        let Some((time, ed_sig)) = sig.sig.split_first_chunk::<8>() else {
            return Err(bad("cosignature must be 76 bytes".into()));
        };
        if ed_sig.len() != 64 {
            return Err(bad("cosignature must be 76 bytes".into()));
        }
        let time = u64::from_be_bytes(*time);
        if time > MAX_COSIGNATURE_TIME {
            return Err(bad(format!("timestamp {time} exceeds 2^63 - 1")));
        }
        let ok = Signature::from_slice(ed_sig)
            .is_ok_and(|s| self.key.verify_strict(signed_message(checkpoint_body, time).as_bytes(), &s).is_ok());
        if !ok {
            return Err(LedgerError::InvalidSignature { name: self.name.clone(), key_id: self.key_id });
        }
        Ok(time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{NoteSigner, NoteVerifier, open_note};

    const BODY: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn cosignature_round_trip() {
        let witness = Cosigner::from_seed("witness.example.com/w1", &[9; 32]).unwrap();
        let line = witness.cosign(BODY, 1679315147).unwrap();
        assert!(line.starts_with("— witness.example.com/w1 "));
        assert!(line.ends_with('\n'));
        let raw = BASE64.decode(line.trim_end().rsplit(' ').next().unwrap()).unwrap();
        assert_eq!(raw.len(), 76);
        assert_eq!(&raw[..4], &witness.key_id().to_be_bytes());
        assert_eq!(&raw[4..12], &1679315147u64.to_be_bytes());

        let v = CosignatureVerifier::from_vkey(&witness.vkey()).unwrap();
        assert_eq!(v, witness.verifier());
        assert_eq!(v.name(), "witness.example.com/w1");
        assert_eq!(v.verify_line(BODY, &line).unwrap(), 1679315147);
        assert_eq!(v.verify_line(BODY, line.trim_end()).unwrap(), 1679315147);

        // The message is exactly the spec's: an Ed25519 signature over it verifies.
        let msg = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let sig = Signature::from_slice(&raw[12..]).unwrap();
        witness.key.verifying_key().verify_strict(msg.as_bytes(), &sig).unwrap();
    }

    #[test]
    fn cosignature_rejections() {
        let witness = Cosigner::generate("w");
        let v = witness.verifier();
        let line = witness.cosign(BODY, 7).unwrap();
        let other_body = BODY.replace("20852163", "20852164");
        assert!(matches!(v.verify_line(&other_body, &line), Err(LedgerError::InvalidSignature { .. })));
        let other = Cosigner::generate("w").verifier();
        assert!(matches!(other.verify_line(BODY, &line), Err(LedgerError::MalformedCosignature(_))));
        // Tampered timestamp.
        let b64 = line.trim_end().rsplit(' ').next().unwrap();
        let mut raw = BASE64.decode(b64).unwrap();
        raw[11] ^= 1;
        let tampered = format!("— w {}\n", BASE64.encode(&raw));
        assert!(matches!(v.verify_line(BODY, &tampered), Err(LedgerError::InvalidSignature { .. })));
        raw.pop();
        let short = format!("— w {}\n", BASE64.encode(&raw));
        assert!(matches!(v.verify_line(BODY, &short), Err(LedgerError::MalformedCosignature(_))));
        assert!(v.verify_line(BODY, "garbage").is_err());
        assert!(v.verify_line(BODY, &format!("{line}{line}")).is_err());

        assert!(witness.cosign("not a checkpoint\n", 1).is_err());
        assert!(witness.cosign(BODY, MAX_COSIGNATURE_TIME + 1).is_err());
        assert!(Cosigner::from_seed("bad name", &[1; 32]).is_err());
        // A plain note key is not a cosigner key, and vice versa.
        let log = NoteSigner::generate("w");
        assert!(CosignatureVerifier::from_vkey(&log.vkey()).is_err());
        assert!(NoteVerifier::from_vkey(&witness.vkey()).is_err());
    }

    #[test]
    fn cosigned_checkpoint_note_opens_with_log_key() {
        let log = NoteSigner::generate("example.com/behind-the-sofa");
        let witness = Cosigner::generate("witness.example.com/w1");
        let note = format!("{}{}", log.sign(BODY).unwrap(), witness.cosign(BODY, 100).unwrap());
        let opened = open_note(&note, &[log.verifier()]).unwrap();
        assert_eq!(opened.other_signature_lines.len(), 1);
        assert_eq!(witness.verifier().verify_line(&opened.text, &opened.other_signature_lines[0]).unwrap(), 100);
    }
}
