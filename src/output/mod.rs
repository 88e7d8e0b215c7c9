//! Writes the site. The only module that writes or deletes anything: it builds the whole site in
//! a new folder beside the output and then swaps it into place, so a failed build leaves the
//! previous output as it was and a stale file never survives a successful one.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use rayon::prelude::*;
use thiserror::Error;

mod links;

pub use links::{LinkGroup, LinkSum, PathHash, files_of};

/// A file aimsite leaves in every output folder, so that it never replaces a folder it did not
/// make.
pub const OUTPUT_MARKER: &str = ".aimsite-output";
const MARKER_TEXT: &str = "This folder is written by aimsite and replaced on every build.\n";

/// What one output file holds.
#[derive(Debug, Clone)]
pub enum Contents {
    Text(String),
    /// Text a memo keeps too (`serve`): shared, so that a rebuild neither copies nor compares
    /// the pages it reused.
    Shared(std::sync::Arc<str>),
    /// Built into the binary.
    Embedded(&'static [u8]),
    /// Read while loading, shared between the file and its fingerprinted copy.
    Loaded(std::sync::Arc<[u8]>),
    /// A source file copied as it is.
    CopyOf(PathBuf),
    /// A file of a `CacheFolder` (read-only, never changed once written): linked into the
    /// output where the file system allows, so that a rebuild does not write its bytes again;
    /// copied otherwise. Its output path must always hold the same bytes (name it by its
    /// content): a build keeps the copy of that path the previous output has.
    LinkOf(PathBuf),
}

#[derive(Debug, Clone)]
pub struct OutputFile {
    /// The path below the output folder, with `/` separators.
    pub path: String,
    pub contents: Contents,
}

impl Contents {
    /// The bytes, when they are in memory (a copied file is read only when it is written).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Contents::Text(text) => Some(text.as_bytes()),
            Contents::Shared(text) => Some(text.as_bytes()),
            Contents::Embedded(bytes) => Some(bytes),
            Contents::Loaded(bytes) => Some(bytes),
            Contents::CopyOf(_) | Contents::LinkOf(_) => None,
        }
    }

    /// Whether two contents make the same file: the same bytes (shared ones compared by
    /// address first, so that a page a rebuild reused costs nothing), or copies of one source.
    pub fn same_as(&self, other: &Contents) -> bool {
        match (self, other) {
            (Contents::Loaded(a), Contents::Loaded(b)) if std::sync::Arc::ptr_eq(a, b) => true,
            (Contents::Shared(a), Contents::Shared(b)) if std::sync::Arc::ptr_eq(a, b) => true,
            (Contents::CopyOf(a), Contents::CopyOf(b)) => a == b,
            (Contents::LinkOf(a), Contents::LinkOf(b)) => a == b,
            _ => matches!((self.bytes(), other.bytes()), (Some(a), Some(b)) if a == b),
        }
    }
}

impl OutputFile {
    pub fn text(path: String, text: String) -> Self {
        OutputFile {
            path,
            contents: Contents::Text(text),
        }
    }

    pub fn shared(path: String, text: impl Into<std::sync::Arc<str>>) -> Self {
        OutputFile {
            path,
            contents: Contents::Shared(text.into()),
        }
    }
    /// A link to the cache entry at `entry` (`Contents::LinkOf`).
    pub fn link(path: String, entry: PathBuf) -> Self {
        OutputFile {
            path,
            contents: Contents::LinkOf(entry),
        }
    }
}

/// Why an output folder is refused before anything is written.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UnsafeOutput {
    #[error("the output folder `{}` is the site's folder or contains it; building there would delete the sources", .output.display())]
    ContainsRoot { output: PathBuf },
    #[error("the output folder `{}` is, contains or is inside the site's `{}`", .output.display(), .folder.display())]
    OverlapsSources { output: PathBuf, folder: PathBuf },
    #[error("the output folder `{}` already holds files that aimsite did not write (it has no `{OUTPUT_MARKER}` file)", .output.display())]
    NotOurs { output: PathBuf },
    #[error("the output path `{}` is a file, not a folder", .output.display())]
    NotAFolder { output: PathBuf },
    #[error("the output folder `{}` is a mount point, which a build cannot replace", .output.display())]
    MountPoint { output: PathBuf },
    #[error("`{}` is in the way: aimsite works there while it builds, but it is {what}", .path.display())]
    WorkFolderInTheWay { path: PathBuf, what: &'static str },
}

impl UnsafeOutput {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            UnsafeOutput::ContainsRoot { .. } | UnsafeOutput::OverlapsSources { .. } => {
                "choose an output folder of its own with --output, such as public/"
            }
            UnsafeOutput::NotOurs { .. } => {
                "remove or empty that folder yourself if it may be replaced, or choose another with --output"
            }
            UnsafeOutput::NotAFolder { .. } => "choose a folder with --output, such as public/",
            UnsafeOutput::MountPoint { .. } => {
                "a build writes the new site beside the output and swaps it in whole; build into a folder inside the mount point with --output, or mount the folder that holds the output instead"
            }
            UnsafeOutput::WorkFolderInTheWay { .. } => {
                "aimsite neither follows nor deletes it: move or remove it yourself, or choose another output folder with --output"
            }
        }
    }
}

impl From<UnsafeOutput> for crate::Error {
    fn from(refused: UnsafeOutput) -> Self {
        let help = refused.help();
        crate::Error::environment(refused, help)
    }
}

