//! The HTTP side of `serve`: a small HTTP/1.1 server over `std::net`. Each connection has a
//! thread of its own and deadlines on reading and writing, so a client that stays silent,
//! trickles its request or never reads its answer holds up only its own connection. Request
//! heads are parsed by `httparse`. Request bodies are never read: a request that has one is
//! answered, then its connection is closed.
//!
//! At most `MAX_CONNECTIONS` are open at once. When all places are taken, a new connection gets
//! the place of the one that has waited longest for a request (idle between requests, silent,
//! or still sending its head), which is closed: idle connections never keep a page waiting.
//! Only when every connection is busy answering is a new one told to retry (503).

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

/// How long a request's head may take to arrive, counted from when the server starts waiting
/// for it; so also how long an idle kept-alive connection stays open.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// How long one write may wait on a client that does not read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head accepted; a larger one is answered 431.
const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;
/// Connections open at once (event streams included). Beyond it, the connection that has waited
/// longest for a request is closed to make room; if none waits, the new one is answered 503.
const MAX_CONNECTIONS: usize = 512;
/// Handlers look files up in memory: a small stack is plenty, and keeps many threads cheap.
const STACK_SIZE: usize = 256 * 1024;
/// Bodies up to this size go out in one write with the head.
const COALESCE: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Other,
}

#[derive(Debug)]
pub struct Request {
    pub method: Method,
    /// The request target as sent: path and query.
    pub target: String,
}

pub enum Body {
    Bytes(Vec<u8>),
    Shared(Arc<[u8]>),
    /// A file and its length, streamed from disk.
    File(std::fs::File, u64),
    /// The connection is handed over as it is (for an event stream): the handler writes the
    /// response head itself, on this connection's thread, which closes it when it returns.
    Takeover(Box<dyn FnOnce(&TcpStream) + Send>),
}

pub struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Body,
}

impl Response {
    pub fn new(status: u16, body: Body) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body,
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn text(status: u16, text: &str) -> Self {
        Response::new(status, Body::Bytes(text.as_bytes().to_vec()))
            .with_header("Content-Type", "text/plain; charset=utf-8")
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// A running server: accepts connections until `stop`.
pub struct HttpServer {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(listener: TcpListener, handler: Handler) -> io::Result<HttpServer> {
        let addr = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let stopping = stopping.clone();
            thread::Builder::new()
                .name("aimsite-accept".into())
                .spawn(move || accept_loop(&listener, &handler, &stopping))?
        };
        Ok(HttpServer {
            addr,
            stopping,
            acceptor: Some(acceptor),
        })
    }

    /// Stops accepting connections. Open connections end after their current request.
    pub fn stop(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // `accept` blocks: a connection of our own wakes it to see the flag.
        let woken = TcpStream::connect_timeout(&reachable(self.addr), Duration::from_secs(2));
        if let (Ok(_), Some(acceptor)) = (woken, self.acceptor.take()) {
            let _ = acceptor.join();
        }
    }
}

/// The address to connect to for a listener's address (which may be unspecified).
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

fn accept_loop(listener: &TcpListener, handler: &Handler, stopping: &Arc<AtomicBool>) {
    let places = Places::new(MAX_CONNECTIONS);
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // Out of file descriptors, most likely: let connections close before trying again.
            thread::sleep(Duration::from_millis(20));
            continue;
        };
        let stream = Arc::new(stream);
        let Some(place) = places.admit(&stream) else {
            refuse_busy(&stream);
            continue;
        };
        let handler = handler.clone();
        let stopping = stopping.clone();
        // If no thread can be made, the connection is dropped: the client sees it closed.
        let _ = thread::Builder::new()
            .name("aimsite-http".into())
            .stack_size(STACK_SIZE)
            .spawn(move || serve_connection(&stream, place, &handler, &stopping));
    }
}

/// The places of the open connections, and which of them wait for a request: those may be
/// closed to make room for a new connection, the one that has waited longest first.
struct Places {
    capacity: usize,
    occupants: Mutex<Occupants>,
}

