//! The device model catalog as data: nameplate figures of the ASICs and GPUs hcp knows, from the
//! vendors' published specs (see `data/README.md`). Overridable from JSON with
//! [`Catalog::from_json`] / [`Catalog::merge_json`].

use serde::{Deserialize, Serialize};

use crate::error::check;
use crate::limits as L;
use crate::{Error, Result};

/// What a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A Bitcoin-mining ASIC.
    Asic,
    /// An AI-inference GPU.
    Gpu,
}

impl DeviceKind {
    /// `"asic"` or `"gpu"`.
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Asic => "asic",
            DeviceKind::Gpu => "gpu",
        }
    }

    /// Parses `"asic"` / `"gpu"`.
    pub fn parse(s: &str) -> Result<DeviceKind> {
        match s {
            "asic" => Ok(DeviceKind::Asic),
            "gpu" => Ok(DeviceKind::Gpu),
            other => Err(Error::invalid_input("kind", format!("must be \"asic\" or \"gpu\", got {other:?}"))),
        }
    }
}

/// Nameplate figures of one device model. ASIC fields are zero for GPUs and vice versa.
///
/// ```
/// let s21 = hcpcore::econ::models::S21();
/// assert_eq!(s21.joules_per_th(), 17.5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceModel {
    /// Catalog name, e.g. `"S21"`, `"H100_SXM"`.
    pub name: String,
    /// ASIC or GPU.
    pub kind: DeviceKind,
    /// Power at nominal full use (ASIC hashing at stock, GPU at TDP), W.
    pub power_watts: f64,
    /// Power powered on but doing nothing useful, W.
    pub idle_watts: f64,
    /// Power while curtailed (ASIC sleep, GPU parked), W.
    pub sleep_watts: f64,
    /// Nominal hashrate, TH/s (ASIC only).
    #[serde(default)]
    pub hashrate_ths: f64,
    /// GPU memory, GB (GPU only).
    #[serde(default)]
    pub gpu_memory_gb: f64,
}

impl DeviceModel {
    /// Efficiency in J/TH (`power_watts / hashrate_ths`); 0 for a GPU.
    pub fn joules_per_th(&self) -> f64 {
        if self.hashrate_ths > 0.0 {
            self.power_watts / self.hashrate_ths
        } else {
            0.0
        }
    }

    /// An ASIC given by hashrate and efficiency (J/TH), e.g. for a what-if on a future model.
    ///
    /// ```
    /// let m = hcpcore::econ::DeviceModel::asic("X", 300.0, 12.0).unwrap();
    /// assert_eq!(m.power_watts, 3600.0);
    /// assert!(hcpcore::econ::DeviceModel::asic("Y", 300.0, 0.0).is_err());
    /// ```
    pub fn asic(name: &str, hashrate_ths: f64, joules_per_th: f64) -> Result<DeviceModel> {
        let ths = check::positive("hashrate_ths", hashrate_ths)?;
        let jth = check::positive("joules_per_th", joules_per_th)?;
        DeviceModel {
            name: name.to_string(),
            kind: DeviceKind::Asic,
            power_watts: ths * jth,
            idle_watts: 0.05 * ths * jth,
            sleep_watts: 25.0,
            hashrate_ths: ths,
            gpu_memory_gb: 0.0,
        }
        .validated()
    }

    /// Checks every field; an ASIC needs a hashrate, a GPU memory.
    pub fn validated(self) -> Result<DeviceModel> {
        if self.name.is_empty() {
            return Err(Error::invalid_input("name", "must not be empty"));
        }
        check::in_range("power_watts", self.power_watts, L::MIN_POWER_WATTS, L::MAX_POWER_WATTS)?;
        check::in_range("idle_watts", self.idle_watts, 0.0, L::MAX_POWER_WATTS)?;
        check::in_range("sleep_watts", self.sleep_watts, 0.0, L::MAX_POWER_WATTS)?;
        check::in_range("hashrate_ths", self.hashrate_ths, 0.0, L::MAX_HASHRATE_THS)?;
        check::in_range("gpu_memory_gb", self.gpu_memory_gb, 0.0, 4_000_000.0)?;
        match self.kind {
            DeviceKind::Asic => {
                check::in_range("hashrate_ths", self.hashrate_ths, 1e-6, L::MAX_HASHRATE_THS)?;
            }
            DeviceKind::Gpu => {
                check::positive("gpu_memory_gb", self.gpu_memory_gb)?;
            }
        }
        Ok(self)
    }
}

