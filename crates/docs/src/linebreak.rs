//! Line breaking for Chinese text with kinsoku (禁则) rules.
//!
//! Between two CJK characters a line may break anywhere, except that
//! closing punctuation (。，、；：？！）」』】〕 …) never starts a line and
//! opening punctuation (（「『【〔 …) never ends one: such a character is
//! kept with its neighbour, and the pair moves to the next line together
//! (推出 / push-out). Latin words and numbers (`GB18218-2018`, `3.5m`) are
//! not split; a space is a break opportunity and hangs past the margin at a
//! line's end. Only a single unit wider than the whole line is split by
//! character (it cannot fit otherwise). A `\n` is a hard break.
//!
//! The breaker is pure: it takes the width of each character and returns
//! byte ranges of `text`, which concatenate back to `text`.

use std::ops::Range;

/// Characters that must not begin a line (行首禁则).
pub fn no_line_start(c: char) -> bool {
    matches!(
        c,
        '。' | '，'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '」'
            | '』'
            | '】'
            | '〕'
            | '〗'
            | '》'
            | '〉'
            | '”'
            | '’'
            | '…'
            | '‥'
            | '·'
            | '・'
            | '％'
            | '‰'
            | '℃'
            | '．'
            | '］'
            | '｝'
            | '〟'
            | '々'
            | '〞'
            | '﹞'
            | ','
            | '.'
            | ';'
            | ':'
            | '?'
            | '!'
            | ')'
            | ']'
            | '}'
            | '%'
    )
}

/// Characters that must not end a line (行尾禁则).
pub fn no_line_end(c: char) -> bool {
    matches!(
        c,
        '（' | '「'
            | '『'
            | '【'
            | '〔'
            | '〖'
            | '《'
            | '〈'
            | '“'
            | '‘'
            | '［'
            | '｛'
            | '﹝'
            | '〝'
            | '('
            | '['
            | '{'
    )
}

/// Characters after which (and before which) a line may break freely:
/// ideographs, kana, full-width forms and CJK punctuation.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x312F | 0x31A0..=0x31FF
        | 0x3200..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF | 0x2460..=0x24FF | 0x2160..=0x217F)
        || c == '…'
        || c == '—'
        || c == '“'
        || c == '”'
        || c == '‘'
        || c == '’'
        || c == '·'
}

/// Whether a line may break before `chars[i]` (given `chars[i - 1]`).
fn may_break_before(prev: char, c: char) -> bool {
    let space = |c: char| c == ' ' || c == '\t';
    !space(c) && !no_line_start(c) && !no_line_end(prev) && (space(prev) || is_cjk(prev) || is_cjk(c))
}

/// Breaks `text` into lines no wider than `first` (the first line) and `rest`
/// (the others), given each character's width (called with its byte offset
/// and the character, once per character in order except `\n`). Returns byte ranges that
/// cover `text` exactly, in order; trailing spaces stay on their line and do
/// not count against its width, and a `\n` ends its line and belongs to it.
///
/// Greedy: each line takes as much as fits and breaks at the last allowed
/// opportunity. When a line has no opportunity at all (one word or one glued
/// run wider than the line), it breaks at the last position that at least
/// keeps the kinsoku rules, else where the line is full.
pub fn break_lines(text: &str, mut width: impl FnMut(usize, char) -> f32, first: f32, rest: f32) -> Vec<Range<usize>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    // prefix[i] = width of chars[..i]
    let mut prefix = Vec::with_capacity(chars.len() + 1);
    prefix.push(0.0f32);
    for &(i, c) in &chars {
        let w = if c == '\n' { 0.0 } else { width(i, c) };
        prefix.push(prefix.last().copied().unwrap_or(0.0) + w);
    }
    let byte = |i: usize| if i < chars.len() { chars[i].0 } else { text.len() };
    let mut lines = Vec::new();
    let mut start = 0;
    let mut last_ok: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if c == '\n' {
            lines.push(byte(start)..byte(i + 1));
            start = i + 1;
            last_ok = None;
            i += 1;
            continue;
        }
        if i > start && may_break_before(chars[i - 1].1, c) {
            last_ok = Some(i);
        }
        let limit = if lines.is_empty() { first } else { rest };
        if c != ' ' && c != '\t' && i > start && prefix[i + 1] - prefix[start] > limit + EPS {
            let at = match last_ok {
                Some(at) if at > start => at,
                _ => emergency_break(&chars, start, i),
            };
            lines.push(byte(start)..byte(at));
            start = at;
            last_ok = None;
            // Re-scan from the new line's start: opportunities after it still count.
            i = at;
            continue;
        }
        i += 1;
    }
    if start < chars.len() || lines.is_empty() {
        lines.push(byte(start)..text.len());
    }
    lines
}

/// Where to break a line `chars[start..=over]` that has no regular opportunity
/// and overflows at `over`: the last position that keeps the kinsoku rules, else `over`.
fn emergency_break(chars: &[(usize, char)], start: usize, over: usize) -> usize {
    let kinsoku_ok = |j: usize| !no_line_start(chars[j].1) && !no_line_end(chars[j - 1].1);
    (start + 1..=over).rev().find(|&j| kinsoku_ok(j)).unwrap_or(over)
}

