//! Loads `content/`: every Markdown file split into its front matter and body, and every other
//! file as an asset to copy. This and `config`/`templates` are the only stages that read sources.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;
use toml::Spanned;
use toml::value::Datetime;

use crate::assets::{self, Asset};
use crate::date::PageDate;
use crate::diagnostics::{Diagnostic, Diagnostics, from_toml_error};
use crate::memo::Memo;
use crate::output::Contents;

pub const CONTENT_DIR: &str = "content";
const FRONT_MATTER_FENCE: &str = "+++";

/// Front matter as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    pub description: Option<String>,
    pub date: Option<Spanned<Datetime>>,
    pub updated: Option<Spanned<Datetime>>,
    #[serde(default)]
    pub draft: bool,
    pub slug: Option<Spanned<String>>,
    pub template: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
    #[serde(default)]
    pub weight: i64,
    /// Old URL paths of this page, each of which gets a redirect.
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    /// The image for social previews: a path on the site or an absolute URL.
    pub image: Option<String>,
    // The keys below apply only to a section's `_index.md` (`latest`, to the home page's):
    // serde cannot flatten them into a struct of their own while refusing unknown keys.
    /// What the section holds: `articles` (the default) or `pages`.
    pub kind: Option<Spanned<SectionKind>>,
    /// The order of its list: `date` (newest first), `weight` or `title`.
    pub sort_by: Option<Spanned<SortBy>>,
    /// How many entries each page of its list shows; all on one page when absent.
    pub paginate_by: Option<Spanned<i64>>,
    /// The template of its pages, instead of the kind's (`article.html`, `page.html`).
    pub page_template: Option<Spanned<String>>,
    /// The home page: how many of the newest articles it lists.
    pub latest: Option<Spanned<i64>>,
    // The keys of the pages of one kind of section (`site::kinds` checks where they are).
    /// A person's role, or the role of the author of a testimonial.
    pub role: Option<Spanned<String>>,
    /// The company of the author of a testimonial.
    pub company: Option<Spanned<String>>,
    /// A person's photo, or the testimonial author's: a path on the site.
    pub photo: Option<Spanned<String>>,
    /// A testimonial's author agreed to its publication.
    pub consent_to_publish: Option<Spanned<bool>>,
    /// An event's start and end, with a UTC offset or a `timezone`.
    pub start: Option<Spanned<Datetime>>,
    pub end: Option<Spanned<Datetime>>,
    /// The IANA time zone of an event's start and end (`Europe/London`).
    pub timezone: Option<Spanned<String>>,
    /// Where an event takes place: a venue and address.
    pub location: Option<Spanned<String>>,
    /// The address of an online event (or `true` without one).
    pub online: Option<Spanned<toml::Value>>,
    /// An event's price as shown (`"£120"`, `"Free"`).
    pub price: Option<Spanned<String>>,
    /// Where to book an event.
    pub booking_url: Option<Spanned<String>>,
    /// `scheduled` (the default), `cancelled`, `postponed` or `rescheduled`.
    pub status: Option<Spanned<EventStatus>>,
}

/// Whether an event takes place as planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    #[default]
    Scheduled,
    Cancelled,
    Postponed,
    Rescheduled,
}

/// What a section holds, which decides its pages' kind and templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionKind {
    /// Dated writing: in the feed, the tags and the home page's latest; `Article` markup.
    #[default]
    Articles,
    /// Pages of any other kind, listed in the section only.
    Pages,
    /// What the firm offers: `Service` markup.
    Services,
    /// Its people, with `role` and `photo`: `Person` markup.
    People,
    /// What clients say, each with `consent_to_publish = true`; never review markup.
    Testimonials,
    /// Events and workshops, with `start`, `end`, a place or `online`: `Event` markup, an
    /// `.ics` file each, and past events in an archive.
    Events,
}

impl SectionKind {
    /// The name written in front matter and given to templates.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Articles => "articles",
            SectionKind::Pages => "pages",
            SectionKind::Services => "services",
            SectionKind::People => "people",
            SectionKind::Testimonials => "testimonials",
            SectionKind::Events => "events",
        }
    }
}

/// The order of a section's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    /// Newest first; undated pages last.
    Date,
    /// Lightest first.
    Weight,
    /// Alphabetical.
    Title,
}

/// What a content file becomes, decided by where it is and, for a page in a section, by the
/// section's kind (`site::plan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `content/_index.md`.
    Home,
    /// Any other `_index.md`: the title and introduction of its folder's section.
    Section,
    /// A page in a section of articles.
    Article,
    /// Any other Markdown file.
    Page,
}

/// One Markdown file, read and split.
#[derive(Debug, Clone)]
pub struct SourcePage {
    /// The path below `content/` with `/` separators: `articles/foo.md`.
    pub source: String,
    /// The path shown in messages: `content/articles/foo.md`.
    pub display_path: PathBuf,
    pub kind: SourceKind,
    pub front: FrontMatter,
    /// The whole file, so that any span in it can be located; only up to the body while the
    /// body is released. Shared, so that `serve`'s memo hands an unchanged page on without
    /// copying its text (an `Arc<String>`, not `Arc<str>`, so that a file read is not copied).
    pub text: Arc<String>,
    /// Where the Markdown body starts in `text`.
    pub body_start: usize,
    /// Where the front matter's TOML starts in `text`; front matter spans are relative to it.
    pub front_start: usize,
    /// The file it was read from, to read the body again (`reload_body`).
    pub file: PathBuf,
    /// Whether the body was let go of (`release_body`), to be read again when needed.
    pub body_released: bool,
    /// Whether the body may hold a shortcode: false only when the whole body was read and has
    /// no `{{`, as most pages, so that the stages that look for shortcodes need not
    /// (`shortcodes_in`).
    pub body_may_have_shortcodes: bool,
    /// Whether the body may hold raw HTML (a `<`), on the same terms: what looks only at
    /// raw HTML can skip the others.
    pub body_may_have_html: bool,
}

impl SourcePage {
    pub fn body(&self) -> &str {
        self.text.get(self.body_start..).unwrap_or_default()
    }

    /// `markdown::find_shortcodes` of this page's body (`body`: read again if it was let go),
    /// without searching a body its load found no `{{` in.
    pub fn shortcodes_in(
        &self,
        body: &str,
    ) -> (
        Vec<crate::shortcodes::Call>,
        Vec<crate::shortcodes::SyntaxProblem>,
    ) {
        if !self.body_may_have_shortcodes {
            return (Vec::new(), Vec::new());
        }
        crate::markdown::find_shortcodes(body)
    }

