//! C2SP signed notes with Ed25519 keys (signature type `0x01`), compatible
//! with Go's `golang.org/x/mod/sumdb/note`.
//!
//! A signed note is a text ending in a newline, a blank line, and one or more
//! signature lines `— <key name> <base64(key ID || signature)>`. Keys are
//! published as *verifier keys* (vkeys): `<name>+<8 hex key ID>+<base64(type || public key)>`,
//! where the key ID is the first four bytes (big-endian) of
//! `SHA-256(name || "\n" || type || public key)`.

use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::error::{LedgerError, Result};
use crate::hash::sha256;

/// Signature type byte for plain Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;

/// The em dash and space that start every signature line.
pub(crate) const SIG_PREFIX: &str = "\u{2014} ";

/// Most signature lines [`open_note`] accepts (the spec requires at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// Whether `name` may be a key name: non-empty, no Unicode space, no `+`,
/// no control character.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

pub(crate) fn check_key_name(name: &str) -> Result<()> {
    if is_valid_key_name(name) { Ok(()) } else { Err(LedgerError::InvalidKeyName(name.to_string())) }
}

/// `SHA-256(name || "\n" || alg || public key)[:4]` as a big-endian `u32`.
pub fn key_id(name: &str, alg: u8, public_key: &[u8]) -> u32 {
    let h = sha256(&[name.as_bytes(), b"\n", &[alg], public_key]);
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// `<name>+<key id>+<base64(alg || public key)>`.
pub(crate) fn encode_vkey(name: &str, alg: u8, public_key: &[u8; 32]) -> String {
    let mut key = Vec::with_capacity(33);
    key.push(alg);
    key.extend_from_slice(public_key);
    format!("{name}+{:08x}+{}", key_id(name, alg, public_key), BASE64.encode(key))
}

/// Parses a vkey of signature type `alg` with a 32-byte Ed25519 key, checking
/// the key ID. Returns (name, key ID, key).
pub(crate) fn decode_vkey(vkey: &str, alg: u8) -> Result<(String, u32, VerifyingKey)> {
    let bad = |why: &str| LedgerError::MalformedVerifierKey(why.to_string());
    let (name, rest) = vkey.split_once('+').ok_or_else(|| bad("expected name+keyid+key"))?;
    let (id_hex, key64) = rest.split_once('+').ok_or_else(|| bad("expected name+keyid+key"))?;
    check_key_name(name).map_err(|_| bad("invalid key name"))?;
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("key ID must be 8 hex digits"));
    }
    let id = u32::from_str_radix(id_hex, 16).map_err(|_| bad("key ID must be 8 hex digits"))?;
    let key = BASE64.decode(key64).map_err(|_| bad("key is not valid base64"))?;
    let Some((&key_alg, public)) = key.split_first() else {
        return Err(bad("empty key"));
    };
    if key_id(name, key_alg, public) != id {
        return Err(bad("key ID does not match the key"));
    }
    if key_alg != alg {
        return Err(LedgerError::MalformedVerifierKey(format!("signature type 0x{key_alg:02x}, expected 0x{alg:02x}")));
    }
    let public: &[u8; 32] = public.try_into().map_err(|_| bad("Ed25519 keys are 32 bytes"))?;
    let key = VerifyingKey::from_bytes(public).map_err(|_| bad("not an Ed25519 public key"))?;
    Ok((name.to_string(), id, key))
}

/// 32 bytes from the operating system's random number generator.
pub(crate) fn random_seed() -> Result<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| LedgerError::Random(e.to_string()))?;
    Ok(seed)
}

/// Checks that `text` can be the text of a signed note: ends in a newline
/// and has no control character other than newline.
pub(crate) fn check_note_text(text: &str) -> Result<()> {
    if !text.ends_with('\n') {
        return Err(LedgerError::MalformedNote("text must end with a newline".into()));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(LedgerError::MalformedNote("text has a control character other than newline".into()));
    }
    Ok(())
}

