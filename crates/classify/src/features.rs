//! Turning a description into sparse features: jieba words plus character
//! bigrams (and optionally unigrams), weighted by TF-IDF and L2-normalised.
//! Character n-grams carry the model over segmentation errors, typos
//! ("灭火气") and words jieba does not know.

use std::collections::HashMap;

use jieba_rs::Jieba;

use crate::text::{is_content_char, normalize};

/// Function words that say nothing about the hazard type.
const STOPWORDS: &[&str] = &[
    "的", "了", "是", "在", "有", "和", "也", "都", "就", "还", "我", "我们", "你", "他", "她", "它", "这", "那",
    "这个", "那个", "一个", "个", "着", "把", "被", "给", "让", "很", "太", "好", "呢", "吧", "啊", "吗", "嘛", "里",
    "上", "下", "中", "后", "前", "又", "再", "才", "已", "已经", "一直", "现在", "发现", "检查", "存在",
];

/// Which n-grams to extract.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FeatureSet {
    pub words: bool,
    pub bigrams: bool,
    pub unigrams: bool,
    pub trigrams: bool,
}

pub(crate) struct Featurizer {
    jieba: Jieba,
    set: FeatureSet,
}

/// A sparse, L2-normalised feature vector: (feature id, weight), ids ascending.
pub(crate) type SparseVec = Vec<(u32, f32)>;

impl Featurizer {
    /// `domain_words` (taxonomy keywords) are added to jieba's dictionary so
    /// that terms like 连墙件 or 消火栓 stay whole.
    pub fn new<'a>(domain_words: impl IntoIterator<Item = &'a str>, set: FeatureSet) -> Featurizer {
        let mut jieba = Jieba::new();
        for w in domain_words {
            let w = normalize(w);
            if w.chars().count() >= 2 && !jieba.has_word(&w) {
                jieba.add_word(&w, None, None);
            }
        }
        Featurizer { jieba, set }
    }

    /// Feature strings of a text, with repeats (term frequency matters).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let text = normalize(text);
        let mut out = Vec::new();
        if self.set.words {
            for tok in self.jieba.cut(&text, true) {
                let w = tok.word;
                if w.chars().any(is_content_char) && !STOPWORDS.contains(&w) {
                    out.push(format!("w:{w}"));
                }
            }
        }
        let chars: Vec<char> = text.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if !is_content_char(c) {
                continue;
            }
            if self.set.unigrams {
                out.push(format!("u:{c}"));
            }
            let next = chars.get(i + 1).copied().filter(|d| is_content_char(*d));
            if let (true, Some(d)) = (self.set.bigrams, next) {
                out.push(format!("b:{c}{d}"));
            }
            let after = chars.get(i + 2).copied().filter(|e| is_content_char(*e));
            if let (true, Some(d), Some(e)) = (self.set.trigrams, next, after) {
                out.push(format!("t:{c}{d}{e}"));
            }
        }
        out
    }
}

/// Vocabulary with inverse document frequencies, fixed at training time.
pub(crate) struct Vocabulary {
    ids: HashMap<String, u32>,
    idf: Vec<f32>,
}

impl Vocabulary {
    /// Builds the vocabulary from the training documents' terms.
    pub fn fit(docs: &[Vec<String>]) -> Vocabulary {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut df: Vec<u32> = Vec::new();
        for doc in docs {
            let mut seen = std::collections::HashSet::new();
            for t in doc {
                let next = ids.len() as u32;
                let id = *ids.entry(t.clone()).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                if seen.insert(id) {
                    df[id as usize] += 1;
                }
            }
        }
        let n = docs.len() as f32;
        let idf = df.iter().map(|&d| ((n + 1.0) / (d as f32 + 1.0)).ln() + 1.0).collect();
        Vocabulary { ids, idf }
    }

    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// TF-IDF vector (sublinear tf), L2-normalised; unknown terms are dropped.
    pub fn vectorize(&self, terms: &[String]) -> SparseVec {
        let mut counts: HashMap<u32, u32> = HashMap::new();
        for t in terms {
            if let Some(&id) = self.ids.get(t) {
                *counts.entry(id).or_default() += 1;
            }
        }
        let mut v: SparseVec =
            counts.into_iter().map(|(id, tf)| (id, (1.0 + (tf as f32).ln()) * self.idf[id as usize])).collect();
        v.sort_unstable_by_key(|&(id, _)| id);
        let norm = v.iter().map(|&(_, x)| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, x) in &mut v {
                *x /= norm;
            }
        }
        v
    }
}
