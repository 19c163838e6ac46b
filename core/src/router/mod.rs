//! `hcp::router` — lock-free priority routing of workloads onto devices (issue 3).