/// A named Ed25519 key that signs notes (checkpoints).
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    key_id: u32,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the private key.
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A new random key named `name`.
    ///
    /// The name is checked by [`sign`](NoteSigner::sign), which fails for an
    /// invalid name; use [`try_generate`](NoteSigner::try_generate) to check it now.
    ///
    /// # Panics
    /// If the operating system's random number generator fails.
    pub fn generate(name: &str) -> NoteSigner {
        let seed = random_seed().expect("operating system random number generator failed");
        Self::with_seed(name, &seed)
    }

    /// A new random key named `name`; errors for an invalid name or if the
    /// operating system's random number generator fails.
    pub fn try_generate(name: &str) -> Result<NoteSigner> {
        check_key_name(name)?;
        Ok(Self::with_seed(name, &random_seed()?))
    }

    /// The key with this 32-byte Ed25519 seed (as returned by [`seed`](NoteSigner::seed)).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<NoteSigner> {
        check_key_name(name)?;
        Ok(Self::with_seed(name, seed))
    }

    fn with_seed(name: &str, seed: &[u8; 32]) -> NoteSigner {
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(name, ALG_ED25519, key.verifying_key().as_bytes());
        NoteSigner { name: name.to_string(), key, key_id }
    }

    /// The private Ed25519 seed; keep it secret.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The verifier key to publish: `<name>+<8 hex key ID>+<base64(0x01 || public key)>`.
    pub fn vkey(&self) -> String {
        encode_vkey(&self.name, ALG_ED25519, self.key.verifying_key().as_bytes())
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), key_id: self.key_id, key: self.key.verifying_key() }
    }

    /// Signs `text`, which must end with a newline and have no other control
    /// characters, and returns the signed note:
    /// `text + "\n" + "— <name> <base64(key ID || signature)>\n"`.
    pub fn sign(&self, text: &str) -> Result<String> {
        check_key_name(&self.name)?;
        check_note_text(text)?;
        Ok(format!("{text}\n{}", self.signature_line(text)))
    }

    /// Only the signature line for `text` (with its trailing newline), for
    /// adding this signature to an already signed note.
    pub fn signature_line(&self, text: &str) -> String {
        let sig = self.key.sign(text.as_bytes());
        let mut raw = Vec::with_capacity(4 + 64);
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        format!("{SIG_PREFIX}{} {}\n", self.name, BASE64.encode(raw))
    }
}

/// A named Ed25519 public key that verifies note signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses a verifier key `<name>+<8 hex key ID>+<base64(0x01 || public key)>`,
    /// rejecting bad names, a key ID that does not match the key, other
    /// signature types and anything that is not a 32-byte Ed25519 key.
    pub fn from_vkey(vkey: &str) -> Result<Self> {
        let (name, key_id, key) = decode_vkey(vkey, ALG_ED25519)?;
        Ok(NoteVerifier { name, key_id, key })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The verifier key string.
    pub fn vkey(&self) -> String {
        encode_vkey(&self.name, ALG_ED25519, self.key.as_bytes())
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match Signature::from_slice(sig) {
            Ok(sig) => self.key.verify_strict(msg, &sig).is_ok(),
            Err(_) => false,
        }
    }
}

/// A note whose signatures [`open_note`] checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedNote {
    /// The note text, ending in a newline (without the blank line and signatures).
    pub text: String,
    /// Names of the given verifiers whose signatures verified, in note order.
    pub verified: Vec<String>,
    /// Signature lines from keys not among the verifiers (e.g. witness
    /// cosignatures), each complete with `— ` and the trailing newline, in note
    /// order, exact duplicates removed.
    pub other_signature_lines: Vec<String>,
}

/// One parsed signature line.
pub(crate) struct SignatureLine<'a> {
    pub(crate) line: &'a str,
    pub(crate) name: &'a str,
    pub(crate) key_id: u32,
    pub(crate) sig: Vec<u8>,
}

/// Parses a signature line without its newline: `— <name> <base64>`, the
/// decoded bytes at least 5 long (key ID and signature).
pub(crate) fn parse_signature_line(line: &str) -> Result<SignatureLine<'_>> {
    let bad = |why: &str| LedgerError::MalformedNote(why.to_string());
    let rest =
        line.strip_prefix(SIG_PREFIX).ok_or_else(|| bad("signature line must start with an em dash and a space"))?;
    let (name, b64) = rest.split_once(' ').ok_or_else(|| bad("signature line must be '— <name> <signature>'"))?;
    if !is_valid_key_name(name) {
        return Err(bad("invalid key name on a signature line"));
    }
    let raw = BASE64.decode(b64).map_err(|_| bad("signature is not valid base64"))?;
    if raw.len() < 5 {
        return Err(bad("signature too short"));
    }
    let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    Ok(SignatureLine { line, name, key_id, sig: raw[4..].to_vec() })
}

