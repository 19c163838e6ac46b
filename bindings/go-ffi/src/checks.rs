//! What the C ABI checks at the boundary, in one place: the stated maximums of counts and lengths
//! (`hcpcore::limits`, re-exported as `HCP_MAX_*` for C and Go), the shape and depth of JSON documents
//! before they are parsed, and that no non-finite number leaves the library (scalars, out-structs,
//! columns and JSON results alike).

use std::ffi::c_char;
use std::fmt;

use hcpcore::limits;
use hcpcore::{Error, ErrorKind};
use serde::ser::{self, Serialize};

use crate::errors::out_string;

/// Most items one batch call takes or returns (`hcpcore::limits::MAX_BATCH`).
pub const HCP_MAX_BATCH: usize = 1_048_576;
/// Most devices one fleet or site holds (`hcpcore::limits::MAX_FLEET_DEVICES`).
pub const HCP_MAX_FLEET_DEVICES: usize = 1_048_576;
/// Most steps one market series, fleet run or decider series covers (`hcpcore::limits::MAX_STEPS`).
pub const HCP_MAX_STEPS: usize = 16_777_216;
/// Most requests one serving run or request generator takes or returns (`hcpcore::limits::MAX_REQUESTS`).
pub const HCP_MAX_REQUESTS: usize = 16_777_216;
/// Most prompt or output tokens of one request (`hcpcore::limits::MAX_REQUEST_TOKENS`).
pub const HCP_MAX_REQUEST_TOKENS: i64 = 16_777_216;
/// Most replicas one serving run simulates (`hcpcore::limits::MAX_REPLICAS`).
pub const HCP_MAX_REPLICAS: u32 = 4096;
/// Most nesting levels of a JSON document given to the library (`hcpcore::limits::MAX_DEPTH`).
pub const HCP_MAX_DEPTH: usize = 64;
/// Longest time step, seconds (`hcpcore::limits::MAX_DT_SECONDS`).
pub const HCP_MAX_DT_SECONDS: f64 = 31_557_600.0;
/// Shortest time step, seconds (`hcpcore::limits::MIN_DT_SECONDS`).
pub const HCP_MIN_DT_SECONDS: f64 = 0.001;

/// A count or length from the caller, checked against its maximum before anything is allocated.
pub fn count(field: &str, n: impl Into<i128>, max: usize) -> hcpcore::Result<usize> {
    limits::count(field, n.into(), max)
}

/// A time step in `[HCP_MIN_DT_SECONDS, HCP_MAX_DT_SECONDS]`.
pub fn dt_seconds(field: &str, dt: f64) -> hcpcore::Result<f64> {
    if !(limits::MIN_DT_SECONDS..=limits::MAX_DT_SECONDS).contains(&dt) {
        return Err(Error::invalid_input(
            field,
            format!("must be in {}..={} seconds, got {dt}", limits::MIN_DT_SECONDS, limits::MAX_DT_SECONDS),
        ));
    }
    Ok(dt)
}

/// What a JSON document must be at its top level.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A JSON object: configurations, commands, overrides, single records. serde would read an
    /// array positionally into a struct (`[60, 1]` as a fleet config), so arrays are refused.
    Object,
    /// Any JSON value (lists of events, thresholds, meter codes).
    Any,
}

/// Checks a JSON document before it is parsed: nesting at most `HCP_MAX_DEPTH` levels (a scan of
/// the bytes, no recursion) and, for [`Shape::Object`], an object at the top level. Malformed
/// text is left for the parser to report. Returns `text` for chaining.
pub fn json_doc<'a>(field: &str, text: &'a str, shape: Shape) -> hcpcore::Result<&'a str> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text.as_bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limits::MAX_DEPTH {
                    return Err(Error::invalid_input(
                        field,
                        format!("JSON nested deeper than {} levels", limits::MAX_DEPTH),
                    ));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if shape == Shape::Object {
        match text.trim_start().as_bytes().first() {
            Some(b'{') => {}
            Some(_) => return Err(Error::invalid_input(field, "must be a JSON object ({...})")),
            None => return Err(Error::invalid_input(field, "must be a JSON object, got empty text")),
        }
    }
    Ok(text)
}

