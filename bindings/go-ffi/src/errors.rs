//! `hcp_error_t`, the panic guard every export runs in, and argument helpers for raw pointers.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use hcp::{Error, ErrorKind};

/// Error code of `hcp::ErrorKind::InvalidInput`.
pub const HCP_ERROR_INVALID_INPUT: i32 = 1;
/// Error code of `hcp::ErrorKind::NotFound`.
pub const HCP_ERROR_NOT_FOUND: i32 = 2;
/// Error code of `hcp::ErrorKind::Conflict`.
pub const HCP_ERROR_CONFLICT: i32 = 3;
/// Error code of `hcp::ErrorKind::CapacityExceeded`.
pub const HCP_ERROR_CAPACITY_EXCEEDED: i32 = 4;
/// Error code of `hcp::ErrorKind::IllegalTransition`.
pub const HCP_ERROR_ILLEGAL_TRANSITION: i32 = 5;
/// Error code of `hcp::ErrorKind::Storage`.
pub const HCP_ERROR_STORAGE: i32 = 6;
/// Error code of `hcp::ErrorKind::OutOfMemory`.
pub const HCP_ERROR_OUT_OF_MEMORY: i32 = 7;
/// Error code of `hcp::ErrorKind::Closed`.
pub const HCP_ERROR_CLOSED: i32 = 8;
/// Error code of `hcp::ErrorKind::Internal` (a caught panic: a bug in hcp).
pub const HCP_ERROR_INTERNAL: i32 = 9;

/// An error owned by the caller: read it with `hcp_error_kind` / `hcp_error_message`, release it
/// with `hcp_error_free`.
pub struct hcp_error_t {
    code: i32,
    message: CString,
}

impl hcp_error_t {
    fn from_error(err: &Error) -> hcp_error_t {
        // A message never holds NUL in practice; if it did, keep the text before it.
        let text = err.message().split('\0').next().unwrap_or_default().to_string();
        hcp_error_t { code: err.kind().code(), message: CString::new(text).unwrap_or_default() }
    }
}

/// The error's code (`HCP_ERROR_*`, the `hcp::ErrorKind` in order from 1); 0 for a NULL error.
///
/// # Safety
/// `err` is NULL or a pointer returned through an `hcp_error_t **` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn hcp_error_kind(err: *const hcp_error_t) -> i32 {
    // SAFETY: the caller guarantees `err` is NULL or a live error made by this library.
    unsafe { err.as_ref() }.map_or(0, |e| e.code)
}

/// The error's message, valid until `hcp_error_free`; "" for a NULL error.
///
/// # Safety
/// `err` is NULL or a live error made by this library.
#[no_mangle]
pub unsafe extern "C" fn hcp_error_message(err: *const hcp_error_t) -> *const c_char {
    // SAFETY: as above; the returned pointer borrows the error's CString.
    match unsafe { err.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Releases an error. NULL is a no-op.
///
/// # Safety
/// `err` is NULL or a live error made by this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_error_free(err: *mut hcp_error_t) {
    if !err.is_null() {
        // SAFETY: `err` came from Box::into_raw in `store` and is freed once by contract.
        drop(unsafe { Box::from_raw(err) });
    }
}

/// Releases a string returned by this library. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a `char *` returned by an hcp function, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: `s` came from CString::into_raw in `out_string` and is freed once by contract.
        drop(unsafe { CString::from_raw(s) });
    }
}

fn store(err_out: *mut *mut hcp_error_t, err: Option<&Error>) {
    if err_out.is_null() {
        return;
    }
    let value = err.map_or(std::ptr::null_mut(), |e| Box::into_raw(Box::new(hcp_error_t::from_error(e))));
    // SAFETY: a non-NULL `err_out` points to writable storage for one pointer (C ABI contract).
    unsafe { err_out.write(value) };
}

/// Runs `f`, catching panics. On success clears `*err_out` and returns the value; on failure
/// stores an owned error in `*err_out` and returns `default`.
pub fn guard<T>(err_out: *mut *mut hcp_error_t, default: T, f: impl FnOnce() -> hcp::Result<T>) -> T {
    let err = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => {
            store(err_out, None);
            return value;
        }
        Ok(Err(e)) => e,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Error::new(ErrorKind::Internal, format!("internal error (please report): {what}"))
        }
    };
    store(err_out, Some(&err));
    default
}

