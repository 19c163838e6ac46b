//! The `…Async` variants of CPU-heavy or blocking calls (as tokenizers' `bindings/node/src/tasks/`):
//! each is an napi `AsyncTask` whose work runs on the libuv thread pool, so the event loop keeps
//! running, and whose Promise resolves with what the sync call returns or rejects with the same
//! error (`code` an hcp kind, message naming the field).
//!
//! One generic task, [`Work`], serves every call: the method converts its arguments on the JS
//! thread (a bad one throws, and `hcp.js` turns the throw of an `…Async` method into a rejected
//! Promise), hands the core call to the pool as a closure over owned data or over the object's
//! `Arc<Mutex<…>>` state (shared with the sync methods, which wait while a task holds it), and
//! converts the result back on the JS thread. This module owns the task plumbing only.

use napi::bindgen_prelude::{ToNapiValue, TypeName};
use napi::{Env, JsError, Task};

use crate::errors::{to_js, Code};

/// A core call for the thread pool, and the conversion of its result on the JS thread.
pub struct Work<R: Send + 'static, J> {
    compute: Option<Box<dyn FnOnce() -> hcpcore::Result<R> + Send>>,
    convert: fn(R) -> crate::errors::Result<J>,
}

impl<R: Send + 'static, J> Work<R, J> {
    /// `compute` runs on the pool; `convert` turns its value into the Promise's.
    pub fn new(
        compute: impl FnOnce() -> hcpcore::Result<R> + Send + 'static,
        convert: fn(R) -> crate::errors::Result<J>,
    ) -> Self {
        Work { compute: Some(Box::new(compute)), convert }
    }
}

/// An error with an hcp `code` as a Promise rejection. A task's errors carry an N-API `Status` as
/// their code; so the JS error is built here, on the JS thread, and handed back by reference,
/// which napi rejects with as it is.
fn rejection(env: Env, err: napi::Error<Code>) -> napi::Error {
    napi::Error::from(JsError::from(err).into_unknown(env))
}

impl<R: Send + 'static, J: ToNapiValue + TypeName> Task for Work<R, J> {
    type Output = hcpcore::Result<R>;
    type JsValue = J;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match self.compute.take() {
            // A panic in the core is contained here, as `catch_unwind` does for the sync exports.
            Some(work) => Ok(std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|_| {
                Err(hcpcore::Error::new(hcpcore::ErrorKind::Internal, "the core panicked during an async call"))
            })),
            None => Ok(Err(hcpcore::Error::new(hcpcore::ErrorKind::Internal, "async task computed twice"))),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<J> {
        output.map_err(to_js).and_then(self.convert).map_err(|e| rejection(env, e))
    }
}
