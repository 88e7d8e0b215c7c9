//! Responsive images: every Markdown image of a page, beside the page or from `static/`,
//! becomes a `<picture>` of WebP copies and copies in its own format, at the widths of
//! `[images]` (never wider than the photo), with its width and height so that nothing shifts
//! as it loads. Templates get the same through `image(path=…)`, and a social preview cropped
//! to 1200 × 630 through `image_url(path=…)`. Copies are encoded from pixels only, so no EXIF
//! (GPS) survives, and photos copied as they are lose theirs too; they are kept in a cache
//! outside the output, named by the source's content and the parameters, so that an
//! unchanged photo is never encoded twice. GIF and SVG pass through as they are.
//! docs/images.md tells authors how to use it.

mod cache;
mod markdown;
pub mod process;
pub mod settings;
mod strip;
mod template;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Settings;
use crate::content::{SourcePage, Unreadable};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::feature::{
    Body, BodyPart, BodyRewrite, CopyAction, Feature, FeatureEntry, TemplateFunction,
};
use crate::output::{Contents, LinkGroup};
use crate::site::Site;

pub use cache::{ImageCache, Picture};
use process::ImageError;
use settings::ImageSettings;

pub const FEATURE: FeatureEntry = FeatureEntry {
    section: "images",
    templates: &[],
    slots: &[],
    functions: &[template::IMAGE, template::IMAGE_URL],
    configure,
};

/// The size of a social preview: what Facebook, LinkedIn and X show large.
pub const SOCIAL_PREVIEW: (u32, u32) = (1200, 630);

fn configure(settings: &Settings, problems: &mut Diagnostics) -> Box<dyn Feature> {
    let images = settings::read(settings, FEATURE.section, problems);
    Box::new(Images::new(
        settings::site_root(settings),
        settings.base_url.origin.clone(),
        settings.base_url.path.clone(),
        images,
    ))
}

/// The images of one build.
pub struct Images {
    shared: Arc<Shared>,
}

/// What the Markdown rewrite and the template functions share.
struct Shared {
    root: PathBuf,
    /// The site's `content/` and `static/` folders, where images are.
    content_dir: PathBuf,
    static_dir: PathBuf,
    /// Scheme and host of the site.
    origin: String,
    /// The path the site is served under (`/` or `/aimtowin/`).
    base_path: String,
    settings: ImageSettings,
    cache: ImageCache,
}

impl Images {
    pub fn new(root: PathBuf, origin: String, base_path: String, settings: ImageSettings) -> Self {
        let cache = ImageCache::new(&settings);
        Images {
            shared: Arc::new(Shared {
                content_dir: root.join(crate::content::CONTENT_DIR),
                static_dir: root.join(crate::content::STATIC_DIR),
                root,
                origin,
                base_path,
                settings,
                cache,
            }),
        }
    }

    /// How many copies this build encoded (none when the cache had them all).
    pub fn encoded(&self) -> usize {
        self.shared.cache.encoded()
    }
}

impl Shared {
    fn root(&self) -> &Path {
        &self.root
    }

    /// The file a path on the site names: below `static/`, or a page's asset below
    /// `content/` (assets keep their path there). `None` for an image on another site.
    fn site_file(&self, path: &str) -> Result<Option<PathBuf>, String> {
        let path = path
            .strip_prefix(&self.origin)
            .and_then(|rest| rest.strip_prefix(&self.base_path))
            .unwrap_or(path);
        let relative = path.trim_start_matches('/');
        let in_static = self.local_file(None, &format!("/{relative}"))?;
        let Some(in_static) = in_static else {
            return Ok(None);
        };
        if in_static.is_file() {
            return Ok(Some(in_static));
        }
        // Neither: the missing file is told as the one below `static/`.
        let in_content = self.local_file(Some(""), relative)?;
        Ok(in_content.filter(|file| file.is_file()).or(Some(in_static)))
    }

    fn url(&self, output_path: &str) -> String {
        format!("{}{}{output_path}", self.origin, self.base_path)
    }
}

impl Feature for Images {
    fn rewrite_body(&self, body: Body, html: &str) -> BodyRewrite {
        let mut rewrite = markdown::rewrite(&self.shared, body, html);
        let page = body.page;
        if body.part == BodyPart::Summary {
            rewrite.problems.clear();
            return rewrite;
        }
        // The page's own image is made here, which every build does for every page, so that
        // its files are there when `serve` reuses the page's HTML without its template.
        if let Some(image) = &page.front.image {
            rewrite
                .problems
                .extend(self.front_matter_image(page, image));
        }
        rewrite
    }

    fn template_functions(&self) -> Vec<(&'static str, TemplateFunction)> {
        template::functions(&self.shared)
    }

    fn made_links(&self) -> Vec<Box<dyn LinkGroup>> {
        let made = self.shared.cache.made_links();
        made.map(|made| Box::new(made) as Box<dyn LinkGroup>)
            .into_iter()
            .collect()
    }

