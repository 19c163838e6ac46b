//! C ABI of `hcp::billing`.
