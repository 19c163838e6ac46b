//! Conversions shared by every module of the Python binding, and the one place where arguments
//! cross the boundary:
//!
//! - serde data → Python objects (objects become `hcpcore._record.Record`, a dict with attribute
//!   access). A non-finite float in a result is never shown (JSON would make it `None`): it is an
//!   `InternalError` naming the field, since the core promises finite results.
//! - Python arguments → Rust values ([`arg`], [`opt_arg`], [`str_arg`], …). Every failure is an
//!   `hcp.HcpError` naming the argument: a value of the wrong Python type is an
//!   `InvalidTypeError` (an `InvalidInputError` that is also a `TypeError`), a value of the right
//!   type that does not fit (an int beyond 64 bits, a string with a lone surrogate) is an
//!   `InvalidInputError`. PyO3's own conversions would raise `OverflowError`, `TypeError` or
//!   `UnicodeEncodeError` without the field, so public entry points take `&Bound<PyAny>` and
//!   convert here.
//! - Python containers → JSON ([`py_to_json`]): nesting is limited to `hcpcore::limits::MAX_DEPTH`
//!   (a cyclic or 30,000-deep dict is refused, not a stack overflow) and an iterable to
//!   `hcpcore::limits::MAX_BATCH` items (an endless generator is refused, not looped over).

use std::borrow::Cow;

use hcpcore::limits::{MAX_BATCH, MAX_DEPTH};
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::errors::{internal, invalid_input, invalid_type};

static RECORD: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static RECORDS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn record_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    RECORD.import(py, "hcpcore._record", "Record")
}

fn records_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    RECORDS.import(py, "hcpcore._record", "Records")
}

/// Wraps a dict as a `Record` (the class is looked up once and cached).
pub fn record<'py>(py: Python<'py>, d: Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
    record_class(py)?.call1((d,))
}

/// A JSON value as a Python object: objects → `Record`, arrays → list (an array of objects →
/// `Records`, a list that prints a summary and has `to_pandas()`), numbers → int or float.
pub fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            if !items.is_empty() && items.iter().all(Value::is_object) {
                records_class(py)?.call1((list,))?
            } else {
                list.into_any()
            }
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, json_to_py(py, item)?)?;
            }
            record_class(py)?.call1((dict,))?
        }
    })
}

/// Any serialisable core value as a Python object (see [`json_to_py`]). A non-finite float
/// anywhere in it is an `InternalError` naming its path (JSON would silently make it `None`).
pub fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    finite::check(value)
        .map_err(|path| internal(format!("non-finite result at {path} (a bug in hcp; please report)")))?;
    let v = serde_json::to_value(value).map_err(|e| internal(format!("result: {e}")))?;
    json_to_py(py, &v)
}

/// A float result, refused (`InternalError` naming `field`) unless finite.
pub fn finite(field: &str, x: f64) -> PyResult<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(internal(format!("{field}: non-finite result {x} (a bug in hcp; please report)")))
    }
}

/// A float column result, refused (`InternalError` naming `field` and the index) unless every
/// entry is finite.
pub fn finite_col(field: &str, xs: &[f64]) -> PyResult<()> {
    match xs.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(i) => Err(internal(format!("{field}[{i}]: non-finite result {} (a bug in hcp; please report)", xs[i]))),
    }
}

/// A Python value (None, bool, int, float, str, list, tuple, dict, other iterables) as JSON.
/// Floats that are not finite become the strings "NaN"/"inf" so that the core's validation
/// names the field. `field` names the argument in every error; nesting deeper than
/// `MAX_DEPTH` (a cyclic container included) and iterables longer than `MAX_BATCH` are
/// `InvalidInputError`.
pub fn py_to_json(v: &Bound<'_, PyAny>, field: &str) -> PyResult<Value> {
    to_json(v, field, field, 0)
}

