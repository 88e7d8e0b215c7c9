//! A page's Markdown images (`![alt](photo.jpg)`) into `<picture>`s: as the Markdown stage
//! found them, matched in order to the `<img>` tags it wrote (their places in the source are
//! looked for only to locate a problem). Images on other sites are left as they are.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use memchr::memmem::Finder;
use pulldown_cmark_escape::escape_html;

use super::cache::Picture;
use super::{Shared, shown_path};
use crate::diagnostics::Severity;
use crate::feature::{Body, BodyPart, BodyRewrite};
use crate::markdown::BodyImage;

/// How many times wider than the widest copy a source may be before `check` and `build`
/// warn about it.
const OVERSIZED: u32 = 2;

/// How a picture is loaded: the first of a page is likely in view at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loading {
    /// Fetched before anything else that waits.
    First,
    /// Fetched when about to scroll into view.
    Lazy,
}

pub fn rewrite(shared: &Shared, body: Body, html: &str) -> BodyRewrite {
    let mut rewrite = BodyRewrite::default();
    if body.markdown.images.is_empty() {
        return rewrite;
    }
    let page = body.page;
    // Where the images are in the source, found only for one with a problem.
    let mut spans = None;
    let mut located = |image: usize, message: String, help: &str| {
        let spans = spans.get_or_insert_with(|| crate::markdown::image_spans(page.body()));
        let span = spans.get(image).cloned().unwrap_or_default();
        page.body_error(span, message).with_help(help)
    };
    let mut rewritten = String::new();
    let mut done = 0;
    // In a list, the first card's picture need not come before the others.
    let mut loading = match body.part {
        BodyPart::Whole => Loading::First,
        BodyPart::Summary => Loading::Lazy,
    };
    for (index, image) in body.markdown.images.iter().enumerate() {
        let Some(tag) = find_img(html, done, &image.destination) else {
            continue;
        };
        let source = match shared.local_file(Some(&page.source), &image.destination) {
            Ok(Some(source)) => source,
            Ok(None) => continue,
            Err(message) => {
                rewrite.problems.push(located(
                    index,
                    message,
                    "give a path beside the page, or one from `static/` starting with `/`",
                ));
                continue;
            }
        };
        match shared.cache.picture_at(&source, &[]) {
            Ok(picture) => {
                if picture.source_width > OVERSIZED * picture.width {
                    let shown = shown_path(shared.root(), &source);
                    let message = format!(
                        "`{}` is {} pixels wide, more than {OVERSIZED} times the widest copy \
                         written ({} pixels)",
                        shown.display(),
                        picture.source_width,
                        picture.width
                    );
                    let mut warning = located(
                        index,
                        message,
                        "scale the photo down before adding it: the repository stays smaller \
                         and a build without the cache is faster",
                    );
                    warning.severity = Severity::Warning;
                    rewrite.problems.push(warning);
                }
                if rewritten.is_empty() {
                    rewritten.reserve(html.len() + 1024);
                }
                rewritten.push_str(&html[done..tag.start]);
                push_picture(
                    &mut rewritten,
                    &picture,
                    &shared.base_path,
                    image,
                    &shared.settings.sizes,
                    loading,
                );
                done = tag.end;
                loading = Loading::Lazy;
            }
            Err(problem) => {
                let (message, help) = problem.describe(&shown_path(shared.root(), &source));
                rewrite.problems.push(located(index, message, help));
            }
        }
    }
    if done == 0 {
        return rewrite;
    }
    rewritten.push_str(&html[done..]);
    rewrite.html = Some(rewritten);
    rewrite
}

impl Shared {
    /// The file an image's destination names: below `static/` when it starts with `/`,
    /// beside the page (its source path below `content/`) otherwise, or below `content/`
    /// without a page. `None` for an image on another site.
    pub(super) fn local_file(
        &self,
        page: Option<&str>,
        destination: &str,
    ) -> Result<Option<PathBuf>, String> {
        let bytes = destination.as_bytes();
        let path = &destination[..memchr::memchr2(b'?', b'#', bytes).unwrap_or(bytes.len())];
        let scheme = memchr::memchr(b':', path.as_bytes())
            .is_some_and(|colon| memchr::memchr(b'/', &path.as_bytes()[..colon]).is_none());
        if scheme || path.starts_with("//") || path.is_empty() {
            return Ok(None);
        }
        let decoded = match memchr::memchr(b'%', path.as_bytes()) {
            Some(_) => percent_encoding::percent_decode_str(path).decode_utf8_lossy(),
            None => Cow::Borrowed(path),
        };
        let (floor, relative) = match decoded.strip_prefix('/') {
            Some(rest) => (&self.static_dir, rest),
            None => (&self.content_dir, decoded.as_ref()),
        };
        // The page's folder below `content/` (source paths have `/` between their parts).
        let folder = match (decoded.starts_with('/'), page) {
            (false, Some(page)) => page.rsplit_once('/').map_or("", |(folder, _)| folder),
            _ => "",
        };
        // A part `.` or `..` ends in a dot before a slash or the end.
        let may_step =
            relative.ends_with('.') || memchr::memmem::find(relative.as_bytes(), b"./").is_some();
        let steps_about = may_step && relative.split('/').any(|part| part == "." || part == "..");
        if !steps_about {
            let below = match folder.is_empty() {
                true => relative.to_string(),
                false => [folder, "/", relative].concat(),
            };
            return Ok(Some(crate::output::joined(floor, &below)));
        }
        let mut file = crate::output::joined(floor, folder);
        for component in Path::new(relative).components() {
            match component {
                Component::Normal(part) => file.push(part),
                Component::CurDir => {}
                Component::ParentDir if file != *floor && file.pop() => {}
                _ => {
                    return Err(format!(
                        "the image `{destination}` is outside the site's `content/` and `static/`"
                    ));
                }
            }
        }
        Ok(Some(file))
    }
}

