//! Numbers as budget units type them into forms and tables — `500万元`, `1,200`, `１２００`,
//! `1.5亿元` — read into plain figures, and nonsense (`1e20`, `12..5`, `一百万`) refused with a
//! reason a person understands.

/// The largest budget a project form takes, in 万元 (1 万亿元): anything above is a typing slip.
pub const MAX_WAN: f64 = 100_000_000.0;

/// A budget year as typed in a form: empty is none; anything but a year from 2000 to 2100 is
/// refused with a reason.
pub fn parse_year(text: &str) -> Result<Option<i32>, String> {
    let t = text.trim();
    match t.parse::<i32>() {
        _ if t.is_empty() => Ok(None),
        Ok(y) if (2000..=2100).contains(&y) => Ok(Some(y)),
        _ => Err(format!("预算年度“{t}”应为 2000—2100 之间的年份")),
    }
}

/// A plain number with optional thousands separators and full-width digits: `1,200` → 1200.
/// A trailing `%` is allowed (the caller knows the unit); units and words are not.
pub fn parse_plain(text: &str) -> Result<f64, String> {
    let folded = crate::text::normalize(text.trim());
    let t = folded.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        return Err("未填写数字".into());
    }
    if t.contains(['e', 'E']) && t.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!(
            "“{}”不是普通数字（请直接写出数字，不用科学计数法）",
            text.trim()
        ));
    }
    let digits = strip_separators(t).ok_or_else(|| format!("“{}”不是数字", text.trim()))?;
    let ok = digits
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && !digits[1.min(digits.len())..].contains('-')
        && digits.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return Err(format!("“{}”不是数字", text.trim()));
    }
    digits
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("“{}”不是数字", text.trim()))
}

/// Removes thousands separators (`,` / `，` / `、` between groups of three digits) and spaces;
/// `None` when a comma is not a thousands separator (`1,2` is a typo, not 12).
fn strip_separators(t: &str) -> Option<String> {
    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.replace('，', ",");
    if !t.contains(',') {
        return Some(t);
    }
    let (int, frac) = t.split_once('.').map_or((t.as_str(), ""), |(a, b)| (a, b));
    let groups: Vec<&str> = int.trim_start_matches('-').split(',').collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    if !first_ok || !rest_ok || frac.contains(',') {
        return None;
    }
    let mut out = int.replace(',', "");
    if t.contains('.') {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// An amount of money in 万元, as typed: `500`, `500万元`, `500 万`, `1,200`, `1.5亿元`,
/// `3000000元`. Negative amounts and amounts above `MAX_WAN` are refused.
pub fn parse_wan(text: &str) -> Result<f64, String> {
    let folded = crate::text::normalize(text.trim());
    let t = folded.trim();
    let (number, factor) = [
        ("万元", 1.0),
        ("万", 1.0),
        ("亿元", 10_000.0),
        ("亿", 10_000.0),
        ("元", 0.0001),
    ]
    .iter()
    .find_map(|(suffix, f)| t.strip_suffix(suffix).map(|n| (n, *f)))
    .unwrap_or((t, 1.0));
    let v = parse_plain(number).map_err(|e| {
        if e.contains("科学计数法") {
            return e;
        }
        format!(
            "“{}”不是金额（请填写数字，单位为万元，如 500 或 500万元）",
            text.trim()
        )
    })? * factor;
    if v < 0.0 {
        return Err(format!("金额“{}”不能为负数", text.trim()));
    }
    if v > MAX_WAN {
        return Err(format!(
            "金额“{}”过大（超过 1 万亿元），请检查是否多输入了数字或单位（单位为万元）",
            text.trim()
        ));
    }
    Ok((v * 1_000_000.0).round() / 1_000_000.0)
}

/// A figure as a form or table shows it: `1200`, `1200.5`, never `1.2e3`.
pub fn show(v: f64) -> String {
    let rounded = (v * 10_000.0).round() / 10_000.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        let s = format!("{rounded:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_people_type_is_read() {
        for (typed, wan) in [
            ("500", 500.0),
            ("500万元", 500.0),
            ("500 万元", 500.0),
            ("500万", 500.0),
            ("1,200", 1200.0),
            ("1，200.5", 1200.5),
            ("１２００", 1200.0),
            ("１，２００万元", 1200.0),
            ("1.5亿元", 15000.0),
            ("3000000元", 300.0),
            (" 80.25 ", 80.25),
        ] {
            assert_eq!(parse_wan(typed), Ok(wan), "{typed}");
        }
    }

    #[test]
    fn nonsense_is_refused_with_a_reason() {
        for (typed, says) in [
            ("1e20", "科学计数法"),
            ("一百万", "不是金额"),
            ("12..5", "不是金额"),
            ("1,2", "不是金额"),
            ("-5", "负数"),
            ("999999999999", "过大"),
            ("5亿亿", "不是金额"),
        ] {
            let e = parse_wan(typed).unwrap_err();
            assert!(e.contains(says), "{typed}: {e}");
        }
        assert!(parse_plain("1e20").unwrap_err().contains("科学计数法"));
        assert_eq!(parse_plain("95%"), Ok(95.0));
        assert!(parse_plain("一点五").is_err());
    }

    #[test]
    fn figures_show_without_exponents() {
        assert_eq!(show(1200.0), "1200");
        assert_eq!(show(41.666_666), "41.6667");
        assert_eq!(show(0.5), "0.5");
    }
}
