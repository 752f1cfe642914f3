//! The `saker` host: configuration, command line, plugin loader and tables, rule engine,
//! event loop and outputs.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod outputs;
pub mod plugins;
pub mod reload;
pub mod rules;
pub mod web;
pub mod yaml;