/// Refuses an output folder that is or contains the root or a source folder, or that holds
/// files aimsite did not write. Returns the output folder as an absolute path.
pub fn check_output_folder(
    root: &Path,
    output: &Path,
    source_folders: &[&str],
) -> Result<PathBuf, crate::Error> {
    let root = fs::canonicalize(root)
        .with_context(|| format!("cannot open the site's folder `{}`", root.display()))?;
    let output = absolute(output)?;
    let overlaps = |a: &Path, b: &Path| a.starts_with(b) || b.starts_with(a);
    if root.starts_with(&output) {
        return Err(UnsafeOutput::ContainsRoot { output }.into());
    }
    for folder in source_folders {
        let source = root.join(folder);
        if overlaps(&output, &source) {
            return Err(UnsafeOutput::OverlapsSources {
                output,
                folder: PathBuf::from(folder),
            }
            .into());
        }
    }
    if output.exists() {
        if !output.is_dir() {
            return Err(UnsafeOutput::NotAFolder { output }.into());
        }
        let is_empty = fs::read_dir(&output)
            .with_context(|| format!("cannot read the output folder `{}`", output.display()))?
            .next()
            .is_none();
        if !is_empty && !output.join(OUTPUT_MARKER).is_file() {
            return Err(UnsafeOutput::NotOurs { output }.into());
        }
        if is_mount_point(&output) {
            return Err(UnsafeOutput::MountPoint { output }.into());
        }
    }
    WorkFolders::beside(&output)?.check()?;
    Ok(output)
}

/// Whether `folder` (absolute, links resolved) is where a file system is mounted: a rename
/// cannot move it, so the output cannot be swapped. A bind mount of a folder of the same file
/// system has the same device as its parent, so the mount table is read too.
#[cfg(target_os = "linux")]
fn is_mount_point(folder: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let device = |path: &Path| fs::metadata(path).map(|metadata| metadata.dev()).ok();
    let other_device = match folder.parent() {
        Some(parent) => device(folder) != device(parent),
        None => true,
    };
    other_device
        || fs::read("/proc/self/mountinfo")
            .is_ok_and(|table| mount_points(&table).any(|point| point == folder))
}

#[cfg(all(unix, not(target_os = "linux")))]
fn is_mount_point(folder: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let device = |path: &Path| fs::metadata(path).map(|metadata| metadata.dev()).ok();
    folder
        .parent()
        .is_none_or(|parent| device(folder) != device(parent))
}

#[cfg(not(unix))]
fn is_mount_point(_: &Path) -> bool {
    false
}

/// The mount points of `/proc/self/mountinfo`, the fifth field of each line, with the octal
/// escapes the kernel writes for spaces, tabs, new lines and backslashes decoded.
#[cfg(target_os = "linux")]
fn mount_points(table: &[u8]) -> impl Iterator<Item = PathBuf> + '_ {
    use std::os::unix::ffi::OsStringExt;
    table.split(|&byte| byte == b'\n').filter_map(|line| {
        let field = line.split(|&byte| byte == b' ').nth(4)?;
        let mut decoded = Vec::with_capacity(field.len());
        let mut rest = field;
        while let Some((&byte, tail)) = rest.split_first() {
            let escaped = (byte == b'\\')
                .then(|| tail.get(..3))
                .flatten()
                .and_then(|digits| u8::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok());
            match escaped {
                Some(value) => {
                    decoded.push(value);
                    rest = &tail[3..];
                }
                None => {
                    decoded.push(byte);
                    rest = tail;
                }
            }
        }
        Some(PathBuf::from(OsString::from_vec(decoded)))
    })
}

/// The absolute form of a path that may not exist yet, with links in its existing part resolved.
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    if let Ok(resolved) = fs::canonicalize(path) {
        return Ok(resolved);
    }
    let path = std::path::absolute(path)
        .with_context(|| format!("invalid output path `{}`", path.display()))?;
    let name = path
        .file_name()
        .with_context(|| format!("the output path `{}` has no folder name", path.display()))?;
    let parent = path.parent().unwrap_or(Path::new("/"));
    Ok(absolute(parent)?.join(name))
}

/// The folders beside the output that a build uses while it writes, and its lock file.
struct WorkFolders {
    output: PathBuf,
    staging: PathBuf,
    previous: PathBuf,
    lock: PathBuf,
}

impl WorkFolders {
    fn beside(output: &Path) -> anyhow::Result<Self> {
        let parent = output
            .parent()
            .context("the output folder has no parent folder")?;
        let name = output
            .file_name()
            .context("the output folder has no name")?;
        let sibling = |suffix: &str| {
            let mut sibling = OsString::from(".");
            sibling.push(name);
            sibling.push(suffix);
            parent.join(sibling)
        };
        Ok(WorkFolders {
            output: output.to_path_buf(),
            staging: sibling(".aimsite-new"),
            previous: sibling(".aimsite-old"),
            lock: sibling(".aimsite-lock"),
        })
    }

    /// Refuses work folders that are no folder: a symbolic link there (committed with the site,
    /// or planted) would have the build delete whatever it points to. Whether a folder there
    /// was left by a build is decided under the output's lock (`recover`): before it, another
    /// build may be making or removing it.
    fn check(&self) -> Result<(), UnsafeOutput> {
        for folder in [&self.previous, &self.staging] {
            real_folder(folder)?;
        }
        Ok(())
    }

    /// Finishes what an interrupted build left: a complete previous output is put back if the
    /// build stopped between moving it away and moving the new one in; half-written folders go.
    fn recover(&self) -> anyhow::Result<()> {
        if left_by_a_build(&self.previous)? {
            if self.output.exists() {
                remove_folder(&self.previous)?;
            } else {
                fs::rename(&self.previous, &self.output).with_context(|| {
                    format!(
                        "cannot restore the previous output from `{}`",
                        self.previous.display()
                    )
                })?;
            }
        }
        if left_by_a_build(&self.staging)? {
            links::recover(self)?;
            remove_folder(&self.staging)?;
        }
        Ok(())
    }
}

/// Whether a work folder is there, refusing anything there that is not a real folder.
fn real_folder(folder: &Path) -> Result<bool, UnsafeOutput> {
    let in_the_way = |what| UnsafeOutput::WorkFolderInTheWay {
        path: folder.to_path_buf(),
        what,
    };
    let metadata = match fs::symlink_metadata(folder) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(_) => return Err(in_the_way("a path that cannot be read")),
    };
    if metadata.file_type().is_symlink() {
        return Err(in_the_way("a symbolic link"));
    }
    if !metadata.is_dir() {
        return Err(in_the_way("not a folder"));
    }
    Ok(true)
}