    /// Frees the body once it is rendered and no diagnostic can point into it any more; the
    /// front matter stays, for diagnostics about it. A text that a memo shares stays whole:
    /// the memo keeps it anyway, and cutting a copy of it cost a large site's rebuild 5%.
    pub fn release_body(&mut self) {
        let Some(text) = Arc::get_mut(&mut self.text) else {
            return;
        };
        text.truncate(self.body_start);
        text.shrink_to_fit();
        self.body_released = true;
    }

    /// A diagnostic at a span of the front matter.
    pub fn front_error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let span = span.start + self.front_start..span.end + self.front_start;
        Diagnostic::error(&self.display_path, message).at(&self.text, span)
    }

    /// A diagnostic at a span of the body.
    pub fn body_error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let span = span.start + self.body_start..span.end + self.body_start;
        Diagnostic::error(&self.display_path, message).at(&self.text, span)
    }
}

#[derive(Debug, Default)]
pub struct LoadedContent {
    pub pages: Vec<SourcePage>,
    pub assets: Vec<Asset>,
    /// Markdown files that could not be loaded, by source path: links to them are not broken.
    pub failed: Vec<String>,
}

/// Reads every file below `ROOT/content`, in a stable order.
pub fn load(root: &Path) -> (LoadedContent, Diagnostics) {
    let (loaded, problems, _) = load_with(root, None, None, Bodies::Keep, None);
    (loaded, problems)
}

/// Looks at a page while its body is in memory, before a load releases it.
pub type BodyLook<'a> = &'a (dyn Fn(&SourcePage) + Sync);

/// Like `load`, but keeps only each page's front matter: its body is read again when it is
/// rendered (`reload_body`), so that a large site's text is never all in memory at once.
/// `look` sees each page with its body first: what must know every body before rendering
/// reads it then, rather than reading every file once more.
pub fn load_front_matter(root: &Path, look: Option<BodyLook<'_>>) -> (LoadedContent, Diagnostics) {
    let (loaded, problems, _) = load_with(root, None, None, Bodies::Release(look), None);
    (loaded, problems)
}

/// Whether a load keeps the pages' bodies.
#[derive(Clone, Copy)]
enum Bodies<'a> {
    Keep,
    Release(Option<BodyLook<'a>>),
}

/// A content file as a load parsed it, kept by the memo of `serve` and reused while its text
/// is unchanged, so that a rebuild parses only the files that changed. A file whose size, times
/// and inode are those it had when it was read is not even read again, unless it was written
/// just before it was read (it might have changed again within the same clock tick, as git's
/// "racily clean" files).
#[derive(Debug)]
pub struct CachedSource {
    page: SourcePage,
    /// The file's stamp when it was read, if it had settled by then.
    stamp: Option<FileStamp>,
}

/// What the file system says of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
    inode: (u64, u64),
}

impl FileStamp {
    #[cfg(unix)]
    fn of(path: &Path) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            len: metadata.len(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            inode: (metadata.dev(), metadata.ino()),
        })
    }

    #[cfg(not(unix))]
    fn of(_path: &Path) -> Option<FileStamp> {
        None
    }

    /// Whether the file was last written well before `read_at`, so that a later write must
    /// change the stamp.
    fn settled(&self, read_at: std::time::SystemTime) -> bool {
        let Ok(now) = read_at.duration_since(std::time::UNIX_EPOCH) else {
            return false;
        };
        let latest = self.modified.0.max(self.changed.0);
        latest < now.as_secs() as i64 - 2
    }
}

/// Like `load`, but parses only the files whose text differs from the last load's (`memo`).
///
/// `reported`: the files and folders the watcher reported changed since the last load (`serve`);
/// a file below none of them is taken from the memo without being looked at. `None` when events
/// may have been lost: every file is looked at.
pub fn load_memoised(
    root: &Path,
    memo: &mut ContentMemo,
    reported: Option<&HashSet<PathBuf>>,
) -> (LoadedContent, Diagnostics) {
    memo.sources.start();
    let listing = memo.listing.take();
    let (loaded, problems, listing) =
        load_with(root, Some(&memo.sources), reported, Bodies::Keep, listing);
    memo.listing = listing;
    (loaded, problems)
}

/// What `load_memoised` keeps for the next load: each source parsed, and the files of
/// `content/` when listing them found no problem.
#[derive(Default)]
pub struct ContentMemo {
    sources: Memo<CachedSource>,
    listing: Option<Vec<PathBuf>>,
}

/// The files below `dir`: the last listing's when every file reported changed below `dir` is
/// one of them and still a file (an edit, not a new, removed or renamed file); listed again
/// otherwise. Walking the folder cost a rebuild of 10,000 articles about 20 ms.
fn list_files(
    dir: &Path,
    reported: Option<&HashSet<PathBuf>>,
    last: Option<Vec<PathBuf>>,
) -> Vec<Result<PathBuf, Box<Diagnostic>>> {
    if let (Some(reported), Some(last)) = (reported, last) {
        let known: HashSet<&Path> = reported
            .iter()
            .filter(|path| path.starts_with(dir))
            .map(PathBuf::as_path)
            .collect();
        let edits_only = known.iter().all(|path| {
            let is_file = std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file());
            is_file && last.iter().any(|listed| listed == path)
        });
        if edits_only {
            return last.into_iter().map(Ok).collect();
        }
    }
    files_below(dir).collect()
}

