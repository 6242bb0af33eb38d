//! Linking imported indicator rows to library indicators. Names are compared as `wording::Key`s
//! (notes, years, filler, synonyms and stop words folded), most certain way first:
//!
//! 1. the code written in the row (`Code`, confidence 1), unless the row contradicts it — a
//!    unit of another kind or a name unlike all of the indicator's (`CODE_NAME`): a code from
//!    an earlier edition may stand for another measure now;
//! 2. the same key as an indicator's name (`Exact` / `Name`) or alias (`Alias`);
//! 3. the same characters in another order, or the same sounds (a same-sound typo, 补/捕, also
//!    through a character's other readings), or both (`Reworded`);
//! 4. similarity (`Similar`): the indicators sharing sound bigrams (in either order) with the
//!    row are scored by the sounds they share, weighted by how rare each is in the library, by
//!    word order and by exact characters; the confidence is that score less what the runner-up
//!    leaves as margin.
//!
//! Every way then weighs the row's evidence: level 1 and 2, the unit (the same quantity through
//! `units`, another unit of the same kind, or another kind), and the project's type. A name
//! that several indicators share and that all fit the row (a shared alias such as 系统正常运行率)
//! never links automatically: the best is proposed for review; nor does an alias of an indicator
//! that does not fit the project's type (it may be a plain wording of one that does). Nor does a
//! reworded name with a close runner-up, or the name of another type's indicator when one that
//! fits is nearly as alike. Confidence ≥ `CERTAIN` links automatically (≥ 99% precision on reworded evaluation
//! files, see docs/PERFORMANCE.md); from `REVIEW` — or from a `NEAR` similarity, however close
//! the runner-up — it waits for a curator, as does a row whose name alone is `NAME_NEAR` one of
//! the library's (its level 1 or unit may be an earlier edition's); below, the row is left
//! unmatched and feeds the new-indicator candidates.

use super::units::{self, Agreement, UnitReading};
use super::wording::{Key, Wording, readings};
use crate::domain::{
    Catalog, EvaluatedProject, EvaluationRow, Indicator, Match, MatchMethod, ProjectType,
};
use crate::search::{SearchIndex, Vocabulary};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::Arc;

/// Below this confidence a row is left unmatched (a candidate for a new indicator).
pub const REVIEW: f64 = 0.5;

/// At most this many library names are scored for one row.
const POOL: usize = 48;

/// Other readings of a name's characters indexed, at most (each a sound sequence).
const MAX_READINGS: usize = 12;

/// The confidence of a name shared by several indicators that all fit the row: review.
const SHARED: f64 = 0.7;

/// A similarity (evidence weighed in) at which an indicator is a near match: the row goes to
/// review rather than to the new-indicator candidates, however close a runner-up is.
const NEAR: f64 = 0.55;

/// How alike a row's name must be to one of the names of the indicator whose code it carries
/// for the code to count (a heavily reworded name stays well above; another measure filed
/// under a reused code, 绿化覆盖率 under 养护绿地面积保有率's, well below).
const CODE_NAME: f64 = 0.5;

/// How alike by name alone an indicator must be for a row to be a near match whatever its
/// evidence says (filed under the level 1 of an earlier edition, a unit that changed kind):
/// such a row goes to review, never to the new-indicator candidates.
const NAME_NEAR: f64 = 0.75;

/// How alike an indicator that fits the row must be to put in doubt a name of another type's
/// indicator, or of one filed under another level 2.
const ALTERNATIVE: f64 = 0.75;

/// One name or alias of an indicator.
struct Entry {
    ind: usize,
    alias: bool,
    key: Key,
}

/// What a row says for or against one indicator besides its name.
#[derive(Debug, Clone, Copy)]
struct Evidence {
    level1: bool,
    level2: bool,
    unit: Agreement,
    /// The indicator fits the project's type (written for it or common to its nature).
    fits: bool,
    /// Written for the type itself, not only common to its spending nature.
    written_for: bool,
}

impl Evidence {
    /// What the evidence adds to (or takes from) a name's confidence.
    fn adjustment(&self, has_type: bool) -> f64 {
        let mut a = 0.0;
        if !self.level1 {
            a -= 0.3;
        }
        a += if self.level2 { 0.02 } else { -0.05 };
        a += match self.unit {
            Agreement::Same => 0.02,
            Agreement::Convertible => 0.01,
            Agreement::Unknown => 0.0,
            Agreement::Partial => -0.05,
            Agreement::Related => -0.2,
            Agreement::Different => -0.3,
        };
        if has_type {
            a += if self.written_for {
                0.02
            } else if self.fits {
                0.01
            } else {
                -0.1
            };
        }
        a
    }

