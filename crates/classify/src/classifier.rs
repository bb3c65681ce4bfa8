//! The Chinese text classifier: description → ranked taxonomy items with a
//! confidence in [0, 1].
//!
//! Model: TF-IDF over jieba words and character bigrams, multinomial logistic
//! regression trained by SGD on `data/train.tsv` plus one short document per
//! item made of its name and keywords. Probabilities are softmax outputs with
//! a temperature fitted by cross-validation on the training set (see
//! `examples/eval.rs`), so "0.8" means roughly "right four times in five".
//! Training is deterministic and takes a fraction of a second in release
//! builds, so the model is trained on first use instead of being stored.

use serde::{Deserialize, Serialize};

use crate::dataset::{Sample, check_items};
use crate::features::{FeatureSet, Featurizer, Vocabulary};
use crate::model::{Softmax, TrainParams};
use crate::{Error, Taxonomy};

const CONFIG_FILE: &str = "data/classifier.json";

/// Hyper-parameters and operating point, kept in `data/classifier.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifierConfig {
    pub words: bool,
    pub bigrams: bool,
    pub unigrams: bool,
    #[serde(default)]
    pub trigrams: bool,
    /// Also train on one document per item: its name and keywords.
    pub taxonomy_documents: bool,
    /// Also train on each keyword of an item as a document of its own.
    #[serde(default)]
    pub keyword_documents: bool,
    /// Also train on each item's rectification guidance.
    #[serde(default)]
    pub guidance_documents: bool,
    pub epochs: u32,
    pub learning_rate: f32,
    pub decay: f32,
    pub l2: f32,
    pub seed: u64,
    /// Softmax temperature (> 1 softens over-confident scores).
    pub temperature: f32,
    /// Below this top-1 confidence a report should wait for a person.
    pub threshold: f64,
    /// How many ranked items [`Classifier::classify`] returns.
    pub top_k: usize,
}

impl ClassifierConfig {
    pub fn from_json(json: &str) -> Result<ClassifierConfig, Error> {
        let c: ClassifierConfig = serde_json::from_str(json).map_err(|e| Error::data(CONFIG_FILE, e))?;
        if c.temperature.is_nan()
            || c.temperature <= 0.0
            || !(0.0..=1.0).contains(&c.threshold)
            || c.top_k == 0
            || !(c.words || c.bigrams || c.unigrams || c.trigrams)
        {
            return Err(Error::invalid(
                CONFIG_FILE,
                "temperature must be > 0, threshold in [0,1], top_k ≥ 1, some feature on",
            ));
        }
        Ok(c)
    }
}

pub struct Classifier {
    featurizer: Featurizer,
    vocabulary: Vocabulary,
    /// Item codes, index = class id.
    classes: Vec<String>,
    model: Softmax,
    config: ClassifierConfig,
}

impl Classifier {
    /// Trains on `samples` (every item must exist in `taxonomy`). Items
    /// without samples are still learnable from their name and keywords when
    /// `taxonomy_documents` is on.
    pub fn train(taxonomy: &Taxonomy, samples: &[Sample], config: ClassifierConfig) -> Result<Classifier, Error> {
        check_items("training samples", samples, taxonomy)?;
        let classes: Vec<String> = taxonomy.items().map(|i| i.code.clone()).collect();
        let class_of = |code: &str| classes.iter().position(|c| c == code).expect("checked above");
        let keywords = taxonomy.items().flat_map(|i| i.keywords.iter().map(String::as_str));
        let featurizer = Featurizer::new(
            keywords,
            FeatureSet {
                words: config.words,
                bigrams: config.bigrams,
                unigrams: config.unigrams,
                trigrams: config.trigrams,
            },
        );

        let mut docs: Vec<Vec<String>> = Vec::new();
        let mut ys: Vec<usize> = Vec::new();
        for s in samples {
            docs.push(featurizer.terms(&s.text));
            ys.push(class_of(&s.item));
        }
        if config.taxonomy_documents {
            for (y, item) in taxonomy.items().enumerate() {
                docs.push(featurizer.terms(&format!("{} {}", item.name, item.keywords.join(" "))));
                ys.push(y);
            }
        }
        for (y, item) in taxonomy.items().enumerate() {
            if config.keyword_documents {
                for k in &item.keywords {
                    docs.push(featurizer.terms(k));
                    ys.push(y);
                }
            }
            if config.guidance_documents {
                docs.push(featurizer.terms(&item.guidance));
                ys.push(y);
            }
        }
        let vocabulary = Vocabulary::fit(&docs);
        let xs: Vec<_> = docs.iter().map(|d| vocabulary.vectorize(d)).collect();
        let params = TrainParams {
            epochs: config.epochs,
            learning_rate: config.learning_rate,
            decay: config.decay,
            l2: config.l2,
            seed: config.seed,
        };
        let model = Softmax::train(&xs, &ys, vocabulary.len(), classes.len(), params);
        Ok(Classifier { featurizer, vocabulary, classes, model, config })
    }

    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    /// Below this top-1 confidence the caller should queue the report for a
    /// person to classify.
    pub fn threshold(&self) -> f64 {
        self.config.threshold
    }

    /// The same classifier with another threshold.
    pub fn with_threshold(mut self, threshold: f64) -> Classifier {
        self.config.threshold = threshold.clamp(0.0, 1.0);
        self
    }

    /// The features a description is classified by (jieba words and
    /// character n-grams): the first half of `rank`, exposed so benchmarks
    /// can tell segmentation time from model time.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.featurizer.terms(text)
    }

    fn vectorize(&self, text: &str) -> crate::features::SparseVec {
        self.vocabulary.vectorize(&self.featurizer.terms(text))
    }

    /// Every item with its probability, best first. Probabilities sum to 1.
    pub fn rank(&self, text: &str) -> Vec<(String, f64)> {
        let x = self.vectorize(text);
        let p = self.model.probabilities(&x, self.config.temperature);
        let mut ranked: Vec<(String, f64)> = self.classes.iter().cloned().zip(p.into_iter().map(f64::from)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked
    }

    /// The `k` most likely items with their confidence, best first (the
    /// same order as `rank`, without ranking and copying every item).
    pub fn top(&self, text: &str, k: usize) -> Vec<(String, f64)> {
        let x = self.vectorize(text);
        let p = self.model.probabilities(&x, self.config.temperature);
        let better =
            |a: &usize, b: &usize| p[*b].total_cmp(&p[*a]).then_with(|| self.classes[*a].cmp(&self.classes[*b]));
        let mut idx: Vec<usize> = (0..p.len()).collect();
        if k < idx.len() {
            idx.select_nth_unstable_by(k, better);
            idx.truncate(k);
        }
        idx.sort_by(better);
        idx.into_iter().map(|i| (self.classes[i].clone(), f64::from(p[i]))).collect()
    }

    /// The configured `top_k` most likely items, best first.
    pub fn classify(&self, text: &str) -> Vec<(String, f64)> {
        self.top(text, self.config.top_k)
    }

    /// Whether a ranking is too unsure to act on without a person.
    pub fn needs_review(&self, ranked: &[(String, f64)]) -> bool {
        ranked.first().is_none_or(|(_, c)| *c < self.config.threshold)
    }
}
