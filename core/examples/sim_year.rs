//! Times a fleet of N devices at 1-minute steps over D days and extrapolates to a year.
//!
//! `cargo run -p hcpcore --release --example sim_year -- 100000 7 [threads]`
//! (a full year: `-- 100000 365`; threads settling shares, default 1).

use std::time::Instant;

use hcpcore::sim::{Command, Fleet, FleetConfig, MarketSource, ModelSpec, PowerMode, SyntheticConfig, SyntheticMarket};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let devices: u32 = args.get(1).map_or(Ok(100_000), |s| s.parse())?;
    let days: f64 = args.get(2).map_or(Ok(7.0), |s| s.parse())?;
    let threads: u32 = args.get(3).map_or(Ok(1), |s| s.parse())?;
    let config = FleetConfig { dt_seconds: 60.0, seed: 1, keep_events: false, threads, ..Default::default() };
    let mut fleet = Fleet::new(config)?;
    let gpus = devices / 5;
    fleet.add_many("sxm", gpus, "S21", devices - gpus)?;
    fleet.set_market(MarketSource::Synthetic(Box::new(SyntheticMarket::new(SyntheticConfig::default(), 2)?)));
    let model = ModelSpec::new(8.03e9, 2.0)?;
    for g in 0..gpus as i64 {
        fleet.command(g, Command::Serve { model, batch: 1 << (g % 8) })?;
    }
    for m in (gpus as i64..devices as i64).step_by(10) {
        fleet.command(m, Command::Mine { mode: PowerMode::Low })?;
    }
    let steps = (days * 1440.0).round() as u64;
    let start = Instant::now();
    fleet.run(steps)?;
    let secs = start.elapsed().as_secs_f64();
    let rate = steps as f64 * devices as f64 / secs;
    let year = 525_600.0 * devices as f64 / rate;
    let s = fleet.summary();
    println!(
        "{devices} devices ({gpus} H100 SXM serving, {} S21), {steps} one-minute steps ({days} days), {threads} thread(s)",
        devices - gpus
    );
    println!("measured: {secs:.2} s, {:.1} million device-steps/s", rate / 1e6);
    println!(
        "a year (525,600 steps): {year:.0} s = {:.1} min{}",
        year / 60.0,
        if days < 365.0 { " (extrapolated)" } else { "" }
    );
    println!(
        "summary: {:.0} MWh, ${:.0} energy, ${:.0} mining, ${:.0} GPU rental, {} events",
        s.energy_kwh / 1000.0,
        s.energy_cost_usd,
        s.mining_revenue_usd,
        s.gpu_revenue_usd,
        s.events
    );
    Ok(())
}
