//! The H100 model: specs as data ([`spec`]), power from activity with the limiter ([`power`]),
//! the two-time-constant thermal model ([`thermal`]), decode-step performance ([`decode`]),
//! workload switches ([`switch`]) and the stateful device ([`device`]).

pub mod decode;
pub mod device;
pub mod power;
pub mod spec;
pub mod switch;
pub mod thermal;
