//! The `tracker-tracker` server: configuration, the web server, background jobs, and the
//! maintenance commands. A library so the integration tests can start the real server in-process.

pub mod cli;
pub mod config;
pub mod generate;
pub mod same_origin;
pub mod web;