fn asic(name: &str, ths: f64, watts: f64) -> DeviceModel {
    DeviceModel {
        name: name.into(),
        kind: DeviceKind::Asic,
        power_watts: watts,
        // Control board and fans keep running when an ASIC idles with hashing stopped.
        idle_watts: (watts * 0.05).round(),
        // LuxOS-style sleep: ~25 W (data/README.md).
        sleep_watts: 25.0,
        hashrate_ths: ths,
        gpu_memory_gb: 0.0,
    }
}

/// Antminer S21: 200 TH/s at 17.5 J/TH (3,500 W).
#[allow(non_snake_case)]
pub fn S21() -> DeviceModel {
    asic("S21", 200.0, 3500.0)
}
/// Antminer S21 Pro: 234 TH/s at 15 J/TH (3,510 W).
#[allow(non_snake_case)]
pub fn S21_PRO() -> DeviceModel {
    asic("S21_PRO", 234.0, 3510.0)
}
/// Antminer S21 XP: 270 TH/s at 13.5 J/TH (3,645 W).
#[allow(non_snake_case)]
pub fn S21_XP() -> DeviceModel {
    asic("S21_XP", 270.0, 3645.0)
}
/// Antminer S21 Hydro: 335 TH/s at 16 J/TH (5,360 W).
#[allow(non_snake_case)]
pub fn S21_HYDRO() -> DeviceModel {
    asic("S21_HYDRO", 335.0, 5360.0)
}
/// Antminer S19 XP: 140 TH/s, 3,010 W (21.5 J/TH).
#[allow(non_snake_case)]
pub fn S19_XP() -> DeviceModel {
    asic("S19_XP", 140.0, 3010.0)
}
/// NVIDIA H100 SXM 80 GB: 700 W TDP; idles at ~125 W in P0 (measured, `calibration/`).
#[allow(non_snake_case)]
pub fn H100_SXM() -> DeviceModel {
    DeviceModel {
        name: "H100_SXM".into(),
        kind: DeviceKind::Gpu,
        power_watts: 700.0,
        idle_watts: 125.0,
        sleep_watts: 70.0,
        hashrate_ths: 0.0,
        gpu_memory_gb: 80.0,
    }
}
/// NVIDIA H100 PCIe 80 GB: 350 W TDP.
#[allow(non_snake_case)]
pub fn H100_PCIE() -> DeviceModel {
    DeviceModel {
        name: "H100_PCIE".into(),
        kind: DeviceKind::Gpu,
        power_watts: 350.0,
        idle_watts: 60.0,
        sleep_watts: 40.0,
        hashrate_ths: 0.0,
        gpu_memory_gb: 80.0,
    }
}

/// A set of models by name. [`Catalog::builtin`] holds the seven above; a JSON file can replace
/// or add entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    models: Vec<DeviceModel>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::builtin()
    }
}

impl Catalog {
    /// S21, S21 Pro, S21 XP, S21 Hydro, S19 XP, H100 SXM, H100 PCIe.
    pub fn builtin() -> Catalog {
        Catalog { models: vec![S21(), S21_PRO(), S21_XP(), S21_HYDRO(), S19_XP(), H100_SXM(), H100_PCIE()] }
    }

    /// The model with this name. Names match case-insensitively, and `-`, ` ` and `_` are the
    /// same, so `"S21 XP"`, `"s21-xp"` and `"S21_XP"` all find the S21 XP.
    ///
    /// ```
    /// let c = hcpcore::econ::models::Catalog::builtin();
    /// assert_eq!(c.get("s21 xp").unwrap().hashrate_ths, 270.0);
    /// assert_eq!(c.get("S9").unwrap_err().kind(), hcpcore::ErrorKind::InvalidInput);
    /// ```
    pub fn get(&self, name: &str) -> Result<&DeviceModel> {
        let key = normalise(name);
        self.models.iter().find(|m| normalise(&m.name) == key).ok_or_else(|| {
            let known: Vec<&str> = self.models.iter().map(|m| m.name.as_str()).collect();
            Error::invalid_input("model", format!("unknown model {name:?}; known: {}", known.join(", ")))
        })
    }

