//! The first page of a long query (usually a project name): every level 1 with a fair candidate
//! gets a place, not only outputs.

use tantivy::Score;

/// How many top candidates are considered when balancing the first page.
pub(super) const BALANCE_WINDOW: usize = 60;
/// The first page: each level 1 present among the candidates gets at least this many places...
const BALANCE_PER_LEVEL1: usize = 2;
/// ... in the first this many results ...
const BALANCE_PAGE: usize = 10;
/// ... when its candidate scores at least this share of the place it takes on the page: a
/// satisfaction indicator that shares only a generic word with the query (出行群众满意度 for a
/// 背街小巷 project) does not push out an output that holds its subject.
const BALANCE_MIN_SHARE: f32 = 0.2;

/// Moves the best candidates of under-represented level 1s into the first page, keeping every
/// other result in score order. Deterministic, so pages stay consistent.
pub(super) fn balance_first_page<T>(
    found: &mut Vec<(Score, T)>,
    level1: impl Fn(&T) -> &str,
    about: impl Fn(&T) -> bool,
) {
    let page = BALANCE_PAGE.min(found.len());
    let Some(last) = page.checked_sub(1).map(|p| found[p].0) else {
        return;
    };
    let mut level1s: Vec<String> = Vec::new();
    for (_, t) in found.iter() {
        if !level1s.iter().any(|l| l == level1(t)) {
            level1s.push(level1(t).to_string());
        }
    }
    let mut promote = Vec::new();
    for l1 in &level1s {
        let have = found[..page]
            .iter()
            .filter(|(_, t)| level1(t) == l1)
            .count();
        let missing = BALANCE_PER_LEVEL1.saturating_sub(have);
        let candidates = || {
            found
                .iter()
                .enumerate()
                .skip(page)
                .filter(|(_, (s, t))| level1(t) == l1 && *s >= last * BALANCE_MIN_SHARE)
        };
        let before = promote.len();
        promote.extend(
            candidates()
                .filter(|(_, (_, t))| about(t))
                .take(missing)
                .map(|(n, _)| n),
        );
        // A level absent from the page still gets its best candidate when none is about the
        // query: a target table needs every level, and the page is where a unit looks first.
        if have == 0 && promote.len() == before {
            promote.extend(candidates().take(1).map(|(n, _)| n));
        }
    }
    if promote.is_empty() {
        return;
    }
    promote.sort_unstable();
    let moved: Vec<(Score, T)> = promote.iter().rev().map(|&n| found.remove(n)).collect();
    let at = page.saturating_sub(moved.len());
    for m in moved {
        found.insert(at, m);
    }
    // Within the first page keep score order, so promoted hits sit where their score puts them.
    found[..page].sort_by(|a, b| b.0.total_cmp(&a.0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balancing_promotes_only_candidates_about_the_query() {
        // (score, (level 1, about the query)): a page of outputs, then two satisfaction
        // candidates, the better of which shares no word with the query.
        let mut found: Vec<(Score, (&str, bool))> = (0..10)
            .map(|i| (50.0 - i as Score, ("产出指标", true)))
            .collect();
        found.push((39.0, ("满意度指标", false)));
        found.push((38.0, ("满意度指标", true)));
        balance_first_page(&mut found, |t| t.0, |t| t.1);
        let page: Vec<(&str, bool)> = found[..10].iter().map(|(_, t)| *t).collect();
        assert!(page.contains(&("满意度指标", true)), "{page:?}");
        assert!(!page.contains(&("满意度指标", false)), "{page:?}");
    }
}
