//! What the hazard use cases need to know about hazard types: the taxonomy,
//! the text classifier and the major-hazard determination rules. The
//! implementation lives in `anjian-classify`; this trait keeps `app`
//! independent of how it is built.

use anjian_domain::hazard::Grade;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemInfo {
    pub code: String,
    pub name: String,
    /// Path names: domain / class / item.
    pub path: String,
    #[schema(value_type = String)]
    pub default_grade: Grade,
    pub deadline_days: u32,
    /// GB 6441 accident category.
    pub accident_category: String,
    pub guidance: String,
}

/// Why a hazard is major: the determination standard and its article.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MajorBasis {
    pub standard: String,
    pub article: String,
    pub text: String,
}

pub trait HazardKnowledge: Send + Sync {
    /// Ranked (item code, confidence in 0..=1), best first.
    fn classify(&self, text: &str) -> Vec<(String, f64)>;
    /// Below this confidence a report waits for a person to classify it.
    fn threshold(&self) -> f64;
    fn item(&self, code: &str) -> Option<ItemInfo>;
    /// A determination rule that makes this report major, if any.
    fn major_basis(&self, item: &str, text: &str) -> Option<MajorBasis>;
}

/// Knows no hazard types: every report waits for manual classification and
/// manual classification is refused. Used only where no taxonomy is loaded.
pub struct NoKnowledge;

impl HazardKnowledge for NoKnowledge {
    fn classify(&self, _: &str) -> Vec<(String, f64)> {
        vec![]
    }
    fn threshold(&self) -> f64 {
        1.0
    }
    fn item(&self, _: &str) -> Option<ItemInfo> {
        None
    }
    fn major_basis(&self, _: &str, _: &str) -> Option<MajorBasis> {
        None
    }
}

/// The platform's hazard knowledge: the taxonomy, classifier and
/// determination rules of `anjian-classify`.
pub struct Taxonomy;

impl HazardKnowledge for Taxonomy {
    fn classify(&self, text: &str) -> Vec<(String, f64)> {
        anjian_classify::classify(text)
    }

    fn threshold(&self) -> f64 {
        anjian_classify::classifier().threshold()
    }

    fn item(&self, code: &str) -> Option<ItemInfo> {
        anjian_classify::describe(code).map(|d| ItemInfo {
            code: d.code,
            name: d.name,
            path: d.path,
            default_grade: match d.default_grade {
                anjian_classify::Grade::Major => Grade::Major,
                _ => Grade::General,
            },
            deadline_days: d.deadline_days,
            accident_category: d.accident_category,
            guidance: d.guidance,
        })
    }

    fn major_basis(&self, item: &str, text: &str) -> Option<MajorBasis> {
        let g = anjian_classify::determine_grade(item, text).ok()?;
        g.rule.map(|c| MajorBasis { standard: c.standard, article: c.article, text: c.text })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaxonomyNode {
    pub code: String,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub children: Vec<TaxonomyNode>,
    /// Items only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemInfo>,
}

/// The taxonomy as a tree (domain → class → item) for pickers.
pub fn taxonomy_tree() -> Vec<TaxonomyNode> {
    let k = Taxonomy;
    anjian_classify::taxonomy()
        .domains()
        .iter()
        .map(|d| TaxonomyNode {
            code: d.code.clone(),
            name: d.name.clone(),
            item: None,
            children: d
                .classes
                .iter()
                .map(|c| TaxonomyNode {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    item: None,
                    children: c
                        .items
                        .iter()
                        .map(|i| TaxonomyNode {
                            code: i.code.clone(),
                            name: i.name.clone(),
                            children: vec![],
                            item: k.item(&i.code),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}
