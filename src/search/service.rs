//! The search page's model: from a request and its results to what the page lists — hits,
//! facet links, the filters in force and the paging links — all as links that keep the rest of
//! the query string. Pure: the caller runs the search.

use crate::domain::Catalog;
use crate::search::{FacetCount, MAX_OFFSET, SearchRequest, SearchResults};

/// A link on the page: a facet value, a filter in force, or "core only".
pub struct FacetItem {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub active: bool,
}

pub struct FacetView {
    pub title: &'static str,
    pub items: Vec<FacetItem>,
}

/// One hit as the page shows it.
pub struct HitView {
    pub code: String,
    pub name_html: String,
    pub snippet_html: String,
    pub level1: String,
    pub level2: String,
    pub unit: String,
    pub target: String,
    pub scope: &'static str,
    pub explain: Vec<String>,
}

/// Everything the results part of the search page shows.
pub struct ResultsView {
    pub searched: bool,
    pub total: usize,
    pub hits: Vec<HitView>,
    pub facets: Vec<FacetView>,
    pub active_filters: Vec<FacetItem>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub page: usize,
    pub pages: usize,
}

/// Whether a request asks anything: the bare page searches nothing.
pub fn asks(req: &SearchRequest) -> bool {
    !req.q.trim().is_empty() || !req.filters.is_empty()
}

/// The page's model of `res`, the answer to `req`; `query` is the page's query string.
pub fn results_view(
    req: &SearchRequest,
    res: &SearchResults,
    query: &[(String, String)],
    catalog: &Catalog,
) -> ResultsView {
    let (limit, offset) = (req.limit, req.offset);
    let page_url = |off: usize| {
        let base = url_with(query, "offset", None);
        let sep = if base.contains('?') { '&' } else { '?' };
        if off == 0 {
            base
        } else {
            format!("{base}{sep}offset={off}")
        }
    };
    let last = res.total.min(MAX_OFFSET + limit);
    ResultsView {
        searched: asks(req),
        total: res.total,
        hits: res.hits.iter().map(hit_view).collect(),
        facets: facets(req, res, query),
        active_filters: active_filters(req, query, catalog),
        prev_url: (offset > 0).then(|| page_url(offset.saturating_sub(limit))),
        next_url: (offset + limit < last).then(|| page_url(offset + limit)),
        page: offset / limit + 1,
        pages: last.div_ceil(limit).max(1),
    }
}

fn hit_view(h: &crate::search::Hit) -> HitView {
    HitView {
        code: h.indicator.code.to_string(),
        name_html: h.name_html.clone(),
        snippet_html: h.snippet_html.clone(),
        level1: h.indicator.level1.clone(),
        level2: h.indicator.level2.clone(),
        unit: h.indicator.unit.clone(),
        target: h.indicator.target_display(),
        scope: h.indicator.scope().label(),
        explain: h.explain.clone(),
    }
}

fn facets(req: &SearchRequest, res: &SearchResults, query: &[(String, String)]) -> Vec<FacetView> {
    let facet =
        |title, key: &'static str, list: &[FacetCount], current: &Option<String>| FacetView {
            title,
            items: list
                .iter()
                .map(|f| FacetItem {
                    label: f.label.clone(),
                    count: f.count,
                    active: current.as_deref() == Some(f.value.as_str()),
                    url: url_with(query, key, Some(&f.value)),
                })
                .collect(),
        };
    let (fl, counts) = (&req.filters, &res.facets);
    let core_count = counts.core.iter().map(|c| c.count).max().unwrap_or(0);
    vec![
        facet("一级指标", "level1", &counts.level1, &fl.level1),
        facet("二级指标", "level2", &counts.level2, &fl.level2),
        facet(
            "项目类型",
            "project_type",
            &counts.project_type,
            &fl.project_type,
        ),
        facet("行业", "sector", &counts.sector, &fl.sector),
        facet("适用范围", "scope", &counts.scope, &fl.scope),
        FacetView {
            title: "核心指标",
            items: vec![FacetItem {
                label: "只看核心指标".into(),
                count: core_count,
                url: url_with(query, "core", Some("1")),
                active: fl.core,
            }],
        },
    ]
}

/// The filters in force, each a link that drops it.
fn active_filters(
    req: &SearchRequest,
    query: &[(String, String)],
    catalog: &Catalog,
) -> Vec<FacetItem> {
    let fl = &req.filters;
    let mut active = Vec::new();
    for (key, label, v) in [
        ("level1", "一级", &fl.level1),
        ("level2", "二级", &fl.level2),
        ("project_type", "类型", &fl.project_type),
        ("sector", "行业", &fl.sector),
        ("scope", "范围", &fl.scope),
    ] {
        if let Some(v) = v {
            let shown = if key == "project_type" {
                catalog.project_type_name(v).to_string()
            } else {
                v.clone()
            };
            active.push(FacetItem {
                label: format!("{label}：{shown}"),
                count: 0,
                url: url_with(query, key, None),
                active: true,
            });
        }
    }
    if fl.core {
        active.push(FacetItem {
            label: "核心指标".into(),
            count: 0,
            url: url_with(query, "core", None),
            active: true,
        });
    }
    active
}

/// The current query string with `key` set to `value` (or removed), and the page reset.
fn url_with(query: &[(String, String)], key: &str, value: Option<&str>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        if k != key && k != "offset" && !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some(v) = value {
        s.append_pair(key, v);
    }
    let q = s.finish();
    if q.is_empty() {
        "/".into()
    } else {
        format!("/?{q}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_query_and_reset_the_page() {
        let q = vec![
            ("q".to_string(), "绿化".to_string()),
            ("offset".to_string(), "20".to_string()),
            ("sector".to_string(), "林业".to_string()),
        ];
        assert_eq!(
            url_with(&q, "level1", Some("产出指标")),
            "/?q=%E7%BB%BF%E5%8C%96&sector=%E6%9E%97%E4%B8%9A&level1=%E4%BA%A7%E5%87%BA%E6%8C%87%E6%A0%87"
        );
        assert_eq!(url_with(&q[1..2], "offset", None), "/");
    }
}