fn load_with(
    root: &Path,
    memo: Option<&Memo<CachedSource>>,
    reported: Option<&HashSet<PathBuf>>,
    bodies: Bodies<'_>,
    last_listing: Option<Vec<PathBuf>>,
) -> (LoadedContent, Diagnostics, Option<Vec<PathBuf>>) {
    let mut loaded = LoadedContent::default();
    let mut problems = Diagnostics::default();
    let dir = match source_folder(root, CONTENT_DIR) {
        Ok(Some(dir)) => dir,
        Ok(None) => {
            problems.push(
                Diagnostic::error(CONTENT_DIR, "the content folder is missing")
                    .with_help("create content/ with at least content/_index.md, the home page"),
            );
            return (loaded, problems, None);
        }
        Err(problem) => {
            problems.push(*problem);
            return (loaded, problems, None);
        }
    };
    // Markdown files are read and parsed in parallel, then taken in name order.
    // Boxed, since most entries are files: the list of a large site's folder is then a tenth
    // of the size, and grows without long copies.
    let entries = list_files(&dir, reported, last_listing);
    let listing: Option<Vec<PathBuf>> = memo.and_then(|_| {
        entries
            .iter()
            .map(|entry| entry.as_ref().ok().cloned())
            .collect()
    });
    let mut parsed: Vec<Option<ParsedPage>> = entries
        .par_iter()
        // Split finely, or one thread may be left with a long run of files at the end.
        .with_max_len(64)
        .map(|entry| {
            let entry = entry.as_ref().ok()?;
            let relative = relative_source(&dir, entry);
            let display_path = Path::new(CONTENT_DIR).join(&relative);
            relative.ends_with(".md").then(|| {
                let read = read_page(entry, relative, display_path, memo, reported, bodies);
                read.map(|mut page| {
                    if let Bodies::Release(look) = bodies {
                        if let Some(look) = look {
                            look(&page);
                        }
                        page.release_body();
                    }
                    page
                })
            })
        })
        .collect();
    loaded.pages.reserve(parsed.len());
    for (entry, parsed) in entries.into_iter().zip(parsed.iter_mut()) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(problem) => {
                problems.push(*problem);
                continue;
            }
        };
        if let Some(parsed) = parsed.take() {
            match parsed {
                Ok(page) => loaded.pages.push(page),
                Err(problem) => {
                    loaded.failed.push(relative_source(&dir, &entry));
                    problems.extend(problem)
                }
            }
        } else {
            let relative = relative_source(&dir, &entry);
            let display_path = Path::new(CONTENT_DIR).join(&relative);
            loaded.assets.push(Asset {
                contents: Contents::CopyOf(entry),
                display_path,
                output_path: relative,
            });
        }
    }
    (loaded, problems, listing)
}

pub const STATIC_DIR: &str = "static";

/// Every file below `ROOT/static`, to be copied as it is; a missing folder is no problem.
pub fn load_static(root: &Path) -> (Vec<Asset>, Diagnostics) {
    let mut files = Vec::new();
    let mut problems = Diagnostics::default();
    let dir = match source_folder(root, STATIC_DIR) {
        Ok(Some(dir)) => dir,
        Ok(None) => return (files, problems),
        Err(problem) => {
            problems.push(*problem);
            return (files, problems);
        }
    };
    for entry in files_below(&dir) {
        match entry.map(|path| static_file(&dir, path)) {
            Ok(Ok(asset)) => files.push(asset),
            Ok(Err(problem)) => problems.push(*problem),
            Err(problem) => problems.push(*problem),
        }
    }
    (files, problems)
}

/// Some files of `static/`, read as `load_static` reads them: for `serve`, which sends a changed
/// stylesheet ahead of its rebuild. `None` when one of them leads out of the site's folder
/// through a link, or cannot be read: the rebuild says what is wrong.
pub fn load_static_files(root: &Path, paths: &[PathBuf]) -> Option<Vec<Asset>> {
    let dir = root.join(STATIC_DIR);
    let real_root = std::fs::canonicalize(root).ok()?;
    paths
        .iter()
        .map(|path| {
            let inside = std::fs::canonicalize(path).ok()?.starts_with(&real_root);
            inside
                .then(|| static_file(&dir, path.clone()).ok())
                .flatten()
        })
        .collect()
}

/// One file of `static/`: a file that gets a content hash is read now (the hash needs its
/// bytes); any other is copied when the site is written.
fn static_file(dir: &Path, path: PathBuf) -> Result<Asset, Box<Diagnostic>> {
    let output_path = relative_source(dir, &path);
    let display_path = Path::new(STATIC_DIR).join(&output_path);
    let contents = if assets::is_fingerprinted(&output_path) {
        let bytes =
            read_source(&path).map_err(|error| Box::new(error.diagnostic(&display_path)))?;
        Contents::Loaded(bytes.into())
    } else {
        Contents::CopyOf(path)
    };
    Ok(Asset {
        contents,
        display_path,
        output_path,
    })
}

/// The files of a folder in name order, leaving out hidden ones, with loops, unreadable
/// folders, files that are not regular files and links that lead out of the site's folder (the
/// parent of `dir`) reported as diagnostics.
pub fn files_below(dir: &Path) -> impl Iterator<Item = Result<PathBuf, Box<Diagnostic>>> + use<> {
    let root = dir.parent().unwrap_or(dir).to_path_buf();
    // Links are followed, so that a link inside the site works as the file it names, but each
    // is checked first: a link to a system file would be published.
    let real_root = std::fs::canonicalize(&root).ok();
    let mut walk = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !name_of(entry.path()).starts_with(b"."));
    // Each file, or the path a problem is about with the problem, put in order once the walk
    // is done.
    let mut found: Vec<(PathBuf, Option<Box<Diagnostic>>)> = Vec::new();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error.path().unwrap_or(dir).to_path_buf();
                let problem = walk_error(&error, dir, &root, real_root.as_deref());
                found.push((path, Some(Box::new(problem))));
                continue;
            }
        };
        let shown = || entry.path().strip_prefix(&root).unwrap_or(entry.path());
        let kind = entry.file_type();
        if !kind.is_dir() && !kind.is_file() {
            found.push((
                entry.path().to_path_buf(),
                Some(Box::new(not_a_regular_file(shown()))),
            ));
            continue;
        }
        if entry.path_is_symlink()
            && let Some(problem) = leaves_the_site(entry.path(), shown(), real_root.as_deref())
        {
            if kind.is_dir() {
                walk.skip_current_dir();
            }
            found.push((entry.path().to_path_buf(), Some(Box::new(problem))));
            continue;
        }
        if kind.is_file() {
            found.push((entry.into_path(), None));
        }
    }
    let below = dir.as_os_str().len();
    found.sort_by_cached_key(|(path, _)| walk_order(path, below));
    (found.into_iter()).map(|(path, problem)| problem.map_or(Ok(path), Err))
}

/// What orders paths as a walk that lists each folder's entries by name does: the path's bytes
/// after the first `below`, with its separators lowest, so that the files of a folder `a` come
/// before a file `a-b`. Sorting these once costs a fraction of sorting each folder's entries
/// by name as they are listed.
fn walk_order(path: &Path, below: usize) -> Vec<u8> {
    let bytes = path.as_os_str().as_encoded_bytes();
    let separator = std::path::MAIN_SEPARATOR as u8;
    (bytes.get(below..).unwrap_or(bytes).iter())
        .map(|&byte| match byte == b'/' || byte == separator {
            true => 0,
            false => byte,
        })
        .collect()
}

/// The last part of a path walked, as `Path::file_name` gives it but without reading its
/// parts: every entry of a walk is asked whether it is hidden.
pub(crate) fn name_of(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    let separator = std::path::MAIN_SEPARATOR as u8;
    let bytes = bytes.strip_suffix(&[separator]).unwrap_or(bytes);
    memchr::memrchr2(b'/', separator, bytes).map_or(bytes, |slash| &bytes[slash + 1..])
}

