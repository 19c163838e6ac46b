//! Argument conversion at the JavaScript boundary, written once for every export (issue #10).
//!
//! - [`Value`]: a JSON-like argument (config, overrides, events, plan documents). Read with a
//!   depth limit ([`hcpcore::limits::MAX_DEPTH`], which also stops self-referencing objects) and a
//!   budget of values, so no input overflows the native stack or loops. NaN, ±Infinity, BigInt,
//!   functions and symbols are refused with the path of the offending field. The error is kept
//!   until the export names the argument ([`Value::get`]), so the message reads
//!   `config.faults.rate: must be a finite number, got NaN`.
//! - [`int`], [`count`], [`seed`]: integer arguments arrive as JS numbers (`f64`) and are
//!   checked here — finite, integral, in range — rather than truncated or wrapped by N-API
//!   (`NaN` → 0, `2.5` → 2, `-1` → 4294967295).
//!
//! The type is named `Value` on purpose: napi-rs's TypeScript generator maps any type whose
//! last path segment is `Value` to `any`, as it does for `serde_json::Value`, so index.d.ts
//! keeps its signatures.

use std::fmt::Write as _;
use std::ptr;

use hcpcore::limits::MAX_DEPTH;
use napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, ValueType};
use serde_json::{Map, Number, Value as Json};

use crate::errors::{invalid_input, Result};

/// Most values (objects, arrays and leaves together) one argument may hold: bounds the work of
/// a shared-object graph that a depth limit alone would let expand exponentially.
const MAX_VALUES: usize = 1_000_000;

/// Largest integer a JS number holds exactly (2^53 − 1).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Why an argument could not be read: the path inside it and the reason.
#[derive(Debug, Clone)]
struct Bad {
    path: String,
    reason: String,
}

/// A JSON-like JavaScript argument, converted with limits; see the module docs.
pub struct Value(std::result::Result<Json, Bad>);

impl Value {
    /// The converted value, or `InvalidInput` naming `field` and the path inside it.
    pub fn get(self, field: &str) -> Result<Json> {
        self.0.map_err(|b| invalid_input(&format!("{field}{}", b.path), b.reason))
    }
}

impl Value {
    /// The converted value, which must be an array (`InvalidInput` naming `field` otherwise).
    pub fn array(self, field: &str) -> Result<std::vec::Vec<Json>> {
        match self.get(field)? {
            Json::Array(items) => Ok(items),
            other => Err(invalid_input(field, format!("must be an array, got {}", kind(&other)))),
        }
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

impl TypeName for Value {
    fn type_name() -> &'static str {
        "Value"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Value {}

impl FromNapiValue for Value {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        let mut budget = MAX_VALUES;
        let mut path = String::new();
        Ok(Value(unsafe { convert(env, v, 1, &mut path, &mut budget) }))
    }
}

fn bad(path: &str, reason: impl Into<String>) -> Bad {
    Bad { path: path.to_string(), reason: reason.into() }
}

fn napi_ok(status: sys::napi_status, path: &str) -> std::result::Result<(), Bad> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(bad(path, "could not be read"))
    }
}

/// A JS number as a JSON number: integral values as integers (so serde reads them into integer
/// fields), others as floats; non-finite values are refused.
fn number(path: &str, x: f64) -> std::result::Result<Json, Bad> {
    if !x.is_finite() {
        return Err(bad(path, format!("must be a finite number, got {}", js_number(x))));
    }
    if x.fract() == 0.0 && x.abs() <= MAX_SAFE_INTEGER {
        return Ok(Json::Number(Number::from(x as i64)));
    }
    Number::from_f64(x).map(Json::Number).ok_or_else(|| bad(path, format!("must be a finite number, got {x}")))
}

/// A number as JavaScript prints it (`NaN`, `Infinity`, `-Infinity`).
pub fn js_number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if x != 0.0 && (x.abs() >= 1e21 || x.abs() < 1e-6) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

unsafe fn type_of(env: sys::napi_env, v: sys::napi_value, path: &str) -> std::result::Result<i32, Bad> {
    let mut t = 0;
    napi_ok(unsafe { sys::napi_typeof(env, v, &mut t) }, path)?;
    Ok(t)
}

