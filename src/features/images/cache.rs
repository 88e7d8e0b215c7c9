//! The encoded copies of a build's photos, kept in a folder outside the output (written through
//! `output::CacheFolder`, the one module that writes). An entry is named by the SHA-256 of
//! its source's bytes and the parameters it was made with, so an unchanged photo at unchanged
//! settings is found there and never decoded: a warm rebuild reads each photo and its header
//! only. Entries no page of a successful build used are pruned after it.

use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::process::{self, Format, ImageError};
use super::settings::ImageSettings;
use super::{Problem, SOCIAL_PREVIEW};
use crate::diagnostics::Diagnostic;
use crate::output::{CacheFolder, LinkGroup, LinkSum, OutputFile, PathHash};

/// Changes whenever the same parameters would encode differently, so that old entries are
/// not taken for new ones.
const ENCODING_VERSION: u32 = 1;
/// Where the copies go in the output.
const OUTPUT_FOLDER: &str = "images";

/// One photo, as a page shows it: its copies by format, narrowest first.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The source's format; its copies in that format are the `<img>`'s.
    pub format: Format,
    /// The upright size of the widest copy (of the file itself, when it passes through).
    pub width: u32,
    pub height: u32,
    /// WebP first when the source is not WebP, then the source's format.
    pub sets: Vec<CopySet>,
    /// The upright width of the source.
    pub source_width: u32,
    linked: Arc<Linked>,
}

/// The copies of one photo in one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySet {
    pub format: Format,
    pub copies: Vec<Copy>,
}

/// One copy: its name is its picture's (`Picture::push_output_path`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub width: u32,
    pub height: u32,
}

/// A photo's social preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Below the output folder, with `/` separators.
    pub output_path: String,
    linked: Arc<Linked>,
}

/// The files of a picture or a preview, as the output links them: found as it is made (on
/// every thread), so that what a build hands the output costs little per photo.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Linked {
    names: CopyNames,
    /// Each copy's format and width (none for `CopyNames::One`).
    copies: Vec<(Format, u32)>,
    /// Their output paths'.
    sum: LinkSum,
}

impl Linked {
    fn new(names: CopyNames, copies: Vec<(Format, u32)>) -> Arc<Linked> {
        let sum = names.added_to(LinkSum::default(), &copies);
        Arc::new(Linked { names, copies, sum })
    }

    /// What `first` and `others`, named alike, link together: each copy once.
    fn merged(first: &Linked, others: &[&Arc<Linked>]) -> Arc<Linked> {
        let others = others.iter().flat_map(|linked| &linked.copies);
        let mut copies: Vec<(Format, u32)> = first.copies.iter().chain(others).copied().collect();
        copies.sort_unstable();
        copies.dedup();
        Linked::new(first.names.clone(), copies)
    }

    /// Each file's output path and the cache's entry that holds it.
    fn files(&self) -> Vec<(String, String)> {
        self.names.files(&self.copies)
    }

    /// Each file's output path and the path of the entry in `folder` that holds it.
    fn files_in(&self, folder: &CacheFolder) -> impl Iterator<Item = (String, PathBuf)> {
        (self.files().into_iter()).map(|(path, entry)| (path, folder.entry(&entry)))
    }
}

/// The entry of the cache that records what each source was when last read, and what the last
/// successful build made of it.
const INDEX: &str = "index.tsv";

/// What the index records of a source: enough to know it unchanged without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    len: u64,
    /// Its modification time, in nanoseconds since 1970.
    modified: u128,
    digest: Arc<str>,
    header: process::Header,
    /// What names its copies in the output (`copies_id`).
    copies_id: Arc<str>,
}

/// What the last successful build made of a source, whose entries were all in the folder
/// then.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Recorded {
    known: Known,
    /// The ladders of widths of its pictures.
    ladders: Vec<Vec<u32>>,
    preview: bool,
}

