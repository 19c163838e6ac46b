//! Conversions shared by every module of the Python binding: serde data → Python objects
//! (objects become `hcp._record.Record`, a dict with attribute access), and Python keyword
//! arguments → serde structs (unknown keys and wrong types are `InvalidInputError`).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyType};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::errors::invalid_input;

static RECORD: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn record_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    RECORD.import(py, "hcp._record", "Record")
}

/// Wraps a dict as a `Record` (the class is looked up once and cached).
pub fn record<'py>(py: Python<'py>, d: Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
    record_class(py)?.call1((d,))
}

/// A JSON value as a Python object: objects → `Record`, arrays → list, numbers → int or float.
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
            list.into_any()
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

/// Any serialisable core value as a Python object (see [`json_to_py`]).
pub fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let v = serde_json::to_value(value).map_err(|e| invalid_input("result", e))?;
    json_to_py(py, &v)
}

/// A Python value (None, bool, int, float, str, list, dict) as JSON. Floats that are not finite
/// become the strings "NaN"/"Infinity" so that the core's validation names the field.
pub fn py_to_json(v: &Bound<'_, PyAny>, field: &str) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = v.extract::<i64>() {
        return Ok(Value::from(i));
    }
    if let Ok(f) = v.extract::<f64>() {
        return Ok(serde_json::Number::from_f64(f).map(Value::Number).unwrap_or_else(|| Value::String(f.to_string())));
    }
    if let Ok(s) = v.extract::<String>() {
        return Ok(Value::String(s));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, item) in d.iter() {
            let key: String = k.extract().map_err(|_| invalid_input(field, "dict keys must be strings"))?;
            let child = py_to_json(&item, &key)?;
            map.insert(key, child);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(items) = v.try_iter() {
        let mut out = Vec::new();
        for item in items {
            out.push(py_to_json(&item?, field)?);
        }
        return Ok(Value::Array(out));
    }
    Err(invalid_input(field, format!("cannot convert a {} value", v.get_type().name()?)))
}

/// Keyword arguments as a serde struct (`deny_unknown_fields` structs reject unknown keys).
/// A non-finite float is refused here, naming its key, since JSON cannot carry it.
pub fn kwargs_to<T: DeserializeOwned>(kwargs: Option<&Bound<'_, PyDict>>, what: &str) -> PyResult<T> {
    let mut map = serde_json::Map::new();
    if let Some(kwargs) = kwargs {
        for (k, v) in kwargs.iter() {
            let key: String = k.extract()?;
            if let Ok(f) = v.extract::<f64>() {
                if !f.is_finite() {
                    return Err(invalid_input(&key, format!("must be finite, got {f}")));
                }
            }
            let value = py_to_json(&v, &key)?;
            map.insert(key, value);
        }
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| invalid_input(what, e))
}
