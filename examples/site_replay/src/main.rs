//! `make demo`: replay real market history through a hybrid site and compare deciding every 15
//! minutes with running always on.
//!
//! ```text
//! site-replay [--config examples/site.json] [--data data/market] [--out out/site_report.html]
//! ```
//!
//! Reads the site from the config (see `examples/site.json`), the ERCOT HB_SOUTH 15-minute prices
//! and the daily Bitcoin / GPU markets from `--data` (alignment in `data.rs`), decides each
//! interval with `hcpcore::econ` (a `Decider` per device group, then `Site::plan_limited` under the
//! cap), prints a summary beside the always-on baseline and writes an offline HTML report.

mod data;
mod replay;
mod report;

use std::path::{Path, PathBuf};
use std::time::Instant;

use hcpcore::econ::{Catalog, DeviceGroup, DeviceKind, Site, SwitchPolicy, Terms};
use serde::Deserialize;

/// One line of the config's device list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceEntry {
    model: String,
    count: u32,
}

/// The site config (`examples/site.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteConfig {
    name: String,
    /// Facility (grid) power cap, kW.
    cap_kw: f64,
    pue: f64,
    /// Added to the wholesale price: transmission, distribution, retail margin, USD/kWh.
    adders_usd_per_kwh: f64,
    pool_fee: f64,
    gpu_utilisation: f64,
    #[serde(default = "default_gpu_index")]
    gpu_index: String,
    #[serde(default)]
    demand_response_usd_per_mwh: f64,
    devices: Vec<DeviceEntry>,
    #[serde(default)]
    switching: SwitchPolicy,
    /// Optional catalog JSON (relative to the config file) adding or replacing models.
    #[serde(default)]
    catalog_overrides: Option<String>,
}

fn default_gpu_index() -> String {
    "GIX-H100".into()
}

