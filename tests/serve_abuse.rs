//! `aimsite serve` under abuse (issue 7): many concurrent requests, slow and stalled clients,
//! clients that never read, malformed requests, huge headers, path traversal in every encoding,
//! requests during rebuilds. The server must keep serving, never serve a half-written page, and
//! never serve a file outside the site.
//!
//! Every server binds 127.0.0.1 on a free port; every loop is bounded in count and time; every
//! read has a timeout, so a server that stops answering fails the test instead of hanging it.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use aimsite::scaffold;
use aimsite::serve::{ServeOptions, Server};

/// How long one answer may take before the server counts as stuck.
const PATIENCE: Duration = Duration::from_secs(30);
/// A file outside the site's output that no request may reach.
const SECRET: &str = "SECRET-OUTSIDE-THE-SITE-4711";

struct Site {
    dir: tempfile::TempDir,
    server: Option<Server>,
}

impl Site {
    /// A new site (as `aimsite init` makes it) with a secret beside it and one in its root,
    /// served on a free port.
    fn serve() -> Site {
        let dir = tempfile::Builder::new()
            .prefix("aimsite-serve-abuse-")
            .tempdir()
            .expect("temporary folder");
        let root = dir.path().join("site");
        scaffold::init(&root, jiff::civil::date(2020, 2, 10)).expect("init");
        std::fs::write(dir.path().join("secret.txt"), SECRET).expect("write");
        std::fs::write(root.join("secret.txt"), SECRET).expect("write");
        let options = ServeOptions {
            port: 0,
            ..ServeOptions::new(&root)
        };
        let server = Server::start(&options, |_| {}).expect("the server starts");
        Site {
            dir,
            server: Some(server),
        }
    }

    fn root(&self) -> std::path::PathBuf {
        self.dir.path().join("site")
    }

    fn addr(&self) -> SocketAddr {
        self.server.as_ref().expect("running").addr()
    }

    /// Stops the server, and fails if that takes unreasonably long (a worker stuck for good).
    fn stop(mut self) {
        let server = self.server.take().expect("running");
        let (done, stopped) = std::sync::mpsc::channel();
        thread::spawn(move || {
            server.stop();
            let _ = done.send(());
        });
        stopped
            .recv_timeout(PATIENCE * 2)
            .expect("the server did not stop: a worker is stuck");
    }
}

/// An HTTP answer: the status (0 when there was none) and the body.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends raw bytes and reads until the server closes (requests say `Connection: close`), or
/// until `patience` passes without a byte.
fn exchange(addr: SocketAddr, raw: &[u8], patience: Duration) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(patience)).expect("timeout");
    stream.set_write_timeout(Some(patience)).expect("timeout");
    // The server may close early on a bad request; what it answered is still read below.
    let _ = stream.write_all(raw);
    read_answer(&mut stream)
}

/// Reads one answer: up to its `Content-Length`, to the end of its chunks, or until the server
/// closes the connection or stays silent for the stream's read timeout.
fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 64 * 1024];
    let mut body_start = None;
    loop {
        if let Some(start) = body_start
            && answer_is_complete(&bytes[..start], &bytes[start..])
        {
            break;
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
        }
        if body_start.is_none() {
            body_start = bytes
                .windows(4)
                .position(|window| window == b"\r\n\r\n")
                .map(|at| at + 4);
        }
    }
    let split = body_start.unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let mut body = bytes[split..].to_vec();
    if is_chunked(&head) {
        body = dechunk(&body);
    }
    Answer { status, head, body }
}

fn is_chunked(head: &str) -> bool {
    head.to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
}

/// Whether the body read so far is all of it, as the head announces it.
fn answer_is_complete(head: &[u8], body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    if head.starts_with("http/1.1 101") {
        return true;
    }
    if is_chunked(&head) {
        return body.ends_with(b"0\r\n\r\n");
    }
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|length| length.trim().parse::<usize>().ok());
    length.is_some_and(|length| body.len() >= length)
}

