//! Small server-rendered SVG charts for the indicator page (no script): a box-and-strip plot of
//! targets against actuals, and horizontal bars (projects by year, by grade).

use super::stats::{Count, IndicatorStats, Spread, fmt_num};
use std::fmt::Write;

const W: f64 = 520.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Targets and actuals on one axis: a box from P25 to P75 with the median, whiskers to min and
/// max, and every value as a dot (jittered by its position so equal values stay visible).
pub fn spread_svg(s: &IndicatorStats) -> Option<String> {
    let rows: Vec<(&str, &Spread, &[f64], &str)> = [
        ("目标值", s.target.as_ref(), &s.target_values[..], "#3b6ea5"),
        ("实际值", s.actual.as_ref(), &s.actual_values[..], "#d9822b"),
    ]
    .into_iter()
    .filter_map(|(l, sp, v, c)| sp.map(|sp| (l, sp, v, c)))
    .collect();
    if rows.is_empty() {
        return None;
    }
    let lo = rows.iter().map(|r| r.1.min).fold(f64::INFINITY, f64::min);
    let hi = rows
        .iter()
        .map(|r| r.1.max)
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let x = |v: f64| LEFT + (v - lo) / (hi - lo) * (W - LEFT - RIGHT);
    let h = 40.0 * rows.len() as f64 + 30.0;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart spread" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-label="目标值与实际值分布"><title>目标值与实际值分布（箱体为 P25–P75，竖线为中位数）</title>"#
    );
    for (n, (label, sp, values, color)) in rows.iter().enumerate() {
        let y = 20.0 + 40.0 * n as f64;
        let _ = write!(
            out,
            r#"<text x="4" y="{}" font-size="12">{label}</text><line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="{color}"/><rect x="{}" y="{}" width="{}" height="16" fill="{color}" fill-opacity="0.25" stroke="{color}"/><line x1="{m}" x2="{m}" y1="{}" y2="{}" stroke="{color}" stroke-width="2"/>"#,
            y + 4.0,
            x(sp.min),
            x(sp.max),
            x(sp.p25),
            y - 8.0,
            (x(sp.p75) - x(sp.p25)).max(1.0),
            y - 10.0,
            y + 10.0,
            m = x(sp.median),
        );
        // The values come sorted: every n-th, so that 300 dots spread over all of them.
        let step = values.len().div_ceil(300).max(1);
        for (i, v) in values.iter().step_by(step).enumerate() {
            let jitter = ((i * 7) % 11) as f64 - 5.0;
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2" fill="{color}" fill-opacity="0.6"/>"#,
                x(*v),
                y + jitter
            );
        }
    }
    let axis_y = h - 12.0;
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{axis_y}" font-size="11" text-anchor="middle">{}{}</text>"#,
            x(v),
            fmt_num(v),
            esc(&s.unit)
        );
    }
    out.push_str("</svg>");
    Some(out)
}

/// Horizontal bars, one per count, labelled with the count.
pub fn bars_svg(title: &str, counts: &[Count], color: &str) -> Option<String> {
    let max = counts.iter().map(|c| c.count).max().filter(|m| *m > 0)?;
    let h = 22.0 * counts.len() as f64 + 8.0;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for (n, c) in counts.iter().enumerate() {
        let y = 4.0 + 22.0 * n as f64;
        let w = c.count as f64 / max as f64 * (W - LEFT - RIGHT - 40.0);
        let _ = write!(
            out,
            r#"<text x="4" y="{}" font-size="12">{}</text><rect x="{LEFT}" y="{y}" width="{w:.1}" height="16" fill="{color}"/><text x="{:.1}" y="{}" font-size="12">{}</text>"#,
            y + 13.0,
            esc(&c.label.chars().take(8).collect::<String>()),
            LEFT + w + 4.0,
            y + 13.0,
            c.count
        );
    }
    out.push_str("</svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_labels_and_skip_empty_data() {
        let c = vec![Count {
            key: "x".into(),
            label: "<b>".into(),
            count: 3,
        }];
        let svg = bars_svg("t", &c, "#000").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(bars_svg("t", &[], "#000").is_none());
    }
}
