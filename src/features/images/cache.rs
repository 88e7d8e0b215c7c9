//! The encoded copies of a build's photos, kept in a folder outside the output (written through
//! `output::CacheFolder`, the one module that writes). An entry is named by the SHA-256 of
//! its source's bytes and the parameters it was made with, so an unchanged photo at unchanged
//! settings is found there and never decoded: a warm rebuild reads each photo and its header
//! only. Entries no page of a successful build used are pruned after it.

use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::process::{self, Format, ImageError};
use super::settings::ImageSettings;
use super::{Problem, SOCIAL_PREVIEW};
use crate::diagnostics::Diagnostic;
use crate::output::{CacheFolder, Contents, OutputFile};

/// Changes whenever the same parameters would encode differently, so that old entries are
/// not taken for new ones.
const ENCODING_VERSION: u32 = 1;
/// Where the copies go in the output.
const OUTPUT_FOLDER: &str = "images";

/// One photo, as a page shows it: its copies by format, narrowest first.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

/// The copies of one photo in one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySet {
    pub format: Format,
    pub copies: Vec<Copy>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub width: u32,
    pub height: u32,
    /// Below the output folder, with `/` separators.
    pub output_path: String,
}

/// The entry of the cache that records what each source was when last read.
const INDEX: &str = "index.tsv";

/// What the index records of a source: enough to know it unchanged without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    len: u64,
    /// Its modification time, in nanoseconds since 1970.
    modified: u128,
    digest: String,
    header: process::Header,
}

/// A source being made into a picture; its bytes are read only when a copy is missing.
struct SourceFile {
    path: PathBuf,
    known: Known,
    bytes: Option<Vec<u8>>,
}

impl SourceFile {
    fn bytes(&mut self) -> Result<&[u8], Problem> {
        if self.bytes.is_none() {
            self.bytes = Some(read(&self.path)?);
        }
        Ok(self.bytes.as_deref().unwrap_or_default())
    }
}

/// The index as the cache folder holds it: one line a source, its fields between tabs.
fn parse_index(text: &str) -> HashMap<PathBuf, Known> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let mut next = || fields.next();
            let (len, modified, digest) = (next()?, next()?, next()?);
            let (format, width, height, path) = (next()?, next()?, next()?, next()?);
            let format = [
                Format::Jpeg,
                Format::Png,
                Format::WebP,
                Format::Gif,
                Format::Svg,
            ]
            .into_iter()
            .find(|known| known.extension() == format)?;
            let known = Known {
                len: len.parse().ok()?,
                modified: modified.parse().ok()?,
                digest: digest.to_string(),
                header: process::Header {
                    format,
                    width: width.parse().ok()?,
                    height: height.parse().ok()?,
                },
            };
            Some((PathBuf::from(path), known))
        })
        .collect()
}

