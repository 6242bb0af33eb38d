//! Small server-rendered SVG charts for the indicator page (no script): a box-and-strip plot of
//! targets against actuals, and horizontal bars (projects by year, by grade, by project type).

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

/// Most characters of a bar's label on one line; longer labels wrap onto lines of even length
/// (污水处理设施 / 建设与运营), most project types' names fitting on one.
const LABEL_CHARS: usize = 10;
/// Label font size and line height (SVG units, drawn at 1:1).
const LABEL_FONT: f64 = 12.0;
const LINE: f64 = 14.0;

/// A label cut into lines of at most `LABEL_CHARS` characters.
fn label_lines(label: &str) -> Vec<String> {
    let chars: Vec<char> = label.chars().collect();
    let n = chars.len().div_ceil(LABEL_CHARS).max(1);
    chars
        .chunks(chars.len().div_ceil(n).max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// How wide a line of text is drawn at `LABEL_FONT`: a Chinese character takes the full size,
/// a Latin letter or digit about 0.6 of it.
fn text_width(line: &str) -> f64 {
    line.chars()
        .map(|c| if c.is_ascii() { 0.6 } else { 1.0 })
        .sum::<f64>()
        * LABEL_FONT
}

/// Horizontal bars, one per count, each labelled in full (wrapped onto as many lines as it
/// needs, in a column as wide as the widest line, so no bar covers a label) and with its count.
pub fn bars_svg(title: &str, counts: &[Count], color: &str) -> Option<String> {
    let max = counts.iter().map(|c| c.count).max().filter(|m| *m > 0)?;
    let lines: Vec<Vec<String>> = counts.iter().map(|c| label_lines(&c.label)).collect();
    let label_w = lines
        .iter()
        .flatten()
        .map(|l| text_width(l))
        .fold(0.0, f64::max);
    let left = (label_w + 12.0).max(40.0);
    let heights: Vec<f64> = lines
        .iter()
        .map(|l| (l.len() as f64 * LINE + 6.0).max(22.0))
        .collect();
    let h = heights.iter().sum::<f64>() + 8.0;
    let room = W - left - RIGHT - 40.0;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    let mut y = 4.0;
    for ((c, lines), row_h) in counts.iter().zip(&lines).zip(&heights) {
        let w = c.count as f64 / max as f64 * room;
        let mid = y + row_h / 2.0;
        // The label's lines centred on the bar.
        let first = mid - (lines.len() as f64 - 1.0) * LINE / 2.0 + 4.0;
        let _ = write!(
            out,
            r#"<g class="bar"><title>{}：{}</title><text class="label" x="4" y="{first:.1}" font-size="{LABEL_FONT}">"#,
            esc(&c.label),
            c.count
        );
        for (n, line) in lines.iter().enumerate() {
            let dy = if n == 0 { 0.0 } else { LINE };
            let _ = write!(out, r#"<tspan x="4" dy="{dy}">{}</tspan>"#, esc(line));
        }
        let _ = write!(
            out,
            r#"</text><rect x="{left:.1}" y="{:.1}" width="{w:.1}" height="16" fill="{color}"/><text class="count" x="{:.1}" y="{:.1}" font-size="12">{}</text></g>"#,
            mid - 8.0,
            left + w + 4.0,
            mid + 4.0,
            c.count
        );
        y += row_h;
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

    /// Issue 26: labels were cut to eight characters and overlapped by the bars.
    #[test]
    fn every_label_is_drawn_whole_left_of_its_bar() {
        let c: Vec<Count> = ["高标准农田建设项目", "城市照明设施建设与改造工程", "2024年"]
            .iter()
            .zip([9, 3, 1])
            .map(|(l, n)| Count {
                key: l.to_string(),
                label: l.to_string(),
                count: n,
            })
            .collect();
        let svg = bars_svg("t", &c, "#000").unwrap();
        let label_w = text_width("城市照明设施建");
        for x in svg.split("<rect x=\"").skip(1) {
            let x: f64 = x.split('"').next().unwrap().parse().unwrap();
            assert!(
                x >= label_w + 4.0,
                "a bar at {x} covers a label {label_w} wide"
            );
        }
        for l in &c {
            let drawn: String = svg
                .split("<text class=\"label\"")
                .skip(1)
                .map(|t| t.split("</text>").next().unwrap())
                .map(|t| {
                    t.split("<tspan")
                        .skip(1)
                        .map(|s| s.split('>').nth(1).unwrap().trim_end_matches("</tspan"))
                        .collect::<String>()
                })
                .find(|t| t == &l.label)
                .unwrap_or_default();
            assert_eq!(drawn, l.label, "{svg}");
        }
    }
}
