//! `hcpcore.billing`: Python adapters over `hcpcore::billing`. Configurations, events and results cross
//! as JSON text (the Python facade `hcp/billing.py` turns dicts into JSON with decimals kept as
//! exact strings, and results back into `decimal.Decimal`); every rule lives in the core.

use std::sync::Mutex;

use hcpcore::billing::{
    self, Charge, Currency, Durability, EventValue, Ledger, Plan, PlannedUsage, Rounding, Subscription, Timestamp,
    UsageEvent, UsageStore,
};
use pyo3::prelude::*;
use serde_json::Value;

use crate::convert::{arg, check_json_depth, class_arg, opt_str_arg, str_arg};
use crate::errors::{invalid_input, to_py_err, IntoPy};
use crate::long_call::{lock_without_gil, long_call};

type Any<'py> = Bound<'py, PyAny>;

/// A `Plan` argument (`InvalidTypeError` naming `plan` for anything else).
fn plan<'a, 'py>(v: &'a Any<'py>) -> PyResult<&'a Bound<'py, PyPlan>> {
    class_arg::<PyPlan>(v, "plan")
}

/// Refuses a JSON array longer than `hcpcore.limits.MAX_BATCH` (before its items are converted).
fn check_batch(field: &str, v: &Value) -> hcpcore::Result<()> {
    match v {
        Value::Array(items) if items.len() > hcpcore::limits::MAX_BATCH => Err(hcpcore::Error::invalid_input(
            field,
            format!("has {} items, at most {} per call", items.len(), hcpcore::limits::MAX_BATCH),
        )),
        _ => Ok(()),
    }
}

fn parse_json(field: &str, text: &str) -> PyResult<Value> {
    let v = serde_json::from_str(text).map_err(|e| invalid_input(field, format!("malformed JSON: {e}")))?;
    check_json_depth(field, &v).py()?;
    Ok(v)
}

fn to_json_text<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| invalid_input("result", e))
}

fn timestamp(field: &str, text: Option<&str>, default: Timestamp) -> PyResult<Timestamp> {
    text.map_or(Ok(default), |t| Timestamp::parse_field(field, t).py())
}

/// A priced charge (`hcpcore.billing.Charge` wraps it).
#[pyclass(name = "NativeCharge", module = "hcpcore._hcp", frozen)]
pub struct PyCharge {
    inner: Charge,
}

#[pymethods]
impl PyCharge {
    /// Parses a charge from JSON text (Lago field names).
    #[staticmethod]
    fn from_json(json: &Any<'_>) -> PyResult<Self> {
        Ok(PyCharge { inner: Charge::from_json(&parse_json("charge", &str_arg(json, "charge")?)?).py()? })
    }

    /// The precise amount for `units` (decimal text), as decimal text.
    fn amount_units(&self, units: &Any<'_>) -> PyResult<String> {
        let units = billing::parse_decimal("units", &str_arg(units, "units")?).py()?;
        Ok(self.inner.amount(units).py()?.to_string())
    }

    /// The precise amount for events given as JSON text (values or event objects).
    fn amount_events(&self, events_json: &Any<'_>) -> PyResult<String> {
        let events = parse_json("events", &str_arg(events_json, "events")?)?;
        check_batch("events", &events).py()?;
        let events = EventValue::many_from_json(&events).py()?;
        Ok(self.inner.amount_for_events(&events).py()?.to_string())
    }

    /// Whether the model prices events one by one (percentage, dynamic).
    #[getter]
    fn needs_events(&self) -> bool {
        self.inner.needs_events()
    }
}

/// A plan (`hcpcore.billing.Plan` wraps it).
#[pyclass(name = "NativePlan", module = "hcpcore._hcp", frozen)]
pub struct PyPlan {
    inner: Plan,
}

