//! Maps `hcpcore::Error` onto JavaScript errors whose `code` is the kind's name
//! (`err.code === 'InvalidInput'`), with the core's message naming the field.

/// The `code` of a thrown JS error: an `hcpcore::ErrorKind` name.
#[derive(Debug, Clone, Copy)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// Result type of every export: errors carry an hcp kind as their JS `code`.
pub type Result<T> = napi::Result<T, Code>;

/// Converts an `hcpcore::Error`.
pub fn to_js(err: hcpcore::Error) -> napi::Error<Code> {
    napi::Error::new(Code(err.kind().name()), err.message().to_string())
}

/// Error mapping as a one-liner at call sites: `core_call().js()?`.
pub trait IntoJs<T> {
    /// Maps the error into a JS error.
    fn js(self) -> Result<T>;
}

impl<T> IntoJs<T> for hcpcore::Result<T> {
    fn js(self) -> Result<T> {
        self.map_err(to_js)
    }
}

/// An `InvalidInput` error raised by the binding's own argument conversion.
#[allow(dead_code)]
pub fn invalid_input(field: &str, reason: impl std::fmt::Display) -> napi::Error<Code> {
    to_js(hcpcore::Error::invalid_input(field, reason))
}