struct Args {
    config: PathBuf,
    data: PathBuf,
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
    let mut args = Args {
        config: default_path("examples/site.json"),
        data: default_path("data/market"),
        out: PathBuf::from("out/site_report.html"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "--config" => args.config = value("--config")?.into(),
            "--data" => args.data = value("--data")?.into(),
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

fn build_site(cfg: &SiteConfig, config_path: &Path) -> Result<Site, String> {
    let catalog = match &cfg.catalog_overrides {
        Some(rel) => {
            let path = config_path.parent().unwrap_or(Path::new(".")).join(rel);
            Catalog::builtin_with_overrides(&path).map_err(|e| e.to_string())?
        }
        None => Catalog::builtin(),
    };
    let mut groups = Vec::new();
    for d in &cfg.devices {
        groups.push(DeviceGroup { model: catalog.get(&d.model).map_err(|e| e.to_string())?.clone(), count: d.count });
    }
    let terms = Terms {
        pool_fee: cfg.pool_fee,
        pue: cfg.pue,
        gpu_utilisation: cfg.gpu_utilisation,
        tokens_per_second: None,
        demand_response_usd_per_mwh: cfg.demand_response_usd_per_mwh,
    };
    Site::new(groups, cfg.cap_kw, terms).map_err(|e| e.to_string())
}

fn run() -> Result<(), String> {
    let started = Instant::now();
    let args = parse_args()?;
    let text = std::fs::read_to_string(&args.config).map_err(|e| format!("{}: {e}", args.config.display()))?;
    let cfg: SiteConfig = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.config.display()))?;
    hcpcore::econ::SwitchPolicy::validated(cfg.switching).map_err(|e| format!("switching.{e}"))?;
    if !(cfg.adders_usd_per_kwh.is_finite() && cfg.adders_usd_per_kwh >= 0.0) {
        return Err(format!("adders_usd_per_kwh: must be finite and >= 0, got {}", cfg.adders_usd_per_kwh));
    }
    let site = build_site(&cfg, &args.config)?;
    let history = data::load(&args.data, &cfg.gpu_index)?;
    let loaded = started.elapsed();

    let replay = replay::run(&history, &site, cfg.switching, cfg.adders_usd_per_kwh).map_err(|e| e.to_string())?;
    let replayed = started.elapsed();

    // How the always-on baseline meets the cap.
    let terms = site.terms();
    let wanted_kw: f64 = site
        .groups()
        .iter()
        .map(|g| {
            let w = match g.model.kind {
                DeviceKind::Asic => g.model.power_watts,
                DeviceKind::Gpu => {
                    hcpcore::econ::gpu_serving_watts(&g.model, terms.gpu_utilisation).unwrap_or(g.model.power_watts)
                }
            };
            g.count as f64 * w * terms.pue / 1000.0
        })
        .sum();
    let mut notes = vec![
        format!(
            "Power cap {:.0} kW at the meter (device power × PUE {}). Every device running wants {:.0} kW, so the cap {}.",
            cfg.cap_kw,
            cfg.pue,
            wanted_kw,
            if wanted_kw > cfg.cap_kw { "binds" } else { "does not bind" }
        ),
        "Always on: every device runs whatever the price; where the cap cannot hold them all, GPUs are powered first and \
         miners (most TH per W first) fill the rest; the remainder sleep for lack of power, never on price."
            .to_string(),
        format!(
            "Deciding: a Decider per device group (switch {} s, wear ${}/switch, minimum dwell {} s, dwell waived for gains of at least {} $/h), \
             then Site::plan_limited shares the cap by value per kWh and curtails any use that loses money.",
            cfg.switching.switch_seconds,
            cfg.switching.wear_usd_per_switch,
            cfg.switching.min_dwell_seconds,
            cfg.switching.override_gain_usd_per_hour.map_or("never".to_string(), |g| g.to_string())
        ),
        format!(
            "Electricity = real-time price / 1000 + ${}/kWh adders. {} intervals had a negative wholesale price; {} of them were \
             negative all-in and were floored at $0/kWh (hcpcore::econ::Market refuses negative prices).",
            cfg.adders_usd_per_kwh, replay.negative_intervals, replay.floored_intervals
        ),
        format!(
            "Market data: daily BTC close, difficulty by date, fees interpolated between 4-day samples ÷ {} blocks/day, \
             GPU rental from the weekly {} index ({} of hours billed), withheld weeks forward-filled.",
            data::BLOCKS_PER_DAY,
            cfg.gpu_index,
            cfg.gpu_utilisation
        ),
    ];
    for (name, be) in &replay.mean_breakeven_usd_per_kwh {
        notes.push(format!("{name} break-even electricity, mean over the replay: ${be:.4}/kWh all-in."));
    }

    let rows = report::summary_rows(&replay.decide, &replay.always_on);
    println!("hcp site replay: {}", cfg.name);
    println!(
        "{} intervals ({} to {}), {} device groups, cap {:.0} kW",
        history.intervals.len(),
        history.intervals.first().map(|i| i.stamp.as_str()).unwrap_or(""),
        history.intervals.last().map(|i| i.stamp.as_str()).unwrap_or(""),
        site.groups().len(),
        cfg.cap_kw
    );
    println!();
    println!("{:<40} {:>18} {:>18}", "", "deciding", "always on");
    for (label, a, b) in &rows {
        println!("{label:<40} {a:>18} {b:>18}");
    }
    println!(
        "{:<40} {:>18}",
        "Value of deciding",
        format!("${}", report::group_thousands(replay.decide.profit_usd() - replay.always_on.profit_usd()))
    );
    println!();
    for n in &notes {
        println!("- {n}");
    }

    let html = report::html(
        &replay,
        &report::ReportContext {
            site_name: &cfg.name,
            cap_kw: cfg.cap_kw,
            adders_usd_per_kwh: cfg.adders_usd_per_kwh,
            rows: &rows,
            notes: &notes,
        },
    );
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&args.out, html).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!();
    println!(
        "report: {} (load {:.0} ms, replay {:.0} ms, total {:.0} ms)",
        args.out.display(),
        loaded.as_secs_f64() * 1e3,
        (replayed - loaded).as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("site-replay: {e}");
        std::process::exit(1);
    }
}