    /// Order among indicators sharing a key: the one agreeing most.
    fn rank(&self) -> u8 {
        (self.level1 as u8) * 32
            + (self.unit != Agreement::Different) as u8 * 16
            + (self.fits as u8) * 8
            + (self.level2 as u8) * 4
            + (self.written_for as u8) * 2
            + (self.unit == Agreement::Same) as u8
    }
}

/// The library as the matcher sees it: active indicators and the keys of their names and
/// aliases, looked up by key, by bag of characters, by sounds, by bag of sounds and by sound
/// bigram.
pub struct Matcher {
    catalog: Arc<Catalog>,
    wording: Arc<Wording>,
    inds: Vec<Indicator>,
    /// Each indicator's unit, read once.
    units: Vec<UnitReading>,
    by_code: HashMap<String, usize>,
    entries: Vec<Entry>,
    /// Indicator → its entries.
    of_ind: Vec<Vec<usize>>,
    exact: HashMap<String, Vec<usize>>,
    char_bags: HashMap<String, Vec<usize>>,
    sounds: HashMap<Vec<u64>, Vec<usize>>,
    sound_bags: HashMap<Vec<u64>, Vec<usize>>,
    grams: HashMap<(u64, u64), Vec<usize>>,
    /// Sound → entries with it, to find names sharing no bigram with a row.
    singles: HashMap<u64, Vec<usize>>,
    /// Character → entries with it, likewise.
    chars: HashMap<char, Vec<usize>>,
    /// How rare each sound is among indicators: ln(1 + N / indicators with it).
    weights: FxHashMap<u64, f32>,
    /// The weight of a sound no indicator has.
    unseen: f32,
}

/// What a row looks like to the matcher.
struct Row<'r> {
    row: &'r EvaluationRow,
    project_type: Option<&'r ProjectType>,
    unit: UnitReading,
}

impl Matcher {
    pub fn new(search: &SearchIndex, indicators: Vec<Indicator>) -> Matcher {
        Self::with(search.catalog(), search.vocabulary(), indicators)
    }

    pub fn with(catalog: Arc<Catalog>, vocab: &Vocabulary, indicators: Vec<Indicator>) -> Matcher {
        let wording = Wording::shared(vocab);
        let inds: Vec<Indicator> = indicators.into_iter().filter(|i| i.is_active()).collect();
        let mut entries = Vec::new();
        for (n, i) in inds.iter().enumerate() {
            let mut seen: Vec<String> = Vec::new();
            for (alias, name) in
                std::iter::once((false, &i.name)).chain(i.aliases.iter().map(|a| (true, a)))
            {
                for key in wording.keys(name) {
                    if key.is_empty() || seen.contains(&key.text) {
                        continue;
                    }
                    seen.push(key.text.clone());
                    entries.push(Entry { ind: n, alias, key });
                }
            }
        }
        let mut m = Matcher {
            catalog,
            wording,
            units: inds.iter().map(|i| units::table().read(&i.unit)).collect(),
            by_code: inds
                .iter()
                .enumerate()
                .map(|(n, i)| (i.code.to_string(), n))
                .collect(),
            of_ind: {
                let mut v = vec![Vec::new(); inds.len()];
                for (e, entry) in entries.iter().enumerate() {
                    v[entry.ind].push(e);
                }
                v
            },
            inds,
            entries,
            exact: HashMap::new(),
            char_bags: HashMap::new(),
            sounds: HashMap::new(),
            sound_bags: HashMap::new(),
            grams: HashMap::new(),
            singles: HashMap::new(),
            chars: HashMap::new(),
            weights: FxHashMap::default(),
            unseen: 0.0,
        };
        let mut df: HashMap<u64, Vec<usize>> = HashMap::new();
        for (e, entry) in m.entries.iter().enumerate() {
            let k = &entry.key;
            m.exact.entry(k.text.clone()).or_default().push(e);
            m.char_bags.entry(k.char_bag()).or_default().push(e);
            m.sounds.entry(k.sounds.clone()).or_default().push(e);
            m.sound_bags
                .entry(k.sound_bag().to_vec())
                .or_default()
                .push(e);
            // A typo may take another reading of a character (得 for 地, read de); not with
            // another order as well (雇 is also read hu: 雇主 would be 住户).
            let mut variants = 0;
            for (at, &c) in k.chars.iter().enumerate() {
                for other in readings(c).into_iter().skip(1) {
                    if variants == MAX_READINGS {
                        break;
                    }
                    variants += 1;
                    let mut sounds = k.sounds.clone();
                    sounds[at] = other;
                    m.sounds.entry(sounds).or_default().push(e);
                }
            }
            for c in &k.chars {
                let v = m.chars.entry(*c).or_default();
                if v.last() != Some(&e) {
                    v.push(e);
                }
            }
            for g in unordered_grams(k) {
                m.grams.entry(g).or_default().push(e);
            }
            let mut sounds = k.sound_bag().to_vec();
            sounds.dedup();
            for s in sounds {
                m.singles.entry(s).or_default().push(e);
            }
            for s in &k.sounds {
                let v = df.entry(*s).or_default();
                if v.last() != Some(&entry.ind) {
                    v.push(entry.ind);
                }
            }
        }
        let n = m.inds.len().max(1) as f32;
        m.weights = df
            .into_iter()
            .map(|(s, inds)| (s, (1.0 + n / inds.len() as f32).ln()))
            .collect();
        m.unseen = (1.0 + n).ln();
        m
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.by_code.get(code).map(|&n| &self.inds[n])
    }

