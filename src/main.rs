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
        Command::Serve {
            root,
            port,
            bind,
            drafts,
            open,
        } => {
            let options = aimsite::serve::ServeOptions {
                root,
                bind,
                port,
                drafts,
            };
            run_serve(&options, open)
        }
        Command::Check {
            root,
            drafts,
            strict,
            format,
        } => run_check(
            &aimsite::check::CheckOptions {
                root,
                drafts,
                strict,
            },
            format,
        ),
        Command::New { title, draft, root } => run_new(&root, &title, draft),
        Command::Init { dir } => run_init(&dir),
    }
}

fn run_serve(options: &aimsite::serve::ServeOptions, open: bool) -> ExitCode {
    use aimsite::serve::{self, Change, Notice};
    // Warnings are printed when they change, not again on every rebuild.
    let shown_warnings = std::sync::Mutex::new(None::<String>);
    let result = serve::execute(options, open, move |notice| match notice {
        Notice::Listening { url } => println!("Serving the site at {url} (Ctrl-C to stop)"),
        Notice::Built {
            pages,
            elapsed,
            warnings,
            change,
            ..
        } => {
            let text = warnings.to_string();
            let mut shown = shown_warnings.lock().unwrap_or_else(|e| e.into_inner());
            if shown.as_deref() != Some(text.as_str()) {
                eprint!("{text}");
                *shown = Some(text);
            }
            let what = match change {
                Change::First => "Built",
                Change::Reload => "Rebuilt",
                Change::Css => "Rebuilt (stylesheets only)",
                Change::Nothing => "Rebuilt (nothing changed)",
            };
            println!("{what} {pages} pages in {} ms", elapsed.as_millis());
        }
        Notice::Failed { problems } => {
            eprintln!("{problems}");
            eprintln!("Still serving the last good build; open pages show the problems.");
        }
        Notice::BrowserNotOpened { error } => eprintln!("warning: cannot open a browser: {error}"),
        Notice::Stopped => println!("Stopped."),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(help) = error.help() {
                eprintln!("  = help: {help}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run_check(options: &aimsite::check::CheckOptions, format: CheckFormat) -> ExitCode {
    let report = aimsite::check::run(options);
    match format {
        CheckFormat::Json => println!("{}", report.to_json()),
        CheckFormat::Text => {
            for problem in report.problems.iter() {
                println!("{problem}");
            }
            println!(
                "Checked {} pages: {} errors, {} warnings{}",
                report.pages,
                report.errors(),
                report.warnings(),
                if options.strict && report.warnings() > 0 {
                    " (warnings fail the check with --strict)"
                } else {
                    ""
                }
            );
        }
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_new(root: &std::path::Path, title: &str, draft: bool) -> ExitCode {
    use aimsite::scaffold;
    match scaffold::new_article(root, title, draft, aimsite::date::today()) {
        Ok(path) => {
            println!("{}", path.strip_prefix(".").unwrap_or(&path).display());
            ExitCode::SUCCESS
        }
        Err(error) => scaffold_failed(&error),
    }
}

fn run_init(dir: &std::path::Path) -> ExitCode {
    use aimsite::scaffold;
    match scaffold::init(dir, aimsite::date::today()) {
        Ok(files) => {
            println!(
                "Created a new site in {} ({} files). Next:\n  cd {}\n  aimsite serve",
                dir.display(),
                files.len(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => scaffold_failed(&error),
    }
}

fn scaffold_failed(error: &aimsite::scaffold::ScaffoldError) -> ExitCode {
    eprintln!("error: {error:#}");
    if let Some(help) = error.help() {
        eprintln!("  = help: {help}");
    }
    ExitCode::FAILURE
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
            // The process ends now: its exit frees these at once.
            std::mem::forget(report.leftovers);
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

/// A build makes and frees millions of small strings on every thread; glibc's allocator spent
/// about a fifth of a 10,000-article build on that (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