fn dechunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = bytes.windows(2).position(|window| window == b"\r\n") {
        let size = std::str::from_utf8(&bytes[..end])
            .ok()
            .and_then(|size| usize::from_str_radix(size.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || bytes.len() < end + 2 + size {
            break;
        }
        body.extend_from_slice(&bytes[end + 2..end + 2 + size]);
        bytes = &bytes[(end + 4 + size).min(bytes.len())..];
    }
    body
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    exchange(addr, request.as_bytes(), PATIENCE)
}

/// A complete HTML page: it ends with `</html>` and parses with a title.
fn assert_whole_page(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 200, "{what}: {}", answer.head);
    let text = answer.text();
    assert!(
        text.trim_end().ends_with("</html>"),
        "{what}: a page cut short ({} bytes): …{}",
        text.len(),
        &text[text.len().saturating_sub(200)..]
    );
    let page = scraper::Html::parse_document(&text);
    let title = scraper::Selector::parse("title").expect("selector");
    assert!(page.select(&title).next().is_some(), "{what}: no <title>");
}

fn assert_serves(addr: SocketAddr, what: &str) {
    assert_whole_page(&get(addr, "/"), what);
}

#[test]
fn thousands_of_requests_over_many_connections_are_all_answered() {
    let site = Site::serve();
    let addr = site.addr();
    let paths = [
        "/",
        "/articles/",
        "/articles/welcome/",
        "/favicon.svg",
        "/nope/",
    ];
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..64)
        .map(|client| {
            let answered = answered.clone();
            thread::spawn(move || {
                for n in 0..32 {
                    let path = paths[(client + n) % paths.len()];
                    let answer = get(addr, path);
                    let expected = if path == "/nope/" { 404 } else { 200 };
                    assert_eq!(answer.status, expected, "{path}: {}", answer.head);
                    if path.ends_with('/') && expected == 200 {
                        assert_whole_page(&answer, path);
                    }
                    answered.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }
    assert_eq!(answered.load(Ordering::SeqCst), 64 * 32);
    site.stop();
}

/// A request sent a byte at a time, on a thread of its own; returns its answer.
fn trickling_request(addr: SocketAddr) -> thread::JoinHandle<Answer> {
    thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let request =
            format!("GET /articles/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        for byte in request.as_bytes() {
            stream.write_all(&[*byte]).expect("write a byte");
            thread::sleep(Duration::from_millis(25));
        }
        read_answer(&mut stream)
    })
}

#[test]
fn a_request_sent_byte_by_byte_is_served_and_holds_up_nobody() {
    let site = Site::serve();
    let addr = site.addr();
    let trickle = trickling_request(addr);
    let started = Instant::now();
    for n in 0..40 {
        assert_whole_page(
            &get(addr, "/"),
            &format!("request {n} beside a slow client"),
        );
    }
    assert!(
        started.elapsed() < PATIENCE,
        "requests waited for the slow client"
    );
    let slow = trickle.join().expect("the trickling client");
    assert_whole_page(&slow, "the request sent byte by byte");
    site.stop();
}

/// Connections that stay silent or never finish their request (browsers keep speculative
/// connections open like this) must not keep new requests waiting.
#[test]
fn silent_and_stalled_connections_do_not_hold_up_others() {
    let site = Site::serve();
    let addr = site.addr();
    // Connections that send nothing, and requests that never finish.
    let mut idle = Vec::new();
    for n in 0..50 {
        let mut stream = TcpStream::connect(addr).expect("connect");
        if n % 2 == 0 {
            let _ =
                stream.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").as_bytes());
        }
        idle.push(stream);
    }
    let trickle = trickling_request(addr);
    let started = Instant::now();
    for n in 0..40 {
        assert_whole_page(
            &get(addr, "/"),
            &format!("request {n} beside silent clients"),
        );
    }
    assert!(
        started.elapsed() < PATIENCE,
        "requests waited for silent clients"
    );
    assert_whole_page(
        &trickle.join().expect("the trickling client"),
        "the slow request",
    );
    drop(idle);
    site.stop();
}

#[test]
fn the_server_recovers_when_silent_connections_close() {
    let site = Site::serve();
    let addr = site.addr();
    let idle: Vec<TcpStream> = (0..50)
        .map(|n| {
            let mut stream = TcpStream::connect(addr).expect("connect");
            if n % 2 == 0 {
                let _ = stream.write_all(b"GET / HTTP/1.1\r\nX-Slow: ");
            }
            stream
        })
        .collect();
    drop(idle);
    for n in 0..10 {
        assert_whole_page(
            &get(addr, "/"),
            &format!("request {n} after silent clients left"),
        );
    }
    site.stop();
}

/// Clients that ask for a file too big for the socket buffers and never read the answer: more
/// of them than the server has workers.
fn clients_that_never_read(site: &Site) -> Vec<TcpStream> {
    let addr = site.addr();
    let big: Vec<u8> = (0..16 * 1024 * 1024)
        .map(|i: usize| (i % 253) as u8)
        .collect();
    std::fs::write(site.root().join("static/big.bin"), &big).expect("write");
    let deadline = Instant::now() + PATIENCE;
    while get(addr, "/big.bin").status != 200 {
        assert!(Instant::now() < deadline, "the new file was never served");
        thread::sleep(Duration::from_millis(100));
    }
    let stuck = (0..24)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).expect("connect");
            stream
                .write_all(format!("GET /big.bin HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
                .expect("write");
            stream
        })
        .collect();
    thread::sleep(Duration::from_millis(500));
    stuck
}

