//! C ABI of `hcp::router`.