const EPS: f32 = 1e-3;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// CJK one em, ASCII half an em, as with the bundled font's proportions.
    fn w(c: char) -> f32 {
        if is_cjk(c) { 1.0 } else { 0.5 }
    }

    fn lines(text: &str, width: f32) -> Vec<&str> {
        break_lines(text, |_, c| w(c), width, width).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn breaks_between_ideographs() {
        assert_eq!(lines("安全生产责任制", 3.0), vec!["安全生", "产责任", "制"]);
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        // "。" would start line 2: "生" moves down with it.
        assert_eq!(lines("安全生。产责", 3.0), vec!["安全", "生。产", "责"]);
        assert_eq!(lines("安全生，）产", 3.0), vec!["安全", "生，）", "产"]);
    }

    #[test]
    fn opening_punctuation_never_ends_a_line() {
        assert_eq!(lines("安全生（产）", 4.0), vec!["安全生", "（产）"]);
        assert_eq!(lines("安全（生产）", 3.0), vec!["安全", "（生", "产）"]);
        assert_eq!(lines("安全生〔2026〕", 4.0), vec!["安全生", "〔2026〕"]);
    }

    #[test]
    fn latin_words_and_numbers_are_not_split() {
        assert_eq!(lines("依据GB18218-2018", 6.0), vec!["依据", "GB18218-2018"]);
        assert_eq!(lines("高度3.5m以上", 3.0), vec!["高度", "3.5m以", "上"]);
    }

    #[test]
    fn spaces_hang_at_line_end() {
        assert_eq!(lines("ab cd ef", 2.0), vec!["ab ", "cd ", "ef"]);
    }

    #[test]
    fn overlong_word_is_split_by_character() {
        assert_eq!(lines("abcdefgh", 2.0), vec!["abcd", "efgh"]);
    }

    #[test]
    fn hard_breaks_end_lines() {
        assert_eq!(lines("安全\n生产", 10.0), vec!["安全\n", "生产"]);
        assert_eq!(lines("", 10.0), vec![""]);
    }

    #[test]
    fn first_line_indent_uses_its_own_width() {
        let t = "一二三四五六七八";
        let r: Vec<&str> = break_lines(t, |_, c| w(c), 2.0, 4.0).into_iter().map(|r| &t[r]).collect();
        assert_eq!(r, vec!["一二", "三四五六", "七八"]);
    }

    fn visible_width(s: &str) -> f32 {
        s.trim_end_matches([' ', '\n']).chars().map(w).sum()
    }

    /// Well-formed text: ideographs, short Latin words (each followed by a space), spaces, bracketed
    /// ideographs and an ideograph with one closing mark (no glued run wider than 4 em).
    fn token() -> impl Strategy<Value = String> {
        let han = prop::sample::select("安全生产检查整改期限责令单位隐患".chars().collect::<Vec<_>>());
        let close = prop::sample::select("。，、；：？！）」』】〕".chars().collect::<Vec<_>>());
        let open = prop::sample::select(vec![('（', '）'), ('「', '」'), ('〔', '〕'), ('【', '】')]);
        prop_oneof![
            4 => han.clone().prop_map(String::from),
            1 => "[a-z0-9]{1,4}".prop_map(|w| format!("{w} ")),
            1 => Just(" ".to_string()),
            1 => (open, han.clone()).prop_map(|((o, c), h)| format!("{o}{h}{c}")),
            1 => (han, close).prop_map(|(h, c)| format!("{h}{c}")),
        ]
    }

    proptest! {
        #[test]
        fn any_text_concatenates_back_and_no_line_is_too_wide(
            text in "[安全生产（）。，、；：？！〔〕「」“”a-zA-Z0-9 .,()\n]{0,120}",
            width in 1.0f32..20.0,
        ) {
            let ranges = break_lines(&text, |_, c| w(c), width, width);
            let parts: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
            prop_assert_eq!(parts.concat(), text.clone());
            for p in &parts {
                prop_assert!(visible_width(p) <= width + 1e-3, "{:?} wider than {}: {:?}", p, width, parts);
                prop_assert!(!p.trim_end_matches('\n').contains('\n'), "hard break inside {:?}", p);
            }
        }

        #[test]
        fn lines_fit_and_keep_the_kinsoku_rules(
            tokens in prop::collection::vec(token(), 0..60),
            width in 4.0f32..24.0,
        ) {
            let text = tokens.concat();
            let parts: Vec<&str> = break_lines(&text, |_, c| w(c), width, width).into_iter().map(|r| &text[r]).collect();
            prop_assert_eq!(parts.concat(), text.clone());
            for (i, p) in parts.iter().enumerate() {
                prop_assert!(visible_width(p) <= width + 1e-3, "{:?} wider than {}", p, width);
                if i > 0 {
                    let c = p.chars().next().unwrap();
                    prop_assert!(!no_line_start(c), "line {} starts with {:?}: {:?}", i, c, parts);
                }
                if i + 1 < parts.len() {
                    let c = p.trim_end().chars().last();
                    prop_assert!(!c.is_some_and(no_line_end), "line {} ends with {:?}: {:?}", i, c, parts);
                    // Latin words are never split: a line boundary never falls between two ASCII letters/digits.
                    let next = parts[i + 1].chars().next().unwrap();
                    prop_assert!(!(p.ends_with(|c: char| c.is_ascii_alphanumeric()) && next.is_ascii_alphanumeric()),
                        "word split at line {}: {:?}", i, parts);
                }
            }
        }
    }
}