/// The index as the cache folder holds it: one line a source, its fields between tabs (what
/// was made of it: `;` between ladders of widths, or `preview`), and last the folder's
/// modification time once the index was written, which `CacheFolder::stamp` is then while
/// nothing was added or removed since. Nothing when that last line is missing (a write cut
/// short), or when it was written for another quality (which names the copies differently).
fn parse_index(text: &str, quality: u8) -> Option<(HashMap<OsString, Indexed>, u128)> {
    let mut index = HashMap::with_capacity(memchr::memchr_iter(b'\n', text.as_bytes()).count());
    let mut stamp = None;
    for line in split_at(b'\n', text).filter(|line| !line.is_empty()) {
        if let Some(end) = line.strip_prefix("end\t") {
            let (written_for, written_at) = end.split_once('\t')?;
            let written_at: u128 = written_at.parse().ok()?;
            stamp = (written_for.parse() == Ok(quality)).then_some(written_at);
            continue;
        }
        let (path, recorded) = parse_source(line)?;
        // Looked at once the whole index is read (`LastBuild::read`).
        let (unchanged, pictures) = (false, Vec::new());
        index.insert(
            path,
            Indexed {
                recorded,
                unchanged,
                pictures,
            },
        );
    }
    Some((index, stamp?))
}

fn parse_source(line: &str) -> Option<(OsString, Recorded)> {
    let mut fields = split_at(b'\t', line);
    let mut next = || fields.next();
    let (len, modified, digest, copies_id) = (next()?, next()?, next()?, next()?);
    let (format, width, height, made, path) = (next()?, next()?, next()?, next()?, next()?);
    let format = [
        Format::Jpeg,
        Format::Png,
        Format::WebP,
        Format::Gif,
        Format::Svg,
    ]
    .into_iter()
    .find(|known| known.extension() == format)?;
    let mut recorded = Recorded {
        known: Known {
            len: len.parse().ok()?,
            modified: modified.parse().ok()?,
            digest: digest.into(),
            copies_id: copies_id.into(),
            header: process::Header {
                format,
                width: width.parse().ok()?,
                height: height.parse().ok()?,
            },
        },
        ladders: Vec::new(),
        preview: false,
    };
    for thing in split_at(b';', made).filter(|thing| !thing.is_empty()) {
        if thing == "preview" {
            recorded.preview = true;
            continue;
        }
        let ladder: Result<Vec<u32>, _> = split_at(b',', thing).map(str::parse).collect();
        recorded.ladders.push(ladder.ok()?);
    }
    Some((OsString::from(path), recorded))
}

/// The parts of `text` between the ASCII `separator`s (its lines, a line's fields).
fn split_at(separator: u8, text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let ends = memchr::memchr_iter(separator, text.as_bytes()).chain([text.len()]);
    ends.map(move |end| {
        let part = &text[start..end];
        start = end + 1;
        part
    })
}

fn index_text(index: &HashMap<OsString, Recorded>, quality: u8, stamp: u128) -> String {
    let mut lines: Vec<String> = index
        .iter()
        .filter_map(|(path, recorded)| {
            let path = path.to_str().filter(|path| !path.contains(['\t', '\n']))?;
            let known = &recorded.known;
            let mut made: Vec<String> = recorded
                .ladders
                .iter()
                .map(|ladder| {
                    let widths: Vec<String> = ladder.iter().map(u32::to_string).collect();
                    widths.join(",")
                })
                .collect();
            if recorded.preview {
                made.push("preview".into());
            }
            Some(format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{path}",
                known.len,
                known.modified,
                known.digest,
                known.copies_id,
                known.header.format.extension(),
                known.header.width,
                known.header.height,
                made.join(";"),
            ))
        })
        .collect();
    lines.sort();
    lines.push(format!("end\t{quality}\t{stamp}\n"));
    lines.join("\n")
}

/// A source the index records, as this build found it.
struct Indexed {
    recorded: Recorded,
    /// Whether it had the recorded size and time when the index was read: looked at then, on
    /// another thread while the sources load, so that a page showing it need not.
    unchanged: bool,
    /// Its pictures, by the recorded ladders, named then too: while it is unchanged and the
    /// cache holds what the last build made.
    pictures: Vec<Arc<Picture>>,
}

/// What the last successful build made.
struct LastBuild {
    index: HashMap<OsString, Indexed>,
    /// Whether the folder is as that build left it (its modification time is the one the
    /// index recorded): the entries it made are there, without a look at each. Anything
    /// added to or removed from the folder since changes that time.
    holds: bool,
}

