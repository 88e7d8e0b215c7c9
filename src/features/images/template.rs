//! The template functions: `image(path=…)`, a `<picture>` as a Markdown image gets, and
//! `image_url(path=…)`, the absolute URL of a photo's social preview. A path is one on the
//! site: a file below `static/`, or a page's asset by its path below `content/`; an absolute
//! URL of the site itself is taken as its path.

use std::sync::Arc;

use pulldown_cmark_escape::escape_html;
use tera::{Kwargs, TeraResult, Value};

use super::markdown::{ImageText, Loading, picture_html};
use super::{Shared, shown_path};
use crate::feature::TemplateFunction;

pub const IMAGE: &str = "image";
pub const IMAGE_URL: &str = "image_url";

pub fn functions(shared: &Arc<Shared>) -> Vec<(&'static str, TemplateFunction)> {
    let for_image = Arc::clone(shared);
    let for_url = Arc::clone(shared);
    vec![
        (
            IMAGE,
            Arc::new(move |kwargs: Kwargs, _: &tera::State| image(&for_image, &kwargs)),
        ),
        (
            IMAGE_URL,
            Arc::new(move |kwargs: Kwargs, _: &tera::State| image_url(&for_url, &kwargs)),
        ),
    ]
}

struct Text<'a> {
    alt: &'a str,
}

impl ImageText for Text<'_> {
    fn alt(&self) -> &str {
        self.alt
    }
    fn title(&self) -> &str {
        ""
    }
    /// A template's image without `alt` is an ornament, such as an article's header.
    fn decorative(&self) -> bool {
        self.alt.trim().is_empty()
    }
}

/// `image(path=…, alt=…, widths=[…], sizes=…, class=…, eager=true)`.
fn image(shared: &Shared, kwargs: &Kwargs) -> TeraResult<Value> {
    let path: &str = kwargs.must_get("path")?;
    let alt: &str = kwargs.get("alt")?.unwrap_or_default();
    let sizes: &str = kwargs.get("sizes")?.unwrap_or(&shared.settings.sizes);
    let class: Option<&str> = kwargs.get("class")?;
    let eager: bool = kwargs.get("eager")?.unwrap_or(false);
    let widths = match kwargs.get::<&Value>("widths")? {
        Some(widths) => widths_of(widths)?,
        None => Vec::new(),
    };
    let failed =
        |message: String| tera::Error::message(format!("image(path=\"{path}\"): {message}"));
    let Some(file) = shared.site_file(path).map_err(failed)? else {
        let (mut url, mut text) = (String::new(), String::new());
        let _ = escape_html(&mut url, path);
        let _ = escape_html(&mut text, alt);
        return Ok(Value::safe_string(&format!(
            "<img src=\"{url}\" alt=\"{text}\">"
        )));
    };
    let picture = shared.cache.picture_at(&file, &widths).map_err(|problem| {
        let (message, help) = problem.describe(&shown_path(shared.root(), &file));
        failed(format!("{message}; {help}"))
    })?;
    let loading = if eager { Loading::First } else { Loading::Lazy };
    let mut html = picture_html(&picture, &shared.base_path, &Text { alt }, sizes, loading);
    if let Some(class) = class {
        let mut escaped = String::new();
        let _ = escape_html(&mut escaped, class);
        html = html.replacen("<picture>", &format!("<picture class=\"{escaped}\">"), 1);
    }
    Ok(Value::safe_string(&html))
}

fn widths_of(value: &Value) -> TeraResult<Vec<u32>> {
    let wrong = || tera::Error::message("image(widths=…) takes a list of widths in pixels");
    value
        .as_array()
        .ok_or_else(wrong)?
        .iter()
        .map(|width| {
            width
                .as_u64()
                .and_then(|width| u32::try_from(width).ok())
                .filter(|width| (16..=8192).contains(width))
                .ok_or_else(wrong)
        })
        .collect()
}

/// `image_url(path=…)`: the absolute URL of the photo's social preview, 1200 × 630; an image on
/// another site as it is.
fn image_url(shared: &Shared, kwargs: &Kwargs) -> TeraResult<Value> {
    let path: &str = kwargs.must_get("path")?;
    let failed =
        |message: String| tera::Error::message(format!("image_url(path=\"{path}\"): {message}"));
    let Some(file) = shared.site_file(path).map_err(failed)? else {
        return Ok(Value::from(path));
    };
    let preview = shared.cache.social_preview(&file).map_err(|problem| {
        let (message, help) = problem.describe(&shown_path(shared.root(), &file));
        failed(format!("{message}; {help}"))
    })?;
    Ok(Value::from(shared.url(&preview.output_path)))
}
