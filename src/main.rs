//! The command line: parses the arguments and hands them to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use aimsite::build::{self, BuildError, BuildOptions};

#[derive(Parser)]
#[command(
    name = "aimsite",
    version,
    about = "Builds the Aim to Win website from Markdown and Tera templates"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder (public/ by default).
    Build {
        /// The site's folder, holding site.toml, content/, templates/ and static/.
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
        /// Where to write the site; replaced as a whole on every successful build.
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Use this base URL instead of the one in site.toml (for previews).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Include pages marked `draft = true`.
        #[arg(long)]
        drafts: bool,
        /// Print how long each phase of the build took.
        #[arg(long)]
        timings: bool,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Build {
            root,
            output,
            base_url,
            drafts,
            timings,
        } => {
            let options = BuildOptions {
                root,
                output,
                base_url,
                drafts,
            };
            run_build(&options, timings)
        }
    }
}

fn run_build(options: &BuildOptions, show_timings: bool) -> ExitCode {
    let started = std::time::Instant::now();
    match build::build(options) {
        Ok(report) => {
            for warning in report.warnings.iter() {
                eprintln!("{warning}");
            }
            if show_timings {
                for (phase, time) in &report.timings.0 {
                    eprintln!("  {phase:<10} {:>8.2} ms", time.as_secs_f64() * 1000.0);
                }
            }
            println!(
                "Built {} pages ({} files) in {} ms into {}",
                report.pages,
                report.files,
                started.elapsed().as_millis(),
                report.output.display()
            );
            ExitCode::SUCCESS
        }
        Err(BuildError::Sources(problems)) => {
            eprintln!("{problems}");
            ExitCode::FAILURE
        }
        Err(BuildError::Other(error)) => {
            eprintln!("error: {error:#}");
            if let Some(help) = error
                .downcast_ref::<aimsite::output::UnsafeOutput>()
                .map(aimsite::output::UnsafeOutput::help)
            {
                eprintln!("  = help: {help}");
            }
            ExitCode::FAILURE
        }
    }
}