impl LastBuild {
    fn read(folder: &CacheFolder, quality: u8) -> LastBuild {
        let recorded = folder
            .read(INDEX)
            .and_then(|bytes| parse_index(std::str::from_utf8(&bytes).ok()?, quality));
        match recorded {
            Some((mut index, stamp)) => {
                let holds = folder.stamp() == Some(stamp);
                for (path, indexed) in &mut index {
                    let (path, recorded) = (Path::new(path), &indexed.recorded);
                    let known = &recorded.known;
                    indexed.unchanged = size_and_time(path) == Some((known.len, known.modified));
                    if holds && indexed.unchanged {
                        indexed.pictures = (recorded.ladders.iter())
                            .map(|ladder| Arc::new(Picture::named(path, known, ladder, quality)))
                            .collect();
                    }
                }
                LastBuild { index, holds }
            }
            None => LastBuild {
                index: HashMap::default(),
                holds: false,
            },
        }
    }
}

/// A source being made into a picture; its bytes are read only when a copy is missing.
struct SourceFile<'a> {
    path: &'a Path,
    known: Known,
    /// Whether its size and time could be read, so that the index may record it.
    stamped: bool,
    /// What the last successful build made of it, while it is as that build saw it.
    recorded: Option<&'a Recorded>,
    bytes: Option<Vec<u8>>,
}

impl SourceFile<'_> {
    fn bytes(&mut self) -> Result<&[u8], Problem> {
        if self.bytes.is_none() {
            self.bytes = Some(read(self.path)?);
        }
        Ok(self.bytes.as_deref().unwrap_or_default())
    }
}

/// What this build made of one source.
#[derive(Default)]
struct Uses {
    /// What it is; `None` while it was not found.
    known: Option<Known>,
    /// Whether it is as the last successful build saw it.
    as_last_seen: bool,
    /// Its pictures, by ladder of widths, so that a photo shown on every page is looked at
    /// once.
    pictures: Vec<(Vec<u32>, Made<Arc<Picture>>)>,
    preview: Option<Made<Preview>>,
}

/// What was made of a source, or why it could not be.
type Made<T> = Result<T, Problem>;

impl Uses {
    /// The output paths of the copies made, each with the cache's entry that holds it.
    fn made(&self) -> impl Iterator<Item = (String, String)> {
        let pictures =
            (self.pictures.iter()).filter_map(|(_, made)| Some(&made.as_ref().ok()?.linked));
        let preview = (self.preview.iter()).filter_map(|made| Some(&made.as_ref().ok()?.linked));
        pictures.chain(preview).flat_map(|linked| linked.files())
    }

    fn record(&self) -> Option<Recorded> {
        let ladders = self.pictures.iter().filter(|(_, made)| made.is_ok());
        Some(Recorded {
            known: self.known.clone()?,
            ladders: ladders.map(|(ladder, _)| ladder.clone()).collect(),
            preview: matches!(self.preview, Some(Ok(_))),
        })
    }

    /// Whether this build made the same of the source as the last one.
    fn same_as(&self, recorded: &Recorded) -> bool {
        let ladders = self.pictures.iter().filter(|(_, made)| made.is_ok());
        self.as_last_seen
            && ladders.clone().count() == recorded.ladders.len()
            && ladders
                .into_iter()
                .all(|(ladder, _)| recorded.ladders.contains(ladder))
            && matches!(self.preview, Some(Ok(_))) == recorded.preview
    }
}

/// The cache as one build uses it.
pub struct ImageCache {
    folder: CacheFolder,
    widths: Vec<u32>,
    quality: u8,
    /// What the last successful build made, read in the background as the build starts.
    last: Arc<OnceLock<LastBuild>>,
    /// What this build made of each source.
    uses: Mutex<HashMap<OsString, Uses>>,
    encoded: AtomicUsize,
    /// How many entries this build wrote.
    stored: AtomicUsize,
}

impl ImageCache {
    pub fn new(settings: &ImageSettings) -> Self {
        let folder = CacheFolder::new(&settings.cache);
        let last = Arc::new(OnceLock::new());
        // While the sources load, mostly one file at a time: the first picture needs it, and
        // its photos are looked at then rather than one by one as the pages show them.
        let (reading, read_from, quality) = (Arc::clone(&last), folder.clone(), settings.quality);
        rayon::spawn(move || {
            reading.get_or_init(|| LastBuild::read(&read_from, quality));
        });
        ImageCache {
            folder,
            widths: settings.widths.clone(),
            quality: settings.quality,
            last,
            uses: Mutex::default(),
            encoded: AtomicUsize::new(0),
            stored: AtomicUsize::new(0),
        }
    }

    fn last(&self) -> &LastBuild {
        self.last
            .get_or_init(|| LastBuild::read(&self.folder, self.quality))
    }

