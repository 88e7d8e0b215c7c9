//! Shared support for integration tests: include it with `mod support;`.
//!
//! - [`StaticServer`] serves a built site over HTTP on 127.0.0.1 (std only) and records POSTs.
//! - [`Browser`] drives headless Chromium; [`browser_or_skip`] finds one or skips the test.
//! - [`aimsite`] runs the binary under test; [`temp_dir`], [`write_file`] and [`copy_folder`]
//!   make fixtures.
//! - [`percent_decode`] and [`normalise_path`] resolve links as a browser does.
//!
//! # Why WebDriver (chromedriver + `ureq` + `serde_json`) and not `headless_chrome`
//!
//! Both were measured in a scratch crate with `tempfile` beside them (2 cores):
//!
//! | approach                                                    | tree lines | clean build |
//! |-------------------------------------------------------------|------------|-------------|
//! | `headless_chrome` 1.0, `default-features = false`           | 177        | 62 s        |
//! | `ureq` 3 (`default-features = false`, `json`), `serde_json` | 31         | 12 s        |
//!
//! (tree lines: `cargo tree -e normal,dev | wc -l`, 118 against 25 distinct crates; clean
//! build: `cargo clean && cargo test --no-run`.)
//!
//! WebDriver is a stable W3C protocol, chromedriver ships in Debian next to Chromium
//! (`chromium-driver`, same version, so they always match), and chromedriver's
//! `goog/cdp/execute` endpoint still gives us the few DevTools commands we need (init scripts,
//! viewport emulation, turning JavaScript off). So the wrapper below is small and the
//! dependency tree is a sixth of the size.
//!
//! Chromium is started by chromedriver with exactly the flags in [`CHROMIUM_FLAGS`] and a fresh
//! `--user-data-dir`; of the switches chromedriver adds on its own, all are excluded except the
//! three it needs to drive the browser (`--remote-debugging-port=0`, `--enable-automation`,
//! `--test-type=webdriver`). Debian's `/usr/bin/chromium` is a shell wrapper that adds flags of
//! its own (from /etc/chromium.d), so the real binary behind it, `/usr/lib/chromium/chromium`,
//! is launched instead.
//!
//! Environment variables:
//! - `AIMSITE_REQUIRE_BROWSER=1`: a missing browser fails the test instead of skipping it (CI).
//! - `AIMSITE_CHROMIUM`, `AIMSITE_CHROMEDRIVER`: use this binary instead of searching; a path
//!   that does not exist counts as "not found" (handy to check the skip path).

#![allow(dead_code)] // each test file uses a different part of this module

use std::cell::RefCell;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use serde_json::{Value, json};
pub use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/// A `Command` for the `aimsite` binary built for this test run.
pub fn aimsite() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aimsite"))
}

/// A fresh temporary directory, removed when the returned value is dropped.
pub fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("aimsite-test-")
        .tempdir()
        .expect("could not create a temporary directory (is TMPDIR writable?)")
}

/// Writes `contents` to `path`, creating missing parent directories.
pub fn write_file(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) {
    let path = path.as_ref();
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("could not create {}: {e}", parent.display()));
    }
    fs::write(path, contents).unwrap_or_else(|e| panic!("could not write {}: {e}", path.display()));
}