fn to_json(v: &Bound<'_, PyAny>, arg: &str, field: &str, depth: usize) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::String(s.to_cow().map_err(|_| invalid_input(field, "not valid Unicode"))?.into_owned()));
    }
    // An int, or an int-like scalar (numpy integers); arrays also have `__index__` but refuse it.
    if v.is_instance_of::<PyInt>() || (!v.is_instance_of::<PyFloat>() && v.hasattr("__index__")?) {
        match v.extract::<i128>() {
            Ok(i) => {
                return match (i64::try_from(i), u64::try_from(i)) {
                    (Ok(i), _) => Ok(Value::from(i)),
                    (_, Ok(u)) => Ok(Value::from(u)),
                    _ => Err(invalid_input(field, format!("integer out of range: {i}"))),
                }
            }
            Err(e) if !e.is_instance_of::<PyTypeError>(v.py()) => {
                return Err(invalid_input(field, "integer out of range"))
            }
            Err(_) if v.is_instance_of::<PyInt>() => return Err(invalid_type(field, "an int", v)),
            Err(_) => {}
        }
    }
    if let Ok(f) = v.extract::<f64>() {
        return Ok(serde_json::Number::from_f64(f).map(Value::Number).unwrap_or_else(|| Value::String(f.to_string())));
    }
    if depth >= MAX_DEPTH {
        return Err(invalid_input(arg, format!("nested deeper than {MAX_DEPTH} levels (or refers to itself)")));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, item) in d.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| invalid_input(field, "dict keys must be strings"))?
                .to_cow()
                .map_err(|_| invalid_input(field, "dict keys must be valid Unicode"))?
                .into_owned();
            let child = to_json(&item, arg, &key, depth + 1)?;
            map.insert(key, child);
        }
        return Ok(Value::Object(map));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() || v.hasattr("__iter__")? {
        let items = v.try_iter().map_err(|_| invalid_type(field, "a JSON-like value", v))?;
        let mut out = Vec::new();
        for item in items {
            if out.len() >= MAX_BATCH {
                return Err(invalid_input(field, format!("has more than {MAX_BATCH} items")));
            }
            out.push(to_json(&item.map_err(|e| invalid_input(field, e))?, arg, field, depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    Err(invalid_type(field, "a JSON-like value (None, bool, int, float, str, list, dict)", v))
}

/// Refuses JSON text's value nested deeper than `MAX_DEPTH` (serde_json itself stops at 128),
/// so that JSON text and Python containers have the same limit.
pub fn check_json_depth(field: &str, v: &Value) -> hcpcore::Result<()> {
    let mut stack = vec![(v, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth >= MAX_DEPTH {
            return Err(hcpcore::Error::invalid_input(field, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    Ok(())
}

/// Keyword arguments as a serde struct (`deny_unknown_fields` structs reject unknown keys).
/// A non-finite float is refused here, naming its key, since JSON cannot carry it.
pub fn kwargs_to<T: DeserializeOwned>(kwargs: Option<&Bound<'_, PyDict>>, what: &str) -> PyResult<T> {
    let mut map = serde_json::Map::new();
    if let Some(kwargs) = kwargs {
        for (k, v) in kwargs.iter() {
            let key = str_arg(&k, what)?.into_owned();
            if v.is_instance_of::<PyFloat>() {
                let f = v.extract::<f64>()?;
                if !f.is_finite() {
                    return Err(invalid_input(&key, format!("must be finite, got {f}")));
                }
            }
            let value = to_json(&v, &key, &key, 0)?;
            map.insert(key, value);
        }
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| invalid_input(what, e))
}

/// A dict argument (or None) for [`kwargs_to`]; anything else is `InvalidTypeError`.
pub fn dict_arg<'a, 'py>(v: Option<&'a Bound<'py, PyAny>>, field: &str) -> PyResult<Option<&'a Bound<'py, PyDict>>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => v.cast::<PyDict>().map(Some).map_err(|_| invalid_type(field, "a dict", v)),
    }
}

// ------------------------------------------------------------------ arguments --------------

/// A Rust value converted from a Python argument, every failure naming the argument.
pub trait FromArg: Sized {
    /// Converts `v`; `field` names the argument in the error.
    fn from_arg(v: &Bound<'_, PyAny>, field: &str) -> PyResult<Self>;
}

/// Converts a required argument.
pub fn arg<T: FromArg>(v: &Bound<'_, PyAny>, field: &str) -> PyResult<T> {
    T::from_arg(v, field)
}

/// Converts an optional argument (absent or `None` → `None`).
pub fn opt_arg<T: FromArg>(v: Option<&Bound<'_, PyAny>>, field: &str) -> PyResult<Option<T>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => T::from_arg(v, field).map(Some),
    }
}

/// Converts an argument with a default (absent or `None` → `default`).
pub fn arg_or<T: FromArg>(v: Option<&Bound<'_, PyAny>>, field: &str, default: T) -> PyResult<T> {
    Ok(opt_arg(v, field)?.unwrap_or(default))
}

/// A `str` argument, borrowed where possible.
pub fn str_arg<'a>(v: &'a Bound<'_, PyAny>, field: &str) -> PyResult<Cow<'a, str>> {
    let s = v.cast::<PyString>().map_err(|_| invalid_type(field, "a str", v))?;
    s.to_cow().map_err(|_| invalid_input(field, "not valid Unicode (a lone surrogate)"))
}

/// An optional `str` argument.
pub fn opt_str_arg<'a>(v: Option<&'a Bound<'_, PyAny>>, field: &str) -> PyResult<Option<Cow<'a, str>>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => str_arg(v, field).map(Some),
    }
}

/// A `str` argument with a default.
pub fn str_or<'a>(v: Option<&'a Bound<'_, PyAny>>, field: &str, default: &'static str) -> PyResult<Cow<'a, str>> {
    Ok(opt_str_arg(v, field)?.unwrap_or(Cow::Borrowed(default)))
}

fn int_value(v: &Bound<'_, PyAny>, field: &str) -> PyResult<i128> {
    if v.is_instance_of::<PyFloat>() {
        return Err(invalid_type(field, "an int", v));
    }
    v.extract::<i128>().map_err(|e| {
        if e.is_instance_of::<PyOverflowError>(v.py()) {
            invalid_input(field, "integer out of range")
        } else {
            invalid_type(field, "an int", v)
        }
    })
}

macro_rules! int_from_arg {
    ($($t:ty),*) => {$(
        impl FromArg for $t {
            fn from_arg(v: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
                let i = int_value(v, field)?;
                <$t>::try_from(i).map_err(|_| {
                    invalid_input(field, format!("must be in {}..={}, got {i}", <$t>::MIN, <$t>::MAX))
                })
            }
        }
    )*};
}
int_from_arg!(i64, u64, u32);

/// A count: an int in `0..=max` (`hcpcore::limits::count`), checked before anything is allocated.
pub fn count_arg(v: &Bound<'_, PyAny>, field: &str, max: usize) -> PyResult<usize> {
    hcpcore::limits::count(field, int_value(v, field)?, max).map_err(crate::errors::to_py_err)
}

impl FromArg for f64 {
    fn from_arg(v: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        if let Ok(f) = v.cast::<PyFloat>() {
            return Ok(f.value());
        }
        if v.is_instance_of::<PyString>() {
            return Err(invalid_type(field, "a number", v));
        }
        v.extract::<f64>().map_err(|e| {
            if e.is_instance_of::<PyOverflowError>(v.py()) {
                invalid_input(field, "number out of range")
            } else {
                invalid_type(field, "a number", v)
            }
        })
    }
}

/// A time step in `hcpcore::limits::MIN_DT_SECONDS..=MAX_DT_SECONDS` seconds (a NaN is outside).
pub fn dt_arg(v: &Bound<'_, PyAny>, field: &str) -> PyResult<f64> {
    use hcpcore::limits::{MAX_DT_SECONDS, MIN_DT_SECONDS};
    let x: f64 = arg(v, field)?;
    if (MIN_DT_SECONDS..=MAX_DT_SECONDS).contains(&x) {
        Ok(x)
    } else {
        Err(invalid_input(field, format!("must be in {MIN_DT_SECONDS}..={MAX_DT_SECONDS} seconds, got {x}")))
    }
}

impl FromArg for bool {
    fn from_arg(v: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        v.extract::<bool>().map_err(|_| invalid_type(field, "a bool", v))
    }
}

impl FromArg for String {
    fn from_arg(v: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        str_arg(v, field).map(Cow::into_owned)
    }
}

impl FromArg for std::path::PathBuf {
    fn from_arg(v: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        if let Ok(s) = v.cast::<PyString>() {
            return Ok(s.to_cow().map_err(|_| invalid_input(field, "not valid Unicode"))?.into_owned().into());
        }
        v.extract::<std::path::PathBuf>().map_err(|_| invalid_type(field, "a str or path", v))
    }
}

/// A list of strings (any iterable of `str` but a `str` itself), at most `MAX_BATCH` long.
impl FromArg for Vec<String> {
    fn from_arg(v: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        if v.is_instance_of::<PyString>() {
            return Err(invalid_type(field, "a list of str", v));
        }
        let items = v.try_iter().map_err(|_| invalid_type(field, "a list of str", v))?;
        let mut out = Vec::new();
        for item in items {
            if out.len() >= MAX_BATCH {
                return Err(invalid_input(field, format!("has more than {MAX_BATCH} items")));
            }
            out.push(str_arg(&item.map_err(|e| invalid_input(field, e))?, field)?.into_owned());
        }
        Ok(out)
    }
}

/// The length of a sized argument, refused above `max` (before anything is read from it).
pub fn len_arg(v: &Bound<'_, PyAny>, field: &str, max: usize) -> PyResult<usize> {
    let n = v.len().map_err(|_| invalid_type(field, "a sequence", v))?;
    if n > max {
        return Err(invalid_input(field, format!("has {n} items, at most {max} allowed")));
    }
    Ok(n)
}

/// A pyclass argument (`&Market`, …) by reference; anything else is `InvalidTypeError`.
pub fn class_arg<'a, 'py, T: pyo3::PyClass>(v: &'a Bound<'py, PyAny>, field: &str) -> PyResult<&'a Bound<'py, T>> {
    v.cast::<T>().map_err(|_| invalid_type(field, &format!("an hcpcore.{}", T::NAME), v))
}

// ------------------------------------------------------------------ finite check -----------

mod finite {
    //! A serde serializer that only looks for non-finite floats and reports where the first
    //! one is (the path is built only then).

    use serde::ser::{self, Serialize};
    use std::fmt;

    #[derive(Debug)]
    pub struct Found(String);

    impl fmt::Display for Found {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl std::error::Error for Found {}
    impl ser::Error for Found {
        fn custom<T: fmt::Display>(msg: T) -> Self {
            Found(msg.to_string())
        }
    }

    enum Seg {
        Field(&'static str),
        Index(usize),
        Key,
    }

    #[derive(Default)]
    pub struct Checker {
        path: Vec<Seg>,
        index: Vec<usize>,
    }

    /// `Err(path = value)` at the first non-finite float of `value`.
    pub fn check<T: Serialize + ?Sized>(value: &T) -> Result<(), String> {
        value.serialize(&mut Checker::default()).map_err(|e| e.0)
    }

    impl Checker {
        fn found(&self, v: f64) -> Found {
            let mut s = String::from("result");
            for seg in &self.path {
                match seg {
                    Seg::Field(name) => {
                        s.push('.');
                        s.push_str(name);
                    }
                    Seg::Index(i) => s.push_str(&format!("[{i}]")),
                    Seg::Key => s.push_str("[key]"),
                }
            }
            Found(format!("{s} = {v}"))
        }
        fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
            let i = self.index.last().copied().unwrap_or(0);
            self.path.push(Seg::Index(i));
            value.serialize(&mut *self)?;
            self.path.pop();
            if let Some(last) = self.index.last_mut() {
                *last += 1;
            }
            Ok(())
        }
        fn field<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<(), Found> {
            self.path.push(Seg::Field(name));
            value.serialize(&mut *self)?;
            self.path.pop();
            Ok(())
        }
        fn open(&mut self) -> Result<&mut Self, Found> {
            self.index.push(0);
            Ok(self)
        }
        fn close(&mut self) -> Result<(), Found> {
            self.index.pop();
            Ok(())
        }
    }

    macro_rules! ok {
        ($($name:ident: $t:ty),*) => {$(
            fn $name(self, _v: $t) -> Result<(), Found> { Ok(()) }
        )*};
    }

    impl ser::Serializer for &mut Checker {
        type Ok = ();
        type Error = Found;
        type SerializeSeq = Self;
        type SerializeTuple = Self;
        type SerializeTupleStruct = Self;
        type SerializeTupleVariant = Self;
        type SerializeMap = Self;
        type SerializeStruct = Self;
        type SerializeStructVariant = Self;

        ok!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
            serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
            serialize_u128: u128, serialize_char: char, serialize_str: &str, serialize_bytes: &[u8]);

        fn serialize_f32(self, v: f32) -> Result<(), Found> {
            self.serialize_f64(f64::from(v))
        }
        fn serialize_f64(self, v: f64) -> Result<(), Found> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(self.found(v))
            }
        }
        fn serialize_none(self) -> Result<(), Found> {
            Ok(())
        }
        fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Found> {
            value.serialize(self)
        }
        fn serialize_unit(self) -> Result<(), Found> {
            Ok(())
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<(), Found> {
            Ok(())
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Found> {
            Ok(())
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Result<(), Found> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
            v: &T,
        ) -> Result<(), Found> {
            self.field(variant, v)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self, Found> {
            self.open()
        }
        fn serialize_tuple(self, _: usize) -> Result<Self, Found> {
            self.open()
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Found> {
            self.open()
        }
        fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self, Found> {
            self.open()
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self, Found> {
            self.open()
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Found> {
            self.open()
        }
        fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self, Found> {
            self.open()
        }
    }

    macro_rules! seq_like {
        ($($tr:ident :: $m:ident),*) => {$(
            impl<'a> ser::$tr for &'a mut Checker {
                type Ok = ();
                type Error = Found;
                fn $m<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
                    self.element(value)
                }
                fn end(self) -> Result<(), Found> {
                    self.close()
                }
            }
        )*};
    }
    seq_like!(
        SerializeSeq::serialize_element,
        SerializeTuple::serialize_element,
        SerializeTupleStruct::serialize_field,
        SerializeTupleVariant::serialize_field
    );

    macro_rules! struct_like {
        ($($tr:ident),*) => {$(
            impl<'a> ser::$tr for &'a mut Checker {
                type Ok = ();
                type Error = Found;
                fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Found> {
                    self.field(key, value)
                }
                fn end(self) -> Result<(), Found> {
                    self.close()
                }
            }
        )*};
    }
    struct_like!(SerializeStruct, SerializeStructVariant);

    impl ser::SerializeMap for &mut Checker {
        type Ok = ();
        type Error = Found;
        fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Found> {
            self.path.push(Seg::Key);
            key.serialize(&mut **self)?;
            self.path.pop();
            Ok(())
        }
        fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
            self.element(value)
        }
        fn end(self) -> Result<(), Found> {
            self.close()
        }
    }
}

static NEWOBJ_EX: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A `__reduce__` value that rebuilds an object by calling its class with `args` and keyword
/// arguments `kwargs` (`copyreg.__newobj_ex__(cls, args, kwargs)`, what pickle protocol 2+ does
/// with `__getnewargs_ex__`, here for every protocol): pickling goes through the public
/// constructor with plain Python values, so an unpickled object is validated like a new one and
/// floats cross exactly (no text round trip).
pub fn reduce_via_constructor<'py>(
    obj: &Bound<'py, PyAny>,
    args: Bound<'py, PyTuple>,
    kwargs: Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyTuple>> {
    let py = obj.py();
    let newobj_ex = NEWOBJ_EX.import(py, "copyreg", "__newobj_ex__")?;
    let call_args = PyTuple::new(py, [obj.get_type().into_any(), args.into_any(), kwargs.into_any()])?;
    PyTuple::new(py, [newobj_ex.clone(), call_args.into_any()])
}
