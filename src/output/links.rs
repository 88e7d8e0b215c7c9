//! The output files that are links to cache entries (`Contents::LinkOf`), placed when a build
//! commits. A folder that holds only such files is carried over from the previous output whole,
//! with one rename, rather than linked file by file into the new output and removed file by
//! file with the old one: for a site with a thousand image copies, that file system work was
//! nearly half of a rebuild.
//!
//! The previous output stays as it was until the swap: a carried folder only gains files
//! before it (the new copies; a copy whose name something else holds waits under another), and
//! goes back whole if the build fails. Copies no longer used are removed after the swap. A
//! build killed between carrying a folder and the swap leaves a record of it in the staging
//! folder, and the next build gives the folder back (`recover`) before anything else.
//!
//! What each build placed is recorded outside the output (`LinksRecord`), so that the next one
//! carries a folder it finds as it was left, wanting the same links, without a look inside.

use std::collections::BTreeMap;

use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{CacheFolder, OutputFile, WorkFolders, link_or_copy, modified, remove_tree};

/// The staging folder's record of the folders carried into it, one path a line.
const CARRIED_RECORD: &str = ".aimsite-carried";

/// The folders taken from the previous output into the new one.
#[derive(Default)]
pub(super) struct Carried {
    folders: Vec<CarriedFolder>,
    /// The folders made anew that hold links only, with the links.
    made: Vec<(String, LinkSum)>,
}

struct CarriedFolder {
    /// Below the output, with `/` separators.
    path: String,
    /// The links wanted there.
    links: LinkSum,
    /// What the previous output had in it that the new one does not, removed after the swap.
    unused: Vec<String>,
    /// The copies it did not have, added before the swap.
    added: Vec<String>,
    /// The copies whose name something other than a file holds (a folder), each with the name
    /// it waits under until the swap.
    changed: Vec<(String, String)>,
}

/// Files of a `CacheFolder` linked into one output folder (each as `Contents::LinkOf` would
/// be), handed over together (`Staging::link`) by what knows how they are named: a folder the
/// last build left holding them then costs nothing per file.
pub trait LinkGroup: Send + Sync {
    /// The output folder that holds them, with `/` separators.
    fn folder(&self) -> &str;
    /// How many they are, with their output paths' `PathHash`es summed, known without naming
    /// each file.
    fn sum(&self) -> LinkSum;
    /// Each file's path below the output (in `folder`) and the entry it links to.
    fn files(&self) -> Vec<(String, PathBuf)>;
}

/// The files of `group`, as `Contents::LinkOf` output files.
pub fn files_of(group: &dyn LinkGroup) -> impl Iterator<Item = OutputFile> {
    (group.files().into_iter()).map(|(path, entry)| OutputFile::link(path, entry))
}

/// What a build links into its output: a file at a time, or a group.
pub(super) enum Linked {
    /// Its output path and the entry it links to.
    File(String, PathBuf),
    Group(Box<dyn LinkGroup>),
}

impl Linked {
    fn folder(&self) -> &str {
        match self {
            Linked::File(path, _) => split(path).0,
            Linked::Group(group) => group.folder(),
        }
    }

    fn sum(&self) -> LinkSum {
        match self {
            Linked::File(path, _) => LinkSum::default().with(PathHash::of(path)),
            Linked::Group(group) => group.sum(),
        }
    }
}

/// A path's folder and name.
fn split(path: &str) -> (&str, &str) {
    match memchr::memrchr(b'/', path.as_bytes()) {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => ("", path),
    }
}

/// Each file of `linked` (all in one folder): its name there and the entry it links to.
fn named(linked: &[&Linked]) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    for linked in linked {
        match linked {
            Linked::File(path, entry) => files.push((split(path).1.to_string(), entry.clone())),
            Linked::Group(group) => files.extend(
                (group.files().into_iter())
                    .map(|(path, entry)| (split(&path).1.to_string(), entry)),
            ),
        }
    }
    files
}

