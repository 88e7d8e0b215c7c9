//! `aimsite serve`: pages, 404s, refused paths, content types, live reload through the event
//! stream, the error overlay's data, concurrent requests; and that the render cache behind the
//! incremental rebuilds gives exactly the files of a full build.
//!
//! Each test makes a new site with `aimsite init` in a temporary folder and serves it on a free
//! port of 127.0.0.1. Waits are bounded (a change must arrive within a generous time), never
//! timed assertions.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aimsite::build::{self, BuildOptions, Memos};
use aimsite::scaffold;
use aimsite::serve::{ServeError, ServeOptions, Server};

mod support;

/// How long a change may take to reach the page before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

fn new_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    scaffold::init(dir.path(), jiff::civil::date(2020, 2, 10)).unwrap();
    dir
}

fn start(root: &Path) -> Server {
    let options = ServeOptions {
        port: 0,
        ..ServeOptions::new(root)
    };
    Server::start(&options, |_| {}).unwrap()
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Sends a request with the path exactly as given (no client normalises it away).
fn request(addr: SocketAddr, method: &str, path: &str) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    request(addr, "GET", path)
}

/// A page's connection to the event stream, read line by line on a thread of its own.
struct EventStream {
    lines: mpsc::Receiver<String>,
}

impl EventStream {
    fn connect(addr: SocketAddr, since: u64) -> EventStream {
        EventStream::open(addr, &format!("since={since}"))
    }

    /// As the page at `path` connects: it says which page it is.
    fn connect_as(addr: SocketAddr, since: u64, path: &str) -> EventStream {
        let page = path.replace('/', "%2F");
        EventStream::open(addr, &format!("since={since}&page={page}"))
    }

    fn open(addr: SocketAddr, query: &str) -> EventStream {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET /__aimsite/events?{query} HTTP/1.1\r\nHost: {addr}\r\n\r\n"
        )
        .unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { return };
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let events = EventStream { lines };
        events.wait_for_line(|line| line.starts_with("retry:"));
        events
    }

    fn wait_for_line(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return line,
                Ok(_) => {}
                Err(_) => panic!("the awaited event did not come"),
            }
        }
    }

    /// The events that came so far, without waiting.
    fn events_so_far(&self) -> Vec<String> {
        self.lines
            .try_iter()
            .filter_map(|line| line.strip_prefix("event: ").map(str::to_string))
            .collect()
    }

    /// Waits for an event and returns its data.
    fn wait_for(&self, event: &str) -> String {
        self.wait_for_line(|line| line == format!("event: {event}"));
        let data = self.wait_for_line(|line| line.starts_with("data:"));
        data.trim_start_matches("data:").trim().to_string()
    }
}

/// The generation a served page carries in its live-reload script tag.
fn generation(page: &str) -> u64 {
    let start = page.find("livereload.js?v=").unwrap() + "livereload.js?v=".len();
    page[start..].split('"').next().unwrap().parse().unwrap()
}

#[test]
fn serves_pages_with_the_live_reload_script_and_the_right_content_types() {
    let site = new_site();
    let server = start(site.path());
    let addr = server.addr();

    let home = get(addr, "/");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        home.body.contains("<title>My site</title>"),
        "{}",
        home.body
    );
    let script = "<script src=\"/__aimsite/livereload.js?v=";
    assert!(home.body.contains(script), "no live-reload script");
    assert!(home.body.find(script) < home.body.find("</head>"));
    // Links work on this host: the base URL is the server's.
    assert!(home.body.contains(&format!("href=\"http://{addr}/\"")));

    let article = get(addr, "/articles/welcome/");
    assert_eq!(article.status, 200);
    assert!(article.body.contains("This is the first article"));

    let stylesheet = home
        .body
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a stylesheet");
    let css = get(addr, stylesheet);
    assert_eq!(css.status, 200, "{stylesheet}");
    assert_eq!(css.header("Content-Type"), Some("text/css; charset=utf-8"));
    assert!(!css.body.contains("livereload"));

    for (path, content_type) in [
        ("/favicon.svg", "image/svg+xml"),
        ("/atom.xml", "application/xml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/__aimsite/livereload.js", "text/javascript; charset=utf-8"),
    ] {
        let answer = get(addr, path);
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("Content-Type"), Some(content_type), "{path}");
    }
    let head = request(addr, "HEAD", "/");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    let folder = get(addr, "/articles/welcome");
    assert_eq!(folder.status, 301);
    assert_eq!(folder.header("Location"), Some("/articles/welcome/"));

    assert_eq!(request(addr, "POST", "/").status, 405);
    server.stop();
}

