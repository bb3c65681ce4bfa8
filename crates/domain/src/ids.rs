//! Identifiers that carry checksums or structure (standards.md §8). Each type
//! can only be built through its validating constructor, so a value of the
//! type is always valid.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The characters of GB 32100-2015 in value order (no I, O, S, V, Z).
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Unified social credit code (统一社会信用代码), GB 32100-2015.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

impl Uscc {
    /// Validates length, alphabet and the check character. Lower-case input is
    /// accepted and normalised to upper case.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(FieldError::new(field, "统一社会信用代码应为18位"));
        }
        let mut values = [0u32; 18];
        for (i, b) in s.bytes().enumerate() {
            match USCC_ALPHABET.iter().position(|&c| c == b) {
                Some(v) => values[i] = v as u32,
                None => {
                    return Err(FieldError::new(field, format!("统一社会信用代码第{}位字符不合法", i + 1)));
                }
            }
        }
        let expected = uscc_check_value(&values[..17]);
        if values[17] != expected {
            return Err(FieldError::new(field, "统一社会信用代码校验位错误"));
        }
        Ok(Self(s))
    }

    /// Completes 17 valid characters with their check character. Used by the
    /// demo generator and tests.
    pub fn with_check_char(first17: &str) -> Option<Self> {
        let bytes = first17.as_bytes();
        if bytes.len() != 17 {
            return None;
        }
        let mut values = [0u32; 17];
        for (i, b) in bytes.iter().enumerate() {
            values[i] = USCC_ALPHABET.iter().position(|c| c == b)? as u32;
        }
        let check = USCC_ALPHABET[uscc_check_value(&values) as usize] as char;
        Some(Self(format!("{first17}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn uscc_check_value(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
    let c = 31 - sum % 31;
    if c == 31 { 0 } else { c }
}

impl TryFrom<String> for Uscc {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse("uscc", &s)
    }
}
impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}
impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Resident identity number (居民身份证号码), GB 11643-1999. Never printed in
/// clear by `Debug`: use [`IdNumber::masked`] for display and
/// [`IdNumber::expose`] only where the caller may see it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err(FieldError::new(field, "身份证号码应为18位"));
        }
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(FieldError::new(field, "身份证号码含有不合法字符"));
        }
        let (y, m, d) = (num(&b[6..10]), num(&b[10..12]), num(&b[12..14]));
        if !(1900..=2100).contains(&y) || !valid_date(y, m, d) {
            return Err(FieldError::new(field, "身份证号码出生日期不合法"));
        }
        if b[17] != id_check_char(&b[..17]) {
            return Err(FieldError::new(field, "身份证号码校验位错误"));
        }
        Ok(Self(s))
    }

    /// Completes 17 digits with the check character (demo data and tests).
    pub fn with_check_char(first17: &str) -> Option<Self> {
        let b = first17.as_bytes();
        if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(Self(format!("{first17}{}", id_check_char(b) as char)))
    }

    /// `1101********1234`: the first four and last four characters.
    pub fn masked(&self) -> String {
        mask_id(&self.0)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Masks any stored identity number the same way [`IdNumber::masked`] does.
pub fn mask_id(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

fn id_check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17.iter().zip(ID_WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    ID_CHECK[(sum % 11) as usize]
}

fn num(b: &[u8]) -> u32 {
    b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

fn valid_date(y: u32, m: u32, d: u32) -> bool {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// A mainland China mobile number (11 digits starting 13–19), the address an
/// SMS gateway texts. Accepts `+86`/`86` prefixes and spaces or dashes;
/// stored as the 11 digits. Personal data: `Debug` masks it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobileNumber(String);

impl MobileNumber {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let d = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits);
        let d = if d.len() == 13 { d.strip_prefix("86").unwrap_or(d) } else { d };
        let b = d.as_bytes();
        if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) {
            return Err(FieldError::new(field, "手机号码应为11位数字"));
        }
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(FieldError::new(field, "手机号码应以13至19开头"));
        }
        Ok(Self(d.to_string()))
    }

    /// `138****8000`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }

    /// The 11 digits, for the SMS gateway only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// E.164 form, `+8613800138000`.
    pub fn e164(&self) -> String {
        format!("+86{}", self.0)
    }
}

impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.masked())
    }
}

/// Level of a node in the region tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    District,
    Street,
    Community,
    Grid,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::District => "district",
            Self::Street => "street",
            Self::Community => "community",
            Self::Grid => "grid",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Province => "省",
            Self::City => "市",
            Self::District => "区县",
            Self::Street => "街道/乡镇",
            Self::Community => "社区/村",
            Self::Grid => "网格",
        }
    }
}

/// Administrative division code (GB/T 2260), extended to 9 digits for
/// streets/townships, 12 for communities/villages and 15 for grids. Regions
/// form a tree by prefix: every descendant's code starts with its ancestor's
/// [`RegionCode::prefix`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        if !matches!(s.len(), 6 | 9 | 12 | 15) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(field, "行政区划代码应为6、9、12或15位数字"));
        }
        if &s[0..2] == "00" {
            return Err(FieldError::new(field, "行政区划代码省级部分不能为00"));
        }
        if s.len() == 6 && &s[2..4] == "00" && &s[4..6] != "00" {
            return Err(FieldError::new(field, "行政区划代码层级不连续"));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        match self.0.len() {
            6 if self.0.ends_with("0000") => RegionLevel::Province,
            6 if self.0.ends_with("00") => RegionLevel::City,
            6 => RegionLevel::District,
            9 => RegionLevel::Street,
            12 => RegionLevel::Community,
            _ => RegionLevel::Grid,
        }
    }

    /// The significant prefix shared by every region in this subtree.
    pub fn prefix(&self) -> &str {
        match self.level() {
            RegionLevel::Province => &self.0[..2],
            RegionLevel::City => &self.0[..4],
            _ => &self.0,
        }
    }

    /// The parent region, or `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let s = &self.0;
        let p = match self.level() {
            RegionLevel::Province => return None,
            RegionLevel::City => format!("{}0000", &s[..2]),
            RegionLevel::District => format!("{}00", &s[..4]),
            RegionLevel::Street => s[..6].to_string(),
            RegionLevel::Community => s[..9].to_string(),
            RegionLevel::Grid => s[..12].to_string(),
        };
        Some(RegionCode(p))
    }

    /// Whether `other` is this region or lies inside it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.prefix())
    }
}

