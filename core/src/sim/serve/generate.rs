//! Request streams: the Azure LLM inference traces of 2023 (shipped in `data/demand/`, CC-BY 4.0,
//! Patel et al., "Splitwise", ISCA 2024), a stated rule to scale them to any mean rate and stretch
//! them over days with a diurnal and weekly profile, and seeded synthetic streams (Poisson or
//! bursty arrivals, prompt and output lengths from a stated distribution). All deterministic: the
//! trace rule draws nothing, the synthetic stream draws from `SimRng` seeded by the caller.

use serde::{Deserialize, Serialize};

use crate::error::check;
use crate::sim::rng::SimRng;
use crate::{Error, Result};

use super::config::MAX_REQUEST_TOKENS;
use super::requests::{Requests, MAX_REQUESTS};

const CONV_CSV: &str = include_str!("../../../data/demand/azure_llm_inference_2023_conv.csv");
const CODE_CSV: &str = include_str!("../../../data/demand/azure_llm_inference_2023_code.csv");

/// Which Azure trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AzureTrace {
    /// Conversational service: 19,366 requests in an hour (≈ 5.5/s), prompt median 1,020 tokens,
    /// output median 129.
    Conv,
    /// Code completion: 8,819 requests in the same hour (≈ 2.5/s), prompt median 1,469, output
    /// median 13.
    Code,
}

impl AzureTrace {
    /// Parses `"conv"` or `"code"`.
    pub fn parse(s: &str) -> Result<AzureTrace> {
        match s {
            "conv" | "conversation" => Ok(AzureTrace::Conv),
            "code" => Ok(AzureTrace::Code),
            other => Err(Error::invalid_input("trace", format!("must be \"conv\" or \"code\", got {other:?}"))),
        }
    }
}

/// Days from 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2023-11-16 18:15:46.6805900` as seconds since the epoch.
fn parse_timestamp(s: &str) -> Option<f64> {
    let (date, time) = s.trim().split_once(' ')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (h, mi, sec) = (t.next()?.parse::<f64>().ok()?, t.next()?.parse::<f64>().ok()?, t.next()?.parse::<f64>().ok()?);
    Some(days_from_civil(y, m, day) as f64 * 86_400.0 + h * 3600.0 + mi * 60.0 + sec)
}

/// Parses a trace CSV (`TIMESTAMP,ContextTokens,GeneratedTokens`); arrivals in seconds from the
/// first request. A bad line is `InvalidInput` naming `name` and the line.
pub fn parse_trace_csv(name: &str, text: &str) -> Result<Requests> {
    let mut out = Requests::default();
    let mut first = None;
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| Error::invalid_input("trace", format!("{name}:{}: {what}", i + 1));
        let mut f = line.split(',');
        let t = f.next().and_then(parse_timestamp).ok_or_else(|| bad("TIMESTAMP"))?;
        let p: i64 = f.next().and_then(|x| x.trim().parse().ok()).ok_or_else(|| bad("ContextTokens"))?;
        let o: i64 = f.next().and_then(|x| x.trim().parse().ok()).ok_or_else(|| bad("GeneratedTokens"))?;
        let t0 = *first.get_or_insert(t);
        out.arrival_seconds.push(t - t0);
        out.prompt_tokens.push(p);
        out.output_tokens.push(o);
    }
    Ok(out)
}

/// The shipped Azure trace: arrivals (s from its first request), prompt and output tokens.
///
/// ```
/// let t = hcpcore::sim::serve::azure_trace(hcpcore::sim::serve::AzureTrace::Conv);
/// assert_eq!(t.len(), 19_366);
/// assert_eq!(t.arrival_seconds[0], 0.0);
/// ```
pub fn azure_trace(which: AzureTrace) -> Requests {
    let (name, text) = match which {
        AzureTrace::Conv => ("azure_llm_inference_2023_conv.csv", CONV_CSV),
        AzureTrace::Code => ("azure_llm_inference_2023_code.csv", CODE_CSV),
    };
    // The shipped files are checked by the tests; a parse failure here is a build defect.
    parse_trace_csv(name, text).unwrap_or_default()
}