/// The error for a symbolic link that resolves outside the site's folder (`real_root`, links
/// resolved), if it does.
fn leaves_the_site(link: &Path, shown: &Path, real_root: Option<&Path>) -> Option<Diagnostic> {
    let target = std::fs::canonicalize(link).ok()?;
    if real_root.is_some_and(|root| target.starts_with(root)) {
        return None;
    }
    Some(
        Diagnostic::error(
            shown,
            format!(
                "this symbolic link leads outside the site's folder, to `{}`",
                target.display()
            ),
        )
        .with_help("copy what it points to into the site instead, or remove the link"),
    )
}

fn walk_error(
    error: &walkdir::Error,
    dir: &Path,
    root: &Path,
    real_root: Option<&Path>,
) -> Diagnostic {
    let path = error.path().unwrap_or(dir);
    let shown = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    // A link to a folder above the site's (`/`, `../..`) is first of all a way out of it.
    if error.loop_ancestor().is_some()
        && let Some(problem) = leaves_the_site(path, &shown, real_root)
    {
        return problem;
    }
    let (message, help) = if error.loop_ancestor().is_some() {
        (
            "this symbolic link points to a folder that contains it".to_string(),
            "remove the link or point it elsewhere",
        )
    } else {
        (
            format!("cannot read: {error}"),
            "check that the file exists and can be read",
        )
    };
    Diagnostic::error(shown, message).with_help(help)
}

/// A named pipe would block the build forever, a device (a link to /dev/zero) fill the memory
/// or the disk: only regular files are read.
fn not_a_regular_file(shown: &Path) -> Diagnostic {
    Diagnostic::error(
        shown,
        "this is not a regular file (a named pipe, socket or device)",
    )
    .with_help("remove it, or put the file it stands for in its place")
}

/// The most bytes a source read into memory may hold (Markdown, `site.toml`, a template, a
/// fingerprinted style sheet or script): far above any real one, and low enough that a
/// mistaken file cannot exhaust the memory.
pub const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a source file cannot be read.
#[derive(Debug)]
pub enum Unreadable {
    Io(std::io::Error),
    /// A named pipe, socket or device.
    NotRegular,
    /// Its size in bytes, more than `MAX_SOURCE_BYTES`.
    TooLarge(u64),
}

impl Unreadable {
    /// The diagnostic naming the file, shown as `shown`.
    pub fn diagnostic(&self, shown: &Path) -> Diagnostic {
        match self {
            Unreadable::Io(error) => unreadable(shown, error),
            Unreadable::NotRegular => not_a_regular_file(shown),
            Unreadable::TooLarge(size) => Diagnostic::error(
                shown,
                format!(
                    "the file holds {size} bytes; a source file may hold at most {} MB",
                    MAX_SOURCE_BYTES / (1024 * 1024)
                ),
            )
            .with_help("split it into smaller files, or check that it is the file you meant"),
        }
    }
}

/// Opens a source file to read, refusing, before reading a byte, one that is not a regular
/// file or that is larger than `MAX_SOURCE_BYTES`. Every source the build reads is opened
/// here. Opening never blocks: a named pipe put in the file's place after it was looked at is
/// still refused.
pub fn open_source(path: &Path) -> Result<(std::fs::File, u64), Unreadable> {
    let checked = |metadata: std::fs::Metadata| {
        if !metadata.is_file() {
            Err(Unreadable::NotRegular)
        } else if metadata.len() > MAX_SOURCE_BYTES {
            Err(Unreadable::TooLarge(metadata.len()))
        } else {
            Ok(metadata.len())
        }
    };
    // Non-blocking, so that a named pipe cannot hold the open; what was opened is then
    // checked, without a look before opening that a change could outrun anyway (and that
    // cost a build of 10,000 articles 20,000 system calls).
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(Unreadable::Io)?;
    let len = checked(file.metadata().map_err(Unreadable::Io)?)?;
    Ok((file, len))
}

/// Reads a whole source file (`open_source`), never more than `MAX_SOURCE_BYTES` even when it
/// grows while it is read.
pub fn read_source(path: &Path) -> Result<Vec<u8>, Unreadable> {
    use std::io::Read;
    let (file, len) = open_source(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Unreadable::Io)?;
    match bytes.len() as u64 {
        read if read > MAX_SOURCE_BYTES => Err(Unreadable::TooLarge(read)),
        _ => Ok(bytes),
    }
}

/// `ROOT/NAME` when it is a folder, `None` when nothing has that name. Anything else there (a
/// file, a named pipe, a dangling link) is an error naming it: the build would otherwise go on
/// without the folder, silently.
pub fn source_folder(root: &Path, name: &str) -> Result<Option<PathBuf>, Box<Diagnostic>> {
    let dir = root.join(name);
    let not_a_folder = |message: String| {
        Box::new(Diagnostic::error(name, message).with_help(format!(
            "make `{name}` a folder, or move what is there out of the way"
        )))
    };
    match std::fs::metadata(&dir) {
        Ok(metadata) if metadata.is_dir() => Ok(Some(dir)),
        Ok(_) => Err(not_a_folder(format!(
            "`{name}` should be a folder, but it is a file, named pipe or device"
        ))),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound
                && std::fs::symlink_metadata(&dir).is_err() =>
        {
            Ok(None)
        }
        Err(error) => Err(not_a_folder(format!("cannot read the folder: {error}"))),
    }
}

