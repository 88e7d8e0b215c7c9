//! `aimsite serve`: builds the site in memory, serves it over HTTP, watches the sources and
//! rebuilds on every change, and tells open pages to reload.
//!
//! Threads: one per HTTP connection (`http`, with deadlines so a stalled client holds up only
//! itself, and idle connections closed to make room; an open page's event stream keeps its
//! connection's thread, and `events` caps the streams), the file watcher
//! (notify), and one builder that debounces changes and rebuilds with `build::Memos`, told what
//! the watcher saw change (so a rebuild redoes only what changed). The site is an immutable `Snapshot` behind an
//! `RwLock<Arc<_>>`: a rebuild swaps in a whole new one, so a request never sees a half-built
//! site. Nothing is written to disk: `public/` is never touched.

mod events;
mod http;
mod request;

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::Serialize;
use thiserror::Error;

use crate::Error;
use crate::assets::AssetUrls;
use crate::build::{self, BuildOptions, Memos};
use crate::config::SETTINGS_FILE;
use crate::content::{CONTENT_DIR, STATIC_DIR};
use crate::data::DATA_DIR;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::output::{Contents, OutputFile};
use crate::site::NOT_FOUND_FILE;
use crate::templates::TEMPLATES_DIR;

use http::{Body, HttpServer, Method, Request, Response};
use request::Route;

/// The files of a build being served, by path (ahash: every rebuild fills and compares it).
type SiteFiles = ahash::AHashMap<String, Contents>;

/// The live-reload script, served at `/__aimsite/livereload.js`.
const LIVE_RELOAD_JS: &str = include_str!("serve/livereload.js");
/// One save settles within this long: an editor's write, or its temporary file renamed over
/// the page, arrives as a few events microseconds apart. An author's save is rebuilt at once.
const SETTLE: Duration = Duration::from_millis(5);
/// Once more files change than one save touches, a burst is under way (a `git checkout`, a
/// search and replace across files): it makes one rebuild, once this long passes without a
/// change.
const QUIET: Duration = Duration::from_millis(60);
/// The files one save may touch: the page, and the temporary file an editor renames over it.
const FILES_OF_ONE_SAVE: usize = 2;
/// A rebuild starts at the latest this long after the first change of a burst.
const MOST_WAIT: Duration = Duration::from_millis(500);
/// The longest a request waits for a rebuild that made the open pages first to finish.
const PENDING_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 lets the system choose a free port.
    pub port: u16,
    pub drafts: bool,
    /// Show pages dated after today too.
    pub future: bool,
}

impl ServeOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ServeOptions {
            root: root.into(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 1111,
            drafts: false,
            future: false,
        }
    }
}

/// What the server reports as it runs; `main` prints it.
#[derive(Debug)]
pub enum Notice {
    Listening {
        url: String,
    },
    Built {
        pages: usize,
        files: usize,
        elapsed: Duration,
        /// The build's warnings when they differ from the last build's, so that the same
        /// warnings are not shown again on every rebuild.
        new_warnings: Option<Diagnostics>,
        change: Change,
    },
    /// The build failed; the last good site is still served, with the problems over it.
    Failed {
        problems: Diagnostics,
    },
    BrowserNotOpened {
        error: String,
    },
    /// The next rebuild looks at every source, since some changes may have made no event.
    LookingAtEverything {
        why: Unseen,
    },
    Stopped,
}

/// Why changes may have gone unseen by the watcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unseen {
    /// The system's queue of file events overflowed, or the watcher failed.
    LostEvents,
    /// A source folder appeared, or came back, before it was watched.
    FolderWatchedAnew,
}

/// Where a notice is printed: problems go to standard error, like every command's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

impl Notice {
    /// What to print for the notice, and where.
    pub fn messages(&self) -> Vec<(Stream, String)> {
        match self {
            Notice::Listening { url } => {
                vec![(
                    Stream::Out,
                    format!("Serving the site at {url} (Ctrl-C to stop)"),
                )]
            }
            Notice::Built {
                pages,
                elapsed,
                new_warnings,
                change,
                ..
            } => {
                let mut messages = Vec::new();
                if let Some(warnings) = new_warnings.as_ref().filter(|w| !w.is_empty()) {
                    messages.push((Stream::Err, warnings.to_string().trim_end().to_string()));
                }
                let what = match change {
                    Change::First => "Built",
                    Change::Reload => "Rebuilt",
                    Change::Css => "Rebuilt (stylesheets only)",
                    Change::Nothing => "Rebuilt (nothing changed)",
                };
                let pages = crate::diagnostics::counted(*pages, "page");
                let time = elapsed.as_millis();
                messages.push((Stream::Out, format!("{what} {pages} in {time} ms")));
                messages
            }
            Notice::Failed { problems } => vec![
                (Stream::Err, problems.to_string().trim_end().to_string()),
                (
                    Stream::Err,
                    "Still serving the last good build; open pages show the problems.".into(),
                ),
            ],
            Notice::BrowserNotOpened { error } => {
                vec![(
                    Stream::Err,
                    format!("warning: cannot open a browser: {error}"),
                )]
            }
            Notice::LookingAtEverything { why } => {
                let why = match why {
                    Unseen::LostEvents => "some file events were lost",
                    Unseen::FolderWatchedAnew => "a source folder is watched anew",
                };
                vec![(
                    Stream::Err,
                    format!("note: {why}; every source is read again"),
                )]
            }
            Notice::Stopped => vec![(Stream::Out, "Stopped.".into())],
        }
    }
}

