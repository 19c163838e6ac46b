//! `Server`, `azureTrace`, `scaleTrace`, `syntheticRequests`: JavaScript adapters over
//! `hcpcore::sim::serve`. Request columns arrive as Float64Arrays (or number arrays; token counts must
//! be whole numbers); per-request results leave as TypedArrays, the summary and options as plain
//! objects with camelCase keys. Conversion only: the serving model lives in core.

use hcpcore::sim::serve::{
    aggregate, azure_trace, kv_capacity_tokens, run, scale_trace, synthetic, AggregateLoad, AzureTrace, RequestColumns,
    Requests, ScaleRule, ServeConfig, ServeResult, SyntheticStream,
};
use hcpcore::sim::{GpuSpec, ModelSpec};
use napi::bindgen_prelude::{AsyncTask, Float64Array, Uint32Array, Uint8Array};
use napi::Either;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::args;
use crate::errors::{invalid_input, IntoJs, Result};
use crate::sim::{camel_keys, from_json, model_init, snake_keys, ModelSpecInit, H100};
use crate::tasks::Work;

/// A column given as a Float64Array or an array of numbers (at most `MAX_BATCH`, its length checked
/// before N-API allocates: a sparse `new Array(2 ** 32 - 1)` aborted; longer columns as a
/// Float64Array). Spelled out in signatures: napi-rs
/// writes a type alias into index.d.ts by name only).
type Column = Either<Float64Array, args::Vec<f64>>;

fn floats(c: &Column) -> &[f64] {
    match c {
        Either::A(a) => a,
        Either::B(v) => &v.0,
    }
}

/// Token counts: whole numbers, each checked (`promptTokens[3]: must be a whole number`).
fn tokens(c: &Column, field: &str) -> Result<Vec<i64>> {
    floats(c)
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            if x.is_finite() && x.fract() == 0.0 && x.abs() <= args::MAX_SAFE_INTEGER {
                Ok(x as i64)
            } else {
                Err(invalid_input(&format!("{field}[{i}]"), format!("must be a whole number, got {x}")))
            }
        })
        .collect()
}

/// Request columns converted and checked on the JS thread, owned so that a task can carry them.
struct Columns {
    arrival_seconds: Vec<f64>,
    prompt_tokens: Vec<i64>,
    output_tokens: Vec<i64>,
    priority: Option<Vec<i64>>,
    ttft_slo_seconds: Option<Vec<f64>>,
    tpot_slo_seconds: Option<Vec<f64>>,
    tenant: Option<Vec<i64>>,
}

impl Columns {
    fn new(arrival: &Column, prompt: &Column, output: &Column, options: Option<&RunOptions>) -> Result<Self> {
        let prompt_tokens = tokens(prompt, "promptTokens")?;
        let output_tokens = tokens(output, "outputTokens")?;
        let (priority, ttft_slo_seconds, tpot_slo_seconds, tenant) = match options {
            None => (None, None, None, None),
            Some(o) => (
                o.priority.as_ref().map(|c| tokens(c, "priority")).transpose()?,
                o.ttft_slo_seconds.as_ref().map(|c| floats(c).to_vec()),
                o.tpot_slo_seconds.as_ref().map(|c| floats(c).to_vec()),
                o.tenant.as_ref().map(|c| tokens(c, "tenant")).transpose()?,
            ),
        };
        let arrival_seconds = floats(arrival).to_vec();
        Ok(Columns {
            arrival_seconds,
            prompt_tokens,
            output_tokens,
            priority,
            ttft_slo_seconds,
            tpot_slo_seconds,
            tenant,
        })
    }

    fn borrow(&self) -> RequestColumns<'_> {
        RequestColumns {
            arrival_seconds: &self.arrival_seconds,
            prompt_tokens: &self.prompt_tokens,
            output_tokens: &self.output_tokens,
            priority: self.priority.as_deref(),
            ttft_slo_seconds: self.ttft_slo_seconds.as_deref(),
            tpot_slo_seconds: self.tpot_slo_seconds.as_deref(),
            tenant: self.tenant.as_deref(),
        }
    }
}

fn options(v: Option<args::Value>, what: &str) -> Result<Value> {
    Ok(snake_keys(v.map(|v| v.get(what)).transpose()?.unwrap_or_else(|| Value::Object(Map::new()))))
}

fn to_js<T: serde::Serialize>(v: &T) -> Result<Value> {
    Ok(camel_keys(crate::results::to_value("result", v)?))
}

/// Request columns: arrival times (s) and token counts as Float64Arrays.
#[napi(object)]
pub struct RequestArrays {
    pub arrival_seconds: Float64Array,
    pub prompt_tokens: Float64Array,
    pub output_tokens: Float64Array,
}

fn request_arrays(r: Requests) -> RequestArrays {
    let f = |v: Vec<i64>| Float64Array::new(v.into_iter().map(|x| x as f64).collect());
    RequestArrays {
        arrival_seconds: Float64Array::new(r.arrival_seconds),
        prompt_tokens: f(r.prompt_tokens),
        output_tokens: f(r.output_tokens),
    }
}