/// Places the linked files in the staging folder: each folder of them carried over from the
/// previous output where it can be, the others linked one by one. On an error, what was
/// carried goes back.
pub(super) fn place(
    folders: &WorkFolders,
    links: &[Linked],
    record: Option<&LinksRecord>,
) -> anyhow::Result<Carried> {
    let mut by_folder: BTreeMap<&str, Vec<&Linked>> = BTreeMap::new();
    for linked in links {
        by_folder.entry(linked.folder()).or_default().push(linked);
    }
    let all: Vec<&str> = by_folder.keys().copied().collect();
    let output = folders.output.to_string_lossy();
    let mut carried = Carried::default();
    for (folder, linked) in &by_folder {
        let wanted = (linked.iter()).fold(LinkSum::default(), |sum, linked| sum.plus(linked.sum()));
        let placed = if can_carry(folders, folder, &all) {
            let as_left = record.is_some_and(|record| {
                record.left(&output, folder, &wanted, &folders.output.join(folder))
            });
            carry(folders, folder, linked, wanted, as_left, &mut carried)
        } else {
            let staged = folders.staging.join(folder);
            // Nothing else is written there now: made here, it holds the links only.
            if fs::symlink_metadata(&staged).is_err() {
                carried.made.push((folder.to_string(), wanted));
            }
            link_each(&staged, &named(linked))
        };
        if let Err(error) = placed {
            carried.give_back(folders);
            return Err(error);
        }
    }
    Ok(carried)
}

/// Whether `folder` can be taken whole from the previous output: it is a real folder there
/// (no link on the way out of the output), the new output has nothing else in it, and it
/// neither holds nor lies in another folder of links.
fn can_carry(folders: &WorkFolders, folder: &str, all: &[&str]) -> bool {
    let nested = |other: &&str| {
        *other != folder
            && (other.starts_with(&format!("{folder}/"))
                || folder.starts_with(&format!("{other}/")))
    };
    if folder.is_empty() || all.iter().any(nested) {
        return false;
    }
    if fs::symlink_metadata(folders.staging.join(folder)).is_ok() {
        return false;
    }
    let mut path = folders.output.clone();
    folder.split('/').all(|part| {
        path.push(part);
        fs::symlink_metadata(&path).is_ok_and(|metadata| metadata.is_dir())
    })
}

fn carry(
    folders: &WorkFolders,
    folder: &str,
    linked: &[&Linked],
    links: LinkSum,
    as_left: bool,
    carried: &mut Carried,
) -> anyhow::Result<()> {
    let from = folders.output.join(folder);
    let to = folders.staging.join(folder);
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    record(&folders.staging, folder)?;
    fs::rename(&from, &to)
        .with_context(|| format!("cannot move `{}` into the new output", from.display()))?;
    carried.folders.push(CarriedFolder {
        path: folder.to_string(),
        links,
        unused: Vec::new(),
        added: Vec::new(),
        changed: Vec::new(),
    });
    let Some(entry) = carried.folders.last_mut() else {
        return Ok(());
    };
    // It holds the links wanted, and nothing else.
    if as_left {
        return Ok(());
    }
    // One look at the folder: an output path always links to the same bytes
    // (`Contents::LinkOf`), so a file of that name there is the copy wanted.
    let files = named(linked);
    let there: HashMap<String, bool> = fs::read_dir(&to)
        .with_context(|| format!("cannot read `{}`", to.display()))?
        .flatten()
        .filter_map(|found| {
            let is_file = found.file_type().is_ok_and(|kind| kind.is_file());
            Some((found.file_name().into_string().ok()?, is_file))
        })
        .collect();
    for (name, source) in &files {
        let waiting = match there.get(name) {
            Some(true) => continue,
            Some(false) => {
                let waiting = format!(".{name}.aimsite-new");
                let _ = fs::remove_file(to.join(&waiting));
                entry.changed.push((name.to_string(), waiting.clone()));
                waiting
            }
            None => {
                entry.added.push(name.to_string());
                name.to_string()
            }
        };
        link_or_copy(source, &to.join(waiting))
            .with_context(|| format!("cannot write `{}`", to.join(name).display()))?;
    }
    let wanted: HashSet<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    entry.unused = there
        .into_keys()
        .filter(|name| !wanted.contains(name.as_str()))
        .collect();
    Ok(())
}

