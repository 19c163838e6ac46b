//! `hcp_error_t`, the panic guard every export runs in, and argument helpers for raw pointers.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use hcpcore::{Error, ErrorKind};

use crate::checks::{non_finite, Output};

/// Error code of `hcpcore::ErrorKind::InvalidInput`.
pub const HCP_ERROR_INVALID_INPUT: i32 = 1;
/// Error code of `hcpcore::ErrorKind::NotFound`.
pub const HCP_ERROR_NOT_FOUND: i32 = 2;
/// Error code of `hcpcore::ErrorKind::Conflict`.
pub const HCP_ERROR_CONFLICT: i32 = 3;
/// Error code of `hcpcore::ErrorKind::CapacityExceeded`.
pub const HCP_ERROR_CAPACITY_EXCEEDED: i32 = 4;
/// Error code of `hcpcore::ErrorKind::IllegalTransition`.
pub const HCP_ERROR_ILLEGAL_TRANSITION: i32 = 5;
/// Error code of `hcpcore::ErrorKind::Storage`.
pub const HCP_ERROR_STORAGE: i32 = 6;
/// Error code of `hcpcore::ErrorKind::OutOfMemory`.
pub const HCP_ERROR_OUT_OF_MEMORY: i32 = 7;
/// Error code of `hcpcore::ErrorKind::Closed`.
pub const HCP_ERROR_CLOSED: i32 = 8;
/// Error code of `hcpcore::ErrorKind::Internal` (a caught panic: a bug in hcp).
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

/// The error's code (`HCP_ERROR_*`, the `hcpcore::ErrorKind` in order from 1); 0 for a NULL error.
///
/// # Safety
/// `err` is NULL or a pointer returned through an `hcp_error_t **` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn hcp_error_kind(err: *const hcp_error_t) -> i32 {
    guard_plain(0, || {
        // SAFETY: the caller guarantees `err` is NULL or a live error made by this library.
        unsafe { err.as_ref() }.map_or(0, |e| e.code)
    })
}

/// The error's message, valid until `hcp_error_free`; "" for a NULL error.
///
/// # Safety
/// `err` is NULL or a live error made by this library.
#[no_mangle]
pub unsafe extern "C" fn hcp_error_message(err: *const hcp_error_t) -> *const c_char {
    guard_plain(c"".as_ptr(), || {
        // SAFETY: as above; the returned pointer borrows the error's CString.
        match unsafe { err.as_ref() } {
            Some(e) => e.message.as_ptr(),
            None => c"".as_ptr(),
        }
    })
}

/// Releases an error. NULL is a no-op.
///
/// # Safety
/// `err` is NULL or a live error made by this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_error_free(err: *mut hcp_error_t) {
    // SAFETY: `err` is NULL or came from Box::into_raw in `store`, freed once by contract.
    guard_plain((), || unsafe { free_box(err) })
}

