//! A reproducible random sample of the library for a reviewer: the same seed draws the same
//! indicators from the same library, so a review can be re-drawn after fixes without choosing.

use crate::domain::Indicator;

/// splitmix64: small, deterministic and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `n` active indicators drawn without replacement, in draw order. The draw depends only on the
/// seed and on the set of codes (sorted first), never on file order.
pub fn review_sample(indicators: &[Indicator], n: usize, seed: u64) -> Vec<&Indicator> {
    let mut pool: Vec<&Indicator> = indicators.iter().filter(|i| i.is_active()).collect();
    pool.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    let mut rng = Rng(seed);
    let n = n.min(pool.len());
    // A partial Fisher–Yates shuffle: the first n places are the sample.
    for k in 0..n {
        let j = k + (rng.next() % (pool.len() - k) as u64) as usize;
        pool.swap(k, j);
    }
    pool.truncate(n);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library() -> Vec<Indicator> {
        crate::ingest::library::load_dir(&crate::ingest::library::default_dir())
            .unwrap()
            .indicators
    }

    #[test]
    fn a_seed_draws_the_same_distinct_indicators_whatever_the_order() {
        let mut lib = library();
        let a: Vec<String> = review_sample(&lib, 60, 7)
            .iter()
            .map(|i| i.code.to_string())
            .collect();
        lib.reverse();
        let b: Vec<String> = review_sample(&lib, 60, 7)
            .iter()
            .map(|i| i.code.to_string())
            .collect();
        assert_eq!(a, b);
        let distinct: std::collections::HashSet<_> = a.iter().collect();
        assert_eq!(distinct.len(), 60);
        let c: Vec<String> = review_sample(&lib, 60, 8)
            .iter()
            .map(|i| i.code.to_string())
            .collect();
        assert_ne!(a, c, "another seed draws another sample");
    }
}