#[derive(Default)]
struct Occupants {
    /// Numbers places and waits in the order they begin.
    counter: u64,
    /// The places taken, by number.
    held: HashSet<u64>,
    /// The connections waiting for a request, by the number of their wait (the first has
    /// waited longest): their place, and the connection to close.
    waiting: BTreeMap<u64, (u64, Arc<TcpStream>)>,
}

impl Places {
    fn new(capacity: usize) -> Arc<Places> {
        Arc::new(Places {
            capacity,
            occupants: Mutex::default(),
        })
    }

    fn occupants(&self) -> MutexGuard<'_, Occupants> {
        self.occupants
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A place for a new connection, which waits for its first request. When all are taken,
    /// the connection that has waited longest for a request is closed and gives up its place.
    /// `None` when every connection is busy answering.
    fn admit(self: &Arc<Self>, stream: &Arc<TcpStream>) -> Option<Place> {
        let mut occupants = self.occupants();
        if occupants.held.len() >= self.capacity {
            let (_, (place, idle)) = occupants.waiting.pop_first()?;
            occupants.held.remove(&place);
            // Its thread, blocked reading, reads the end of the connection and finishes.
            let _ = idle.shutdown(Shutdown::Both);
        }
        occupants.counter += 1;
        let number = occupants.counter;
        occupants.held.insert(number);
        drop(occupants);
        let mut place = Place {
            places: self.clone(),
            number,
            wait: None,
        };
        place.wait(stream);
        Some(place)
    }
}

/// A connection's place, given back when dropped.
struct Place {
    places: Arc<Places>,
    number: u64,
    /// The number of its wait while it waits for a request.
    wait: Option<u64>,
}

impl Place {
    /// The connection waits for a request: from now on it may be closed to make room. False
    /// if it has already lost its place.
    fn wait(&mut self, stream: &Arc<TcpStream>) -> bool {
        let mut occupants = self.places.occupants();
        if !occupants.held.contains(&self.number) {
            return false;
        }
        occupants.counter += 1;
        let wait = occupants.counter;
        occupants
            .waiting
            .insert(wait, (self.number, stream.clone()));
        self.wait = Some(wait);
        true
    }

    /// A request arrived: the connection keeps its place until it has answered. False if it
    /// lost its place (and was closed) meanwhile.
    fn busy(&mut self) -> bool {
        let mut occupants = self.places.occupants();
        if let Some(wait) = self.wait.take() {
            occupants.waiting.remove(&wait);
        }
        occupants.held.contains(&self.number)
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut occupants = self.places.occupants();
        if let Some(wait) = self.wait.take() {
            occupants.waiting.remove(&wait);
        }
        occupants.held.remove(&self.number);
    }
}

fn refuse_busy(stream: &TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
    let response =
        Response::text(503, "The server is busy: try again.\n").with_header("Retry-After", "1");
    let _ = write_response(stream, response, false, false);
}

fn serve_connection(
    stream: &Arc<TcpStream>,
    mut place: Place,
    handler: &Handler,
    stopping: &AtomicBool,
) {
    let _ = stream.set_nodelay(true);
    if stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err() {
        return;
    }
    let mut pending = Vec::new();
    while !stopping.load(Ordering::SeqCst) {
        let head = match read_head(stream, &mut pending) {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(refusal) => {
                // The client may still be sending what was refused (a huge head, say).
                if place.busy() && write_response(stream, refusal, false, false).is_ok() {
                    linger(stream);
                }
                return;
            }
        };
        if !place.busy() || stopping.load(Ordering::SeqCst) {
            return;
        }
        let keep_alive = head.keep_alive && !head.has_body;
        let head_only = head.request.method == Method::Head;
        match handler(&head.request) {
            Response {
                body: Body::Takeover(take_over),
                ..
            } => return take_over(stream),
            response => {
                let written = write_response(stream, response, keep_alive, head_only);
                if written.is_ok() && head.has_body {
                    linger(stream);
                }
                if written.is_err() || !keep_alive || !place.wait(stream) {
                    return;
                }
            }
        }
    }
}

/// Before closing a connection whose request body was never read: reads (and drops) what the
/// client is still sending, for a while. Closing a socket with unread data resets the
/// connection, and a reset can make the client lose the answer it was sent.
fn linger(mut stream: &TcpStream) {
    const LINGER: Duration = Duration::from_secs(2);
    const MOST: usize = 1024 * 1024;
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut chunk = [0u8; 16 * 1024];
    let mut drained = 0;
    while drained < MOST {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(read) => drained += read,
        }
    }
}

