//! `billing`: JavaScript adapters over `hcpcore::billing`. Amounts are decimal strings (exact);
//! plan and charge configurations are plain objects with Lago's snake_case field names (the
//! same JSON a plan file holds); events may use `event_id` or `eventId` style keys. Every rule
//! lives in the core.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use hcpcore::billing::{
    self, Charge as CoreCharge, Currency, Durability, EventValue, Invoice as CoreInvoice, InvoiceLine as CoreLine,
    Ledger as CoreLedger, Plan as CorePlan, PlannedUsage, Rounding, Subscription, Timestamp, UsageEvent, UsageStore,
};
use napi::bindgen_prelude::AsyncTask;
use napi::Either;
use napi_derive::napi;
use serde_json::Value;

use crate::args;
use crate::errors::{invalid_input, IntoJs, Result};
use crate::tasks::Work;
use hcpcore::limits::MAX_BATCH;

/// A usage event as JavaScript sends it (`quantity` as a decimal string or a number). Declares
/// the TypeScript type; `ingest` reads plain objects (snake_case keys are accepted too).
#[allow(dead_code)]
#[napi(object)]
pub struct UsageEventInit {
    pub event_id: String,
    pub customer_id: String,
    pub meter_code: String,
    pub quantity: Either<String, f64>,
    /// RFC 3339 with an offset, e.g. `2026-11-01T00:00:00Z`.
    pub timestamp: String,
    pub properties: Option<HashMap<String, Value>>,
}

/// A stored usage event.
#[napi(object)]
pub struct UsageRecord {
    pub event_id: String,
    pub customer_id: String,
    pub meter_code: String,
    /// Decimal string.
    pub quantity: String,
    pub timestamp: String,
    pub properties: HashMap<String, Value>,
}

/// One invoice line; amounts are decimal strings.
#[napi(object)]
pub struct InvoiceLine {
    /// `usage`, `minimum_commitment`, `correction`, `in_advance`, `charge_minimum` or `charge_maximum`.
    pub kind: String,
    pub charge: String,
    pub meter_code: Option<String>,
    /// Group-by property values (null where the property was missing).
    pub group: HashMap<String, Option<String>>,
    pub units: String,
    pub event_count: i64,
    /// Unrounded amount.
    pub precise_amount: String,
    /// Amount rounded once to the currency's minor unit.
    pub amount: String,
    pub service_period_start: String,
    pub service_period_end: String,
}

/// One coupon's effect.
#[napi(object)]
pub struct AppliedDiscount {
    pub coupon: String,
    pub amount: String,
}

/// An invoice; `total = Σ lines − discountTotal + tax − credits`, all decimal strings.
#[napi(object)]
pub struct Invoice {
    pub number: String,
    pub customer_id: String,
    pub plan_code: String,
    pub currency: String,
    pub period_start: String,
    pub period_end: String,
    pub period_index: u32,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: String,
    pub discounts: Vec<AppliedDiscount>,
    pub discount_total: String,
    pub tax_rate: String,
    pub taxable_precise: String,
    pub tax: String,
    /// Wallet credits applied (negative: deposited into the wallet).
    pub credits: String,
    pub total: String,
}

/// A budget threshold crossed by spend (`reached`) or only by the forecast.
#[napi(object)]
pub struct BudgetAlert {
    pub threshold_percent: String,
    pub reached: bool,
}

/// Spend to date, forecast and alerts of the open period.
#[napi(object)]
pub struct BudgetStatus {
    pub period_start: String,
    pub period_end: String,
    pub budget: String,
    pub spend_to_date: String,
    pub forecast: String,
    pub used_percent: String,
    pub alerts: Vec<BudgetAlert>,
}

fn line(l: &CoreLine) -> InvoiceLine {
    InvoiceLine {
        kind: serde_json::to_value(l.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        charge: l.charge.clone(),
        meter_code: l.meter_code.clone(),
        group: l.group.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_string))).collect(),
        units: l.units.to_string(),
        event_count: l.event_count as i64,
        precise_amount: l.precise_amount.to_string(),
        amount: l.amount.to_string(),
        service_period_start: l.service_period.start.to_string(),
        service_period_end: l.service_period.end.to_string(),
    }
}

