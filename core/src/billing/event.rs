//! Usage events: what a metered system reports, validated once at the edge so that nothing
//! downstream (ledger, meters, charges) has to second-guess a field.

use super::num::{decimal_from_json, kind, Fields};
use super::time::Timestamp;
use crate::{Error, Result};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// Longest accepted `event_id` / `customer_id`, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// One usage event: `quantity` of `meter_code` used by `customer_id` at `timestamp`.
///
/// `event_id` is the idempotency key: it is counted once per customer however often it is sent
/// (Lago's `transaction_id`, OpenMeter's CloudEvents `id`).
///
/// ```
/// use hcpcore::billing::UsageEvent;
/// let e = UsageEvent::from_json(&serde_json::json!({
///     "event_id": "e1", "customer_id": "acme", "meter_code": "gpu_seconds",
///     "quantity": "3600", "timestamp": "2026-11-01T00:00:00Z", "properties": {"gpu_model": "H100"}
/// })).unwrap();
/// assert_eq!(e.quantity.to_string(), "3600");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UsageEvent {
    /// Idempotency key, unique per customer.
    pub event_id: String,
    /// The customer who used it.
    pub customer_id: String,
    /// Which meter counts it.
    pub meter_code: String,
    /// How much (≥ 0; a meter may read another number from `properties`).
    pub quantity: Decimal,
    /// When it was used (decides the billing period).
    pub timestamp: Timestamp,
    /// Free-form attributes used by group-by, unique counts and dynamic prices.
    pub properties: Map<String, Value>,
}

fn check_id(field: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > MAX_ID_BYTES || value.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            field,
            format!("must be 1..={MAX_ID_BYTES} bytes without control characters, got {value:?}"),
        ));
    }
    Ok(())
}

impl UsageEvent {
    /// A validated event. Quantities must be ≥ 0: a refund is a credit on an invoice, not
    /// negative usage (Lago and OpenMeter make the same choice for counts and sums).
    pub fn new(
        event_id: impl Into<String>,
        customer_id: impl Into<String>,
        meter_code: impl Into<String>,
        quantity: Decimal,
        timestamp: Timestamp,
        properties: Map<String, Value>,
    ) -> Result<Self> {
        let event = UsageEvent {
            event_id: event_id.into(),
            customer_id: customer_id.into(),
            meter_code: meter_code.into(),
            quantity,
            timestamp,
            properties,
        };
        event.validate()?;
        Ok(event)
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        check_id("event_id", &self.event_id)?;
        check_id("customer_id", &self.customer_id)?;
        check_id("meter_code", &self.meter_code)?;
        if self.quantity.is_sign_negative() && !self.quantity.is_zero() {
            return Err(Error::invalid_input("quantity", format!("must be >= 0, got {}", self.quantity)));
        }
        Ok(())
    }

    /// From a JSON object with the fields `event_id`, `customer_id`, `meter_code`, `quantity`
    /// (number or decimal string), `timestamp` (RFC 3339) and optional `properties` (object).
    pub fn from_json(value: &Value) -> Result<Self> {
        let f = Fields::new("", value)?;
        f.only(&["event_id", "customer_id", "meter_code", "quantity", "timestamp", "properties"])?;
        let quantity_value = f.get("quantity").ok_or_else(|| Error::invalid_input("quantity", "required"))?;
        let properties = match f.get("properties") {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                return Err(Error::invalid_input("properties", format!("expected an object, got {}", kind(other))))
            }
        };
        UsageEvent::new(
            f.str("event_id")?,
            f.str("customer_id")?,
            f.str("meter_code")?,
            decimal_from_json("quantity", quantity_value)?,
            Timestamp::parse(f.str("timestamp")?)?,
            properties,
        )
    }

    /// Parses a JSON array of event objects; the error names the index (`events[3].quantity`).
    pub fn many_from_json(value: &Value) -> Result<Vec<Self>> {
        let Value::Array(items) = value else {
            return Err(Error::invalid_input("events", format!("expected an array, got {}", kind(value))));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                UsageEvent::from_json(v).map_err(|e| Error::new(e.kind(), format!("events[{i}].{}", e.message())))
            })
            .collect()
    }

    /// The event as a JSON object (quantity as a decimal string).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "event_id": self.event_id,
            "customer_id": self.customer_id,
            "meter_code": self.meter_code,
            "quantity": self.quantity.to_string(),
            "timestamp": self.timestamp.to_string(),
            "properties": self.properties,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"event_id": "e1", "customer_id": "c", "meter_code": "m", "quantity": 1, "timestamp": "2026-11-01T00:00:00Z"})
    }

    #[test]
    fn bad_fields_are_named() {
        for (field, value, expect) in [
            ("quantity", json!(-1), "quantity:"),
            ("quantity", json!("NaN"), "quantity:"),
            ("timestamp", json!("not a time"), "timestamp:"),
            ("event_id", json!(""), "event_id:"),
            ("properties", json!([1]), "properties:"),
            ("meter_code", json!(7), "meter_code:"),
        ] {
            let mut v = base();
            v[field] = value;
            let e = UsageEvent::from_json(&v).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
            assert!(e.message().starts_with(expect), "{}", e.message());
        }
        let e = UsageEvent::many_from_json(&json!([base(), {"event_id": "x"}])).unwrap_err();
        assert!(e.message().starts_with("events[1]."), "{}", e.message());
    }
}