fn relative_source(dir: &Path, file: &Path) -> String {
    // Walked below `dir`, `file` starts with it as it was given: its bytes need no parsing.
    let (dir_bytes, file_bytes) = (
        dir.as_os_str().as_encoded_bytes(),
        file.as_os_str().as_encoded_bytes(),
    );
    if let Some(rest) = file_bytes
        .strip_prefix(dir_bytes)
        .and_then(|rest| rest.strip_prefix(b"/"))
        && std::path::MAIN_SEPARATOR == '/'
        && let Ok(text) = std::str::from_utf8(rest)
        && !dir_bytes.ends_with(b"/")
    {
        return text.to_string();
    }
    let relative = file.strip_prefix(dir).unwrap_or(file);
    // Where `/` separates the parts already, the path is the answer as it is (walkdir's paths
    // have no `.` or doubled separators to drop).
    if std::path::MAIN_SEPARATOR == '/'
        && let Some(text) = relative.to_str()
    {
        return text.to_string();
    }
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `path` is one of `reported` or below one. A watcher reports a few paths at a time:
/// comparing with each beats hashing every ancestor of every file of a large site (a tenth of
/// a rebuild's work on 10,000 articles).
fn is_below_any(path: &Path, reported: &HashSet<PathBuf>) -> bool {
    if reported.len() > 16 {
        return path.ancestors().any(|changed| reported.contains(changed));
    }
    let bytes = path.as_os_str().as_encoded_bytes();
    reported.iter().any(|changed| {
        let changed = changed.as_os_str().as_encoded_bytes();
        bytes.starts_with(changed)
            && (bytes.len() == changed.len()
                || changed.ends_with(b"/")
                || bytes[changed.len()] == b'/'
                || bytes[changed.len()] == std::path::MAIN_SEPARATOR as u8)
    })
}

/// A page read and parsed, or its problems.
type ParsedPage = Result<SourcePage, Vec<Diagnostic>>;

/// Without a memo, the file is not even looked at twice.
fn read_page(
    path: &Path,
    source: String,
    display_path: PathBuf,
    memo: Option<&Memo<CachedSource>>,
    reported: Option<&HashSet<PathBuf>>,
    bodies: Bodies<'_>,
) -> ParsedPage {
    let cached = memo.and_then(|memo| memo.previous(&source));
    // Every change makes an event, so a file the watcher did not report is as it was.
    if let (Some(memo), Some(cached), Some(reported)) = (memo, cached, reported)
        && !is_below_any(path, reported)
    {
        memo.keep(&source, Arc::clone(cached));
        return Ok(cached.page.clone());
    }
    let read_at = std::time::SystemTime::now();
    let stamp = memo.and_then(|_| FileStamp::of(path));
    let keep = |page: &SourcePage, stamp: Option<FileStamp>| {
        if let Some(memo) = memo {
            let cached = CachedSource {
                page: page.clone(),
                stamp,
            };
            memo.keep(&page.source, Arc::new(cached));
        }
    };
    if let (Some(stamp), Some(cached)) = (stamp, cached)
        && cached.stamp == Some(stamp)
    {
        // Unchanged on disk: the entry is handed on as it is.
        if let Some(memo) = memo {
            memo.keep(&source, Arc::clone(cached));
        }
        return Ok(cached.page.clone());
    }
    let stamp = stamp.filter(|stamp| stamp.settled(read_at));
    let read = match (memo, bodies) {
        (None, Bodies::Release(None)) => read_up_to_body(path),
        _ => read_source(path),
    };
    let bytes = read.map_err(|error| vec![error.diagnostic(&display_path)])?;
    let text = String::from_utf8(bytes).map_err(|error| vec![not_utf8(&display_path, &error)])?;
    if let Some(CachedSource { page, .. }) = cached.map(|cached| &**cached)
        && *page.text == text
    {
        // Unchanged: the parse is reused, and its text, which is the same.
        let page = SourcePage {
            source,
            display_path,
            kind: page.kind,
            front: page.front.clone(),
            text: Arc::clone(&page.text),
            body_start: page.body_start,
            front_start: page.front_start,
            file: path.to_path_buf(),
            body_released: false,
            body_may_have_shortcodes: page.body_may_have_shortcodes,
            body_may_have_html: page.body_may_have_html,
        };
        keep(&page, stamp);
        return Ok(page);
    }
    let body_unread = matches!((memo, bodies), (None, Bodies::Release(None)));
    parse_page(text, source, display_path).map(|page| {
        let page = SourcePage {
            file: path.to_path_buf(),
            body_may_have_shortcodes: page.body_may_have_shortcodes || body_unread,
            body_may_have_html: page.body_may_have_html || body_unread,
            ..page
        };
        keep(&page, stamp);
        page
    })
}

/// The start of a Markdown file, up to the end of its front matter (the whole file when that
/// end is not found, so that the parse reports why): a build reads each body when it renders
/// it (`reload_body`), so reading it now, and checking that it is UTF-8, would be done twice.
fn read_up_to_body(path: &Path) -> Result<Vec<u8>, Unreadable> {
    use std::io::Read;
    let (mut file, _) = open_source(path)?;
    let mut bytes = Vec::new();
    // Front matter is a few hundred bytes; a longer one is read in growing steps.
    let mut step = 1024;
    loop {
        let start = bytes.len();
        bytes.resize(start + step, 0);
        let read = loop {
            match file.read(&mut bytes[start..]) {
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                result => break result.map_err(Unreadable::Io)?,
            }
        };
        bytes.truncate(start + read);
        if bytes.len() as u64 > MAX_SOURCE_BYTES {
            return Err(Unreadable::TooLarge(bytes.len() as u64));
        }
        if let Some(body_start) = complete_front_matter(&bytes) {
            bytes.truncate(body_start);
            return Ok(bytes);
        }
        if read == 0 {
            return Ok(bytes);
        }
        step *= 2;
    }
}

/// Where the body starts, once `bytes` (the start of a file) hold the whole front matter and
/// the line break after it.
fn complete_front_matter(bytes: &[u8]) -> Option<usize> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // A character cut in two by the read, or bytes that are not UTF-8: what comes before
        // may still be the whole front matter (a body is checked when it is read).
        Err(error) => std::str::from_utf8(&bytes[..error.valid_up_to()]).ok()?,
    };
    let (_, _, body_start) = split_front_matter(text).ok()?;
    (text.as_bytes()[..body_start].last() == Some(&b'\n')).then_some(body_start)
}

/// Reads the body of a page whose body was released (`load_front_matter`) again; does nothing
/// for a page that has its body. An error when the file cannot be read, or when its front
/// matter is no longer the one loaded: it changed while the site was building.
pub fn reload_body(page: &mut SourcePage) -> Result<(), Box<Diagnostic>> {
    if !page.body_released {
        return Ok(());
    }
    let bytes = read_source(&page.file).map_err(|error| error.diagnostic(&page.display_path))?;
    let text = String::from_utf8(bytes).map_err(|error| not_utf8(&page.display_path, &error))?;
    if !text.starts_with(page.text.as_str()) {
        return Err(Box::new(
            Diagnostic::error(
                &page.display_path,
                "the file changed while the site was building",
            )
            .with_help("build again"),
        ));
    }
    page.text = Arc::new(text);
    page.body_released = false;
    Ok(())
}

/// The diagnostic for a file that cannot be read.
fn unreadable(path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(path, format!("cannot read the file: {error}"))
        .with_help("check that the file exists and that you may read it")
}