/// Whether a work folder is there, refusing one that no build left. A build writes the marker
/// first into a new folder and removes it last (`remove_folder`), so a folder it left, even
/// when killed, is empty or holds the marker.
fn left_by_a_build(folder: &Path) -> Result<bool, UnsafeOutput> {
    if !real_folder(folder)? {
        return Ok(false);
    }
    let in_the_way = |what| UnsafeOutput::WorkFolderInTheWay {
        path: folder.to_path_buf(),
        what,
    };
    let marked = fs::symlink_metadata(folder.join(OUTPUT_MARKER)).is_ok_and(|m| m.is_file());
    let empty = fs::read_dir(folder).is_ok_and(|mut entries| entries.next().is_none());
    if marked || empty {
        Ok(true)
    } else {
        Err(in_the_way(
            "a folder that aimsite did not write (it has no `.aimsite-output` file)",
        ))
    }
}

fn remove_folder(folder: &Path) -> anyhow::Result<()> {
    let removed = match fs::symlink_metadata(folder) {
        Ok(metadata) if metadata.is_dir() => remove_tree(folder, Some(OUTPUT_MARKER)),
        Ok(_) => Err(io::Error::other("it is not a folder")),
        Err(error) => Err(error),
    };
    removed.with_context(|| {
        format!(
            "cannot remove `{}` left by an earlier build",
            folder.display()
        )
    })
}

/// Removes a folder and everything in it, the subfolders in parallel: a previous output of
/// 10,000 pages took a tenth of a second to remove on one thread. Symbolic links are removed,
/// never followed. The entry named `last` goes after every other one, so that a folder whose
/// removal is interrupted still holds it.
fn remove_tree(folder: &Path, last: Option<&str>) -> io::Result<()> {
    let entries = fs::read_dir(folder)?.collect::<io::Result<Vec<_>>>()?;
    let is_last = |entry: &fs::DirEntry| last.is_some_and(|last| entry.file_name() == last);
    // Split finely, or one thread may be left with a long run of folders at the end.
    entries
        .par_iter()
        .with_max_len(64)
        .filter(|entry| !is_last(entry))
        .try_for_each(|entry| {
            if !entry.file_type()?.is_dir() {
                fs::remove_file(entry.path())
            } else if remove_page_folder(&entry.path()) {
                Ok(())
            } else {
                remove_tree(&entry.path(), None)
            }
        })?;
    if let Some(entry) = entries.iter().find(|entry| is_last(entry)) {
        fs::remove_file(entry.path())?;
    }
    fs::remove_dir(folder)
}

/// Removes a page's folder that holds nothing but its `index.html`, as most of an output's
/// folders do, in two calls instead of the six that listing it takes. False when the folder
/// holds anything else; it is then left for `remove_tree` to list, less its `index.html`.
fn remove_page_folder(folder: &Path) -> bool {
    // `folder` is a real folder (its entry said so, and links are never followed), so the
    // file removed is inside it.
    fs::remove_file(folder.join("index.html")).is_ok() && fs::remove_dir(folder).is_ok()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `folder` joined with `relative` (a path with `/` separators and no `.` or `..`), as
/// `Path::join` would join them but without reading either path's parts: a warm build with many
/// images joins thousands.
pub fn joined(folder: &Path, relative: &str) -> PathBuf {
    let mut path = OsString::with_capacity(folder.as_os_str().len() + 1 + relative.len());
    path.push(folder);
    if !folder.as_os_str().as_encoded_bytes().ends_with(b"/") {
        path.push("/");
    }
    path.push(relative);
    PathBuf::from(path)
}

/// When what is at `path` was last modified, in nanoseconds since 1970.
fn modified(path: &Path) -> Option<u128> {
    stamp_of(&fs::metadata(path).ok()?)
}

/// The modification time in `metadata`, in nanoseconds since 1970: what records of files
/// and folders compare to know them unchanged.
pub fn stamp_of(metadata: &fs::Metadata) -> Option<u128> {
    let modified = metadata.modified().ok()?;
    Some(
        modified
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos(),
    )
}

/// A hard link where the file system allows one, else a copy.
fn link_or_copy(source: &Path, path: &Path) -> io::Result<()> {
    fs::hard_link(source, path).or_else(|_| fs::copy(source, path).map(|_| ()))
}

/// Writes `files` as the new content of `output` (already checked), atomically replacing it.
pub fn write(output: &Path, files: &[OutputFile]) -> anyhow::Result<()> {
    let staging = Staging::begin(output, &mut |_| {})?;
    files
        .par_iter()
        .try_for_each(|file| staging.write(file.clone()))?;
    staging.commit()
}

thread_local! {
    /// The files template functions stood for during each page's rendering under way on this
    /// thread, innermost last (`made_while`).
    static MADE_WHILE_RENDERING: std::cell::RefCell<Vec<Vec<OutputFile>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `render` (one page's template), giving its result and every file a template function
/// said it stood for meanwhile (`note_made`). Renders started on this thread while it waits
/// (a thread pool's stolen work) keep their own.
pub fn made_while<T>(render: impl FnOnce() -> T) -> (T, Vec<OutputFile>) {
    MADE_WHILE_RENDERING.with(|made| made.borrow_mut().push(Vec::new()));
    let result = render();
    let made = MADE_WHILE_RENDERING.with(|made| made.borrow_mut().pop().unwrap_or_default());
    (result, made)
}

/// Tells the page being rendered on this thread, if any, that its output stands for the
/// files `files` makes (made only then), even where the feature hands them on only once for
/// the whole build.
pub fn note_made<I: IntoIterator<Item = OutputFile>>(files: impl FnOnce() -> I) {
    MADE_WHILE_RENDERING.with(|made| {
        if let Some(current) = made.borrow_mut().last_mut() {
            current.extend(files());
        }
    });
}

/// Files handed over from any thread and kept in memory, given back in path order so that the
/// same site always gives the same list.
#[derive(Default)]
pub struct Collected(Mutex<Vec<OutputFile>>);

impl Collected {
    pub fn push(&self, file: OutputFile) {
        lock(&self.0).push(file);
    }

    /// A copy of the files handed over so far.
    pub fn so_far(&self) -> Vec<OutputFile> {
        lock(&self.0).clone()
    }

    /// The files in path order, each once: a file two pages stand for (an image both show)
    /// may be handed over by each.
    pub fn into_sorted(self) -> Vec<OutputFile> {
        let mut files = self
            .0
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path && a.contents.same_as(&b.contents));
        files
    }
}

/// A new output being written beside the old one. Files go in as they are made, from any
/// thread; `commit` swaps the whole folder into place. Dropped without a commit, it removes
/// what it wrote and the previous output stays as it was. It holds the output's lock from
/// start to end, so that two builds never write into one output at once.
pub struct Staging {
    folders: WorkFolders,
    /// The files that are links to cache entries: placed at the commit, where a folder of
    /// them can be carried over from the previous output whole.
    links: Mutex<Vec<links::Linked>>,
    /// What the last build placed of them (`remember_links_in`).
    links_record: Option<links::LinksRecord>,
    committed: bool,
    // Dropped after `drop` has removed an unfinished staging folder.
    _lock: OutputLock,
}

/// Said when a build must wait for another one writing into the same output.
#[derive(Debug)]
pub struct Waiting<'a> {
    pub output: &'a Path,
    pub lock: &'a Path,
}

impl std::fmt::Display for Waiting<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "waiting for another build into `{}` to finish (it holds `{}`)",
            self.output.display(),
            self.lock.display()
        )
    }
}

