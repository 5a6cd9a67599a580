//! `tracker-tracker generate`: fills an instance with realistic data (stub — to be written).

#[derive(clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> Result<(), String> {
    Err("not implemented yet".into())
}