unsafe fn convert(
    env: sys::napi_env,
    v: sys::napi_value,
    depth: usize,
    path: &mut String,
    budget: &mut usize,
) -> std::result::Result<Json, Bad> {
    if *budget == 0 {
        return Err(bad(path, format!("holds more than {MAX_VALUES} values")));
    }
    *budget -= 1;
    use sys::ValueType as T;
    match unsafe { type_of(env, v, path)? } {
        T::napi_undefined | T::napi_null => Ok(Json::Null),
        T::napi_boolean => {
            let mut b = false;
            napi_ok(unsafe { sys::napi_get_value_bool(env, v, &mut b) }, path)?;
            Ok(Json::Bool(b))
        }
        T::napi_number => {
            let mut x = 0.0;
            napi_ok(unsafe { sys::napi_get_value_double(env, v, &mut x) }, path)?;
            number(path, x)
        }
        T::napi_string => match unsafe { String::from_napi_value(env, v) } {
            Ok(s) => Ok(Json::String(s)),
            Err(_) => Err(bad(path, "could not be read as a string")),
        },
        T::napi_bigint => Err(bad(path, "must be a number or a decimal string, got a BigInt")),
        T::napi_function => Err(bad(path, "must be plain data, got a function")),
        T::napi_symbol => Err(bad(path, "must be plain data, got a symbol")),
        T::napi_object => {
            if depth > MAX_DEPTH {
                // Named by the argument alone: the path down a cycle is the same key repeated.
                let at: String = path.chars().take(48).collect();
                return Err(bad("", format!("nested deeper than {MAX_DEPTH} levels or refers to itself (at {at}…)")));
            }
            let mut is_array = false;
            napi_ok(unsafe { sys::napi_is_array(env, v, &mut is_array) }, path)?;
            let mark = path.len();
            if is_array {
                let mut len = 0u32;
                napi_ok(unsafe { sys::napi_get_array_length(env, v, &mut len) }, path)?;
                if len as usize > *budget {
                    return Err(bad(path, format!("holds more than {MAX_VALUES} values")));
                }
                let mut out = std::vec::Vec::with_capacity(len as usize);
                for i in 0..len {
                    let mut e = ptr::null_mut();
                    let _ = write!(path, "[{i}]");
                    napi_ok(unsafe { sys::napi_get_element(env, v, i, &mut e) }, path)?;
                    out.push(unsafe { convert(env, e, depth + 1, path, budget)? });
                    path.truncate(mark);
                }
                Ok(Json::Array(out))
            } else {
                let mut names = ptr::null_mut();
                napi_ok(
                    unsafe {
                        sys::napi_get_all_property_names(
                            env,
                            v,
                            sys::KeyCollectionMode::own_only,
                            sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                            sys::KeyConversion::numbers_to_strings,
                            &mut names,
                        )
                    },
                    path,
                )?;
                let mut len = 0u32;
                napi_ok(unsafe { sys::napi_get_array_length(env, names, &mut len) }, path)?;
                if len as usize > *budget {
                    return Err(bad(path, format!("holds more than {MAX_VALUES} values")));
                }
                let mut out = Map::new();
                for i in 0..len {
                    let mut key = ptr::null_mut();
                    napi_ok(unsafe { sys::napi_get_element(env, names, i, &mut key) }, path)?;
                    let name = unsafe { String::from_napi_value(env, key) }
                        .map_err(|_| bad(path, "has a key that is not a string"))?;
                    let _ = write!(path, ".{name}");
                    let mut e = ptr::null_mut();
                    napi_ok(unsafe { sys::napi_get_property(env, v, key, &mut e) }, path)?;
                    // `{ field: undefined }` reads as an absent field, as in JSON.stringify.
                    if unsafe { type_of(env, e, path)? } != T::napi_undefined {
                        out.insert(name, unsafe { convert(env, e, depth + 1, path, budget)? });
                    }
                    path.truncate(mark);
                }
                Ok(Json::Object(out))
            }
        }
        _ => Err(bad(path, "must be plain data (an object, array, string, number, boolean or null)")),
    }
}

/// A list argument: its length is checked against [`hcpcore::limits::MAX_BATCH`] before anything
/// is allocated (N-API's own `Vec` conversion reserves `array.length` elements first, so a sparse
/// `new Array(2 ** 32 - 1)` would abort the process). Named `Vec` so that index.d.ts keeps
/// `Array<T>`, as with [`Value`].
pub struct Vec<T>(pub std::vec::Vec<T>);

