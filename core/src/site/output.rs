//! What a run produces: per-tick columns, events (alerts), invoices and a summary.

use std::collections::BTreeMap;

use crate::billing::Invoice;

/// Per-tick columns (one value per tick).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    /// Unix seconds of the tick start (market clock).
    pub time_unix: Vec<i64>,
    /// Real-time price, USD/MWh.
    pub price_usd_per_mwh: Vec<f64>,
    /// Mean facility power over the tick (what the meter settles), kW.
    pub meter_kw: Vec<f64>,
    /// Highest facility power within the tick, kW.
    pub peak_kw: Vec<f64>,
    /// Facility power of mining, kW (tick mean).
    pub mining_kw: Vec<f64>,
    /// … of realtime serving.
    pub serving_kw: Vec<f64>,
    /// … of batch and training jobs.
    pub jobs_kw: Vec<f64>,
    /// … of reserved GPUs.
    pub reserved_kw: Vec<f64>,
    /// … of GPUs switching between uses.
    pub switching_kw: Vec<f64>,
    /// … of idle, asleep and faulted GPUs.
    pub idle_kw: Vec<f64>,
    /// Mining revenue, USD.
    pub revenue_mining_usd: Vec<f64>,
    /// Token revenue, USD.
    pub revenue_tokens_usd: Vec<f64>,
    /// Batch and training GPU-hour revenue, USD.
    pub revenue_gpu_hours_usd: Vec<f64>,
    /// Reservation revenue, USD.
    pub revenue_reserved_usd: Vec<f64>,
    /// Demand-response credits and reserve payments, USD.
    pub revenue_demand_response_usd: Vec<f64>,
    /// Opportunity cost billed to tenants for watts borrowed from miners, USD.
    pub revenue_borrowed_power_usd: Vec<f64>,
    /// Energy cost, USD.
    pub energy_cost_usd: Vec<f64>,
    /// Switching wear, USD.
    pub switching_cost_usd: Vec<f64>,
    /// Miners hashing at the tick end.
    pub miners_hashing: Vec<u32>,
    /// Miners waking or going to sleep.
    pub miners_moving: Vec<u32>,
    /// Miners asleep.
    pub miners_sleeping: Vec<u32>,
    /// Mean power target of hashing miners relative to nominal.
    pub miner_power_ratio: Vec<f64>,
    /// GPUs serving endpoints.
    pub gpus_serving: Vec<u32>,
    /// GPUs on jobs.
    pub gpus_jobs: Vec<u32>,
    /// GPUs reserved.
    pub gpus_reserved: Vec<u32>,
    /// GPUs switching.
    pub gpus_switching: Vec<u32>,
    /// GPUs idle.
    pub gpus_idle: Vec<u32>,
    /// GPUs asleep.
    pub gpus_sleeping: Vec<u32>,
    /// GPUs faulted.
    pub gpus_faulted: Vec<u32>,
    /// Realtime requests arrived.
    pub requests: Vec<f64>,
    /// Fraction of them that met their TTFT objective.
    pub slo_attainment: Vec<f64>,
    /// Worst endpoint p99 TTFT, s.
    pub p99_ttft_seconds: Vec<f64>,
    /// GPUs the work wanted (SLO sizing + jobs at full speed + reservations).
    pub gpus_wanted: Vec<u32>,
    /// Whether the tick was flagged a probable 4CP interval.
    pub four_cp_probable: Vec<bool>,
}

impl Columns {
    /// Number of ticks.
    pub fn len(&self) -> usize {
        self.time_unix.len()
    }
    /// Whether there are no ticks.
    pub fn is_empty(&self) -> bool {
        self.time_unix.is_empty()
    }

