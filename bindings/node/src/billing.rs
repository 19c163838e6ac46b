//! `billing`: JavaScript adapters over `hcp::billing`.