    /// How many copies were encoded so far.
    pub fn encoded(&self) -> usize {
        self.encoded.load(Ordering::Relaxed)
    }

    /// Whether this build showed the photo in `source` as a picture (passed through or not).
    pub fn shown_as_picture(&self, source: &Path) -> bool {
        lock(&self.uses)
            .get(source.as_os_str())
            .is_some_and(|uses| uses.pictures.iter().any(|(_, made)| made.is_ok()))
    }

    /// The digest and header of the file at `source`: from the index when its size and time
    /// are those recorded (as the index was read, for a photo it records), else read.
    fn identify<'a>(&'a self, source: &'a Path) -> Result<SourceFile<'a>, Problem> {
        let indexed = self.last().index.get(source.as_os_str());
        let unchanged = indexed.filter(|indexed| indexed.unchanged);
        let (stamp, recorded) = match unchanged {
            Some(Indexed { recorded, .. }) => (
                Some((recorded.known.len, recorded.known.modified)),
                Some(recorded),
            ),
            None => {
                let stamp = size_and_time(source);
                let recorded = (indexed.map(|indexed| &indexed.recorded)).filter(|recorded| {
                    stamp == Some((recorded.known.len, recorded.known.modified))
                });
                (stamp, recorded)
            }
        };
        let (known, bytes) = match recorded {
            Some(recorded) => (recorded.known.clone(), None),
            None => {
                let bytes = read(source)?;
                let header = process::probe(&bytes).map_err(Problem::Image)?;
                let (len, modified) = stamp.unwrap_or_default();
                let digest: Arc<str> = hex(&Sha256::digest(&bytes)[..16]).into();
                let known = Known {
                    len,
                    modified,
                    copies_id: self.copies_id(&digest).into(),
                    digest,
                    header,
                };
                (known, Some(bytes))
            }
        };
        Ok(SourceFile {
            path: source,
            known,
            stamped: stamp.is_some(),
            recorded,
            bytes,
        })
    }

    /// What `make` makes of the file at `source`, noted with what the file is in its `Uses`
    /// by `keep`.
    fn made_of<T>(
        &self,
        source: &Path,
        make: impl FnOnce(&mut SourceFile) -> Made<T>,
        keep: impl FnOnce(&mut Uses, &Made<T>),
    ) -> Made<T> {
        let (seen, made) = match self.identify(source) {
            Ok(mut file) => {
                let made = make(&mut file);
                let as_last_seen = file.recorded.is_some();
                (file.stamped.then_some((file.known, as_last_seen)), made)
            }
            Err(problem) => (None, Err(problem)),
        };
        self.note(source, seen, |uses| keep(uses, &made));
        made
    }

    /// Notes in the `Uses` of `source` what it is, when `seen` (with whether it is as the last
    /// build saw it), and what `keep` keeps.
    fn note(&self, source: &Path, seen: Option<(Known, bool)>, keep: impl FnOnce(&mut Uses)) {
        let mut uses = lock(&self.uses);
        let uses = uses.entry(source.as_os_str().to_owned()).or_default();
        if let Some((known, as_last_seen)) = seen {
            uses.known = Some(known);
            uses.as_last_seen = as_last_seen;
        }
        keep(uses);
    }

    /// The picture of the photo in `source` at `ladder` that the last build made, while it
    /// is unchanged and the cache holds its copies: named as the index was read.
    fn made_last_time(&self, source: &Path, ladder: &[u32]) -> Option<(Known, Arc<Picture>)> {
        let indexed = self.last().index.get(source.as_os_str())?;
        let recorded = &indexed.recorded;
        let position = recorded.ladders.iter().position(|made| made == ladder)?;
        let picture = indexed.pictures.get(position)?;
        Some((recorded.known.clone(), Arc::clone(picture)))
    }

