//! A self-contained HTML report: inline SVG charts and a summary table, no external JS or CSS,
//! so it opens offline from disk.

use std::fmt::Write as _;

use crate::data::date_string;
use crate::replay::{Replay, Totals};

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

/// Everything the report shows besides the replay itself.
pub struct ReportContext<'a> {
    /// Site name from the config.
    pub site_name: &'a str,
    /// Power cap, facility kW.
    pub cap_kw: f64,
    /// Adders, USD/kWh.
    pub adders_usd_per_kwh: f64,
    /// Summary rows `(label, decide, always-on)` already formatted.
    pub rows: &'a [(String, String, String)],
    /// Notes shown under the table.
    pub notes: &'a [String],
}

fn escape(s: &str) -> String {
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

/// The full HTML document.
pub fn html(replay: &Replay, ctx: &ReportContext) -> String {
    let hourly_days: Vec<i64> = replay.points.chunks(4).map(|c| c[0].day).collect();
    let price = block_means(replay.points.iter().map(|p| p.rt_usd_per_mwh), 4);
    let mut sorted = price.clone();
    sorted.sort_by(f64::total_cmp);
    let p99 = sorted.get(sorted.len() * 995 / 1000).copied().unwrap_or(100.0);
    let clip = p99.max(100.0);
    let above = price.iter().filter(|p| **p > clip).count();
    let peak = sorted.last().copied().unwrap_or(0.0);
    let mut hlines = Vec::new();
    let be_labels: Vec<(f64, String)> = replay
        .mean_breakeven_usd_per_kwh
        .iter()
        .map(|(name, be)| ((be - ctx.adders_usd_per_kwh) * 1000.0, format!("{name} mean break-even (wholesale)")))
        .collect();
    for (v, l) in &be_labels {
        hlines.push((*v, l.as_str(), "#c0392b"));
    }
    let price_svg = chart(
        &format!("ERCOT HB_SOUTH real-time price, hourly mean (axis clipped at {clip:.0} $/MWh: {above} hours above, peak {peak:.0})"),
        "$/MWh",
        &hourly_days,
        &[Series { label: "RT price", color: "#2c3e50", values: price }],
        false,
        Some(clip),
        &hlines,
    );
    let power_svg = chart(
        "Facility power of the deciding site, hourly mean",
        "kW",
        &hourly_days,
        &[
            Series { label: "GPUs", color: "#8e44ad", values: block_means(replay.points.iter().map(|p| p.gpu_kw), 4) },
            Series {
                label: "Mining",
                color: "#f39c12",
                values: block_means(replay.points.iter().map(|p| p.mining_kw), 4),
            },
        ],
        true,
        Some(ctx.cap_kw * 1.05),
        &[(ctx.cap_kw, "power cap", "#c0392b")],
    );
    let daily: Vec<&crate::replay::Point> = replay
        .points
        .iter()
        .enumerate()
        .filter(|(i, p)| replay.points.get(i + 1).is_none_or(|n| n.day != p.day))
        .map(|(_, p)| p)
        .collect();
    let profit_svg = chart(
        "Cumulative profit, USD (end of each day)",
        "USD",
        &daily.iter().map(|p| p.day).collect::<Vec<_>>(),
        &[
            Series {
                label: "Deciding site",
                color: "#27ae60",
                values: daily.iter().map(|p| p.cum_profit_decide_usd).collect(),
            },
            Series {
                label: "Always on",
                color: "#7f8c8d",
                values: daily.iter().map(|p| p.cum_profit_always_usd).collect(),
            },
        ],
        false,
        None,
        &[],
    );
    let value_svg = chart(
        "Value of deciding: cumulative profit of the deciding site minus the always-on site, USD",
        "USD",
        &daily.iter().map(|p| p.day).collect::<Vec<_>>(),
        &[Series {
            label: "Deciding − always on",
            color: "#27ae60",
            values: daily.iter().map(|p| p.cum_profit_decide_usd - p.cum_profit_always_usd).collect(),
        }],
        false,
        None,
        &[],
    );
    let mut rows = String::new();
    for (label, a, b) in ctx.rows {
        let _ = write!(rows, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(label), escape(a), escape(b));
    }
    let notes: String = ctx.notes.iter().map(|n| format!("<li>{}</li>", escape(n))).collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hcp site replay — {name}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 12px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
svg {{ margin: 1em 0; background: #fcfcfc; }}
.title {{ font-size: 13px; font-weight: 600; }}
.tick {{ font-size: 11px; }}
</style></head><body>
<h1>Site replay: {name}</h1>
<p>{start} to {end}, {n} intervals of 15 minutes. Generated by <code>hcp-site-replay</code> (make demo) from the data in <code>data/market/</code>.</p>
<table><tr><th></th><th>Deciding site</th><th>Always on</th></tr>{rows}</table>
<ul>{notes}</ul>
{price_svg}
{power_svg}
{profit_svg}
{value_svg}
</body></html>
"#,
        name = escape(ctx.site_name),
        start = replay.points.first().map(|p| date_string(p.day)).unwrap_or_default(),
        end = replay.points.last().map(|p| date_string(p.day)).unwrap_or_default(),
        n = replay.points.len(),
    )
}

/// The summary rows shared by the terminal and the HTML report.
pub fn summary_rows(d: &Totals, a: &Totals) -> Vec<(String, String, String)> {
    let usd = |v: f64| format!("${}", group_thousands(v));
    vec![
        ("Energy (MWh)".into(), format!("{:.1}", d.energy_mwh), format!("{:.1}", a.energy_mwh)),
        ("BTC mined".into(), format!("{:.4}", d.btc), format!("{:.4}", a.btc)),
        ("Mining revenue".into(), usd(d.mining_revenue_usd), usd(a.mining_revenue_usd)),
        ("GPU revenue".into(), usd(d.gpu_revenue_usd), usd(a.gpu_revenue_usd)),
        ("Energy cost".into(), usd(d.energy_cost_usd), usd(a.energy_cost_usd)),
        ("Demand-response credit".into(), usd(d.credit_usd), usd(a.credit_usd)),
        ("Switching cost".into(), usd(d.switching_cost_usd), usd(a.switching_cost_usd)),
        ("Device switches".into(), d.device_switches.to_string(), a.device_switches.to_string()),
        (
            "Hours curtailed on price".into(),
            format!("{:.2}", d.hours_curtailed_on_price),
            format!("{:.2}", a.hours_curtailed_on_price),
        ),
        (
            "Miner-hours curtailed (price or cap)".into(),
            format!("{:.0}", d.miner_hours_curtailed),
            format!("{:.0}", a.miner_hours_curtailed),
        ),
        (
            "GPU-hours curtailed".into(),
            format!("{:.0}", d.gpu_hours_curtailed),
            format!("{:.0}", a.gpu_hours_curtailed),
        ),
        ("Profit".into(), usd(d.profit_usd()), usd(a.profit_usd())),
    ]
}

/// `1234567.891` → `1,234,568`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_helpers() {
        assert_eq!(group_thousands(1_234_567.891), "1,234,568");
        assert_eq!(group_thousands(-999.0), "-999");
        assert_eq!(tick_step(1000.0), 200.0);
        assert_eq!(block_means([1.0, 3.0, 5.0].into_iter(), 2), vec![2.0, 5.0]);
        assert_eq!(escape("<a & b>"), "&lt;a &amp; b&gt;");
    }

    #[test]
    fn charts_are_self_contained_svg() {
        let svg = chart(
            "t",
            "y",
            &[19_875, 19_876],
            &[Series { label: "s", color: "#000", values: vec![1.0, 2.0] }],
            true,
            None,
            &[],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>") && !svg.contains("http://www.w3.org/1999"));
    }
}
