//! A self-contained HTML report: inline SVG charts and a summary table, no external JS or CSS,
//! so it opens offline from disk.

use std::fmt::Write as _;

fn date_string(day: i64) -> String {
    hcpcore::site::iso(day * 86_400)[..10].to_string()
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;

/// One line (or stacked area) of a chart.
pub struct Series<'a> {
    /// Legend label.
    pub label: &'a str,
    /// CSS colour.
    pub color: &'a str,
    /// One value per x position.
    pub values: Vec<f64>,
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A "nice" tick step for a range.
fn tick_step(range: f64) -> f64 {
    let raw = range / 5.0;
    let mag = 10f64.powf(raw.abs().max(1e-12).log10().floor());
    let norm = raw / mag;
    let nice = if norm < 1.5 {
        1.0
    } else if norm < 3.5 {
        2.0
    } else if norm < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn fmt_tick(v: f64) -> String {
    let v = if v.abs() < 1e-9 { 0.0 } else { v };
    if v.abs() >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// An SVG chart of `series` over positions whose dates are `days`. `stacked` draws filled areas
/// on top of one another; `y_max` clips the axis; `hlines` are dashed reference lines.
pub fn chart(
    title: &str,
    y_label: &str,
    days: &[i64],
    series: &[Series],
    stacked: bool,
    y_max: Option<f64>,
    hlines: &[(f64, &str, &str)],
) -> String {
    let n = days.len().max(2);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let mut tops: Vec<Vec<f64>> = Vec::new();
    let mut acc = vec![0.0; days.len()];
    for s in series {
        if stacked {
            for (a, v) in acc.iter_mut().zip(&s.values) {
                *a += v;
            }
            tops.push(acc.clone());
        } else {
            tops.push(s.values.clone());
        }
    }
    let data_max = tops.iter().flatten().chain(hlines.iter().map(|h| &h.0)).fold(f64::MIN, |m, v| m.max(*v));
    let data_min = tops.iter().flatten().fold(0.0f64, |m, v| m.min(*v));
    let hi = y_max.unwrap_or(data_max).max(data_min + 1.0);
    let lo = data_min;
    let x = |i: usize| LEFT + plot_w * i as f64 / (n - 1) as f64;
    let y = |v: f64| TOP + plot_h * (1.0 - (v.clamp(lo, hi) - lo) / (hi - lo));

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="{t}"><text x="{LEFT}" y="18" class="title">{t}</text>"#,
        t = escape(title)
    );
    // Y grid and labels.
    let step = tick_step(hi - lo);
    let mut v = (lo / step).ceil() * step;
    while v <= hi + 1e-9 {
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="tick">{label}</text>"##,
            x2 = WIDTH - RIGHT,
            tx = LEFT - 6.0,
            ty = yy + 4.0,
            label = fmt_tick(v)
        );
        v += step;
    }
    let _ = write!(
        svg,
        r#"<text x="14" y="{cy}" transform="rotate(-90 14 {cy})" text-anchor="middle" class="tick">{}</text>"#,
        escape(y_label),
        cy = TOP + plot_h / 2.0
    );
    // X ticks on the first of each month.
    for (i, d) in days.iter().enumerate() {
        let date = date_string(*d);
        if date.ends_with("-01") && (i == 0 || days[i - 1] != *d) {
            let xx = x(i);
            let _ = write!(
                svg,
                r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{TOP}" y2="{yb}" stroke="#eee"/><text x="{xx:.1}" y="{ty}" text-anchor="middle" class="tick">{m}</text>"##,
                yb = TOP + plot_h,
                ty = HEIGHT - BOTTOM + 16.0,
                m = &date[..7]
            );
        }
    }
    // Series, drawn from the top of the stack down so lower areas stay visible.
    for (k, (s, top)) in series.iter().zip(&tops).enumerate().rev() {
        let mut path = String::with_capacity(top.len() * 14);
        for (i, v) in top.iter().enumerate() {
            let _ = write!(path, "{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, x(i), y(*v));
        }
        if stacked {
            let _ = write!(path, "L{:.1},{:.1}L{:.1},{:.1}Z", x(top.len().saturating_sub(1)), y(lo), x(0), y(lo));
            let _ = write!(svg, r#"<path d="{path}" fill="{c}" stroke="none"/>"#, c = s.color);
        } else {
            let _ = write!(svg, r#"<path d="{path}" fill="none" stroke="{c}" stroke-width="1.2"/>"#, c = s.color);
        }
        let lx = LEFT + 10.0 + 220.0 * k as f64;
        let _ = write!(
            svg,
            r#"<rect x="{lx}" y="{ly}" width="12" height="8" fill="{c}"/><text x="{tx}" y="{ty}" class="tick">{l}</text>"#,
            ly = TOP + 4.0,
            c = s.color,
            tx = lx + 16.0,
            ty = TOP + 12.0,
            l = escape(s.label)
        );
    }
    for (v, label, color) in hlines {
        let yy = y(*v);
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="{color}" stroke-dasharray="6 4"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="tick" fill="{color}">{l}</text>"#,
            x2 = WIDTH - RIGHT,
            tx = WIDTH - RIGHT - 4.0,
            ty = yy - 4.0,
            l = escape(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Means of consecutive blocks of `k` values.
pub fn block_means(values: impl Iterator<Item = f64>, k: usize) -> Vec<f64> {
    let v: Vec<f64> = values.collect();
    v.chunks(k).map(|c| c.iter().sum::<f64>() / c.len() as f64).collect()
}

/// `1234567.8` → `1,234,568`.
pub fn group_thousands(v: f64) -> String {
    let neg = v < 0.0;
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

/// An HTML table from a header and rows (already formatted; escaped here).
pub fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut t = String::from("<table><tr>");
    for h in header {
        let _ = write!(t, "<th>{}</th>", escape(h));
    }
    t.push_str("</tr>");
    for r in rows {
        t.push_str("<tr>");
        for c in r {
            let _ = write!(t, "<td>{}</td>", escape(c));
        }
        t.push_str("</tr>");
    }
    t.push_str("</table>");
    t
}

/// The page around the sections.
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
svg {{ margin: 1em 0; background: #fcfcfc; }}
.title {{ font-size: 13px; font-weight: 600; }}
.tick {{ font-size: 11px; }}
.pending {{ border: 2px dashed #c0392b; padding: 1em; }}
</style></head><body>
{body}
</body></html>
"#,
        t = escape(title)
    )
}