/// The error for a non-finite number about to leave the library: a bug in hcp (the core
/// accepted the inputs, so it owes a finite answer or an `InvalidInput`).
pub fn non_finite(field: &str) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!("{field}: internal error (please report): a non-finite result (NaN or infinity) from accepted inputs"),
    )
}

/// A value that may cross back to the caller: `first_non_finite` names the first NaN or infinite
/// number in it, if any.
pub trait Output {
    /// The field holding the first non-finite number, or `None`.
    fn first_non_finite(&self) -> Option<&'static str>;
}

macro_rules! always_finite {
    ($($t:ty),*) => { $(impl Output for $t { fn first_non_finite(&self) -> Option<&'static str> { None } })* };
}
always_finite!((), bool, u8, i32, u32, i64, u64, usize, crate::router::hcp_state_counts_t);

impl<T> Output for *mut T {
    fn first_non_finite(&self) -> Option<&'static str> {
        None
    }
}

impl<T> Output for *const T {
    fn first_non_finite(&self) -> Option<&'static str> {
        None
    }
}

impl Output for f64 {
    fn first_non_finite(&self) -> Option<&'static str> {
        (!self.is_finite()).then_some("result")
    }
}

/// `impl Output` for a `#[repr(C)]` out-struct: lists its `f64` fields and nested out-structs.
macro_rules! finite_fields {
    ($t:ty { $($f:ident),* $(; $($nested:ident),*)? }) => {
        impl $crate::checks::Output for $t {
            fn first_non_finite(&self) -> Option<&'static str> {
                $(if !self.$f.is_finite() { return Some(stringify!($f)); })*
                $($(if let Some(f) = $crate::checks::Output::first_non_finite(&self.$nested) { return Some(f); })*)?
                None
            }
        }
    };
}
pub(crate) use finite_fields;

/// Refuses a column holding a non-finite number (an `Internal` error naming the column and row).
pub fn finite_column<T: Output>(field: &str, column: &[T]) -> hcpcore::Result<()> {
    match column.iter().position(|x| x.first_non_finite().is_some()) {
        None => Ok(()),
        Some(i) => Err(non_finite(&format!("{field}[{i}].{}", column[i].first_non_finite().unwrap_or("value")))),
    }
}

/// Serialises a result as an owned JSON C string, refusing any non-finite number in it (serde_json
/// would silently write it as `null`).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> hcpcore::Result<*mut c_char> {
    let mut check = FiniteCheck { path: Vec::new() };
    if let Err(NonFinite(path)) = value.serialize(&mut check) {
        return Err(non_finite(if path.is_empty() { "result" } else { &path }));
    }
    serde_json::to_string(value).map(out_string).map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))
}

/// Walks a `Serialize` value looking for a non-finite `f32`/`f64`; the error is the path to it.
struct FiniteCheck {
    path: Vec<String>,
}

#[derive(Debug)]
struct NonFinite(String);

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NonFinite {}

impl ser::Error for NonFinite {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        NonFinite(msg.to_string())
    }
}

impl FiniteCheck {
    fn float(&self, v: f64) -> Result<(), NonFinite> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(NonFinite(self.path.join(".")))
        }
    }

    fn nested<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), NonFinite> {
        self.path.push(key);
        value.serialize(&mut *self)?;
        self.path.pop();
        Ok(())
    }
}

macro_rules! ok_scalars {
    ($($m:ident: $t:ty),*) => { $(fn $m(self, _: $t) -> Result<(), NonFinite> { Ok(()) })* };
}