impl Staging {
    /// Takes the output's lock, waiting while another build holds it (`on_wait` is called
    /// then), finishes what an interrupted build left beside `output` and starts a new staging
    /// folder.
    pub fn begin(output: &Path, on_wait: &mut dyn FnMut(Waiting)) -> anyhow::Result<Staging> {
        if let Some(parent) = output.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder `{}`", parent.display()))?;
        }
        let folders = WorkFolders::beside(output)?;
        let lock = OutputLock::take(&folders.lock, || {
            on_wait(Waiting {
                output,
                lock: &folders.lock,
            })
        })?;
        folders.recover()?;
        fs::create_dir(&folders.staging)
            .with_context(|| format!("cannot create `{}`", folders.staging.display()))?;
        let staging = Staging {
            folders,
            links: Mutex::default(),
            links_record: None,
            committed: false,
            _lock: lock,
        };
        let marker = OutputFile::text(OUTPUT_MARKER.into(), MARKER_TEXT.into());
        staging.write(marker)?;
        Ok(staging)
    }

    /// Keeps a record of the links placed in a cache folder at `cache`, so that the next
    /// build into the same output carries a folder of them it finds as this one left it
    /// without a look inside.
    pub fn remember_links_in(&mut self, cache: PathBuf) {
        self.links_record = Some(links::LinksRecord::open(CacheFolder::new(cache)));
    }

    /// Writes one file of the new output.
    pub fn write(&self, file: OutputFile) -> anyhow::Result<()> {
        // Placed at the commit, where a folder of them may be carried over whole.
        if let Contents::LinkOf(source) = file.contents {
            lock(&self.links).push(links::Linked::File(file.path, source));
            return Ok(());
        }
        let path = self.folders.staging.join(&file.path);
        // Most folders hold one page, so each is made as its file is written, without keeping
        // a list of those made: one that exists already costs a call that finds it.
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder)
                .with_context(|| format!("cannot create `{}`", folder.display()))?;
        }
        let written = match &file.contents {
            Contents::CopyOf(source) => fs::copy(source, &path).map(|_| ()),
            contents => fs::write(&path, contents.bytes().unwrap_or_default()),
        };
        written.with_context(|| format!("cannot write `{}`", path.display()))
    }

    /// Links the files of `group` into the new output, as `write` would each.
    pub fn link(&self, group: Box<dyn LinkGroup>) {
        lock(&self.links).push(links::Linked::Group(group));
    }

    /// Puts the new output in place of the old one, in one step where the system allows.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let links = std::mem::take(&mut *lock(&self.links));
        let carried = links::place(&self.folders, &links, self.links_record.as_ref())?;
        if let Err(error) = swap_into_place(&self.folders) {
            carried.give_back(&self.folders);
            return Err(error);
        }
        self.committed = true;
        carried.finish(&self.folders.output, self.links_record.as_mut());
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed && fs::symlink_metadata(&self.folders.staging).is_ok() {
            // Best effort: the next build removes it too.
            let _ = remove_folder(&self.folders.staging);
        }
    }
}

/// An exclusive lock on a file beside the output (`flock`), held while a build works there.
/// The file is removed when the lock is let go, so that a finished build leaves nothing beside
/// the output; a build killed while holding it leaves the file, unlocked, for the next one.
struct OutputLock {
    file: fs::File,
    path: PathBuf,
}