/// The preview serves the stylesheets and scripts the build publishes: both minify them when
/// `minify = true` in site.toml, and neither does without it (the default).
#[test]
fn serve_minifies_stylesheets_and_scripts_exactly_as_build_does() {
    for minify in [false, true] {
        let site = new_site();
        if minify {
            let settings = site.path().join("site.toml");
            let text = std::fs::read_to_string(&settings).unwrap();
            std::fs::write(&settings, format!("minify = true\n{text}")).unwrap();
        }
        support::write_file(
            site.path().join("static/site.js"),
            "// Says hello.\nfunction hello() {\n  return 'hello';\n}\n",
        );
        let out = tempfile::tempdir().unwrap();
        let built = support::aimsite()
            .args(["build", "--root"])
            .arg(site.path())
            .arg("--output")
            .arg(out.path().join("public"))
            .output()
            .unwrap();
        assert!(built.status.success(), "{built:?}");
        let server = start(site.path());
        for file in ["style.css", "site.js"] {
            let published = std::fs::read_to_string(out.path().join("public").join(file));
            let published = published.unwrap_or_else(|e| panic!("{file} was not built: {e}"));
            let served = get(server.addr(), &format!("/{file}"));
            assert_eq!(served.status, 200, "{file}");
            assert!(
                served.body == published,
                "with minify = {minify}, serve's {file} is not the build's"
            );
            assert_eq!(
                served.body.contains("\n  "),
                !minify,
                "with minify = {minify}, {file} is minified: {}",
                &served.body[..served.body.len().min(200)]
            );
        }
        server.stop();
    }
}

#[test]
fn missing_paths_get_the_404_page_with_status_404() {
    let site = new_site();
    let server = start(site.path());
    for path in [
        "/no-such-page/",
        "/articles/nope/",
        "/nope.css",
        "/__aimsite/nope",
    ] {
        let answer = get(server.addr(), path);
        assert_eq!(answer.status, 404, "{path}");
    }
    let answer = get(server.addr(), "/no-such-page/");
    assert_eq!(
        answer.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert!(answer.body.contains("Page not found"), "{}", answer.body);
    server.stop();
}

#[test]
fn paths_that_escape_the_site_are_refused() {
    let site = new_site();
    std::fs::write(site.path().join("secret.txt"), "top secret").unwrap();
    let server = start(site.path());
    for path in [
        "/../secret.txt",
        "/articles/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/.%2e/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/..%5csecret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/%252e%252e/secret.txt",
        "/secret.txt%00.html",
        "//secret.txt",
        "/secret.txt",
        "/site.toml",
        "/content/_index.md",
    ] {
        let answer = get(server.addr(), path);
        assert!(
            answer.status == 400 || answer.status == 404,
            "{path} answered {}",
            answer.status
        );
        assert!(!answer.body.contains("top secret"), "{path}");
        assert!(!answer.body.contains("base_url"), "{path}");
    }
    server.stop();
}

#[test]
fn an_edited_article_reloads_open_pages_and_is_served() {
    let site = new_site();
    let server = start(site.path());
    let page = get(server.addr(), "/articles/welcome/");
    let events = EventStream::connect(server.addr(), generation(&page.body));

    let article = site.path().join("content/articles/welcome.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(
        &article,
        text.replace("This is the first article", "This is the edited article"),
    )
    .unwrap();
    events.wait_for("reload");
    let page = get(server.addr(), "/articles/welcome/");
    assert!(page.body.contains("This is the edited article"));

    // A new article, saved the way many editors save: written beside, then renamed over.
    let draft = site.path().join("content/articles/.second.md.tmp");
    std::fs::write(
        &draft,
        "+++\ntitle = \"Second\"\ndescription = \"The second.\"\ndate = 2020-03-01\n+++\n\nSecond article.\n",
    )
    .unwrap();
    std::fs::rename(&draft, site.path().join("content/articles/second.md")).unwrap();
    events.wait_for("reload");
    assert_eq!(get(server.addr(), "/articles/second/").status, 200);
    assert!(get(server.addr(), "/articles/").body.contains("Second"));

    // Deleted: gone from the site.
    std::fs::remove_file(site.path().join("content/articles/second.md")).unwrap();
    events.wait_for("reload");
    assert_eq!(get(server.addr(), "/articles/second/").status, 404);
    server.stop();
}

/// Edits the welcome article, then waits for a `reload` after which the page shows the edit
/// (earlier reloads, of changes made before, may come first).
fn edit_and_see_it_reloaded(site: &Path, server: &Server, events: &EventStream, words: &str) {
    let article = site.join("content/articles/welcome.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, format!("{text}\n{words}\n")).unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        events.wait_for("reload");
        if get(server.addr(), "/articles/welcome/")
            .body
            .contains(words)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the edit {words:?} was never served"
        );
    }
}