impl ser::Serializer for &mut FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    ok_scalars!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_u128: u128, serialize_char: char, serialize_str: &str, serialize_bytes: &[u8],
        serialize_unit_struct: &'static str);

    fn serialize_f32(self, v: f32) -> Result<(), NonFinite> {
        self.float(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), NonFinite> {
        self.float(v)
    }
    fn serialize_none(self) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NonFinite> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), NonFinite> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), NonFinite> {
        self.nested(variant.to_string(), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, v: &'static str, _: usize) -> Result<Self, NonFinite> {
        self.path.push(v.to_string());
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, v: &'static str, _: usize) -> Result<Self, NonFinite> {
        self.path.push(v.to_string());
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NonFinite> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeTuple for &mut FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NonFinite> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for &mut FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NonFinite> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for &mut FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NonFinite> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), NonFinite> {
        self.path.pop();
        Ok(())
    }
}

impl ser::SerializeMap for &mut FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NonFinite> {
        let name = serde_json::to_string(key).unwrap_or_default();
        self.path.push(name.trim_matches('"').to_string());
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NonFinite> {
        value.serialize(&mut **self)?;
        self.path.pop();
        Ok(())
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeStruct for &mut FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), NonFinite> {
        self.nested(key.to_string(), value)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), NonFinite> {
        self.nested(key.to_string(), value)
    }
    fn end(self) -> Result<(), NonFinite> {
        self.path.pop();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stated_maximums_match_the_core() {
        assert_eq!(HCP_MAX_BATCH, limits::MAX_BATCH);
        assert_eq!(HCP_MAX_FLEET_DEVICES, limits::MAX_FLEET_DEVICES);
        assert_eq!(HCP_MAX_STEPS, limits::MAX_STEPS);
        assert_eq!(HCP_MAX_REQUESTS, limits::MAX_REQUESTS);
        assert_eq!(HCP_MAX_REQUEST_TOKENS, limits::MAX_REQUEST_TOKENS);
        assert_eq!(HCP_MAX_REPLICAS, limits::MAX_REPLICAS);
        assert_eq!(HCP_MAX_DEPTH, limits::MAX_DEPTH);
        assert_eq!(HCP_MAX_DT_SECONDS, limits::MAX_DT_SECONDS);
        assert_eq!(HCP_MIN_DT_SECONDS, limits::MIN_DT_SECONDS);
    }

    #[test]
    fn json_documents_are_objects_of_bounded_depth() {
        assert!(json_doc("config", r#"{"a": [1, {"b": "[[[["}]}"#, Shape::Object).is_ok());
        let e = json_doc("config", "[60, 1]", Shape::Object).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().starts_with("config:"), "{}", e.message());
        assert!(json_doc("events", "[1, 2]", Shape::Any).is_ok());
        let deep = "[".repeat(30_000) + &"]".repeat(30_000);
        let e = json_doc("events", &deep, Shape::Any).unwrap_err();
        assert!(e.message().starts_with("events: JSON nested deeper"), "{}", e.message());
        let ok = "[".repeat(HCP_MAX_DEPTH) + &"]".repeat(HCP_MAX_DEPTH);
        assert!(json_doc("events", &ok, Shape::Any).is_ok());
        // Brackets inside strings, escaped quotes included, do not count.
        let quoted = format!("{{\"k\": \"\\\"{}\"}}", "[".repeat(1000));
        assert!(json_doc("config", &quoted, Shape::Object).is_ok());
    }

    #[test]
    fn non_finite_results_are_internal_errors_naming_the_path() {
        #[derive(serde::Serialize)]
        struct Inner {
            ok: f64,
            bad: Vec<f64>,
        }
        #[derive(serde::Serialize)]
        struct Outer {
            inner: Inner,
        }
        let e = to_json(&Outer { inner: Inner { ok: 1.0, bad: vec![1.0, f64::NAN] } }).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(e.message().starts_with("inner.bad:"), "{}", e.message());
        let p = to_json(&Outer { inner: Inner { ok: 1.0, bad: vec![2.0] } }).unwrap();
        // SAFETY: `p` was just returned by `to_json` and is freed once.
        unsafe { crate::errors::hcp_string_free(p) };
        assert!(finite_column("profit", &[1.0, f64::INFINITY]).unwrap_err().message().starts_with("profit[1]"));
        assert_eq!(f64::NAN.first_non_finite(), Some("result"));
    }
}
