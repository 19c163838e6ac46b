//! Prometheus text exposition as dcgm-exporter writes it, one series per simulated GPU: field
//! names, types and help texts of its `etc/default-counters.csv` (fields it lists only as comments
//! keep its help text too; `DCGM_FI_DEV_CLOCKS_EVENT_REASONS` and `DCGM_FI_DEV_POWER_MGMT_LIMIT`
//! are not in that file), and its labels in its order: `gpu`, `UUID`, `pci_bus_id`, `device`,
//! `modelName`, `Hostname`, then the `DCGM_FI_DRIVER_VERSION` label field, then on
//! `DCGM_FI_DEV_XID_ERRORS` the `err_code` and `err_msg` attributes (the last XID and its text).
//! `Hostname` is spelled as the 4.5.3-4.8.2 release writes it (later main-branch builds write
//! `hostname`).

use std::fmt::Write;

use super::xid::xid_text;
use super::{escape_label, splitmix64};
use crate::sim::fleet::GpuTelemetry;

/// The driver the simulated hosts report (`DCGM_FI_DRIVER_VERSION`): the R570 data-centre branch.
pub const DRIVER_VERSION: &str = "570.133.20";

/// Labels that identify a GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuLabels {
    /// `gpu` index.
    pub gpu: u32,
    /// `UUID` (`GPU-xxxxxxxx-…`).
    pub uuid: String,
    /// `pci_bus_id`.
    pub pci_bus_id: String,
    /// `device` (`nvidia0`).
    pub device: String,
    /// `modelName`.
    pub model_name: String,
    /// `Hostname`.
    pub hostname: String,
    /// `DCGM_FI_DRIVER_VERSION`.
    pub driver_version: String,
}

impl GpuLabels {
    /// Stable labels for GPU `index` of simulated host `hostname` (the UUID is derived from both).
    pub fn new(index: u32, model_name: &str, hostname: &str) -> GpuLabels {
        let h = hostname.bytes().fold(0xcbf2_9ce4_8422_2325u64, |a, b| (a ^ b as u64).wrapping_mul(0x100_0000_01b3));
        let a = splitmix64(h ^ index as u64);
        let b = splitmix64(a);
        GpuLabels {
            gpu: index % 8,
            uuid: format!(
                "GPU-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                a >> 32,
                (a >> 16) & 0xffff,
                a & 0xffff,
                b >> 48,
                b & 0xffff_ffff_ffff
            ),
            pci_bus_id: format!("00000000:{:02X}:00.0", 0x18 + (index % 8) * 0x10),
            device: format!("nvidia{}", index % 8),
            model_name: model_name.to_string(),
            hostname: hostname.to_string(),
            driver_version: DRIVER_VERSION.to_string(),
        }
    }

    /// These labels with another driver version.
    pub fn with_driver_version(mut self, driver_version: &str) -> GpuLabels {
        self.driver_version = driver_version.to_string();
        self
    }

    fn render(&self) -> String {
        format!(
            "gpu=\"{}\",UUID=\"{}\",pci_bus_id=\"{}\",device=\"{}\",modelName=\"{}\",Hostname=\"{}\",DCGM_FI_DRIVER_VERSION=\"{}\"",
            self.gpu,
            self.uuid,
            self.pci_bus_id,
            self.device,
            escape_label(&self.model_name),
            escape_label(&self.hostname),
            escape_label(&self.driver_version)
        )
    }
}

