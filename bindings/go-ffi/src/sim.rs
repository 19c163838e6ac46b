//! C ABI of `hcp::sim`.