/// The diagnostic for a file that is not UTF-8, at the first bad byte.
pub fn not_utf8(path: &Path, error: &std::string::FromUtf8Error) -> Diagnostic {
    let bytes = error.as_bytes();
    let valid = &bytes[..error.utf8_error().valid_up_to()];
    let valid = String::from_utf8_lossy(valid);
    let location = crate::diagnostics::locate(&valid, valid.len());
    Diagnostic::error(path, "the file is not valid UTF-8 text")
        .at_location(location.line, location.column)
        .with_help("save the file with UTF-8 encoding")
}

/// Splits and validates one Markdown file's text.
pub fn parse_page(
    text: String,
    source: String,
    display_path: PathBuf,
) -> Result<SourcePage, Vec<Diagnostic>> {
    let (front_start, front_end, body_start) = split_front_matter(&text).map_err(|problem| {
        vec![
            Diagnostic::error(&display_path, problem.message())
                .at(&text, problem.span(&text))
                .with_help(problem.help()),
        ]
    })?;
    let front: FrontMatter = toml::from_str(&text[front_start..front_end])
        .map_err(|error| vec![from_toml_error(&error, &display_path, &text, front_start)])?;
    let body = text.get(body_start..).unwrap_or_default().as_bytes();
    let body_may_have_shortcodes = memchr::memmem::find(body, b"{{").is_some();
    let body_may_have_html = memchr::memchr(b'<', body).is_some();
    let page = SourcePage {
        kind: kind_of(&source),
        source,
        display_path,
        front,
        text: Arc::new(text),
        body_start,
        front_start,
        file: PathBuf::new(),
        body_released: false,
        body_may_have_shortcodes,
        body_may_have_html,
    };
    let problems = validate_front_matter(&page);
    if problems.is_empty() {
        Ok(page)
    } else {
        Err(problems)
    }
}

/// A file's kind as its name says it; whether a page is an article depends on its section.
fn kind_of(source: &str) -> SourceKind {
    match source {
        "_index.md" => SourceKind::Home,
        _ if source.ends_with("/_index.md") => SourceKind::Section,
        _ => SourceKind::Page,
    }
}

enum FrontMatterProblem {
    Missing,
    Unclosed,
}

impl FrontMatterProblem {
    fn message(&self) -> &'static str {
        match self {
            FrontMatterProblem::Missing => "the file does not start with front matter",
            FrontMatterProblem::Unclosed => "the front matter is not closed",
        }
    }

    fn help(&self) -> &'static str {
        match self {
            FrontMatterProblem::Missing => {
                "start the file with a line `+++`, then `title = \"...\"`, then another line `+++`"
            }
            FrontMatterProblem::Unclosed => "add a line `+++` after the last front matter key",
        }
    }

    fn span(&self, text: &str) -> Range<usize> {
        let first_line = text.find('\n').unwrap_or(text.len());
        0..first_line
    }
}

/// Finds the TOML between the `+++` lines: (start of TOML, end of TOML, start of body).
fn split_front_matter(text: &str) -> Result<(usize, usize, usize), FrontMatterProblem> {
    let start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut lines = line_spans(text, start);
    match lines.next() {
        Some(first) if text[first.clone()].trim_end() == FRONT_MATTER_FENCE => {
            for line in lines {
                if text[line.clone()].trim_end() == FRONT_MATTER_FENCE {
                    let body_start = (line.end + 1).min(text.len());
                    return Ok((first.end + 1, line.start, body_start));
                }
            }
            Err(FrontMatterProblem::Unclosed)
        }
        _ => Err(FrontMatterProblem::Missing),
    }
}

/// The byte ranges of the lines of `text` from `start`, without their `\n`.
fn line_spans(text: &str, start: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut position = start;
    std::iter::from_fn(move || {
        if position >= text.len() {
            return None;
        }
        let end = text[position..]
            .find('\n')
            .map_or(text.len(), |i| position + i);
        let line = position..end;
        position = end + 1;
        Some(line)
    })
}

fn validate_front_matter(page: &SourcePage) -> Vec<Diagnostic> {
    let front = &page.front;
    let mut problems = Vec::new();
    if front.title.trim().is_empty() {
        problems.push(
            Diagnostic::error(&page.display_path, "the title is empty")
                .at_location(1, 1)
                .with_help("give the page a title: `title = \"...\"`"),
        );
    }
    for (key, value) in [("date", &front.date), ("updated", &front.updated)] {
        if let Some(value) = value
            && let Err(message) = PageDate::from_toml(value.get_ref())
        {
            problems.push(
                page.front_error(value.span(), format!("invalid `{key}`: {message}"))
                    .with_help(
                        "write a date as 2020-02-10 or a date and time as 2020-02-10T09:30:00Z",
                    ),
            );
        }
    }
    if let Some(slug) = &front.slug
        && let Err(message) = check_slug(slug.get_ref())
    {
        problems.push(page.front_error(slug.span(), message)
            .with_help("a slug is one part of a URL: lower-case letters, digits, `-`, `_` and `.`, such as \"my-article\""));
    }
    for alias in &front.aliases {
        if let Err(message) = check_alias(alias.get_ref()) {
            problems.push(page.front_error(alias.span(), message).with_help(
                "an alias is an old path on this site, such as \"/old/path/\" or \"/old-page.html\"",
            ));
        }
    }
    problems.extend(section_front_problems(page));
    for tag in &front.tags {
        let slug = crate::markdown::slugify(tag.get_ref());
        if slug.is_empty() {
            problems.push(
                page.front_error(tag.span(), "the tag has no letters or digits")
                    .with_help("give the tag a name, such as \"leadership\""),
            );
        } else if slug.len() > MAX_NAME_BYTES {
            let message = format!(
                "the tag's folder name would be {} bytes long; file systems allow {MAX_NAME_BYTES}",
                slug.len()
            );
            problems.push(
                page.front_error(tag.span(), message)
                    .with_help("shorten the tag"),
            );
        }
    }
    problems
}

