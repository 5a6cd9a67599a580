//! The `tracker-tracker` binary: serves the app (default), or runs a maintenance command.

use clap::{Parser, Subcommand};
use server::{cli, generate, web};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "tracker-tracker", version, about = "Self-hosted private-tracker statistics, with trustworthy backups.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default). Configured by environment variables (see the README).
    Serve,
    /// Work with backup files.
    Backup {
        #[command(subcommand)]
        command: cli::BackupCommand,
    },
    /// Fill an instance with realistic generated data, for tests and benchmarks.
    Generate(generate::Args),
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=error"));
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => web::serve().await,
        Command::Backup { command } => cli::backup(command).await,
        Command::Generate(args) => generate::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tracker-tracker: {e}");
            ExitCode::FAILURE
        }
    }
}
