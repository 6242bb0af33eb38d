//! A reproducible random sample of the library for a reviewer: the same seed draws the same
//! indicators, so a review can be re-drawn after fixes without choosing.

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

/// `n` active indicators drawn without replacement, in draw order. Each code's place in the draw
/// depends only on the seed and the code itself, so adding or retiring other indicators (or
/// reordering files) never changes which of the remaining ones a seed draws.
pub fn review_sample(indicators: &[Indicator], n: usize, seed: u64) -> Vec<&Indicator> {
    let mut pool: Vec<(u64, &Indicator)> = indicators
        .iter()
        .filter(|i| i.is_active())
        .map(|i| (draw(seed, i.code.as_str()), i))
        .collect();
    pool.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.code.as_str().cmp(b.1.code.as_str()))
    });
    pool.into_iter().take(n).map(|(_, i)| i).collect()
}

/// The code's lot: FNV-1a of the code, mixed with the seed by splitmix64.
fn draw(seed: u64, code: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in code.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    Rng(seed ^ h).next()
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
        // Retiring an indicator outside the sample leaves the sample as it was.
        let outside = lib
            .iter()
            .position(|i| !a.contains(&i.code.to_string()))
            .unwrap();
        lib.remove(outside);
        let d: Vec<String> = review_sample(&lib, 60, 7)
            .iter()
            .map(|i| i.code.to_string())
            .collect();
        assert_eq!(a, d);
    }
}
