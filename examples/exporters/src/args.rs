//! Command-line flags of `hcp-exporters` (`--name value` or `--name=value`).

use std::net::IpAddr;

pub const USAGE: &str = "\
hcp-exporters: a simulated fleet of H100 GPUs and Antminers served as the tools expect them

  --listen ADDR              address every server binds (default 127.0.0.1)
  --dcgm-port PORT           dcgm-exporter-compatible /metrics (default 9400; 0 = any free port)
  --miner-metrics-port PORT  miner /metrics (default 9401; 0 = any free port)
  --cgminer-base-port PORT   cgminer API of the first miner; miner i listens on PORT+i
                             (default 4028; 0 = a free port for each miner)
  --web-base-port PORT       web interface (/cgi-bin/*.cgi) of the first miner; miner i on
                             PORT+i (default 8028; 0 = a free port for each miner)
  --miners N                 simulated miners (default 4)
  --gpus N                   simulated GPUs (default 8)
  --miner-model NAME         S21, S21 Pro, S21 XP, S21 Hydro, S19 XP (default S21)
  --gpu-variant NAME         sxm or pcie (default sxm)
  --hostname NAME            host name in labels; miners are NAME-<id> (default hcp-sim)
  --seed N                   seed of every random process (default 1)
  --dt-seconds S             simulation step (default 5)
  --speed X                  simulated seconds per wall-clock second (default 1; 0 = frozen)
  --warmup-seconds S         simulated before serving, so counters are not all zero (default 600)
  --help                     this text";

/// Parsed flags.
#[derive(Debug, Clone)]
pub struct Args {
    pub listen: IpAddr,
    pub dcgm_port: u16,
    pub miner_metrics_port: u16,
    pub cgminer_base_port: u16,
    pub web_base_port: u16,
    pub miners: u32,
    pub gpus: u32,
    pub miner_model: String,
    pub gpu_variant: String,
    pub hostname: String,
    pub seed: u64,
    pub dt_seconds: f64,
    pub speed: f64,
    pub warmup_seconds: f64,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            listen: IpAddr::from([127, 0, 0, 1]),
            dcgm_port: 9400,
            miner_metrics_port: 9401,
            cgminer_base_port: 4028,
            web_base_port: 8028,
            miners: 4,
            gpus: 8,
            miner_model: "S21".into(),
            gpu_variant: "sxm".into(),
            hostname: "hcp-sim".into(),
            seed: 1,
            dt_seconds: 5.0,
            speed: 1.0,
            warmup_seconds: 600.0,
        }
    }
}

/// What the command line asks for.
pub enum Parsed {
    Run(Args),
    Help,
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: not a valid value: {value:?}"))
}

fn finite(flag: &str, value: &str, min: f64) -> Result<f64, String> {
    let x: f64 = number(flag, value)?;
    if !x.is_finite() || x < min {
        return Err(format!("{flag}: must be a finite number >= {min}, got {value:?}"));
    }
    Ok(x)
}

/// Parses the flags after the program name.
pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut a = Args::default();
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(Parsed::Help);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if !flag.starts_with("--") {
            return Err(format!("unexpected argument {arg:?}"));
        }
        let value = match inline {
            Some(v) => v,
            None => it.next().ok_or_else(|| format!("{flag}: missing value"))?,
        };
        let v = value.as_str();
        match flag.as_str() {
            "--listen" => a.listen = number(&flag, v)?,
            "--dcgm-port" => a.dcgm_port = number(&flag, v)?,
            "--miner-metrics-port" => a.miner_metrics_port = number(&flag, v)?,
            "--cgminer-base-port" => a.cgminer_base_port = number(&flag, v)?,
            "--web-base-port" => a.web_base_port = number(&flag, v)?,
            "--miners" => a.miners = number(&flag, v)?,
            "--gpus" => a.gpus = number(&flag, v)?,
            "--miner-model" => a.miner_model = value,
            "--gpu-variant" => a.gpu_variant = value,
            "--hostname" => a.hostname = value,
            "--seed" => a.seed = number(&flag, v)?,
            "--dt-seconds" => a.dt_seconds = finite(&flag, v, 0.0)?,
            "--speed" => a.speed = finite(&flag, v, 0.0)?,
            "--warmup-seconds" => a.warmup_seconds = finite(&flag, v, 0.0)?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    for (flag, base) in [("--cgminer-base-port", a.cgminer_base_port), ("--web-base-port", a.web_base_port)] {
        if base != 0 && base as u32 + a.miners.saturating_sub(1) > u16::MAX as u32 {
            return Err(format!("{flag} {base} + {} miners runs past port 65535", a.miners));
        }
    }
    if a.miners > 1000 {
        return Err("--miners: at most 1000 (one listening port each)".into());
    }
    Ok(Parsed::Run(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Args, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Parsed::Run(a) => Ok(a),
            Parsed::Help => Err("help".into()),
        }
    }

    #[test]
    fn flags_parse_and_bad_ones_are_named() {
        let a = run(&["--dcgm-port", "0", "--miners=2", "--speed", "60"]).unwrap();
        assert_eq!((a.dcgm_port, a.miners, a.speed, a.miner_metrics_port), (0, 2, 60.0, 9401));
        assert!(run(&["--dcgm-port", "70000"]).unwrap_err().contains("--dcgm-port"));
        assert!(run(&["--speed", "NaN"]).unwrap_err().contains("--speed"));
        assert!(run(&["--speed", "-1"]).unwrap_err().contains("--speed"));
        assert!(run(&["--bogus", "1"]).unwrap_err().contains("--bogus"));
        assert!(run(&["--miners"]).unwrap_err().contains("missing value"));
        assert!(run(&["--cgminer-base-port", "65535", "--miners", "2"]).is_err());
        assert!(matches!(parse(["--help".to_string()]), Ok(Parsed::Help)));
    }
}
