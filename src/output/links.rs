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

use super::{CacheFolder, WorkFolders, link_or_copy, modified, remove_tree};

/// The staging folder's record of the folders carried into it, one path a line.
const CARRIED_RECORD: &str = ".aimsite-carried";

/// The folders taken from the previous output into the new one.
#[derive(Default)]
pub(super) struct Carried {
    folders: Vec<CarriedFolder>,
    /// The folders made anew that hold links only, with the links.
    made: Vec<(String, Links)>,
}

struct CarriedFolder {
    /// Below the output, with `/` separators.
    path: String,
    /// The links wanted there.
    links: Links,
    /// What the previous output had in it that the new one does not, removed after the swap.
    unused: Vec<String>,
    /// The copies it did not have, added before the swap.
    added: Vec<String>,
    /// The copies whose name something other than a file holds (a folder), each with the name
    /// it waits under until the swap.
    changed: Vec<(String, String)>,
}

/// Places the linked files `(output path, cache entry)` in the staging folder: each folder of
/// them carried over from the previous output where it can be, the others linked one by one.
/// On an error, what was carried goes back.
pub(super) fn place(
    folders: &WorkFolders,
    links: Vec<(String, PathBuf)>,
    record: Option<&LinksRecord>,
) -> anyhow::Result<Carried> {
    let mut by_folder: BTreeMap<&str, Vec<(&str, &Path)>> = BTreeMap::new();
    for (path, source) in &links {
        let (folder, name) = match memchr::memrchr(b'/', path.as_bytes()) {
            Some(slash) => (&path[..slash], &path[slash + 1..]),
            None => ("", path.as_str()),
        };
        by_folder.entry(folder).or_default().push((name, source));
    }
    let all: Vec<&str> = by_folder.keys().copied().collect();
    let output = folders.output.to_string_lossy();
    let mut carried = Carried::default();
    for (folder, files) in &by_folder {
        let wanted = Links::of(files);
        let placed = if can_carry(folders, folder, &all) {
            let as_left = record.is_some_and(|record| {
                record.left(&output, folder, &wanted, &folders.output.join(folder))
            });
            carry(folders, folder, files, wanted, as_left, &mut carried)
        } else {
            let staged = folders.staging.join(folder);
            // Nothing else is written there now: made here, it holds the links only.
            if fs::symlink_metadata(&staged).is_err() {
                carried.made.push((folder.to_string(), wanted));
            }
            link_each(&staged, files)
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
    files: &[(&str, &Path)],
    links: Links,
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
    let there: HashMap<String, bool> = fs::read_dir(&to)
        .with_context(|| format!("cannot read `{}`", to.display()))?
        .flatten()
        .filter_map(|found| {
            let is_file = found.file_type().is_ok_and(|kind| kind.is_file());
            Some((found.file_name().into_string().ok()?, is_file))
        })
        .collect();
    for (name, source) in files {
        let waiting = match there.get(*name) {
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
    let wanted: HashSet<&str> = files.iter().map(|(name, _)| *name).collect();
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

fn link_each(folder: &Path, files: &[(&str, &Path)]) -> anyhow::Result<()> {
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

/// The links wanted in a folder: how many, and their names in one number whatever their
/// order. An output path always holds the same bytes (`Contents::LinkOf`), so the names say
/// what the folder must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Links {
    count: usize,
    names: u64,
}

impl Links {
    fn of(files: &[(&str, &Path)]) -> Links {
        // Fixed keys: the number is compared with one another process made.
        let hasher = ahash::RandomState::with_seeds(1, 2, 3, 4);
        let names = files.iter().fold(0u64, |sum, (name, _)| {
            sum.wrapping_add(hasher.hash_one(name))
        });
        Links {
            count: files.len(),
            names,
        }
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
    links: Links,
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
                let (count, names, stamp) = (next()?, next()?, next()?);
                let (output, folder) = (next()?, next()?);
                Some(RecordLine {
                    output: output.to_string(),
                    folder: folder.to_string(),
                    links: Links {
                        count: count.parse().ok()?,
                        names: names.parse().ok()?,
                    },
                    stamp: stamp.parse().ok()?,
                })
            })
            .collect();
        LinksRecord { cache, lines }
    }

    /// Whether the last build left `folder` of `output` (now at `path`) holding `wanted`, and
    /// nothing changed it since.
    fn left(&self, output: &str, folder: &str, wanted: &Links, path: &Path) -> bool {
        let line = self
            .lines
            .iter()
            .find(|line| line.output == output && line.folder == folder);
        line.is_some_and(|line| line.links == *wanted && modified(path) == Some(line.stamp))
    }

    /// Records what the folders of links of `output` hold now: `(folder, links, stamp)`.
    fn update(&mut self, output: &str, placed: Vec<(&str, Links, u128)>) {
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
                    line.links.count, line.links.names, line.stamp, line.output, line.folder
                )
            })
            .collect();
        // Best effort: without it, the next build looks inside the folders.
        let _ = self.cache.write(RECORD, text.as_bytes());
        self.lines = lines;
    }
}