/// Copies a folder recursively (files and folders only).
pub fn copy_folder(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let path = entry.expect("unreadable folder entry").path();
        let target = to.join(path.file_name().expect("entries have names"));
        if path.is_dir() {
            copy_folder(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

/// The name of the running test (libtest names each test's thread after the test).
pub fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// StaticServer
// ---------------------------------------------------------------------------------------------

/// A POST request received by a [`StaticServer`].
#[derive(Clone, Debug)]
pub struct PostRequest {
    /// The percent-decoded path, without the query string, e.g. `/contact/`.
    pub path: String,
    /// The raw query string (without `?`), empty when there is none.
    pub query: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl PostRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body decoded as `application/x-www-form-urlencoded` pairs, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        parse_urlencoded(&self.body_text())
    }

    /// The first form field with this name.
    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// Configures a [`StaticServer`] before starting it; see [`StaticServer::builder`].
pub struct StaticServerBuilder {
    root: PathBuf,
    prefix: String,
    headers: Vec<(String, String)>,
    post_redirect: Option<String>,
}

impl StaticServerBuilder {
    /// Serves the site under this path prefix (e.g. `/aimtowin/`); other paths give 404.
    pub fn prefix(mut self, prefix: &str) -> Self {
        let trimmed = prefix.trim_matches('/');
        self.prefix = if trimmed.is_empty() {
            "/".to_string()
        } else {
            format!("/{trimmed}/")
        };
        self
    }

    /// Adds a header to every response (e.g. `Content-Security-Policy`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Where a POST is redirected with 303 (default: the path that was posted to).
    pub fn post_redirect(mut self, location: &str) -> Self {
        self.post_redirect = Some(location.to_string());
        self
    }

    /// Binds 127.0.0.1 on an ephemeral port and starts serving in a background thread.
    pub fn start(self) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("could not bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("bound listener has no address");
        let shared = Arc::new(Shared {
            root: self.root,
            prefix: self.prefix,
            headers: Mutex::new(self.headers),
            post_redirect: self.post_redirect,
            posts: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("static-server-{}", addr.port()))
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept_shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let conn_shared = Arc::clone(&accept_shared);
                    std::thread::spawn(move || {
                        // A client that goes away mid-request is not the test's concern.
                        let _ = handle_connection(stream, &conn_shared);
                    });
                }
            })
            .expect("could not spawn the static server thread");
        StaticServer {
            addr,
            shared,
            thread: Some(thread),
        }
    }
}

struct Shared {
    root: PathBuf,
    prefix: String,
    headers: Mutex<Vec<(String, String)>>,
    post_redirect: Option<String>,
    posts: Mutex<Vec<PostRequest>>,
    stop: AtomicBool,
}

/// Serves a folder over HTTP on 127.0.0.1 until dropped.
///
/// `/x/` serves `/x/index.html`, `/x` redirects to `/x/` when `x` is a folder, a missing file
/// gives `404.html` (or a plain text body) with status 404, a path containing `..` gives 400.
/// GET and HEAD are served; a POST is recorded (see [`StaticServer::posts`]) and answered with
/// `303 See Other`. Files are read at request time, so the server may be started before the
/// site is built into its folder (to know the port for `--base-url`).
pub struct StaticServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Serves `root` at `/` with no extra headers.
    pub fn serve(root: impl Into<PathBuf>) -> StaticServer {
        StaticServer::builder(root).start()
    }

    /// Starts configuring a server for `root`.
    pub fn builder(root: impl Into<PathBuf>) -> StaticServerBuilder {
        StaticServerBuilder {
            root: root.into(),
            prefix: "/".to_string(),
            headers: Vec::new(),
            post_redirect: None,
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash or the prefix.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The site's URL including the prefix, ending in `/` (use it as `--base-url`).
    pub fn base_url(&self) -> String {
        format!("{}{}", self.origin(), self.shared.prefix)
    }

    /// The URL of `path` below the prefix: `url("articles/")` or `url("/articles/")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path.trim_start_matches('/'))
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds (or replaces) a header sent with every response from now on.
    pub fn set_header(&self, name: &str, value: &str) {
        let mut headers = self.shared.headers.lock().expect("headers lock poisoned");
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.to_string(), value.to_string()));
    }

    /// The POST requests received so far, oldest first.
    pub fn posts(&self) -> Vec<PostRequest> {
        self.shared
            .posts
            .lock()
            .expect("posts lock poisoned")
            .clone()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Response {
    status: u16,
    reason: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn new(status: u16, reason: &'static str, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            reason,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }

    fn redirect(status: u16, reason: &'static str, location: &str) -> Response {
        let mut response = Response::new(status, reason, "text/plain; charset=utf-8", Vec::new());
        response.headers.push(("Location".into(), location.into()));
        response
    }
}

fn handle_connection(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(()); // the wake-up connection from Drop, or a closed socket
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();

    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;

    let mut response = respond(&method, &target, headers, body, shared);
    response.headers.extend(
        shared
            .headers
            .lock()
            .expect("headers lock poisoned")
            .iter()
            .cloned(),
    );
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, response.reason);
    for (name, value) in &response.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(
        head,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    );
    let mut stream = stream;
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(&response.body)?;
    }
    stream.flush()
}

fn respond(
    method: &str,
    target: &str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    shared: &Shared,
) -> Response {
    let (raw_path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = percent_decode(raw_path);
    if raw_path.contains("..") || path.contains("..") || path.contains('\\') {
        return Response::new(
            400,
            "Bad Request",
            "text/plain; charset=utf-8",
            b"paths with .. are refused\n".to_vec(),
        );
    }

    if method == "POST" {
        let location = shared.post_redirect.clone().unwrap_or_else(|| path.clone());
        shared
            .posts
            .lock()
            .expect("posts lock poisoned")
            .push(PostRequest {
                path,
                query: query.to_string(),
                headers,
                body,
            });
        return Response::redirect(303, "See Other", &location);
    }
    if method != "GET" && method != "HEAD" {
        return Response::new(
            405,
            "Method Not Allowed",
            "text/plain; charset=utf-8",
            Vec::new(),
        );
    }

    if format!("{path}/") == shared.prefix {
        return Response::redirect(301, "Moved Permanently", &shared.prefix);
    }
    let Some(relative) = path.strip_prefix(&shared.prefix) else {
        return not_found(shared);
    };
    let mut file = shared.root.join(relative);
    if relative.is_empty() || relative.ends_with('/') {
        file.push("index.html");
    } else if file.is_dir() {
        return Response::redirect(301, "Moved Permanently", &format!("{raw_path}/"));
    }
    match fs::read(&file) {
        Ok(bytes) if file.is_file() => Response::new(200, "OK", content_type(&file), bytes),
        _ => not_found(shared),
    }
}

fn not_found(shared: &Shared) -> Response {
    let page = shared.root.join("404.html");
    match fs::read(&page) {
        Ok(bytes) => Response::new(404, "Not Found", content_type(&page), bytes),
        Err(_) => Response::new(
            404,
            "Not Found",
            "text/plain; charset=utf-8",
            b"404 Not Found\n".to_vec(),
        ),
    }
}

/// The `Content-Type` the server sends for a file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Decodes each `%XX` into its byte; a `%` without two hex digits stays as it is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes `.` and `..` segments from a URL path, keeping a trailing `/`.
pub fn normalise_path(path: &str) -> String {
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let mut normal = format!("/{}", parts.join("/"));
    if trailing && !normal.ends_with('/') {
        normal.push('/');
    }
    normal
}

/// Decodes `a=1&b=x+y` into pairs (`+` is a space, `%XX` is a byte).
pub fn parse_urlencoded(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&name.replace('+', " ")),
                percent_decode(&value.replace('+', " ")),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------------------------

/// The flags Chromium is launched with (plus `--user-data-dir=<fresh temp dir>`).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Switches chromedriver adds by default that we do not want (see the module comment).
const EXCLUDED_DRIVER_SWITCHES: &[&str] = &[
    "allow-pre-commit-input",
    "disable-background-timer-throttling",
    "disable-backgrounding-occluded-windows",
    "disable-features",
    "disable-client-side-phishing-detection",
    "disable-default-apps",
    "disable-hang-monitor",
    "disable-popup-blocking",
    "enable-logging",
    "log-level",
    "disable-prompt-on-repost",
    "no-service-autorun",
    "password-store",
    "use-mock-keychain",
];

/// Collects CSP violations of the current document into `window.__aimsiteCspViolations`.
const INIT_SCRIPT: &str = r#"(() => {
  const violations = [];
  Object.defineProperty(window, '__aimsiteCspViolations', { value: violations });
  document.addEventListener('securitypolicyviolation', (e) => violations.push({
    directive: e.effectiveDirective,
    violatedDirective: e.violatedDirective,
    blockedURI: e.blockedURI,
    sourceFile: e.sourceFile,
    line: e.lineNumber,
    sample: e.sample,
    disposition: e.disposition,
  }), true);
})();"#;

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A key for [`Browser::press`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Tab,
    /// Shift+Tab: focus moves backwards.
    ShiftTab,
    Enter,
    Escape,
    Space,
    ArrowUp,
    ArrowDown,
    ArrowLeft,
    ArrowRight,
    Home,
    End,
}