/// `rm -rf content` and moving the folder away, each undone: live reload goes on seeing edits.
#[test]
fn a_content_folder_deleted_or_moved_and_restored_is_watched_again() {
    let site = new_site();
    let content = site.path().join("content");
    let aside = tempfile::tempdir().unwrap();
    let copy = aside.path().join("copy");
    support::copy_folder(&content, &copy);
    let server = start(site.path());
    let page = get(server.addr(), "/articles/welcome/");
    let events = EventStream::connect(server.addr(), generation(&page.body));

    std::fs::remove_dir_all(&content).unwrap();
    events.wait_for_line(|line| line == "event: error" || line == "event: reload");
    support::copy_folder(&copy, &content);
    edit_and_see_it_reloaded(site.path(), &server, &events, "Edited after rm -rf.");
    edit_and_see_it_reloaded(site.path(), &server, &events, "Edited once more.");

    let moved = aside.path().join("moved");
    std::fs::rename(&content, &moved).unwrap();
    events.wait_for_line(|line| line == "event: error" || line == "event: reload");
    std::fs::rename(&moved, &content).unwrap();
    edit_and_see_it_reloaded(site.path(), &server, &events, "Edited after moving back.");
    edit_and_see_it_reloaded(site.path(), &server, &events, "Edited again.");

    // Both at once, in one burst of changes.
    std::fs::remove_dir_all(&content).unwrap();
    support::copy_folder(&copy, &content);
    edit_and_see_it_reloaded(
        site.path(),
        &server,
        &events,
        "Edited after a quick restore.",
    );
    server.stop();
}

#[test]
fn a_page_that_missed_a_rebuild_reloads_when_it_connects() {
    let site = new_site();
    let server = start(site.path());
    let events = EventStream::connect(server.addr(), 999);
    events.wait_for("reload");
    server.stop();
}

