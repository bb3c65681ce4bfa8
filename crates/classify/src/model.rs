//! Multinomial logistic regression (softmax) over sparse features, trained
//! by stochastic gradient descent with L2 regularisation.

use crate::features::SparseVec;

#[derive(Debug, Clone, Copy)]
pub(crate) struct TrainParams {
    pub epochs: u32,
    pub learning_rate: f32,
    /// Learning rate at epoch e is `learning_rate / (1 + decay * e)`.
    pub decay: f32,
    pub l2: f32,
    pub seed: u64,
}

pub(crate) struct Softmax {
    classes: usize,
    /// Feature-major: the weights of feature f for all classes are
    /// `w[f * classes .. (f + 1) * classes]`, so a sparse row reads contiguous memory.
    w: Vec<f32>,
    b: Vec<f32>,
}

impl Softmax {
    pub fn train(xs: &[SparseVec], ys: &[usize], features: usize, classes: usize, p: TrainParams) -> Softmax {
        let mut m = Softmax { classes, w: vec![0.0; features * classes], b: vec![0.0; classes] };
        let mut order: Vec<usize> = (0..xs.len()).collect();
        let mut rng = XorShift(p.seed.max(1));
        let mut probs = vec![0.0f32; classes];
        for epoch in 0..p.epochs {
            let lr = p.learning_rate / (1.0 + p.decay * epoch as f32);
            rng.shuffle(&mut order);
            for &i in &order {
                m.scores_into(&xs[i], &mut probs);
                softmax_in_place(&mut probs, 1.0);
                probs[ys[i]] -= 1.0; // now the gradient of the loss w.r.t. the scores
                let shrink = 1.0 - lr * p.l2;
                for &(f, x) in &xs[i] {
                    let row = &mut m.w[f as usize * classes..(f as usize + 1) * classes];
                    for (w, g) in row.iter_mut().zip(&probs) {
                        *w = *w * shrink - lr * g * x;
                    }
                }
                for (b, g) in m.b.iter_mut().zip(&probs) {
                    *b -= lr * g;
                }
            }
        }
        m
    }

    fn scores_into(&self, x: &SparseVec, out: &mut [f32]) {
        out.copy_from_slice(&self.b);
        for &(f, v) in x {
            let row = &self.w[f as usize * self.classes..(f as usize + 1) * self.classes];
            for (o, w) in out.iter_mut().zip(row) {
                *o += w * v;
            }
        }
    }

    /// Class probabilities with the scores divided by `temperature`.
    pub fn probabilities(&self, x: &SparseVec, temperature: f32) -> Vec<f32> {
        let mut p = vec![0.0; self.classes];
        self.scores_into(x, &mut p);
        softmax_in_place(&mut p, temperature);
        p
    }
}

fn softmax_in_place(v: &mut [f32], temperature: f32) {
    let max = v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = ((*x - max) / temperature).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

/// Deterministic shuffling, so the same data always gives the same model.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}
