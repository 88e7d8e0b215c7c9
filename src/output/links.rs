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

use std::collections::BTreeMap;

use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{WorkFolders, link_or_copy, remove_tree};

/// The staging folder's record of the folders carried into it, one path a line.
const CARRIED_RECORD: &str = ".aimsite-carried";

/// The folders taken from the previous output into the new one.
#[derive(Default)]
pub(super) struct Carried(Vec<CarriedFolder>);

struct CarriedFolder {
    /// Below the output, with `/` separators.
    path: String,
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
) -> anyhow::Result<Carried> {
    let mut by_folder: BTreeMap<&str, Vec<(&str, &Path)>> = BTreeMap::new();
    for (path, source) in &links {
        let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
        by_folder.entry(folder).or_default().push((name, source));
    }
    let all: Vec<&str> = by_folder.keys().copied().collect();
    let mut carried = Carried::default();
    for (folder, files) in &by_folder {
        let placed = if can_carry(folders, folder, &all) {
            carry(folders, folder, files, &mut carried)
        } else {
            link_each(&folders.staging.join(folder), files)
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
    carried.0.push(CarriedFolder {
        path: folder.to_string(),
        unused: Vec::new(),
        added: Vec::new(),
        changed: Vec::new(),
    });
    let Some(entry) = carried.0.last_mut() else {
        return Ok(());
    };
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
        for folder in self.0.iter().rev() {
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
    /// build removes it.
    pub(super) fn finish(&self, output: &Path) {
        if !self.0.is_empty() {
            let _ = fs::remove_file(output.join(CARRIED_RECORD));
        }
        for folder in &self.0 {
            let path = output.join(&folder.path);
            for (name, waiting) in &folder.changed {
                replace(&path.join(waiting), &path.join(name));
            }
            for name in &folder.unused {
                let _ = remove_entry(&path.join(name));
            }
        }
    }
}

/// Moves `new` over `old`, whatever `old` is.
fn replace(new: &Path, old: &Path) {
    if fs::rename(new, old).is_err() {
        let _ = match fs::symlink_metadata(old) {
            Ok(metadata) if metadata.is_dir() => remove_tree(old, None),
            _ => fs::remove_file(old),
        };
        let _ = fs::rename(new, old);
    }
}

/// Removes a file, a link (never followed) or a folder with everything in it.
fn remove_entry(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        remove_tree(path, None)
    } else {
        fs::remove_file(path)
    }
}