impl Key {
    /// The WebDriver code point of the key.
    fn code(self) -> &'static str {
        match self {
            Key::Tab | Key::ShiftTab => "\u{E004}",
            Key::Enter => "\u{E007}",
            Key::Escape => "\u{E00C}",
            Key::Space => "\u{E00D}",
            Key::End => "\u{E010}",
            Key::Home => "\u{E011}",
            Key::ArrowLeft => "\u{E012}",
            Key::ArrowUp => "\u{E013}",
            Key::ArrowRight => "\u{E014}",
            Key::ArrowDown => "\u{E015}",
        }
    }
}

/// A cookie as the browser holds it, HttpOnly ones included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    pub path: String,
    pub domain: String,
    pub secure: bool,
    pub http_only: bool,
    /// `"Strict"`, `"Lax"` or `"None"`.
    pub same_site: Option<String>,
    /// Seconds since the Unix epoch; `None` for a session cookie.
    pub expiry: Option<u64>,
}

/// Headless Chromium driven over WebDriver by a chromedriver process of its own.
///
/// Every method panics with a message naming the failed command, since tests want a failure,
/// not an error to handle. Dropping the browser ends the session, chromedriver and Chromium,
/// and removes the profile directory.
pub struct Browser {
    agent: ureq::Agent,
    session: String,
    driver: Child,
    console: RefCell<Vec<String>>,
    profile: TempDir,
}