    /// The float columns by name (for dataframes).
    pub fn float_columns(&self) -> Vec<(&'static str, &Vec<f64>)> {
        vec![
            ("price_usd_per_mwh", &self.price_usd_per_mwh),
            ("meter_kw", &self.meter_kw),
            ("peak_kw", &self.peak_kw),
            ("mining_kw", &self.mining_kw),
            ("serving_kw", &self.serving_kw),
            ("jobs_kw", &self.jobs_kw),
            ("reserved_kw", &self.reserved_kw),
            ("switching_kw", &self.switching_kw),
            ("idle_kw", &self.idle_kw),
            ("revenue_mining_usd", &self.revenue_mining_usd),
            ("revenue_tokens_usd", &self.revenue_tokens_usd),
            ("revenue_gpu_hours_usd", &self.revenue_gpu_hours_usd),
            ("revenue_reserved_usd", &self.revenue_reserved_usd),
            ("revenue_demand_response_usd", &self.revenue_demand_response_usd),
            ("revenue_borrowed_power_usd", &self.revenue_borrowed_power_usd),
            ("energy_cost_usd", &self.energy_cost_usd),
            ("switching_cost_usd", &self.switching_cost_usd),
            ("miner_power_ratio", &self.miner_power_ratio),
            ("requests", &self.requests),
            ("slo_attainment", &self.slo_attainment),
            ("p99_ttft_seconds", &self.p99_ttft_seconds),
        ]
    }

    /// The count columns by name.
    pub fn count_columns(&self) -> Vec<(&'static str, &Vec<u32>)> {
        vec![
            ("miners_hashing", &self.miners_hashing),
            ("miners_moving", &self.miners_moving),
            ("miners_sleeping", &self.miners_sleeping),
            ("gpus_serving", &self.gpus_serving),
            ("gpus_jobs", &self.gpus_jobs),
            ("gpus_reserved", &self.gpus_reserved),
            ("gpus_switching", &self.gpus_switching),
            ("gpus_idle", &self.gpus_idle),
            ("gpus_sleeping", &self.gpus_sleeping),
            ("gpus_faulted", &self.gpus_faulted),
            ("gpus_wanted", &self.gpus_wanted),
        ]
    }
}

/// An alert or notable change, as an event.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteEvent {
    /// Unix seconds.
    pub time_unix: i64,
    /// `slo_at_risk`, `slo_recovered`, `budget_threshold`, `thermal_limit`,
    /// `curtailment_started`, `curtailment_ended`, `probable_4cp`, `device_fault`, `dr_event`,
    /// `reserve_deployed`, `job_late`, `invoice_issued`.
    pub kind: &'static str,
    /// What it is about (endpoint, customer, device group, …).
    pub subject: String,
    /// Human-readable detail.
    pub detail: String,
}