impl TryFrom<String> for RegionCode {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse("region", &s)
    }
}
impl From<RegionCode> for String {
    fn from(r: RegionCode) -> String {
        r.0
    }
}
impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uscc_known_valid_codes() {
        // Published codes of real organisations.
        for code in ["91350100M000100Y43", "911100001000044477", "91110000802100433B"] {
            assert!(Uscc::parse("uscc", code).is_ok(), "{code}");
        }
    }

    #[test]
    fn uscc_rejects_bad_check_and_letters() {
        assert_eq!(Uscc::parse("uscc", "91350100M000100Y44").unwrap_err().field, "uscc");
        assert!(Uscc::parse("uscc", "91350100M000100Y4").is_err());
        assert!(Uscc::parse("uscc", "91350100I000100Y43").is_err(), "I is not in the alphabet");
    }

    #[test]
    fn uscc_check_of_31_maps_to_zero() {
        // Search a body whose weighted sum is 0 mod 31: all zeros.
        let u = Uscc::with_check_char("00000000000000000").unwrap();
        assert_eq!(u.as_str(), "000000000000000000");
    }

    #[test]
    fn id_number_known_valid_and_masked() {
        let id = IdNumber::parse("id_number", "11010519491231002X").unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert!(!format!("{id:?}").contains("19491231"));
        assert!(IdNumber::parse("id_number", "110105194912310021").is_err());
        assert!(IdNumber::parse("id_number", "110105194902300028").is_err(), "30 Feb");
    }

    #[test]
    fn region_tree_by_prefix() {
        let city = RegionCode::parse("region", "370300").unwrap();
        let district = RegionCode::parse("region", "370302").unwrap();
        let street = RegionCode::parse("region", "370302001").unwrap();
        let grid = RegionCode::parse("region", "370302001001001").unwrap();
        assert_eq!(city.level(), RegionLevel::City);
        assert_eq!(grid.level(), RegionLevel::Grid);
        assert!(city.contains(&grid) && district.contains(&street));
        assert!(!district.contains(&RegionCode::parse("region", "370303").unwrap()));
        assert_eq!(street.parent(), Some(district.clone()));
        assert_eq!(district.parent(), Some(city.clone()));
        assert_eq!(city.parent().unwrap().as_str(), "370000");
        assert!(RegionCode::parse("region", "37030").is_err());
        assert!(RegionCode::parse("region", "370012").is_err());
    }

    #[test]
    fn mobile_numbers_normalise_and_mask() {
        for ok in ["13800138000", "+86 138 0013 8000", "8613800138000", "0086-138-0013-8000", "19912345678"] {
            let m = MobileNumber::parse("phone", ok).unwrap();
            assert_eq!(m.expose().len(), 11, "{ok}");
        }
        let m = MobileNumber::parse("phone", "+8613800138000").unwrap();
        assert_eq!(m.masked(), "138****8000");
        assert_eq!(m.e164(), "+8613800138000");
        assert_eq!(format!("{m:?}"), "MobileNumber(138****8000)");
        for bad in ["", "1380013800", "138001380001", "12800138000", "23800138000", "1380013800x", "010-12345678"] {
            let e = MobileNumber::parse("phone", bad).unwrap_err();
            assert_eq!(e.field, "phone", "{bad}");
        }
    }

    proptest! {
        #[test]
        fn uscc_completed_bodies_validate(body in "[0-9A-HJ-NP-RT-UW-Y]{17}") {
            let u = Uscc::with_check_char(&body).unwrap();
            prop_assert!(Uscc::parse("uscc", u.as_str()).is_ok());
        }

        #[test]
        fn uscc_single_substitution_is_detected(body in "[0-9A-HJ-NP-RT-UW-Y]{17}", pos in 0usize..18, delta in 1usize..31) {
            let u = Uscc::with_check_char(&body).unwrap();
            let mut b = u.as_str().as_bytes().to_vec();
            let v = USCC_ALPHABET.iter().position(|&c| c == b[pos]).unwrap();
            b[pos] = USCC_ALPHABET[(v + delta) % 31];
            prop_assert!(Uscc::parse("uscc", std::str::from_utf8(&b).unwrap()).is_err());
        }

        #[test]
        fn id_completed_bodies_validate(area in 110000u32..659999, y in 1900u32..2020, m in 1u32..=12, d in 1u32..=28, seq in 0u32..999) {
            let body = format!("{area:06}{y:04}{m:02}{d:02}{seq:03}");
            let id = IdNumber::with_check_char(&body).unwrap();
            prop_assert!(IdNumber::parse("id", id.expose()).is_ok());
            prop_assert_eq!(id.masked().len(), 18);
        }
    }
}