/// What a rebuild changed, as the open pages see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    First,
    /// Pages changed: open pages reload.
    Reload,
    /// Only stylesheets changed: open pages swap them without reloading.
    Css,
    Nothing,
}

#[derive(Debug, Error)]
pub enum ServeError {
    #[error("port {port} on {bind} is already in use")]
    PortInUse {
        bind: IpAddr,
        port: u16,
        free: Option<u16>,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    #[error("cannot watch the site's files: {0}")]
    Watch(String),
    #[error("cannot set up Ctrl-C handling: {0}")]
    Signal(String),
}

impl From<ServeError> for crate::Error {
    fn from(error: ServeError) -> Self {
        let help = error.help();
        crate::Error::Environment {
            error: error.into(),
            help,
        }
    }
}

impl ServeError {
    /// What to do about it.
    pub fn help(&self) -> Option<String> {
        match self {
            ServeError::PortInUse {
                free: Some(free), ..
            } => Some(format!("use another port: --port {free} is free")),
            ServeError::PortInUse { .. } => Some("choose another port with --port".into()),
            _ => None,
        }
    }
}

/// The site as served: every file of one build, and the problems of the latest build if it
/// failed. Never changed once made; a rebuild makes a new one.
struct Snapshot {
    /// Counts builds that changed the site; pages carry it, so a page that missed a reload
    /// event still learns it is out of date when its stream connects.
    generation: u64,
    files: Arc<SiteFiles>,
    asset_urls: Arc<AssetUrls>,
    /// False until the first build succeeds.
    built: bool,
    /// The warnings of the last build that succeeded, as shown.
    warnings: Arc<str>,
    failure: Option<Arc<Failure>>,
    /// Whether the last build that succeeded minified its files (`minify` in `site.toml`).
    minify: bool,
    /// While a rebuild that has made the open pages first finishes the rest: the keys of
    /// those pages. Any other page, and any file this snapshot lacks, waits for the rebuild
    /// (`Shared::settled_snapshot`), so that no page older than the one reloaded is served.
    pending: Option<Arc<HashSet<String>>>,
}

impl Snapshot {
    /// A new generation of this good build with `files` added or replaced, served before the
    /// rebuild that makes them ends (stylesheets first, open pages first).
    fn ahead(
        &self,
        files: impl IntoIterator<Item = (String, Contents)>,
        asset_urls: Arc<AssetUrls>,
        pending: Option<Arc<HashSet<String>>>,
    ) -> Snapshot {
        let mut site_files = (*self.files).clone();
        site_files.extend(files);
        Snapshot {
            generation: self.generation + 1,
            files: Arc::new(site_files),
            asset_urls,
            built: true,
            warnings: self.warnings.clone(),
            failure: None,
            minify: self.minify,
            pending,
        }
    }
}

/// A failed build, ready to show.
struct Failure {
    /// The `error` event's data: `{"problems": [{file, line, column, message, help, text}]}`.
    json: String,
    /// As the terminal shows it.
    text: String,
}

struct Shared {
    site: RwLock<Arc<Snapshot>>,
    /// Held while a snapshot is replaced, and waited on (`swapped`) by requests for files a
    /// pending snapshot cannot answer yet.
    swapping: Mutex<()>,
    swapped: Condvar,
    clients: events::Clients,
    report: Box<dyn Fn(Notice) + Send + Sync>,
}

impl Shared {
    fn new(snapshot: Snapshot, report: Box<dyn Fn(Notice) + Send + Sync>) -> Shared {
        Shared {
            site: RwLock::new(Arc::new(snapshot)),
            swapping: Mutex::default(),
            swapped: Condvar::new(),
            clients: events::Clients::default(),
            report,
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.site
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn replace(&self, snapshot: Snapshot) {
        let _swapping = self
            .swapping
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *self
            .site
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(snapshot);
        self.swapped.notify_all();
    }

    /// The snapshot once no rebuild is pending, or as it is after `PENDING_WAIT`.
    fn settled_snapshot(&self) -> Arc<Snapshot> {
        let deadline = Instant::now() + PENDING_WAIT;
        let mut swapping = self
            .swapping
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            let snapshot = self.snapshot();
            let left = deadline.saturating_duration_since(Instant::now());
            if snapshot.pending.is_none() || left.is_zero() {
                return snapshot;
            }
            swapping = self
                .swapped
                .wait_timeout(swapping, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }
}

enum Message {
    /// Files changed (absolute paths); an empty list means "something, rebuild everything".
    Changed(Vec<PathBuf>),
    Stop,
}

/// A running server. `stop` ends it; dropping it without `stop` leaves its threads running.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    http: HttpServer,
    builder: Option<JoinHandle<()>>,
    messages: Sender<Message>,
}

impl Server {
    /// Builds the site, starts serving it and watching its sources. A failed first build does
    /// not stop it: pages show the problems until a build succeeds.
    pub fn start(
        options: &ServeOptions,
        report: impl Fn(Notice) + Send + Sync + 'static,
    ) -> Result<Server, ServeError> {
        let listener = listen(options.bind, options.port)?;
        let addr = listener.local_addr().map_err(|source| ServeError::Listen {
            addr: SocketAddr::new(options.bind, options.port),
            source,
        })?;
        let root = std::fs::canonicalize(&options.root).unwrap_or_else(|_| options.root.clone());
        let build_options = BuildOptions {
            drafts: options.drafts,
            future: options.future,
            base_url: Some(url_of(addr)),
            ..BuildOptions::new(&root)
        };
        let shared = Arc::new(Shared::new(
            Snapshot {
                generation: 0,
                files: Arc::default(),
                asset_urls: Arc::default(),
                built: false,
                warnings: Arc::from(""),
                failure: None,
                minify: false,
                pending: None,
            },
            Box::new(report),
        ));
        let mut memos = Memos::default();
        rebuild(&shared, &build_options, &mut memos, &[], false);

        let (messages, inbox) = mpsc::channel();
        let watch = SourceWatch::start(&root, messages.clone())?;
        let builder = {
            let shared = shared.clone();
            // The watch ends with the builder.
            thread::spawn(move || builder_loop(&shared, &build_options, memos, inbox, watch))
        };

        let handler = {
            let shared = shared.clone();
            Arc::new(move |request: &Request| handle(&shared, request))
        };
        let http = HttpServer::start(listener, handler)
            .map_err(|source| ServeError::Listen { addr, source })?;
        Ok(Server {
            addr,
            shared,
            http,
            builder: Some(builder),
            messages,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address to open in a browser, ending in `/`.
    pub fn url(&self) -> String {
        url_of(self.addr)
    }

    /// Stops watching, building and serving, and waits for the threads to end. Open event
    /// streams are closed.
    pub fn stop(mut self) {
        let _ = self.messages.send(Message::Stop);
        if let Some(builder) = self.builder.take() {
            let _ = builder.join();
        }
        self.shared.clients.disconnect_all();
        self.http.stop();
    }
}

/// Runs `aimsite serve` until Ctrl-C.
pub fn execute(
    options: &ServeOptions,
    open: bool,
    report: impl Fn(Notice) + Send + Sync + 'static,
) -> Result<(), ServeError> {
    let (interrupted, interrupt) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = interrupted.send(());
    })
    .map_err(|error| ServeError::Signal(error.to_string()))?;
    let report = Arc::new(report);
    let server = {
        let report = report.clone();
        Server::start(options, move |notice| (*report)(notice))?
    };
    report(Notice::Listening { url: server.url() });
    if open && let Err(error) = open_browser(&server.url()) {
        report(Notice::BrowserNotOpened {
            error: error.to_string(),
        });
    }
    let _ = interrupt.recv();
    server.stop();
    report(Notice::Stopped);
    Ok(())
}

/// Opens a URL in the default browser.
pub fn open_browser(url: &str) -> io::Result<()> {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut command = std::process::Command::new("cmd");
        command.args(["/C", "start", ""]);
        command
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
}

/// Binds the port, or says it is taken and finds a free one to suggest.
fn listen(bind: IpAddr, port: u16) -> Result<TcpListener, ServeError> {
    match TcpListener::bind((bind, port)) {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == io::ErrorKind::AddrInUse => {
            let free = (port.saturating_add(1)..=port.saturating_add(100))
                .find(|&candidate| TcpListener::bind((bind, candidate)).is_ok());
            Err(ServeError::PortInUse { bind, port, free })
        }
        Err(source) => Err(ServeError::Listen {
            addr: SocketAddr::new(bind, port),
            source,
        }),
    }
}

/// `http://127.0.0.1:1111/`: the site's base URL while served.
fn url_of(addr: SocketAddr) -> String {
    format!("http://{}/", http::reachable(addr))
}

/// The folders whose files the build reads; with `site.toml`, all that is watched.
const SOURCE_FOLDERS: [&str; 4] = [CONTENT_DIR, TEMPLATES_DIR, STATIC_DIR, DATA_DIR];

/// The watches on the sources: the root, for `site.toml` and for source folders coming and
/// going, and each source folder that exists, recursively. The root is not watched recursively:
/// it may hold `public/`, `.git/` or `node_modules/`, whose changes do not matter.
struct SourceWatch {
    root: PathBuf,
    watcher: notify::RecommendedWatcher,
    /// The source folders watched now.
    folders: HashSet<PathBuf>,
}

impl SourceWatch {
    /// Starts watching; every change that matters is sent as `Message::Changed`.
    fn start(root: &Path, messages: Sender<Message>) -> Result<SourceWatch, ServeError> {
        use notify::{RecursiveMode, Watcher};
        let handler = {
            let root = root.to_path_buf();
            move |event: notify::Result<notify::Event>| {
                let paths = match event {
                    Ok(event) => relevant_paths(&root, event),
                    // Events may have been lost (such as a full queue): rebuild everything.
                    Err(_) => Some(Vec::new()),
                };
                if let Some(paths) = paths {
                    let _ = messages.send(Message::Changed(paths));
                }
            }
        };
        let mut watcher =
            notify::recommended_watcher(handler).map_err(|e| ServeError::Watch(e.to_string()))?;
        watcher
            .watch(root, RecursiveMode::NonRecursive)
            .map_err(|e| ServeError::Watch(format!("{}: {e}", root.display())))?;
        let mut watch = SourceWatch {
            root: root.to_path_buf(),
            watcher,
            folders: HashSet::new(),
        };
        watch.add_folders()?;
        Ok(watch)
    }

    /// Follows what happened to the source folders themselves. A folder deleted or moved away
    /// takes its watch with it, and one created or moved back in has none yet: each source
    /// folder named in `changed` is watched anew if it exists. An empty `changed` (events were
    /// lost) renews them all. Gives whether a folder is watched anew: changes in it before
    /// then made no event.
    fn refresh(&mut self, changed: &[PathBuf]) -> Result<bool, ServeError> {
        use notify::Watcher;
        let renewed: Vec<PathBuf> = if changed.is_empty() {
            self.folders.iter().cloned().collect()
        } else {
            changed
                .iter()
                .filter(|path| self.folders.contains(*path))
                .cloned()
                .collect()
        };
        for folder in renewed {
            self.folders.remove(&folder);
            // Fails when the watch went with the folder; either way it is gone afterwards.
            let _ = self.watcher.unwatch(&folder);
        }
        self.add_folders()
    }

    /// Watches the source folders that exist and are not watched yet; gives whether there
    /// were any.
    fn add_folders(&mut self) -> Result<bool, ServeError> {
        use notify::{RecursiveMode, Watcher};
        let mut added = false;
        for folder in SOURCE_FOLDERS {
            let path = self.root.join(folder);
            if path.is_dir() && !self.folders.contains(&path) {
                self.watcher
                    .watch(&path, RecursiveMode::Recursive)
                    .map_err(|e| ServeError::Watch(format!("{}: {e}", path.display())))?;
                self.folders.insert(path);
                added = true;
            }
        }
        Ok(added)
    }
}

/// The paths of a file event that matter for the build, or `None` if none does: not reads,
/// not hidden or backup files, and in the root only `site.toml` and the source folders.
fn relevant_paths(root: &Path, event: notify::Event) -> Option<Vec<PathBuf>> {
    if matches!(event.kind, notify::EventKind::Access(_)) {
        return None;
    }
    let paths: Vec<PathBuf> = event
        .paths
        .into_iter()
        .filter(|path| is_source(root, path))
        .collect();
    (!paths.is_empty()).then_some(paths)
}

fn is_source(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    let Some(first) = parts.first() else {
        return false;
    };
    let ignored = |name: &String| {
        name.starts_with('.')
            || name.starts_with('#')
            || name.ends_with('~')
            || name.ends_with(".swp")
            || name.ends_with(".swx")
    };
    if parts.iter().any(ignored) {
        return false;
    }
    (parts.len() == 1 && first == SETTINGS_FILE) || SOURCE_FOLDERS.contains(&first.as_str())
}

/// Waits for changes, lets a burst settle, rebuilds; until told to stop.
fn builder_loop(
    shared: &Shared,
    options: &BuildOptions,
    mut memos: Memos,
    inbox: Receiver<Message>,
    mut watch: SourceWatch,
) {
    while let Ok(Message::Changed(paths)) = inbox.recv() {
        let Some(paths) = settled(&inbox, paths) else {
            return;
        };
        // Before the build reads the folders, so that no change after it goes unseen. A folder
        // that cannot be watched now (gone again already) is watched when it next appears.
        let watched_anew = watch.refresh(&paths).unwrap_or(true);
        match (paths.is_empty(), watched_anew) {
            (false, false) => memos.only_changed(paths.iter().cloned()),
            (lost, _) => {
                memos.anything_changed();
                (shared.report)(Notice::LookingAtEverything {
                    why: match lost {
                        true => Unseen::LostEvents,
                        false => Unseen::FolderWatchedAnew,
                    },
                });
            }
        }
        let swapped = swap_stylesheets_first(shared, &options.root, &paths);
        rebuild(shared, options, &mut memos, &paths, swapped);
    }
}

/// The changes of one save, or of a whole burst, once they have settled; `None` when the
/// server stops meanwhile.
fn settled(inbox: &Receiver<Message>, mut paths: Vec<PathBuf>) -> Option<Vec<PathBuf>> {
    let deadline = Instant::now() + MOST_WAIT;
    loop {
        let quiet = if is_burst(&paths) { QUIET } else { SETTLE };
        let wait = quiet.min(deadline.saturating_duration_since(Instant::now()));
        match inbox.recv_timeout(wait) {
            Ok(Message::Changed(more)) => paths.extend(more),
            Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => return Some(paths),
        }
        if Instant::now() >= deadline {
            return Some(paths);
        }
    }
}

/// Whether the changes are more than one save makes; lost events (no paths) may be anything.
fn is_burst(paths: &[PathBuf]) -> bool {
    paths.is_empty() || paths.iter().collect::<HashSet<_>>().len() > FILES_OF_ONE_SAVE
}

/// Builds, swaps the new site in, and tells open pages what changed.
///
/// `swapped`: open pages were already told of the stylesheets (`swap_stylesheets_first`).
fn rebuild(
    shared: &Shared,
    options: &BuildOptions,
    memos: &mut Memos,
    changed: &[PathBuf],
    swapped: bool,
) {
    let started = Instant::now();
    let old = shared.snapshot();
    let open = match renders_open_pages_first(&old, changed, &options.root) {
        true => shared.clients.open_pages(),
        false => HashSet::new(),
    };
    let shown_first = Mutex::new(None);
    let ready = |files: Vec<OutputFile>| {
        let shown = show_open_pages_first(shared, &old, files);
        *shown_first
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = shown;
    };
    let result = match open.is_empty() {
        true => build::render_memoised(options, memos),
        false => build::render_open_first(options, memos, &open, &ready),
    };
    let shown_first = shown_first
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match result {
        Ok(rendered) => {
            let pages = rendered.pages;
            let file_count = rendered.files.len();
            let files: SiteFiles = rendered
                .files
                .into_iter()
                .map(|file| (file.path, file.contents))
                .collect();
            let asset_urls = rendered.site.asset_urls;
            let change = if !old.built {
                Change::First
            } else {
                classify(&old.files, &files, changed, &options.root)
            };
            let generation = match change {
                Change::Nothing => old.generation,
                Change::First | Change::Reload | Change::Css => old.generation + 1,
            };
            let styles = stylesheet_renames(&old.asset_urls, &asset_urls, &options.root, changed);
            let warnings: Arc<str> = Arc::from(rendered.warnings.to_string());
            let new_warnings = (warnings != old.warnings).then_some(rendered.warnings);
            shared.replace(Snapshot {
                generation,
                files: Arc::new(files),
                asset_urls: Arc::new(asset_urls),
                built: true,
                warnings,
                failure: None,
                minify: rendered.site.settings.minify,
                pending: None,
            });
            if old.failure.is_some() {
                shared.clients.broadcast(&events::message("ok", "{}"));
            }
            match (change, shown_first) {
                // The pages shown first reloaded already, into what they are now.
                (Change::Reload, Some(shown)) => shared
                    .clients
                    .send_where(&events::message("reload", "{}"), |page| {
                        page.is_none_or(|page| !shown.contains(page))
                    }),
                (Change::First | Change::Reload, _) => {
                    shared.clients.broadcast(&events::message("reload", "{}"))
                }
                // The stylesheets the pages were told of are those the build made.
                (Change::Css, _) if swapped && styles.is_empty() => {}
                (Change::Css, _) => shared
                    .clients
                    .broadcast(&events::message("css", &css_event(&styles))),
                (Change::Nothing, _) => {}
            }
            (shared.report)(Notice::Built {
                pages,
                files: file_count,
                elapsed: started.elapsed(),
                new_warnings,
                change,
            });
        }
        Err(error) => {
            let problems = match error {
                Error::Sources(problems) => problems,
                Error::Environment { error, .. } => {
                    let mut problems = Diagnostics::default();
                    problems.push(Diagnostic::error(&options.root, format!("{error:#}")));
                    problems
                }
            };
            let failure = Arc::new(Failure {
                json: failure_json(&problems),
                text: problems.to_string(),
            });
            shared.replace(Snapshot {
                generation: old.generation,
                files: old.files.clone(),
                asset_urls: old.asset_urls.clone(),
                built: old.built,
                warnings: old.warnings.clone(),
                failure: Some(failure.clone()),
                minify: old.minify,
                pending: None,
            });
            shared
                .clients
                .broadcast(&events::message("error", &failure.json));
            (shared.report)(Notice::Failed { problems });
        }
    }
}

/// Whether a rebuild makes the pages open in a browser before the others: when only Markdown
/// and templates changed (what else changes may need more than those pages to show them), and
/// the site served now is a good build.
fn renders_open_pages_first(old: &Snapshot, changed: &[PathBuf], root: &Path) -> bool {
    let content = root.join(CONTENT_DIR);
    let templates = root.join(TEMPLATES_DIR);
    let markdown_or_template = |path: &PathBuf| {
        path.starts_with(&templates)
            || (path.starts_with(&content)
                && path.extension().is_some_and(|extension| extension == "md"))
    };
    old.built
        && old.failure.is_none()
        && !changed.is_empty()
        && changed.iter().all(markdown_or_template)
}

/// Serves the open pages a rebuild made first, beside the other files of the site served now,
/// and tells those pages to reload; the rest of the site follows when the rebuild ends. Gives
/// the keys of the files shown, or nothing when those pages did not change.
fn show_open_pages_first(
    shared: &Shared,
    old: &Snapshot,
    files: Vec<OutputFile>,
) -> Option<Arc<HashSet<String>>> {
    let changed: Vec<OutputFile> = files
        .into_iter()
        .filter(|file| {
            old.files
                .get(&file.path)
                .is_none_or(|previous| !previous.same_as(&file.contents))
        })
        .collect();
    if changed.is_empty() {
        return None;
    }
    let shown: Arc<HashSet<String>> =
        Arc::new(changed.iter().map(|file| file.path.clone()).collect());
    let files = changed.into_iter().map(|file| (file.path, file.contents));
    shared.replace(old.ahead(files, old.asset_urls.clone(), Some(shown.clone())));
    shared
        .clients
        .send_where(&events::message("reload", "{}"), |page| {
            page.is_some_and(|page| shown.contains(page))
        });
    Some(shown)
}

/// What open pages must do after a rebuild: swap stylesheets when only CSS sources changed,
/// reload when any file of the site changed (or a copied file's source did), else nothing.
fn classify(old: &SiteFiles, new: &SiteFiles, changed: &[PathBuf], root: &Path) -> Change {
    let is_css =
        |path: &PathBuf| is_stylesheet(path) && !path.starts_with(root.join(TEMPLATES_DIR));
    if !changed.is_empty() && changed.iter().all(is_css) {
        return Change::Css;
    }
    let files_differ = old.len() != new.len()
        || new.iter().any(|(path, contents)| {
            old.get(path)
                .is_none_or(|previous| !previous.same_as(contents))
        });
    // Only files that are copied as they are can change without the site's files changing.
    let only_built_sources = changed.iter().all(|path| {
        path.starts_with(root.join(TEMPLATES_DIR))
            || path.ends_with(SETTINGS_FILE)
            || path.extension().is_some_and(|extension| extension == "md")
    });
    if files_differ || changed.is_empty() || !only_built_sources {
        Change::Reload
    } else {
        Change::Nothing
    }
}

fn is_stylesheet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("css"))
}

/// A change to stylesheets alone reaches open pages before the pages are rebuilt, at any size
/// of site: each changed stylesheet is minified and fingerprinted as the build does it, served
/// beside the old ones, and the pages told to swap. The rebuild that follows brings the pages
/// that name the new files. Gives whether it did so.
fn swap_stylesheets_first(shared: &Shared, root: &Path, changed: &[PathBuf]) -> bool {
    let old = shared.snapshot();
    let static_dir = root.join(STATIC_DIR);
    let only_stylesheets = !changed.is_empty()
        && changed
            .iter()
            .all(|path| is_stylesheet(path) && path.starts_with(&static_dir));
    if !old.built || old.failure.is_some() || !only_stylesheets {
        return false;
    }
    let mut changed = changed.to_vec();
    changed.sort();
    changed.dedup();
    let Some(stylesheets) = crate::content::load_static_files(root, &changed) else {
        return false;
    };
    let (files, urls) = crate::assets::prepare(stylesheets, old.minify);
    let mut asset_urls = (*old.asset_urls).clone();
    asset_urls.extend(urls);
    let styles = stylesheet_renames(&old.asset_urls, &asset_urls, root, &changed);
    if styles.is_empty() {
        return false;
    }
    let files = files
        .into_iter()
        .map(|file| (file.output_path, file.contents));
    shared.replace(old.ahead(files, Arc::new(asset_urls), None));
    shared
        .clients
        .broadcast(&events::message("css", &css_event(&styles)));
    true
}

/// Old and new URL of each stylesheet whose fingerprinted name changed with its content.
fn stylesheet_renames(
    old: &AssetUrls,
    new: &AssetUrls,
    root: &Path,
    changed: &[PathBuf],
) -> Vec<(String, String)> {
    let static_dir = root.join(STATIC_DIR);
    changed
        .iter()
        .filter_map(|path| path.strip_prefix(&static_dir).ok())
        .filter_map(|relative| {
            let relative = relative.to_string_lossy().replace('\\', "/");
            let before = old.get(&relative)?;
            let after = new.get(&relative)?;
            (before != after).then(|| (format!("/{before}"), format!("/{after}")))
        })
        .collect()
}

fn css_event(styles: &[(String, String)]) -> String {
    serde_json::json!({ "styles": styles }).to_string()
}

fn failure_json(problems: &Diagnostics) -> String {
    #[derive(Serialize)]
    struct Problem<'a> {
        file: String,
        line: Option<usize>,
        column: Option<usize>,
        message: &'a str,
        help: Option<&'a str>,
        text: String,
    }
    let problems: Vec<Problem> = problems
        .iter()
        .filter(|problem| problem.is_error())
        .map(|problem| Problem {
            file: problem.file.to_string_lossy().replace('\\', "/"),
            line: problem.location.map(|l| l.line),
            column: problem.location.map(|l| l.column),
            message: &problem.message,
            help: problem.help.as_deref(),
            text: problem.to_string(),
        })
        .collect();
    serde_json::json!({ "problems": problems }).to_string()
}

/// Answers one request.
fn handle(shared: &Arc<Shared>, request: &Request) -> Response {
    if request.method == Method::Other {
        return text_response(405, "Only GET and HEAD are supported.\n")
            .with_header("Allow", "GET, HEAD");
    }
    let route = match request::route(&request.target) {
        Ok(route) => route,
        Err(refused) => {
            return text_response(400, &format!("Bad request: {}.\n", refused.0));
        }
    };
    match route {
        Route::LiveReloadScript => {
            bytes_response(200, LIVE_RELOAD_JS.as_bytes().to_vec(), "script.js")
        }
        Route::Events { since, page } => {
            let shared = shared.clone();
            Response::new(
                200,
                Body::Takeover(Box::new(move |stream| {
                    shared.clients.connect(stream, page, || {
                        let snapshot = shared.snapshot();
                        let mut first = Vec::new();
                        if let Some(failure) = &snapshot.failure {
                            first.push(events::message("error", &failure.json));
                        } else if since.is_some_and(|since| since != snapshot.generation) {
                            first.push(events::message("reload", "{}"));
                        }
                        first
                    });
                })),
            )
        }
        Route::Unknown => text_response(404, "Not found.\n"),
        Route::File { path, query } => serve_file(shared, &path, query.as_deref()),
    }
}

fn serve_file(shared: &Shared, path: &str, query: Option<&str>) -> Response {
    let key = request::file_key(path);
    let mut snapshot = shared.snapshot();
    if let Some(fresh) = &snapshot.pending
        && !fresh.contains(&key)
        && (!snapshot.files.contains_key(&key)
            || request::content_type(&key).starts_with("text/html"))
    {
        snapshot = shared.settled_snapshot();
    }
    if !snapshot.built {
        let text = snapshot
            .failure
            .as_ref()
            .map_or("", |failure| &failure.text);
        return not_built_page(text, snapshot.generation);
    }
    if let Some(contents) = snapshot.files.get(&key) {
        return file_response(200, &key, contents, snapshot.generation);
    }
    if snapshot.files.contains_key(&format!("{path}/index.html")) {
        let location = match query {
            Some(query) => format!("/{path}/?{query}"),
            None => format!("/{path}/"),
        };
        return text_response(301, "Moved permanently.\n").with_header("Location", location);
    }
    match snapshot.files.get(NOT_FOUND_FILE) {
        Some(contents) => file_response(404, NOT_FOUND_FILE, contents, snapshot.generation),
        None => text_response(404, "Not found.\n"),
    }
}

fn file_response(status: u16, path: &str, contents: &Contents, generation: u64) -> Response {
    let is_html = request::content_type(path).starts_with("text/html");
    match contents {
        Contents::Text(text) if is_html => bytes_response(
            status,
            request::with_live_reload(text, generation).into_bytes(),
            path,
        ),
        Contents::Shared(text) if is_html => bytes_response(
            status,
            request::with_live_reload(text, generation).into_bytes(),
            path,
        ),
        Contents::Text(text) => bytes_response(status, text.clone().into_bytes(), path),
        Contents::Shared(text) => bytes_response(status, text.as_bytes().to_vec(), path),
        Contents::Embedded(bytes) => bytes_response(status, bytes.to_vec(), path),
        Contents::Loaded(bytes) => body_response(status, Body::Shared(bytes.clone()), path),
        Contents::CopyOf(source) | Contents::LinkOf(source) => {
            let opened =
                std::fs::File::open(source).and_then(|file| Ok((file.metadata()?.len(), file)));
            match opened {
                Ok((length, file)) => body_response(status, Body::File(file, length), path),
                Err(_) => text_response(404, "Not found.\n"),
            }
        }
    }
}

fn bytes_response(status: u16, bytes: Vec<u8>, path: &str) -> Response {
    body_response(status, Body::Bytes(bytes), path)
}

fn body_response(status: u16, body: Body, path: &str) -> Response {
    Response::new(status, body)
        .with_header("Content-Type", request::content_type(path))
        .with_header("Cache-Control", "no-store")
        .with_header("X-Content-Type-Options", "nosniff")
}

fn text_response(status: u16, text: &str) -> Response {
    bytes_response(status, text.as_bytes().to_vec(), "response.txt")
}

/// Shown for every page until the first build succeeds; reloads itself when one does.
fn not_built_page(problems: &str, generation: u64) -> Response {
    let escaped = problems
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>The site does not build</title>\n</head>\n<body>\n<h1>The site does not build</h1>\n<pre>{escaped}</pre>\n</body>\n</html>\n"
    );
    bytes_response(
        503,
        request::with_live_reload(&page, generation).into_bytes(),
        "index.html",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_save_is_not_a_burst_and_many_files_are() {
        let page = PathBuf::from("/site/content/a.md");
        let renamed = PathBuf::from("/site/content/a.md.tmp");
        assert!(!is_burst(&[page.clone(), page.clone(), renamed.clone()]));
        let others = (0..3).map(|n| PathBuf::from(format!("/site/content/{n}.md")));
        assert!(is_burst(&others.collect::<Vec<_>>()));
        // Lost events: anything may have changed.
        assert!(is_burst(&[]));
    }

    #[test]
    fn changes_waiting_together_make_one_rebuild() {
        let (sender, inbox) = std::sync::mpsc::channel();
        let files: Vec<PathBuf> = (0..5)
            .map(|n| PathBuf::from(format!("/site/content/{n}.md")))
            .collect();
        for file in &files[1..] {
            sender.send(Message::Changed(vec![file.clone()])).unwrap();
        }
        let settled = settled(&inbox, vec![files[0].clone()]).expect("not stopped");
        assert_eq!(settled, files);
        // One save alone settles by itself, and a stop ends the wait.
        let one = settled_or_stop(&inbox, &files[0]);
        assert_eq!(one, Some(vec![files[0].clone()]));
        sender.send(Message::Stop).unwrap();
        assert_eq!(settled_or_stop(&inbox, &files[0]), None);
    }

    fn settled_or_stop(inbox: &Receiver<Message>, file: &Path) -> Option<Vec<PathBuf>> {
        settled(inbox, vec![file.to_path_buf()])
    }

    #[test]
    fn only_source_files_are_watched() {
        let root = Path::new("/site");
        assert!(is_source(root, Path::new("/site/site.toml")));
        assert!(is_source(root, Path::new("/site/content/a.md")));
        assert!(is_source(root, Path::new("/site/static")));
        assert!(!is_source(root, Path::new("/site/public/index.html")));
        assert!(!is_source(root, Path::new("/site/content/.a.md.swp")));
        assert!(!is_source(root, Path::new("/site/content/a.md~")));
        assert!(!is_source(root, Path::new("/site/.public.aimsite-new/x")));
        assert!(!is_source(root, Path::new("/elsewhere/site.toml")));
    }

    #[test]
    fn changes_are_classified() {
        let root = Path::new("/site");
        let files = |text: &str| {
            SiteFiles::from_iter([("index.html".to_string(), Contents::Text(text.to_string()))])
        };
        let css = [PathBuf::from("/site/static/style.css")];
        assert_eq!(classify(&files("a"), &files("b"), &css, root), Change::Css);
        let md = [PathBuf::from("/site/content/a.md")];
        assert_eq!(
            classify(&files("a"), &files("b"), &md, root),
            Change::Reload
        );
        assert_eq!(
            classify(&files("a"), &files("a"), &md, root),
            Change::Nothing
        );
        let image = [PathBuf::from("/site/content/a.png")];
        assert_eq!(
            classify(&files("a"), &files("a"), &image, root),
            Change::Reload
        );
        assert_eq!(
            classify(&files("a"), &files("a"), &[], root),
            Change::Reload
        );
    }

    #[test]
    fn base_urls_use_a_reachable_host() {
        let addr = |text: &str| text.parse::<SocketAddr>().unwrap();
        assert_eq!(url_of(addr("127.0.0.1:1111")), "http://127.0.0.1:1111/");
        assert_eq!(url_of(addr("0.0.0.0:8000")), "http://127.0.0.1:8000/");
        assert_eq!(url_of(addr("[::]:8000")), "http://[::1]:8000/");
    }
}