fn invoice(i: &CoreInvoice) -> Invoice {
    Invoice {
        number: i.number.clone(),
        customer_id: i.customer_id.clone(),
        plan_code: i.plan_code.clone(),
        currency: i.currency.code.clone(),
        period_start: i.period.start.to_string(),
        period_end: i.period.end.to_string(),
        period_index: i.period_index,
        lines: i.lines.iter().map(line).collect(),
        subtotal: i.subtotal.to_string(),
        discounts: i
            .discounts
            .iter()
            .map(|d| AppliedDiscount { coupon: d.coupon.clone(), amount: d.amount.to_string() })
            .collect(),
        discount_total: i.discount_total.to_string(),
        tax_rate: i.tax_rate.to_string(),
        taxable_precise: i.taxable_precise.to_string(),
        tax: i.tax.to_string(),
        credits: i.credits.to_string(),
        total: i.total.to_string(),
    }
}

/// JS events (snake_case or camelCase keys) as the core's JSON form.
fn event_value(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k.as_str() {
                        "eventId" => "event_id".to_string(),
                        "customerId" => "customer_id".to_string(),
                        "meterCode" => "meter_code".to_string(),
                        _ => k,
                    };
                    (key, v)
                })
                .collect(),
        ),
        other => other,
    }
}

fn events_from_js(events: Vec<Value>) -> hcpcore::Result<Vec<UsageEvent>> {
    UsageEvent::many_from_json(&Value::Array(events.into_iter().map(event_value).collect()))
}

/// A decimal argument given as a string (exact) or a number (read as its shortest repr).
fn decimal(field: &str, v: Either<String, f64>) -> Result<rust_decimal::Decimal> {
    match v {
        Either::A(s) => billing::parse_decimal(field, &s).js(),
        Either::B(f) => match serde_json::Number::from_f64(f) {
            Some(n) => billing::parse_decimal(field, &n.to_string()).js(),
            None => Err(invalid_input(field, format!("must be a finite number, got {}", args::js_number(f)))),
        },
    }
}

fn subscription(v: args::Value) -> Result<Subscription> {
    Subscription::from_json(&v.get("subscription")?).js()
}

fn at(field: &str, text: &str) -> Result<Timestamp> {
    Timestamp::parse_field(field, text).js()
}

/// A priced charge (Lago charge models).
#[napi]
pub struct Charge {
    inner: CoreCharge,
}

#[napi]
impl Charge {
    /// Parses `{ model: 'graduated', tiers: [{ up_to: 10, per_unit_amount: '10', flat_amount: '2' }, …] }`.
    #[napi(factory, catch_unwind, ts_args_type = "config: Record<string, unknown>")]
    pub fn from_dict(config: args::Value) -> Result<Self> {
        Ok(Charge { inner: CoreCharge::from_json(&config.get("config")?).js()? })
    }

    /// The precise amount (decimal string, before rounding) for cumulative `units`.
    #[napi(catch_unwind)]
    pub fn amount(&self, units: Either<String, f64>) -> Result<String> {
        Ok(self.inner.amount(decimal("units", units)?).js()?.to_string())
    }

    /// The precise amount for events: quantities, or `{ quantity, properties }` objects.
    #[napi(
        catch_unwind,
        ts_args_type = "events: Array<string | number | { quantity: string | number; properties?: Record<string, unknown> }>"
    )]
    pub fn amount_for_events(&self, events: args::Value) -> Result<String> {
        let events = events.array("events")?;
        args::count("events.length", events.len() as f64, MAX_BATCH)?;
        let values = EventValue::many_from_json(&Value::Array(events)).js()?;
        Ok(self.inner.amount_for_events(&values).js()?.to_string())
    }

    /// Whether the model prices events one by one (percentage, dynamic).
    #[napi(getter)]
    pub fn needs_events(&self) -> bool {
        self.inner.needs_events()
    }
}

/// A plan: currency, interval, meters, charges and versions.
#[napi]
pub struct Plan {
    inner: CorePlan,
}