/// A request head, and what it says about the connection.
struct Head {
    request: Request,
    keep_alive: bool,
    has_body: bool,
}

/// Reads the next request head from the connection (after what `pending` already holds).
/// `Ok(None)`: the client closed the connection or sent nothing in time, so it is closed
/// without an answer. `Err`: the answer that refuses the request.
fn read_head(mut stream: &TcpStream, pending: &mut Vec<u8>) -> Result<Option<Head>, Response> {
    let deadline = Instant::now() + HEAD_DEADLINE;
    let mut chunk = [0u8; 4096];
    loop {
        if !pending.is_empty() {
            if let Some((head, length)) = parse_head(pending)? {
                pending.drain(..length);
                return Ok(Some(head));
            }
            if pending.len() > MAX_HEAD {
                return Err(Response::text(431, "The request head is too large.\n"));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return timed_out(pending);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(read) => pending.extend_from_slice(&chunk[..read]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return timed_out(pending);
            }
            Err(_) => return Ok(None),
        }
    }
}

/// An idle connection closes quietly; a request begun and not finished in time gets 408.
fn timed_out(pending: &[u8]) -> Result<Option<Head>, Response> {
    if pending.iter().all(u8::is_ascii_whitespace) {
        Ok(None)
    } else {
        Err(Response::text(
            408,
            "The request took too long to arrive.\n",
        ))
    }
}

/// The head at the start of `bytes` and its length, or `None` while it is incomplete.
fn parse_head(bytes: &[u8]) -> Result<Option<(Head, usize)>, Response> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let length = match parsed.parse(bytes) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Response::text(431, "The request has too many headers.\n"));
        }
        Err(httparse::Error::Version) => {
            return Err(Response::text(
                505,
                "Only HTTP/1.0 and 1.1 are supported.\n",
            ));
        }
        Err(error) => {
            return Err(Response::text(400, &format!("Bad request: {error}.\n")));
        }
    };
    let method = match parsed.method {
        Some("GET") => Method::Get,
        Some("HEAD") => Method::Head,
        _ => Method::Other,
    };
    let mut close = false;
    let mut keep_alive = false;
    let mut has_body = false;
    for header in parsed.headers.iter() {
        let value = String::from_utf8_lossy(header.value);
        if header.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            has_body = true;
        } else if header.name.eq_ignore_ascii_case("content-length") {
            match value.trim().parse::<u64>() {
                Ok(length) => has_body |= length > 0,
                Err(_) => {
                    return Err(Response::text(
                        400,
                        "Bad request: invalid Content-Length.\n",
                    ));
                }
            }
        }
    }
    let keep_alive = match parsed.version {
        Some(1) => !close,
        _ => keep_alive && !close,
    };
    let request = Request {
        method,
        target: parsed.path.unwrap_or("/").to_string(),
    };
    Ok(Some((
        Head {
            request,
            keep_alive,
            has_body,
        },
        length,
    )))
}

fn write_response(
    mut stream: &TcpStream,
    response: Response,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    let Response {
        status,
        headers,
        body,
    } = response;
    let length = match &body {
        Body::Bytes(bytes) => bytes.len() as u64,
        Body::Shared(bytes) => bytes.len() as u64,
        Body::File(_, length) => *length,
        Body::Takeover(_) => return Err(io::Error::other("a taken-over body has no length")),
    };
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nDate: {}\r\nContent-Length: {length}\r\nConnection: {}\r\n",
        reason(status),
        httpdate::fmt_http_date(SystemTime::now()),
        if keep_alive { "keep-alive" } else { "close" },
    )
    .into_bytes();
    for (name, value) in &headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    if head_only {
        return stream.write_all(&out);
    }
    match body {
        Body::Bytes(bytes) => write_with_head(stream, out, &bytes),
        Body::Shared(bytes) => write_with_head(stream, out, &bytes),
        Body::File(file, length) => {
            stream.write_all(&out)?;
            let sent = io::copy(&mut file.take(length), &mut stream)?;
            if sent < length {
                // The file shrank while being sent: the client must not take this as whole.
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
            }
            Ok(())
        }
        Body::Takeover(_) => Ok(()),
    }
}