/// (field, type, help) of every series written.
pub const FIELDS: [(&str, &str, &str); 24] = [
    ("DCGM_FI_DEV_SM_CLOCK", "gauge", "SM clock frequency (in MHz)."),
    ("DCGM_FI_DEV_MEM_CLOCK", "gauge", "Memory clock frequency (in MHz)."),
    ("DCGM_FI_DEV_MEMORY_TEMP", "gauge", "Memory temperature (in C)."),
    ("DCGM_FI_DEV_GPU_TEMP", "gauge", "GPU temperature (in C)."),
    ("DCGM_FI_DEV_POWER_USAGE", "gauge", "Power draw (in W)."),
    ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "counter", "Total energy consumption since boot (in mJ)."),
    ("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "counter", "Total number of PCIe retries."),
    ("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %)."),
    ("DCGM_FI_DEV_MEM_COPY_UTIL", "gauge", "Memory utilization (in %)."),
    ("DCGM_FI_DEV_ENC_UTIL", "gauge", "Encoder utilization (in %)."),
    ("DCGM_FI_DEV_DEC_UTIL", "gauge", "Decoder utilization (in %)."),
    ("DCGM_FI_DEV_XID_ERRORS", "gauge", "Value of the last XID error encountered."),
    ("DCGM_FI_DEV_FB_FREE", "gauge", "Framebuffer memory free (in MiB)."),
    ("DCGM_FI_DEV_FB_USED", "gauge", "Framebuffer memory used (in MiB)."),
    ("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", "counter", "Total number of single-bit volatile ECC errors."),
    ("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "counter", "Total number of double-bit volatile ECC errors."),
    ("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "counter", "Number of remapped rows for uncorrectable errors"),
    ("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "counter", "Number of remapped rows for correctable errors"),
    ("DCGM_FI_DEV_ROW_REMAP_FAILURE", "gauge", "Whether remapping of rows has failed"),
    ("DCGM_FI_DEV_CLOCKS_EVENT_REASONS", "gauge", "Current clock event reasons (bitmask)."),
    ("DCGM_FI_DEV_POWER_MGMT_LIMIT", "gauge", "Current power limit for the device (in W)."),
    ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "gauge", "Ratio of time the graphics engine is active."),
    ("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "gauge", "Ratio of cycles the tensor (HMMA) pipe is active."),
    (
        "DCGM_FI_PROF_DRAM_ACTIVE",
        "gauge",
        "Ratio of cycles the device memory interface is active sending or receiving data.",
    ),
];

/// Index of `DCGM_FI_DEV_XID_ERRORS` in [`FIELDS`] (its samples carry `err_code`/`err_msg`).
const XID_FIELD: usize = 11;

/// Values of [`FIELDS`] for one GPU. The simulated card runs no video engines (encoder and
/// decoder idle), sees no PCIe retries, and remaps one row per uncorrectable ECC error.
fn values(t: &GpuTelemetry) -> [String; 24] {
    [
        format!("{}", t.sm_clock_mhz.round()),
        format!("{}", t.memory_clock_mhz.round()),
        format!("{}", t.memory_temp_c.round()),
        format!("{}", t.gpu_temp_c.round()),
        format!("{:.6}", t.power_watts),
        format!("{}", (t.energy_joules * 1000.0).round()),
        "0".into(),
        format!("{}", t.gpu_util_pct.round()),
        format!("{}", t.mem_copy_util_pct.round()),
        "0".into(),
        "0".into(),
        format!("{}", t.last_xid),
        format!("{}", t.fb_free_mib),
        format!("{}", t.fb_used_mib),
        format!("{}", t.ecc_sbe),
        format!("{}", t.ecc_dbe),
        format!("{}", t.ecc_dbe),
        "0".into(),
        "0".into(),
        format!("{}", t.clocks_event_reasons),
        format!("{:.6}", t.power_limit_watts),
        format!("{:.6}", t.gpu_util_pct / 100.0),
        format!("{:.6}", t.tensor_active),
        format!("{:.6}", t.dram_active),
    ]
}

/// The exposition for a set of GPUs: each field's `# HELP` / `# TYPE` once, then one sample per
/// GPU, as dcgm-exporter writes it; the XID series carries `err_code` and `err_msg`.
///
/// ```
/// use hcpcore::sim::{Fleet, FleetConfig};
/// use hcpcore::sim::telemetry::dcgm::{exposition, GpuLabels};
/// let mut fleet = Fleet::new(FleetConfig::default()).unwrap();
/// let id = fleet.add_gpu("sxm").unwrap();
/// fleet.step().unwrap();
/// let t = fleet.gpu_telemetry(id).unwrap();
/// let text = exposition(&[(GpuLabels::new(0, "NVIDIA H100 80GB HBM3", "sim-0"), t)]);
/// assert!(text.contains("# TYPE DCGM_FI_DEV_POWER_USAGE gauge"));
/// assert!(text.contains("DCGM_FI_DEV_GPU_TEMP{gpu=\"0\",UUID=\"GPU-"));
/// assert!(text.contains(",DCGM_FI_DRIVER_VERSION=\"570.133.20\",err_code=\"0\",err_msg=\"No Error\"} 0"));
/// ```
pub fn exposition(gpus: &[(GpuLabels, GpuTelemetry)]) -> String {
    let rendered: Vec<(String, u32, [String; 24])> =
        gpus.iter().map(|(l, t)| (l.render(), t.last_xid, values(t))).collect();
    let mut out = String::with_capacity(256 + gpus.len() * FIELDS.len() * 240);
    for (i, (name, kind, help)) in FIELDS.iter().enumerate() {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, xid, vals) in &rendered {
            if i == XID_FIELD {
                let msg = escape_label(xid_text(*xid));
                let _ = writeln!(out, "{name}{{{labels},err_code=\"{xid}\",err_msg=\"{msg}\"}} {}", vals[i]);
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {}", vals[i]);
            }
        }
    }
    out
}