    /// All models, in catalog order.
    pub fn models(&self) -> &[DeviceModel] {
        &self.models
    }

    /// Adds or replaces (by name) a model after validating it.
    pub fn insert(&mut self, model: DeviceModel) -> Result<()> {
        let model = model.validated()?;
        let key = normalise(&model.name);
        match self.models.iter_mut().find(|m| normalise(&m.name) == key) {
            Some(slot) => *slot = model,
            None => self.models.push(model),
        }
        Ok(())
    }

    /// A catalog from JSON: `{"models": [DeviceModel, …]}`.
    pub fn from_json(json: &str) -> Result<Catalog> {
        let mut c = Catalog { models: Vec::new() };
        c.merge_json(json)?;
        Ok(c)
    }

    /// A catalog read from a JSON file (`{"models": [...]}`), replacing the built-in one. An
    /// unreadable file is `NotFound` (missing) or `Storage`; malformed content is `InvalidInput`.
    ///
    /// ```
    /// let e = hcpcore::econ::Catalog::from_path("/no/such/catalog.json").unwrap_err();
    /// assert_eq!(e.kind(), hcpcore::ErrorKind::NotFound);
    /// ```
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Catalog> {
        Catalog::from_json(&read_catalog_file(path.as_ref())?)
    }

    /// The built-in catalog with the models of a JSON file added or replaced (an override file
    /// need only list what it changes).
    pub fn builtin_with_overrides(path: impl AsRef<std::path::Path>) -> Result<Catalog> {
        let mut c = Catalog::builtin();
        c.merge_json(&read_catalog_file(path.as_ref())?)?;
        Ok(c)
    }

    /// Adds or replaces the models in a JSON document `{"models": [...]}`.
    pub fn merge_json(&mut self, json: &str) -> Result<()> {
        let parsed: Catalog =
            serde_json::from_str(json).map_err(|e| Error::invalid_input("catalog", format!("malformed JSON: {e}")))?;
        for m in parsed.models {
            self.insert(m)?;
        }
        Ok(())
    }
}

fn read_catalog_file(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::not_found("catalog file", path.display()),
        _ => Error::storage(format!("catalog file {}: {e}", path.display())),
    })
}

fn normalise(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).flat_map(char::to_lowercase).collect()
}

/// The built-in model with this name (see [`Catalog::get`]).
pub fn get(name: &str) -> Result<DeviceModel> {
    Catalog::builtin().get(name).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_figures_match_published_specs() {
        assert_eq!(S21().joules_per_th(), 17.5);
        assert_eq!(S21_PRO().joules_per_th(), 15.0);
        assert_eq!(S21_XP().joules_per_th(), 13.5);
        assert_eq!(S21_HYDRO().joules_per_th(), 16.0);
        assert!((S19_XP().joules_per_th() - 21.5).abs() < 1e-12);
        for m in Catalog::builtin().models() {
            m.clone().validated().unwrap();
        }
    }

    #[test]
    fn catalog_files_load_and_override() {
        let path = std::env::temp_dir().join(format!("hcp-catalog-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"models":[{"name":"S21","kind":"asic","power_watts":3300,"idle_watts":100,"sleep_watts":20,"hashrate_ths":200}]}"#).unwrap();
        let only = Catalog::from_path(&path).unwrap();
        assert_eq!(only.models().len(), 1);
        let merged = Catalog::builtin_with_overrides(&path).unwrap();
        assert_eq!(merged.models().len(), 7);
        assert_eq!(merged.get("s21").unwrap().power_watts, 3300.0);
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(Catalog::from_path(&path).unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn json_overrides_and_rejects_bad_models() {
        let mut c = Catalog::builtin();
        c.merge_json(r#"{"models":[{"name":"S21","kind":"asic","power_watts":3000,"idle_watts":100,"sleep_watts":20,"hashrate_ths":200}]}"#).unwrap();
        assert_eq!(c.get("S21").unwrap().power_watts, 3000.0);
        assert!(c.merge_json("{").is_err());
        let bad = r#"{"models":[{"name":"Z","kind":"asic","power_watts":3000,"idle_watts":1,"sleep_watts":1,"hashrate_ths":0}]}"#;
        assert_eq!(c.merge_json(bad).unwrap_err().kind(), crate::ErrorKind::InvalidInput);
    }
}