#[test]
fn a_broken_edit_shows_the_problem_until_it_is_fixed() {
    let site = new_site();
    let server = start(site.path());
    let page = get(server.addr(), "/articles/welcome/");
    let events = EventStream::connect(server.addr(), generation(&page.body));

    let article = site.path().join("content/articles/welcome.md");
    let good = std::fs::read_to_string(&article).unwrap();
    std::fs::write(
        &article,
        good.replace("title = \"Welcome\"", "title = Welcome"),
    )
    .unwrap();
    let data = events.wait_for("error");
    let report: serde_json::Value = serde_json::from_str(&data).unwrap();
    let problem = &report["problems"][0];
    assert_eq!(problem["file"], "content/articles/welcome.md", "{data}");
    assert_eq!(problem["line"], 2, "{data}");
    assert!(
        problem["text"].as_str().unwrap().contains("welcome.md:2:"),
        "{data}"
    );

    // The last good site is still served, and a page opened now learns of the problem at once.
    let page = get(server.addr(), "/articles/welcome/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("This is the first article"));
    let late = EventStream::connect(server.addr(), generation(&page.body));
    assert!(late.wait_for("error").contains("welcome.md"));

    std::fs::write(&article, good.replace("first article", "fixed article")).unwrap();
    events.wait_for("ok");
    events.wait_for("reload");
    late.wait_for("ok");
    let page = get(server.addr(), "/articles/welcome/");
    assert!(page.body.contains("This is the fixed article"));
    server.stop();
}

#[test]
fn a_first_build_that_fails_shows_the_problem_and_recovers() {
    let site = new_site();
    let home = site.path().join("content/_index.md");
    let good = std::fs::read_to_string(&home).unwrap();
    std::fs::write(&home, "no front matter\n").unwrap();
    let server = start(site.path());
    let page = get(server.addr(), "/");
    assert_eq!(page.status, 503);
    assert!(page.body.contains("content/_index.md"), "{}", page.body);
    let events = EventStream::connect(server.addr(), generation(&page.body));
    events.wait_for("error");
    std::fs::write(&home, good).unwrap();
    events.wait_for("ok");
    events.wait_for("reload");
    assert_eq!(get(server.addr(), "/").status, 200);
    server.stop();
}

#[test]
fn a_stylesheet_change_swaps_stylesheets_without_a_reload() {
    let site = new_site();
    let server = start(site.path());
    let page = get(server.addr(), "/");
    let events = EventStream::connect(server.addr(), generation(&page.body));
    let style = site.path().join("static/style.css");
    let mut css = std::fs::read_to_string(&style).unwrap();
    css.push_str("\n.new-rule { color: red; }\n");
    std::fs::write(&style, css).unwrap();
    let data = events.wait_for("css");
    let change: serde_json::Value = serde_json::from_str(&data).unwrap();
    let renamed = change["styles"][0][1].as_str().unwrap();
    let answer = get(server.addr(), renamed);
    assert_eq!(answer.status, 200, "{data}");
    assert!(answer.body.contains(".new-rule"));
    server.stop();
}

#[test]
fn a_stylesheet_reaches_the_page_before_the_rebuild_and_the_rebuild_agrees() {
    // With minify on, the stylesheet sent first must be the one the build makes.
    let site = new_site();
    let settings = site.path().join("site.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, format!("minify = true\n{text}")).unwrap();
    let server = start(site.path());
    let page = get(server.addr(), "/");
    let events = EventStream::connect(server.addr(), generation(&page.body));
    let style = site.path().join("static/style.css");
    let css = std::fs::read_to_string(&style).unwrap();
    std::fs::write(&style, format!("{css}\n.first-rule {{ color: red; }}\n")).unwrap();
    let data = events.wait_for("css");
    let change: serde_json::Value = serde_json::from_str(&data).unwrap();
    let renamed = change["styles"][0][1].as_str().unwrap().to_string();
    let answer = get(server.addr(), &renamed);
    assert_eq!(answer.status, 200, "{data}");
    // Minified, as the build minifies it.
    assert!(
        answer.body.contains(".first-rule{color:red;}"),
        "{}",
        answer.body
    );
    // The rebuild's pages name the same file, and open pages are told nothing more.
    let deadline = Instant::now() + PATIENCE;
    while !get(server.addr(), "/").body.contains(&renamed) {
        assert!(Instant::now() < deadline, "the pages never named {renamed}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let page = get(server.addr(), "/articles/welcome/");
    assert!(page.body.contains(&renamed));
    // A change after it is still sent: nothing was left waiting in between.
    std::fs::write(&style, format!("{css}\n.second-rule {{ color: blue; }}\n")).unwrap();
    let data = events.wait_for("css");
    let change: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(
        change["styles"][0][0].as_str(),
        Some(renamed.as_str()),
        "{data}"
    );
    server.stop();
}

/// A stylesheet that becomes a link to a file outside the site is never sent ahead of the
/// rebuild, which refuses it.
#[test]
fn a_stylesheet_linked_from_outside_the_site_is_never_served() {
    let site = new_site();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.css");
    std::fs::write(&secret, ".secret { content: \"SECRET\" }\n").unwrap();
    let server = start(site.path());
    let page = get(server.addr(), "/");
    let events = EventStream::connect(server.addr(), generation(&page.body));
    // Renamed over the stylesheet in one step, as an editor saves: one change, not two.
    let link = site.path().join("static/.style.css.link");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    std::fs::rename(&link, site.path().join("static/style.css")).unwrap();
    let first = events.wait_for_line(|line| line.starts_with("event:"));
    assert_eq!(first, "event: error");
    assert!(!get(server.addr(), "/style.css").body.contains("SECRET"));
    server.stop();
}

#[test]
fn many_concurrent_requests_are_all_answered() {
    let site = new_site();
    let server = start(site.path());
    let addr = server.addr();
    let expected = get(addr, "/articles/welcome/").body.len();
    let threads: Vec<_> = (0..16)
        .map(|thread| {
            std::thread::spawn(move || {
                (0..13)
                    .map(|n| {
                        let path = match (thread + n) % 3 {
                            0 => "/articles/welcome/",
                            1 => "/",
                            _ => "/favicon.svg",
                        };
                        let answer = get(addr, path);
                        assert_eq!(answer.status, 200, "{path}");
                        if path == "/articles/welcome/" {
                            assert_eq!(answer.body.len(), expected);
                        }
                    })
                    .count()
            })
        })
        .collect();
    let answered: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(answered, 208);
    server.stop();
}

#[test]
fn a_client_that_goes_away_mid_response_harms_nothing() {
    let site = new_site();
    // A page large enough not to fit in one write.
    let mut body = String::from("+++\ntitle = \"Big\"\ndescription = \"Big.\"\n+++\n\n");
    for n in 0..20_000 {
        body.push_str(&format!("Paragraph {n} of a long page.\n\n"));
    }
    std::fs::write(site.path().join("content/big.md"), body).unwrap();
    let server = start(site.path());
    for _ in 0..20 {
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        write!(stream, "GET /big/ HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut first = [0u8; 64];
        let _ = stream.read(&mut first);
        drop(stream);
    }
    // An event stream that goes away too.
    drop(EventStream::connect(server.addr(), 0));
    let answer = get(server.addr(), "/big/");
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("Paragraph 19999"));
    server.stop();
}

#[test]
fn a_port_in_use_is_reported_with_a_free_one() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let site = new_site();
    let options = ServeOptions {
        port,
        ..ServeOptions::new(site.path())
    };
    let error = match Server::start(&options, |_| {}) {
        Err(error) => error,
        Ok(server) => {
            server.stop();
            panic!("started on a port in use");
        }
    };
    assert!(matches!(error, ServeError::PortInUse { port: p, .. } if p == port));
    assert!(error.to_string().contains(&port.to_string()));
    let help = error.help().unwrap();
    assert!(help.contains("--port"), "{help}");
}

#[test]
fn drafts_are_served_only_when_asked() {
    let site = new_site();
    std::fs::write(
        site.path().join("content/articles/draft.md"),
        "+++\ntitle = \"Draft\"\ndescription = \"A draft.\"\ndate = 2020-03-01\ndraft = true\n+++\n\nDraft.\n",
    )
    .unwrap();
    let server = start(site.path());
    assert_eq!(get(server.addr(), "/articles/draft/").status, 404);
    server.stop();
    let options = ServeOptions {
        port: 0,
        drafts: true,
        ..ServeOptions::new(site.path())
    };
    let server = Server::start(&options, |_| {}).unwrap();
    assert_eq!(get(server.addr(), "/articles/draft/").status, 200);
    server.stop();
}

/// Every kind of edit a rebuild meets, each checked against a build from scratch: once with
/// every file looked at, once told only what changed, as `serve`'s watcher tells it, with an
/// article open in a browser (made before the others).
#[test]
fn cached_rebuilds_give_the_files_of_a_full_build() {
    cached_rebuilds_match_full_builds(false);
}

#[test]
fn rebuilds_told_what_changed_give_the_files_of_a_full_build() {
    cached_rebuilds_match_full_builds(true);
}

fn cached_rebuilds_match_full_builds(told_what_changed: bool) {
    let site = new_site();
    let root = site.path();
    let options = BuildOptions::new(root);
    let mut cache = Memos::default();
    let touched = std::cell::RefCell::new(Vec::new());
    let write = |path: &str, text: &str| {
        std::fs::write(root.join(path), text).unwrap();
        touched.borrow_mut().push(root.join(path));
    };
    let edit = |path: &str, from: &str, to: &str| {
        let text = std::fs::read_to_string(root.join(path)).unwrap();
        assert!(text.contains(from), "{path} has no `{from}`");
        write(path, &text.replacen(from, to, 1));
    };
    let check = |cache: &mut Memos, step: &str| {
        let changed = std::mem::take(&mut *touched.borrow_mut());
        if told_what_changed && step != "first build" {
            cache.only_changed(changed);
        }
        let cached = if told_what_changed {
            let open: HashSet<String> = ["articles/welcome/index.html".to_string()].into();
            build::render_open_first(&options, cache, &open, &|files| {
                assert!(files.iter().all(|file| open.contains(&file.path)), "{step}");
            })
        } else {
            build::render_memoised(&options, cache)
        };
        let full = build::render(&options);
        match (cached, full) {
            (Ok(cached), Ok(full)) => assert_same_files(&cached.files, &full.files, step),
            (Err(cached), Err(full)) => assert_eq!(cached.to_string(), full.to_string(), "{step}"),
            (cached, full) => panic!(
                "{step}: cached {} but full {}",
                cached.is_ok(),
                full.is_ok()
            ),
        }
    };
    check(&mut cache, "first build");
    check(&mut cache, "nothing changed");
    edit(
        "content/articles/welcome.md",
        "This is the first",
        "This is the edited",
    );
    check(&mut cache, "summary edited");
    edit(
        "content/articles/welcome.md",
        "title = \"Welcome\"",
        "title = \"Hello\"",
    );
    check(&mut cache, "title edited");
    write(
        "content/articles/second.md",
        "+++\ntitle = \"Second\"\ndescription = \"Two.\"\ndate = 2020-03-01\ntags = [\"news\", \"more\"]\n+++\n\nSee [the first](@/articles/welcome.md#writing-the-next-one).\n",
    );
    check(&mut cache, "article added");
    edit(
        "content/articles/welcome.md",
        "## Writing the next one",
        "## Writing more",
    );
    check(&mut cache, "a linked heading renamed: the link breaks");
    edit(
        "content/articles/second.md",
        "#writing-the-next-one",
        "#writing-more",
    );
    check(&mut cache, "the link fixed");
    edit(
        "content/articles/second.md",
        "date = 2020-03-01",
        "date = 2025-03-01",
    );
    check(&mut cache, "article order changed");
    write(
        "content/articles/_index.md",
        "+++\ntitle = \"Articles\"\npaginate_by = 1\n+++\n\nAll of them.\n",
    );
    check(&mut cache, "the articles paginated");
    edit(
        "content/articles/second.md",
        "title = \"Second\"",
        "title = \"Two\"",
    );
    check(&mut cache, "a title on the first page of the list edited");
    edit(
        "content/articles/_index.md",
        "paginate_by = 1",
        "paginate_by = 1\nsort_by = \"title\"",
    );
    check(&mut cache, "the list's order changed");
    edit(
        "content/articles/_index.md",
        "paginate_by = 1",
        "paginate_by = 5",
    );
    check(&mut cache, "the list's pages made longer");
    edit(
        "content/articles/_index.md",
        "title = \"Articles\"",
        "title = \"Writing\"",
    );
    check(&mut cache, "the list's title changed");
    write(
        "content/articles/later.md",
        "+++\ntitle = \"Later\"\ndate = 2999-01-01\ntags = [\"news\"]\n+++\n\nLater.\n",
    );
    check(&mut cache, "a page dated after today added");
    std::fs::create_dir_all(root.join("content/services")).unwrap();
    touched.borrow_mut().push(root.join("content/services"));
    write(
        "content/services/_index.md",
        "+++\ntitle = \"Services\"\nkind = \"pages\"\n+++\n",
    );
    write(
        "content/services/one.md",
        "+++\ntitle = \"One\"\n+++\n\nOne.\n",
    );
    check(&mut cache, "a section of pages added");
    edit(
        "content/services/_index.md",
        "kind = \"pages\"",
        "kind = \"articles\"",
    );
    check(&mut cache, "the section's kind changed");
    std::fs::create_dir_all(root.join("content/events")).unwrap();
    touched.borrow_mut().push(root.join("content/events"));
    write(
        "content/events/_index.md",
        "+++\ntitle = \"Events\"\nkind = \"events\"\n+++\n",
    );
    write(
        "content/events/day.md",
        "+++\ntitle = \"Day\"\nstart = 2999-01-01T10:00:00Z\nlocation = \"Hall\"\n+++\n\nA day.\n",
    );
    write(
        "content/events/old.md",
        "+++\ntitle = \"Old\"\nstart = 2001-01-01T10:00:00Z\nonline = true\n+++\n\nOld.\n",
    );
    check(&mut cache, "events added, one past");
    edit(
        "content/events/day.md",
        "title = \"Day\"",
        "title = \"A day\"",
    );
    check(&mut cache, "an event renamed");
    edit("site.toml", "title = \"My site\"", "title = \"Our site\"");
    check(&mut cache, "settings changed");
    write(
        "site.toml",
        &format!(
            "{}\n[tags]\npaginate_by = 1\n",
            std::fs::read_to_string(root.join("site.toml")).unwrap()
        ),
    );
    check(&mut cache, "tag pages paginated");
    write(
        "templates/article.html",
        &std::fs::read_to_string(root.join("templates/article.html"))
            .unwrap()
            .replace("<article", "<!-- changed --><article"),
    );
    check(&mut cache, "template changed");
    let article_template = std::fs::read_to_string(root.join("templates/article.html")).unwrap();
    write(
        "templates/article.html",
        &article_template.replace("<article", "{{ page.no_such_key.deeper }}<article"),
    );
    check(&mut cache, "a template that fails to render");
    write("templates/article.html", &article_template);
    check(&mut cache, "the template fixed");
    std::fs::create_dir_all(root.join("data")).unwrap();
    touched.borrow_mut().push(root.join("data"));
    write("data/firm.toml", "name = \"Aim\"\n");
    write(
        "templates/article.html",
        &article_template.replace("<article", "<p>{{ data.firm.name }}</p><article"),
    );
    check(&mut cache, "a data file read by a template");
    write("data/firm.toml", "name = \"Aim to Win\"\n");
    check(&mut cache, "the data file edited");
    write("data/firm.toml", "name = \"Aim\n");
    check(&mut cache, "the data file broken");
    write("data/firm.toml", "name = \"Aim\"\n");
    write("templates/article.html", &article_template);
    check(&mut cache, "the data file fixed");
    let css = std::fs::read_to_string(root.join("static/style.css")).unwrap();
    write(
        "static/style.css",
        &format!("{css}\n.x {{ color: red; }}\n"),
    );
    check(&mut cache, "stylesheet changed");
    std::fs::remove_file(root.join("content/articles/welcome.md")).unwrap();
    touched
        .borrow_mut()
        .push(root.join("content/articles/welcome.md"));
    check(&mut cache, "article deleted, a link to it breaks");
    edit(
        "content/articles/second.md",
        "See [the first]",
        "See [nothing]",
    );
    edit(
        "content/articles/second.md",
        "(@/articles/welcome.md#writing-more)",
        "",
    );
    check(&mut cache, "fixed again");
}

/// Told what changed, a rebuild does not look at the other files: one edited behind the
/// watcher's back is not seen, until events are lost and every file is looked at again.
#[test]
fn a_rebuild_told_what_changed_looks_at_nothing_else() {
    let site = new_site();
    let root = site.path();
    let options = BuildOptions::new(root);
    let mut cache = Memos::default();
    build::render_memoised(&options, &mut cache).unwrap();
    let article = root.join("content/articles/welcome.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(
        &article,
        text.replace("first article", "UNREPORTED article"),
    )
    .unwrap();
    cache.only_changed([root.join("content/privacy.md")]);
    let rendered = build::render_memoised(&options, &mut cache).unwrap();
    assert!(welcome_page(&rendered).contains("This is the first article"));
    // A folder reported covers the files below it.
    cache.only_changed([root.join("content/articles")]);
    let rendered = build::render_memoised(&options, &mut cache).unwrap();
    assert!(welcome_page(&rendered).contains("This is the UNREPORTED article"));
    std::fs::write(&article, text.replace("first article", "LOST article")).unwrap();
    cache.anything_changed();
    let rendered = build::render_memoised(&options, &mut cache).unwrap();
    assert!(welcome_page(&rendered).contains("This is the LOST article"));
}

/// The welcome article's page as a render made it.
fn welcome_page(rendered: &build::RenderedSite) -> String {
    let page = rendered
        .files
        .iter()
        .find(|file| file.path == "articles/welcome/index.html")
        .expect("the welcome article's page");
    String::from_utf8_lossy(page.contents.bytes().expect("in memory")).into_owned()
}

/// What the watcher told a build that failed before it read the content is kept for the next.
#[test]
fn changes_told_to_a_build_that_failed_early_are_not_forgotten() {
    let site = new_site();
    let root = site.path();
    let options = BuildOptions::new(root);
    let mut cache = Memos::default();
    build::render_memoised(&options, &mut cache).unwrap();
    let article = root.join("content/articles/welcome.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, text.replace("first article", "KEPT article")).unwrap();
    let settings = root.join("site.toml");
    let kept = std::fs::read_to_string(&settings).unwrap();
    std::fs::remove_file(&settings).unwrap();
    cache.only_changed([article.clone(), settings.clone()]);
    assert!(build::render_memoised(&options, &mut cache).is_err());
    std::fs::write(&settings, kept).unwrap();
    cache.only_changed([settings]);
    let rendered = build::render_memoised(&options, &mut cache).unwrap();
    let html = welcome_page(&rendered);
    assert!(html.contains("This is the KEPT article"));
}

/// Files written long enough ago are trusted by their size, times and inode; an edit of the
/// same length is still seen.
#[test]
fn settled_files_are_not_read_again_but_edits_are_seen() {
    let site = new_site();
    let root = site.path();
    let options = BuildOptions::new(root);
    let mut cache = Memos::default();
    std::thread::sleep(Duration::from_secs(3));
    build::render_memoised(&options, &mut cache).unwrap();
    build::render_memoised(&options, &mut cache).unwrap();
    let article = root.join("content/articles/welcome.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, text.replace("first article", "FIRST article")).unwrap();
    let rendered = build::render_memoised(&options, &mut cache).unwrap();
    let html = welcome_page(&rendered);
    assert!(html.contains("This is the FIRST article"));
}

fn assert_same_files(
    cached: &[aimsite::output::OutputFile],
    full: &[aimsite::output::OutputFile],
    step: &str,
) {
    let paths = |files: &[aimsite::output::OutputFile]| {
        files.iter().map(|f| f.path.clone()).collect::<Vec<_>>()
    };
    assert_eq!(paths(cached), paths(full), "{step}: different files");
    for (a, b) in cached.iter().zip(full) {
        assert!(
            a.contents.same_as(&b.contents),
            "{step}: {} differs",
            a.path
        );
    }
}

/// `aimsite serve` as a process, stopped the way a service manager or `kill` stops it: it says so
/// and exits with status 0, at once, with a page's event stream open.
#[cfg(unix)]
#[test]
fn the_command_stops_cleanly_on_sigterm() {
    use std::process::{Command, Stdio};
    let site = new_site();
    let mut server = Command::new(env!("CARGO_BIN_EXE_aimsite"))
        .args(["serve", "--port", "0", "--root"])
        .arg(site.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("Serving the site at ")
                .map(|rest| rest.split(' ').next().unwrap_or_default().to_string())
        })
        .expect("the server says where it serves");
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /__aimsite/events HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();

    let pid = i32::try_from(server.id()).unwrap();
    // SAFETY: sends a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|line| line == "Stopped."), "{rest:?}");
}

/// A title edit re-renders the article and the one page of each list that shows it (issue
/// 20): the other pages of the list, and every other file, are reused.
#[test]
fn an_edit_renders_again_only_the_pages_of_the_lists_that_show_the_page() {
    let site = new_site();
    let root = site.path();
    std::fs::write(
        root.join("content/articles/_index.md"),
        "+++\ntitle = \"Articles\"\npaginate_by = 10\n+++\n",
    )
    .unwrap();
    let settings = std::fs::read_to_string(root.join("site.toml")).unwrap();
    std::fs::write(
        root.join("site.toml"),
        format!("{settings}\n[tags]\npaginate_by = 10\n"),
    )
    .unwrap();
    for day in 1..=28 {
        std::fs::write(
            root.join(format!("content/articles/day-{day:02}.md")),
            format!(
                "+++\ntitle = \"Day {day}\"\ndate = 2019-02-{day:02}\ntags = [\"daily\"]\n+++\n\nDay {day}.\n"
            ),
        )
        .unwrap();
    }
    let options = BuildOptions::new(root);
    let mut memos = Memos::default();
    build::render_memoised(&options, &mut memos).unwrap();
    assert!(
        memos.pages_rendered().len() > 30,
        "the first build renders every page"
    );
    build::render_memoised(&options, &mut memos).unwrap();
    assert_eq!(
        memos.pages_rendered(),
        Vec::<String>::new(),
        "nothing changed"
    );

    // Day 2 is the 28th newest of the daily articles: on the third page of both lists, and on
    // neither the home page nor the feed.
    let article = root.join("content/articles/day-02.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, text.replace("Day 2\"", "The second day\"")).unwrap();
    memos.only_changed([article]);
    let rendered = build::render_memoised(&options, &mut memos).unwrap();
    assert_eq!(
        memos.pages_rendered(),
        [
            "articles/day-02/index.html",
            "articles/page/3/index.html",
            "tags/daily/page/3/index.html",
        ]
    );
    let list = rendered
        .files
        .iter()
        .find(|file| file.path == "articles/page/3/index.html")
        .expect("the third page of the list");
    let list = String::from_utf8_lossy(list.contents.bytes().expect("in memory"));
    assert!(list.contains("The second day"), "{list}");
}

/// The checks of a page's shortcodes depend on their templates: a site's own `youtube`
/// takes its own arguments, and the next memoised build knows it without the page changing.
#[test]
fn replacing_a_shortcode_is_seen_by_the_checks_of_an_unchanged_page() {
    let site = new_site();
    let root = site.path();
    let options = BuildOptions::new(root);
    let mut cache = Memos::default();
    let article = root.join("content/articles/welcome.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(
        &article,
        format!("{text}\n\n{{{{ youtube(id=\"mine\") }}}}\n"),
    )
    .unwrap();
    let error = build::render_memoised(&options, &mut cache)
        .err()
        .expect("a bad id");
    assert!(
        format!("{error:#}").contains("is not a youtube video id"),
        "{error:#}"
    );
    let template = root.join("templates/shortcodes/youtube.html");
    std::fs::write(&template, "<p class=\"own\">{{ id }}</p>").unwrap();
    cache.only_changed([template]);
    let rendered = build::render_memoised(&options, &mut cache).expect("the site's own youtube");
    assert!(welcome_page(&rendered).contains("<p class=\"own\">mine</p>"));
}

/// The page open in a browser is made before the rest of the site and reloads once, into its
/// new version; a page that did not say which it is reloads when the whole rebuild is done;
/// and any other page asked for meanwhile waits for the rebuild rather than being served old.
#[test]
fn an_open_page_is_made_first_and_reloads_once() {
    let site = new_site();
    let articles = site.path().join("content/articles");
    std::fs::write(
        articles.join("second.md"),
        "+++\ntitle = \"Second\"\ndate = 2020-02-09\n+++\n\nThe second article.\n",
    )
    .unwrap();
    let (notices, built) = mpsc::channel();
    let options = ServeOptions {
        port: 0,
        ..ServeOptions::new(site.path())
    };
    let server = Server::start(&options, move |notice| {
        if let aimsite::serve::Notice::Built { .. } = notice {
            let _ = notices.send(());
        }
    })
    .unwrap();
    built.recv_timeout(PATIENCE).expect("the first build");
    let addr = server.addr();
    let since = generation(&get(addr, "/articles/welcome/").body);
    let open = EventStream::connect_as(addr, since, "/articles/welcome/");
    let unnamed = EventStream::connect(addr, since);

    let template = include_str!("../src/theme/templates/article.html").replace(
        "<div class=\"prose\">",
        "<div class=\"prose\"><!-- edited -->",
    );
    std::fs::create_dir_all(site.path().join("templates")).unwrap();
    std::fs::write(site.path().join("templates/article.html"), template).unwrap();

    open.wait_for("reload");
    let first = get(addr, "/articles/welcome/");
    assert!(first.body.contains("<!-- edited -->"), "{}", first.body);
    let other = get(addr, "/articles/second/");
    assert!(
        other.body.contains("<!-- edited -->"),
        "served before the rebuild ended"
    );
    assert_eq!(generation(&first.body), generation(&other.body));
    unnamed.wait_for("reload");
    built.recv_timeout(PATIENCE).expect("the rebuild");
    // Events are sent before the build is reported: a second reload would be here by now.
    assert_eq!(open.events_so_far(), Vec::<String>::new());
    server.stop();
}

/// What a rebuild hands over first is the open pages' files alone, made before any other page;
/// a page with an error is not handed over.
#[test]
fn the_open_pages_are_handed_over_before_any_other_page_is_made() {
    let site = new_site();
    let second = site.path().join("content/articles/second.md");
    std::fs::write(
        &second,
        "+++\ntitle = \"Second\"\ndate = 2020-02-09\n+++\n\nTwo.\n",
    )
    .unwrap();
    let options = BuildOptions::new(site.path());
    let mut memos = Memos::default();
    let open: HashSet<String> = ["articles/second/index.html".to_string()].into();
    let handed = std::sync::Mutex::new(Vec::new());
    let note = |files: Vec<aimsite::output::OutputFile>| {
        let paths = files.into_iter().map(|file| file.path);
        handed.lock().unwrap().push(paths.collect::<Vec<_>>());
    };
    let rendered = build::render_open_first(&options, &mut memos, &open, &note).unwrap();
    assert_eq!(*handed.lock().unwrap(), [["articles/second/index.html"]]);
    assert_same_files(
        &rendered.files,
        &build::render(&options).unwrap().files,
        "open first",
    );

    handed.lock().unwrap().clear();
    std::fs::write(
        &second,
        "+++\ntitle = \"Second\"\n+++\n\n[Gone](@/articles/gone.md)\n",
    )
    .unwrap();
    assert!(build::render_open_first(&options, &mut memos, &open, &note).is_err());
    assert!(handed.lock().unwrap().is_empty());
}