    /// The wording the keys were made with (the clustering reads names the same way).
    pub fn wording(&self) -> &Wording {
        &self.wording
    }

    fn evidence(&self, n: usize, r: &Row) -> Evidence {
        let (i, row) = (&self.inds[n], r.row);
        Evidence {
            level1: same_level1(i, row),
            level2: i.level2 == row.level2,
            unit: r.unit.agreement(&self.units[n]),
            fits: r.project_type.is_some_and(|t| i.fits(t)),
            written_for: r
                .project_type
                .is_some_and(|t| i.project_types.contains(&t.code)),
        }
    }

    /// Matches every row of `projects`. A file repeats the same few hundred names across its
    /// projects, so each distinct row (as far as matching reads it) is matched once.
    pub fn match_projects(&self, projects: &mut [EvaluatedProject]) {
        // What matching reads of a row: name, code, unit, level 1, level 2 and project type.
        type Seen<'a> = (
            &'a str,
            Option<&'a str>,
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
        );
        let mut memo: HashMap<Seen<'_>, Option<Match>> = HashMap::new();
        let mut found = Vec::with_capacity(projects.iter().map(|p| p.rows.len()).sum());
        for p in projects.iter() {
            let t = p.project_type.as_deref();
            for r in &p.rows {
                let seen = (
                    r.name.as_str(),
                    r.code.as_deref(),
                    r.unit.as_str(),
                    r.level1.as_str(),
                    r.level2.as_str(),
                    t,
                );
                let m = memo.entry(seen).or_insert_with(|| self.match_row(r, t));
                found.push(m.clone());
            }
        }
        let mut found = found.into_iter();
        for r in projects.iter_mut().flat_map(|p| p.rows.iter_mut()) {
            r.matched = found.next().flatten();
        }
    }

    /// The library indicator for one row, or `None` when nothing is similar enough.
    pub fn match_row(&self, row: &EvaluationRow, project_type: Option<&str>) -> Option<Match> {
        let keys = self.wording.keys(&row.name);
        let r = Row {
            row,
            project_type: project_type.and_then(|t| self.catalog.project_type(t)),
            unit: units::table().read(&row.unit),
        };
        // A code is taken at its word unless the row contradicts it: a code from an earlier
        // edition may now stand for another measure (a count that became a rate, 绿化覆盖率
        // whose code now means 绿地保有率). Such a row is read by its name like any other.
        if let Some(code) = &row.code
            && let Some(&n) = self.by_code.get(code)
            && (keys[0].is_empty() || self.agrees(n, &keys, &r))
        {
            return Some(Match {
                code: code.clone(),
                method: MatchMethod::Code,
                confidence: 1.0,
                confirmed_by: None,
            });
        }
        if keys[0].is_empty() {
            return None;
        }
        let found = self.by_key(&keys, &r);
        let Some(m) = found else {
            return self.similar(&keys, &r);
        };
        let best = self.by_code[&m.code];
        let ranked = std::cell::OnceCell::new();
        let ranked = || ranked.get_or_init(|| self.ranked(&keys, &r));
        let fits = |k: usize| r.project_type.is_none_or(|t| self.inds[k].fits(t));
        // Words reordered or misspelt into a name, while another indicator the row could be is
        // about as alike: a question for a curator.
        if m.method == MatchMethod::Reworded && m.is_certain() {
            let own = ranked().iter().find(|x| x.0 == best).map_or(0.0, |x| x.1);
            if ranked()
                .iter()
                .any(|&(k, score)| k != best && score >= own - CLEAR / 2.0 && fits(k))
            {
                return Some(Match {
                    confidence: m.confidence.min(SHARED),
                    ..m
                });
            }
        }
        // A name of another type's indicator, or one filed under another level 2, while an
        // indicator that fits the row is nearly as alike (意见采纳率 in a purchased-service
        // project): a question for a curator.
        let e = self.evidence(best, &r);
        if m.is_certain()
            && (!e.level2 || (r.project_type.is_some() && !e.fits))
            && ranked()
                .iter()
                .any(|&(k, score)| k != best && fits(k) && score >= ALTERNATIVE)
        {
            return Some(Match {
                confidence: m.confidence.min(SHARED),
                ..m
            });
        }
        Some(m)
    }

    /// A match by the whole key: the same key, then the same characters in another order, the
    /// same sounds, or both — each a little less sure than the one before.
    fn by_key(&self, keys: &[Key], r: &Row) -> Option<Match> {
        if let Some(es) = self.exact.get(&keys[0].text) {
            return Some(self.pick(es, 0.0, r));
        }
        for key in keys {
            let reworded = [
                self.char_bags.get(&key.char_bag()),
                self.sounds.get(&key.sounds),
                self.sound_bags.get(key.sound_bag()),
            ];
            for (n, es) in reworded.into_iter().enumerate() {
                if let Some(es) = es {
                    return Some(self.pick(es, 0.05 + 0.01 * n as f64, r));
                }
            }
        }
        None
    }

    /// The best of the indicators whose names share the row's key (up to `discount` less sure
    /// than the same name). Several that all fit the row make it a question for a curator.
    fn pick(&self, entries: &[usize], discount: f64, r: &Row) -> Match {
        let mut found: Vec<(usize, bool)> = Vec::new();
        for &e in entries {
            let Entry { ind, alias, .. } = self.entries[e];
            match found.iter_mut().find(|(i, _)| *i == ind) {
                Some(f) => f.1 &= alias,
                None => found.push((ind, alias)),
            }
        }
        let ev: Vec<Evidence> = found.iter().map(|(i, _)| self.evidence(*i, r)).collect();
        let best = (0..found.len())
            .max_by(|&a, &b| {
                ev[a]
                    .rank()
                    .cmp(&ev[b].rank())
                    .then(found[b].1.cmp(&found[a].1))
                    .then(self.inds[found[b].0].code.cmp(&self.inds[found[a].0].code))
            })
            .expect("a key has at least one entry");
        let (ind, alias) = found[best];
        let e = ev[best];
        let has_type = r.project_type.is_some();
        // Indicators the row could as well be: same level 1, fitting the type when it has one.
        let rivals = (0..found.len())
            .filter(|&k| {
                k != best
                    && ev[k].level1
                    && ev[k].unit != Agreement::Different
                    && (!has_type || ev[k].fits || !e.fits)
            })
            .count();
        let base = if alias { 0.97 } else { 1.0 } - discount;
        let mut confidence = (base + e.adjustment(has_type)).min(1.0);
        // An alias of another type's indicator may be a plain wording of one of the row's own
        // (长效管护机制, an alias of a water-body indicator, in a sewage project): a question for
        // a curator. A full name is specific enough to stand.
        if rivals > 0 || (alias && has_type && !e.fits) {
            confidence = confidence.min(SHARED);
        }
        let method = if discount > 0.0 {
            MatchMethod::Reworded
        } else if alias {
            MatchMethod::Alias
        } else if e.level2
            && matches!(
                e.unit,
                Agreement::Same | Agreement::Unknown | Agreement::Related
            )
        {
            MatchMethod::Exact
        } else {
            MatchMethod::Name
        };
        Match {
            code: self.inds[ind].code.to_string(),
            method,
            confidence: round2(confidence.max(0.0)),
            confirmed_by: None,
        }
    }

    /// Whether a row is plausibly the indicator its code names: a unit of the same kind and a
    /// name alike enough to be a wording of one of the indicator's names.
    fn agrees(&self, n: usize, keys: &[Key], r: &Row) -> bool {
        if self.evidence(n, r).unit == Agreement::Different {
            return false;
        }
        let best = keys
            .iter()
            .flat_map(|k| {
                self.of_ind[n]
                    .iter()
                    .map(move |&e| similarity(k, &self.entries[e].key, &|s| self.weight(s)))
            })
            .fold(0.0f32, f32::max);
        best as f64 >= CODE_NAME
    }

    /// How much sharing something `postings` names have says: ln(1 + names ÷ postings).
    fn rarity(&self, postings: usize) -> f32 {
        (1.0 + self.entries.len() as f32 / postings.max(1) as f32).ln()
    }

    fn weight(&self, s: u64) -> f32 {
        self.weights.get(&s).copied().unwrap_or(self.unseen)
    }

    /// Indicators by similarity to the row's keys with its evidence weighed in, best first.
    fn ranked(&self, keys: &[Key], r: &Row) -> Vec<(usize, f64)> {
        self.rank(&self.by_name(keys), r)
    }

    /// The best similarity of each indicator worth scoring, by name alone.
    fn by_name(&self, keys: &[Key]) -> FxHashMap<usize, f64> {
        let mut scored: FxHashMap<usize, f64> = FxHashMap::default();
        for key in keys {
            for e in self.pool(key) {
                let entry = &self.entries[e];
                let sim = similarity(key, &entry.key, &|s| self.weight(s)) as f64;
                let s = scored.entry(entry.ind).or_insert(f64::MIN);
                *s = s.max(sim);
            }
        }
        scored
    }

    /// Similarities by name with the row's evidence weighed in, best first.
    fn rank(&self, scored: &FxHashMap<usize, f64>, r: &Row) -> Vec<(usize, f64)> {
        let has_type = r.project_type.is_some();
        let mut ranked: Vec<(usize, f64)> = scored
            .iter()
            .map(|(&n, &sim)| (n, sim + self.evidence(n, r).adjustment(has_type)))
            .collect();
        ranked.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(self.inds[a.0].code.cmp(&self.inds[b.0].code))
        });
        ranked
    }

    /// The names worth scoring for a key: those sharing the most of its sound bigrams (in
    /// either order), each bigram weighted by how few names have it — a rare one shared (入库,
    /// 3 names) says more than a common one (100 names), and a count alone would leave the
    /// choice among many names sharing one bigram to their place in the library — and, when
    /// few share any (a typo in a short name), those sharing its rarest sounds.
    fn pool(&self, key: &Key) -> Vec<usize> {
        let grams = unordered_grams(key);
        let mut shared: FxHashMap<usize, f32> = FxHashMap::default();
        for g in &grams {
            let posting = self.grams.get(g).map_or(&[][..], |v| &v[..]);
            let w = self.rarity(posting.len());
            for &e in posting {
                *shared.entry(e).or_default() += w;
            }
        }
        if shared.len() < POOL / 4 {
            // The rarest sounds and characters of the key, by how many names have them.
            let mut rare: Vec<&[usize]> = Vec::new();
            let mut sounds = key.sound_bag().to_vec();
            sounds.dedup();
            rare.extend(
                sounds
                    .iter()
                    .filter_map(|s| self.singles.get(s))
                    .map(|v| &v[..]),
            );
            rare.extend(
                key.chars
                    .iter()
                    .filter_map(|c| self.chars.get(c))
                    .map(|v| &v[..]),
            );
            rare.sort_by_key(|v| v.len());
            for posting in rare.into_iter().take(3).filter(|v| v.len() <= 4 * POOL) {
                let w = self.rarity(posting.len());
                for &e in posting {
                    *shared.entry(e).or_default() += w;
                }
            }
        }
        // A short key has few bigrams and rare sounds to find names by: it is compared with
        // every name (a few thousand comparisons, for rare rows).
        if shared.len() < POOL / 4 && key.chars.len() <= 4 {
            return (0..self.entries.len()).collect();
        }
        most_shared(shared)
    }

    /// The `n` indicators most similar to a row (code, score with the evidence weighed in),
    /// best first: the alternatives a curator may choose from.
    pub fn nearest(
        &self,
        row: &EvaluationRow,
        project_type: Option<&str>,
        n: usize,
    ) -> Vec<(String, f64)> {
        let keys = self.wording.keys(&row.name);
        let r = Row {
            row,
            project_type: project_type.and_then(|t| self.catalog.project_type(t)),
            unit: units::table().read(&row.unit),
        };
        self.ranked(&keys, &r)
            .into_iter()
            .take(n)
            .map(|(i, s)| (self.inds[i].code.to_string(), round2(s)))
            .collect()
    }

    /// The indicator whose name is most like the row's by name alone, compared more widely
    /// than `match_row` does: every name sharing the row's rarer sounds, not only its bigrams.
    pub fn closest_by_name(&self, row: &EvaluationRow) -> Option<(String, f64)> {
        let keys = self.wording.keys(&row.name);
        let mut best: Option<(usize, f64)> = None;
        for key in keys.iter().filter(|k| !k.is_empty()) {
            let mut pool = self.pool(key);
            pool.extend(self.sound_pool(key));
            for e in pool {
                let entry = &self.entries[e];
                let sim = similarity(key, &entry.key, &|s| self.weight(s)) as f64;
                let better = best.is_none_or(|(n, b)| {
                    sim > b || (sim == b && self.inds[entry.ind].code < self.inds[n].code)
                });
                if better {
                    best = Some((entry.ind, sim));
                }
            }
        }
        best.map(|(n, s)| (self.inds[n].code.to_string(), s))
    }

    /// The names sharing the most of a key's sounds, each weighted by how few names have it.
    fn sound_pool(&self, key: &Key) -> Vec<usize> {
        let mut sounds = key.sound_bag().to_vec();
        sounds.dedup();
        let mut shared: FxHashMap<usize, f32> = FxHashMap::default();
        for s in sounds {
            let posting = self.singles.get(&s).map_or(&[][..], |v| &v[..]);
            let w = self.rarity(posting.len());
            for &e in posting {
                *shared.entry(e).or_default() += w;
            }
        }
        most_shared(shared)
    }

    /// The best indicator by similarity, its confidence reduced when a runner-up comes close.
    fn similar(&self, keys: &[Key], r: &Row) -> Option<Match> {
        let by_name = self.by_name(keys);
        let ranked = self.rank(&by_name, r);
        let &(mut best, score) = ranked.first()?;
        let runner_up = ranked.get(1).map_or(0.0, |r| r.1);
        let mut confidence = calibrate(score, score - runner_up).min(1.0);
        if confidence < REVIEW {
            if score < NEAR {
                // The evidence may only be out of date; a name this alike is still a question
                // for a curator.
                let (n, sim) = by_name.iter().map(|(&n, &s)| (n, s)).max_by(|a, b| {
                    a.1.total_cmp(&b.1)
                        .then(self.inds[b.0].code.cmp(&self.inds[a.0].code))
                })?;
                if sim < NAME_NEAR {
                    return None;
                }
                best = n;
            }
            confidence = REVIEW;
        }
        Some(Match {
            code: self.inds[best].code.to_string(),
            method: MatchMethod::Similar,
            confidence: round2(confidence),
            confirmed_by: None,
        })
    }
}

