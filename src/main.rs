//! The command line: parses the arguments and hands them to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use aimsite::Error;
use aimsite::build::{self, BuildOptions};
use aimsite::{check, scaffold, serve};

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
        /// Where to keep what builds reuse, resized images and a record of the output's
        /// folders of them (default: .aimsite-cache/ in the site's folder).
        #[arg(long, value_name = "DIR")]
        cache: Option<std::path::PathBuf>,
        /// Include pages dated after today, which are otherwise held back until their day.
        #[arg(long)]
        future: bool,
        /// Print how long each phase of the build took.
        #[arg(long)]
        timings: bool,
    },
    /// Serve the site from memory at http://127.0.0.1:1111/, rebuild on every change and
    /// reload open pages.
    Serve {
        /// The site's folder, holding site.toml, content/, templates/ and static/.
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
        /// The port to listen on (0: any free port).
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// The address to listen on; 0.0.0.0 makes the preview reachable from other machines.
        #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Include pages marked `draft = true`.
        #[arg(long)]
        drafts: bool,
        /// Include pages dated after today, which are otherwise held back until their day.
        #[arg(long)]
        future: bool,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// Check the site for broken links, missing alt text and descriptions, skipped heading
    /// levels and more; writes nothing. Exit status 1 if anything is wrong.
    Check {
        /// The site's folder, holding site.toml, content/, templates/ and static/.
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
        /// Include pages marked `draft = true`.
        #[arg(long)]
        drafts: bool,
        /// Include pages dated after today, which are otherwise held back until their day.
        #[arg(long)]
        future: bool,
        /// Fail on warnings too (such as placeholder settings).
        #[arg(long)]
        strict: bool,
        /// How to print the problems.
        #[arg(long, value_enum, default_value = "text")]
        format: CheckFormat,
    },
    /// Start a new article in content/articles/ and print its path.
    New {
        /// The article's title; the file name is made from it.
        title: String,
        /// Mark the article `draft = true`.
        #[arg(long)]
        draft: bool,
        /// The site's folder.
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
    },
    /// Create a new site, ready to build, in a new or empty folder.
    Init {
        /// The folder to create the site in.
        dir: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(status) => status,
        Err(error) => {
            print_failure(&error);
            ExitCode::from(error.exit_status())
        }
    }
}

/// The one way every failure is printed, on standard error: the problems in the sources, or
/// the error with its causes and what to do about it.
fn print_failure(error: &Error) {
    match error {
        Error::Sources(problems) => eprintln!("{problems}"),
        Error::Environment { error, help } => {
            eprintln!("error: {error:#}");
            if let Some(help) = help {
                eprintln!("  = help: {help}");
            }
        }
    }
}

/// Runs a command; problems it finds are printed on standard error, what it made on standard
/// output.
fn run(command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Build {
            root,
            output,
            base_url,
            drafts,
            cache,
            future,
            timings,
        } => {
            let started = std::time::Instant::now();
            let options = BuildOptions {
                root,
                output,
                base_url,
                drafts,
                cache,
                future,
            };
            let report = build::build_noting_waits(&options, &mut |waiting| {
                eprintln!("note: {waiting}");
            })?;
            eprint!("{}", report.warnings);
            if timings {
                eprint!("{}", report.timings_table());
            }
            println!("{}", report.summary(started.elapsed()));
            // The process ends now: its exit frees these at once.
            std::mem::forget(report.leftovers);
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            root,
            port,
            bind,
            drafts,
            future,
            open,
        } => {
            let options = serve::ServeOptions {
                root,
                bind,
                port,
                drafts,
                future,
            };
            serve::execute(&options, open, print_notice)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            root,
            drafts,
            future,
            strict,
            format,
        } => {
            let report = check::run(&check::CheckOptions {
                root,
                drafts,
                future,
                strict,
            })?;
            match format {
                CheckFormat::Json => println!("{}", report.to_json()),
                CheckFormat::Text => {
                    for problem in report.problems.iter() {
                        eprintln!("{problem}");
                    }
                    println!("{}", report.summary());
                }
            }
            Ok(if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(aimsite::error::EXIT_SOURCES)
            })
        }
        Command::New { title, draft, root } => {
            let path = scaffold::new_article(&root, &title, draft, aimsite::date::today())?;
            println!("{}", path.strip_prefix(".").unwrap_or(&path).display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { dir } => {
            let files = scaffold::init(&dir, aimsite::date::today())?;
            println!("{}", scaffold::next_steps(&dir, files.len()));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_notice(notice: serve::Notice) {
    for (stream, message) in notice.messages() {
        match stream {
            serve::Stream::Out => println!("{message}"),
            serve::Stream::Err => eprintln!("{message}"),
        }
    }
}

/// A build makes and frees millions of small strings on every thread; glibc's allocator spent
/// about a fifth of a 10,000-article build on that (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
