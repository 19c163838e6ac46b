//! `make demo`: replay the real market history through the reference hybrid site with every
//! built-in strategy of `hcpcore::site`, print the comparison and write an offline HTML report.
//!
//! ```text
//! site-replay [--config examples/site.json] [--data data/market] [--out out/site_report.html]
//! ```
//!
//! Everything the site does is `hcpcore::site` (the closed loop: devices, customers' work, economics,
//! strategy and billing under one cap); this binary only runs it and draws the results.

mod report;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hcpcore::site::{iso, RunResult, Site, SiteConfig};
use report::{block_means, chart, escape, group_thousands, page, table, Series};

struct Args {
    config: PathBuf,
    data: Option<PathBuf>,
    out: PathBuf,
}

/// A default path relative to the working directory, or to the repository root when run elsewhere.
fn default_path(rel: &str) -> PathBuf {
    let here = PathBuf::from(rel);
    if here.exists() {
        return here;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    if repo.exists() {
        repo
    } else {
        here
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args =
        Args { config: default_path("examples/site.json"), data: None, out: PathBuf::from("out/site_report.html") };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "--config" => args.config = value("--config")?.into(),
            "--data" => args.data = Some(value("--data")?.into()),
            "--out" => args.out = value("--out")?.into(),
            "-h" | "--help" => {
                println!("usage: site-replay [--config PATH] [--data DIR] [--out PATH]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(args)
}

const COLORS: [&str; 5] = ["#7f8c8d", "#f39c12", "#8e44ad", "#2980b9", "#27ae60"];

fn usd(v: f64) -> String {
    format!("${}", group_thousands(v))
}

fn run() -> Result<(), String> {
    let started = Instant::now();
    let args = parse_args()?;
    let text = std::fs::read_to_string(&args.config).map_err(|e| format!("{}: {e}", args.config.display()))?;
    let mut cfg = SiteConfig::from_json_str(&text).map_err(|e| e.to_string())?;
    if let Some(d) = &args.data {
        let abs = std::fs::canonicalize(d).map_err(|e| format!("{}: {e}", d.display()))?;
        cfg.market_dir = Some(abs.to_string_lossy().into_owned());
    }
    let base = args.config.parent().unwrap_or(Path::new("."));
    let site = Site::from_config(cfg, base).map_err(|e| e.to_string())?;
    let loaded = started.elapsed();

    let mut results: Vec<(String, RunResult, f64)> = Vec::new();
    for name in hcpcore::site::names() {
        let t0 = Instant::now();
        let r = site.run_named(name, None, None).map_err(|e| format!("{name}: {e}"))?;
        results.push((name.to_string(), r, t0.elapsed().as_secs_f64()));
    }
    let replayed = started.elapsed();
    let cfg = site.config();

    // ---- Table ----
    let header: Vec<String> = std::iter::once(String::new()).chain(results.iter().map(|r| r.0.clone())).collect();
    type Row = (&'static str, fn(&hcpcore::site::Summary) -> String);
    let rows_def: Vec<Row> = vec![
        ("Energy (MWh)", |s| format!("{:.0}", s.energy_mwh)),
        ("BTC mined", |s| format!("{:.3}", s.btc_mined)),
        ("Mining revenue", |s| usd(s.mining_revenue_usd)),
        ("Token revenue", |s| usd(s.token_revenue_usd)),
        ("Batch + training GPU-hours", |s| usd(s.gpu_hour_revenue_usd)),
        ("Reservations", |s| usd(s.reserved_revenue_usd)),
        ("Demand response (credits + reserve)", |s| usd(s.demand_response_usd)),
        ("Borrowed power billed to tenants", |s| usd(s.borrowed_power_billed_usd)),
        ("Revenue", |s| usd(s.revenue_usd)),
        ("Energy cost", |s| usd(s.energy_cost_usd)),
        ("4CP transmission charges", |s| usd(s.four_cp_charges_usd)),
        ("Switching cost (wear)", |s| usd(s.switching_cost_usd)),
        ("Profit", |s| usd(s.profit_usd)),
        ("SLO attainment (TTFT)", |s| format!("{:.4}", s.slo_attainment)),
        ("p99 TTFT, worst endpoint (s)", |s| format!("{:.2}", s.p99_ttft_seconds)),
        ("Hours with miners curtailed", |s| format!("{:.0}", s.hours_curtailed)),
        ("Curtailed miner-hours", |s| group_thousands(s.curtailed_miner_hours)),
        ("Jobs on time / submitted", |s| format!("{} / {}", s.jobs_on_time, s.jobs_submitted)),
        ("Device switches", |s| group_thousands(s.device_switches as f64)),
        ("Peak meter reading (kW)", |s| format!("{:.0}", s.max_peak_kw)),
    ];
    let rows: Vec<Vec<String>> = rows_def
        .iter()
        .map(|(label, f)| std::iter::once(label.to_string()).chain(results.iter().map(|r| f(&r.1.summary))).collect())
        .collect();

    // ---- Winner ----
    let mut ranked: Vec<&(String, RunResult, f64)> = results.iter().collect();
    ranked.sort_by(|a, b| b.1.summary.profit_usd.total_cmp(&a.1.summary.profit_usd));
    let (win, second) = (&ranked[0].1.summary, &ranked[1].1.summary);
    let margin = win.profit_usd - second.profit_usd;
    let parts = [
        ("mining revenue", win.mining_revenue_usd - second.mining_revenue_usd),
        (
            "AI revenue",
            (win.token_revenue_usd
                + win.gpu_hour_revenue_usd
                + win.reserved_revenue_usd
                + win.borrowed_power_billed_usd)
                - (second.token_revenue_usd
                    + second.gpu_hour_revenue_usd
                    + second.reserved_revenue_usd
                    + second.borrowed_power_billed_usd),
        ),
        ("demand-response income", win.demand_response_usd - second.demand_response_usd),
        ("lower energy cost", second.energy_cost_usd - win.energy_cost_usd),
        ("lower 4CP charges", second.four_cp_charges_usd - win.four_cp_charges_usd),
        ("lower switching cost", second.switching_cost_usd - win.switching_cost_usd),
    ];
    let mut gains: Vec<&(&str, f64)> = parts.iter().filter(|p| p.1 > 0.0).collect();
    gains.sort_by(|a, b| b.1.total_cmp(&a.1));
    let why: Vec<String> = gains.iter().take(3).map(|(l, v)| format!("{l} (+{})", usd(*v))).collect();
    let verdict = format!(
        "{} won with a profit of {} over {:.0} days, {} ({:.1} %) more than {}, mainly from {}, at SLO attainment {:.4} against {:.4}.",
        win.strategy,
        usd(win.profit_usd),
        win.hours / 24.0,
        usd(margin),
        100.0 * margin / second.profit_usd.abs().max(1.0),
        second.strategy,
        why.join(", "),
        win.slo_attainment,
        second.slo_attainment
    );

    // ---- Terminal ----
    println!("hcp site replay v2: {}", cfg.name);
    let first = &results[0].1.columns;
    println!(
        "{} ticks of {} s ({} to {}), cap {:.0} kW, {} strategies, serving model: {}",
        first.len(),
        cfg.tick_seconds,
        iso(first.time_unix[0]),
        iso(*first.time_unix.last().unwrap_or(&0)),
        cfg.cap_kw,
        results.len(),
        site.serving_models().first().map_or("none", |m| m.name())
    );
    println!();
    print!("{:<38}", "");
    for r in &results {
        print!("{:>18}", r.0);
    }
    println!();
    for row in &rows {
        print!("{:<38}", row[0]);
        for c in &row[1..] {
            print!("{c:>18}");
        }
        println!();
    }
    println!();
    println!("{verdict}");

    // ---- Charts ----
    let hybrid = results.iter().find(|r| r.0 == "hybrid").map(|r| &r.1).unwrap_or(&results[0].1);
    let c = &hybrid.columns;
    let per_hour = (3600.0 / cfg.tick_seconds) as usize;
    let hour_days: Vec<i64> = c.time_unix.chunks(per_hour).map(|ch| ch[0].div_euclid(86_400)).collect();
    let price = block_means(c.price_usd_per_mwh.iter().copied(), per_hour);
    let mut sorted = price.clone();
    sorted.sort_by(f64::total_cmp);
    let clip = sorted.get(sorted.len() * 995 / 1000).copied().unwrap_or(100.0).max(100.0);
    let price_svg = chart(
        &format!(
            "ERCOT HB_SOUTH real-time price, hourly mean (axis clipped at {clip:.0} $/MWh; peak {:.0})",
            sorted.last().copied().unwrap_or(0.0)
        ),
        "$/MWh",
        &hour_days,
        &[Series { label: "RT price", color: "#2c3e50", values: price }],
        false,
        Some(clip),
        &[],
    );
    let per_day = per_hour * 24;
    let day_days: Vec<i64> = c.time_unix.chunks(per_day).map(|ch| ch[0].div_euclid(86_400)).collect();
    let split = |v: &Vec<f64>| block_means(v.iter().copied(), per_hour);
    let power_svg = chart(
        "Facility power of the hybrid site by use, hourly mean, against the cap",
        "kW",
        &hour_days,
        &[
            Series { label: "Serving", color: "#8e44ad", values: split(&c.serving_kw) },
            Series { label: "Batch + training", color: "#2980b9", values: split(&c.jobs_kw) },
            Series { label: "Reserved", color: "#16a085", values: split(&c.reserved_kw) },
            Series { label: "Mining", color: "#f39c12", values: split(&c.mining_kw) },
            Series {
                label: "Idle + switching",
                color: "#bdc3c7",
                values: c
                    .idle_kw
                    .iter()
                    .zip(&c.switching_kw)
                    .map(|(a, b)| a + b)
                    .collect::<Vec<_>>()
                    .chunks(per_hour)
                    .map(|x| x.iter().sum::<f64>() / x.len() as f64)
                    .collect(),
            },
        ],
        true,
        Some(cfg.cap_kw * 1.08),
        &[(cfg.cap_kw, "power cap", "#c0392b")],
    );
    let cum = |r: &RunResult| -> Vec<f64> {
        let cc = &r.columns;
        let mut acc = 0.0;
        let mut out = Vec::new();
        for (i, _) in cc.time_unix.iter().enumerate() {
            acc += cc.revenue_mining_usd[i]
                + cc.revenue_tokens_usd[i]
                + cc.revenue_gpu_hours_usd[i]
                + cc.revenue_reserved_usd[i]
                + cc.revenue_demand_response_usd[i]
                + cc.revenue_borrowed_power_usd[i]
                - cc.energy_cost_usd[i]
                - cc.switching_cost_usd[i];
            if (i + 1) % per_day == 0 || i + 1 == cc.len() {
                out.push(acc);
            }
        }
        out
    };
    let profit_series: Vec<Series> = results
        .iter()
        .enumerate()
        .map(|(k, (name, r, _))| Series { label: name, color: COLORS[k % COLORS.len()], values: cum(r) })
        .collect();
    let profit_svg = chart(
        "Cumulative profit before 4CP charges, USD (end of each day)",
        "USD",
        &day_days,
        &profit_series,
        false,
        None,
        &[],
    );
    let demand_svg = chart(
        "GPUs the work wants (SLO sizing + jobs at full speed + reservations) and GPUs working, hybrid, hourly mean",
        "GPUs",
        &hour_days,
        &[
            Series {
                label: "wanted",
                color: "#c0392b",
                values: block_means(c.gpus_wanted.iter().map(|v| f64::from(*v)), per_hour),
            },
            Series {
                label: "serving + jobs + reserved",
                color: "#8e44ad",
                values: block_means(
                    (0..c.len()).map(|i| f64::from(c.gpus_serving[i] + c.gpus_jobs[i] + c.gpus_reserved[i])),
                    per_hour,
                ),
            },
        ],
        false,
        None,
        &[(f64::from(cfg.gpus.iter().map(|g| g.count).sum::<u32>()), "GPUs in the site", "#7f8c8d")],
    );

    // ---- 4CP ----
    let mut cp_rows = Vec::new();
    let months: Vec<i64> = results[0].1.four_cp.iter().map(|f| f.time_unix).collect();
    for (k, t) in months.iter().enumerate() {
        let mut row = vec![format!("{} ({:.1} °C)", iso(*t), results[0].1.four_cp[k].temperature_c)];
        for (_, r, _) in &results {
            let f = r.four_cp.iter().find(|f| f.time_unix == *t);
            row.push(f.map_or("-".into(), |f| {
                format!("{:.0} kW, {}{}", f.site_kw, usd(f.charge_usd), if f.flagged { " (warned)" } else { "" })
            }));
        }
        cp_rows.push(row);
    }
    let cp_table = table(&header, &cp_rows);
    let cp_svg = four_cp_bars(&results, cfg.cap_kw);

    // ---- Invoices (hybrid) ----
    let inv_rows: Vec<Vec<String>> = hybrid
        .invoices
        .iter()
        .map(|inv| {
            let lines: Vec<String> = inv
                .lines
                .iter()
                .filter(|l| !l.amount.is_zero())
                .map(|l| format!("{}: {} units ${}", l.charge, l.units.round_dp(2), l.amount))
                .collect();
            vec![
                inv.customer_id.clone(),
                format!("{} → {}", &inv.period.start.to_string()[..10], &inv.period.end.to_string()[..10]),
                lines.join("; "),
                format!("${}", inv.discount_total),
                format!("${}", inv.tax),
                format!("${}", inv.total),
            ]
        })
        .collect();
    let inv_table = table(&["customer", "period", "lines", "discounts", "tax", "total"].map(String::from), &inv_rows);
    let mut events_summary: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in &hybrid.events {
        *events_summary.entry(e.kind).or_default() += 1;
    }
    let events_line: Vec<String> = events_summary.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let curtail_paid: Vec<String> = hybrid
        .events
        .iter()
        .filter(|e| e.kind == "curtailment_ended" && e.detail.contains('$'))
        .take(5)
        .map(|e| format!("{} — {}", iso(e.time_unix), e.detail))
        .collect();

    // ---- Forecast and capacity plan for the last week, checked against what hybrid did ----
    let plan_date = "2025-03-21";
    let plan = hcpcore::site::forecast::capacity_plan(&site, plan_date).map_err(|e| e.to_string())?;
    let plan_start = hcpcore::sim::market::replay::parse_timestamp(plan_date).map_err(|e| e.to_string())?;
    let actual_week: f64 = (0..c.len())
        .filter(|i| c.time_unix[*i] >= plan_start && c.time_unix[*i] < plan_start + 7 * 86_400)
        .map(|i| {
            c.revenue_mining_usd[i]
                + c.revenue_tokens_usd[i]
                + c.revenue_gpu_hours_usd[i]
                + c.revenue_reserved_usd[i]
                + c.revenue_demand_response_usd[i]
                + c.revenue_borrowed_power_usd[i]
                - c.energy_cost_usd[i]
                - c.switching_cost_usd[i]
        })
        .sum();
    let fc_rows: Vec<Vec<String>> = std::iter::once(("power price ($/MWh)".to_string(), &plan.price))
        .chain(cfg.endpoints.iter().zip(&plan.demand).map(|(e, d)| (format!("{} demand (req/s)", e.name), d)))
        .map(|(label, f)| {
            let scores: Vec<String> = f.scores.iter().map(|s| format!("{} {:.2}", s.method, s.mae)).collect();
            vec![
                label,
                f.method.to_string(),
                format!("{:.2} ({:.1} %)", f.holdout_mae, 100.0 * f.holdout_relative_mae),
                format!("[{:.2}, {:.2}]", f.error_p10, f.error_p90),
                scores.join("; "),
            ]
        })
        .collect();
    let fc_table = table(
        &["series", "method chosen", "held-out MAE", "error p10..p90", "all methods (MAE)"].map(String::from),
        &fc_rows,
    );
    let mean_u32 = |v: &[u32]| v.iter().map(|x| f64::from(*x)).sum::<f64>() / v.len().max(1) as f64;
    let plan_text = format!(
        "Capacity plan for the 7 days from {plan_date} (history before it; the last 7 days held out to choose each method): keep {}–{} GPUs serving (mean {:.0}) plus {} for jobs and reservations, and {:.0} miners hashing on average (min {}, max {}). Expected profit {} (band {} to {}); the hybrid strategy made {} that week.",
        plan.gpus_serving.iter().min().unwrap_or(&0),
        plan.gpus_serving.iter().max().unwrap_or(&0),
        mean_u32(&plan.gpus_serving),
        plan.gpus_other,
        mean_u32(&plan.miners_hashing),
        plan.miners_hashing.iter().min().unwrap_or(&0),
        plan.miners_hashing.iter().max().unwrap_or(&0),
        usd(plan.profit_band_usd.1),
        usd(plan.profit_band_usd.0),
        usd(plan.profit_band_usd.2),
        usd(actual_week)
    );
    println!();
    println!("{plan_text}");

    let total = started.elapsed();
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Site replay v2: {name}</h1>
<p>{n} ticks of {dt} s, {start} to {end}; every built-in strategy of <code>hcpcore::site</code> on the same inputs
(ERCOT HB_SOUTH real-time prices and temperature, BTC price, difficulty and fees, realtime demand shaped by the Azure LLM
traces). Serving model: {sm}. Generated by <code>make demo</code> in {secs:.1} s on one core.</p>
<p><b>{verdict}</b></p>
{tbl}
<h2>Price</h2>{price_svg}
<h2>Power by use against the cap (hybrid)</h2>{power_svg}
{demand_svg}
<h2>Cumulative profit of every strategy</h2>{profit_svg}
<h2>4CP intervals and what each strategy drew in them</h2>
<p>The system peak of each month June–September is taken after the fact as the hottest weekday interval between
{ws}:00 and {we}:00 (ERCOT's load data is not in the shipped history; see docs/site.md). A strategy is warned
when an interval in that window is within {margin} °C of the month's hottest so far and at least {floor} °C.</p>
{cp_svg}{cp_table}
<h2>Forecast and capacity plan</h2>{fc_table}<p>{plan_text}</p>
<h2>Invoices per customer (hybrid)</h2>{inv_table}
<p>Events of the hybrid run: {events}.</p>
<p>Who paid for curtailment (first episodes): {paid}</p>
<h2 class=\"pending\">A day at request level — not built yet</h2>
<p class=\"pending\">This section is reserved for the request-level serving model (<code>hcpcore::sim::serve</code>, issue #12),
which is being built on another branch. When it lands, a sampled day is replayed request by request and shown here
(latency percentiles, batch size, power per GPU) beside the aggregate model, with their agreement on tokens served and
energy. Until then every figure above comes from the aggregate model.</p>",
        name = escape(&cfg.name),
        n = first.len(),
        dt = cfg.tick_seconds,
        start = iso(first.time_unix[0]),
        end = iso(*first.time_unix.last().unwrap_or(&0)),
        sm = escape(site.serving_models().first().map_or("none", |m| m.name())),
        secs = total.as_secs_f64(),
        verdict = escape(&verdict),
        tbl = table(&header, &rows),
        ws = cfg.tariff.four_cp.as_ref().map_or(0, |c| c.window_start_hour),
        we = cfg.tariff.four_cp.as_ref().map_or(0, |c| c.window_end_hour),
        margin = cfg.tariff.four_cp.as_ref().map_or(0.0, |c| c.alert_margin_c),
        floor = cfg.tariff.four_cp.as_ref().map_or(0.0, |c| c.alert_floor_c),
        events = escape(&events_line.join(", ")),
        paid = escape(&curtail_paid.join(" | ")),
        plan_text = escape(&plan_text),
    );
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&args.out, page(&format!("hcp site replay — {}", cfg.name), &body))
        .map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!();
    let per: Vec<String> = results.iter().map(|(n, _, s)| format!("{n} {s:.1} s")).collect();
    println!(
        "report: {} (load {:.1} s, strategies {} , total {:.1} s)",
        args.out.display(),
        loaded.as_secs_f64(),
        per.join(", "),
        total.as_secs_f64()
    );
    let _ = replayed;
    Ok(())
}

/// Grouped bars: each strategy's load in each month's 4CP interval.
fn four_cp_bars(results: &[(String, RunResult, f64)], cap_kw: f64) -> String {
    let months: Vec<i64> = results[0].1.four_cp.iter().map(|f| f.time_unix).collect();
    if months.is_empty() {
        return String::new();
    }
    let (w, h, left, top, bottom) = (960.0, 260.0, 70.0, 30.0, 40.0);
    let plot_h = h - top - bottom;
    let group_w = (w - left - 20.0) / months.len() as f64;
    let bar_w = group_w * 0.8 / results.len() as f64;
    let y = |kw: f64| top + plot_h * (1.0 - (kw / cap_kw).clamp(0.0, 1.0));
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="4CP"><text x="{left}" y="18" class="title">Site load in each month's 4CP interval, by strategy (kW; the charge is proportional)</text>"#
    );
    for frac in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let yy = y(cap_kw * frac);
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="tick">{v:.0}</text>"##,
            x2 = w - 20.0,
            tx = left - 6.0,
            ty = yy + 4.0,
            v = cap_kw * frac
        );
    }
    for (g, t) in months.iter().enumerate() {
        let gx = left + g as f64 * group_w + group_w * 0.1;
        for (k, (name, r, _)) in results.iter().enumerate() {
            let kw = r.four_cp.iter().find(|f| f.time_unix == *t).map_or(0.0, |f| f.site_kw);
            let x = gx + k as f64 * bar_w;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{yy:.1}" width="{bw:.1}" height="{hh:.1}" fill="{c}"><title>{name}: {kw:.0} kW</title></rect>"#,
                yy = y(kw),
                bw = bar_w * 0.9,
                hh = top + plot_h - y(kw),
                c = COLORS[k % COLORS.len()]
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{cx:.1}" y="{ty}" text-anchor="middle" class="tick">{label}</text>"#,
            cx = gx + group_w * 0.4,
            ty = h - bottom + 16.0,
            label = escape(&iso(*t))
        );
    }
    for (k, (name, _, _)) in results.iter().enumerate() {
        let lx = left + 10.0 + 150.0 * k as f64;
        let _ = write!(
            svg,
            r#"<rect x="{lx}" y="{ly}" width="12" height="8" fill="{c}"/><text x="{tx}" y="{ty}" class="tick">{n}</text>"#,
            ly = top + 4.0,
            c = COLORS[k % COLORS.len()],
            tx = lx + 16.0,
            ty = top + 12.0,
            n = escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn main() {
    if let Err(e) = run() {
        eprintln!("site-replay: {e}");
        std::process::exit(1);
    }
}