impl OutputLock {
    fn take(path: &Path, on_wait: impl FnOnce()) -> anyhow::Result<OutputLock> {
        let mut on_wait = Some(on_wait);
        loop {
            let file = open_lock_file(path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    if let Some(on_wait) = on_wait.take() {
                        on_wait();
                    }
                    file.lock()
                        .with_context(|| format!("cannot lock `{}`", path.display()))?;
                }
                Err(fs::TryLockError::Error(error)) => {
                    return Err(anyhow::Error::new(error)
                        .context(format!("cannot lock `{}`", path.display())));
                }
            }
            // The build that held the lock may have removed the file meanwhile: a lock counts
            // only on the file still at the path, or two builds could each hold one.
            if is_same_file(&file, path) {
                return Ok(OutputLock {
                    file,
                    path: path.to_path_buf(),
                });
            }
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked: a build waiting on this file then finds it gone and
        // opens a new one.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Opens the lock file, never through a symbolic link.
fn open_lock_file(path: &Path) -> anyhow::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    let file = options
        .open(path)
        .with_context(|| format!("cannot open the lock file `{}`", path.display()))?;
    match file.metadata() {
        Ok(metadata) if metadata.is_file() => Ok(file),
        _ => Err(UnsafeOutput::WorkFolderInTheWay {
            path: path.to_path_buf(),
            what: "not a file",
        }
        .into()),
    }
}

#[cfg(unix)]
fn is_same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_same_file(_: &fs::File, path: &Path) -> bool {
    path.is_file()
}

fn swap_into_place(folders: &WorkFolders) -> anyhow::Result<()> {
    let moved = |result: io::Result<()>| {
        // Where a mount point was not recognised before the build (`is_mount_point`).
        let busy = result
            .as_ref()
            .is_err_and(|error| error.kind() == io::ErrorKind::ResourceBusy);
        result.with_context(|| {
            let output = folders.output.display();
            if busy {
                format!(
                    "cannot move the new site into `{output}`: is it a mount point? A build replaces the output whole, which cannot be done to one"
                )
            } else {
                format!("cannot move the new site into `{output}`")
            }
        })
    };
    if !folders.output.exists() {
        return moved(fs::rename(&folders.staging, &folders.output));
    }
    match exchange(&folders.staging, &folders.output) {
        // The staging path now holds the previous output.
        Ok(()) => remove_folder(&folders.staging),
        Err(_) => {
            moved(fs::rename(&folders.output, &folders.previous))?;
            moved(fs::rename(&folders.staging, &folders.output))?;
            remove_folder(&folders.previous)
        }
    }
}

/// Swaps two folders in one step, so there is no moment without an output folder.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let status = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no atomic exchange",
    ))
}

/// A folder of files kept from one build to the next outside the output (the images' encoded
/// copies), each named by what it was made from, so that a name once written never needs
/// writing again. Entries are written whole or not at all; the folder ignores itself in git.
#[derive(Debug, Clone)]
pub struct CacheFolder {
    path: PathBuf,
    /// The names of its entries, read once when first asked for (a warm build asks about
    /// thousands, and one look at the folder is cheaper than one at each), then kept up to date
    /// by the writes and removals made through it.
    names: std::sync::Arc<std::sync::OnceLock<Mutex<ahash::AHashSet<String>>>>,
}

/// A partial file younger than this may be another build's, still being written (two builds
/// of one site at once: `serve` and `build`, or tests): pruning it would fail that build.
const PARTIAL_IN_USE: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// What a cache folder's own `.gitignore` says: everything in it.
const CACHE_GITIGNORE: &str = "# Written by aimsite: encoded copies, made again when missing.\n*\n";

impl CacheFolder {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CacheFolder {
            path: path.into(),
            names: std::sync::Arc::default(),
        }
    }

    fn names(&self) -> std::sync::MutexGuard<'_, ahash::AHashSet<String>> {
        let names = self.names.get_or_init(|| {
            let listed = fs::read_dir(&self.path).into_iter().flatten().flatten();
            let files = listed.filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()));
            Mutex::new(
                files
                    .filter_map(|entry| entry.file_name().into_string().ok())
                    .collect(),
            )
        });
        lock(names)
    }

    /// Where the entry `name` is (or would be).
    pub fn entry(&self, name: &str) -> PathBuf {
        joined(&self.path, name)
    }

    /// Whether the entry `name` was written.
    pub fn has(&self, name: &str) -> bool {
        self.names().contains(name)
    }

    /// The entry `name`'s bytes, when it is there.
    pub fn read(&self, name: &str) -> Option<Vec<u8>> {
        fs::read(self.entry(name)).ok()
    }

    /// Writes the entry `name`: to a name of its own first, then renamed, so that a build
    /// stopped halfway, or another writing the same entry, never leaves half a file.
    pub fn write(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.create()?;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let unique = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let partial = self
            .path
            .join(format!(".{name}.{}-{unique}.partial", std::process::id()));
        fs::write(&partial, bytes)
            .with_context(|| format!("cannot write `{}`", partial.display()))?;
        // Read-only: outputs link to it, so that changing it in place would change them.
        let mut permissions = fs::metadata(&partial)
            .with_context(|| format!("cannot read `{}`", partial.display()))?
            .permissions();
        permissions.set_readonly(true);
        fs::set_permissions(&partial, permissions)
            .with_context(|| format!("cannot write `{}`", partial.display()))?;
        let entry = self.entry(name);
        fs::rename(&partial, &entry).with_context(|| {
            let _ = fs::remove_file(&partial);
            format!("cannot write `{}`", entry.display())
        })?;
        self.names().insert(name.to_string());
        Ok(())
    }

    /// The folder's modification time, in nanoseconds since 1970: it changes whenever an
    /// entry is added, removed or renamed, but not when one is rewritten in place.
    pub fn stamp(&self) -> Option<u128> {
        modified(&self.path)
    }

    /// Writes the entry `name` with the text `write` makes of what `stamp` will be once it is
    /// written: the entry is made first if it is new, then rewritten in place, which leaves
    /// the folder's time as it is. Unlike `write`, a reader may find half of it: its text
    /// must tell when it is whole (a last line, say).
    pub fn write_stamped(
        &self,
        name: &str,
        write: impl FnOnce(u128) -> String,
    ) -> anyhow::Result<()> {
        use std::io::Write as _;
        self.create()?;
        let path = self.entry(name);
        let open = || fs::OpenOptions::new().write(true).open(&path);
        // An entry made by `write` is read-only: it is made anew.
        let file = open().or_else(|_| {
            let _ = fs::remove_file(&path);
            fs::File::create(&path)
        });
        let mut file = file.with_context(|| format!("cannot write `{}`", path.display()))?;
        self.names().insert(name.to_string());
        let stamp = self
            .stamp()
            .with_context(|| format!("cannot read `{}`", self.path.display()))?;
        let text = write(stamp);
        file.set_len(0)
            .and_then(|()| file.write_all(text.as_bytes()))
            .with_context(|| format!("cannot write `{}`", path.display()))
    }

    fn create(&self) -> anyhow::Result<()> {
        if fs::symlink_metadata(&self.path).is_ok_and(|metadata| metadata.is_dir()) {
            return Ok(());
        }
        fs::create_dir_all(&self.path)
            .with_context(|| format!("cannot create the cache folder `{}`", self.path.display()))?;
        let ignore = self.path.join(".gitignore");
        fs::write(&ignore, CACHE_GITIGNORE)
            .with_context(|| format!("cannot write `{}`", ignore.display()))
    }

    /// Removes every entry whose name `keep` refuses (and partial files older builds left,
    /// not those another build may be writing), giving how many went. The folder's own
    /// `.gitignore` stays. What another process wrote since this one first looked at the
    /// folder waits for the next build's look.
    pub fn prune(&self, keep: impl Fn(&str) -> bool) -> anyhow::Result<usize> {
        if let Err(error) = fs::symlink_metadata(&self.path) {
            return match error.kind() {
                io::ErrorKind::NotFound => Ok(0),
                _ => Err(error).with_context(|| format!("cannot read `{}`", self.path.display())),
            };
        }
        // The names as listed once this build (and kept up to date since), not listed again.
        let stale: Vec<String> = self
            .names()
            .iter()
            .filter(|name| *name != ".gitignore" && !keep(name))
            .cloned()
            .collect();
        let mut removed = 0;
        for name in stale {
            let path = self.entry(&name);
            if is_recent_partial(&name, &path) {
                continue;
            }
            match fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(error)
                        .with_context(|| format!("cannot remove `{}`", path.display()));
                }
            }
            self.names().remove(&name);
        }
        Ok(removed)
    }
}

