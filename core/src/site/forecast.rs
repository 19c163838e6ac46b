//! Forecasts (filled in below).
