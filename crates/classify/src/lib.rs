//! Hazard knowledge for anjian: the taxonomy, the GB 6441 accident
//! categories, the major-hazard determination rules and the Chinese text
//! classifier. Pure and synchronous — no I/O beyond the data files embedded
//! at compile time, no database, no async.
//!
//! - [`taxonomy()`]: domain → class → item (`data/taxonomy.json`), each item
//!   with its accident category, default grade, deadline and guidance.
//! - [`accident_categories()`]: GB 6441-1986 (`data/gb6441.json`, versioned).
//! - [`determine_grade`]: general or major by `data/major_rules.json`
//!   (房屋市政工程 2022, 工贸企业 2023, 化工和危险化学品 2017), citing the article.
//! - [`classify`] / [`classifier()`]: description → ranked items with a
//!   confidence; below [`Classifier::threshold`] a person should classify.
//!
//! The embedded data is checked by the crate's tests, so the accessors
//! panic only if a data file was edited into an invalid state.

mod accident;
mod classifier;
mod dataset;
mod error;
mod evaluation;
mod features;
mod grade;
mod model;
mod rules;
mod taxonomy;
pub mod text;

use std::sync::OnceLock;

pub use accident::{AccidentCategories, AccidentCategory};
pub use classifier::{Classifier, ClassifierConfig};
pub use dataset::{Sample, parse_tsv};
pub use error::Error;
pub use evaluation::{CalibrationBin, Evaluation, cross_validate, evaluate};
pub use grade::Grade;
pub use rules::{Citation, Grading, MajorRules, Rule, Standard};
pub use taxonomy::{Class, Domain, Item, ItemDescription, Taxonomy};

/// The data files, embedded at compile time.
pub mod data {
    pub const TAXONOMY_JSON: &str = include_str!("../data/taxonomy.json");
    pub const GB6441_JSON: &str = include_str!("../data/gb6441.json");
    pub const MAJOR_RULES_JSON: &str = include_str!("../data/major_rules.json");
    pub const CLASSIFIER_JSON: &str = include_str!("../data/classifier.json");
    pub const TRAIN_TSV: &str = include_str!("../data/train.tsv");
    /// Evaluation only: never trained on (benchmarks and `examples/eval`).
    pub const HELDOUT_TSV: &str = include_str!("../data/heldout.tsv");
}

/// GB 6441 accident categories.
pub fn accident_categories() -> &'static AccidentCategories {
    static C: OnceLock<AccidentCategories> = OnceLock::new();
    C.get_or_init(|| AccidentCategories::from_json(data::GB6441_JSON).expect("embedded gb6441.json is valid"))
}

/// The hazard taxonomy.
pub fn taxonomy() -> &'static Taxonomy {
    static T: OnceLock<Taxonomy> = OnceLock::new();
    T.get_or_init(|| {
        Taxonomy::from_json(data::TAXONOMY_JSON, accident_categories()).expect("embedded taxonomy.json is valid")
    })
}

/// The major-hazard determination rules.
pub fn major_rules() -> &'static MajorRules {
    static R: OnceLock<MajorRules> = OnceLock::new();
    R.get_or_init(|| {
        MajorRules::from_json(data::MAJOR_RULES_JSON, taxonomy()).expect("embedded major_rules.json is valid")
    })
}

/// The item with its path and accident category resolved.
pub fn describe(item_code: &str) -> Option<ItemDescription> {
    taxonomy().describe(item_code, accident_categories())
}

/// Grades a hazard of `item_code` described by `text`: major with the
/// article cited when a determination rule matches, otherwise the item's
/// default grade. Fails only for an unknown item code.
pub fn determine_grade(item_code: &str, text: &str) -> Result<Grading, Error> {
    major_rules().determine(taxonomy(), item_code, text)
}

/// The classifier trained on the embedded training set with the embedded
/// configuration. Trained on first use (well under a second in release).
pub fn classifier() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(|| {
        let config = ClassifierConfig::from_json(data::CLASSIFIER_JSON).expect("embedded classifier.json is valid");
        let samples = parse_tsv("data/train.tsv", data::TRAIN_TSV).expect("embedded train.tsv is valid");
        Classifier::train(taxonomy(), &samples, config).expect("embedded training set is valid")
    })
}

/// The most likely taxonomy items for a description, best first, with a
/// confidence in [0, 1]. Compare the first confidence with
/// `classifier().threshold()` to decide whether a person must classify.
pub fn classify(text: &str) -> Vec<(String, f64)> {
    classifier().classify(text)
}