/// Per-replica series (replica-major rows).
#[napi(object)]
pub struct ServeSeries {
    pub time_seconds: Float64Array,
    pub replica: Uint32Array,
    pub batch_size: Float64Array,
    pub output_tokens_per_second: Float64Array,
    pub prefill_tokens_per_second: Float64Array,
    pub power_watts: Float64Array,
    pub energy_joules: Float64Array,
    pub kv_used_fraction: Float64Array,
}

/// A serving run: per-request columns in input order, the headline figures, the series, the
/// switches played and the full summary (with p50/p90/p99 of each latency).
#[napi(object)]
pub struct ServeRun {
    pub replica: Uint32Array,
    pub queue_seconds: Float64Array,
    pub ttft_seconds: Float64Array,
    pub tpot_seconds: Float64Array,
    #[napi(js_name = "e2eSeconds")]
    pub e2e_seconds: Float64Array,
    /// 1 where the request met its TTFT and TPOT objectives.
    pub slo_met: Uint8Array,
    pub preemptions: Uint32Array,
    pub requests: f64,
    pub duration_seconds: f64,
    pub output_tokens_per_second: f64,
    pub mean_power_watts: f64,
    pub energy_joules: f64,
    pub joules_per_output_token: f64,
    pub goodput_requests_per_second: f64,
    pub slo_attainment: f64,
    pub series: ServeSeries,
    pub switches: Value,
    pub summary: Value,
    /// Per-tenant totals (empty without a tenant column).
    pub tenants: Value,
}

fn serve_run(r: ServeResult) -> Result<ServeRun> {
    let s = r.summary;
    let summary = to_js(&s)?;
    let t = r.series;
    Ok(ServeRun {
        replica: Uint32Array::new(r.replica),
        queue_seconds: Float64Array::new(r.queue_seconds),
        ttft_seconds: Float64Array::new(r.ttft_seconds),
        tpot_seconds: Float64Array::new(r.tpot_seconds),
        e2e_seconds: Float64Array::new(r.e2e_seconds),
        slo_met: Uint8Array::new(r.slo_met.into_iter().map(u8::from).collect()),
        preemptions: Uint32Array::new(r.preemptions),
        requests: s.requests as f64,
        duration_seconds: s.duration_seconds,
        output_tokens_per_second: s.output_tokens_per_second,
        mean_power_watts: s.mean_power_watts,
        energy_joules: s.energy_joules,
        joules_per_output_token: s.joules_per_output_token,
        goodput_requests_per_second: s.goodput_requests_per_second,
        slo_attainment: s.slo_attainment,
        series: ServeSeries {
            time_seconds: Float64Array::new(t.time_seconds),
            replica: Uint32Array::new(t.replica),
            batch_size: Float64Array::new(t.batch_size),
            output_tokens_per_second: Float64Array::new(t.output_tokens_per_second),
            prefill_tokens_per_second: Float64Array::new(t.prefill_tokens_per_second),
            power_watts: Float64Array::new(t.power_watts),
            energy_joules: Float64Array::new(t.energy_joules),
            kv_used_fraction: Float64Array::new(t.kv_used_fraction),
        },
        switches: to_js(&r.switches)?,
        summary,
        tenants: to_js(&r.tenants)?,
    })
}

/// Optional per-request columns of a run.
#[napi(object, object_to_js = false)]
pub struct RunOptions {
    /// Priority 1 (first) … 10 per request.
    pub priority: Option<Either<Float64Array, args::Vec<f64>>>,
    /// TTFT objective per request, s.
    pub ttft_slo_seconds: Option<Either<Float64Array, args::Vec<f64>>>,
    /// Mean-TPOT objective per request, s.
    pub tpot_slo_seconds: Option<Either<Float64Array, args::Vec<f64>>>,
    /// Tenant of each request (0..=4294967295): `tenants` then holds a summary per tenant.
    pub tenant: Option<Either<Float64Array, args::Vec<f64>>>,
}

/// Replicas of one model on simulated H100s serving a request stream:
/// `new Server(new H100('sxm'), { params: 8e9, bytesPerParam: 2 }, { maxBatch: 256, seed: 1 })`.
#[napi]
pub struct Server {
    spec: GpuSpec,
    model: ModelSpec,
    config: ServeConfig,
}

#[napi]
impl Server {
    /// `config`: `{ maxBatch, maxTokensPerStep, tensorParallel, replicas, memoryUtilization,
    /// kvBlockTokens, dispatch: 'least_requests' | 'least_tokens' | 'round_robin', seed,
    /// stepOverheadSeconds, ttftSloSeconds, tpotSloSeconds, sampleSeconds, inletC, switches }`.
    #[napi(constructor, catch_unwind)]
    pub fn new(gpu: &H100, model: ModelSpecInit, config: Option<args::Value>) -> Result<Self> {
        let spec = gpu.inner.spec().clone();
        let model = model_init(&model)?;
        let mut config: ServeConfig = from_json(options(config, "config")?, "config")?;
        config.inlet_c.get_or_insert(gpu.inner.inlet_c());
        let config = config.validated().js()?;
        kv_capacity_tokens(&spec, &model, &config).js()?;
        Ok(Server { spec, model, config })
    }

