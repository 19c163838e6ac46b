//! Maps `hcpcore::Error` onto the Python exception hierarchy declared in `hcp/errors.py`
//! (`HcpError` and one subclass per kind; `InvalidInputError` is also a `ValueError`,
//! `NotFoundError` also a `KeyError`). The classes live in Python so that they can inherit from
//! two bases; Rust looks each up once and caches it.

use hcpcore::ErrorKind;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static CLASSES: PyOnceLock<Vec<(ErrorKind, Py<PyType>)>> = PyOnceLock::new();

fn class_for(py: Python<'_>, kind: ErrorKind) -> PyResult<Bound<'_, PyType>> {
    let classes = CLASSES.get_or_try_init(py, || -> PyResult<_> {
        let module = py.import("hcpcore.errors")?;
        ErrorKind::ALL
            .iter()
            .map(|k| {
                let class = module.getattr(format!("{}Error", k.name()))?.cast_into::<PyType>()?;
                Ok((*k, class.unbind()))
            })
            .collect()
    })?;
    classes
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, c)| c.bind(py).clone())
        .ok_or_else(|| PyRuntimeError::new_err(format!("no Python class for error kind {kind}")))
}

/// Converts an `hcpcore::Error` into the matching Python exception.
pub fn to_py_err(err: hcpcore::Error) -> PyErr {
    Python::attach(|py| match class_for(py, err.kind()) {
        Ok(class) => PyErr::from_type(class, err.message().to_string()),
        Err(lookup_failed) => lookup_failed,
    })
}

/// Makes error mapping a one-liner at every call site: `core_call().py()?`.
pub trait IntoPy<T> {
    /// Maps the error into a Python exception.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for hcpcore::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py_err)
    }
}

/// An `InvalidInputError` raised by the binding itself (argument conversion).
pub fn invalid_input(field: &str, reason: impl std::fmt::Display) -> PyErr {
    to_py_err(hcpcore::Error::invalid_input(field, reason))
}

/// An `InternalError` raised by the binding itself (a result the core promised never to give).
pub fn internal(message: impl Into<String>) -> PyErr {
    to_py_err(hcpcore::Error::new(hcpcore::ErrorKind::Internal, message))
}

static INVALID_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// An `hcp.InvalidTypeError` (an `InvalidInputError` that is also a `TypeError`): `value` for
/// `field` is not of the Python type `expected` names.
pub fn invalid_type(field: &str, expected: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let py = value.py();
    let got = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
    let message = format!("{field}: expected {expected}, got {got}");
    match INVALID_TYPE.import(py, "hcpcore.errors", "InvalidTypeError") {
        Ok(class) => PyErr::from_type(class.clone(), message),
        Err(lookup_failed) => lookup_failed,
    }
}