fn is_recent_partial(name: &str, path: &Path) -> bool {
    if !name.ends_with(".partial") {
        return false;
    }
    let Ok(modified) = fs::metadata(path).and_then(|metadata| metadata.modified()) else {
        return false;
    };
    // A time ahead of the clock counts as recent: it is no proof of an abandoned file.
    !matches!(modified.elapsed(), Ok(age) if age >= PARTIAL_IN_USE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "aimsite-output-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("site/content")).unwrap();
        dir
    }

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile::text(path.into(), text.into())
    }

    #[test]
    fn a_new_build_replaces_the_old_one_whole() {
        let dir = temp();
        let output = dir.join("site/public");
        write(
            &output,
            &[file("a/index.html", "one"), file("stale.html", "x")],
        )
        .unwrap();
        write(&output, &[file("a/index.html", "two")]).unwrap();
        assert_eq!(
            fs::read_to_string(output.join("a/index.html")).unwrap(),
            "two"
        );
        assert!(!output.join("stale.html").exists());
        let leftovers: Vec<_> = fs::read_dir(dir.join("site"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn removing_the_old_output_never_follows_links_out_of_it() {
        let dir = temp();
        let output = dir.join("site/public");
        let outside = dir.join("outside");
        fs::create_dir_all(outside.join("deep")).unwrap();
        fs::write(outside.join("deep/keep.txt"), "keep").unwrap();
        let pages: Vec<OutputFile> = (0..50)
            .map(|n| file(&format!("articles/{n}/index.html"), "old"))
            .collect();
        write(&output, &pages).unwrap();
        std::os::unix::fs::symlink(&outside, output.join("articles/link")).unwrap();
        std::os::unix::fs::symlink(outside.join("deep/keep.txt"), output.join("file-link"))
            .unwrap();
        write(&output, &[file("index.html", "new")]).unwrap();
        assert_eq!(
            fs::read_to_string(outside.join("deep/keep.txt")).unwrap(),
            "keep"
        );
        assert!(!output.join("articles").exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_the_previous_output() {
        let dir = temp();
        let output = dir.join("site/public");
        write(&output, &[file("index.html", "old")]).unwrap();
        let missing = OutputFile {
            path: "copy.png".into(),
            contents: Contents::CopyOf(dir.join("does-not-exist.png")),
        };
        assert!(write(&output, &[file("index.html", "new"), missing]).is_err());
        assert_eq!(
            fs::read_to_string(output.join("index.html")).unwrap(),
            "old"
        );
        assert!(!dir.join("site/.public.aimsite-new").exists());
        fs::remove_dir_all(dir).unwrap();
    }

    fn linked(path: &str, entry: &Path) -> OutputFile {
        OutputFile::link(path.into(), entry.to_path_buf())
    }

    /// A cache folder with these entries, each holding its name.
    fn cache(dir: &Path, names: &[&str]) -> PathBuf {
        let cache = dir.join("cache");
        fs::create_dir_all(&cache).unwrap();
        for name in names {
            fs::write(cache.join(name), name).unwrap();
        }
        cache
    }

    fn names_in(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_of_links_is_carried_over_whole_and_pruned() {
        use std::os::unix::fs::MetadataExt;
        let dir = temp();
        let output = dir.join("site/public");
        let cache = cache(&dir, &["a", "b", "c", "d"]);
        let entry = |name: &str| cache.join(name);
        let pages = |text: &str| file("index.html", text);
        write(
            &output,
            &[
                pages("one"),
                linked("img/a.webp", &entry("a")),
                linked("img/b.webp", &entry("b")),
            ],
        )
        .unwrap();
        let folder_before = fs::metadata(output.join("img")).unwrap().ino();
        // Something other than a file holds a name the next build links.
        fs::create_dir(output.join("img/d.webp")).unwrap();
        write(
            &output,
            &[
                pages("two"),
                linked("img/b.webp", &entry("b")),
                linked("img/c.webp", &entry("c")),
                linked("img/d.webp", &entry("d")),
            ],
        )
        .unwrap();
        let folder_after = fs::metadata(output.join("img")).unwrap().ino();
        assert_eq!(folder_after, folder_before, "carried, not made anew");
        assert_eq!(
            names_in(&output.join("img")),
            ["b.webp", "c.webp", "d.webp"]
        );
        for name in ["b", "c", "d"] {
            let copy = fs::read_to_string(output.join(format!("img/{name}.webp"))).unwrap();
            assert_eq!(copy, name);
        }
        assert_eq!(
            fs::read_to_string(output.join("index.html")).unwrap(),
            "two"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    /// Slips a stray file into `folder` without changing the folder's time, as nothing but a
    /// look inside would find.
    fn slip_a_stray_into(folder: &Path) {
        let left_at = fs::metadata(folder).unwrap().modified().unwrap();
        fs::write(folder.join("stray.webp"), "stray").unwrap();
        fs::File::open(folder)
            .unwrap()
            .set_modified(left_at)
            .unwrap();
    }

    /// Links `group` as the new output, recording its folders of links in `record`.
    fn link_recorded(output: &Path, group: impl LinkGroup + 'static, record: &Path) {
        let mut staging = Staging::begin(output, &mut |_| {}).unwrap();
        staging.remember_links_in(record.to_path_buf());
        staging.link(Box::new(group));
        staging.commit().unwrap();
    }

    /// Writes `files` as the new output, recording its folders of links in `record`.
    fn write_recorded(output: &Path, files: &[OutputFile], record: &Path) {
        let mut staging = Staging::begin(output, &mut |_| {}).unwrap();
        staging.remember_links_in(record.to_path_buf());
        for file in files {
            staging.write(file.clone()).unwrap();
        }
        staging.commit().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_of_links_its_record_vouches_for_is_carried_unlisted() {
        let dir = temp();
        let output = dir.join("site/public");
        let record = dir.join("cache-output");
        let cache = cache(&dir, &["a", "b"]);
        let files = [
            file("index.html", "page"),
            linked("img/a.webp", &cache.join("a")),
            linked("img/b.webp", &cache.join("b")),
        ];
        write_recorded(&output, &files, &record);
        let recorded = fs::read_to_string(record.join("links.tsv")).unwrap();
        assert!(recorded.starts_with("2\t"), "{recorded}");
        assert!(recorded.trim_end().ends_with("\timg"), "{recorded}");

        // A stray file slipped in while the folder kept its time is not seen: the folder is
        // carried as the record says it was left, without a look inside.
        let images = output.join("img");
        slip_a_stray_into(&images);
        write_recorded(&output, &files, &record);
        assert_eq!(names_in(&images), ["a.webp", "b.webp", "stray.webp"]);
        assert_eq!(
            fs::read_to_string(record.join("links.tsv")).unwrap(),
            recorded
        );

        // Its time changed, the folder is listed and put right: the stray goes, a lost copy
        // comes back.
        fs::remove_file(images.join("a.webp")).unwrap();
        write_recorded(&output, &files, &record);
        assert_eq!(names_in(&images), ["a.webp", "b.webp"]);
        assert_eq!(fs::read_to_string(images.join("a.webp")).unwrap(), "a");

        // Other links wanted: listed too.
        write_recorded(&output, &files[..2], &record);
        assert_eq!(names_in(&images), ["a.webp"]);
        fs::remove_dir_all(dir).unwrap();
    }

    /// Links named `{prefix}{suffix}` in one folder, as a feature hands them over.
    struct Prefixed {
        folder: &'static str,
        prefix: &'static str,
        /// Each file's suffix and entry.
        files: Vec<(&'static str, PathBuf)>,
    }

    impl LinkGroup for Prefixed {
        fn folder(&self) -> &str {
            self.folder
        }

        fn sum(&self) -> LinkSum {
            let prefix = PathHash::of(self.folder).then("/").then(self.prefix);
            (self.files.iter()).fold(LinkSum::default(), |sum, (suffix, _)| {
                sum.with(prefix.then(suffix))
            })
        }

        fn files(&self) -> Vec<(String, PathBuf)> {
            (self.files.iter())
                .map(|(suffix, entry)| {
                    let path = format!("{}/{}{suffix}", self.folder, self.prefix);
                    (path, entry.clone())
                })
                .collect()
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_group_of_links_is_placed_as_its_files_would_be() {
        let dir = temp();
        let output = dir.join("site/public");
        let record = dir.join("cache-output");
        let cache = cache(&dir, &["a", "b"]);
        let group = |suffixes: &[&'static str]| Prefixed {
            folder: "img",
            prefix: "photo-",
            files: (suffixes.iter())
                .map(|suffix| (*suffix, cache.join(&suffix[..1])))
                .collect(),
        };
        link_recorded(&output, group(&["a.webp", "b.webp"]), &record);
        let images = output.join("img");
        assert_eq!(names_in(&images), ["photo-a.webp", "photo-b.webp"]);
        assert_eq!(
            fs::read_to_string(images.join("photo-b.webp")).unwrap(),
            "b"
        );
        let recorded = fs::read_to_string(record.join("links.tsv")).unwrap();

        // The same files handed over one by one make the same record: the folder, untouched,
        // is carried without a look inside (a stray slipped in at the same time stays).
        slip_a_stray_into(&images);
        let one_by_one = [
            linked("img/photo-a.webp", &cache.join("a")),
            linked("img/photo-b.webp", &cache.join("b")),
        ];
        write_recorded(&output, &one_by_one, &record);
        assert_eq!(
            fs::read_to_string(record.join("links.tsv")).unwrap(),
            recorded
        );
        assert_eq!(names_in(&images).len(), 3);

        // Fewer wanted: the folder is listed and put right.
        link_recorded(&output, group(&["a.webp"]), &record);
        assert_eq!(names_in(&images), ["photo-a.webp"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_build_gives_a_carried_folder_back_as_it_was() {
        let dir = temp();
        let output = dir.join("site/public");
        let cache = cache(&dir, &["a", "b"]);
        write(
            &output,
            &[
                file("index.html", "old"),
                linked("img/a.webp", &cache.join("a")),
            ],
        )
        .unwrap();
        let broken = [
            file("index.html", "new"),
            linked("img/a.webp", &cache.join("a")),
            linked("img/b.webp", &cache.join("b")),
            linked("img/gone.webp", &dir.join("no-such-entry")),
        ];
        assert!(write(&output, &broken).is_err());
        assert_eq!(
            fs::read_to_string(output.join("index.html")).unwrap(),
            "old"
        );
        assert_eq!(names_in(&output.join("img")), ["a.webp"]);
        assert!(!dir.join("site/.public.aimsite-new").exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_folder_carried_by_a_killed_build_goes_back_first() {
        let dir = temp();
        let output = dir.join("site/public");
        let cache = cache(&dir, &["a"]);
        write(
            &output,
            &[
                file("index.html", "old"),
                linked("img/a.webp", &cache.join("a")),
            ],
        )
        .unwrap();
        // As if killed between carrying `img` into the staging folder and the swap.
        let folders = WorkFolders::beside(&output).unwrap();
        fs::create_dir(&folders.staging).unwrap();
        fs::write(folders.staging.join(OUTPUT_MARKER), MARKER_TEXT).unwrap();
        let linked = links::Linked::File("img/a.webp".into(), cache.join("a"));
        links::place(&folders, &[linked], None).unwrap();
        assert!(!output.join("img").exists());
        folders.recover().unwrap();
        assert_eq!(fs::read_to_string(output.join("img/a.webp")).unwrap(), "a");
        assert_eq!(
            fs::read_to_string(output.join("index.html")).unwrap(),
            "old"
        );
        assert!(!folders.staging.exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn links_beside_other_files_are_linked_one_by_one() {
        let dir = temp();
        let output = dir.join("site/public");
        let cache = cache(&dir, &["a", "b"]);
        write(
            &output,
            &[
                linked("img/a.webp", &cache.join("a")),
                file("img/old.txt", "x"),
            ],
        )
        .unwrap();
        write(
            &output,
            &[
                linked("img/b.webp", &cache.join("b")),
                file("img/notes.txt", "y"),
                linked("top.webp", &cache.join("a")),
            ],
        )
        .unwrap();
        assert_eq!(names_in(&output.join("img")), ["b.webp", "notes.txt"]);
        assert_eq!(fs::read_to_string(output.join("top.webp")).unwrap(), "a");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_interrupted_swap_is_recovered() {
        let dir = temp();
        let output = dir.join("site/public");
        write(&output, &[file("index.html", "old")]).unwrap();
        // As if killed between moving the old output away and moving the new one in.
        fs::rename(&output, dir.join("site/.public.aimsite-old")).unwrap();
        fs::create_dir(dir.join("site/.public.aimsite-new")).unwrap();
        write(&output, &[file("index.html", "new")]).unwrap();
        assert_eq!(
            fs::read_to_string(output.join("index.html")).unwrap(),
            "new"
        );
        assert!(!dir.join("site/.public.aimsite-old").exists());
        assert!(!dir.join("site/.public.aimsite-new").exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn refuses_folders_that_hold_sources_or_foreign_files() {
        let dir = temp();
        let root = dir.join("site");
        let refused = |output: PathBuf| match check_output_folder(
            &root,
            &output,
            &["content", "templates", "static"],
        ) {
            Err(crate::Error::Environment { error, help }) => {
                let refused = error.downcast::<UnsafeOutput>().unwrap();
                assert_eq!(help.as_deref(), Some(refused.help()));
                refused
            }
            other => panic!("not refused: {other:?}"),
        };
        assert!(matches!(
            refused(root.clone()),
            UnsafeOutput::ContainsRoot { .. }
        ));
        assert!(matches!(
            refused(dir.clone()),
            UnsafeOutput::ContainsRoot { .. }
        ));
        assert!(matches!(
            refused(root.join("content")),
            UnsafeOutput::OverlapsSources { .. }
        ));
        assert!(matches!(
            refused(root.join("static/out")),
            UnsafeOutput::OverlapsSources { .. }
        ));
        fs::create_dir_all(dir.join("other")).unwrap();
        fs::write(dir.join("other/notes.txt"), "mine").unwrap();
        assert!(matches!(
            refused(dir.join("other")),
            UnsafeOutput::NotOurs { .. }
        ));
        assert!(check_output_folder(&root, &root.join("public"), &["content"]).is_ok());
        fs::remove_dir_all(dir).unwrap();
    }
    #[test]
    fn pruning_the_cache_spares_what_another_build_is_writing() {
        let dir = temp();
        let cache = CacheFolder::new(dir.join("cache"));
        cache.write("kept", b"kept").unwrap();
        cache.write("unused", b"unused").unwrap();
        let writing = dir.join("cache/.unused.4242-0.partial");
        let abandoned = dir.join("cache/.unused.4242-1.partial");
        fs::write(&writing, b"half").unwrap();
        fs::write(&abandoned, b"half").unwrap();
        let long_ago = std::time::SystemTime::now() - 2 * PARTIAL_IN_USE;
        fs::File::options()
            .write(true)
            .open(&abandoned)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        // The next build's look at the folder: its listing is what it prunes.
        let cache = CacheFolder::new(dir.join("cache"));
        let keep = std::collections::HashSet::from(["kept".to_string()]);
        assert_eq!(cache.prune(|name| keep.contains(name)).unwrap(), 2);
        assert!(cache.has("kept"));
        assert!(!cache.has("unused"));
        assert!(writing.exists(), "a partial file being written was removed");
        assert!(!abandoned.exists(), "an abandoned partial file was kept");
        fs::remove_dir_all(dir).unwrap();
    }
}