/// How a trace is scaled and stretched ([`scale_trace`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScaleRule {
    /// Mean arrival rate over the whole output, requests/s.
    pub mean_rate_per_second: f64,
    /// Length of the output, s.
    pub duration_seconds: f64,
    /// Relative swing of the daily cycle: the rate is `1 ± amplitude` times its daily mean.
    pub diurnal_amplitude: f64,
    /// Hour of the day (0–24, from the output's time 0) with the highest rate.
    pub peak_hour: f64,
    /// Weekend rate as a share of the weekday rate (1: no weekly cycle).
    pub weekend_factor: f64,
    /// Day of the week of time 0 (0 = Monday … 6 = Sunday); days 5 and 6 are the weekend.
    pub start_weekday: u32,
}

impl Default for ScaleRule {
    fn default() -> Self {
        ScaleRule {
            mean_rate_per_second: 5.0,
            duration_seconds: 3600.0,
            diurnal_amplitude: 0.0,
            peak_hour: 14.0,
            weekend_factor: 1.0,
            start_weekday: 0,
        }
    }
}

/// Scales and stretches a trace by a stated rule, drawing nothing:
///
/// 1. **Rate**: the trace's inter-arrival gaps are multiplied by `source rate / target rate`
///    (source rate = requests / span of the trace), so its mean rate becomes the target.
/// 2. **Length**: the rescaled trace is repeated end to end (each copy keeps its arrival
///    pattern and token sizes, the next copy starting one mean gap after the last arrival) until
///    `duration_seconds` is covered, and cut there.
/// 3. **Profile**: time is warped so the rate follows `shape(t) = (1 + a·cos(2π(h(t) − peak)/24))
///    · (weekend ? weekend_factor : 1)`, normalised to mean 1 over the output: an arrival at
///    uniform time `u` moves to `t = Λ⁻¹(u)` with `Λ(t) = ∫₀ᵗ shape / mean(shape)`. Order and
///    token sizes are kept; the mean rate stays the target.
///
/// ```
/// use hcpcore::sim::serve::{azure_trace, scale_trace, AzureTrace, ScaleRule};
/// let day = scale_trace(&azure_trace(AzureTrace::Conv), &ScaleRule {
///     mean_rate_per_second: 20.0, duration_seconds: 86_400.0, diurnal_amplitude: 0.5, ..ScaleRule::default()
/// }).unwrap();
/// assert!((day.len() as f64 / 86_400.0 - 20.0).abs() < 0.1);
/// ```
pub fn scale_trace(trace: &Requests, rule: &ScaleRule) -> Result<Requests> {
    trace.view().validate()?;
    let rate = check::positive("mean_rate_per_second", rule.mean_rate_per_second)?;
    let duration = check::positive("duration_seconds", rule.duration_seconds)?;
    check::in_range("diurnal_amplitude", rule.diurnal_amplitude, 0.0, 1.0)?;
    check::in_range("peak_hour", rule.peak_hour, 0.0, 24.0)?;
    check::in_range("weekend_factor", rule.weekend_factor, 0.0, 10.0)?;
    if rule.start_weekday > 6 {
        return Err(Error::invalid_input("start_weekday", format!("must be in 0..=6, got {}", rule.start_weekday)));
    }
    let expected = rate * duration;
    if expected > MAX_REQUESTS as f64 {
        return Err(Error::invalid_input(
            "mean_rate_per_second",
            format!("times duration_seconds gives {expected:.0} requests, more than {MAX_REQUESTS}"),
        ));
    }
    let n = trace.len();
    if n < 2 {
        return Err(Error::invalid_input("trace", "needs at least 2 requests"));
    }
    let t0 = trace.arrival_seconds[0];
    let span = trace.arrival_seconds[n - 1] - t0;
    if span <= 0.0 {
        return Err(Error::invalid_input("trace", "all arrivals at one instant: no rate to scale"));
    }
    let source_rate = (n - 1) as f64 / span;
    let k = source_rate / rate;
    let period = span * k + 1.0 / rate;
    // Profile: cumulative shape on a one-minute grid, normalised so Λ(duration) = duration.
    let grid = 60.0f64.min(duration / 16.0);
    let cells = (duration / grid).ceil() as usize;
    let shape = |t: f64| {
        let hour = (t / 3600.0).rem_euclid(24.0);
        let day = ((t / 86_400.0).floor() as i64 + i64::from(rule.start_weekday)).rem_euclid(7);
        let weekly = if day >= 5 { rule.weekend_factor } else { 1.0 };
        (1.0 + rule.diurnal_amplitude * (2.0 * std::f64::consts::PI * (hour - rule.peak_hour) / 24.0).cos()) * weekly
    };
    let mut cum = Vec::with_capacity(cells + 1);
    cum.push(0.0);
    for c in 0..cells {
        let (a, b) = (c as f64 * grid, ((c + 1) as f64 * grid).min(duration));
        let w = shape(0.5 * (a + b)) * (b - a);
        cum.push(cum[c] + w);
    }
    let total = cum[cells];
    if total <= 0.0 {
        return Err(Error::invalid_input("weekend_factor", "the profile has no weight (rate zero everywhere)"));
    }
    let scale = duration / total;
    let mut out = Requests::default();
    let mut cell = 0;
    'copies: for copy in 0.. {
        let base = copy as f64 * period;
        for i in 0..n {
            let u = base + (trace.arrival_seconds[i] - t0) * k;
            if u >= duration {
                break 'copies;
            }
            // Invert Λ: find the cell where the scaled cumulative weight passes u.
            while cell < cells && cum[cell + 1] * scale < u {
                cell += 1;
            }
            let (lo, hi) = (cum[cell] * scale, cum[cell.min(cells - 1) + 1] * scale);
            let frac = if hi > lo { ((u - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.0 };
            let t = ((cell as f64 + frac) * grid).min(duration);
            out.arrival_seconds.push(t);
            out.prompt_tokens.push(trace.prompt_tokens[i]);
            out.output_tokens.push(trace.output_tokens[i]);
        }
    }
    Ok(out)
}

/// A length distribution of prompt or output tokens (results clamped to `1..=max`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LengthDistribution {
    /// Always `tokens`.
    Fixed {
        /// Tokens.
        tokens: i64,
    },
    /// Uniform on `min..=max`.
    Uniform {
        /// Smallest.
        min: i64,
        /// Largest.
        max: i64,
    },
    /// Log-normal with the given median and log-space standard deviation, rounded.
    LogNormal {
        /// Median tokens.
        median: f64,
        /// Standard deviation of the natural logarithm.
        sigma: f64,
        /// Largest value kept (draws above are clamped).
        max: i64,
    },
}

