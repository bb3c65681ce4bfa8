//! Canonical JSON: the subset of RFC 8785 (JCS) that ledger records need.
//!
//! Objects are written with keys sorted by UTF-16 code units, no whitespace,
//! strings escaped as JCS (ECMAScript `JSON.stringify`) does. Numbers must be
//! integers in the IEEE-754 safe range `-(2^53 - 1) ..= 2^53 - 1`, so that every
//! JCS implementation writes them the same way; other numbers are rejected.

use serde_json::Value;

use crate::error::{LedgerError, Result};

/// Largest integer JCS (IEEE-754 doubles) represents exactly: 2^53 - 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 128;

/// Writes `v` as canonical JSON (see the module docs). Errors with
/// [`LedgerError::Json`] for non-integer numbers, integers outside
/// ±(2^53 - 1), and nesting deeper than [`MAX_DEPTH`].
pub fn canonical_json(v: &Value) -> Result<String> {
    let mut out = String::new();
    write_value(v, &mut out, 0)?;
    Ok(out)
}

fn write_value(v: &Value, out: &mut String, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(LedgerError::Json(format!("nesting deeper than {MAX_DEPTH}")));
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(item, out, depth + 1)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_number(n: &serde_json::Number, out: &mut String) -> Result<()> {
    let unsafe_int = || LedgerError::Json(format!("integer {n} is outside ±(2^53 - 1)"));
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER {
            return Err(unsafe_int());
        }
        out.push_str(&u.to_string());
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(unsafe_int());
        }
        out.push_str(&i.to_string());
    } else {
        let f = n.as_f64().ok_or_else(|| LedgerError::Json(format!("unsupported number {n}")))?;
        if f.fract() != 0.0 || !f.is_finite() {
            return Err(LedgerError::Json(format!("number {n} is not an integer")));
        }
        if f.abs() > MAX_SAFE_INTEGER as f64 {
            return Err(unsafe_int());
        }
        // Integral and within ±2^53: exact as i64; -0 is written as 0, as JCS does.
        out.push_str(&(f as i64).to_string());
    }
    Ok(())
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        let v: Value = serde_json::from_str(r#"{ "b": [1, 2, {"z": null, "a": true}], "a": "x", "": false }"#).unwrap();
        assert_eq!(canonical_json(&v).unwrap(), r#"{"":false,"a":"x","b":[1,2,{"a":true,"z":null}]}"#);
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // RFC 8785 section 3.2.3's example: UTF-16 order differs from UTF-8
        // order for U+1F600 (surrogates D83D DE00) versus U+FB33.
        let v = json!({
            "\u{20ac}": "Euro Sign",
            "\r": "Carriage Return",
            "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\u{1f600}": "Emoji: Grinning Face",
            "\u{80}": "Control",
            "\u{f6}": "Latin Small Letter O With Diaeresis"
        });
        let out = canonical_json(&v).unwrap();
        let order = ["\"\\r\"", "\"1\"", "\"\u{80}\"", "\"\u{f6}\"", "\"\u{20ac}\"", "\"\u{1f600}\"", "\"\u{fb33}\""];
        let positions: Vec<usize> = order.iter().map(|k| out.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
    }

    #[test]
    fn escapes_strings_like_jcs() {
        let v = json!("\u{0}\u{8}\t\n\u{b}\u{c}\r\u{1f}\"\\/\u{7f}\u{2028}é😀");
        assert_eq!(canonical_json(&v).unwrap(), "\"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\\\"\\\\/\u{7f}\u{2028}é😀\"");
    }

    #[test]
    fn numbers_are_safe_integers_only() {
        assert_eq!(
            canonical_json(&json!([0, -1, 9007199254740991u64, -9007199254740991i64])).unwrap(),
            "[0,-1,9007199254740991,-9007199254740991]"
        );
        assert_eq!(canonical_json(&json!(1.0)).unwrap(), "1");
        assert_eq!(canonical_json(&json!(-0.0)).unwrap(), "0");
        assert!(canonical_json(&json!(1.5)).is_err());
        assert!(canonical_json(&json!({"a": [0.1]})).is_err());
        assert!(canonical_json(&json!(9007199254740992u64)).is_err());
        assert!(canonical_json(&json!(-9007199254740992i64)).is_err());
        assert!(canonical_json(&json!(1e300)).is_err());
    }

    #[test]
    fn rejects_excessive_nesting() {
        let mut v = json!(1);
        for _ in 0..200 {
            v = json!([v]);
        }
        assert!(canonical_json(&v).is_err());
        let mut v = json!(1);
        for _ in 0..100 {
            v = json!({ "k": v });
        }
        assert!(canonical_json(&v).is_ok());
    }
}
