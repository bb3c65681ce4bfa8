//! Labelled descriptions: `item_code<TAB>description` per line, `#` comments.

use crate::{Error, Taxonomy};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub item: String,
    pub text: String,
}

/// Parses a TSV of labelled descriptions. `file` names it in errors.
pub fn parse_tsv(file: &'static str, tsv: &str) -> Result<Vec<Sample>, Error> {
    let mut out = Vec::new();
    for (n, line) in tsv.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (item, text) = line
            .split_once('\t')
            .ok_or_else(|| Error::data(file, format!("line {}: expected item_code<TAB>description", n + 1)))?;
        if text.trim().is_empty() || text.contains('\t') {
            return Err(Error::data(file, format!("line {}: empty description or extra column", n + 1)));
        }
        out.push(Sample { item: item.trim().to_string(), text: text.trim().to_string() });
    }
    Ok(out)
}

/// Fails on the first sample whose item is not in the taxonomy.
pub fn check_items(file: &'static str, samples: &[Sample], taxonomy: &Taxonomy) -> Result<(), Error> {
    match samples.iter().find(|s| !taxonomy.contains(&s.item)) {
        Some(s) => Err(Error::invalid(file, format!("unknown item {} for \"{}\"", s.item, s.text))),
        None => Ok(()),
    }
}
