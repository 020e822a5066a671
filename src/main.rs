//! The `methodical` binary: arguments → configuration → server (or a one-shot command).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use methodical_server::access_log::AccessLog;
use methodical_server::config::{LogConfig, LogFormat};
use methodical_server::{App, Config, Server};

/// A web server and caching reverse proxy that answers every request method exactly as
/// HTTP prescribes.
#[derive(Parser)]
#[command(name = "methodical", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a folder (zero-config) or the routes of a configuration file.
    Serve(ServeArgs),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Args)]
struct ServeArgs {
    /// The folder to serve when no --config is given.
    #[arg(default_value = ".", conflicts_with = "config")]
    dir: PathBuf,
    /// A TOML configuration file.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Address to listen on (repeatable); replaces the file's `listen`.
    #[arg(long = "listen", short = 'l', value_name = "ADDR")]
    listen: Vec<SocketAddr>,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate a configuration file and print its routes and method table.
    Check {
        /// The file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Config(ConfigCommand::Check { file }) => config_check(&file),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    // One worker per CPU this process may run on (taskset and cgroup limits included).
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()
}

fn serve(args: ServeArgs) -> ExitCode {
    let config = match &args.config {
        Some(file) => Config::load(file),
        None => Config::zero_config(&args.dir),
    };
    let mut config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !args.listen.is_empty() {
        config.listen = args.listen.clone();
    }
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let server = match Server::bind(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        for (addr, tls) in server.local_addrs() {
            eprintln!("listening on {}://{addr}", if tls { "https" } else { "http" });
        }
        match server.run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn config_check(file: &std::path::Path) -> ExitCode {
    let config = match Config::load(file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let log = match AccessLog::start(&LogConfig { format: LogFormat::Off, file: None }) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match App::build(config, log) {
        Ok(app) => {
            println!("{}: OK\n", file.display());
            print!("{}", methodical_server::report::config_report(&app));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", e.in_file(file));
            ExitCode::FAILURE
        }
    }
}
