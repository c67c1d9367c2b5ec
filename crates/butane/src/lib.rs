//! Butane to Ignition.
mod yaml;