/// Returns a launched [`Browser`], or `None` (after printing why) when Chromium or
/// chromedriver is not installed. With `AIMSITE_REQUIRE_BROWSER=1` a missing browser panics.
/// A browser that is found but fails to start always panics.
pub fn browser_or_skip() -> Option<Browser> {
    match find_browser() {
        Ok((chromium, chromedriver)) => Some(
            Browser::launch(&chromium, &chromedriver).unwrap_or_else(|e| {
                panic!(
                    "could not start Chromium ({}) through chromedriver ({}): {e}",
                    chromium.display(),
                    chromedriver.display()
                )
            }),
        ),
        Err(missing) => {
            if std::env::var("AIMSITE_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!(
                    "{}: AIMSITE_REQUIRE_BROWSER=1 but {missing}; install them with \
                     `apt-get install -y chromium chromium-driver`",
                    test_name()
                );
            }
            // Written to the real stderr in one piece: `eprintln!` is captured by libtest.
            let line = format!(
                "skipped: {}: no Chromium found (install chromium and chromium-driver)\n",
                test_name()
            );
            let _ = std::io::stderr().write_all(line.as_bytes());
            None
        }
    }
}

/// Finds (chromium, chromedriver), or says which one is missing.
pub fn find_browser() -> Result<(PathBuf, PathBuf), String> {
    let chromium = find_program(
        "AIMSITE_CHROMIUM",
        &[
            "/usr/bin/chromium",
            "chromium",
            "chromium-browser",
            "google-chrome",
        ],
    )
    .ok_or("no Chromium was found (/usr/bin/chromium, or chromium, chromium-browser or google-chrome on PATH)")?;
    let chromedriver = find_program("AIMSITE_CHROMEDRIVER", &["chromedriver"])
        .ok_or("no chromedriver was found on PATH")?;
    Ok((real_chromium(chromium), chromedriver))
}

/// The override from `env_var` if set, else the first candidate that exists (names are looked
/// up on PATH).
fn find_program(env_var: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    candidates.iter().find_map(|candidate| {
        if candidate.contains('/') {
            let path = PathBuf::from(candidate);
            return path.is_file().then_some(path);
        }
        std::env::split_paths(&path_var)
            .map(|dir| dir.join(candidate))
            .find(|path| path.is_file())
    })
}

/// Debian's `/usr/bin/chromium` is a shell script adding flags of its own; use the binary.
fn real_chromium(found: PathBuf) -> PathBuf {
    let is_script = fs::read(&found).is_ok_and(|bytes| bytes.starts_with(b"#!"));
    let debian_binary = Path::new("/usr/lib/chromium/chromium");
    if is_script && debian_binary.is_file() {
        debian_binary.to_path_buf()
    } else {
        found
    }
}

