//! The live-reload event stream (server-sent events): each open page's connection thread is fed
//! through a channel, so that a slow or vanished browser never holds up a rebuild or another
//! page. At most `MAX_STREAMS` are open: each holds a connection, and pages must still be served
//! beside them.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often an idle stream sends a comment, which also finds browsers that went away.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Streams open at once; a new one closes the oldest, whose page (if still open) reconnects.
/// Browsers open at most six connections to a server, so this is many windows and devices.
const MAX_STREAMS: usize = 64;

/// One event as sent on the wire: `event: NAME` and its data on one line.
pub type Message = Arc<str>;

pub fn message(event: &str, data: &str) -> Message {
    // Data never holds a newline: it is JSON or empty.
    Arc::from(format!(
        "event: {event}\ndata: {}\n\n",
        data.replace('\n', " ")
    ))
}

/// The pages connected to the stream, the oldest first.
#[derive(Default)]
pub struct Clients(Mutex<VecDeque<Client>>);

struct Client {
    sender: Sender<Message>,
    /// The key of the page's file, when it said which page it is.
    page: Option<String>,
}

impl Clients {
    /// Sends an event to every connected page, forgetting those that are gone.
    pub fn broadcast(&self, message: &Message) {
        self.send_where(message, |_| true);
    }

    /// Sends an event to the connected pages whose file key `to` accepts (`None`: a page that
    /// did not say), forgetting those that are gone.
    pub fn send_where(&self, message: &Message, to: impl Fn(Option<&str>) -> bool) {
        self.lock().retain(|client| {
            !to(client.page.as_deref()) || client.sender.send(message.clone()).is_ok()
        });
    }

    /// The file keys of the pages open now.
    pub fn open_pages(&self) -> std::collections::HashSet<String> {
        self.lock()
            .iter()
            .filter_map(|client| client.page.clone())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Client>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a page and streams events to it on the calling thread until it goes away, the
    /// server stops, or `MAX_STREAMS` newer pages connect. `first` runs under the same lock as
    /// `broadcast`, so that the events it decides to send first and those broadcast later never
    /// miss a build between them.
    pub fn connect(
        &self,
        writer: impl Write,
        page: Option<String>,
        first: impl FnOnce() -> Vec<Message>,
    ) {
        let (sender, receiver) = mpsc::channel();
        {
            let mut clients = self.lock();
            for message in first() {
                let _ = sender.send(message);
            }
            clients.push_back(Client { sender, page });
            if clients.len() > MAX_STREAMS {
                // Its channel closes, so its thread ends the stream and frees the connection.
                clients.pop_front();
            }
        }
        stream(writer, receiver);
    }

    /// Ends every stream: each page's thread stops once its channel is closed.
    pub fn disconnect_all(&self) {
        self.lock().clear();
    }
}

/// Writes the response head, then each event as it comes, until the page goes away or the
/// server stops.
fn stream(mut writer: impl Write, receiver: Receiver<Message>) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\
                Cache-Control: no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\n\r\n\
                retry: 1000\n\n";
    if writer
        .write_all(head.as_bytes())
        .and_then(|()| writer.flush())
        .is_err()
    {
        return;
    }
    loop {
        let text = match receiver.recv_timeout(KEEP_ALIVE) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => Arc::from(": keep-alive\n\n"),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if writer
            .write_all(text.as_bytes())
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
    }
}
