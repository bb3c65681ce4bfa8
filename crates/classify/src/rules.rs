//! Major-hazard determination (standards.md §6): the industry standards'
//! concrete conditions, loaded from `data/major_rules.json`.
//!
//! A rule links taxonomy items in two ways:
//! - `items`: the item *is* the condition ("全压力式液化烃储罐未设注水措施"),
//!   so a hazard of that item is major whatever its text says;
//! - `text_items` + `patterns`: for these items the rule applies only when the
//!   description matches one of the patterns (a pattern is terms joined by
//!   `+`, all of which must occur in the normalised text).
//!
//! [`MajorRules::determine`] first tries every text rule in file order, then
//! every item rule: a rule whose wording the report matches is the better
//! citation. Selectors may end in `*` to cover a class or domain.

use serde::{Deserialize, Serialize};

use crate::taxonomy::selector_matches;
use crate::text::normalize;
use crate::{Error, Grade, Taxonomy};

const FILE: &str = "data/major_rules.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Standard {
    /// Short id used by the rules, e.g. "FW2022".
    pub id: String,
    /// Full title, e.g. "房屋市政工程生产安全重大事故隐患判定标准（2022版）".
    pub name: String,
    /// Issuing document number, e.g. "建质规〔2022〕2号".
    pub document: String,
    pub issuer: String,
    pub year: u16,
    /// Which units the standard is written for. The rules do not know the
    /// reporting unit's industry; a caller that does may filter on this.
    pub scope: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    /// Stable id, e.g. "FW2022-5-4".
    pub id: String,
    /// [`Standard::id`].
    pub standard: String,
    /// Article as cited, e.g. "第五条第（四）项".
    pub article: String,
    /// The article's wording.
    pub text: String,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub text_items: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
}

/// Why a hazard is major: the standard and article it meets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citation {
    pub rule_id: String,
    /// Full title of the standard.
    pub standard: String,
    /// Its document number.
    pub document: String,
    pub article: String,
    pub text: String,
}

/// The outcome of grading one hazard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grading {
    pub grade: Grade,
    /// Set exactly when a determination rule made the hazard major.
    pub rule: Option<Citation>,
}

#[derive(Debug, Clone, Deserialize)]
struct RulesFile {
    version: String,
    standards: Vec<Standard>,
    rules: Vec<Rule>,
}

/// Terms of one pattern, already normalised.
#[derive(Debug, Clone)]
struct Pattern(Vec<String>);

impl Pattern {
    fn matches(&self, text: &str) -> bool {
        self.0.iter().all(|t| text.contains(t.as_str()))
    }
}

#[derive(Debug, Clone)]
pub struct MajorRules {
    pub version: String,
    standards: Vec<Standard>,
    rules: Vec<Rule>,
    patterns: Vec<Vec<Pattern>>,
}

impl MajorRules {
    /// Parses and checks the rules against the taxonomy: ids unique, every
    /// standard known, every selector matching at least one item, patterns
    /// present exactly when there are text items.
    pub fn from_json(json: &str, taxonomy: &Taxonomy) -> Result<MajorRules, Error> {
        let f: RulesFile = serde_json::from_str(json).map_err(|e| Error::data(FILE, e))?;
        let mut ids = std::collections::HashSet::new();
        let mut patterns = Vec::with_capacity(f.rules.len());
        for r in &f.rules {
            let bad = |what: String| Error::invalid(FILE, format!("rule {}: {what}", r.id));
            if !ids.insert(r.id.as_str()) {
                return Err(bad("duplicate id".into()));
            }
            if !f.standards.iter().any(|s| s.id == r.standard) {
                return Err(bad(format!("unknown standard {}", r.standard)));
            }
            if r.items.is_empty() && r.text_items.is_empty() {
                return Err(bad("links no item".into()));
            }
            if r.text_items.is_empty() != r.patterns.is_empty() {
                return Err(bad("text_items and patterns must be given together".into()));
            }
            for sel in r.items.iter().chain(&r.text_items) {
                if taxonomy.select(sel).next().is_none() {
                    return Err(bad(format!("selector {sel} matches no taxonomy item")));
                }
            }
            let ps: Vec<Pattern> = r
                .patterns
                .iter()
                .map(|p| Pattern(p.split('+').map(normalize).filter(|t| !t.is_empty()).collect()))
                .collect();
            if ps.iter().any(|p| p.0.is_empty()) {
                return Err(bad("empty pattern".into()));
            }
            patterns.push(ps);
        }
        Ok(MajorRules { version: f.version, standards: f.standards, rules: f.rules, patterns })
    }

    pub fn standards(&self) -> &[Standard] {
        &self.standards
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn standard(&self, id: &str) -> Option<&Standard> {
        self.standards.iter().find(|s| s.id == id)
    }

    /// The first rule that makes a hazard of `item_code` described by `text`
    /// major: text rules first, then item rules.
    pub fn find(&self, item_code: &str, text: &str) -> Option<&Rule> {
        let text = normalize(text);
        let by_text = self.rules.iter().zip(&self.patterns).find(|(r, ps)| {
            r.text_items.iter().any(|s| selector_matches(s, item_code)) && ps.iter().any(|p| p.matches(&text))
        });
        by_text
            .map(|(r, _)| r)
            .or_else(|| self.rules.iter().find(|r| r.items.iter().any(|s| selector_matches(s, item_code))))
    }

    /// Grades a hazard: major with the article cited when a rule matches,
    /// otherwise the item's default grade.
    pub fn determine(&self, taxonomy: &Taxonomy, item_code: &str, text: &str) -> Result<Grading, Error> {
        let item = taxonomy.item(item_code).ok_or_else(|| Error::UnknownItem(item_code.to_string()))?;
        Ok(match self.find(item_code, text) {
            Some(r) => {
                let s = self.standard(&r.standard).expect("checked at load");
                Grading {
                    grade: Grade::Major,
                    rule: Some(Citation {
                        rule_id: r.id.clone(),
                        standard: s.name.clone(),
                        document: s.document.clone(),
                        article: r.article.clone(),
                        text: r.text.clone(),
                    }),
                }
            }
            None => Grading { grade: item.default_grade, rule: None },
        })
    }
}