    /// Every copy made, of pictures and previews, linked into the output as one group.
    pub fn made_links(&self) -> Option<MadeCopies> {
        let uses = lock(&self.uses);
        let pictures = (uses.values())
            .flat_map(|uses| &uses.pictures)
            .filter_map(|(_, made)| Some(&made.as_ref().ok()?.linked));
        let previews =
            (uses.values()).filter_map(|uses| Some(&uses.preview.as_ref()?.as_ref().ok()?.linked));
        let mut made: Vec<&Arc<Linked>> = pictures.chain(previews).collect();
        if made.is_empty() {
            return None;
        }
        made.sort_unstable_by(|a, b| a.names.shared_part().cmp(b.names.shared_part()));
        // Copies named alike are one file: two ladders of a photo may share a width, two
        // files of the same bytes and name share their copies, a file passed through is its
        // own preview.
        let linked: Vec<Arc<Linked>> = made
            .chunk_by(|a, b| a.names.shared_part() == b.names.shared_part())
            .filter_map(|alike| match alike {
                [one] => Some(Arc::clone(one)),
                [first, others @ ..] => Some(Linked::merged(first, others)),
                [] => None,
            })
            .collect();
        let sum = (linked.iter()).fold(LinkSum::default(), |sum, linked| sum.plus(linked.sum));
        Some(MadeCopies {
            folder: self.folder.clone(),
            linked,
            sum,
        })
    }

    /// Tells `output::note_made` of the files of `linked`.
    fn note_made(&self, linked: &Linked) {
        crate::output::note_made(|| {
            (linked.files_in(&self.folder)).map(|(path, entry)| OutputFile::link(path, entry))
        });
    }

    /// The picture of the photo in `source` at the widths of `ladder` (the settings' when
    /// empty), encoding the copies the cache lacks, in parallel.
    pub fn picture_at(&self, source: &Path, ladder: &[u32]) -> Result<Arc<Picture>, Problem> {
        let ladder = if ladder.is_empty() {
            &self.widths
        } else {
            ladder
        };
        let made_before = lock(&self.uses).get(source.as_os_str()).and_then(|uses| {
            let (_, made) = uses
                .pictures
                .iter()
                .find(|(made_for, _)| made_for == ladder)?;
            Some(made.clone())
        });
        let keep = |uses: &mut Uses, made: &Made<Arc<Picture>>| {
            uses.pictures.push((ladder.to_vec(), made.clone()));
        };
        let made = made_before.unwrap_or_else(|| match self.made_last_time(source, ladder) {
            Some((known, picture)) => {
                let made = Ok(picture);
                self.note(source, Some((known, true)), |uses| keep(uses, &made));
                made
            }
            None => self.made_of(
                source,
                |file| self.picture(file, ladder).map(Arc::new),
                keep,
            ),
        });
        if let Ok(picture) = &made {
            self.note_made(&picture.linked);
        }
        made
    }

    /// The social preview of the photo in `source`: cropped around its centre to
    /// `SOCIAL_PREVIEW`, as a JPEG, which every site that shows previews reads.
    pub fn social_preview(&self, source: &Path) -> Result<Preview, Problem> {
        let made_before = lock(&self.uses)
            .get(source.as_os_str())
            .and_then(|uses| uses.preview.clone());
        if let Some(made) = made_before {
            return made;
        }
        let made = self.made_of(
            source,
            |file| self.preview(file),
            |uses, made| uses.preview = Some(made.clone()),
        );
        if let Ok(preview) = &made {
            self.note_made(&preview.linked);
        }
        made
    }

    fn preview(&self, file: &mut SourceFile) -> Result<Preview, Problem> {
        let header = file.known.header;
        let had_it = self.still_there(file, |recorded| recorded.preview);
        if header.format.passes_through() {
            let preview = Preview::new(CopyNames::as_is(file.path, &file.known));
            if !had_it {
                self.make_missing(file, &preview.linked)?;
            }
            return Ok(preview);
        }
        let (width, height) = SOCIAL_PREVIEW;
        let entry = format!(
            "{}-{width}x{height}-q{}-v{ENCODING_VERSION}.jpg",
            file.known.digest, self.quality
        );
        if !had_it && !self.folder.has(&entry) {
            let photo = process::decode(file.bytes()?).map_err(Problem::Image)?;
            let made = process::cover(&photo, width, height)
                .and_then(|cropped| process::encode(&cropped, Format::Jpeg, self.quality))
                .and_then(|encoded| {
                    self.encoded.fetch_add(1, Ordering::Relaxed);
                    self.store(&entry, &encoded, Format::Jpeg)
                });
            made.map_err(Problem::Image)?;
        }
        let stem = output_stem(file.path);
        let output_path = format!(
            "{OUTPUT_FOLDER}/{stem}-{}-{width}x{height}.jpg",
            file.known.copies_id
        );
        Ok(Preview::new(CopyNames::One { output_path, entry }))
    }