fn write_with_head(mut stream: &TcpStream, mut head: Vec<u8>, body: &[u8]) -> io::Result<()> {
    if body.len() <= COALESCE {
        head.extend_from_slice(body);
        stream.write_all(&head)
    } else {
        stream.write_all(&head)?;
        stream.write_all(body)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> Head {
        match parse_head(raw.as_bytes()) {
            Ok(Some((head, length))) => {
                assert_eq!(length, raw.len());
                head
            }
            Ok(None) => panic!("incomplete: {raw:?}"),
            Err(response) => panic!("refused with {}: {raw:?}", response.status),
        }
    }

    fn refusal(raw: &[u8]) -> u16 {
        match parse_head(raw) {
            Err(response) => response.status,
            Ok(_) => panic!("accepted: {raw:?}"),
        }
    }

    #[test]
    fn connections_persist_as_the_version_and_headers_say() {
        assert!(head("GET / HTTP/1.1\r\nHost: x\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
    }

    #[test]
    fn methods_targets_and_bodies_are_read() {
        let get = head("GET /a%20b/?x=1 HTTP/1.1\r\n\r\n");
        assert_eq!(get.request.method, Method::Get);
        assert_eq!(get.request.target, "/a%20b/?x=1");
        assert!(!get.has_body);
        assert_eq!(head("HEAD / HTTP/1.1\r\n\r\n").request.method, Method::Head);
        let post = head("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n");
        assert_eq!(post.request.method, Method::Other);
        assert!(post.has_body);
        assert!(head("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").has_body);
    }

    /// A connection's two ends: the server's, as `admit` takes it, and the client's.
    fn connection(listener: &TcpListener) -> (Arc<TcpStream>, TcpStream) {
        let client = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        (Arc::new(server), client)
    }

    #[test]
    fn a_new_connection_takes_the_place_of_the_longest_idle_one() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let places = Places::new(2);
        let (first, mut first_client) = connection(&listener);
        let (second, _second_client) = connection(&listener);
        let mut first_place = places.admit(&first).expect("a free place");
        let _second_place = places.admit(&second).expect("a free place");
        let (third, _third_client) = connection(&listener);
        let _third_place = places.admit(&third).expect("the longest idle one's place");
        first_client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        assert_eq!(first_client.read(&mut [0u8; 8]).expect("closed"), 0);
        assert!(!first_place.busy(), "the closed connection kept its place");
        drop(first_place);
        assert_eq!(places.occupants().held.len(), 2);
    }

    #[test]
    fn connections_busy_answering_keep_their_places() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let places = Places::new(2);
        let (first, _first_client) = connection(&listener);
        let (second, _second_client) = connection(&listener);
        let mut first_place = places.admit(&first).expect("a free place");
        let mut second_place = places.admit(&second).expect("a free place");
        assert!(first_place.busy() && second_place.busy());
        let (third, _third_client) = connection(&listener);
        assert!(
            places.admit(&third).is_none(),
            "a busy connection lost its place"
        );
        // Done answering, one waits for its next request: it may be closed from now on.
        assert!(first_place.wait(&first));
        let third_place = places.admit(&third);
        assert!(third_place.is_some(), "the waiting one was not closed");
        assert!(!first_place.busy());
        drop(second_place);
        assert_eq!(places.occupants().held.len(), 1);
        assert_eq!(places.occupants().waiting.len(), 1, "the new one waits");
    }

    #[test]
    fn incomplete_heads_wait_for_more() {
        assert!(matches!(parse_head(b"GET / HTTP/1.1\r\nHost"), Ok(None)));
    }

    #[test]
    fn bad_heads_are_refused_with_the_right_status() {
        assert_eq!(refusal(b"GET / HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(refusal(b"G\0T / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(refusal(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), 400);
        let many: String = (0..=MAX_HEADERS).map(|n| format!("X-{n}: y\r\n")).collect();
        assert_eq!(
            refusal(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()),
            431
        );
    }
}