    /// A photo shown as a picture is not copied as it is: its copies stand for it, and a
    /// large original would cost every build its writing. Other photos lose their metadata.
    fn copy_action(&self, output_path: &str, contents: &Contents) -> CopyAction {
        let is_photo = output_path.rsplit_once('.').is_some_and(|(_, extension)| {
            let photo = ["jpg", "jpeg", "png", "webp"];
            photo
                .iter()
                .any(|photo| extension.eq_ignore_ascii_case(photo))
        });
        if !is_photo {
            return CopyAction::Keep;
        }
        if self.shown_as_picture(output_path, contents) {
            return CopyAction::Omit;
        }
        match stripped(contents) {
            Some(stripped) => CopyAction::Replace(stripped),
            None => CopyAction::Keep,
        }
    }

    fn build_succeeded(&self) -> Vec<Diagnostic> {
        self.shared.cache.finish().into_iter().collect()
    }

    fn template_value(&self, _site: &Site) -> tera::Value {
        tera::Value::from_serializable(&serde_json::json!({
            "widths": self.shared.settings.widths,
            "sizes": self.shared.settings.sizes,
        }))
    }
}

impl Images {
    /// Whether the file copied to `output_path` (or its fingerprinted copy there) was shown as
    /// a picture: static files and pages' assets keep their path below `static/` or
    /// `content/` in the output.
    fn shown_as_picture(&self, output_path: &str, contents: &Contents) -> bool {
        // Most are copies of the very file a picture was made of.
        if let Contents::CopyOf(source) = contents
            && self.shared.cache.shown_as_picture(source)
        {
            return true;
        }
        let unfingerprinted = without_fingerprint(output_path);
        [&self.shared.static_dir, &self.shared.content_dir]
            .iter()
            .any(|folder| {
                let source = crate::output::joined(folder, &unfingerprinted);
                self.shared.cache.shown_as_picture(&source)
            })
    }

    /// Makes the page's `image` (its header and its social preview), located in its front
    /// matter when it cannot be.
    fn front_matter_image(&self, page: &SourcePage, image: &str) -> Option<Diagnostic> {
        let at_image = || {
            let line = page
                .text
                .get(..page.body_start)
                .and_then(|front| front.find("\nimage"))
                .map_or(0, |at| at + 1);
            line..line + "image".len()
        };
        let located = |message: String, help: &str| {
            Diagnostic::error(&page.display_path, message)
                .at(&page.text, at_image())
                .with_help(help)
        };
        let file = match self.shared.site_file(image) {
            Ok(Some(file)) => file,
            Ok(None) => return None,
            Err(message) => return Some(located(message, "give a path on the site")),
        };
        let made = self
            .shared
            .cache
            .picture_at(&file, &self.shared.settings.widths)
            .and_then(|_| self.shared.cache.social_preview(&file));
        let problem = made.err()?;
        let (message, help) = problem.describe(&shown_path(self.shared.root(), &file));
        Some(located(message, help))
    }
}

/// `photos/a.0123456789.jpg` → `photos/a.jpg`: the path of the file a fingerprinted copy was
/// made of (`assets`).
fn without_fingerprint(path: &str) -> Cow<'_, str> {
    let Some((stem, extension)) = path.rsplit_once('.') else {
        return Cow::Borrowed(path);
    };
    match stem.rsplit_once('.') {
        Some((name, hash))
            if hash.len() == 10 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()) =>
        {
            Cow::Owned(format!("{name}.{extension}"))
        }
        _ => Cow::Borrowed(path),
    }
}

/// A photo's contents without its metadata; `None` when it has none (or cannot be read: the
/// copy then fails where it is written, with the file named).
fn stripped(contents: &Contents) -> Option<Contents> {
    let read;
    let bytes = match contents {
        Contents::CopyOf(path) => {
            read = crate::content::read_source(path).ok()?;
            &read[..]
        }
        other => other.bytes()?,
    };
    let format = process::format_of(bytes).ok()?;
    strip::strip(format, bytes).map(|stripped| Contents::Loaded(stripped.into()))
}

/// Why a picture cannot be made of a file.
#[derive(Debug, Clone)]
pub enum Problem {
    Missing,
    Unreadable(String),
    Image(ImageError),
}

impl Problem {
    fn from_unreadable(unreadable: Unreadable, shown: &Path) -> Self {
        match unreadable {
            Unreadable::Io(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Problem::Missing
            }
            other => Problem::Unreadable(other.diagnostic(shown).message),
        }
    }

    /// The message and the help, for the file shown as `shown`.
    fn describe(&self, shown: &Path) -> (String, &'static str) {
        match self {
            Problem::Missing => (
                format!("the image `{}` does not exist", shown.display()),
                "check the file's name and folder: a path without `/` is beside the page, \
                 one with `/` first is below `static/`",
            ),
            Problem::Unreadable(message) => (
                message.clone(),
                "check that the file exists and that you may read it",
            ),
            Problem::Image(error) => (format!("`{}`: {error}", shown.display()), error.help()),
        }
    }
}

fn shown_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}