    fn store(&self, name: &str, bytes: &[u8], format: Format) -> Result<(), ImageError> {
        self.stored.fetch_add(1, Ordering::Relaxed);
        self.folder
            .write(name, bytes)
            .map_err(|error| ImageError::Encoding {
                format: format.mime(),
                reason: format!("{error:#}"),
            })
    }

    /// The picture of the photo in `file`.
    fn picture(&self, file: &mut SourceFile, ladder: &[u32]) -> Result<Picture, Problem> {
        let had_them = self.still_there(file, |recorded| {
            recorded.ladders.iter().any(|known| known == ladder)
        });
        let picture = Picture::named(file.path, &file.known, ladder, self.quality);
        if !had_them {
            self.make_missing(file, &picture.linked)?;
        }
        Ok(picture)
    }

    /// Makes the files of `linked` the cache lacks: encodes the missing copies of a ladder, or
    /// keeps the file as it is (`CopyNames::as_is`).
    fn make_missing(&self, file: &mut SourceFile, linked: &Linked) -> Result<(), Problem> {
        let names = &linked.names;
        if let CopyNames::One { entry, .. } = names {
            if !self.folder.has(entry) {
                let format = file.known.header.format;
                self.store(entry, file.bytes()?, format)
                    .map_err(Problem::Image)?;
            }
            return Ok(());
        }
        let missing: Vec<(Format, u32, String)> = (linked.copies.iter())
            .map(|&(format, width)| (format, width, names.entry(format, width)))
            .filter(|(_, _, entry)| !self.folder.has(entry))
            .collect();
        if !missing.is_empty() {
            self.encode(file.bytes()?, &missing)
                .map_err(Problem::Image)?;
        }
        Ok(())
    }

    /// Whether the last build made what `made` says of `file`, and the folder still holds
    /// it: its entries are then there without a look at any (a warm build's case).
    fn still_there(&self, file: &SourceFile, made: impl FnOnce(&Recorded) -> bool) -> bool {
        self.last().holds && file.recorded.is_some_and(made)
    }

    /// Decodes the photo once and encodes each missing copy, one width's resize shared by
    /// its formats.
    fn encode(&self, bytes: &[u8], missing: &[(Format, u32, String)]) -> Result<(), ImageError> {
        let photo = process::decode(bytes)?;
        let mut widths: Vec<u32> = missing.iter().map(|(_, width, _)| *width).collect();
        widths.sort_unstable();
        widths.dedup();
        widths.par_iter().try_for_each(|&width| {
            let resized = process::resize(&photo, width)?;
            missing
                .par_iter()
                .filter(|(_, copy_width, _)| *copy_width == width)
                .try_for_each(|(format, _, entry)| {
                    let encoded = process::encode(&resized, *format, self.quality)?;
                    self.encoded.fetch_add(1, Ordering::Relaxed);
                    self.store(entry, &encoded, *format)
                })
        })
    }

    /// What names a photo's copies in the output, with their width and format: the source's
    /// content and every setting the bytes depend on. An output path then always holds the
    /// same bytes, so that a browser may keep it for good and a rebuild may keep the copy the
    /// last output has (`Contents::LinkOf`).
    fn copies_id(&self, digest: &str) -> String {
        let made_from = format!("{digest}-q{}-v{ENCODING_VERSION}", self.quality);
        hex(&Sha256::digest(made_from.as_bytes())[..6])
    }

    /// Removes the entries this build did not use, and records what it made. Neither when
    /// it made what the last one did and the folder is as it left it: a warm rebuild neither
    /// lists nor writes the folder.
    pub fn finish(&self) -> Option<Diagnostic> {
        let uses = lock(&self.uses);
        let last = self.last();
        let nothing_new = last.holds && self.stored.load(Ordering::Relaxed) == 0;
        let same_as_last = uses.len() == last.index.len()
            && uses.iter().all(|(source, uses)| {
                (last.index.get(source)).is_some_and(|indexed| uses.same_as(&indexed.recorded))
            });
        if nothing_new && same_as_last {
            return None;
        }
        let mut used: HashSet<String> = uses
            .values()
            .flat_map(Uses::made)
            .map(|(_, entry)| entry)
            .collect();
        used.insert(INDEX.to_string());
        let index: HashMap<OsString, Recorded> = uses
            .iter()
            .filter_map(|(source, uses)| Some((source.clone(), uses.record()?)))
            .collect();
        // A site without pictures, now and before, has no cache folder to make.
        let nothing_to_record = index.is_empty() && last.index.is_empty();
        let error = self
            .folder
            .prune(|name| used.contains(name))
            .and_then(|_| match nothing_to_record {
                true => Ok(()),
                false => self
                    .folder
                    .write_stamped(INDEX, |stamp| index_text(&index, self.quality, stamp)),
            })
            .err()?;
        Some(
            Diagnostic::warning(self.folder.entry(""), format!("{error:#}")).with_help(
                "the images' cache could not be cleaned up; removing the folder is safe",
            ),
        )
    }
}

