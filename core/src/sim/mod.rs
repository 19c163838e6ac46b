//! `hcp::sim` — H100 and S21 device models, market series, fleets and telemetry (issue 4).
