//! What an author feels in `aimsite serve`: the time from writing a file to the event that makes
//! the open page reload (or swap its stylesheet), over real processes and sockets.
//!
//! `cargo bench --bench preview [-- firm 1000 10000]` (the firm's site and 1,000 articles by
//! default). For each site it starts the release `aimsite serve` on a copy of the firm's site with
//! generated articles, connects to `/__aimsite/events` as the edited article's page does, then
//! edits files and times each event: an article's body, its title, a template and the
//! stylesheet, seven rounds each, and the time until serve says the whole site is rebuilt.
//! A full `aimsite build` of the same site is timed in the same run, side by side. Results are in
//! docs/benchmarks.md.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod support;
use support::ms;

const ROUNDS: usize = 7;

/// An edit: its name, the event it must bring, and how round N writes it.
type Edit<'a> = (&'static str, &'static str, Box<dyn Fn(usize) + 'a>);
/// Between two edits, once the server has finished the last rebuild: longer than any quiet
/// period, so that each edit is a rebuild of its own, from an idle server.
const PAUSE: Duration = Duration::from_millis(200);
const PATIENCE: Duration = Duration::from_secs(60);

const THEME_ARTICLE: &str = include_str!("../src/theme/templates/article.html");
const THEME_STYLE: &str = include_str!("../src/theme/static/style.css");

fn main() {
    let mut sites: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg == "firm" || arg.parse::<usize>().is_ok())
        .collect();
    if sites.is_empty() {
        sites = vec!["firm".into(), "1000".into()];
    }
    println!("| site | edit | first | median | min | max | whole site rebuilt (median) |");
    println!("|---|---|---|---|---|---|---|");
    for site in sites {
        let articles = site.parse().unwrap_or(0);
        measure(&site, articles);
    }
}

fn measure(name: &str, articles: usize) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().join("site");
    std::fs::create_dir_all(root.join("templates")).expect("templates/");
    std::fs::create_dir_all(root.join("static")).expect("static/");
    support::firm_site_with(&root, articles);
    // The theme's own files, as a site that customises them has them.
    std::fs::write(root.join("templates/article.html"), THEME_ARTICLE).expect("a template");
    std::fs::write(root.join("static/style.css"), THEME_STYLE).expect("a stylesheet");
    // A real site's files were written long ago; let these settle as theirs have.
    std::thread::sleep(Duration::from_secs(3));

    let build = full_build(&root, &dir.path().join("public"));
    let server = Server::start(&root);
    let slug = match articles {
        0 => "leading-vs-managing",
        _ => "generated-00042",
    };
    let edited = root.join(format!("content/articles/{slug}.md"));
    // The author has the edited article open.
    let events = Events::connect(&server.address, &format!("/articles/{slug}/"));
    let original = std::fs::read_to_string(&edited).expect("the edited article");
    let edits: [Edit; 4] = [
        (
            "body",
            "reload",
            Box::new(|round| {
                let text = format!("{original}\nOne more sentence, number {round}.\n");
                std::fs::write(&edited, text).expect("editing")
            }),
        ),
        (
            "title",
            "reload",
            Box::new(|round| {
                let text = original.replacen("title = \"", &format!("title = \"Take {round}: "), 1);
                std::fs::write(&edited, text).expect("editing")
            }),
        ),
        (
            "template",
            "reload",
            Box::new(|round| {
                // A change every article's page shows.
                let text = THEME_ARTICLE.replacen(
                    "{% block main %}",
                    &format!("{{% block main %}}<!-- edit {round} -->"),
                    1,
                );
                std::fs::write(root.join("templates/article.html"), text).expect("editing")
            }),
        ),
        (
            "stylesheet",
            "css",
            Box::new(|round| {
                let text = format!("{THEME_STYLE}\n/* edit {round} */\n");
                std::fs::write(root.join("static/style.css"), text).expect("editing")
            }),
        ),
    ];
    for (edit, event, write) in &edits {
        let mut times = Vec::with_capacity(ROUNDS);
        let mut rebuilt = Vec::with_capacity(ROUNDS);
        for round in 1..=ROUNDS {
            std::thread::sleep(PAUSE);
            events.drain();
            server.drain();
            let start = Instant::now();
            write(round);
            events.wait_for(event);
            times.push(start.elapsed());
            server.wait_for_rebuild();
            rebuilt.push(start.elapsed());
        }
        let first = times[0];
        times.sort();
        rebuilt.sort();
        println!(
            "| {name} | {edit} | {} | **{}** | {} | {} | {} |",
            ms(first),
            ms(times[ROUNDS / 2]),
            ms(times[0]),
            ms(times[ROUNDS - 1]),
            ms(rebuilt[ROUNDS / 2])
        );
    }
    println!(
        "| {name} | full `aimsite build`, same run | | {} | | | |",
        ms(build)
    );
    drop(server);
}

/// The median of three full builds into a fresh output folder.
fn full_build(root: &Path, output: &Path) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let _ = std::fs::remove_dir_all(output);
            let start = Instant::now();
            let status = Command::new(env!("CARGO_BIN_EXE_aimsite"))
                .args(["build", "--root"])
                .arg(root)
                .arg("--output")
                .arg(output)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("aimsite runs");
            assert!(status.success(), "the site builds");
            start.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}

struct Server {
    child: Child,
    address: String,
    /// What serve prints, line by line.
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aimsite"))
            .args(["serve", "--port", "0", "--root"])
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("aimsite serve starts");
        let stdout = child.stdout.take().expect("its output");
        let mut lines = BufReader::new(stdout).lines();
        // It says where it listens once its first build is done.
        let address = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                let url = line.strip_prefix("Serving the site at http://")?;
                Some(url.split('/').next()?.to_string())
            })
            .expect("serve says where it listens");
        // Keep reading, so that serve never blocks on a full pipe.
        let (sender, printed) = mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        Server {
            child,
            address,
            lines: printed,
        }
    }

    fn drain(&self) {
        while self.lines.try_recv().is_ok() {}
    }

    /// Waits until serve says it has rebuilt (a stylesheet's event comes before the rebuild).
    fn wait_for_rebuild(&self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with("Rebuilt") => return,
                Ok(_) => {}
                Err(_) => panic!("serve did not say it rebuilt within {PATIENCE:?}"),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The event stream as a page reads it, line by line on a thread of its own.
struct Events {
    lines: mpsc::Receiver<String>,
}

impl Events {
    /// As the page at `path` connects (it says which page it is).
    fn connect(address: &str, path: &str) -> Events {
        let generation = current_generation(address);
        let page = path.replace('/', "%2F");
        let mut stream = TcpStream::connect(address).expect("connecting");
        write!(
            stream,
            "GET /__aimsite/events?since={generation}&page={page} HTTP/1.1\r\nHost: {address}\r\n\r\n"
        )
        .expect("asking for events");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        Events { lines }
    }

    fn drain(&self) {
        while self.lines.try_recv().is_ok() {}
    }

    fn wait_for(&self, event: &str) {
        let wanted = format!("event: {event}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line == wanted => return,
                Ok(_) => {}
                Err(_) => panic!("no `{event}` event within {PATIENCE:?}"),
            }
        }
    }
}

/// The build generation the home page was served from, as its live-reload script carries it.
fn current_generation(address: &str) -> u64 {
    let mut stream = TcpStream::connect(address).expect("connecting");
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("asking for the home page");
    let mut page = String::new();
    stream.read_to_string(&mut page).expect("the home page");
    let marker = "livereload.js?v=";
    let start = page.find(marker).expect("the live-reload script") + marker.len();
    page[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|digits| digits.parse().ok())
        .expect("a generation")
}