#[pymethods]
impl PyPlan {
    /// Parses a plan from JSON text.
    #[staticmethod]
    fn from_json(json: &Any<'_>) -> PyResult<Self> {
        Ok(PyPlan { inner: Plan::from_json(&parse_json("plan", &str_arg(json, "plan")?)?).py()? })
    }

    #[getter]
    fn code(&self) -> &str {
        &self.inner.code
    }

    #[getter]
    fn currency(&self) -> &str {
        &self.inner.currency.code
    }

    /// Pay-in-advance fee lines of one event (JSON text in, JSON array out).
    fn instant_fees_json(&self, event_json: &Any<'_>) -> PyResult<String> {
        let event = UsageEvent::from_json(&parse_json("event", &str_arg(event_json, "event")?)?).py()?;
        to_json_text(&billing::instant_fees(&self.inner, &event).py()?)
    }

    /// Estimate of planned usage (JSON array) for a subscription (JSON) at `at`, as invoice JSON.
    fn estimate_json(&self, subscription_json: &Any<'_>, at: &Any<'_>, usage_json: &Any<'_>) -> PyResult<String> {
        let sub =
            Subscription::from_json(&parse_json("subscription", &str_arg(subscription_json, "subscription")?)?).py()?;
        let usage = parse_json("usage", &str_arg(usage_json, "usage")?)?;
        check_batch("usage", &usage).py()?;
        let usage = PlannedUsage::many_from_json(&usage).py()?;
        let at = Timestamp::parse_field("at", &str_arg(at, "at")?).py()?;
        to_json_text(&billing::estimate(&self.inner, &sub, at, &usage).py()?)
    }
}

/// A usage ledger (`hcpcore.billing.Ledger` wraps it). Closing it makes later calls raise
/// `ClosedError`.
#[pyclass(name = "NativeLedger", module = "hcpcore._hcp", frozen)]
pub struct PyLedger {
    inner: Mutex<Option<Ledger>>,
}

impl PyLedger {
    fn with<T>(&self, f: impl FnOnce(&mut Ledger) -> hcpcore::Result<T>) -> PyResult<T> {
        // Another thread may hold the ledger in a long call without the GIL: wait without it too.
        let mut guard = Python::attach(|py| lock_without_gil(py, &self.inner))?;
        match guard.as_mut() {
            Some(ledger) => f(ledger).py(),
            None => Err(to_py_err(hcpcore::Error::new(hcpcore::ErrorKind::Closed, "ledger: used after close()"))),
        }
    }
}

#[pymethods]
impl PyLedger {
    /// Opens (creating if needed) a SQLite ledger; `durability` is "full" or "normal".
    #[staticmethod]
    fn open(py: Python<'_>, path: &Any<'_>, durability: &Any<'_>) -> PyResult<Self> {
        let path: std::path::PathBuf = arg(path, "path")?;
        let durability = Durability::from_name(&str_arg(durability, "durability")?).py()?;
        let ledger = py.detach(|| Ledger::open(&path, durability)).py()?;
        Ok(PyLedger { inner: Mutex::new(Some(ledger)) })
    }

    /// An in-memory ledger.
    #[staticmethod]
    fn memory() -> Self {
        PyLedger { inner: Mutex::new(Some(Ledger::memory())) }
    }

    /// Ingests events given as a JSON array; returns how many were new. The GIL is released
    /// while parsing and writing; durable when it returns.
    fn ingest_json(&self, py: Python<'_>, events_json: &Any<'_>) -> PyResult<usize> {
        let events_json = str_arg(events_json, "events")?;
        py.detach(|| {
            let value: Value = serde_json::from_str(&events_json)
                .map_err(|e| hcpcore::Error::invalid_input("events", format!("malformed JSON: {e}")))?;
            check_batch("events", &value)?;
            check_json_depth("events", &value)?;
            let events = UsageEvent::many_from_json(&value)?;
            self.with_core(|l| l.ingest(&events))
        })
        .py()
    }

    /// Number of distinct events stored.
    fn event_count(&self) -> PyResult<u64> {
        self.with(|l| l.event_count())
    }

