//! `tracker-tracker backup ...`: maintenance commands on backup files.

use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Print a backup's header and counts and verify the whole file (decrypting a .ttbak).
    Inspect {
        /// The .json or .ttbak file.
        file: PathBuf,
        /// A file holding the backup password (for .ttbak); a trailing newline is ignored.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
}

pub async fn backup(command: BackupCommand) -> Result<(), String> {
    match command {
        BackupCommand::Inspect { file, password_file } => {
            let _ = (file, password_file);
            Err("not implemented yet".into())
        }
    }
}
