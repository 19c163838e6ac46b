//! `sim`: JavaScript adapters over `hcp::sim`.