/// Clients that never read a large answer, more of them than a worker pool would have, must
/// not keep others waiting.
#[test]
fn clients_that_never_read_their_answer_do_not_hold_up_others() {
    let site = Site::serve();
    let addr = site.addr();
    let stuck = clients_that_never_read(&site);
    for n in 0..10 {
        assert_whole_page(
            &get(addr, "/"),
            &format!("request {n} beside clients that never read"),
        );
    }
    drop(stuck);
    site.stop();
}

#[test]
fn the_server_recovers_when_clients_that_never_read_go_away() {
    let site = Site::serve();
    let addr = site.addr();
    let stuck = clients_that_never_read(&site);
    for stream in &stuck {
        let _ = stream.shutdown(Shutdown::Both);
    }
    drop(stuck);
    assert_serves(addr, "after clients that never read went away");
    site.stop();
}

#[test]
fn malformed_requests_are_refused_and_the_server_keeps_serving() {
    let site = Site::serve();
    let addr = site.addr();
    let long_url = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000));
    let garbage: Vec<u8> = (0..4096).map(|i: usize| (i * 7 % 256) as u8).collect();
    let requests: Vec<Vec<u8>> = [
        "\r\n\r\n",
        "GET\r\n\r\n",
        "GET /\r\n\r\n",
        "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        "BREW / HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nshort",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n",
        "GET / HTTP/1.1\r\nHeader without colon\r\n\r\n",
        "GET / HTTP/1.1\r\n: no name\r\n\r\n",
        "GET http://evil.test/../../secret.txt HTTP/1.1\r\nHost: evil.test\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        "CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test\r\n\r\n",
        "GET /\u{0}/ HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /\u{e9}\u{1f600} HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\n\n",
        "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=999999999-\r\n\r\n",
    ]
    .iter()
    .map(|request| request.as_bytes().to_vec())
    .chain([long_url.into_bytes(), garbage])
    .collect();
    for (n, request) in requests.iter().enumerate() {
        let answer = exchange(addr, request, Duration::from_secs(3));
        let shown = String::from_utf8_lossy(&request[..request.len().min(60)]).into_owned();
        assert!(
            !answer.text().contains(SECRET),
            "request {n} ({shown:?}) reached the secret"
        );
        assert!(
            answer.status == 0 || answer.status < 500 || answer.status == 505,
            "request {n} ({shown:?}) broke the server: {}",
            answer.head
        );
        assert_serves(addr, &format!("after malformed request {n} ({shown:?})"));
    }
    site.stop();
}

#[test]
fn huge_headers_are_refused_and_the_server_keeps_serving() {
    let site = Site::serve();
    let addr = site.addr();
    let one_huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Huge: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let many: String = (0..20_000)
        .map(|n| format!("X-Header-{n}: {}\r\n", "b".repeat(50)))
        .collect();
    let many = format!("GET / HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n");
    for (what, request) in [("a 1 MB header", one_huge), ("20,000 headers (1 MB)", many)] {
        let started = Instant::now();
        let answer = exchange(addr, request.as_bytes(), PATIENCE);
        assert!(started.elapsed() < PATIENCE, "{what}: the server stalled");
        // Refused as too large, and the refusal arrives although the head was not read whole.
        assert_eq!(answer.status, 431, "{what}: {}", answer.head);
        assert_serves(addr, &format!("after {what}"));
    }
    site.stop();
}

