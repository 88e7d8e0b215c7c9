//! Responsive images: every Markdown image of a page, beside the page or from `static/`,
//! becomes a `<picture>` of WebP copies and copies in its own format, at the widths of
//! `[images]` (never wider than the photo), with its width and height so that nothing shifts
//! as it loads. Copies are encoded from pixels only, so no EXIF (GPS) survives; they are kept
//! in a cache outside the output, named by the source's content and the parameters, so that
//! an unchanged photo is never encoded twice. GIF and SVG pass through as they are.
//! docs/images.md tells authors how to use it.

mod cache;
mod markdown;
pub mod process;
pub mod settings;
mod strip;

use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::content::SourcePage;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::feature::{BodyRewrite, Feature, FeatureEntry};
use crate::output::Contents;
use crate::site::Site;

pub use cache::{ImageCache, Picture};
use settings::ImageSettings;

pub const FEATURE: FeatureEntry = FeatureEntry {
    section: "images",
    templates: &[],
    slots: &[],
    configure,
};

fn configure(settings: &Settings, problems: &mut Diagnostics) -> Box<dyn Feature> {
    let images = settings::read(settings, FEATURE.section, problems);
    Box::new(Images::new(
        settings::site_root(settings),
        settings.base_url.path.clone(),
        images,
    ))
}

/// The images of one build.
pub struct Images {
    root: PathBuf,
    /// The path the site is served under (`/` or `/aimtowin/`).
    base_path: String,
    settings: ImageSettings,
    cache: ImageCache,
}

impl Images {
    pub fn new(root: PathBuf, base_path: String, settings: ImageSettings) -> Self {
        let cache = ImageCache::new(&settings);
        Images {
            root,
            base_path,
            settings,
            cache,
        }
    }

    /// How many copies this build encoded (none when the cache had them all).
    pub fn encoded(&self) -> usize {
        self.cache.encoded()
    }

    fn root(&self) -> &Path {
        &self.root
    }
}

impl Feature for Images {
    fn rewrite_body(&self, page: &SourcePage, html: &str) -> BodyRewrite {
        markdown::rewrite(self, page, html)
    }

    /// Photos copied as they are lose their metadata too.
    fn replace_copy(&self, output_path: &str, contents: &Contents) -> Option<Contents> {
        let extension = output_path.rsplit_once('.')?.1.to_ascii_lowercase();
        if !["jpg", "jpeg", "png", "webp"].contains(&extension.as_str()) {
            return None;
        }
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

    fn build_succeeded(&self) -> Vec<Diagnostic> {
        self.cache.finish().into_iter().collect()
    }

    fn template_value(&self, _site: &Site) -> tera::Value {
        tera::Value::from_serializable(&serde_json::json!({
            "widths": self.settings.widths,
            "sizes": self.settings.sizes,
        }))
    }
}
