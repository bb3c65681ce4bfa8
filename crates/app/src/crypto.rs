//! Secrets: AES-256-GCM for personal ID numbers, a keyed digest for finding
//! duplicates without decrypting, Argon2id for passwords, random tokens.

use crate::{AppError, Result};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

/// The 32-byte master key from configuration; subkeys are derived from it.
#[derive(Clone)]
pub struct Secrets {
    cipher: Aes256Gcm,
    digest_key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

impl Secrets {
    pub fn from_key(master: &[u8; 32]) -> Secrets {
        let enc = derive(master, b"anjian/id-number-encryption");
        let digest_key = derive(master, b"anjian/id-number-digest");
        Secrets { cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(enc)), digest_key }
    }

    /// Parses a 64-hex-character key.
    pub fn from_hex(hex_key: &str) -> std::result::Result<Secrets, String> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| "secret key must be 64 hex characters".to_string())?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|_| "secret key must be 32 bytes (64 hex characters)".to_string())?;
        Ok(Secrets::from_key(&key))
    }

    pub fn generate_hex() -> String {
        hex::encode(random_bytes::<32>())
    }

    /// nonce ‖ ciphertext+tag.
    pub fn encrypt(&self, plain: &str) -> Vec<u8> {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let nonce = Nonce::from(nonce_bytes);
        let ct =
            self.cipher.encrypt(&nonce, plain.as_bytes()).expect("AES-GCM encryption cannot fail for small inputs");
        let mut out = nonce_bytes.to_vec();
        out.extend(ct);
        out
    }

    pub fn decrypt(&self, blob: &[u8]) -> Result<String> {
        if blob.len() < NONCE_LEN {
            return Err(AppError::Internal("ciphertext too short".into()));
        }
        let (n, ct) = blob.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(&Nonce::try_from(n).map_err(|_| AppError::Internal("bad nonce".into()))?, ct)
            .map_err(|_| AppError::Internal("cannot decrypt (wrong secret key?)".into()))?;
        String::from_utf8(plain).map_err(|_| AppError::Internal("decrypted value is not UTF-8".into()))
    }

    /// Keyed SHA-256 of a personal identifier: equal inputs give equal
    /// digests, but the digest reveals nothing without the key.
    pub fn digest(&self, value: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.digest_key);
        h.update(value.as_bytes());
        hex::encode(h.finalize())
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(master);
    h.update(label);
    h.finalize().into()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("operating system RNG unavailable");
    b
}

/// A URL-safe random secret with a readable prefix, e.g. `ajt_…`.
pub fn random_token(prefix: &str) -> String {
    use base64::Engine;
    format!("{prefix}_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

/// Tokens have 256 bits of entropy, so a plain SHA-256 is enough at rest.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Argon2id with the crate's default parameters (m = 19 MiB, t = 2, p = 1).
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_round_trip_and_fresh_nonce() {
        let s = Secrets::from_key(&[7; 32]);
        let a = s.encrypt("11010519491231002X");
        let b = s.encrypt("11010519491231002X");
        assert_ne!(a, b, "nonces differ");
        assert_eq!(s.decrypt(&a).unwrap(), "11010519491231002X");
        let other = Secrets::from_key(&[8; 32]);
        assert!(other.decrypt(&a).is_err());
        assert_eq!(s.digest("x"), s.digest("x"));
        assert_ne!(s.digest("x"), other.digest("x"));
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("正确的密码").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正确的密码", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