impl Preview {
    fn new(names: CopyNames) -> Self {
        Preview {
            output_path: names.shared_part().to_string(),
            linked: Linked::new(names, Vec::new()),
        }
    }
}

impl Picture {
    /// The picture of the file at `path` (`known`) at the widths of `ladder`, its copies named
    /// as the cache and the output hold them (encoded at `quality`).
    fn named(path: &Path, known: &Known, ladder: &[u32], quality: u8) -> Picture {
        let header = known.header;
        if header.format.passes_through() {
            let set = CopySet {
                format: header.format,
                copies: vec![Copy {
                    width: header.width,
                    height: header.height,
                }],
            };
            let names = CopyNames::as_is(path, known);
            return Picture::new(header, header.width, vec![set], names);
        }
        let widths = process::widths_for(ladder, header.width);
        let names = CopyNames::ladder(quality, known, path);
        let sets: Vec<CopySet> = formats_for(header.format)
            .iter()
            .map(|&format| CopySet {
                format,
                copies: widths
                    .iter()
                    .map(|&width| Copy {
                        width,
                        height: process::height_for(header.width, header.height, width),
                    })
                    .collect(),
            })
            .collect();
        let widest = widths.last().copied().unwrap_or(header.width);
        Picture::new(header, widest, sets, names)
    }

    fn new(header: process::Header, widest: u32, sets: Vec<CopySet>, names: CopyNames) -> Self {
        let copies = sets.iter().flat_map(|set| {
            let format = set.format;
            set.copies.iter().map(move |copy| (format, copy.width))
        });
        let linked = Linked::new(names, copies.collect());
        Picture {
            format: header.format,
            width: widest,
            height: process::height_for(header.width, header.height, widest),
            source_width: header.width,
            sets,
            linked,
        }
    }

    /// Writes the output path of its copy in `format` at `width` at the end of `into`.
    pub fn push_output_path(&self, into: &mut String, format: Format, width: u32) {
        self.linked.names.push_output_path(into, format, width);
    }
}

/// Every copy a build made, linked from the cache into the output's folder of images.
pub struct MadeCopies {
    folder: CacheFolder,
    /// Named apart from one another.
    linked: Vec<Arc<Linked>>,
    sum: LinkSum,
}

impl LinkGroup for MadeCopies {
    fn folder(&self) -> &str {
        OUTPUT_FOLDER
    }

    fn sum(&self) -> LinkSum {
        self.sum
    }

    fn files(&self) -> Vec<(String, PathBuf)> {
        (self.linked.iter())
            .flat_map(|linked| linked.files_in(&self.folder))
            .collect()
    }
}

/// How a picture's copies are named.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CopyNames {
    /// Copies at the widths of a ladder: `{output prefix}{width}.{extension}` in the output,
    /// `{digest}-{width}w-q{quality}-v{version}.{extension}` in the cache.
    Ladder {
        /// `images/{stem}-{copies id}-`.
        output_prefix: String,
        digest: Arc<str>,
        quality: u8,
    },
    /// One file: the source as it is (SVG, GIF), or its social preview.
    One { output_path: String, entry: String },
}

impl CopyNames {
    fn ladder(quality: u8, known: &Known, source: &Path) -> Self {
        let stem = output_stem(source);
        CopyNames::Ladder {
            output_prefix: [OUTPUT_FOLDER, "/", &stem, "-", &known.copies_id, "-"].concat(),
            digest: known.digest.clone(),
            quality,
        }
    }

    /// The file as it is, kept in the cache like the encoded copies, so that the output's
    /// folder of images holds only cache entries. Its bytes are the source's: its digest
    /// names them.
    fn as_is(source: &Path, known: &Known) -> Self {
        let extension = known.header.format.extension();
        let stem = output_stem(source);
        CopyNames::One {
            output_path: format!("{OUTPUT_FOLDER}/{stem}-{}.{extension}", &known.digest[..12]),
            entry: format!("{}-as-is.{extension}", known.digest),
        }
    }