#[napi]
impl Plan {
    /// Parses a plan object (Lago field names); errors name the field's path.
    #[napi(factory, catch_unwind, ts_args_type = "config: Record<string, unknown>")]
    pub fn from_dict(config: args::Value) -> Result<Self> {
        Ok(Plan { inner: CorePlan::from_json(&config.get("config")?).js()? })
    }

    #[napi(getter)]
    pub fn code(&self) -> String {
        self.inner.code.clone()
    }

    #[napi(getter)]
    pub fn currency(&self) -> String {
        self.inner.currency.code.clone()
    }

    /// Pay-in-advance fee lines of one event.
    #[napi(catch_unwind, ts_args_type = "event: UsageEventInit")]
    pub fn instant_fees(&self, event: args::Value) -> Result<Vec<InvoiceLine>> {
        let event = UsageEvent::from_json(&event_value(event.get("event")?)).js()?;
        Ok(billing::instant_fees(&self.inner, &event).js()?.iter().map(line).collect())
    }

    /// Cost of planned usage (`[{ meter_code, quantity, properties? }]`) in the period containing `at`.
    #[napi(
        catch_unwind,
        ts_args_type = "subscription: Record<string, unknown>, at: string, usage: Array<{ meter_code: string; quantity: string | number; properties?: Record<string, unknown> }>"
    )]
    pub fn estimate(&self, subscription_config: args::Value, at_time: String, usage: args::Value) -> Result<Invoice> {
        let sub = subscription(subscription_config)?;
        let usage = usage.array("usage")?;
        args::count("usage.length", usage.len() as f64, MAX_BATCH)?;
        let usage = PlannedUsage::many_from_json(&Value::Array(usage)).js()?;
        Ok(invoice(&billing::estimate(&self.inner, &sub, at("at", &at_time)?, &usage).js()?))
    }
}

/// The usage ledger: `Ledger.open(path)` (SQLite, WAL) or `Ledger.memory()`. `close()` makes
/// later calls throw with `code === 'Closed'`.
#[napi]
pub struct Ledger {
    /// Shared with the `…Async` tasks; a sync call made while one runs waits for it.
    inner: Arc<Mutex<Option<CoreLedger>>>,
}

/// Runs `f` on the open ledger (`Closed` after `close()`). A lock poisoned by a panic is used on:
/// the ledger's writes are transactions, so a panic leaves none half-done.
fn with_ledger<T>(
    ledger: &Mutex<Option<CoreLedger>>,
    f: impl FnOnce(&mut CoreLedger) -> hcpcore::Result<T>,
) -> hcpcore::Result<T> {
    match ledger.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
        Some(l) => f(l),
        None => Err(hcpcore::Error::new(hcpcore::ErrorKind::Closed, "ledger: used after close()")),
    }
}

impl Ledger {
    fn new(ledger: CoreLedger) -> Self {
        Ledger { inner: Arc::new(Mutex::new(Some(ledger))) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut CoreLedger) -> hcpcore::Result<T>) -> Result<T> {
        with_ledger(&self.inner, f).js()
    }
}

#[napi]
impl Ledger {
    /// Opens (creating if needed) a SQLite ledger; `durability` is `'full'` (default) or `'normal'`.
    #[napi(factory, catch_unwind, ts_args_type = "path: string, durability?: 'full' | 'normal'")]
    pub fn open(path: String, durability: Option<String>) -> Result<Self> {
        let durability = Durability::from_name(durability.as_deref().unwrap_or("full")).js()?;
        Ok(Ledger::new(CoreLedger::open(path, durability).js()?))
    }

    /// An in-memory ledger.
    #[napi(factory)]
    pub fn memory() -> Self {
        Ledger::new(CoreLedger::memory())
    }

    /// Stores a batch of events; returns how many were new. All or nothing; durable when it returns.
    #[napi(catch_unwind, ts_args_type = "events: UsageEventInit[]")]
    pub fn ingest(&self, events: args::Value) -> Result<u32> {
        let events = events.array("events")?;
        args::count("events.length", events.len() as f64, MAX_BATCH)?;
        let events = events_from_js(events).js()?;
        Ok(self.with(|l| l.ingest(&events))? as u32)
    }