impl LengthDistribution {
    fn validated(self, field: &str) -> Result<LengthDistribution> {
        let tokens = |f: &str, v: i64| {
            if (1..=MAX_REQUEST_TOKENS).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid_input(
                    &format!("{field}.{f}"),
                    format!("must be in 1..={MAX_REQUEST_TOKENS}, got {v}"),
                ))
            }
        };
        match self {
            LengthDistribution::Fixed { tokens: t } => tokens("tokens", t)?,
            LengthDistribution::Uniform { min, max } => {
                tokens("min", min)?;
                tokens("max", max)?;
                if max < min {
                    return Err(Error::invalid_input(&format!("{field}.max"), "must be >= min"));
                }
            }
            LengthDistribution::LogNormal { median, sigma, max } => {
                check::in_range(&format!("{field}.median"), median, 1.0, MAX_REQUEST_TOKENS as f64)?;
                check::in_range(&format!("{field}.sigma"), sigma, 0.0, 5.0)?;
                tokens("max", max)?;
            }
        }
        Ok(self)
    }

    fn draw(&self, rng: &mut SimRng) -> i64 {
        match *self {
            LengthDistribution::Fixed { tokens } => tokens,
            LengthDistribution::Uniform { min, max } => min + rng.below((max - min + 1) as u64) as i64,
            LengthDistribution::LogNormal { median, sigma, max } => {
                ((median.ln() + sigma * rng.normal()).exp().round() as i64).clamp(1, max)
            }
        }
    }
}

/// A seeded synthetic stream.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticStream {
    /// Mean arrival rate, requests/s.
    pub rate_per_second: f64,
    /// Requests to draw.
    pub requests: u64,
    /// Coefficient of variation of the inter-arrival gaps: 1 is Poisson (exponential gaps), above 1
    /// bursty (gamma gaps of shape `1/cv²`), below 1 more regular.
    pub burstiness: f64,
    /// Prompt tokens.
    pub prompt: LengthDistribution,
    /// Output tokens.
    pub output: LengthDistribution,
    /// Seed.
    pub seed: u64,
}

