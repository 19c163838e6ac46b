//! Exact decimals from JSON: amounts and quantities may arrive as JSON numbers or as decimal
//! strings, and both must mean exactly what was written.
//!
//! serde_json keeps integers exactly and floats as the shortest text that round-trips, so a JSON
//! number like `0.1` becomes the decimal `0.1`, not `0.1000000000000000055…`. Strings are parsed
//! directly (plain or scientific notation). NaN, infinities, empty strings and values beyond
//! `rust_decimal`'s 28 digits are `InvalidInput` naming the field.

use crate::{Error, Result};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// Parses decimal text (`"12.50"`, `"-3"`, `"1e-3"`); errors name `field`.
///
/// ```
/// use hcpcore::billing::parse_decimal;
/// assert_eq!(parse_decimal("amount", "0.10").unwrap().to_string(), "0.10");
/// assert!(parse_decimal("amount", "NaN").is_err());
/// ```
pub fn parse_decimal(field: &str, text: &str) -> Result<Decimal> {
    let trimmed = text.trim();
    let parsed =
        if trimmed.contains(['e', 'E']) { Decimal::from_scientific(trimmed) } else { Decimal::from_str(trimmed) };
    parsed.map_err(|_| {
        let shown: String = text.chars().take(40).collect();
        Error::invalid_input(field, format!("not a decimal number: {shown:?}"))
    })
}

/// A decimal from a JSON number or decimal string; errors name `field`.
pub fn decimal_from_json(field: &str, value: &Value) -> Result<Decimal> {
    match value {
        Value::String(s) => parse_decimal(field, s),
        Value::Number(n) => parse_decimal(field, &n.to_string()),
        other => Err(Error::invalid_input(field, format!("expected a number or decimal string, got {}", kind(other)))),
    }
}

/// A non-negative decimal from JSON.
pub(crate) fn non_negative_from_json(field: &str, value: &Value) -> Result<Decimal> {
    let d = decimal_from_json(field, value)?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(Error::invalid_input(field, format!("must be >= 0, got {d}")));
    }
    Ok(d)
}

/// `a + b`, or `InvalidInput` naming `field` when the result leaves the decimal range.
pub(crate) fn checked_add(field: &str, a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| Error::invalid_input(field, "amount overflows the 28-digit decimal range"))
}

/// `a × b`, or `InvalidInput` naming `field` on overflow.
pub(crate) fn checked_mul(field: &str, a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_mul(b).ok_or_else(|| Error::invalid_input(field, "amount overflows the 28-digit decimal range"))
}

/// `a ÷ b`, or `InvalidInput` naming `field` on overflow or division by zero.
pub(crate) fn checked_div(field: &str, a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_div(b).ok_or_else(|| Error::invalid_input(field, "division overflows or divides by zero"))
}

/// The JSON type name of a value, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads an object's fields, reporting missing, mistyped and unknown fields by their full path.
pub(crate) struct Fields<'a> {
    path: String,
    map: &'a serde_json::Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// Views `value` as an object at `path` (empty for the root).
    pub fn new(path: &str, value: &'a Value) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(Fields { path: path.to_string(), map }),
            other => Err(Error::invalid_input(
                if path.is_empty() { "(root)" } else { path },
                format!("expected an object, got {}", kind(other)),
            )),
        }
    }

    /// The full path of a field.
    pub fn path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Rejects any field not in `known` (a typo in a price must not be silently ignored).
    pub fn only(&self, known: &[&str]) -> Result<()> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(Error::invalid_input(&self.path(k), format!("unknown field; expected one of {known:?}"))),
            None => Ok(()),
        }
    }

    /// The raw value, treating JSON null as absent.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A required non-negative decimal.
    pub fn non_negative(&self, name: &str) -> Result<Decimal> {
        let v = self.get(name).ok_or_else(|| Error::invalid_input(&self.path(name), "required"))?;
        non_negative_from_json(&self.path(name), v)
    }

    /// An optional non-negative decimal.
    pub fn opt_non_negative(&self, name: &str) -> Result<Option<Decimal>> {
        self.get(name).map(|v| non_negative_from_json(&self.path(name), v)).transpose()
    }

    /// A required string.
    pub fn str(&self, name: &str) -> Result<&'a str> {
        self.opt_str(name)?.ok_or_else(|| Error::invalid_input(&self.path(name), "required"))
    }

    /// An optional string.
    pub fn opt_str(&self, name: &str) -> Result<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => {
                Err(Error::invalid_input(&self.path(name), format!("expected a string, got {}", kind(other))))
            }
        }
    }

    /// An optional boolean.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => {
                Err(Error::invalid_input(&self.path(name), format!("expected a boolean, got {}", kind(other))))
            }
        }
    }

    /// An optional array.
    pub fn opt_array(&self, name: &str) -> Result<Option<&'a Vec<Value>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => {
                Err(Error::invalid_input(&self.path(name), format!("expected an array, got {}", kind(other))))
            }
        }
    }

    /// An optional non-negative whole number (JSON integer or integral decimal string).
    pub fn opt_count(&self, name: &str) -> Result<Option<u64>> {
        let Some(d) = self.opt_non_negative(name)? else { return Ok(None) };
        if d.fract() != Decimal::ZERO {
            return Err(Error::invalid_input(&self.path(name), format!("must be a whole number, got {d}")));
        }
        u64::try_from(d).map(Some).map_err(|_| Error::invalid_input(&self.path(name), "too large"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_strings_are_exact() {
        assert_eq!(decimal_from_json("x", &json!(0.1)).unwrap().to_string(), "0.1");
        assert_eq!(decimal_from_json("x", &json!("0.10")).unwrap().to_string(), "0.10");
        assert_eq!(decimal_from_json("x", &json!(12345678901234567u64)).unwrap().to_string(), "12345678901234567");
        assert_eq!(decimal_from_json("x", &json!("1.5e2")).unwrap().to_string(), "150");
        for bad in [json!("NaN"), json!("inf"), json!(""), json!(true), json!(null), json!("1e40")] {
            assert!(decimal_from_json("x", &bad).unwrap_err().message().starts_with("x:"), "{bad}");
        }
    }
}