fn index_text(seen: &HashMap<PathBuf, Known>) -> String {
    let mut lines: Vec<String> = seen
        .iter()
        .filter_map(|(path, known)| {
            let path = path.to_str().filter(|path| !path.contains(['\t', '\n']))?;
            Some(format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{path}",
                known.len,
                known.modified,
                known.digest,
                known.header.format.extension(),
                known.header.width,
                known.header.height
            ))
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// A source file and the ladder of widths asked for.
type PictureKey = (PathBuf, Vec<u32>);

/// The cache as one build uses it.
pub struct ImageCache {
    folder: CacheFolder,
    widths: Vec<u32>,
    quality: u8,
    /// The entries this build used: the others are stale once it succeeds.
    used: Mutex<HashSet<String>>,
    /// The output paths handed on already, so that a photo on two pages is written once.
    handed_on: Mutex<HashSet<String>>,
    /// The files to write, until the build takes them (`take_made`).
    made: Mutex<Vec<OutputFile>>,
    /// What this build made of each file already, so that a photo shown on every page is
    /// read once.
    pictures: Mutex<HashMap<PictureKey, Result<Picture, Problem>>>,
    previews: Mutex<HashMap<PathBuf, Result<Copy, Problem>>>,
    /// The sources shown as pictures.
    shown: Mutex<HashSet<PathBuf>>,
    /// What the last build recorded of each source, and what this one saw.
    index: HashMap<PathBuf, Known>,
    seen: Mutex<HashMap<PathBuf, Known>>,
    encoded: AtomicUsize,
}

impl ImageCache {
    pub fn new(settings: &ImageSettings) -> Self {
        let folder = CacheFolder::new(&settings.cache);
        let index = folder
            .read(INDEX)
            .map(|bytes| parse_index(&String::from_utf8_lossy(&bytes)))
            .unwrap_or_default();
        ImageCache {
            index,
            seen: Mutex::default(),
            folder,
            widths: settings.widths.clone(),
            quality: settings.quality,
            used: Mutex::default(),
            handed_on: Mutex::default(),
            made: Mutex::default(),
            pictures: Mutex::default(),
            previews: Mutex::default(),
            shown: Mutex::default(),
            encoded: AtomicUsize::new(0),
        }
    }

    /// How many copies were encoded so far.
    pub fn encoded(&self) -> usize {
        self.encoded.load(Ordering::Relaxed)
    }

    /// Whether this build showed the photo in `source` as a picture (passed through or not).
    pub fn shown_as_picture(&self, source: &Path) -> bool {
        lock(&self.shown).contains(source)
    }

    /// The digest and header of the file at `source`: from the index when its size and time
    /// are those recorded, else read.
    fn identify(&self, source: &Path) -> Result<SourceFile, Problem> {
        let stamp = std::fs::metadata(source).ok().and_then(|metadata| {
            let modified = metadata.modified().ok()?;
            let nanos = modified
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_nanos();
            metadata.is_file().then_some((metadata.len(), nanos))
        });
        let recorded = stamp.and_then(|stamp| {
            self.index
                .get(source)
                .filter(|known| (known.len, known.modified) == stamp)
                .cloned()
        });
        let (known, bytes) = match recorded {
            Some(known) => (known, None),
            None => {
                let bytes = read(source)?;
                let header = process::probe(&bytes).map_err(Problem::Image)?;
                let (len, modified) = stamp.unwrap_or_default();
                let known = Known {
                    len,
                    modified,
                    digest: hex(&Sha256::digest(&bytes)[..16]),
                    header,
                };
                (known, Some(bytes))
            }
        };
        if stamp.is_some() {
            lock(&self.seen).insert(source.to_path_buf(), known.clone());
        }
        Ok(SourceFile {
            path: source.to_path_buf(),
            known,
            bytes,
        })
    }

    /// The files made so far, each once.
    pub fn take_made(&self) -> Vec<OutputFile> {
        std::mem::take(&mut *lock(&self.made))
    }

    /// The picture of the photo in `source` at the widths of `ladder` (the settings' when
    /// empty), encoding the copies the cache lacks, in parallel.
    pub fn picture_at(&self, source: &Path, ladder: &[u32]) -> Result<Picture, Problem> {
        let ladder = if ladder.is_empty() {
            &self.widths
        } else {
            ladder
        };
        let key = (source.to_path_buf(), ladder.to_vec());
        if let Some(known) = lock(&self.pictures).get(&key) {
            return known.clone();
        }
        let made = self
            .identify(source)
            .and_then(|mut file| self.picture(&mut file, ladder));
        if made.is_ok() {
            lock(&self.shown).insert(source.to_path_buf());
        }
        lock(&self.pictures).insert(key, made.clone());
        made
    }

    /// The social preview of the photo in `source`: cropped around its centre to
    /// `SOCIAL_PREVIEW`, as a JPEG, which every site that shows previews reads.
    pub fn social_preview(&self, source: &Path) -> Result<Copy, Problem> {
        if let Some(known) = lock(&self.previews).get(source) {
            return known.clone();
        }
        let made = self
            .identify(source)
            .and_then(|mut file| self.preview(&mut file));
        lock(&self.previews).insert(source.to_path_buf(), made.clone());
        made
    }

    fn preview(&self, file: &mut SourceFile) -> Result<Copy, Problem> {
        let (header, digest) = (file.known.header, file.known.digest.clone());
        let stem = output_stem(&file.path);
        if header.format.passes_through() {
            let picture = self.passed_through(file, header, &digest, &stem)?;
            return Ok(picture.sets[0].copies[0].clone());
        }
        let (width, height) = SOCIAL_PREVIEW;
        let name = format!(
            "{digest}-{width}x{height}-q{}-v{ENCODING_VERSION}.jpg",
            self.quality
        );
        if !self.folder.has(&name) {
            let photo = process::decode(file.bytes()?).map_err(Problem::Image)?;
            let made = process::cover(&photo, width, height)
                .and_then(|cropped| process::encode(&cropped, Format::Jpeg, self.quality))
                .and_then(|encoded| {
                    self.encoded.fetch_add(1, Ordering::Relaxed);
                    self.store(&name, &encoded, Format::Jpeg)
                });
            made.map_err(Problem::Image)?;
        }
        let id = self.copies_id(&digest);
        let output_path = format!("{OUTPUT_FOLDER}/{stem}-{id}-{width}x{height}.jpg");
        self.use_entry(&name, &output_path);
        Ok(Copy {
            width,
            height,
            output_path,
        })
    }

    fn store(&self, name: &str, bytes: &[u8], format: Format) -> Result<(), ImageError> {
        self.folder
            .write(name, bytes)
            .map_err(|error| ImageError::Encoding {
                format: format.mime(),
                reason: format!("{error:#}"),
            })
    }

    /// The picture of the photo in `file`.
    fn picture(&self, file: &mut SourceFile, ladder: &[u32]) -> Result<Picture, Problem> {
        let (header, digest) = (file.known.header, file.known.digest.clone());
        let stem = output_stem(&file.path);
        if header.format.passes_through() {
            return self.passed_through(file, header, &digest, &stem);
        }
        let widths = process::widths_for(ladder, header.width);
        let formats = formats_for(header.format);
        let names = CopyNames::new(self, &digest, &stem);
        let wanted: Vec<(Format, u32, String)> = formats
            .iter()
            .flat_map(|&format| {
                let names = &names;
                widths
                    .iter()
                    .map(move |&width| (format, width, names.entry(format, width)))
            })
            .collect();
        let missing: Vec<&(Format, u32, String)> = wanted
            .iter()
            .filter(|(_, _, name)| !self.folder.has(name))
            .collect();
        if !missing.is_empty() {
            self.encode(file.bytes()?, &missing)
                .map_err(Problem::Image)?;
        }
        let mut used = Vec::with_capacity(wanted.len());
        let sets = formats
            .iter()
            .map(|&format| CopySet {
                format,
                copies: wanted
                    .iter()
                    .filter(|(copy_format, _, _)| *copy_format == format)
                    .map(|(_, width, name)| {
                        let output_path = names.output_path(format, *width);
                        used.push((name.clone(), output_path.clone()));
                        Copy {
                            width: *width,
                            height: process::height_for(header.width, header.height, *width),
                            output_path,
                        }
                    })
                    .collect(),
            })
            .collect();
        self.use_entries(used);
        let widest = widths.last().copied().unwrap_or(header.width);
        Ok(Picture {
            format: header.format,
            width: widest,
            height: process::height_for(header.width, header.height, widest),
            sets,
            source_width: header.width,
        })
    }

    /// A file written as it is (SVG, GIF), kept in the cache like the encoded copies, so
    /// that the output's folder of images holds only cache entries.
    fn passed_through(
        &self,
        file: &mut SourceFile,
        header: process::Header,
        digest: &str,
        stem: &str,
    ) -> Result<Picture, Problem> {
        let extension = header.format.extension();
        let name = format!("{digest}-as-is.{extension}");
        // Its bytes are the source's: its digest names them.
        let output_path = format!("{OUTPUT_FOLDER}/{stem}-{}.{extension}", &digest[..12]);
        if !self.folder.has(&name) {
            self.store(&name, file.bytes()?, header.format)
                .map_err(Problem::Image)?;
        }
        self.use_entry(&name, &output_path);
        Ok(Picture {
            format: header.format,
            width: header.width,
            height: header.height,
            source_width: header.width,
            sets: vec![CopySet {
                format: header.format,
                copies: vec![Copy {
                    width: header.width,
                    height: header.height,
                    output_path,
                }],
            }],
        })
    }

    /// Decodes the photo once and encodes each missing copy, one width's resize shared by
    /// its formats.
    fn encode(&self, bytes: &[u8], missing: &[&(Format, u32, String)]) -> Result<(), ImageError> {
        let photo = process::decode(bytes)?;
        let mut widths: Vec<u32> = missing.iter().map(|(_, width, _)| *width).collect();
        widths.sort_unstable();
        widths.dedup();
        widths.par_iter().try_for_each(|&width| {
            let resized = process::resize(&photo, width)?;
            missing
                .par_iter()
                .filter(|(_, copy_width, _)| *copy_width == width)
                .try_for_each(|(format, _, name)| {
                    let encoded = process::encode(&resized, *format, self.quality)?;
                    self.encoded.fetch_add(1, Ordering::Relaxed);
                    self.store(name, &encoded, *format)
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

    fn use_entry(&self, name: &str, output_path: &str) {
        self.use_entries(vec![(name.to_string(), output_path.to_string())]);
    }

    /// Notes the entries `(name, output path)` as used and hands their output files on,
    /// each once; a warm build does this for every copy, hence one lock of each set for all.
    fn use_entries(&self, entries: Vec<(String, String)>) {
        let mut names = Vec::with_capacity(entries.len());
        let mut files = Vec::with_capacity(entries.len());
        for (name, output_path) in entries {
            files.push(OutputFile {
                path: output_path,
                contents: Contents::LinkOf(self.folder.entry(&name)),
            });
            names.push(name);
        }
        crate::output::note_made(&files);
        lock(&self.used).extend(names);
        let mut handed_on = lock(&self.handed_on);
        let new: Vec<OutputFile> = files
            .into_iter()
            .filter(|file| handed_on.insert(file.path.clone()))
            .collect();
        drop(handed_on);
        lock(&self.made).extend(new);
    }

    /// Removes the entries this build did not use.
    pub fn finish(&self) -> Option<Diagnostic> {
        let mut used = lock(&self.used);
        let seen = lock(&self.seen);
        if !seen.is_empty() {
            used.insert(INDEX.to_string());
        }
        // Written only when it changed, so that a warm rebuild writes nothing.
        let written = if *seen == self.index {
            Ok(())
        } else {
            self.folder.write(INDEX, index_text(&seen).as_bytes())
        };
        let error = written
            .and_then(|()| self.folder.prune(|name| used.contains(name)).map(|_| ()))
            .err()?;
        Some(
            Diagnostic::warning(self.folder.entry(""), format!("{error:#}")).with_help(
                "the images' cache could not be cleaned up; removing the folder is safe",
            ),
        )
    }
}

/// The names of one photo's copies, built from parts made once per photo: a warm build names
/// every copy of every photo, and each `format!` of a whole name cost more than the rest of it.
struct CopyNames<'a> {
    digest: &'a str,
    quality: u8,
    /// `images/{stem}-{copies id}-`.
    output_prefix: String,
}

impl<'a> CopyNames<'a> {
    fn new(cache: &ImageCache, digest: &'a str, stem: &str) -> Self {
        let id = cache.copies_id(digest);
        CopyNames {
            digest,
            quality: cache.quality,
            output_prefix: format!("{OUTPUT_FOLDER}/{stem}-{id}-"),
        }
    }

    /// The cache entry: `{digest}-{width}w-q{quality}-v{version}.{extension}`.
    fn entry(&self, format: Format, width: u32) -> String {
        let quality = match format {
            Format::Png => 0,
            _ => self.quality,
        };
        let mut name = String::with_capacity(self.digest.len() + 32);
        name.push_str(self.digest);
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

    /// The output path: `images/{stem}-{copies id}-{width}.{extension}`.
    fn output_path(&self, format: Format, width: u32) -> String {
        let mut path = String::with_capacity(self.output_prefix.len() + 10);
        path.push_str(&self.output_prefix);
        path.push_str(itoa::Buffer::new().format(width));
        path.push('.');
        path.push_str(format.extension());
        path
    }
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
fn formats_for(format: Format) -> Vec<Format> {
    match format {
        Format::WebP => vec![Format::WebP],
        own => vec![Format::WebP, own],
    }
}

/// The source's file name, lowercased to ASCII letters, digits and `-`, for readable output
/// names.
fn output_stem(source: &Path) -> String {
    let stem = source
        .file_stem()
        .map(|stem| deunicode::deunicode(&stem.to_string_lossy()).to_ascii_lowercase())
        .unwrap_or_default();
    let mut slug = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "image".into()
    } else {
        slug.into()
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}