    /// Customers with events, sorted.
    fn customers(&self) -> PyResult<Vec<String>> {
        self.with(|l| l.customers())
    }

    /// A customer's events (JSON array), optionally limited to meters and a time range.
    #[pyo3(signature = (customer_id, meter_codes, start=None, end=None))]
    fn events_json(
        &self,
        customer_id: &Any<'_>,
        meter_codes: &Any<'_>,
        start: Option<&Any<'_>>,
        end: Option<&Any<'_>>,
    ) -> PyResult<String> {
        let customer_id = str_arg(customer_id, "customer_id")?;
        let meter_codes: Vec<String> = arg(meter_codes, "meter_codes")?;
        let from = timestamp("start", opt_str_arg(start, "start")?.as_deref(), Timestamp::MIN)?;
        let to = timestamp("end", opt_str_arg(end, "end")?.as_deref(), Timestamp::MAX)?;
        let codes: Vec<&str> = meter_codes.iter().map(String::as_str).collect();
        let events = self.with(|l| l.events(&customer_id, &codes, from, to))?;
        to_json_text(&events.iter().map(UsageEvent::to_json).collect::<Vec<_>>())
    }

    /// Meter codes a plan prices (for `events_json` callers that want "everything billable").
    #[staticmethod]
    fn plan_meter_codes(plan: &Any<'_>) -> PyResult<Vec<String>> {
        Ok(self::plan(plan)?.get().inner.meters.keys().cloned().collect())
    }

    /// The invoice of the period containing `at`, not recorded (JSON).
    fn preview_invoice_json(
        &self,
        py: Python<'_>,
        plan: &Any<'_>,
        subscription_json: &Any<'_>,
        at: &Any<'_>,
    ) -> PyResult<String> {
        let plan = self::plan(plan)?.get();
        let sub =
            Subscription::from_json(&parse_json("subscription", &str_arg(subscription_json, "subscription")?)?).py()?;
        let at = Timestamp::parse_field("at", &str_arg(at, "at")?).py()?;
        let invoice = py.detach(|| self.with_core(|l| billing::preview_invoice(&*l, &plan.inner, &sub, at))).py()?;
        to_json_text(&invoice)
    }

    /// Issues and records the invoice of the period containing `at` (JSON).
    fn issue_invoice_json(
        &self,
        py: Python<'_>,
        plan: &Any<'_>,
        subscription_json: &Any<'_>,
        at: &Any<'_>,
    ) -> PyResult<String> {
        let plan = self::plan(plan)?.get();
        let sub =
            Subscription::from_json(&parse_json("subscription", &str_arg(subscription_json, "subscription")?)?).py()?;
        let at = Timestamp::parse_field("at", &str_arg(at, "at")?).py()?;
        let invoice = py.detach(|| self.with_core(|l| billing::issue_invoice(l, &plan.inner, &sub, at))).py()?;
        to_json_text(&invoice)
    }