    /// `ingest` on the libuv thread pool (the write and its fsync happen there): a Promise of
    /// how many events were new.
    #[napi(catch_unwind, ts_args_type = "events: UsageEventInit[]", ts_return_type = "Promise<number>")]
    pub fn ingest_async(&self, events: args::Value) -> Result<AsyncTask<Work<usize, u32>>> {
        let events = events.array("events")?;
        args::count("events.length", events.len() as f64, MAX_BATCH)?;
        let events = events_from_js(events).js()?;
        let ledger = Arc::clone(&self.inner);
        Ok(AsyncTask::new(Work::new(move || with_ledger(&ledger, |l| l.ingest(&events)), |n| Ok(n as u32))))
    }

    /// Number of distinct events stored.
    #[napi(catch_unwind)]
    pub fn event_count(&self) -> Result<i64> {
        Ok(self.with(|l| l.event_count())? as i64)
    }

    /// Customers with events, sorted.
    #[napi(catch_unwind)]
    pub fn customers(&self) -> Result<Vec<String>> {
        self.with(|l| l.customers())
    }

    /// A customer's events of the given meters in `[start, end)`.
    #[napi(catch_unwind)]
    pub fn usage(
        &self,
        customer_id: String,
        meter_codes: args::Vec<String>,
        start: Option<String>,
        end: Option<String>,
    ) -> Result<Vec<UsageRecord>> {
        let from = start.map_or(Ok(Timestamp::MIN), |s| at("start", &s))?;
        let to = end.map_or(Ok(Timestamp::MAX), |s| at("end", &s))?;
        let codes: Vec<&str> = meter_codes.iter().map(String::as_str).collect();
        let events = self.with(|l| l.events(&customer_id, &codes, from, to))?;
        Ok(events
            .into_iter()
            .map(|e| UsageRecord {
                quantity: e.quantity.to_string(),
                timestamp: e.timestamp.to_string(),
                properties: e.properties.into_iter().collect(),
                event_id: e.event_id,
                customer_id: e.customer_id,
                meter_code: e.meter_code,
            })
            .collect())
    }

    /// The invoice of the period containing `at`, not recorded.
    #[napi(catch_unwind, ts_args_type = "plan: Plan, subscription: Record<string, unknown>, at: string")]
    pub fn preview_invoice(&self, plan: &Plan, subscription_config: args::Value, at_time: String) -> Result<Invoice> {
        let sub = subscription(subscription_config)?;
        let t = at("at", &at_time)?;
        Ok(invoice(&self.with(|l| billing::preview_invoice(&*l, &plan.inner, &sub, t))?))
    }

    /// Issues and records the invoice of the period containing `at` (`Conflict` if already issued).
    #[napi(catch_unwind, ts_args_type = "plan: Plan, subscription: Record<string, unknown>, at: string")]
    pub fn issue_invoice(&self, plan: &Plan, subscription_config: args::Value, at_time: String) -> Result<Invoice> {
        let sub = subscription(subscription_config)?;
        let t = at("at", &at_time)?;
        Ok(invoice(&self.with(|l| billing::issue_invoice(l, &plan.inner, &sub, t))?))
    }

    /// Issues the invoices of many subscriptions, all or nothing.
    #[napi(catch_unwind, ts_args_type = "plan: Plan, subscriptions: Array<Record<string, unknown>>, at: string")]
    pub fn issue_invoices(&self, plan: &Plan, subscriptions: args::Value, at_time: String) -> Result<Vec<Invoice>> {
        let subscriptions = subscriptions.array("subscriptions")?;
        args::count("subscriptions.length", subscriptions.len() as f64, MAX_BATCH)?;
        let subs = subscriptions.iter().map(Subscription::from_json).collect::<hcpcore::Result<Vec<_>>>().js()?;
        let t = at("at", &at_time)?;
        Ok(self.with(|l| billing::issue_invoices(l, &plan.inner, &subs, t))?.iter().map(invoice).collect())
    }