/// One month's 4CP settlement.
#[derive(Debug, Clone, PartialEq)]
pub struct FourCpInterval {
    /// Unix seconds of the system-peak interval's start.
    pub time_unix: i64,
    /// Temperature then, °C.
    pub temperature_c: f64,
    /// Whether the strategy had been warned (probable 4CP flag on).
    pub flagged: bool,
    /// The site's mean facility load in it, kW.
    pub site_kw: f64,
    /// Charge, USD.
    pub charge_usd: f64,
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Strategy.
    pub strategy: String,
    /// Ticks run.
    pub ticks: usize,
    /// Hours run.
    pub hours: f64,
    /// Facility energy bought, MWh.
    pub energy_mwh: f64,
    /// BTC mined after the pool fee.
    pub btc_mined: f64,
    /// Mining revenue, USD.
    pub mining_revenue_usd: f64,
    /// Token revenue, USD.
    pub token_revenue_usd: f64,
    /// Batch and training revenue, USD.
    pub gpu_hour_revenue_usd: f64,
    /// Reservation revenue, USD.
    pub reserved_revenue_usd: f64,
    /// Demand-response credits and reserve payments, USD.
    pub demand_response_usd: f64,
    /// Opportunity cost billed to tenants, USD.
    pub borrowed_power_billed_usd: f64,
    /// Mining revenue displaced by GPU work (billed or absorbed), USD.
    pub borrowed_power_value_usd: f64,
    /// All revenue, USD.
    pub revenue_usd: f64,
    /// Energy cost, USD.
    pub energy_cost_usd: f64,
    /// 4CP transmission charges, USD.
    pub four_cp_charges_usd: f64,
    /// Switching wear, USD.
    pub switching_cost_usd: f64,
    /// Revenue − energy − 4CP − switching, USD.
    pub profit_usd: f64,
    /// Fraction of realtime requests meeting their TTFT objective.
    pub slo_attainment: f64,
    /// Request-weighted 99th percentile of the per-tick p99 TTFT (worst endpoint), s.
    pub p99_ttft_seconds: f64,
    /// Miner-hours not hashed (asleep or moving) plus hashing hours given up on the dial
    /// (miners × (1 − target/nominal)).
    pub curtailed_miner_hours: f64,
    /// Hours with any miner curtailed.
    pub hours_curtailed: f64,
    /// Device switches (miners and GPUs).
    pub device_switches: u64,
    /// Jobs submitted.
    pub jobs_submitted: u64,
    /// Jobs finished by their deadline.
    pub jobs_on_time: u64,
    /// GPU faults.
    pub gpu_faults: u64,
    /// Highest meter reading over a tick, kW.
    pub max_peak_kw: f64,
}

impl Summary {
    /// The figures by name (the Python `summary` dict).
    pub fn to_map(&self) -> BTreeMap<&'static str, f64> {
        BTreeMap::from([
            ("ticks", self.ticks as f64),
            ("hours", self.hours),
            ("energy_mwh", self.energy_mwh),
            ("btc_mined", self.btc_mined),
            ("mining_revenue_usd", self.mining_revenue_usd),
            ("token_revenue_usd", self.token_revenue_usd),
            ("gpu_hour_revenue_usd", self.gpu_hour_revenue_usd),
            ("reserved_revenue_usd", self.reserved_revenue_usd),
            ("demand_response_usd", self.demand_response_usd),
            ("borrowed_power_billed_usd", self.borrowed_power_billed_usd),
            ("borrowed_power_value_usd", self.borrowed_power_value_usd),
            ("revenue_usd", self.revenue_usd),
            ("energy_cost_usd", self.energy_cost_usd),
            ("four_cp_charges_usd", self.four_cp_charges_usd),
            ("switching_cost_usd", self.switching_cost_usd),
            ("profit_usd", self.profit_usd),
            ("slo_attainment", self.slo_attainment),
            ("p99_ttft_seconds", self.p99_ttft_seconds),
            ("curtailed_miner_hours", self.curtailed_miner_hours),
            ("hours_curtailed", self.hours_curtailed),
            ("device_switches", self.device_switches as f64),
            ("jobs_submitted", self.jobs_submitted as f64),
            ("jobs_on_time", self.jobs_on_time as f64),
            ("gpu_faults", self.gpu_faults as f64),
            ("max_peak_kw", self.max_peak_kw),
        ])
    }
}

/// Everything a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// Totals.
    pub summary: Summary,
    /// Per-tick columns.
    pub columns: Columns,
    /// Alerts and changes.
    pub events: Vec<SiteEvent>,
    /// Invoices issued, in order.
    pub invoices: Vec<Invoice>,
    /// 4CP settlements of the months run.
    pub four_cp: Vec<FourCpInterval>,
    /// The ledger the run wrote its usage events and invoices to.
    pub ledger: crate::billing::MemoryLedger,
    /// Usage events written, in total.
    pub usage_event_count: u64,
    /// Σ quantity per (customer, meter) from what the devices did.
    pub usage_totals: BTreeMap<(String, String), rust_decimal::Decimal>,
    /// Device energy per tick, J (before PUE) — for the energy invariant.
    pub device_energy_joules: Vec<f64>,
}