#[test]
fn path_traversal_in_every_encoding_is_refused() {
    let site = Site::serve();
    let addr = site.addr();
    let attacks = [
        "/../secret.txt",
        "/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/%2e%2E/%2E%2e/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/%2e%2e%5csecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/..\\..\\secret.txt",
        "/%252e%252e/secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/%c0%ae%c0%ae%c0%afsecret.txt",
        "/.%2e/secret.txt",
        "/%2e./secret.txt",
        "/./../secret.txt",
        "/articles/../../secret.txt",
        "/articles/%2e%2e/%2e%2e/secret.txt",
        "//secret.txt",
        "///../secret.txt",
        "/secret.txt",
        "/site.toml",
        "/content/_index.md",
        "/../site/site.toml",
        "/%2e%2e/site/site.toml",
        "/secret.txt%00.html",
        "/%00../secret.txt",
        "/..;/secret.txt",
        "/..%00/secret.txt",
        "/....//secret.txt",
        "/%u002e%u002e/secret.txt",
        "/.../secret.txt",
    ];
    let site_toml = std::fs::read_to_string(site.root().join("site.toml")).expect("site.toml");
    let home_source = std::fs::read_to_string(site.root().join("content/_index.md")).expect("home");
    for path in attacks {
        let answer = get(addr, path);
        let text = answer.text();
        assert!(
            !text.contains(SECRET),
            "{path}: served the file outside the site"
        );
        assert!(!text.contains(site_toml.trim()), "{path}: served site.toml");
        assert!(
            !text.contains(home_source.trim()),
            "{path}: served a source file"
        );
        assert!(
            [400, 404].contains(&answer.status),
            "{path}: status {} ({})",
            answer.status,
            answer.head.lines().next().unwrap_or_default()
        );
    }
    // The same bytes with a NUL straight in the request line.
    let raw =
        format!("GET /..\u{0}/secret.txt HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let answer = exchange(addr, raw.as_bytes(), PATIENCE);
    assert!(!answer.text().contains(SECRET));
    assert_serves(addr, "after the traversal attempts");
    site.stop();
}

#[test]
fn requests_during_rebuilds_never_get_a_half_written_page() {
    let site = Site::serve();
    let addr = site.addr();
    let article = site.root().join("content/articles/welcome.md");
    let original = std::fs::read_to_string(&article).expect("the article");
    let editing = Arc::new(AtomicBool::new(true));
    let editor = {
        let editing = editing.clone();
        let article = article.clone();
        let original = original.clone();
        thread::spawn(move || {
            for edit in 0..60 {
                // Long and short versions, and now and then one that does not build.
                let text = match edit % 5 {
                    4 => "+++\ntitle = \"Broken\n".to_string(),
                    n => format!(
                        "{original}\n{}\n",
                        format!("Edit {edit}. ").repeat(2_000 * n)
                    ),
                };
                std::fs::write(&article, text).expect("edit");
                thread::sleep(Duration::from_millis(40));
            }
            std::fs::write(&article, &original).expect("restore");
            editing.store(false, Ordering::SeqCst);
        })
    };
    let readers: Vec<_> = (0..4)
        .map(|reader| {
            let editing = editing.clone();
            thread::spawn(move || {
                let path = ["/articles/welcome/", "/", "/articles/", "/atom.xml"][reader];
                let mut pages = 0;
                let deadline = Instant::now() + Duration::from_secs(60);
                while editing.load(Ordering::SeqCst) && Instant::now() < deadline {
                    let answer = get(addr, path);
                    if path.ends_with(".xml") {
                        assert_eq!(answer.status, 200);
                        let text = answer.text();
                        roxmltree::Document::parse(&text)
                            .unwrap_or_else(|error| panic!("a half-written feed: {error}"));
                    } else {
                        assert_whole_page(&answer, path);
                    }
                    pages += 1;
                }
                pages
            })
        })
        .collect();
    editor.join().expect("the editor");
    let pages: usize = readers
        .into_iter()
        .map(|reader| reader.join().expect("a reader"))
        .sum();
    assert!(pages > 0, "no page was read during the edits");
    println!("{pages} pages read during 60 edits, each whole");
    assert_serves(addr, "after the edits");
    site.stop();
}

#[test]
fn many_open_event_streams_do_not_hold_up_pages() {
    let site = Site::serve();
    let addr = site.addr();
    let mut streams = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .write_all(format!("GET /__aimsite/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .expect("write");
        streams.push(stream);
    }
    for n in 0..20 {
        assert_whole_page(
            &get(addr, "/"),
            &format!("request {n} beside 200 event streams"),
        );
    }
    drop(streams);
    assert_serves(addr, "after the streams closed");
    site.stop();
}

/// A request begun and never finished is answered 408 once its deadline passes, and its
/// connection closed: it does not hold a thread for ever.
#[test]
fn a_request_that_never_finishes_is_timed_out() {
    let site = Site::serve();
    let started = Instant::now();
    let answer = exchange(site.addr(), b"GET / HTTP/1.1\r\nX-Slow: ", PATIENCE);
    assert_eq!(answer.status, 408, "{}", answer.head);
    assert!(answer.head.contains("Connection: close"), "{}", answer.head);
    assert!(started.elapsed() < PATIENCE, "the deadline was not kept");
    assert_serves(site.addr(), "after a timed-out request");
    site.stop();
}

/// How long a page may take beside hundreds of open connections: generous, it is no speed test;
/// without room made for it the answer is a 503 (or nothing) for as long as they stay open.
const PROMPTLY: Duration = Duration::from_secs(5);
/// More connections than the server keeps open at once (512).
const CROWD: usize = 600;

/// Whether the server closed the connection: its end arrives after whatever was sent on it.
fn closed_by_the_server(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) => return error.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

/// Idle connections, beyond the limit, never keep a page waiting: half are kept alive after a
/// request (as browsers keep them), half never said anything. The one idle longest is closed
/// to make room, as HTTP allows for idle connections.
#[test]
fn idle_connections_beyond_the_limit_make_room_for_pages() {
    let site = Site::serve();
    let addr = site.addr();
    let mut crowd: Vec<TcpStream> = (0..CROWD / 2)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).expect("connect");
            stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
            stream
                .write_all(format!("GET /favicon.svg HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
                .expect("write");
            let answer = read_answer(&mut stream);
            assert_eq!(answer.status, 200, "{}", answer.head);
            assert!(answer.head.contains("keep-alive"), "{}", answer.head);
            stream
        })
        .collect();
    crowd.extend((0..CROWD / 2).map(|_| TcpStream::connect(addr).expect("connect")));
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let answer = exchange(addr, request.as_bytes(), PROMPTLY);
    assert_whole_page(&answer, &format!("a page beside {CROWD} idle connections"));
    assert!(
        closed_by_the_server(&mut crowd[0]),
        "the connection idle longest was not closed"
    );
    drop(crowd);
    assert_serves(addr, "after the idle connections left");
    site.stop();
}

/// Open event streams, beyond the limit, never keep a page waiting: a new one closes the oldest
/// (whose page would reconnect).
#[test]
fn event_streams_beyond_the_limit_make_room_for_pages() {
    let site = Site::serve();
    let addr = site.addr();
    let mut streams: Vec<TcpStream> = (0..CROWD)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).expect("connect");
            stream
                .write_all(
                    format!("GET /__aimsite/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
                )
                .expect("write");
            stream
        })
        .collect();
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let answer = exchange(addr, request.as_bytes(), PROMPTLY);
    assert_whole_page(&answer, &format!("a page beside {CROWD} event streams"));
    assert!(
        closed_by_the_server(&mut streams[0]),
        "the oldest event stream was not closed"
    );
    // The newest stream is open and streaming.
    let newest = streams.last_mut().expect("streams");
    newest.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut head = [0u8; 15];
    newest
        .read_exact(&mut head)
        .expect("the newest stream's head");
    assert_eq!(&head, b"HTTP/1.1 200 OK");
    drop(streams);
    assert_serves(addr, "after the streams closed");
    site.stop();
}

/// A request with a large body is refused (only GET and HEAD are served) without reading the
/// body, yet the client still gets the refusal: the server does not reset the connection under
/// the unread body.
#[test]
fn a_request_with_a_large_body_gets_its_refusal() {
    let site = Site::serve();
    let body = vec![b'x'; 4 * 1024 * 1024];
    let mut raw = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(&body);
    let answer = exchange(site.addr(), &raw, PATIENCE);
    assert_eq!(answer.status, 405, "{}", answer.head);
    assert_serves(site.addr(), "after a large refused body");
    site.stop();
}