/// Releases a string returned by this library. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a `char *` returned by an hcp function, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_string_free(s: *mut c_char) {
    guard_plain((), || {
        if !s.is_null() {
            // SAFETY: `s` came from CString::into_raw in `out_string` and is freed once by contract.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

fn store(err_out: *mut *mut hcp_error_t, err: Option<&Error>) {
    if err_out.is_null() {
        return;
    }
    let value = err.map_or(std::ptr::null_mut(), |e| Box::into_raw(Box::new(hcp_error_t::from_error(e))));
    // SAFETY: a non-NULL `err_out` points to writable storage for one pointer (C ABI contract).
    unsafe { err_out.write(value) };
}

fn panic_error(panic: Box<dyn std::any::Any + Send>) -> Error {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Error::new(ErrorKind::Internal, format!("internal error (please report): {what}"))
}

/// Runs `f`, catching panics. On success clears `*err_out` and returns the value; on failure
/// stores an owned error in `*err_out` and returns `default`. A non-finite number returned is a
/// failure too (`Internal`, naming it): NaN and infinities never reach the caller.
///
/// Every `#[no_mangle] extern "C"` function runs its whole body in `guard` or [`guard_plain`];
/// `tests::every_export_runs_in_the_guard` enforces it.
pub fn guard<T: Output>(err_out: *mut *mut hcp_error_t, default: T, f: impl FnOnce() -> hcpcore::Result<T>) -> T {
    let err = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => match value.first_non_finite() {
            None => {
                store(err_out, None);
                return value;
            }
            Some(field) => non_finite(field),
        },
        Ok(Err(e)) => e,
        Err(panic) => panic_error(panic),
    };
    store(err_out, Some(&err));
    default
}

/// The guard of exports with no error out-parameter (`*_free`, lengths, names of a handle):
/// a panic gives `default` instead of unwinding into C.
pub fn guard_plain<T>(default: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// Releases a handle made by `Box::into_raw`. NULL is a no-op.
///
/// # Safety
/// `p` is NULL or a pointer from `Box::<T>::into_raw`, not yet freed and not used afterwards.
pub unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: made by Box::into_raw and freed once, by the caller's contract.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Borrows a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the returned borrow.
pub unsafe fn str_arg<'a>(p: *const c_char, field: &str) -> hcpcore::Result<&'a str> {
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
pub unsafe fn handle<'a, T>(p: *const T, what: &str) -> hcpcore::Result<&'a T> {
    // SAFETY: the caller guarantees `p` is NULL or live.
    unsafe { p.as_ref() }.ok_or_else(|| Error::invalid_input(what, "NULL handle (closed or never opened)"))
}

/// Borrows `len` elements at `p` (NULL allowed only when `len` is 0).
///
/// # Safety
/// `p` is NULL with `len == 0`, or points to `len` initialised `T` valid for the borrow.
pub unsafe fn slice_arg<'a, T>(p: *const T, len: usize, field: &str) -> hcpcore::Result<&'a [T]> {
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
pub unsafe fn slice_out<'a, T>(p: *mut T, len: usize, field: &str) -> hcpcore::Result<&'a mut [T]> {
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
pub fn check_disjoint(outputs: &[(usize, usize)], inputs: &[(usize, usize)]) -> hcpcore::Result<()> {
    let overlap = |a: (usize, usize), b: (usize, usize)| a.1 > 0 && b.1 > 0 && a.0 < b.0 + b.1 && b.0 < a.0 + a.1;
    for (i, &o) in outputs.iter().enumerate() {
        if outputs[i + 1..].iter().chain(inputs).any(|&x| overlap(o, x)) {
            return Err(Error::invalid_input("out", "output arrays must not overlap each other or the inputs"));
        }
    }
    Ok(())
}

/// Writes `value` through an out-pointer, refusing NULL and refusing a value holding a
/// non-finite number (`Internal`, naming the field).
///
/// # Safety
/// `p` is NULL or valid for one write of `T`.
pub unsafe fn write_out<T: Output>(p: *mut T, value: T, field: &str) -> hcpcore::Result<()> {
    if p.is_null() {
        return Err(Error::invalid_input(field, "out-pointer must not be NULL"));
    }
    if let Some(bad) = value.first_non_finite() {
        return Err(non_finite(&format!("{field}.{bad}")));
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
        let v = guard(&mut err, -1.0, || -> hcpcore::Result<f64> { panic!("boom") });
        assert_eq!(v, -1.0);
        // SAFETY: `err` was just set by guard to a live error.
        unsafe {
            assert_eq!(hcp_error_kind(err), HCP_ERROR_INTERNAL);
            hcp_error_free(err);
        }
    }
}

/// Source checks that keep the C ABI's two rules from eroding as exports are added.
#[cfg(test)]
mod source_rules {
    use std::path::{Path, PathBuf};

    fn sources() -> Vec<(PathBuf, String)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|e| e == "rs") {
                    out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
        out
    }

    /// Index just past the bracket matching the one at `open`, skipping string and char literals.
    fn matching(text: &[u8], open: usize) -> Option<usize> {
        let (o, c) = (text[open], if text[open] == b'(' { b')' } else { b'}' });
        let (mut depth, mut i) = (0usize, open);
        while i < text.len() {
            match text[i] {
                b'"' => {
                    i += 1;
                    while i < text.len() && text[i] != b'"' {
                        i += if text[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'\'' if i + 2 < text.len() && text[i + 2] == b'\'' => i += 2,
                b'/' if text.get(i + 1) == Some(&b'/') => {
                    while i < text.len() && text[i] != b'\n' {
                        i += 1;
                    }
                }
                x if x == o => depth += 1,
                x if x == c => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    fn strip_comments(s: &str) -> String {
        let lines: Vec<&str> = s.lines().map(|l| l.trim()).filter(|l| !l.is_empty() && !l.starts_with("//")).collect();
        lines.join("\n")
    }

    /// Every `#[no_mangle] extern "C"` function's whole body is one call of `guard` or
    /// `guard_plain`, so that no panic can unwind (abort) into C from any export, present or future.
    #[test]
    fn every_export_runs_in_the_guard() {
        let mut exports = 0;
        let mut bad = Vec::new();
        for (path, text) in sources() {
            let mut at = 0;
            while let Some(i) = text[at..].find("#[no_mangle]") {
                let start = at + i;
                at = start + 1;
                if !text[..start].ends_with('\n') && !text[..start].trim_end_matches(' ').ends_with('\n') {
                    continue; // not an attribute at the start of a line (e.g. this test's own text)
                }
                let sig = &text[start..];
                let name_at = sig.find("extern \"C\" fn ").expect("#[no_mangle] without extern \"C\" fn") + 14;
                let name: String = sig[name_at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                let params = start + name_at + sig[name_at..].find('(').unwrap();
                let after_params = matching(text.as_bytes(), params).unwrap();
                let open = after_params + text[after_params..].find('{').unwrap();
                let close = matching(text.as_bytes(), open).unwrap();
                let body = strip_comments(&text[open + 1..close - 1]);
                exports += 1;
                let call = ["guard(", "guard_plain(", "errors::guard_plain(", "crate::errors::guard("]
                    .iter()
                    .find(|p| body.starts_with(**p))
                    .map(|p| p.len() - 1);
                let whole = call.is_some_and(|paren| matching(body.as_bytes(), paren) == Some(body.len()));
                if !whole {
                    bad.push(format!("{}: {name}", path.display()));
                }
            }
        }
        assert!(exports > 100, "found only {exports} exports: is the scan broken?");
        assert!(
            bad.is_empty(),
            "exports whose body is not one guard(...) / guard_plain(...) call:\n{}",
            bad.join("\n")
        );
    }

    /// Every `unsafe { ... }` block has a `// SAFETY:` note on its line or within the three lines
    /// above it.
    #[test]
    fn every_unsafe_block_says_why_it_is_sound() {
        let mut bad = Vec::new();
        for (path, text) in sources() {
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                // The code of the line, without comments and string literals.
                let code: String = line.split("//").next().unwrap_or("").split('"').step_by(2).collect();
                if !(code.contains("unsafe {") || code.trim_end().ends_with("unsafe")) {
                    continue;
                }
                if !lines[n.saturating_sub(3)..=n].iter().any(|l| l.contains("SAFETY:")) {
                    bad.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
        assert!(bad.is_empty(), "unsafe blocks without a `// SAFETY:` note:\n{}", bad.join("\n"));
    }
}
