//! A page's Markdown images (`![alt](photo.jpg)`) into `<picture>`s: found in the source with
//! their spans, to locate problems, then matched in order to the `<img>` tags the Markdown
//! stage wrote. Images on other sites are left as they are.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use pulldown_cmark_escape::escape_html;

use super::cache::Picture;
use super::{Shared, shown_path};
use crate::content::{CONTENT_DIR, SourcePage};
use crate::diagnostics::Severity;
use crate::feature::{BodyPart, BodyRewrite};

/// How many times wider than the widest copy a source may be before `check` and `build`
/// warn about it.
const OVERSIZED: u32 = 2;

/// One `![alt](destination "title")` of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MarkdownImage {
    destination: String,
    alt: String,
    title: String,
    /// In the body.
    span: Range<usize>,
}

/// How a picture is loaded: the first of a page is likely in view at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loading {
    /// Fetched before anything else that waits.
    First,
    /// Fetched when about to scroll into view.
    Lazy,
}

pub fn rewrite(shared: &Shared, page: &SourcePage, html: &str, part: BodyPart) -> BodyRewrite {
    let mut rewrite = BodyRewrite::default();
    // The SIMD searcher: this runs on every page's HTML, most of which has no image.
    if memchr::memmem::find(html.as_bytes(), b"<img").is_none() {
        return rewrite;
    }
    let mut rewritten = String::with_capacity(html.len() + 1024);
    let mut done = 0;
    // In a list, the first card's picture need not come before the others.
    let mut loading = match part {
        BodyPart::Whole => Loading::First,
        BodyPart::Summary => Loading::Lazy,
    };
    for image in images_of(page.body()) {
        let located = |message: String, help: &str| {
            page.body_error(image.span.clone(), message).with_help(help)
        };
        let source = match local_file(shared.root(), Some(&page.source), &image.destination) {
            Ok(Some(source)) => source,
            Ok(None) => continue,
            Err(message) => {
                rewrite.problems.push(located(
                    message,
                    "give a path beside the page, or one from `static/` starting with `/`",
                ));
                continue;
            }
        };
        let Some(tag) = find_img(html, done, &image.destination) else {
            continue;
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
                        message,
                        "scale the photo down before adding it: the repository stays smaller \
                         and a build without the cache is faster",
                    );
                    warning.severity = Severity::Warning;
                    rewrite.problems.push(warning);
                }
                rewritten.push_str(&html[done..tag.start]);
                rewritten.push_str(&picture_html(
                    &picture,
                    &shared.base_path,
                    &image,
                    &shared.settings.sizes,
                    loading,
                ));
                done = tag.end;
                loading = Loading::Lazy;
            }
            Err(problem) => {
                let (message, help) = problem.describe(&shown_path(shared.root(), &source));
                rewrite.problems.push(located(message, help));
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

/// Every image of a Markdown body, in document order.
fn images_of(body: &str) -> Vec<MarkdownImage> {
    let mut found = Vec::new();
    let mut open: Option<MarkdownImage> = None;
    for (event, span) in Parser::new_ext(body, crate::markdown::options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                open = Some(MarkdownImage {
                    destination: dest_url.to_string(),
                    alt: String::new(),
                    title: title.to_string(),
                    span,
                });
            }
            Event::End(TagEnd::Image) => found.extend(open.take()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(image) = &mut open {
                    image.alt.push_str(&text);
                }
            }
            _ => {}
        }
    }
    found
}

/// The file an image's destination names: below `static/` when it starts with `/`, beside the
/// page (its source path below `content/`) otherwise, or below `content/` without a page.
/// `None` for an image on another site.
pub(super) fn local_file(
    root: &Path,
    page: Option<&str>,
    destination: &str,
) -> Result<Option<PathBuf>, String> {
    let path = destination.split(['?', '#']).next().unwrap_or(destination);
    let scheme = path
        .split_once(':')
        .is_some_and(|(before, _)| !before.contains('/'));
    if scheme || path.starts_with("//") || path.is_empty() {
        return Ok(None);
    }
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let floor = match decoded.starts_with('/') {
        true => root.join(crate::content::STATIC_DIR),
        false => root.join(CONTENT_DIR),
    };
    let (base, relative) = match decoded.strip_prefix('/') {
        Some(rest) => (root.join(crate::content::STATIC_DIR), rest.to_string()),
        None => {
            let folder = Path::new(page.unwrap_or_default())
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            (root.join(CONTENT_DIR).join(folder), decoded.into_owned())
        }
    };
    let mut file = base;
    for component in Path::new(&relative).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            Component::ParentDir if file != floor && file.pop() => {}
            _ => {
                return Err(format!(
                    "the image `{destination}` is outside the site's `content/` and `static/`"
                ));
            }
        }
    }
    Ok(Some(file))
}

/// Where the `<img>` the Markdown stage wrote for `destination` is, from `from` on.
fn find_img(html: &str, from: usize, destination: &str) -> Option<Range<usize>> {
    let wanted = percent_encoding::percent_decode_str(destination).decode_utf8_lossy();
    let mut at = from;
    while let Some(found) = html.get(at..)?.find("<img src=\"") {
        let start = at + found;
        let value_start = start + "<img src=\"".len();
        let value_end = value_start + html[value_start..].find('"')?;
        let end = value_end + html[value_end..].find('>')? + 1;
        let src = html[value_start..value_end].replace("&amp;", "&");
        if percent_encoding::percent_decode_str(&src)
            .decode_utf8_lossy()
            .ends_with(wanted.as_ref())
        {
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
    let srcset = |copies: &[super::cache::Copy]| {
        copies
            .iter()
            .map(|copy| format!("{base_path}{} {}w", copy.output_path, copy.width))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sizes_escaped = String::new();
    let _ = escape_html(&mut sizes_escaped, sizes);
    let mut html = String::from("<picture>");
    let mut img_attributes = String::new();
    for set in &picture.sets {
        if set.format != picture.format {
            html.push_str(&format!(
                "<source type=\"{}\" srcset=\"{}\" sizes=\"{sizes_escaped}\">",
                set.format.mime(),
                srcset(&set.copies)
            ));
            continue;
        }
        let fallback = set
            .copies
            .iter()
            .rev()
            .find(|copy| copy.width <= 1200)
            .or(set.copies.first());
        if let Some(fallback) = fallback {
            img_attributes = format!("src=\"{base_path}{}\"", fallback.output_path);
        }
        if set.copies.len() > 1 {
            img_attributes.push_str(&format!(
                " srcset=\"{}\" sizes=\"{sizes_escaped}\"",
                srcset(&set.copies)
            ));
        }
    }
    let mut alt = String::new();
    let _ = escape_html(&mut alt, image.alt());
    html.push_str(&format!(
        "<img {img_attributes} width=\"{}\" height=\"{}\" alt=\"{alt}\"",
        picture.width, picture.height
    ));
    if image.decorative() {
        html.push_str(" role=\"presentation\"");
    }
    if !image.title().is_empty() {
        let mut title = String::new();
        let _ = escape_html(&mut title, image.title());
        html.push_str(&format!(" title=\"{title}\""));
    }
    html.push_str(match loading {
        Loading::First => " fetchpriority=\"high\" decoding=\"async\">",
        Loading::Lazy => " loading=\"lazy\" decoding=\"async\">",
    });
    html.push_str("</picture>");
    html
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

impl ImageText for MarkdownImage {
    fn alt(&self) -> &str {
        &self.alt
    }
    fn title(&self) -> &str {
        &self.title
    }
}