/// A section's keys on a page that is no section, and counts below one.
fn section_front_problems(page: &SourcePage) -> Vec<Diagnostic> {
    let section = &page.front;
    let mut problems = Vec::new();
    let is_section = page.kind == SourceKind::Section;
    let spans = [
        ("kind", section.kind.as_ref().map(Spanned::span), is_section),
        (
            "sort_by",
            section.sort_by.as_ref().map(Spanned::span),
            is_section,
        ),
        (
            "paginate_by",
            section.paginate_by.as_ref().map(Spanned::span),
            is_section,
        ),
        (
            "page_template",
            section.page_template.as_ref().map(Spanned::span),
            is_section,
        ),
        (
            "latest",
            section.latest.as_ref().map(Spanned::span),
            page.kind == SourceKind::Home,
        ),
    ];
    for (key, span, allowed) in spans {
        if let (Some(span), false) = (span, allowed) {
            let (owner, help) = if key == "latest" {
                (
                    "the home page (`content/_index.md`)",
                    "move it to content/_index.md, or remove it",
                )
            } else {
                (
                    "a section's `_index.md`",
                    "move it to the `_index.md` of the folder it is about, or remove it",
                )
            };
            problems.push(
                page.front_error(span, format!("`{key}` only applies to {owner}"))
                    .with_help(help),
            );
        }
    }
    for (key, count) in [
        ("paginate_by", &section.paginate_by),
        ("latest", &section.latest),
    ] {
        if let Some(count) = count
            && *count.get_ref() < 1
        {
            problems.push(
                page.front_error(count.span(), format!("`{key}` must be at least 1"))
                    .with_help(format!("write a number of entries, such as `{key} = 10`, or remove the key to show them all")),
            );
        }
    }
    problems
}

/// The longest file or folder name file systems allow, in bytes: a longer slug, alias or tag
/// would fail the build only when its file is written, without naming the page.
pub const MAX_NAME_BYTES: usize = 255;

/// A slug must stay one folder below its section: no separators, no `..`, no hidden names.
fn check_slug(slug: &str) -> Result<(), String> {
    if slug.is_empty() {
        return Err("the slug is empty".into());
    }
    if slug.len() > MAX_NAME_BYTES {
        return Err(format!(
            "the slug is {} bytes long; file systems allow {MAX_NAME_BYTES} in a folder name",
            slug.len()
        ));
    }
    if slug.contains(['/', '\\']) || slug == "." || slug == ".." || slug.contains("..") {
        return Err(format!(
            "the slug `{slug}` would place the page outside its folder"
        ));
    }
    if slug.starts_with('.') {
        return Err(format!("the slug `{slug}` would make a hidden folder"));
    }
    if let Some(bad) = slug
        .chars()
        .find(|c| !(c.is_alphanumeric() || "-_.".contains(*c)))
    {
        return Err(format!(
            "the slug `{slug}` contains `{bad}`, which does not belong in a URL"
        ));
    }
    // URLs that differ only in case overwrite each other on case-insensitive disks and hosts,
    // so every path aimsite makes is lower case.
    if slug.chars().any(char::is_uppercase) {
        return Err(format!(
            "the slug `{slug}` has capital letters; write it in lower case: `{}`",
            slug.to_lowercase()
        ));
    }
    Ok(())
}