impl<T> std::ops::Deref for Vec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> TypeName for Vec<T> {
    fn type_name() -> &'static str {
        "Array"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl<T> ValidateNapiValue for Vec<T> {}

impl<T: FromNapiValue> FromNapiValue for Vec<T> {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        let mut is_array = false;
        let mut len = 0u32;
        if unsafe { sys::napi_is_array(env, v, &mut is_array) } != sys::Status::napi_ok || !is_array {
            return Err(napi::Error::new(napi::Status::ArrayExpected, "must be an array".to_string()));
        }
        if unsafe { sys::napi_get_array_length(env, v, &mut len) } != sys::Status::napi_ok {
            return Err(napi::Error::new(napi::Status::ArrayExpected, "must be an array".to_string()));
        }
        if len as usize > hcpcore::limits::MAX_BATCH {
            return Err(napi::Error::new(
                napi::Status::InvalidArg,
                format!("length must be at most {}, got {len}", hcpcore::limits::MAX_BATCH),
            ));
        }
        Ok(Vec(unsafe { std::vec::Vec::<T>::from_napi_value(env, v) }?))
    }
}

/// An options object whose fields are all optional (`TermsInit`, `SubmitOptions`, …): it must be
/// an object. N-API reads such a struct's fields from whatever it is given, so a number, string
/// or BigInt would otherwise pass as `{}` and be silently ignored.
pub struct Obj<T>(pub T);

impl<T> TypeName for Obj<T> {
    fn type_name() -> &'static str {
        "Object"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl<T> ValidateNapiValue for Obj<T> {}

impl<T: FromNapiValue> FromNapiValue for Obj<T> {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        let mut t = 0;
        let mut is_array = false;
        let ok = unsafe { sys::napi_typeof(env, v, &mut t) } == sys::Status::napi_ok
            && t == sys::ValueType::napi_object
            && unsafe { sys::napi_is_array(env, v, &mut is_array) } == sys::Status::napi_ok
            && !is_array;
        if !ok {
            return Err(napi::Error::new(napi::Status::ObjectExpected, "must be an options object".to_string()));
        }
        Ok(Obj(unsafe { T::from_napi_value(env, v) }?))
    }
}

/// An integer argument given as a JS number: finite, integral and in `min..=max`, else
/// `InvalidInput` naming `field`.
pub fn int(field: &str, x: f64, min: i64, max: i64) -> Result<i64> {
    if !x.is_finite() {
        return Err(invalid_input(field, format!("must be a finite integer, got {}", js_number(x))));
    }
    if x.fract() != 0.0 {
        return Err(invalid_input(field, format!("must be an integer, got {}", js_number(x))));
    }
    if x < min as f64 || x > max as f64 {
        return Err(invalid_input(field, format!("must be in {min}..={max}, got {}", js_number(x))));
    }
    Ok(x as i64)
}

/// An optional integer argument.
pub fn opt_int(field: &str, x: Option<f64>, min: i64, max: i64) -> Result<Option<i64>> {
    x.map(|x| int(field, x, min, max)).transpose()
}

/// A count checked against its stated maximum (`hcpcore::limits`) before anything is allocated.
pub fn count(field: &str, x: f64, max: usize) -> Result<usize> {
    Ok(int(field, x, 0, max.min(MAX_SAFE_INTEGER as usize) as i64)? as usize)
}

/// A `u32` quantity (layer shapes, token counts).
pub fn u32_arg(field: &str, x: f64) -> Result<u32> {
    Ok(int(field, x, 0, u32::MAX as i64)? as u32)
}

/// Any integer a JS number holds exactly (ids, priorities, heights: the core checks the domain).
pub fn safe_int(field: &str, x: f64) -> Result<i64> {
    int(field, x, -(MAX_SAFE_INTEGER as i64), MAX_SAFE_INTEGER as i64)
}

/// A seed: an integer in 0..=2^53 − 1.
pub fn seed(field: &str, x: f64) -> Result<u64> {
    Ok(int(field, x, 0, MAX_SAFE_INTEGER as i64)? as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_checked_not_coerced() {
        assert_eq!(int("n", 5.0, 0, 10).unwrap(), 5);
        for bad in [f64::NAN, f64::INFINITY, 2.5, -1.0, 11.0] {
            assert!(int("n", bad, 0, 10).is_err(), "{bad}");
        }
        assert!(count("n", 4294967295.0, hcpcore::limits::MAX_BATCH).is_err());
        assert_eq!(js_number(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn numbers_keep_integers_integral() {
        assert_eq!(number("", 3.0).unwrap(), Json::from(3));
        assert!(number("", f64::NAN).is_err());
        assert_eq!(number("", 2.5).unwrap(), Json::from(2.5));
    }
}
