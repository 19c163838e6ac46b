//! The Antminer model (S21, S21 Pro, S21 XP, S21 Hydro, S19 XP): specs and modes ([`spec`]),
//! steady operating point, cooling and share arithmetic ([`physics`]), the stateful miner
//! ([`miner`]).

pub mod miner;
pub mod physics;
pub mod spec;