    /// Serves the requests (arrivals in time order, token counts ≥ 1).
    #[napi(catch_unwind)]
    pub fn run(
        &self,
        arrival_seconds: Either<Float64Array, args::Vec<f64>>,
        prompt_tokens: Either<Float64Array, args::Vec<f64>>,
        output_tokens: Either<Float64Array, args::Vec<f64>>,
        options: Option<RunOptions>,
    ) -> Result<ServeRun> {
        let cols = Columns::new(&arrival_seconds, &prompt_tokens, &output_tokens, options.as_ref())?;
        serve_run(run(&self.spec, &self.model, &self.config, cols.borrow()).js()?)
    }

    /// `run` on the libuv thread pool, so a server's event loop keeps running: same arguments,
    /// a Promise of the same result (rejected as `run` throws).
    #[napi(catch_unwind, ts_return_type = "Promise<ServeRun>")]
    pub fn run_async(
        &self,
        arrival_seconds: Either<Float64Array, args::Vec<f64>>,
        prompt_tokens: Either<Float64Array, args::Vec<f64>>,
        output_tokens: Either<Float64Array, args::Vec<f64>>,
        options: Option<RunOptions>,
    ) -> Result<AsyncTask<Work<ServeResult, ServeRun>>> {
        let cols = Columns::new(&arrival_seconds, &prompt_tokens, &output_tokens, options.as_ref())?;
        let (spec, model, config) = (self.spec.clone(), self.model, self.config.clone());
        let work = move || run(&spec, &model, &config, cols.borrow());
        Ok(AsyncTask::new(Work::new(work, serve_run)))
    }

    /// The aggregate model of a mean load: `{ arrivalRatePerSecond, meanPromptTokens,
    /// meanOutputTokens, intervalSeconds }`.
    #[napi(catch_unwind)]
    pub fn aggregate(&self, load: args::Value) -> Result<Value> {
        let load: AggregateLoad = from_json(snake_keys(load.get("load")?), "load")?;
        to_js(&aggregate(&self.spec, &self.model, &self.config, &load).js()?)
    }

    /// KV-cache capacity of one replica, tokens.
    #[napi(catch_unwind)]
    pub fn kv_capacity_tokens(&self) -> Result<f64> {
        Ok(kv_capacity_tokens(&self.spec, &self.model, &self.config).js()? as f64)
    }

    /// The configuration in force (camelCase keys).
    #[napi(catch_unwind)]
    pub fn config(&self) -> Result<Value> {
        to_js(&self.config)
    }
}

/// The shipped Azure LLM inference trace of 2023, `'conv'` or `'code'` (CC-BY 4.0, Patel et al.,
/// "Splitwise", ISCA 2024).
#[napi(js_name = "azureTrace", catch_unwind)]
pub fn azure_trace_columns(which: String) -> Result<RequestArrays> {
    Ok(request_arrays(azure_trace(AzureTrace::parse(&which).js()?)))
}

/// A trace scaled to a mean rate and stretched with a diurnal/weekly profile: `rule` is
/// `{ meanRatePerSecond, durationSeconds, diurnalAmplitude, peakHour, weekendFactor, startWeekday }`.
#[napi(js_name = "scaleTrace", catch_unwind)]
pub fn scale_trace_columns(
    arrival_seconds: Either<Float64Array, args::Vec<f64>>,
    prompt_tokens: Either<Float64Array, args::Vec<f64>>,
    output_tokens: Either<Float64Array, args::Vec<f64>>,
    rule: Option<args::Value>,
) -> Result<RequestArrays> {
    let rule: ScaleRule = from_json(options(rule, "rule")?, "rule")?;
    let trace = Requests {
        arrival_seconds: floats(&arrival_seconds).to_vec(),
        prompt_tokens: tokens(&prompt_tokens, "promptTokens")?,
        output_tokens: tokens(&output_tokens, "outputTokens")?,
    };
    Ok(request_arrays(scale_trace(&trace, &rule).js()?))
}

/// A seeded synthetic stream: `{ ratePerSecond, requests, burstiness, prompt, output, seed }`
/// (`prompt`/`output`: `{ kind: 'fixed', tokens }`, `{ kind: 'uniform', min, max }` or
/// `{ kind: 'log_normal', median, sigma, max }`).
#[napi(catch_unwind)]
pub fn synthetic_requests(stream: Option<args::Value>) -> Result<RequestArrays> {
    let stream: SyntheticStream = from_json(options(stream, "stream")?, "stream")?;
    Ok(request_arrays(synthetic(&stream).js()?))
}