/// Splits a signed note into its text (with final newline) and the signature
/// block (one or more lines, each ending in a newline), checking the
/// characters allowed in a note.
pub(crate) fn split_note(note: &str) -> Result<(&str, &str)> {
    if note.chars().any(|c| c < ' ' && c != '\n') {
        return Err(LedgerError::MalformedNote("note has a control character other than newline".into()));
    }
    let split =
        note.rfind("\n\n").ok_or_else(|| LedgerError::MalformedNote("no blank line before the signatures".into()))?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(LedgerError::MalformedNote(
            "signatures must be one or more lines, each ending in a newline".into(),
        ));
    }
    Ok((text, sigs))
}

/// Parses a signed note and verifies the signatures of the given verifiers.
///
/// A signature line whose name and key ID both match a verifier must verify
/// ([`LedgerError::InvalidSignature`] otherwise); lines from other keys are
/// kept, unverified, in [`OpenedNote::other_signature_lines`]. Errors with
/// [`LedgerError::NoVerifiedSignature`] if no verifier signed the note, with
/// [`LedgerError::MalformedNote`] if it does not follow the format (or has
/// more than [`MAX_SIGNATURES`] signature lines), and with
/// [`LedgerError::AmbiguousKey`] if two verifiers that share name and key ID
/// match a signature.
pub fn open_note(note: &str, verifiers: &[NoteVerifier]) -> Result<OpenedNote> {
    let (text, sigs) = split_note(note)?;
    let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(LedgerError::MalformedNote(format!("more than {MAX_SIGNATURES} signatures")));
    }
    let mut opened = OpenedNote { text: text.to_string(), verified: Vec::new(), other_signature_lines: Vec::new() };
    let mut seen_keys: HashSet<(&str, u32)> = HashSet::new();
    let mut seen_lines: HashSet<&str> = HashSet::new();
    for line in lines {
        let sig = parse_signature_line(line)?;
        let mut matching = verifiers.iter().filter(|v| v.name == sig.name && v.key_id == sig.key_id);
        let Some(verifier) = matching.next() else {
            if seen_lines.insert(sig.line) {
                opened.other_signature_lines.push(format!("{}\n", sig.line));
            }
            continue;
        };
        if matching.next().is_some() {
            return Err(LedgerError::AmbiguousKey { name: sig.name.to_string(), key_id: sig.key_id });
        }
        if !seen_keys.insert((sig.name, sig.key_id)) {
            // A repeated signature by the same key is ignored, as in Go.
            continue;
        }
        if !verifier.verify(text.as_bytes(), &sig.sig) {
            return Err(LedgerError::InvalidSignature { name: sig.name.to_string(), key_id: sig.key_id });
        }
        opened.verified.push(sig.name.to_string());
    }
    if opened.verified.is_empty() {
        return Err(LedgerError::NoVerifiedSignature);
    }
    Ok(opened)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from Go's golang.org/x/mod/sumdb/note/note_test.go.
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY_B64: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"; // 0x01 || seed
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str =
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str =
        "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    fn peter_signer() -> NoteSigner {
        let raw = BASE64.decode(PETER_SKEY_B64).unwrap();
        assert_eq!(raw[0], ALG_ED25519);
        NoteSigner::from_seed("PeterNeumann", raw[1..].try_into().unwrap()).unwrap()
    }

    #[test]
    fn signs_exactly_like_go() {
        let signer = peter_signer();
        assert_eq!(signer.vkey(), PETER_VKEY);
        assert_eq!(signer.key_id(), 0xc74f20a3);
        assert_eq!(signer.sign(TEXT).unwrap(), format!("{TEXT}\n{PETER_SIG}"));
        let seed = signer.seed();
        assert_eq!(NoteSigner::from_seed("PeterNeumann", &seed).unwrap().vkey(), PETER_VKEY);
    }

    #[test]
    fn opens_go_notes() {
        let peter = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
        let enoch = NoteVerifier::from_vkey(ENOCH_VKEY).unwrap();
        assert_eq!(peter.name(), "PeterNeumann");
        assert_eq!(peter.key_id(), 0xc74f20a3);
        assert_eq!(peter.vkey(), PETER_VKEY);

        let note = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        let one = open_note(&note, std::slice::from_ref(&peter)).unwrap();
        assert_eq!(one.text, TEXT);
        assert_eq!(one.verified, vec!["PeterNeumann"]);
        assert_eq!(one.other_signature_lines, vec![ENOCH_SIG.to_string()]);

        let both = open_note(&note, &[peter.clone(), enoch.clone()]).unwrap();
        assert_eq!(both.verified, vec!["PeterNeumann", "EnochRoot"]);
        assert!(both.other_signature_lines.is_empty());

        assert_eq!(open_note(&note, &[]), Err(LedgerError::NoVerifiedSignature));
        assert_eq!(
            open_note(&format!("{TEXT}\n{ENOCH_SIG}"), &[enoch.clone(), peter.clone(), enoch.clone()]),
            Err(LedgerError::AmbiguousKey { name: "EnochRoot".into(), key_id: 0xaf0cfe78 })
        );
        // An unused duplicated verifier is fine.
        open_note(&format!("{TEXT}\n{PETER_SIG}"), &[enoch.clone(), peter.clone(), enoch.clone()]).unwrap();

        // Duplicated signatures are dropped.
        let dup = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}");
        let opened = open_note(&dup, std::slice::from_ref(&peter)).unwrap();
        assert_eq!(opened.verified, vec!["PeterNeumann"]);
        assert_eq!(opened.other_signature_lines, vec![ENOCH_SIG.to_string()]);
    }

    #[test]
    fn rejects_bad_signatures_and_malformed_notes() {
        let peter = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
        let vs = std::slice::from_ref(&peter);
        // A known key with a wrong signature rejects the whole note.
        let corrupted = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
        assert_eq!(
            open_note(&corrupted, vs),
            Err(LedgerError::InvalidSignature { name: "PeterNeumann".into(), key_id: 0xc74f20a3 })
        );
        // A changed text no longer verifies.
        let changed = format!("{}\n{PETER_SIG}", TEXT.replace("answer", "Answer"));
        assert!(matches!(open_note(&changed, vs), Err(LedgerError::InvalidSignature { .. })));

        let bad = [
            TEXT.to_string(),
            format!("{TEXT}\n"),
            format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
            format!("\x01{TEXT}\n{PETER_SIG}"),
            format!(
                "{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
            ),
            format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
            format!("{TEXT}\n{}", PETER_SIG.repeat(101)),
            format!("{TEXT}\n— PeterNeumann AAAA\n"),
            format!("{TEXT}\n— PeterNeumann\n"),
            format!(
                "{TEXT}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
            ),
            format!("{TEXT}\r\n{PETER_SIG}"),
        ];
        for note in bad {
            assert!(
                matches!(open_note(&note, vs), Err(LedgerError::MalformedNote(_))),
                "accepted malformed note {note:?}"
            );
        }
        // The last blank line separates the signatures: a text may have blank lines.
        let signer = peter_signer();
        let text = "a\n\nb\n\n";
        let opened = open_note(&signer.sign(text).unwrap(), vs).unwrap();
        assert_eq!(opened.text, text);
    }

    #[test]
    fn vkey_manglings_are_rejected() {
        // As Go's TestNewVerifier: every proper substring and every
        // single-byte increment must be rejected.
        let b = PETER_VKEY.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if i == 0 && j == b.len() {
                    continue;
                }
                if let Ok(s) = std::str::from_utf8(&b[i..j]) {
                    assert!(NoteVerifier::from_vkey(s).is_err(), "accepted {s:?}");
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] = m[i].wrapping_add(1);
            if let Ok(s) = std::str::from_utf8(&m) {
                assert!(NoteVerifier::from_vkey(s).is_err(), "accepted {s:?}");
            }
        }
        // Wrong key length and unknown algorithm, each with a matching key ID.
        assert!(
            NoteVerifier::from_vkey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
                .is_err()
        );
        assert!(NoteVerifier::from_vkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").is_err());
    }

    #[test]
    fn signer_checks_names_and_text() {
        for name in ["", "a b", "a+b", "a\tb", "a\u{a0}b", "a\u{2003}b"] {
            assert!(NoteSigner::from_seed(name, &[1; 32]).is_err(), "{name:?}");
            assert!(NoteSigner::try_generate(name).is_err(), "{name:?}");
            assert!(NoteSigner::generate(name).sign("x\n").is_err(), "{name:?}");
        }
        let s = NoteSigner::generate("example.com/log");
        assert!(s.sign("no newline").is_err());
        assert!(s.sign("").is_err());
        assert!(s.sign("tab\there\n").is_err());
        let note = s.sign("hello\n").unwrap();
        let v = NoteVerifier::from_vkey(&s.vkey()).unwrap();
        assert_eq!(v, s.verifier());
        assert_eq!(open_note(&note, &[v]).unwrap().verified, vec!["example.com/log"]);
        // A different key under the same name is ignored, so nothing verifies.
        let other = NoteSigner::generate("example.com/log").verifier();
        assert_eq!(open_note(&note, &[other]), Err(LedgerError::NoVerifiedSignature));
        assert!(!format!("{s:?}").contains(&hex::encode(s.seed())));
    }
}
