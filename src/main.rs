//! Command-line entry point: parses arguments, calls the library, prints, sets the exit code
//! (0 success, 1 conflicts or findings, 2 bad input or failure).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use msapp_merge::app;
use msapp_merge::error::Error;
use msapp_merge::source::FormatVersion;
use msapp_merge::source::unpack::UnpackOptions;

#[derive(Parser)]
#[command(
    name = "msapp-merge",
    version,
    about = "Keep Power Apps canvas apps (.msapp) in git: unpack, pack, merge, diff, check"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Unpack an .msapp into the `pac canvas unpack` source layout
    Unpack(UnpackArgs),
    /// Pack a source tree back into an .msapp
    Pack(PackArgs),
}

#[derive(Args)]
struct UnpackArgs {
    /// The app to unpack
    #[arg(value_name = "APP.msapp", required_unless_present = "msapp")]
    app: Option<PathBuf>,
    /// Output directory [default: APP_src next to the app]
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// pac spelling of APP.msapp
    #[arg(long, value_name = "APP.msapp", conflicts_with = "app")]
    msapp: Option<PathBuf>,
    /// pac spelling of DIR
    #[arg(long, value_name = "DIR", conflicts_with = "dir")]
    sources: Option<PathBuf>,
    /// Replace the content of a non-empty DIR
    #[arg(long)]
    force: bool,
    /// FormatVersion written to CanvasManifest.json (0.24 or 0.30)
    #[arg(long, value_name = "VERSION", default_value = "0.24")]
    format_version: String,
}

#[derive(Args)]
struct PackArgs {
    /// The source tree
    #[arg(value_name = "DIR", required_unless_present = "sources")]
    dir: Option<PathBuf>,
    /// The app to write
    #[arg(value_name = "APP.msapp", required_unless_present = "msapp")]
    app: Option<PathBuf>,
    /// pac spelling of DIR
    #[arg(long, value_name = "DIR", conflicts_with = "dir")]
    sources: Option<PathBuf>,
    /// pac spelling of APP.msapp
    #[arg(long, value_name = "APP.msapp", conflicts_with = "app")]
    msapp: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("msapp-merge: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn print_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("msapp-merge: warning: {w}");
    }
}

fn default_src_dir(app: &Path) -> PathBuf {
    let stem = app
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".to_string());
    app.with_file_name(format!("{stem}_src"))
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Unpack(a) => {
            let app_path = a
                .app
                .or(a.msapp)
                .ok_or_else(|| Error::Refused("no app given".into()))?;
            let dir = a
                .dir
                .or(a.sources)
                .unwrap_or_else(|| default_src_dir(&app_path));
            let format_version = FormatVersion::parse(&a.format_version).ok_or_else(|| {
                Error::Refused(format!(
                    "--format-version {} is not supported (supported: {})",
                    a.format_version,
                    FormatVersion::SUPPORTED.join(", ")
                ))
            })?;
            let warnings =
                app::unpack_file(&app_path, &dir, a.force, &UnpackOptions { format_version })?;
            print_warnings(&warnings.0);
            Ok(ExitCode::SUCCESS)
        }
        Command::Pack(a) => {
            let dir = a
                .dir
                .or(a.sources)
                .ok_or_else(|| Error::Refused("no source directory given".into()))?;
            let app_path = a
                .app
                .or(a.msapp)
                .ok_or_else(|| Error::Refused("no output app given".into()))?;
            let warnings = app::pack_dir(&dir, &app_path)?;
            print_warnings(&warnings.0);
            Ok(ExitCode::SUCCESS)
        }
    }
}
