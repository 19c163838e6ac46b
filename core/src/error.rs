//! The one error type of hcp. Every language maps [`ErrorKind`] one to one: Python raises a
//! subclass of `hcp.HcpError` per kind, Node sets `err.code` to the kind's name, Go exposes
//! `Kind()` and a sentinel per kind for `errors.Is`.

use std::fmt;

/// What went wrong, in a form callers can branch on.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument is out of range, not finite, malformed or names nothing known.
    InvalidInput,
    /// The id names no device, workload, customer or record (or one the caller may not see).
    NotFound,
    /// The operation conflicts with the current state (duplicate id, version clash).
    Conflict,
    /// A power cap, quota or queue bound would be exceeded.
    CapacityExceeded,
    /// A state machine was asked for a transition it does not allow.
    IllegalTransition,
    /// The durable store failed, is corrupt, or was written by a newer schema.
    Storage,
    /// A simulated device ran out of memory.
    OutOfMemory,
    /// A handle was used after it was closed.
    Closed,
    /// A bug in hcp (a caught panic). Never caused by input; please report it.
    Internal,
}

impl ErrorKind {
    /// Every kind, in a stable order (the C ABI's error codes are `index + 1`).
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::InvalidInput,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::CapacityExceeded,
        ErrorKind::IllegalTransition,
        ErrorKind::Storage,
        ErrorKind::OutOfMemory,
        ErrorKind::Closed,
        ErrorKind::Internal,
    ];

    /// The kind's name as every binding spells it (`"InvalidInput"`, …).
    ///
    /// ```
    /// assert_eq!(hcpcore::ErrorKind::InvalidInput.name(), "InvalidInput");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::CapacityExceeded => "CapacityExceeded",
            ErrorKind::IllegalTransition => "IllegalTransition",
            ErrorKind::Storage => "Storage",
            ErrorKind::OutOfMemory => "OutOfMemory",
            ErrorKind::Closed => "Closed",
            ErrorKind::Internal => "Internal",
        }
    }

    /// The kind with this name, if any (the inverse of [`ErrorKind::name`]).
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Stable numeric code used by the C ABI (`0` is reserved for success).
    pub fn code(self) -> i32 {
        ErrorKind::ALL.iter().position(|k| *k == self).map_or(0, |i| i as i32 + 1)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An hcp error: a [`kind`](Error::kind) to branch on and a message naming the offending field.
///
/// ```
/// let err = hcpcore::Error::invalid_input("btc_usd", "must be finite and > 0, got NaN");
/// assert_eq!(err.kind(), hcpcore::ErrorKind::InvalidInput);
/// assert_eq!(err.to_string(), "btc_usd: must be finite and > 0, got NaN");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// `std::result::Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a full message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
    }

    /// `InvalidInput` for `field`; the message reads `"{field}: {reason}"`.
    pub fn invalid_input(field: &str, reason: impl fmt::Display) -> Self {
        Error::new(ErrorKind::InvalidInput, format!("{field}: {reason}"))
    }

    /// `NotFound` for a `what` (e.g. `"device"`) with the given id.
    pub fn not_found(what: &str, id: impl fmt::Display) -> Self {
        Error::new(ErrorKind::NotFound, format!("{what} not found: {id}"))
    }

    /// `Storage` with a message.
    pub fn storage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Storage, message)
    }

    /// What went wrong, to branch on.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message (also the `Display` form).
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Validation helpers shared by every module: one place decides what "a valid price" means.
pub(crate) mod check {
    use super::{Error, Result};

    /// The error, built out of line: the checks themselves inline into hot loops, their
    /// message formatting does not.
    #[cold]
    #[inline(never)]
    fn fail(field: &str, rule: std::fmt::Arguments<'_>, value: f64) -> Error {
        Error::invalid_input(field, format!("{rule}, got {value}"))
    }

    /// `value` must be finite and strictly positive.
    #[inline]
    pub fn positive(field: &str, value: f64) -> Result<f64> {
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(fail(field, format_args!("must be finite and > 0"), value))
        }
    }

    /// `value` must be finite, strictly positive and at most `max` (a stated bound).
    #[inline]
    pub fn positive_at_most(field: &str, value: f64, max: f64) -> Result<f64> {
        let v = positive(field, value)?;
        if v <= max {
            Ok(v)
        } else {
            Err(fail(field, format_args!("must be <= {max}"), value))
        }
    }

    /// `value` must be finite and ≥ 0.
    #[inline]
    pub fn non_negative(field: &str, value: f64) -> Result<f64> {
        if value.is_finite() && value >= 0.0 {
            Ok(value)
        } else {
            Err(fail(field, format_args!("must be finite and >= 0"), value))
        }
    }

    /// `value` must be finite (any sign; e.g. real-time power prices go negative).
    #[inline]
    pub fn finite(field: &str, value: f64) -> Result<f64> {
        if value.is_finite() {
            Ok(value)
        } else {
            Err(fail(field, format_args!("must be finite"), value))
        }
    }

    /// `value` must lie in `[lo, hi)` and be finite.
    #[inline]
    pub fn in_range_half_open(field: &str, value: f64, lo: f64, hi: f64) -> Result<f64> {
        if value.is_finite() && value >= lo && value < hi {
            Ok(value)
        } else {
            Err(fail(field, format_args!("must be in [{lo}, {hi})"), value))
        }
    }

    /// `value` must lie in `[lo, hi]` and be finite.
    #[inline]
    pub fn in_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<f64> {
        if value.is_finite() && value >= lo && value <= hi {
            Ok(value)
        } else {
            Err(fail(field, format_args!("must be in [{lo}, {hi}]"), value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_codes_are_distinct() {
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(ErrorKind::from_name(k.name()), Some(*k));
            assert_eq!(k.code(), i as i32 + 1);
        }
        assert_eq!(ErrorKind::from_name("Nope"), None);
    }

    #[test]
    fn checks_reject_nan_and_infinity() {
        assert!(check::positive("x", f64::NAN).is_err());
        assert!(check::positive("x", f64::INFINITY).is_err());
        assert!(check::positive("x", 0.0).is_err());
        assert!(check::non_negative("x", -1.0).is_err());
        assert_eq!(check::non_negative("x", 0.0), Ok(0.0));
        let e = check::in_range_half_open("fee_share", 1.0, 0.0, 1.0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().starts_with("fee_share:"));
    }
}