/// Notes in the staging folder, before it happens, that `folder` is carried into it.
fn record(staging: &Path, folder: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let path = staging.join(CARRIED_RECORD);
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| writeln!(file, "{folder}"))
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// Gives back to the output the folders that a killed build carried into its staging folder.
pub(super) fn recover(folders: &WorkFolders) -> anyhow::Result<()> {
    let Ok(record) = fs::read_to_string(folders.staging.join(CARRIED_RECORD)) else {
        return Ok(());
    };
    for folder in record.lines().filter(|folder| is_plain_relative(folder)) {
        let staged = folders.staging.join(folder);
        let home = folders.output.join(folder);
        let staged_is_folder = fs::symlink_metadata(&staged).is_ok_and(|m| m.is_dir());
        if staged_is_folder && fs::symlink_metadata(&home).is_err() {
            fs::rename(&staged, &home).with_context(|| {
                format!(
                    "cannot give `{}` back to the previous output",
                    home.display()
                )
            })?;
        }
    }
    Ok(())
}

/// A path of names below a folder: no `..`, `.`, empty part or root.
fn is_plain_relative(path: &str) -> bool {
    !path.is_empty() && path.split('/').all(|part| !matches!(part, "" | "." | ".."))
}

fn link_each(folder: &Path, files: &[(String, PathBuf)]) -> anyhow::Result<()> {
    fs::create_dir_all(folder).with_context(|| format!("cannot create `{}`", folder.display()))?;
    for (name, source) in files {
        let path = folder.join(name);
        link_or_copy(source, &path)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(())
}

impl Carried {
    /// After a failed build: each carried folder goes back to the previous output as it was.
    /// Best effort, as the build's own error is what is reported.
    pub(super) fn give_back(&self, folders: &WorkFolders) {
        for folder in self.folders.iter().rev() {
            let staged = folders.staging.join(&folder.path);
            let made = folder
                .added
                .iter()
                .chain(folder.changed.iter().map(|(_, waiting)| waiting));
            for name in made {
                let _ = fs::remove_file(staged.join(name));
            }
            let _ = fs::rename(&staged, folders.output.join(&folder.path));
        }
    }

    /// After the swap: waiting copies take their names, and copies the new output no
    /// longer uses go. Best effort: an unused copy left behind breaks nothing, and the next
    /// build removes it. What each folder holds then is recorded in `record`, when it is
    /// known.
    pub(super) fn finish(&self, output: &Path, record: Option<&mut LinksRecord>) {
        if !self.folders.is_empty() {
            let _ = fs::remove_file(output.join(CARRIED_RECORD));
        }
        let mut placed = Vec::new();
        for folder in &self.folders {
            let path = output.join(&folder.path);
            let mut whole = true;
            for (name, waiting) in &folder.changed {
                whole &= replace(&path.join(waiting), &path.join(name));
            }
            for name in &folder.unused {
                whole &= remove_entry(&path.join(name)).is_ok();
            }
            let stamp = modified(&path).filter(|_| whole);
            placed.extend(stamp.map(|stamp| (folder.path.as_str(), folder.links, stamp)));
        }
        for (folder, links) in &self.made {
            let stamp = modified(&output.join(folder));
            placed.extend(stamp.map(|stamp| (folder.as_str(), *links, stamp)));
        }
        if let Some(record) = record {
            record.update(&output.to_string_lossy(), placed);
        }
    }
}

/// Moves `new` over `old`, whatever `old` is; whether it could.
fn replace(new: &Path, old: &Path) -> bool {
    if fs::rename(new, old).is_ok() {
        return true;
    }
    let _ = match fs::symlink_metadata(old) {
        Ok(metadata) if metadata.is_dir() => remove_tree(old, None),
        _ => fs::remove_file(old),
    };
    fs::rename(new, old).is_ok()
}

/// Removes a file, a link (never followed) or a folder with everything in it.
fn remove_entry(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        remove_tree(path, None)
    } else {
        fs::remove_file(path)
    }
}

/// The links wanted in a folder: how many, and their output paths in one number whatever
/// their order and however they were handed over (`PathHash`). An output path always holds the
/// same bytes (`Contents::LinkOf`), so the paths say what the folder must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkSum {
    count: usize,
    paths: u64,
}

impl LinkSum {
    /// With one more link, at the path `path` hashes.
    pub fn with(self, path: PathHash) -> LinkSum {
        LinkSum {
            count: self.count + 1,
            paths: self.paths.wrapping_add(path.value()),
        }
    }

    pub fn plus(self, other: LinkSum) -> LinkSum {
        LinkSum {
            count: self.count + other.count,
            paths: self.paths.wrapping_add(other.paths),
        }
    }

    pub fn count(&self) -> usize {
        self.count
    }
}

