//! The few distribution functions the analyses need: the Poisson upper tail
//! (through the regularized incomplete gamma function) and the standard
//! normal quantile.

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms; relative error ~1e-15).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized lower incomplete gamma function P(a, x), a > 0.
fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let ln_prefix = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        // Series: converges quickly below the mode.
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut n = 1.0;
        while n < 1e6 {
            term *= x / (a + n);
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
            n += 1.0;
        }
        (sum.ln() + ln_prefix).exp().min(1.0)
    } else {
        // Continued fraction for Q(a, x) (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        let mut i = 1.0;
        while i < 1e6 {
            let an = -i * (i - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
            i += 1.0;
        }
        (1.0 - (ln_prefix.exp() * h)).clamp(0.0, 1.0)
    }
}

/// P(X ≥ k) for X ~ Poisson(mean). 1 for k = 0; for mean = 0 and k > 0, 0.
pub(crate) fn poisson_upper_tail(k: u64, mean: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mean <= 0.0 {
        return 0.0;
    }
    // P(X ≥ k) = P(k, mean), the regularized lower incomplete gamma.
    gamma_p(k as f64, mean)
}

/// The standard normal quantile Φ⁻¹(p) for 0 < p < 1 (Acklam's rational
/// approximation, relative error < 1.2e-9).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let low = 0.024_25;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the input order.
pub(crate) fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0).max(p[i]);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poisson_tail_by_sum(k: u64, mean: f64) -> f64 {
        let mut pmf = (-mean).exp();
        let mut below = 0.0;
        for j in 0..k {
            below += pmf;
            pmf *= mean / (j + 1) as f64;
        }
        1.0 - below
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut f = 1.0f64;
        for n in 1..30u32 {
            assert!((ln_gamma(f64::from(n)) - f.ln()).abs() < 1e-10, "Γ({n})");
            f *= f64::from(n);
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    #[test]
    fn poisson_tail_matches_direct_sum() {
        for &mean in &[0.01, 0.3, 1.0, 2.5, 7.0, 20.0, 60.0] {
            for k in 0..80u64 {
                let a = poisson_upper_tail(k, mean);
                let b = poisson_tail_by_sum(k, mean);
                assert!((a - b).abs() < 1e-9, "k={k} mean={mean}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn poisson_tail_is_tiny_far_above_the_mean_and_sane_for_large_counts() {
        assert!(poisson_upper_tail(30, 2.0) < 1e-20);
        let p = poisson_upper_tail(10_000, 10_000.0);
        assert!((0.49..0.51).contains(&p), "{p}");
        assert!(poisson_upper_tail(10_500, 10_000.0) < 1e-5);
        assert!(poisson_upper_tail(9_500, 10_000.0) > 0.9999);
    }

    #[test]
    fn normal_quantile_known_values() {
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-6);
        assert!((normal_quantile(0.9) - 1.281_551_566).abs() < 1e-6);
        assert!((normal_quantile(0.001) + 3.090_232_306).abs() < 1e-6);
    }

    #[test]
    fn benjamini_hochberg_textbook_example() {
        let p = [0.01, 0.04, 0.03, 0.005];
        let q = benjamini_hochberg(&p);
        let want = [0.02, 0.04, 0.04, 0.02];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
    }
}
