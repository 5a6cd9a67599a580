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

/// glibc's allocator, set before any thread exists, so freed memory goes back to the system and a
/// backup operation's peak stays bounded (issue 16: ≤ 100 MB). By default glibc raises its mmap
/// threshold to the size of each large block freed: after the first Argon2id buffer (19 MiB for
/// the login hash), later ones came from the heap and stayed resident (a fresh instance sat at
/// 41 MiB instead of 22 MiB, and a restore's 64 MiB key derivation came on top of that). A fixed
/// threshold keeps every block of 1 MiB or more mapped on its own and returned when freed; two
/// arenas instead of one per thread (tokio's workers, the blocking pool, one per SQLite
/// connection) keep small freed blocks reusable by the next task.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters (a failure leaves the default); it runs
    // first in main, before the runtime starts any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tracker-tracker: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

async fn run() -> ExitCode {
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
