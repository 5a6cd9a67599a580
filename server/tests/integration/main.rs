//! The server's integration tests, one binary: each module drives the real server (in-process
//! or as a child process) against a real SQLite file in a temp dir. One binary instead of one
//! per file keeps a clean build's disk use and link time down.

mod common;

mod assets;
mod auth;
mod backup;
mod backup_encrypted;
mod backup_runs;
mod cli;
mod clients;
mod email;
mod generate;
mod locations;
mod notifications;
mod original_import;
mod original_targets;
mod restore_crash;
mod restore_report;
mod settings;
mod trackers;
