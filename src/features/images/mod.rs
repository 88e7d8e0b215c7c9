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

use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::content::SourcePage;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::feature::{BodyRewrite, Feature, FeatureEntry};
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