/// How the Markdown stage writes an image, searched for in every page's HTML.
static IMG_TAG: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<img src=\""));

/// Where the `<img>` the Markdown stage wrote for `destination` is, from `from` on.
fn find_img(html: &str, from: usize, destination: &str) -> Option<Range<usize>> {
    let encoded = |text: &str| memchr::memchr2(b'%', b'&', text.as_bytes()).is_some();
    let decoded = |text: &str| -> String {
        let text = text.replace("&amp;", "&");
        percent_encoding::percent_decode_str(&text)
            .decode_utf8_lossy()
            .into_owned()
    };
    let wanted: Cow<str> = match encoded(destination) {
        true => Cow::Owned(decoded(destination)),
        false => Cow::Borrowed(destination),
    };
    let mut at = from;
    while let Some(found) = IMG_TAG.find(html.get(at..)?.as_bytes()) {
        let start = at + found;
        let value_start = start + IMG_TAG.needle().len();
        let value_end = value_start + memchr::memchr(b'"', &html.as_bytes()[value_start..])?;
        let end = value_end + memchr::memchr(b'>', &html.as_bytes()[value_end..])? + 1;
        let src = &html[value_start..value_end];
        let same = match encoded(src) {
            false => src.ends_with(wanted.as_ref()),
            true => decoded(src).ends_with(wanted.as_ref()),
        };
        if same {
            return Some(start..end);
        }
        at = end;
    }
    None
}

/// The HTML of a picture: a `<source>` per format other than the source's, and an `<img>` with
/// the size of the widest copy, so that the browser keeps its place before it loads.
pub fn picture_html(
    picture: &Picture,
    base_path: &str,
    image: &impl ImageText,
    sizes: &str,
    loading: Loading,
) -> String {
    let mut html = String::with_capacity(1024);
    push_picture(&mut html, picture, base_path, image, sizes, loading);
    html
}

/// `picture_html`, written at the end of `html`.
fn push_picture(
    html: &mut String,
    picture: &Picture,
    base_path: &str,
    image: &impl ImageText,
    sizes: &str,
    loading: Loading,
) {
    let push_srcset = |html: &mut String, set: &super::cache::CopySet| {
        for (index, copy) in set.copies.iter().enumerate() {
            if index > 0 {
                html.push_str(", ");
            }
            html.push_str(base_path);
            picture.push_output_path(html, set.format, copy.width);
            html.push(' ');
            html.push_str(itoa::Buffer::new().format(copy.width));
            html.push('w');
        }
    };
    let push_sizes = |html: &mut String| {
        html.push_str("\" sizes=\"");
        let _ = escape_html(&mut *html, sizes);
    };
    html.push_str("<picture>");
    for set in picture
        .sets
        .iter()
        .filter(|set| set.format != picture.format)
    {
        html.push_str("<source type=\"");
        html.push_str(set.format.mime());
        html.push_str("\" srcset=\"");
        push_srcset(html, set);
        push_sizes(html);
        html.push_str("\">");
    }
    html.push_str("<img");
    if let Some(set) = picture.sets.iter().find(|set| set.format == picture.format) {
        let fallback = set
            .copies
            .iter()
            .rev()
            .find(|copy| copy.width <= 1200)
            .or(set.copies.first());
        if let Some(fallback) = fallback {
            html.push_str(" src=\"");
            html.push_str(base_path);
            picture.push_output_path(html, set.format, fallback.width);
            html.push('"');
        }
        if set.copies.len() > 1 {
            html.push_str(" srcset=\"");
            push_srcset(html, set);
            push_sizes(html);
            html.push('"');
        }
    }
    html.push_str(" width=\"");
    html.push_str(itoa::Buffer::new().format(picture.width));
    html.push_str("\" height=\"");
    html.push_str(itoa::Buffer::new().format(picture.height));
    html.push_str("\" alt=\"");
    let _ = escape_html(&mut *html, image.alt());
    html.push('"');
    if image.decorative() {
        html.push_str(" role=\"presentation\"");
    }
    if !image.title().is_empty() {
        html.push_str(" title=\"");
        let _ = escape_html(&mut *html, image.title());
        html.push('"');
    }
    html.push_str(match loading {
        Loading::First => " fetchpriority=\"high\" decoding=\"async\">",
        Loading::Lazy => " loading=\"lazy\" decoding=\"async\">",
    });
    html.push_str("</picture>");
}

/// The text of an image: its alternative text and its title.
pub trait ImageText {
    fn alt(&self) -> &str;
    fn title(&self) -> &str;
    /// Whether its empty `alt` was meant: an ornament, not a Markdown image whose text was
    /// forgotten (which `check` reports).
    fn decorative(&self) -> bool {
        false
    }
}

impl ImageText for BodyImage {
    fn alt(&self) -> &str {
        &self.alt
    }
    fn title(&self) -> &str {
        &self.title
    }
}