    /// `issueInvoices` on the libuv thread pool (rating every customer and the write happen
    /// there): a Promise of the same invoices, all or nothing.
    #[napi(
        catch_unwind,
        ts_args_type = "plan: Plan, subscriptions: Array<Record<string, unknown>>, at: string",
        ts_return_type = "Promise<Array<Invoice>>"
    )]
    pub fn issue_invoices_async(
        &self,
        plan: &Plan,
        subscriptions: args::Value,
        at_time: String,
    ) -> Result<AsyncTask<Work<Vec<CoreInvoice>, Vec<Invoice>>>> {
        let subscriptions = subscriptions.array("subscriptions")?;
        args::count("subscriptions.length", subscriptions.len() as f64, MAX_BATCH)?;
        let subs = subscriptions.iter().map(Subscription::from_json).collect::<hcpcore::Result<Vec<_>>>().js()?;
        let t = at("at", &at_time)?;
        let (ledger, plan) = (Arc::clone(&self.inner), plan.inner.clone());
        let work = move || with_ledger(&ledger, |l| billing::issue_invoices(l, &plan, &subs, t));
        Ok(AsyncTask::new(Work::new(work, |v| Ok(v.iter().map(invoice).collect()))))
    }

    /// The customer's issued invoices, oldest first.
    #[napi(catch_unwind)]
    pub fn invoices(&self, customer_id: String) -> Result<Vec<Invoice>> {
        Ok(self.with(|l| l.invoices(&customer_id))?.iter().map(invoice).collect())
    }

    /// Spend to date, forecast and alerts against `budget` at `thresholds` percent (default 50/80/100).
    #[napi(
        catch_unwind,
        ts_args_type = "plan: Plan, subscription: Record<string, unknown>, now: string, budget: string | number, thresholds?: Array<string | number>"
    )]
    pub fn budget_status(
        &self,
        plan: &Plan,
        subscription_config: args::Value,
        now: String,
        budget: Either<String, f64>,
        thresholds: Option<args::Vec<Either<String, f64>>>,
    ) -> Result<BudgetStatus> {
        let sub = subscription(subscription_config)?;
        let budget = decimal("budget", budget)?;
        let thresholds = match thresholds {
            Some(list) => list.0.into_iter().map(|t| decimal("thresholds", t)).collect::<Result<Vec<_>>>()?,
            None => [50, 80, 100].into_iter().map(rust_decimal::Decimal::from).collect(),
        };
        let now = at("now", &now)?;
        let s = self.with(|l| billing::budget_status(&*l, &plan.inner, &sub, now, budget, &thresholds))?;
        Ok(BudgetStatus {
            period_start: s.period.start.to_string(),
            period_end: s.period.end.to_string(),
            budget: s.budget.to_string(),
            spend_to_date: s.spend_to_date.to_string(),
            forecast: s.forecast.to_string(),
            used_percent: s.used_percent.to_string(),
            alerts: s
                .alerts
                .iter()
                .map(|a| BudgetAlert { threshold_percent: a.threshold_percent.to_string(), reached: a.reached })
                .collect(),
        })
    }

    /// Closes the ledger (idempotent).
    #[napi]
    pub fn close(&self) {
        *self.inner.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).is_none()
    }
}

/// Rounds a decimal amount to the currency's minor unit (`half_away_from_zero` or `half_even`).
#[napi(catch_unwind)]
pub fn round_amount(amount: Either<String, f64>, currency: String, rounding: Option<String>) -> Result<String> {
    let amount = decimal("amount", amount)?;
    let currency = Currency::from_code(&currency).js()?;
    Ok(Rounding::from_name(rounding.as_deref().unwrap_or("half_away_from_zero"))
        .js()?
        .round(amount, &currency)
        .to_string())
}

/// Validates one usage event; returns it normalised.
#[napi(catch_unwind, ts_args_type = "event: UsageEventInit | Record<string, unknown>")]
pub fn validate_event(event: args::Value) -> Result<UsageRecord> {
    let e = UsageEvent::from_json(&event_value(event.get("event")?)).js()?;
    Ok(UsageRecord {
        quantity: e.quantity.to_string(),
        timestamp: e.timestamp.to_string(),
        properties: e.properties.into_iter().collect(),
        event_id: e.event_id,
        customer_id: e.customer_id,
        meter_code: e.meter_code,
    })
}
