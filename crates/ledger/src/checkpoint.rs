//! C2SP tlog-checkpoint: the signed tree head.
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! [extension lines]
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::{LedgerError, Result};
use crate::hash::Hash;
use crate::note::{NoteSigner, NoteVerifier, OpenedNote, open_note};
use crate::tile::parse_decimal;

/// A checkpoint: the log's origin line, its size and root hash, and optional
/// extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Unique identifier of the log, e.g. `example.com/log42`; non-empty.
    pub origin: String,
    /// Number of records in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree.
    pub root: Hash,
    /// Opaque, non-empty extension lines (not recommended by the spec).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Checkpoint {
        Checkpoint { origin: origin.to_string(), size, root, extensions: Vec::new() }
    }

    /// The note text: origin, size and base64 root, then the extension lines,
    /// each followed by a newline.
    ///
    /// This does not validate the fields; [`Checkpoint::sign`] does.
    pub fn body(&self) -> String {
        let mut body = format!("{}\n{}\n{}\n", self.origin, self.size, BASE64.encode(self.root));
        for ext in &self.extensions {
            body.push_str(ext);
            body.push('\n');
        }
        body
    }

    /// Parses a checkpoint note text (the signed note's text, ending in a
    /// newline): at least three lines; a non-empty origin; a decimal size
    /// without leading zeros; a base64 root of exactly 32 bytes; non-empty
    /// extension lines; no control characters other than newlines.
    pub fn parse(body: &str) -> Result<Checkpoint> {
        let bad = |why: &str| LedgerError::MalformedCheckpoint(why.to_string());
        let Some(body) = body.strip_suffix('\n') else {
            return Err(bad("body must end with a newline"));
        };
        if body.chars().any(|c| c < ' ' && c != '\n') {
            return Err(bad("control character in checkpoint"));
        }
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or("");
        if origin.is_empty() {
            return Err(bad("empty origin line"));
        }
        let size = lines
            .next()
            .and_then(parse_decimal)
            .ok_or_else(|| bad("tree size must be a decimal number without leading zeros"))?;
        let root_b64 = lines.next().ok_or_else(|| bad("missing root hash line"))?;
        let root: Hash = BASE64
            .decode(root_b64)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("root hash must be 32 bytes in base64"))?;
        let mut extensions = Vec::new();
        for ext in lines {
            if ext.is_empty() {
                return Err(bad("empty extension line"));
            }
            extensions.push(ext.to_string());
        }
        Ok(Checkpoint { origin: origin.to_string(), size, root, extensions })
    }

    /// Signs the checkpoint and returns the signed note. Errors if the
    /// fields would not parse back (empty origin, a newline in a field, an
    /// empty extension line, control characters).
    pub fn sign(&self, signer: &NoteSigner) -> Result<String> {
        let body = self.body();
        if Checkpoint::parse(&body)? != *self {
            return Err(LedgerError::MalformedCheckpoint(
                "fields do not round-trip through the checkpoint format".into(),
            ));
        }
        signer.sign(&body)
    }
}

/// Opens a signed checkpoint note with [`open_note`] and parses its text.
pub fn open_checkpoint(note: &str, verifiers: &[NoteVerifier]) -> Result<(Checkpoint, OpenedNote)> {
    let opened = open_note(note, verifiers)?;
    let checkpoint = Checkpoint::parse(&opened.text)?;
    Ok((checkpoint, opened))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example() {
        let body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::parse(body).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20852163);
        assert_eq!(BASE64.encode(cp.root), "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
        assert!(cp.extensions.is_empty());
        assert_eq!(cp.body(), body);

        let with_ext = format!("{body}ext one\nsecond\n");
        let cp = Checkpoint::parse(&with_ext).unwrap();
        assert_eq!(cp.extensions, vec!["ext one", "second"]);
        assert_eq!(cp.body(), with_ext);
    }

    #[test]
    fn rejects_malformed_bodies() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let bad = [
            String::new(),
            format!("o\n1\n{root}"),
            format!("\n1\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n+1\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            "o\n1\n".to_string(),
            "o\n1\nAAAA\n".to_string(),
            format!("o\n1\n{}\n", &root[..root.len() - 1]),
            format!("o\n1\n{root}\n\n"),
            format!("o\n1\n{root}\next\n\nmore\n"),
            format!("o\t\n1\n{root}\n"),
        ];
        for body in bad {
            assert!(Checkpoint::parse(&body).is_err(), "accepted {body:?}");
        }
        assert_eq!(Checkpoint::parse(&format!("o\n0\n{root}\n")).unwrap().size, 0);
    }

    #[test]
    fn sign_and_open() {
        let signer = NoteSigner::generate("example.com/log");
        let cp = Checkpoint::new("example.com/log", 42, [7; 32]);
        let note = cp.sign(&signer).unwrap();
        let (back, opened) = open_checkpoint(&note, &[signer.verifier()]).unwrap();
        assert_eq!(back, cp);
        assert_eq!(opened.verified, vec!["example.com/log"]);
        let mut broken = cp.clone();
        broken.origin = "two\nlines".into();
        assert!(broken.sign(&signer).is_err());
        broken.origin = String::new();
        assert!(broken.sign(&signer).is_err());
        let mut broken = cp;
        broken.extensions.push(String::new());
        assert!(broken.sign(&signer).is_err());
    }
}