    /// What the output paths of its copies share: all of the path for `One`.
    fn shared_part(&self) -> &str {
        match self {
            CopyNames::Ladder { output_prefix, .. } => output_prefix,
            CopyNames::One { output_path, .. } => output_path,
        }
    }

    /// Writes the output path of its copy in `format` at `width` at the end of `into`.
    fn push_output_path(&self, into: &mut String, format: Format, width: u32) {
        into.push_str(self.shared_part());
        if let CopyNames::Ladder { .. } = self {
            into.push_str(itoa::Buffer::new().format(width));
            into.push_str(format.dotted_extension());
        }
    }

    /// `sum` with the output path of each of `copies` (the one file of `One`, whatever
    /// `copies`), their shared part hashed once.
    fn added_to(&self, sum: LinkSum, copies: &[(Format, u32)]) -> LinkSum {
        let shared = PathHash::of(self.shared_part());
        match self {
            CopyNames::One { .. } => sum.with(shared),
            CopyNames::Ladder { .. } => copies.iter().fold(sum, |sum, (format, width)| {
                let mut digits = itoa::Buffer::new();
                let path = (shared.then(digits.format(*width))).then(format.dotted_extension());
                sum.with(path)
            }),
        }
    }

    /// The output path of each of `copies` with the cache's entry that holds it (the one file
    /// of `One`, whatever `copies`).
    fn files(&self, copies: &[(Format, u32)]) -> Vec<(String, String)> {
        if let CopyNames::One { output_path, entry } = self {
            return vec![(output_path.clone(), entry.clone())];
        }
        (copies.iter())
            .map(|&(format, width)| {
                let mut path = String::with_capacity(64);
                self.push_output_path(&mut path, format, width);
                (path, self.entry(format, width))
            })
            .collect()
    }

    /// The name of the cache's entry for the copy in `format` at `width`.
    fn entry(&self, format: Format, width: u32) -> String {
        let (digest, quality) = match self {
            CopyNames::Ladder {
                digest, quality, ..
            } => (digest, *quality),
            CopyNames::One { entry, .. } => return entry.clone(),
        };
        let quality = match format {
            Format::Png => 0,
            _ => quality,
        };
        let mut name = String::with_capacity(digest.len() + 32);
        name.push_str(digest);
        name.push('-');
        name.push_str(itoa::Buffer::new().format(width));
        name.push_str("w-q");
        name.push_str(itoa::Buffer::new().format(quality));
        name.push_str("-v");
        name.push_str(itoa::Buffer::new().format(ENCODING_VERSION));
        name.push('.');
        name.push_str(format.extension());
        name
    }
}

/// The size and modification time of the file at `path`, while it is one.
fn size_and_time(path: &Path) -> Option<(u64, u128)> {
    let metadata = std::fs::metadata(path).ok()?;
    let modified = crate::output::stamp_of(&metadata)?;
    metadata.is_file().then_some((metadata.len(), modified))
}

fn read(source: &Path) -> Result<Vec<u8>, Problem> {
    crate::content::read_source(source)
        .map_err(|unreadable| Problem::from_unreadable(unreadable, source))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The formats of a photo's copies: WebP, then its own format as the fallback every browser
/// shows.
fn formats_for(format: Format) -> &'static [Format] {
    match format {
        Format::WebP => &[Format::WebP],
        Format::Jpeg => &[Format::WebP, Format::Jpeg],
        Format::Png => &[Format::WebP, Format::Png],
        Format::Gif => &[Format::WebP, Format::Gif],
        Format::Svg => &[Format::WebP, Format::Svg],
    }
}

/// The source's file name, lowercased to ASCII letters, digits and `-`, for readable output
/// names.
fn output_stem(source: &Path) -> String {
    let stem = crate::content::name_of(source);
    // The name without its last extension, as `Path::file_stem` gives it.
    let stem = match memchr::memrchr(b'.', stem) {
        Some(dot) if dot > 0 => &stem[..dot],
        _ => stem,
    };
    let stem = String::from_utf8_lossy(stem);
    let ascii = match stem.is_ascii() {
        true => stem,
        false => deunicode::deunicode(&stem).into(),
    };
    let mut slug = String::with_capacity(ascii.len());
    for byte in ascii.bytes() {
        if byte.is_ascii_alphanumeric() {
            slug.push(char::from(byte.to_ascii_lowercase()));
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    if slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "image".into()
    } else {
        slug
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}