/// Borrows a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the returned borrow.
pub unsafe fn str_arg<'a>(p: *const c_char, field: &str) -> hcp::Result<&'a str> {
    if p.is_null() {
        return Err(Error::invalid_input(field, "must not be NULL"));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| Error::invalid_input(field, "is not valid UTF-8"))
}

/// Borrows a handle argument, refusing NULL.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` made by this library.
pub unsafe fn handle<'a, T>(p: *const T, what: &str) -> hcp::Result<&'a T> {
    // SAFETY: the caller guarantees `p` is NULL or live.
    unsafe { p.as_ref() }.ok_or_else(|| Error::invalid_input(what, "NULL handle (closed or never opened)"))
}

/// Borrows `len` elements at `p` (NULL allowed only when `len` is 0).
///
/// # Safety
/// `p` is NULL with `len == 0`, or points to `len` initialised `T` valid for the borrow.
pub unsafe fn slice_arg<'a, T>(p: *const T, len: usize, field: &str) -> hcp::Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::invalid_input(field, "NULL pointer with a non-zero length"));
    }
    // SAFETY: non-NULL, `len` initialised elements, by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Mutably borrows `len` elements at `p` (NULL allowed only when `len` is 0).
///
/// # Safety
/// As [`slice_arg`], and the memory is not aliased during the borrow.
pub unsafe fn slice_out<'a, T>(p: *mut T, len: usize, field: &str) -> hcp::Result<&'a mut [T]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(Error::invalid_input(field, "NULL pointer with a non-zero length"));
    }
    // SAFETY: non-NULL, `len` elements, exclusively borrowed, by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

/// The byte range of `len` elements at `p`, for [`check_disjoint`].
pub fn span<T>(p: *const T, len: usize) -> (usize, usize) {
    (p as usize, len.saturating_mul(std::mem::size_of::<T>()))
}

/// Refuses output arrays that overlap another output or an input: the `&mut` slices made from
/// them would alias. `outputs` and `inputs` are byte ranges from [`span`]; empty ranges never clash.
pub fn check_disjoint(outputs: &[(usize, usize)], inputs: &[(usize, usize)]) -> hcp::Result<()> {
    let overlap = |a: (usize, usize), b: (usize, usize)| a.1 > 0 && b.1 > 0 && a.0 < b.0 + b.1 && b.0 < a.0 + a.1;
    for (i, &o) in outputs.iter().enumerate() {
        if outputs[i + 1..].iter().chain(inputs).any(|&x| overlap(o, x)) {
            return Err(Error::invalid_input("out", "output arrays must not overlap each other or the inputs"));
        }
    }
    Ok(())
}

/// Writes `value` through an out-pointer, refusing NULL.
///
/// # Safety
/// `p` is NULL or valid for one write of `T`.
pub unsafe fn write_out<T>(p: *mut T, value: T, field: &str) -> hcp::Result<()> {
    if p.is_null() {
        return Err(Error::invalid_input(field, "out-pointer must not be NULL"));
    }
    // SAFETY: non-NULL and writable by the caller's contract.
    unsafe { p.write(value) };
    Ok(())
}

/// An owned C string for the caller (release with `hcp_string_free`).
pub fn out_string(s: String) -> *mut c_char {
    CString::new(s.replace('\0', "")).unwrap_or_default().into_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_core_kinds() {
        assert_eq!(ErrorKind::InvalidInput.code(), HCP_ERROR_INVALID_INPUT);
        assert_eq!(ErrorKind::Internal.code(), HCP_ERROR_INTERNAL);
        assert_eq!(ErrorKind::Closed.code(), HCP_ERROR_CLOSED);
    }

    #[test]
    fn guard_catches_panics() {
        let mut err: *mut hcp_error_t = std::ptr::null_mut();
        let v = guard(&mut err, -1.0, || -> hcp::Result<f64> { panic!("boom") });
        assert_eq!(v, -1.0);
        // SAFETY: `err` was just set by guard to a live error.
        unsafe {
            assert_eq!(hcp_error_kind(err), HCP_ERROR_INTERNAL);
            hcp_error_free(err);
        }
    }
}