/// An alias must be a path on this site that stays inside the output folder.
fn check_alias(alias: &str) -> Result<(), String> {
    if !alias.starts_with('/') || alias.starts_with("//") {
        return Err(format!("the alias `{alias}` must start with a single `/`"));
    }
    let escapes = alias
        .split('/')
        .any(|part| part == ".." || part == "." || part.starts_with('.'));
    if escapes || alias.contains('\\') {
        return Err(format!(
            "the alias `{alias}` would lead outside the site or into a hidden folder"
        ));
    }
    if let Some(bad) = alias
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "?#\"<>".contains(*c))
    {
        return Err(format!(
            "the alias `{alias}` contains `{bad}`, which does not belong in a path"
        ));
    }
    if alias == "/" {
        return Err("the alias `/` would replace the home page".into());
    }
    if let Some(part) = alias.split('/').find(|part| part.len() > MAX_NAME_BYTES) {
        return Err(format!(
            "a part of the alias is {} bytes long; file systems allow {MAX_NAME_BYTES} in a name",
            part.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SourcePage, Vec<Diagnostic>> {
        parse_page(
            text.to_string(),
            "articles/a.md".into(),
            "content/articles/a.md".into(),
        )
    }

    fn first_problem(text: &str) -> Diagnostic {
        parse(text).unwrap_err().remove(0)
    }

    #[test]
    fn files_come_in_each_folders_name_order_without_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        for file in [
            "b/c/d.md",
            "a.md",
            "a-b.md",
            "a/x.md",
            "B.md",
            "a/.draft.md",
            ".git/HEAD",
            "a/w.md",
        ] {
            let path = content.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let found: Vec<String> = files_below(&content)
            .map(|file| relative_source(&content, &file.unwrap()))
            .collect();
        // Byte order of the names of each folder, a folder's files where its name falls.
        assert_eq!(
            found,
            ["B.md", "a/w.md", "a/x.md", "a-b.md", "a.md", "b/c/d.md"]
        );
    }

    #[test]
    fn splits_front_matter_and_body() {
        let page = parse("+++\ntitle = \"A\"\ndate = 2020-02-10\n+++\n\nHello\n").unwrap();
        assert_eq!(page.front.title, "A");
        assert_eq!(page.body(), "\nHello\n");
        assert_eq!(page.kind, SourceKind::Page);
    }

    #[test]
    fn front_matter_errors_are_located_in_the_markdown_file() {
        let problem = first_problem("+++\ntitle = \"A\"\ndate = 2020-02-10\ntitel = 3\n+++\n");
        assert_eq!(problem.message, "unknown key `titel`");
        assert_eq!(problem.location.unwrap().line, 4);
        let problem = first_problem("+++\ntitle = \"A\n+++\n");
        assert_eq!(problem.location.unwrap().line, 2);
    }

    #[test]
    fn missing_or_unclosed_fences_are_errors() {
        assert_eq!(
            first_problem("title = \"A\"\n").message,
            "the file does not start with front matter"
        );
        assert_eq!(
            first_problem("+++\ntitle = \"A\"\n").message,
            "the front matter is not closed"
        );
        assert_eq!(
            first_problem("").message,
            "the file does not start with front matter"
        );
    }

    #[test]
    fn missing_title_is_an_error() {
        let problem = first_problem("+++\ndate = 2020-02-10\n+++\n");
        assert_eq!(problem.message, "missing required key `title`");
    }

    #[test]
    fn impossible_dates_are_errors() {
        let problem = first_problem("+++\ntitle = \"A\"\ndate = 2021-02-29\n+++\n");
        assert!(
            problem.message.contains("day between 01 and 28"),
            "{}",
            problem.message
        );
        assert_eq!(problem.location.unwrap().line, 3);
        assert!(parse("+++\ntitle = \"A\"\ndate = 2020-02-29\n+++\n").is_ok());
        let problem = first_problem("+++\ntitle = \"A\"\ndate = \"10 February\"\n+++\n");
        assert_eq!(problem.location.unwrap().line, 3);
        assert!(problem.help.unwrap().contains("2020-02-10"));
    }

    #[test]
    fn escaping_slugs_are_errors() {
        for slug in ["../x", "a/b", "..", ".hidden", "a b"] {
            let problem = first_problem(&format!("+++\ntitle = \"A\"\nslug = \"{slug}\"\n+++\n"));
            assert_eq!(problem.location.unwrap().line, 3, "{slug}");
        }
        assert!(parse("+++\ntitle = \"A\"\nslug = \"my-article_2.0\"\n+++\n").is_ok());
    }

    #[test]
    fn a_load_of_front_matter_reads_bodies_again_and_notices_changes() {
        let root = tempfile::tempdir().unwrap();
        let articles = root.path().join("content/articles");
        std::fs::create_dir_all(&articles).unwrap();
        let file = articles.join("a.md");
        std::fs::write(&file, "+++\ntitle = \"A\"\n+++\nFirst body.\n").unwrap();
        let (content, problems) = load_front_matter(root.path(), None);
        assert!(problems.is_empty(), "{problems:?}");
        let mut page = content.pages.into_iter().next().unwrap();
        assert!(page.body_released);
        assert_eq!(page.body(), "");
        assert_eq!(page.front.title, "A");

        // The body may change: it is the one read last.
        std::fs::write(&file, "+++\ntitle = \"A\"\n+++\nSecond body.\n").unwrap();
        reload_body(&mut page).unwrap();
        assert_eq!(page.body(), "Second body.\n");
        assert!(!page.body_released);
        // A page that has its body is not read again.
        std::fs::remove_file(&file).unwrap();
        reload_body(&mut page).unwrap();

        // A changed front matter, or a file gone, is an error naming the file.
        page.release_body();
        let problem = reload_body(&mut page).unwrap_err();
        assert_eq!(problem.file, Path::new("content/articles/a.md"));
        assert!(problem.message.contains("cannot read"), "{problem:?}");
        std::fs::write(&file, "+++\ntitle = \"B\"\n+++\nSecond body.\n").unwrap();
        let problem = reload_body(&mut page).unwrap_err();
        assert_eq!(
            problem.message,
            "the file changed while the site was building"
        );
        assert_eq!(problem.help.as_deref(), Some("build again"));
    }

    #[test]
    fn a_load_of_front_matter_reads_only_up_to_the_body() {
        // A front matter longer than the first read, with a character cut in two by it.
        let long_title = format!("{}é{}", "a".repeat(1011), "b".repeat(2000));
        let files = [
            (
                "long.md",
                format!("+++\ntitle = \"{long_title}\"\n+++\nBody.\n"),
            ),
            // Not UTF-8 in the body: noticed when the body is read, with its line; in the
            // front matter, when it is loaded.
            (
                "bad.md",
                "+++\ntitle = \"Bad\"\n+++\nline one\nline \u{1}two\n".into(),
            ),
            (
                "bad-front.md",
                "+++\ntitle = \"B\u{1}\"\n+++\nBody.\n".into(),
            ),
            (
                "unclosed.md",
                format!("+++\ntitle = \"U\"\n{}", "x = 1\n".repeat(400)),
            ),
        ];
        let root = tempfile::tempdir().unwrap();
        let articles = root.path().join("content/articles");
        std::fs::create_dir_all(&articles).unwrap();
        for (name, text) in &files {
            let mut bytes = text.clone().into_bytes();
            if let Some(at) = bytes.iter().position(|&byte| byte == 1) {
                bytes[at] = 0xff;
            }
            std::fs::write(articles.join(name), bytes).unwrap();
        }
        let (content, problems) = load_front_matter(root.path(), None);
        let problems: Vec<_> = problems.sorted().iter().cloned().collect();
        let [bad_front, unclosed] = &problems[..] else {
            panic!("two problems: {problems:?}");
        };
        assert_eq!(bad_front.file, Path::new("content/articles/bad-front.md"));
        assert_eq!(bad_front.message, "the file is not valid UTF-8 text");
        let location = bad_front.location.expect("a line and column");
        assert_eq!((location.line, location.column), (2, 11));
        assert_eq!(unclosed.file, Path::new("content/articles/unclosed.md"));
        assert_eq!(unclosed.message, FrontMatterProblem::Unclosed.message());

        let mut pages = content.pages;
        pages.sort_by(|a, b| a.source.cmp(&b.source));
        let [bad, long] = &mut pages[..] else {
            panic!("two pages: {pages:?}");
        };
        assert_eq!(long.front.title, long_title);
        reload_body(long).unwrap();
        assert_eq!(long.body(), "Body.\n");

        assert_eq!(bad.front.title, "Bad");
        let problem = reload_body(bad).unwrap_err();
        assert_eq!(problem.file, Path::new("content/articles/bad.md"));
        assert_eq!(problem.message, "the file is not valid UTF-8 text");
        let location = problem.location.expect("a line and column");
        assert_eq!((location.line, location.column), (5, 6));
    }

    #[test]
    fn aliases_stay_inside_the_site() {
        for alias in [
            "old/",
            "/../x/",
            "/a/./b",
            "//evil.com/",
            "/",
            "/a b/",
            "/.git/",
        ] {
            let problem = first_problem(&format!(
                "+++\ntitle = \"A\"\naliases = [\"{alias}\"]\n+++\n"
            ));
            assert_eq!(problem.location.unwrap().line, 3, "{alias}");
        }
        assert!(
            parse("+++\ntitle = \"A\"\naliases = [\"/old/path/\", \"/old.html\"]\n+++\n").is_ok()
        );
    }

    #[test]
    fn kinds_follow_the_folder() {
        assert_eq!(kind_of("_index.md"), SourceKind::Home);
        assert_eq!(kind_of("articles/_index.md"), SourceKind::Section);
        assert_eq!(kind_of("articles/2020/a.md"), SourceKind::Page);
        assert_eq!(kind_of("privacy.md"), SourceKind::Page);
        assert_eq!(kind_of("about/_index.md"), SourceKind::Section);
    }

    #[test]
    fn a_file_is_below_a_reported_folder_only_at_a_separator() {
        let reported: HashSet<PathBuf> = [PathBuf::from("/site/content/articles")].into();
        assert!(is_below_any(
            Path::new("/site/content/articles/a.md"),
            &reported
        ));
        assert!(is_below_any(Path::new("/site/content/articles"), &reported));
        assert!(!is_below_any(
            Path::new("/site/content/articles-old/a.md"),
            &reported
        ));
        assert!(!is_below_any(
            Path::new("/site/content/privacy.md"),
            &reported
        ));
    }
}
