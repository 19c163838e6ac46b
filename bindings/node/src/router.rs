//! `router`: JavaScript adapters over `hcp::router`.
