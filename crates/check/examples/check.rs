//! Runs `methodical check` stand-alone: `cargo run -p methodical-check --example check -- URL [flags]`.

use clap::Parser;

#[derive(Parser)]
#[command(name = "check", about = "Probe an HTTP server's method semantics")]
struct Cli {
    #[command(flatten)]
    args: methodical_check::CheckArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    methodical_check::run(Cli::parse().args).await
}
