//! Overriding a shipped profile from JSON: the caller's object is merged key by key onto the
//! profile's own serialisation, so `{"power": {"limit_watts": 500}}` changes one field and keeps
//! every other fitted value.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::{Error, Result};

/// `base` with the fields present in `overrides` (a JSON object, nested objects merged) replaced.
/// Unknown fields are refused by the target type's `deny_unknown_fields`.
pub(crate) fn merge_overrides<T: Serialize + DeserializeOwned>(base: &T, overrides: &str, what: &str) -> Result<T> {
    let patch: Value =
        serde_json::from_str(overrides).map_err(|e| Error::invalid_input(what, format!("malformed JSON: {e}")))?;
    if !patch.is_object() {
        return Err(Error::invalid_input(what, "overrides must be a JSON object"));
    }
    let mut value = serde_json::to_value(base).map_err(|e| Error::new(crate::ErrorKind::Internal, e.to_string()))?;
    merge(&mut value, patch);
    serde_json::from_value(value).map_err(|e| Error::invalid_input(what, e.to_string()))
}

fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        t.insert(k, v);
                    }
                }
            }
        }
        (t, p) => *t = p,
    }
}
