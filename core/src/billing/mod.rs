//! `hcp::billing` — meters, charge models, plans, rating, invoices and the usage ledger (issue 5).
