//! The platform's hazard taxonomy: domain → class → item (standards.md §5),
//! loaded from `data/taxonomy.json`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{AccidentCategories, Error, Grade};

const FILE: &str = "data/taxonomy.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    /// Stable code `DOMAIN-CC-II`, e.g. "FIRE-01-03".
    pub code: String,
    pub name: String,
    /// GB 6441 category code (see [`AccidentCategories`]).
    pub accident_category: String,
    pub default_grade: Grade,
    /// Default rectification deadline in days.
    pub deadline_days: u32,
    /// Rectification guidance (Chinese).
    pub guidance: String,
    /// Synonyms and typical words; the classifier learns from them too.
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Class {
    /// `DOMAIN-CC`, e.g. "FIRE-01".
    pub code: String,
    pub name: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Domain {
    /// e.g. "FIRE".
    pub code: String,
    pub name: String,
    pub classes: Vec<Class>,
}

/// An item with the names of its ancestors, ready to show or store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemDescription {
    pub code: String,
    pub name: String,
    /// "domain / class / item" names.
    pub path: String,
    pub domain: String,
    pub class: String,
    pub default_grade: Grade,
    pub deadline_days: u32,
    /// Accident category name, e.g. "火灾".
    pub accident_category: String,
    pub accident_category_code: String,
    /// Version of the category list, e.g. "GB 6441-1986".
    pub accident_category_version: String,
    pub guidance: String,
}

#[derive(Debug, Clone, Deserialize)]
struct TaxonomyFile {
    version: String,
    accident_category_version: String,
    domains: Vec<Domain>,
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub version: String,
    /// The accident category list the items refer to.
    pub accident_category_version: String,
    domains: Vec<Domain>,
    /// code → (domain, class, item) indices.
    index: HashMap<String, (usize, usize, usize)>,
}

impl Taxonomy {
    /// Parses and checks the taxonomy: codes unique and nested under their
    /// parents' codes, every accident category known.
    pub fn from_json(json: &str, categories: &AccidentCategories) -> Result<Taxonomy, Error> {
        let f: TaxonomyFile = serde_json::from_str(json).map_err(|e| Error::data(FILE, e))?;
        if f.accident_category_version != categories.version {
            return Err(Error::invalid(
                FILE,
                format!(
                    "items use accident categories {} but {} is loaded",
                    f.accident_category_version, categories.version
                ),
            ));
        }
        let mut index = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for (di, d) in f.domains.iter().enumerate() {
            if !seen.insert(d.code.clone()) {
                return Err(Error::invalid(FILE, format!("duplicate domain {}", d.code)));
            }
            for (ci, c) in d.classes.iter().enumerate() {
                if !c.code.starts_with(&format!("{}-", d.code)) || !seen.insert(c.code.clone()) {
                    return Err(Error::invalid(FILE, format!("class {} misplaced or duplicated", c.code)));
                }
                for (ii, it) in c.items.iter().enumerate() {
                    if !it.code.starts_with(&format!("{}-", c.code)) {
                        return Err(Error::invalid(FILE, format!("item {} is not under class {}", it.code, c.code)));
                    }
                    if categories.get(&it.accident_category).is_none() {
                        return Err(Error::invalid(
                            FILE,
                            format!("item {}: unknown accident category {}", it.code, it.accident_category),
                        ));
                    }
                    if it.deadline_days == 0 || it.name.trim().is_empty() || it.guidance.trim().is_empty() {
                        return Err(Error::invalid(
                            FILE,
                            format!("item {}: empty name/guidance or zero deadline", it.code),
                        ));
                    }
                    if index.insert(it.code.clone(), (di, ci, ii)).is_some() {
                        return Err(Error::invalid(FILE, format!("duplicate item {}", it.code)));
                    }
                }
            }
        }
        Ok(Taxonomy {
            version: f.version,
            accident_category_version: f.accident_category_version,
            domains: f.domains,
            index,
        })
    }

    pub fn domains(&self) -> &[Domain] {
        &self.domains
    }

    pub fn classes(&self) -> impl Iterator<Item = &Class> {
        self.domains.iter().flat_map(|d| d.classes.iter())
    }

    /// All items in taxonomy order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.classes().flat_map(|c| c.items.iter())
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        let &(d, c, i) = self.index.get(code)?;
        Some(&self.domains[d].classes[c].items[i])
    }

    pub fn contains(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    /// The item with its domain and class names and accident category resolved.
    pub fn describe(&self, code: &str, categories: &AccidentCategories) -> Option<ItemDescription> {
        let &(d, c, i) = self.index.get(code)?;
        let (dom, class) = (&self.domains[d], &self.domains[d].classes[c]);
        let it = &class.items[i];
        let cat = categories.get(&it.accident_category)?;
        Some(ItemDescription {
            code: it.code.clone(),
            name: it.name.clone(),
            path: format!("{} / {} / {}", dom.name, class.name, it.name),
            domain: dom.name.clone(),
            class: class.name.clone(),
            default_grade: it.default_grade,
            deadline_days: it.deadline_days,
            accident_category: cat.name.clone(),
            accident_category_code: cat.code.clone(),
            accident_category_version: categories.version.clone(),
            guidance: it.guidance.clone(),
        })
    }

    /// Codes matching a selector: an exact item code, or a prefix ending in
    /// `*` ("CONS-04-*", "HAZC-*").
    pub fn select<'a>(&'a self, selector: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.items().filter(move |it| selector_matches(selector, &it.code))
    }
}

pub(crate) fn selector_matches(selector: &str, code: &str) -> bool {
    match selector.strip_suffix('*') {
        Some(prefix) => code.starts_with(prefix),
        None => selector == code,
    }
}