impl Browser {
    /// Starts chromedriver and a Chromium session with [`CHROMIUM_FLAGS`].
    pub fn launch(chromium: &Path, chromedriver: &Path) -> Result<Browser, String> {
        let profile = temp_dir();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let (driver, port) = start_chromedriver(chromedriver, profile.path())?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
                "excludeSwitches": EXCLUDED_DRIVER_SWITCHES,
            },
            "goog:loggingPrefs": {"browser": "ALL"},
            "pageLoadStrategy": "normal",
            "timeouts": {"implicit": 0, "pageLoad": 30_000, "script": 30_000},
        }}});
        let mut browser = Browser {
            agent,
            session: format!("http://127.0.0.1:{port}/session"),
            driver,
            console: RefCell::new(Vec::new()),
            profile,
        };
        let created = browser
            .request("POST", "", Some(capabilities))
            .map_err(|e| format!("{e}\n{}", browser.driver_log()))?;
        let id = created["sessionId"]
            .as_str()
            .ok_or_else(|| format!("chromedriver gave no session id: {created}"))?;
        browser.session = format!("http://127.0.0.1:{port}/session/{id}");
        browser.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": INIT_SCRIPT}),
        );
        Ok(browser)
    }

    /// Opens `url` and waits until it has loaded.
    pub fn open(&self, url: &str) {
        self.command("POST", "/url", json!({"url": url}));
    }

    /// The URL of the current page.
    pub fn current_url(&self) -> String {
        self.command("GET", "/url", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Evaluates a JavaScript expression in the page and returns its value as JSON
    /// (`undefined` becomes `null`; a returned promise is awaited; DOM elements come back as
    /// WebDriver element references). Works even when page JavaScript is disabled.
    pub fn eval(&self, expression: &str) -> Value {
        self.execute(&format!("return (\n{expression}\n);"), &[])
    }

    /// Runs the body of a JavaScript function with `arguments` bound to `args`; the value of
    /// its `return` comes back as JSON.
    pub fn execute(&self, function_body: &str, args: &[Value]) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            json!({"script": function_body, "args": args}),
        )
    }

    /// Polls a JavaScript expression until it is truthy; panics after `timeout`.
    pub fn wait_until(&self, expression: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.eval(expression);
            if !matches!(value, Value::Null | Value::Bool(false))
                && value != json!(0)
                && value != json!("")
            {
                return;
            }
            if Instant::now() > deadline {
                panic!("`{expression}` was still {value} after {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks the first element matching a CSS selector (scrolling it into view first).
    pub fn click(&self, selector: &str) {
        let element = self.find(selector);
        self.command("POST", &format!("/element/{element}/click"), json!({}));
    }

    /// Focuses the first element matching a CSS selector and types `text` into it.
    pub fn type_text(&self, selector: &str, text: &str) {
        let element = self.find(selector);
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            json!({"text": text}),
        );
    }

    /// Presses and releases a key on whatever has the focus.
    pub fn press(&self, key: Key) {
        let code = key.code();
        let mut actions = Vec::new();
        if key == Key::ShiftTab {
            actions.push(json!({"type": "keyDown", "value": "\u{E008}"}));
        }
        actions.push(json!({"type": "keyDown", "value": code}));
        actions.push(json!({"type": "keyUp", "value": code}));
        if key == Key::ShiftTab {
            actions.push(json!({"type": "keyUp", "value": "\u{E008}"}));
        }
        self.command(
            "POST",
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    /// Describes `document.activeElement`:
    /// `{"tag": "a", "id": "...", "text": "...", "href": "...", "ariaLabel": "..."}`
    /// (`tag` is lower case; missing attributes are `null`).
    pub fn active_element(&self) -> Value {
        self.eval(
            "(() => { const e = document.activeElement; if (!e) return null; return {
                tag: e.tagName.toLowerCase(), id: e.id || null,
                text: (e.innerText || e.value || '').trim().slice(0, 200),
                href: e.getAttribute('href'), ariaLabel: e.getAttribute('aria-label') }; })()",
        )
    }

    /// `document.cookie` of the current page (no HttpOnly cookies).
    pub fn document_cookie(&self) -> String {
        self.eval("document.cookie")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// All cookies visible to the current page, HttpOnly ones included.
    pub fn cookies(&self) -> Vec<Cookie> {
        let value = self.command("GET", "/cookie", Value::Null);
        let text = |c: &Value, key: &str| c[key].as_str().unwrap_or_default().to_string();
        value
            .as_array()
            .map(|cookies| {
                cookies
                    .iter()
                    .map(|c| Cookie {
                        name: text(c, "name"),
                        value: text(c, "value"),
                        path: text(c, "path"),
                        domain: text(c, "domain"),
                        secure: c["secure"].as_bool().unwrap_or(false),
                        http_only: c["httpOnly"].as_bool().unwrap_or(false),
                        same_site: c["sameSite"].as_str().map(str::to_string),
                        expiry: c["expiry"].as_u64(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Makes the viewport exactly `width` x `height` CSS pixels (e.g. 375 x 667), device
    /// scale 1; stays in force across navigations.
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.command(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        );
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
    }

    /// Turns page JavaScript off for this session (from the next page opened on), for
    /// "works without JavaScript" tests. [`Browser::eval`] still works.
    pub fn disable_javascript(&self) {
        self.cdp(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": true}),
        );
    }

    /// Console errors of every page opened so far, oldest first: `console.error`, uncaught
    /// exceptions, CSP refusals and failed loads, including a 404 for `/favicon.ico`, which
    /// Chromium requests when a page declares no icon. Each starts with the URL concerned.
    pub fn console_errors(&self) -> Vec<String> {
        let entries = self.command("POST", "/se/log", json!({"type": "browser"}));
        let mut console = self.console.borrow_mut();
        for entry in entries.as_array().into_iter().flatten() {
            if entry["level"] == "SEVERE" {
                console.push(entry["message"].as_str().unwrap_or_default().to_string());
            }
        }
        console.clone()
    }

    /// CSP violations of the current page, as reported by `securitypolicyviolation` events:
    /// `{"directive", "violatedDirective", "blockedURI", "sourceFile", "line", "sample",
    /// "disposition"}`. Empty when page JavaScript is disabled.
    pub fn csp_violations(&self) -> Vec<Value> {
        match self.eval("window.__aimsiteCspViolations || []") {
            Value::Array(violations) => violations,
            other => panic!("unexpected CSP violation list: {other}"),
        }
    }

    /// Saves a PNG screenshot of the viewport to `path` (for debugging a failing test).
    pub fn screenshot(&self, path: impl AsRef<Path>) {
        let data = self.command("GET", "/screenshot", Value::Null);
        let png = decode_base64(data.as_str().unwrap_or_default());
        write_file(path, png);
    }

    /// Runs `source` in every page opened from now on, before the page's own scripts (to
    /// stand in for a browser setting, such as `navigator.globalPrivacyControl`).
    pub fn add_init_script(&self, source: &str) {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": source}),
        );
    }

    /// Runs a Chrome DevTools Protocol command on the current page.
    pub fn cdp(&self, method: &str, params: Value) -> Value {
        self.command(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": method, "params": params}),
        )
    }

    /// The chromedriver log (its last 4000 characters), for error messages.
    fn driver_log(&self) -> String {
        let log =
            fs::read_to_string(self.profile.path().join("chromedriver.log")).unwrap_or_default();
        let start = log.len().saturating_sub(4000);
        let start = (start..log.len())
            .find(|&i| log.is_char_boundary(i))
            .unwrap_or(0);
        format!("chromedriver log:\n{}", &log[start..])
    }

    fn find(&self, selector: &str) -> String {
        let found = self
            .request(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": selector})),
            )
            .unwrap_or_else(|e| panic!("no element matches `{selector}`: {e}"));
        found[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver gave no element for `{selector}`: {found}"))
            .to_string()
    }

    /// A WebDriver command whose failure fails the test.
    fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let body = (method != "GET").then_some(body);
        self.request(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path} failed: {e}"))
    }

    /// Sends a WebDriver command to this session; returns its `value` or the error message.
    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.session);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, Some(body)) => self.agent.post(&url).send_json(body),
            (_, None) => self.agent.post(&url).send_empty(),
        };
        let mut response = response.map_err(|e| format!("no answer from chromedriver: {e}"))?;
        let status = response.status();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| format!("could not read chromedriver's answer: {e}"))?;
        let mut answer: Value = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "chromedriver's answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })?;
        let value = answer["value"].take();
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!(
                "{} ({status}): {}",
                value["error"].as_str().unwrap_or("error"),
                value["message"].as_str().unwrap_or_default()
            ))
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.session.contains("/session/") {
            let _ = self.request("DELETE", "", None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Starts chromedriver on a free port and waits until it is ready; returns it and the port.
fn start_chromedriver(chromedriver: &Path, log_dir: &Path) -> Result<(Child, u16), String> {
    let log_path = log_dir.join("chromedriver.log");
    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("could not find a free port: {e}"))?
            .port();
        let log = fs::File::create(&log_path)
            .map_err(|e| format!("could not create {}: {e}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("could not reopen {}: {e}", log_path.display()))?;
        let mut child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("could not run {}: {e}", chromedriver.display()))?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                last_error = format!(
                    "chromedriver exited with {status}: {}",
                    fs::read_to_string(&log_path).unwrap_or_default()
                );
                break;
            }
            let ready = ureq::get(&format!("http://127.0.0.1:{port}/status"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                .is_some_and(|s| s["value"]["ready"] == true);
            if ready {
                return Ok((child, port));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if last_error.is_empty() {
            last_error = "chromedriver did not become ready within 15 s".to_string();
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    Err(last_error)
}

fn decode_base64(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let digit = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue, // padding and line breaks
        };
        acc = (acc << 6) | u32::from(digit);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