/// A hash of an output path that can be taken in parts, so that files sharing a prefix hash
/// it once: `PathHash::of("images/a-480.webp")` is
/// `PathHash::of("images/a-").then("480").then(".webp")`. Fixed (FNV-1a), as it is compared
/// with one another process made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathHash(u64);

impl PathHash {
    pub fn of(path: &str) -> PathHash {
        PathHash(0xcbf2_9ce4_8422_2325).then(path)
    }

    /// The hash of the path this one is of, followed by `part`.
    pub fn then(self, part: &str) -> PathHash {
        let hash = part.bytes().fold(self.0, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        PathHash(hash)
    }

    /// Mixed, so that the sums of paths that differ by a character do not collide.
    fn value(self) -> u64 {
        let mut hash = self.0;
        hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        hash ^ (hash >> 31)
    }
}

/// The record's entry.
const RECORD: &str = "links.tsv";

/// What the last build into each output left in each folder of links it carried, kept in a
/// cache folder: one line a folder, with the folder's modification time once that build was
/// done, which stays while nothing is added to, removed from or renamed in it.
pub(super) struct LinksRecord {
    cache: CacheFolder,
    lines: Vec<RecordLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct RecordLine {
    output: String,
    folder: String,
    links: LinkSum,
    stamp: u128,
}

impl LinksRecord {
    pub(super) fn open(cache: CacheFolder) -> LinksRecord {
        let text = cache.read(RECORD).unwrap_or_default();
        let lines = String::from_utf8_lossy(&text)
            .lines()
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let mut next = || fields.next();
                let (count, paths, stamp) = (next()?, next()?, next()?);
                let (output, folder) = (next()?, next()?);
                Some(RecordLine {
                    output: output.to_string(),
                    folder: folder.to_string(),
                    links: LinkSum {
                        count: count.parse().ok()?,
                        paths: paths.parse().ok()?,
                    },
                    stamp: stamp.parse().ok()?,
                })
            })
            .collect();
        LinksRecord { cache, lines }
    }

    /// Whether the last build left `folder` of `output` (now at `path`) holding `wanted`, and
    /// nothing changed it since.
    fn left(&self, output: &str, folder: &str, wanted: &LinkSum, path: &Path) -> bool {
        let line = self
            .lines
            .iter()
            .find(|line| line.output == output && line.folder == folder);
        line.is_some_and(|line| line.links == *wanted && modified(path) == Some(line.stamp))
    }

    /// Records what the folders of links of `output` hold now: `(folder, links, stamp)`.
    fn update(&mut self, output: &str, placed: Vec<(&str, LinkSum, u128)>) {
        let mut lines: Vec<RecordLine> = self
            .lines
            .iter()
            .filter(|line| line.output != output)
            .cloned()
            .collect();
        lines.extend(placed.into_iter().map(|(folder, links, stamp)| RecordLine {
            output: output.to_string(),
            folder: folder.to_string(),
            links,
            stamp,
        }));
        lines.sort_by(|a, b| (&a.output, &a.folder).cmp(&(&b.output, &b.folder)));
        if lines == self.lines {
            return;
        }
        let text: String = lines
            .iter()
            .filter(|line| {
                ![&line.output, &line.folder]
                    .iter()
                    .any(|text| text.contains(['\t', '\n']))
            })
            .map(|line| {
                format!(
                    "{}\t{}\t{}\t{}\t{}\n",
                    line.links.count, line.links.paths, line.stamp, line.output, line.folder
                )
            })
            .collect();
        // Best effort: without it, the next build looks inside the folders.
        let _ = self.cache.write(RECORD, text.as_bytes());
        self.lines = lines;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_hashes_the_same_in_parts() {
        let whole = PathHash::of("images/team-1a2b3c-480.webp");
        let parts = PathHash::of("images/team-1a2b3c-")
            .then("480")
            .then(".webp");
        assert_eq!(whole, parts);
        assert_ne!(whole, PathHash::of("images/team-1a2b3c-800.webp"));
        // Two paths each differing by a character do not cancel out in a sum.
        let sum = |paths: [&str; 2]| {
            (paths.iter()).fold(LinkSum::default(), |sum, path| sum.with(PathHash::of(path)))
        };
        assert_ne!(sum(["a1", "b2"]), sum(["a2", "b1"]));
    }
}