/// A similarity score and its margin over the runner-up as a confidence: a near tie is a
/// question for a curator, however similar both are.
fn calibrate(score: f64, margin: f64) -> f64 {
    score - (CLEAR - margin).max(0.0) * 1.5
}

/// The `POOL` names that share most with a key, by weight (ties by place in the library).
fn most_shared(shared: FxHashMap<usize, f32>) -> Vec<usize> {
    let mut pool: Vec<(usize, f32)> = shared.into_iter().collect();
    pool.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    pool.truncate(POOL);
    pool.into_iter().map(|(e, _)| e).collect()
}

/// The margin over the runner-up from which a similarity counts in full.
const CLEAR: f64 = 0.15;

/// A key's sound bigrams without their order, deduplicated: two characters swapped (讯参 for
/// 参训) keep the bigram between them, so the names are still found by it.
pub fn unordered_grams(key: &Key) -> Vec<(u64, u64)> {
    let mut grams: Vec<(u64, u64)> = key
        .sound_grams()
        .iter()
        .map(|&(a, b)| (a.min(b), a.max(b)))
        .collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Level 1 as the row's framework may put it: cost as its own level 1 (2021 central
/// framework) is cost under output elsewhere.
fn same_level1(i: &Indicator, row: &EvaluationRow) -> bool {
    i.level1 == row.level1
        || (i.level2 == row.level2 && (i.level1 == "成本指标" || row.level1 == "成本指标"))
}

fn dice<T: Ord + Copy>(a: &[T], b: &[T]) -> f32 {
    // Both sorted.
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    2.0 * common as f32 / (a.len() + b.len()) as f32
}

/// Dice over sorted multisets, each element weighted.
fn weighted_dice(a: &[u64], b: &[u64], w: &dyn Fn(u64) -> f32) -> f32 {
    let total: f32 = a.iter().chain(b).map(|&s| w(s)).sum();
    if total == 0.0 {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => {
                common += w(a[i]);
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    2.0 * common / total
}

/// How alike two keys are, 0..=1: mostly the sounds they share, weighted by rarity (so 家长
/// counts more than 满意度 and a same-sound typo costs nothing), then the order of the sounds,
/// then the exact characters.
pub fn similarity(a: &Key, b: &Key, weight: &dyn Fn(u64) -> f32) -> f32 {
    let bag = weighted_dice(a.sound_bag(), b.sound_bag(), weight);
    let order = dice(a.sound_grams(), b.sound_grams());
    let exact = dice(a.sorted_chars(), b.sorted_chars());
    0.55 * bag + 0.25 * order + 0.2 * exact
}

/// Similarity without library weights (every sound counts once), for clustering rows.
pub fn plain_similarity(a: &Key, b: &Key) -> f32 {
    similarity(a, b, &|_| 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library_matcher() -> Matcher {
        let lib = crate::ingest::library::load_dir(&crate::ingest::library::default_dir()).unwrap();
        let v = Vocabulary::load(&crate::search::vocab::default_dir()).unwrap();
        Matcher::with(Arc::new(lib.catalog), &v, lib.indicators)
    }

    fn row(
        level1: &str,
        level2: &str,
        name: &str,
        code: Option<&str>,
        unit: &str,
    ) -> EvaluationRow {
        EvaluationRow {
            level1: level1.into(),
            level2: level2.into(),
            name: name.into(),
            code: code.map(str::to_string),
            unit: unit.into(),
            direction: "≥".into(),
            target: "1".into(),
            actual: "1".into(),
            score: None,
            deviation_reason: String::new(),
            matched: None,
            source: crate::domain::SourceRef {
                file: "f.csv".into(),
                sheet: "CSV".into(),
                row: 2,
            },
        }
    }

    #[test]
    fn matching_a_file_gives_each_row_what_matching_it_alone_gives() {
        let m = library_matcher();
        let rows = [
            row(
                "产出指标",
                "数量指标",
                "义务教育生活补助人数",
                Some("ZZ-001"),
                "人",
            ),
            row("效益指标", "生态效益指标", "绿化覆盖率", None, "%"),
            row(
                "产出指标",
                "成本指标",
                "功能点开发单位成本",
                Some("XX-016"),
                "元",
            ),
            row("满意度指标", "服务对象满意度指标", "群众满意度", None, "%"),
        ];
        // The same rows in projects of different types, and again in a second project of
        // each type: memoised answers must not leak from one type to another.
        let types = [
            Some("student_aid"),
            Some("greening"),
            Some("it_system"),
            None,
        ];
        let mut projects: Vec<EvaluatedProject> = types
            .iter()
            .chain(types.iter())
            .enumerate()
            .map(|(i, t)| EvaluatedProject {
                name: format!("项目{i}"),
                unit_name: "某单位".into(),
                year: 2025,
                project_type: t.map(str::to_string),
                budget_wan: 100.0,
                execution_rate: 1.0,
                score: 90.0,
                grade: crate::domain::Grade::Excellent,
                rows: rows.to_vec(),
                import: String::new(),
            })
            .collect();
        m.match_projects(&mut projects);
        let mut matched = 0;
        for p in &projects {
            for r in &p.rows {
                let alone = m.match_row(r, p.project_type.as_deref());
                assert_eq!(r.matched, alone, "{} in {:?}", r.name, p.project_type);
            }
            matched += p.rows.iter().filter(|r| r.matched.is_some()).count();
        }
        assert!(matched > 0, "some rows match at all");
    }

    #[test]
    fn a_code_whose_indicator_now_measures_something_else_is_not_taken() {
        let m = library_matcher();
        for (l1, l2, name, code, unit, t) in [
            // ZZ-001 was a count of pupils in edition 2026.1 and is a rate since 2026.2.
            (
                "产出指标",
                "数量指标",
                "义务教育生活补助人数",
                "ZZ-001",
                "人",
                "student_aid",
            ),
            // LH-024's code now stands for 养护绿地面积保有率: 绿化覆盖率 is another measure.
            (
                "效益指标",
                "生态效益指标",
                "绿化覆盖率",
                "LH-024",
                "%",
                "greening",
            ),
        ] {
            let got = m.match_row(&row(l1, l2, name, Some(code), unit), Some(t));
            assert!(!got.as_ref().is_some_and(|g| g.is_certain()), "{got:?}");
        }
        // A code with a reworded name and its cost written in 元 for 元/功能点 still counts.
        let cost = row(
            "产出指标",
            "成本指标",
            "功能点开发单位成本",
            Some("XX-016"),
            "元",
        );
        let got = m.match_row(&cost, Some("it_system")).unwrap();
        assert_eq!(
            (got.code.as_str(), got.method),
            ("XX-016", MatchMethod::Code)
        );
    }

    #[test]
    fn a_near_name_goes_to_review_whatever_the_evidence() {
        let m = library_matcher();
        // Characters swapped across 项目区, filed under the level 1 of edition 2026.1.
        let swapped = row(
            "效益指标",
            "社会效益指标",
            "区灌项目溉设计保证率",
            None,
            "%",
        );
        let got = m
            .match_row(&swapped, Some("farmland"))
            .expect("a near match");
        assert_eq!(got.code, "NT-022");
        assert!(!got.is_certain(), "{got:?}");
    }

    #[test]
    fn a_name_sharing_only_a_rare_bigram_with_the_library_is_still_compared() {
        let m = library_matcher();
        // 上图入库率 (an alias of NT-013) with words swapped and 值 added: of its bigrams only
        // 入库 (3 names) is in the alias, while 138 names share one of its other bigrams.
        let swapped = row("产出指标", "质量指标", "上入库图率值", None, "百分率");
        let got = m
            .match_row(&swapped, Some("farmland"))
            .expect("a near match");
        assert_eq!(got.code, "NT-013", "{got:?}");
        let (code, sim) = m.closest_by_name(&swapped).unwrap();
        assert_eq!(code, "NT-013");
        assert!(sim > 0.75, "{sim}");
    }

    #[test]
    fn an_alias_of_another_types_indicator_goes_to_review() {
        let m = library_matcher();
        // 长效管护机制 is an alias of SH-028 (water bodies); in a sewage project it words the
        // maintenance indicator GX-WH-009. 使用者满意率, an alias of GX-WH-010 (maintenance),
        // words GX-CG-012 in a fire-safety purchase.
        for (l1, l2, name, unit, t) in [
            (
                "效益指标",
                "可持续影响指标",
                "长效管护机制",
                "等级",
                "sewage",
            ),
            (
                "满意度指标",
                "服务对象满意度指标",
                "使用者满意率",
                "%",
                "fire_safety",
            ),
        ] {
            let got = m.match_row(&row(l1, l2, name, None, unit), Some(t));
            assert!(!got.as_ref().is_some_and(|g| g.is_certain()), "{got:?}");
        }
        // Where the alias's indicator fits the type, it links.
        let own = m.match_row(
            &row("效益指标", "可持续影响指标", "长效管护机制", None, "等级"),
            Some("water_env"),
        );
        assert!(
            own.as_ref()
                .is_some_and(|g| g.is_certain() && g.code == "SH-028"),
            "{own:?}"
        );
    }

    #[test]
    fn calibration_takes_a_close_runner_up_off_the_score() {
        assert!((calibrate(0.95, 0.3) - 0.95).abs() < 1e-9);
        assert!(calibrate(0.95, 0.0) < 0.8);
    }

    #[test]
    fn similarity_ignores_order_and_same_sound_characters_more_than_other_words() {
        let v = Vocabulary::load(&crate::search::vocab::default_dir()).unwrap();
        let w = Wording::shared(&v);
        let k = |s: &str| w.key(s);
        let same = plain_similarity(&k("学生家长满意度"), &k("学生家长满意度"));
        assert!((same - 1.0).abs() < 1e-6);
        let reordered = plain_similarity(&k("学生家长满意度"), &k("家长学生满意度"));
        let typo = plain_similarity(&k("补助资金按时发放率"), &k("捕助资金按时发放率"));
        let other = plain_similarity(&k("学生家长满意度"), &k("教职工满意度"));
        assert!(reordered > 0.85 && typo > 0.9, "{reordered} {typo}");
        assert!(other < 0.6, "{other}");
    }
}