    /// Issues the invoices of many subscriptions (JSON array) for the period containing `at`,
    /// all or nothing (JSON array of invoices).
    fn issue_invoices_json(
        &self,
        py: Python<'_>,
        plan: &Any<'_>,
        subscriptions_json: &Any<'_>,
        at: &Any<'_>,
    ) -> PyResult<String> {
        let plan = self::plan(plan)?.get();
        let subs = parse_json("subscriptions", &str_arg(subscriptions_json, "subscriptions")?)?;
        check_batch("subscriptions", &subs).py()?;
        let subs = match subs {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    Subscription::from_json(s)
                        .map_err(|e| hcpcore::Error::new(e.kind(), format!("subscriptions[{i}].{}", e.message())))
                })
                .collect::<hcpcore::Result<Vec<_>>>()
                .py()?,
            _ => return Err(invalid_input("subscriptions", "expected an array")),
        };
        let at = Timestamp::parse_field("at", &str_arg(at, "at")?).py()?;
        // Ctrl-C stops it between customers, before anything is recorded (all or nothing).
        let invoices = long_call(py, |cancel| {
            self.with_core(|l| billing::issue_invoices_cancellable(l, &plan.inner, &subs, at, cancel))
        })?
        .unwrap_or_default();
        to_json_text(&invoices)
    }

    /// The customer's issued invoices (JSON array).
    fn invoices_json(&self, customer_id: &Any<'_>) -> PyResult<String> {
        let customer_id = str_arg(customer_id, "customer_id")?;
        to_json_text(&self.with(|l| l.invoices(&customer_id))?)
    }

    /// Spend to date, forecast and alerts (JSON).
    fn budget_status_json(
        &self,
        plan: &Any<'_>,
        subscription_json: &Any<'_>,
        now: &Any<'_>,
        budget: &Any<'_>,
        thresholds: &Any<'_>,
    ) -> PyResult<String> {
        let plan = self::plan(plan)?.get();
        let sub =
            Subscription::from_json(&parse_json("subscription", &str_arg(subscription_json, "subscription")?)?).py()?;
        let now = Timestamp::parse_field("now", &str_arg(now, "now")?).py()?;
        let budget = billing::parse_decimal("budget", &str_arg(budget, "budget")?).py()?;
        let thresholds: Vec<String> = arg(thresholds, "thresholds")?;
        let thresholds = thresholds
            .iter()
            .map(|t| billing::parse_decimal("thresholds", t))
            .collect::<hcpcore::Result<Vec<_>>>()
            .py()?;
        to_json_text(&self.with(|l| billing::budget_status(&*l, &plan.inner, &sub, now, budget, &thresholds))?)
    }

    /// Closes the ledger (idempotent); later calls raise `ClosedError`.
    fn close(&self) -> PyResult<()> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| to_py_err(hcpcore::Error::new(hcpcore::ErrorKind::Internal, "ledger lock poisoned")))?;
        guard.take();
        Ok(())
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.lock().map(|g| g.is_none()).unwrap_or(true)
    }
}

impl PyLedger {
    /// Like `with`, returning the core error (for use inside `py.detach`).
    fn with_core<T>(&self, f: impl FnOnce(&mut Ledger) -> hcpcore::Result<T>) -> hcpcore::Result<T> {
        let mut guard =
            self.inner.lock().map_err(|_| hcpcore::Error::new(hcpcore::ErrorKind::Internal, "ledger lock poisoned"))?;
        match guard.as_mut() {
            Some(ledger) => f(ledger),
            None => Err(hcpcore::Error::new(hcpcore::ErrorKind::Closed, "ledger: used after close()")),
        }
    }
}

/// Rounds `amount` (decimal text) to `currency`'s minor unit with `rounding`.
#[pyfunction]
fn billing_round_amount(amount: &Any<'_>, currency: &Any<'_>, rounding: &Any<'_>) -> PyResult<String> {
    let amount = billing::parse_decimal("amount", &str_arg(amount, "amount")?).py()?;
    let currency = Currency::from_code(&str_arg(currency, "currency")?).py()?;
    Ok(Rounding::from_name(&str_arg(rounding, "rounding")?).py()?.round(amount, &currency).to_string())
}

/// Validates one event (JSON text); returns it normalised (JSON text).
#[pyfunction]
fn billing_validate_event(event_json: &Any<'_>) -> PyResult<String> {
    let event = UsageEvent::from_json(&parse_json("event", &str_arg(event_json, "event")?)?).py()?;
    to_json_text(&event.to_json())
}

/// Adds this module's classes and functions to `hcpcore._hcp`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCharge>()?;
    m.add_class::<PyPlan>()?;
    m.add_class::<PyLedger>()?;
    m.add_function(wrap_pyfunction!(billing_round_amount, m)?)?;
    m.add_function(wrap_pyfunction!(billing_validate_event, m)?)?;
    Ok(())
}
