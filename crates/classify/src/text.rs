//! Text normalisation shared by the rule matcher and the classifier.

/// Lower-cases ASCII, folds full-width ASCII (Ａ１！) to half-width, maps
/// ideographic space and removes all whitespace, so that "３６Ｖ" and "36v"
/// or "塔吊 歪了" and "塔吊歪了" compare equal.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        let ch = match ch {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(ch as u32 - 0xFEE0).unwrap_or(ch),
            '\u{3000}' => ' ',
            _ => ch,
        };
        if ch.is_whitespace() {
            continue;
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// Letters, digits and CJK ideographs carry meaning; punctuation does not.
pub(crate) fn is_content_char(ch: char) -> bool {
    ch.is_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_spaces_are_folded() {
        assert_eq!(normalize("隧道照明 用 ２２０Ｖ　电压"), "隧道照明用220v电压");
        assert_eq!(normalize("ＳＩＳ未投用"), "sis未投用");
    }
}
