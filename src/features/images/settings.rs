//! `[images]` in `site.toml`: the widths written, the quality, the `sizes` of a picture in an
//! article's column, and where the cache is.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::Settings;
use crate::diagnostics::Diagnostics;

/// The widths written when `site.toml` gives none: a phone at 1× to a wide screen at 2×.
pub const DEFAULT_WIDTHS: [u32; 5] = [480, 800, 1200, 1600, 2000];
/// WebP and JPEG quality: no artefacts visible on photos at their size on a screen.
pub const DEFAULT_QUALITY: u8 = 80;
/// The article column (`.container`: `min(100% - 2.5rem, 68ch)`) at the theme's font size.
pub const DEFAULT_SIZES: &str = "(min-width: 48rem) 42rem, calc(100vw - 2.5rem)";
/// Below `--cache DIR` (`.aimsite-cache/` by default): the images' own folder, since pruning
/// empties it of anything else.
const CACHE_SUBFOLDER: &str = "images";

const NARROWEST: u32 = 16;
const WIDEST: u32 = 8192;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImages {
    widths: Option<Vec<u32>>,
    quality: Option<u8>,
    sizes: Option<String>,
    cache: Option<PathBuf>,
}

/// `[images]`, checked, with the defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSettings {
    /// Ascending, without repeats.
    pub widths: Vec<u32>,
    pub quality: u8,
    pub sizes: String,
    pub cache: PathBuf,
}

impl ImageSettings {
    /// The defaults, for a site whose folder is `root`.
    pub fn defaults(root: &Path) -> Self {
        ImageSettings {
            widths: DEFAULT_WIDTHS.to_vec(),
            quality: DEFAULT_QUALITY,
            sizes: DEFAULT_SIZES.into(),
            cache: root.join(crate::build::CACHE_DIR).join(CACHE_SUBFOLDER),
        }
    }
}

/// The site's folder.
pub fn site_root(settings: &Settings) -> PathBuf {
    settings.root.clone()
}

/// Reads `[images]`, pushing every problem located in `site.toml`; the defaults stand in for
/// what is wrong.
pub fn read(settings: &Settings, section: &str, problems: &mut Diagnostics) -> ImageSettings {
    let root = site_root(settings);
    let mut images = read_section(settings, &root, section, problems);
    if let Some(cache) = &settings.cache {
        images.cache = cache.join(CACHE_SUBFOLDER);
    }
    images
}

fn read_section(
    settings: &Settings,
    root: &Path,
    section: &str,
    problems: &mut Diagnostics,
) -> ImageSettings {
    let mut images = ImageSettings::defaults(root);
    let file = &settings.file;
    let raw = match file.section::<RawImages>(section) {
        Ok(Some(raw)) => raw,
        Ok(None) => return images,
        Err(problem) => {
            problems.push(*problem);
            return images;
        }
    };
    let span = raw.span();
    let raw = raw.into_inner();
    if let Some(mut widths) = raw.widths {
        widths.sort_unstable();
        widths.dedup();
        let out_of_range = widths.iter().any(|w| !(NARROWEST..=WIDEST).contains(w));
        if widths.is_empty() || out_of_range {
            problems.push(
                file.error_at(
                    span.clone(),
                    format!(
                        "`[images] widths` must list widths in pixels between {NARROWEST} and \
                         {WIDEST}"
                    ),
                )
                .with_help("for example `widths = [480, 800, 1200, 1600, 2000]`, the default"),
            );
        } else {
            images.widths = widths;
        }
    }
    match raw.quality {
        Some(quality) if !(1..=100).contains(&quality) => problems.push(
            file.error_at(span, "`[images] quality` must be between 1 and 100")
                .with_help("80 keeps photos clean at about a tenth of their size"),
        ),
        Some(quality) => images.quality = quality,
        None => {}
    }
    if let Some(sizes) = raw.sizes {
        images.sizes = sizes;
    }
    if let Some(cache) = raw.cache {
        images.cache = root.join(cache);
    }
    images
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(section: &str) -> (ImageSettings, Diagnostics) {
        let text = format!("title = \"T\"\nbase_url = \"https://t.test/\"\n\n{section}");
        let (mut settings, _) =
            crate::config::parse(&text, PathBuf::from("site.toml"), None, &["images"]).unwrap();
        settings.root = PathBuf::from("/site");
        let mut problems = Diagnostics::default();
        let images = read(&settings, "images", &mut problems);
        (images, problems)
    }

    #[test]
    fn without_a_section_the_defaults_apply() {
        let (images, problems) = images("");
        assert_eq!(images, ImageSettings::defaults(Path::new("/site")));
        assert_eq!(images.widths, [480, 800, 1200, 1600, 2000]);
        assert_eq!(images.cache, Path::new("/site/.aimsite-cache/images"));
        assert!(!problems.has_errors());
    }

    #[test]
    fn the_ladder_and_quality_come_from_the_section() {
        let (images, problems) =
            images("[images]\nwidths = [1600, 640, 640, 320]\nquality = 70\ncache = \"tmp\"\n");
        assert!(!problems.has_errors());
        assert_eq!(images.widths, [320, 640, 1600]);
        assert_eq!(images.quality, 70);
        assert_eq!(images.cache, Path::new("/site/tmp"));
    }

    #[test]
    fn bad_values_are_located_errors() {
        for section in [
            "[images]\nwidths = []\n",
            "[images]\nwidths = [8, 800]\n",
            "[images]\nquality = 0\n",
            "[images]\nwidth = [800]\n",
        ] {
            let (images, problems) = images(section);
            assert!(problems.has_errors(), "{section}");
            let problem = problems.iter().next().unwrap();
            assert!(problem.location.is_some(), "{section}: {problem:?}");
            assert_eq!(images.widths, DEFAULT_WIDTHS, "{section}");
        }
    }
}