impl Default for SyntheticStream {
    /// Poisson at 5 requests/s with lengths shaped like the Azure conversational trace (log-normal
    /// fits of its prompt and output tokens).
    fn default() -> Self {
        SyntheticStream {
            rate_per_second: 5.0,
            requests: 1000,
            burstiness: 1.0,
            prompt: LengthDistribution::LogNormal { median: 1020.0, sigma: 0.8, max: 8192 },
            output: LengthDistribution::LogNormal { median: 129.0, sigma: 1.0, max: 2048 },
            seed: 0,
        }
    }
}

/// Gamma(shape, 1) by Marsaglia and Tsang (2000), boosted for shape < 1.
fn gamma(rng: &mut SimRng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u = rng.uniform_open0();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = rng.normal();
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = rng.uniform_open0();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// Draws a seeded synthetic stream: arrivals from 0 with gaps of mean `1/rate` (exponential, or
/// gamma with the stated coefficient of variation), lengths from the stated distributions.
///
/// ```
/// use hcpcore::sim::serve::{synthetic, SyntheticStream};
/// let s = synthetic(&SyntheticStream { requests: 100, seed: 7, ..SyntheticStream::default() }).unwrap();
/// assert_eq!(s, synthetic(&SyntheticStream { requests: 100, seed: 7, ..SyntheticStream::default() }).unwrap());
/// ```
pub fn synthetic(stream: &SyntheticStream) -> Result<Requests> {
    let rate = check::positive("rate_per_second", stream.rate_per_second)?;
    check::in_range("burstiness", stream.burstiness, 0.05, 20.0)?;
    let n = crate::limits::count("requests", i128::from(stream.requests), MAX_REQUESTS)?;
    let prompt = stream.prompt.validated("prompt")?;
    let output = stream.output.validated("output")?;
    let mut arrivals_rng = SimRng::new(stream.seed, 0xa1);
    let mut lengths_rng = SimRng::new(stream.seed, 0xa2);
    let shape = 1.0 / (stream.burstiness * stream.burstiness);
    let mut out = Requests {
        arrival_seconds: Vec::with_capacity(n),
        prompt_tokens: Vec::with_capacity(n),
        output_tokens: Vec::with_capacity(n),
    };
    let mut t = 0.0;
    for i in 0..n {
        if i > 0 {
            t += if stream.burstiness == 1.0 {
                arrivals_rng.exponential(1.0 / rate)
            } else {
                gamma(&mut arrivals_rng, shape) / (shape * rate)
            };
        }
        out.arrival_seconds.push(t);
        out.prompt_tokens.push(prompt.draw(&mut lengths_rng));
        out.output_tokens.push(output.draw(&mut lengths_rng));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_traces_parse_in_order() {
        for (which, n) in [(AzureTrace::Conv, 19_366), (AzureTrace::Code, 8_819)] {
            let t = azure_trace(which);
            assert_eq!(t.len(), n);
            t.view().validate().unwrap();
            assert!(t.arrival_seconds[n - 1] > 3000.0 && t.arrival_seconds[n - 1] < 3600.0);
        }
    }

    #[test]
    fn bursty_gaps_have_the_stated_variation() {
        let s = synthetic(&SyntheticStream {
            requests: 20_000,
            burstiness: 3.0,
            rate_per_second: 10.0,
            ..Default::default()
        })
        .unwrap();
        let gaps: Vec<f64> = s.arrival_seconds.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        assert!((mean - 0.1).abs() < 0.01, "{mean}");
        assert!((var.sqrt() / mean - 3.0).abs() < 0.3, "{}", var.sqrt() / mean);
    }

    #[test]
    fn the_diurnal_profile_moves_arrivals_to_the_peak() {
        let t = azure_trace(AzureTrace::Conv);
        let rule = ScaleRule {
            mean_rate_per_second: 2.0,
            duration_seconds: 86_400.0,
            diurnal_amplitude: 0.8,
            peak_hour: 14.0,
            ..Default::default()
        };
        let s = scale_trace(&t, &rule).unwrap();
        s.view().validate().unwrap();
        let in_hour =
            |h: f64| s.arrival_seconds.iter().filter(|&&x| x >= h * 3600.0 && x < (h + 1.0) * 3600.0).count() as f64;
        let (peak, trough) = (in_hour(14.0), in_hour(2.0));
        // Expected ratio (1 + 0.8·cos(π/24·1)…) ≈ 1.8 / 0.2 = 9 at the centres.
        assert!(peak / trough > 6.0, "{peak} {trough}");
        assert!((s.len() as f64 / 86_400.0 - 2.0).abs() < 0.05);
    }
}
