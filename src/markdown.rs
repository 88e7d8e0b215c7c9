//! Markdown to HTML: heading ids and anchors, table of contents, summary, word count, and
//! internal links by source path (`@/contact.md`). Pure: no I/O.

use ahash::{AHashMap, AHashSet};
use std::ops::Range;

use pulldown_cmark::{Alignment, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use pulldown_cmark_escape::{escape_href, escape_html};
use serde::Serialize;

use crate::shortcodes;

/// Where the summary ends when an author sets it by hand.
const MORE_MARKER: &str = "<!-- more -->";
/// Prefix of a link to another source file, relative to `content/`.
const SOURCE_LINK_PREFIX: &str = "@/";

/// One heading in the table of contents, with the headings below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// A link to a place inside the site, kept so that its target can be checked once every page is
/// rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalLink {
    /// The target's source path below `content/`; `None` for a link within the same page.
    pub source: Option<String>,
    pub fragment: Option<String>,
    /// Which link of the body it is, counting from 0 in document order: `link_spans` tells
    /// where it is. Offsets are found only for the few links that have a problem, since
    /// tracking every event's offset cost 2% of a build.
    pub link: usize,
}

/// A link whose target cannot be resolved, with where it is in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkProblem {
    /// Which link of the body, as in `InternalLink::link`.
    pub link: usize,
    pub message: String,
    pub help: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedMarkdown {
    pub html: String,
    pub summary: String,
    pub toc: Vec<TocEntry>,
    pub heading_ids: Vec<String>,
    pub word_count: usize,
    pub links: Vec<InternalLink>,
    /// Whether the body's raw HTML holds a `<script>` (`script_spans` tells where).
    pub has_script: bool,
    /// The body's shortcodes, whose markers `html` holds until the page stage expands them.
    pub shortcodes: Vec<shortcodes::Call>,
    /// The body's images (`![alt](destination)`), in document order.
    pub images: Vec<BodyImage>,
}

/// One `![alt](destination "title")` of a body. `image_spans` tells where it is, for the few
/// that have a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyImage {
    /// As written.
    pub destination: String,
    /// Its text, without markup.
    pub alt: String,
    pub title: String,
}

/// Resolves a source path below `content/` to the URL of the page it becomes.
pub trait ResolveSource {
    fn resolve(&self, source: &str) -> Result<String, LinkProblemKind>;

    /// Whether `source` is a published page, without the work of saying why not.
    fn is_published(&self, source: &str) -> bool {
        self.resolve(source).is_ok()
    }

    /// The path the site is served under (`/` or `/aimtowin/`), put in front of root-relative
    /// links so that they work under a sub-path too.
    fn base_path(&self) -> &str {
        "/"
    }
}

/// Why a link to a source file cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkProblemKind {
    Missing {
        suggestion: Option<String>,
    },
    Draft,
    /// Dated after the build's day, so held back (`--future` publishes it).
    Scheduled,
}

/// The Markdown extensions aimsite turns on; `check` reads Markdown with the same ones.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// The shortcodes of a body (`shortcodes.rs`), in order, and the paragraphs that start like one
/// (`{{ name(`) but are not written as one.
pub fn find_shortcodes(body: &str) -> (Vec<shortcodes::Call>, Vec<shortcodes::SyntaxProblem>) {
    let mut calls = Vec::new();
    let mut problems = Vec::new();
    if memchr::memmem::find(body.as_bytes(), b"{{").is_none() {
        return (calls, problems);
    }
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        if !matches!(event, Event::Start(Tag::Paragraph)) {
            continue;
        }
        let text = &body[range.clone()];
        let written = text.trim_end();
        if !written.starts_with("{{") || !shortcodes::looks_like_call(&written[2..]) {
            continue;
        }
        let span = range.start..range.start + written.len();
        match shortcodes::parse(written, span.start) {
            Ok(call) => calls.push(call),
            Err((at, message, help)) => problems.push(shortcodes::SyntaxProblem {
                span: at,
                message,
                help: help.into(),
            }),
        }
    }
    (calls, problems)
}

/// `render`, without searching for shortcodes a body its load found no `{{` in
/// (`SourcePage::body_may_have_shortcodes`).
pub fn render_searching(
    body: &str,
    links: &dyn ResolveSource,
    may_have_shortcodes: bool,
) -> (RenderedMarkdown, Vec<LinkProblem>) {
    if !may_have_shortcodes {
        return render_marked(body, links);
    }
    render(body, links)
}

/// Renders a Markdown body; each shortcode is left as a marker (`shortcodes::mark`), for the
/// page stage to put its template's HTML in its place.
pub fn render(body: &str, links: &dyn ResolveSource) -> (RenderedMarkdown, Vec<LinkProblem>) {
    let (calls, _) = find_shortcodes(body);
    if calls.is_empty() {
        return render_marked(body, links);
    }
    let marked = shortcodes::mark(body, &calls);
    let (mut rendered, problems) = render_marked(&marked, links);
    rendered.shortcodes = calls;
    (rendered, problems)
}

fn render_marked(body: &str, links: &dyn ResolveSource) -> (RenderedMarkdown, Vec<LinkProblem>) {
    if may_hold_raw_text(body) {
        return render_keeping_raw_text(body, links);
    }
    let mut renderer = Renderer::new(links, body);
    for event in Parser::new_ext(body, options()) {
        renderer.push(event);
    }
    renderer.finish()
}

/// `render` for a body where a script or style may be inline. Offsets cost time, so they are
/// tracked only here; kept apart so that the common loop stays as the compiler made it.
#[inline(never)]
fn render_keeping_raw_text(
    body: &str,
    links: &dyn ResolveSource,
) -> (RenderedMarkdown, Vec<LinkProblem>) {
    let mut renderer = Renderer::new(links, body);
    let mut raw = RawText::default();
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        if let Some(event) = raw.verbatim(event, &body[range]) {
            renderer.push(event);
        }
    }
    renderer.finish()
}

/// The elements whose content HTML takes as it is, never as text to typeset.
const RAW_TEXT_ELEMENTS: [&[u8]; 2] = [b"script", b"style"];

fn may_hold_raw_text(body: &str) -> bool {
    body.contains('<')
        && RAW_TEXT_ELEMENTS
            .iter()
            .any(|name| opens(body, name).is_some())
}

/// Where `<NAME` begins in `html` as a tag, in any case.
fn opens(html: &str, name: &[u8]) -> Option<usize> {
    let bytes = html.as_bytes();
    memchr::memchr_iter(b'<', bytes).find(|&at| crate::html::tag_starts_at(bytes, at, name))
}

/// Keeps the content of a `<script>` or `<style>` written inline in a paragraph as the author
/// wrote it: pulldown-cmark reads it as Markdown text, so smart punctuation would curl its
/// quotes and escaping would break it. (An HTML block is raw already.)
#[derive(Default)]
struct RawText {
    /// The element open inline, and how deep inside a Markdown element of its content we are.
    open: Option<(&'static [u8], usize)>,
}

impl RawText {
    fn verbatim<'a>(&mut self, event: Event<'a>, source: &'a str) -> Option<Event<'a>> {
        let Some((name, depth)) = &mut self.open else {
            if let Event::InlineHtml(html) = &event {
                self.open = RAW_TEXT_ELEMENTS
                    .into_iter()
                    .find(|name| opens(html, name).is_some() && !closes(html, name))
                    .map(|name| (name, 0));
            }
            return Some(event);
        };
        match event {
            Event::InlineHtml(html) if *depth == 0 => {
                if closes(&html, name) {
                    self.open = None;
                }
                Some(Event::InlineHtml(html))
            }
            // `*` or `_` in code read as emphasis: the source of the whole span, once.
            Event::Start(_) => {
                *depth += 1;
                (*depth == 1).then(|| Event::InlineHtml(source.into()))
            }
            Event::End(_) => {
                *depth = depth.saturating_sub(1);
                None
            }
            _ if *depth > 0 => None,
            _ => Some(Event::InlineHtml(source.into())),
        }
    }
}

fn closes(html: &str, name: &[u8]) -> bool {
    let bytes = html.as_bytes();
    bytes
        .windows(name.len() + 2)
        .any(|window| window.starts_with(b"</") && window[2..].eq_ignore_ascii_case(name))
}

/// Where each `<script>` of a body's raw HTML that a browser would run is, for the pages whose
/// `has_script` is set. A consent-gated script (`type="text/plain" data-consent`) and data
/// (`type="application/ld+json"`) do not run by themselves, so they are not listed.
pub fn script_spans(body: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    for (event, span) in Parser::new_ext(body, options()).into_offset_iter() {
        let (Event::Html(html) | Event::InlineHtml(html)) = event else {
            continue;
        };
        for token in crate::html::tokens(&html) {
            if let html5gum::Token::StartTag(tag) = token
                && tag.name.as_slice() == b"script"
                && crate::html::is_executable_type(&String::from_utf8_lossy(
                    tag.attributes
                        .get(b"type".as_slice())
                        .map_or(&[][..], |value| value),
                ))
            {
                let start = (span.start + tag.span.start).min(span.end);
                spans.push(start..(start + tag.span.end - tag.span.start).min(span.end));
            }
        }
    }
    spans
}

/// Where each link of a Markdown body is, in the order `InternalLink::link` counts them.
pub fn link_spans(body: &str) -> Vec<Range<usize>> {
    spans_of(body, |tag| matches!(tag, Tag::Link { .. }))
}

/// Where each image of a Markdown body is, in the order of `RenderedMarkdown::images`.
pub fn image_spans(body: &str) -> Vec<Range<usize>> {
    spans_of(body, |tag| matches!(tag, Tag::Image { .. }))
}

fn spans_of(body: &str, wanted: impl Fn(&Tag) -> bool) -> Vec<Range<usize>> {
    Parser::new_ext(body, options())
        .into_offset_iter()
        .filter(|(event, _)| matches!(event, Event::Start(tag) if wanted(tag)))
        .map(|(_, span)| span)
        .collect()
}

struct OpenHeading<'a> {
    level: HeadingLevel,
    id: Option<CowStr<'a>>,
    classes: Vec<CowStr<'a>>,
    attrs: Vec<(CowStr<'a>, Option<CowStr<'a>>)>,
    inner: Vec<Event<'a>>,
    text: String,
}

struct Renderer<'a, 'r> {
    links: &'r dyn ResolveSource,
    events: Vec<Event<'a>>,
    heading: Option<OpenHeading<'a>>,
    used_ids: AHashSet<String>,
    /// For each wanted id, the suffix to try next, so that many equal headings take linear time.
    next_suffix: AHashMap<String, usize>,
    headings: Vec<(u8, String, String)>,
    depth: usize,
    first_paragraph: Option<Range<usize>>,
    more_marker: Option<usize>,
    /// The text without markup, to count words.
    words: WordCounter,
    internal_links: Vec<InternalLink>,
    /// Links started so far: the next one's `InternalLink::link`.
    links_seen: usize,
    problems: Vec<LinkProblem>,
    /// Whether the HTML may hold a `style` attribute to rewrite: a table with aligned columns,
    /// or raw HTML. Most pages have neither, and are not searched.
    may_have_style: bool,
    has_script: bool,
    images: Vec<BodyImage>,
    /// How many images are open, the first of them collecting its text.
    open_images: usize,
}

impl<'a, 'r> Renderer<'a, 'r> {
    fn new(links: &'r dyn ResolveSource, body: &str) -> Self {
        Renderer {
            links,
            // About one event per eight bytes of Markdown: growing the list copies it.
            events: Vec::with_capacity(body.len() / 8),
            heading: None,
            used_ids: AHashSet::new(),
            next_suffix: AHashMap::new(),
            headings: Vec::new(),
            depth: 0,
            first_paragraph: None,
            more_marker: None,
            words: WordCounter::with_capacity(body.len()),
            internal_links: Vec::new(),
            links_seen: 0,
            problems: Vec::new(),
            may_have_style: false,
            has_script: false,
            images: Vec::new(),
            open_images: 0,
        }
    }

    fn push(&mut self, event: Event<'a>) {
        let at_top_level = self.depth == 0;
        match &event {
            Event::Start(tag) => {
                self.depth += 1;
                match tag {
                    Tag::Table(alignments) => {
                        self.may_have_style |= alignments.iter().any(|a| *a != Alignment::None);
                    }
                    Tag::Image {
                        dest_url, title, ..
                    } => {
                        self.open_images += 1;
                        self.images.push(BodyImage {
                            destination: dest_url.to_string(),
                            alt: String::new(),
                            title: title.to_string(),
                        });
                    }
                    _ => {}
                }
            }
            Event::End(end) => {
                self.depth = self.depth.saturating_sub(1);
                // Words in separate blocks must not run together.
                self.words.separate();
                if *end == TagEnd::Image {
                    self.open_images = self.open_images.saturating_sub(1);
                }
            }
            Event::Text(text) | Event::Code(text) if self.open_images > 0 => {
                // An image within another's text is part of the outer one's.
                let outer = self.images.len() - self.open_images;
                if let Some(image) = self.images.get_mut(outer) {
                    image.alt.push_str(text);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                self.may_have_style = true;
                self.has_script |= opens(html, b"script").is_some();
            }
            _ => {}
        }
        match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                self.heading = Some(OpenHeading {
                    level,
                    id,
                    classes,
                    attrs,
                    inner: Vec::new(),
                    text: String::new(),
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(heading) = self.heading.take() {
                    let markup = self.close_heading(heading);
                    self.events.push(Event::Html(markup.into()));
                }
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = self.link_destination(dest_url);
                self.links_seen += 1;
                self.emit(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = with_base_path(dest_url, self.links.base_path());
                self.emit(Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Text(text) | Event::Code(text) if self.heading.is_some() => {
                self.words.add(&text);
                if let Some(heading) = &mut self.heading {
                    heading.text.push_str(&text);
                }
                self.emit(Event::Text(text));
            }
            Event::Text(ref text) | Event::Code(ref text) => {
                self.words.add(text);
                self.emit(event);
            }
            Event::SoftBreak | Event::HardBreak => {
                self.words.separate();
                self.emit(event);
            }
            Event::Html(ref html) if html.trim() == MORE_MARKER && self.more_marker.is_none() => {
                self.more_marker = Some(self.events.len());
                self.emit(event);
            }
            Event::Start(Tag::Paragraph) => {
                if at_top_level && self.first_paragraph.is_none() {
                    self.first_paragraph = Some(self.events.len()..self.events.len());
                }
                self.emit(event);
            }
            Event::End(TagEnd::Paragraph) => {
                self.emit(event);
                if self.depth == 0
                    && let Some(paragraph) = &mut self.first_paragraph
                    && paragraph.start == paragraph.end
                {
                    paragraph.end = self.events.len();
                }
            }
            other => self.emit(other),
        }
    }

    fn emit(&mut self, event: Event<'a>) {
        match &mut self.heading {
            Some(heading) => heading.inner.push(event),
            None => self.events.push(event),
        }
    }

    /// Rewrites `@/path.md#fragment` to the target's URL and records every internal link.
    fn link_destination(&mut self, dest: CowStr<'a>) -> CowStr<'a> {
        let link = self.links_seen;
        if let Some(scheme) = unsafe_scheme(&dest) {
            self.problems.push(LinkProblem {
                link,
                message: format!("a `{scheme}:` link runs code or content of its own when clicked"),
                help: "link to a page or a web address; scripts belong in templates or static/"
                    .into(),
            });
            return dest;
        }
        if let Some(fragment) = dest.strip_prefix('#') {
            self.internal_links.push(InternalLink {
                source: None,
                fragment: Some(fragment.to_string()),
                link,
            });
            return dest;
        }
        let Some(target) = dest.strip_prefix(SOURCE_LINK_PREFIX) else {
            return with_base_path(dest, self.links.base_path());
        };
        let (source, fragment) = match target.split_once('#') {
            Some((source, fragment)) => (source, Some(fragment)),
            None => (target, None),
        };
        match self.links.resolve(source) {
            Ok(url) => {
                self.internal_links.push(InternalLink {
                    source: Some(source.to_string()),
                    fragment: fragment.map(str::to_string),
                    link,
                });
                match fragment {
                    Some(fragment) => format!("{url}#{fragment}").into(),
                    None => url.into(),
                }
            }
            Err(kind) => {
                self.problems.push(link_problem(source, kind, link));
                dest
            }
        }
    }

    fn close_heading(&mut self, heading: OpenHeading<'a>) -> String {
        let title = heading.text.trim().to_string();
        let wanted = match &heading.id {
            Some(id) => id.to_string(),
            None => slugify(&title),
        };
        let id = self.unique_id(if wanted.is_empty() {
            "section".into()
        } else {
            wanted
        });
        let level = heading.level as u8;

        let mut markup = String::with_capacity(128 + 2 * title.len());
        markup.push_str("<div class=\"heading\"><h");
        markup.push(char::from(b'0' + level));
        markup.push_str(" id=\"");
        let _ = escape_html(&mut markup, &id);
        markup.push('"');
        if !heading.classes.is_empty() {
            markup.push_str(" class=\"");
            let _ = escape_html(&mut markup, &heading.classes.join(" "));
            markup.push('"');
        }
        for (name, value) in &heading.attrs {
            markup.push(' ');
            let _ = escape_html(&mut markup, name);
            if let Some(value) = value {
                markup.push_str("=\"");
                let _ = escape_html(&mut markup, value);
                markup.push('"');
            }
        }
        markup.push('>');
        html::push_html(&mut markup, heading.inner.into_iter());
        markup.push_str("</h");
        markup.push(char::from(b'0' + level));
        markup.push_str("><a class=\"heading-anchor\" href=\"#");
        let _ = escape_href(&mut markup, &id);
        markup.push_str("\" aria-label=\"Link to section: ");
        let _ = escape_html(&mut markup, &title);
        markup.push_str("\">#</a></div>\n");
        self.headings.push((level, id, title));
        markup
    }

    fn unique_id(&mut self, wanted: String) -> String {
        if self.used_ids.insert(wanted.clone()) {
            return wanted;
        }
        // Taken: the first free suffix. Those below the one tried last for this id are all
        // taken (ids are never freed).
        let mut n = self.next_suffix.get(&wanted).copied().unwrap_or(1);
        let id = loop {
            let id = format!("{wanted}-{n}");
            n += 1;
            if self.used_ids.insert(id.clone()) {
                break id;
            }
        };
        self.next_suffix.insert(wanted, n);
        id
    }

    fn finish(self) -> (RenderedMarkdown, Vec<LinkProblem>) {
        let summary_events = match (self.more_marker, &self.first_paragraph) {
            (Some(end), _) => &self.events[..end],
            (None, Some(paragraph)) if paragraph.start < paragraph.end => {
                &self.events[paragraph.clone()]
            }
            _ => &[],
        };
        let mut summary = String::new();
        html::push_html(&mut summary, summary_events.iter().cloned());
        let mut body = String::with_capacity(self.events.len() * 16);
        html::push_html(&mut body, self.events.into_iter());
        let mut body = if self.may_have_style {
            without_style_attributes(body)
        } else {
            body
        };
        // Kept for the whole build: no room to spare.
        body.shrink_to_fit();
        summary.shrink_to_fit();
        let heading_ids = self.headings.iter().map(|(_, id, _)| id.clone()).collect();
        let rendered = RenderedMarkdown {
            html: body,
            summary,
            toc: nest_headings(self.headings),
            heading_ids,
            word_count: self.words.finish(),
            links: self.internal_links,
            has_script: self.has_script,
            shortcodes: Vec::new(),
            images: self.images,
        };
        (rendered, self.problems)
    }
}

/// The scheme of a link that would run script or show content of the link's own making
/// (`javascript:`, `vbscript:`, `data:`), read as a browser reads it: tabs and line breaks
/// dropped, leading spaces and control characters ignored, in any case.
fn unsafe_scheme(dest: &str) -> Option<&'static str> {
    // Most links start with `h`, `/`, `#` or `@`: only the first letter is looked at for them.
    let first = dest
        .bytes()
        .find(|byte| !(byte.is_ascii_control() || *byte == b' '))?;
    if !matches!(first.to_ascii_lowercase(), b'j' | b'v' | b'd') {
        return None;
    }
    let (scheme, _) = dest.split_once(':')?;
    // Without allocating: this runs for every link of every page.
    let letters = scheme
        .bytes()
        .filter(|byte| !matches!(byte, b'\t' | b'\n' | b'\r'))
        .skip_while(|byte| byte.is_ascii_control() || *byte == b' ')
        .map(|byte| byte.to_ascii_lowercase());
    ["javascript", "vbscript", "data"]
        .into_iter()
        .find(|unsafe_scheme| letters.clone().eq(unsafe_scheme.bytes()))
}

fn link_problem(source: &str, kind: LinkProblemKind, link: usize) -> LinkProblem {
    match kind {
        LinkProblemKind::Missing { suggestion } => LinkProblem {
            link,
            message: format!("the link points to `content/{source}`, which does not exist"),
            help: match suggestion {
                Some(close) => format!("did you mean `@/{close}`?"),
                None => "link to a file below content/, such as `@/contact.md`".into(),
            },
        },
        LinkProblemKind::Draft => LinkProblem {
            link,
            message: format!("the link points to `content/{source}`, which is a draft"),
            help: "publish the target (remove `draft = true`), remove the link, or build with --drafts".into(),
        },
        LinkProblemKind::Scheduled => LinkProblem {
            link,
            message: format!("the link points to `content/{source}`, which is dated after today and not published yet"),
            help: "link to it once it is published, date it today or earlier, or build with --future".into(),
        },
    }
}

/// A root-relative URL (`/about/`) with the base path in front (`/aimtowin/about/`); other URLs
/// as they are.
pub fn with_base_path<'a>(url: CowStr<'a>, base_path: &str) -> CowStr<'a> {
    let is_root_relative = url.starts_with('/') && !url.starts_with("//");
    if base_path == "/" || !is_root_relative || url.starts_with(base_path) {
        return url;
    }
    format!("{base_path}{}", &url[1..]).into()
}

/// pulldown-cmark aligns table cells with `style` attributes, which a strict
/// Content-Security-Policy blocks; classes do the same without inline style.
fn without_style_attributes(html: String) -> String {
    const STYLE: &str = " style=\"text-align: ";
    let mut found = memchr::memmem::find_iter(html.as_bytes(), STYLE).peekable();
    if found.peek().is_none() {
        return html;
    }
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    for start in found {
        let value = &html[start + STYLE.len()..];
        let Some(alignment) = ["left", "center", "right"].into_iter().find(|alignment| {
            value
                .strip_prefix(alignment)
                .is_some_and(|rest| rest.starts_with('"'))
        }) else {
            continue;
        };
        out.push_str(&html[copied..start]);
        out.push_str(" class=\"align-");
        out.push_str(alignment);
        out.push('"');
        copied = start + STYLE.len() + alignment.len() + 1;
    }
    out.push_str(&html[copied..]);
    out
}

/// Turns the flat list of headings into a tree: each heading holds the deeper ones after it.
fn nest_headings(headings: Vec<(u8, String, String)>) -> Vec<TocEntry> {
    /// The headings from here on that are deeper than `above`, each with the deeper ones after
    /// it as its children.
    fn below(
        headings: &mut std::iter::Peekable<std::vec::IntoIter<(u8, String, String)>>,
        above: u8,
    ) -> Vec<TocEntry> {
        let mut entries = Vec::new();
        while let Some((level, id, title)) = headings.next_if(|(level, ..)| *level > above) {
            let children = below(headings, level);
            entries.push(TocEntry {
                level,
                id,
                title,
                children,
            });
        }
        entries
    }
    below(&mut headings.into_iter().peekable(), 0)
}

/// Counts words across the text events of a page as if their text were joined: a word is a run
/// between spaces (or control characters) holding a letter or digit; punctuation alone is no
/// word. Each word is counted at its first letter.
#[derive(Default)]
struct WordCounter {
    /// The text of the page so far, pieces joined, with a space where words must not run
    /// together: counted once at the end, since counting each of the many short pieces (a
    /// smart quote is a piece of its own) cost more than copying them.
    text: String,
}

impl WordCounter {
    fn with_capacity(capacity: usize) -> Self {
        WordCounter {
            text: String::with_capacity(capacity),
        }
    }

    fn add(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Ends the current word, as the end of a block of text does.
    fn separate(&mut self) {
        if !self.text.ends_with(' ') {
            self.text.push(' ');
        }
    }

    fn finish(self) -> usize {
        let mut words = WordState::default();
        let text = self.text.as_str();
        let mut at = 0;
        while at < text.len() {
            let end = (at + 64).min(text.len());
            let piece = &text.as_bytes()[at..end];
            if piece.is_ascii() {
                // The last piece is padded with a byte that neither starts nor ends a word.
                let mut block = [b'-'; 64];
                block[..piece.len()].copy_from_slice(piece);
                words.add_block(&block);
                at = end;
            } else {
                // The characters that start in this piece, one by one.
                let mut end = end;
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                words.add_chars(&text[at..end]);
                at = end;
            }
        }
        words.count
    }
}

/// Words counted so far, and whether the word being read holds a letter (so it has been
/// counted).
#[derive(Default)]
struct WordState {
    count: usize,
    word_has_letter: bool,
}

impl WordState {
    fn add_chars(&mut self, text: &str) {
        for character in text.chars() {
            if character <= ' ' {
                self.word_has_letter = false;
            } else if character.is_alphanumeric() {
                self.count += usize::from(!self.word_has_letter);
                self.word_has_letter = true;
            }
        }
    }

    /// 64 ASCII bytes at once, as bit masks: this runs over every byte of every page, and a
    /// loop with a branch per byte spent a tenth of a build on mispredicted branches.
    fn add_block(&mut self, block: &[u8; 64]) {
        let (spaces, letters) = block_masks(block);
        // Set where the word read so far holds a letter: letters, spread forward through the
        // bytes that are not spaces (doubling the reach at each step).
        let mut open = !spaces;
        let mut holds_letter = letters | (u64::from(self.word_has_letter) & open);
        for shift in [1, 2, 4, 8, 16, 32] {
            holds_letter |= (holds_letter << shift) & open;
            open &= open << shift;
        }
        let before = (holds_letter << 1) | u64::from(self.word_has_letter);
        let first_letters = letters & !before;
        self.count += first_letters.count_ones() as usize;
        self.word_has_letter = holds_letter >> 63 == 1;
    }
}

/// For 64 ASCII bytes, one bit each (bit `i` for byte `i`): the spaces and control characters,
/// and the letters and digits. With SSE2 (every x86-64 processor), sixteen bytes at a time.
#[cfg(target_arch = "x86_64")]
fn block_masks(block: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm_and_si128, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };
    let (mut spaces, mut letters) = (0u64, 0u64);
    for (index, sixteen) in block.chunks_exact(16).enumerate() {
        // SAFETY: `sixteen` is 16 readable bytes, all an unaligned 128-bit load reads; SSE2 is
        // part of x86-64. Every byte is below 0x80, so signed comparisons order them rightly.
        let (space, letter) = unsafe {
            let bytes = _mm_loadu_si128(sixteen.as_ptr().cast());
            let lower = _mm_or_si128(bytes, _mm_set1_epi8(0x20));
            let between = |value, low: u8, high: u8| {
                _mm_and_si128(
                    _mm_cmpgt_epi8(value, _mm_set1_epi8(low as i8 - 1)),
                    _mm_cmplt_epi8(value, _mm_set1_epi8(high as i8 + 1)),
                )
            };
            let letter = _mm_or_si128(between(lower, b'a', b'z'), between(bytes, b'0', b'9'));
            let space = _mm_cmplt_epi8(bytes, _mm_set1_epi8(b' ' as i8 + 1));
            (_mm_movemask_epi8(space), _mm_movemask_epi8(letter))
        };
        spaces |= u64::from(space as u16) << (16 * index);
        letters |= u64::from(letter as u16) << (16 * index);
    }
    (spaces, letters)
}

/// For 64 ASCII bytes, one bit each (bit `i` for byte `i`): the spaces and control characters,
/// and the letters and digits. Eight bytes at a time within a `u64`: since every byte is below
/// 0x80, adding to each cannot carry into the next.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn portable_block_masks(block: &[u8; 64]) -> (u64, u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte that is at least `n`.
    let at_least = |word: u64, n: u8| word.wrapping_add(ONES * u64::from(0x80 - n)) & HIGHS;
    // The high bits of the eight bytes as the eight low bits, byte 0 first.
    let gather = |highs: u64| (highs >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
    let (mut spaces, mut letters) = (0, 0);
    for (index, eight) in block.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(eight.try_into().expect("chunks of 8 bytes"));
        let lower = word | (ONES * 0x20);
        let space = !at_least(word, 0x21) & HIGHS;
        let digit = at_least(word, b'0') & !at_least(word, b'9' + 1);
        let alpha = at_least(lower, b'a') & !at_least(lower, b'z' + 1);
        spaces |= gather(space) << (8 * index);
        letters |= gather(digit | alpha) << (8 * index);
    }
    (spaces, letters)
}

#[cfg(not(target_arch = "x86_64"))]
use portable_block_masks as block_masks;

/// A URL-safe name: ASCII letters and digits, words joined by `-`.
pub fn slugify(text: &str) -> String {
    let transliterated;
    let ascii = if text.is_ascii() {
        text
    } else {
        transliterated = deunicode::deunicode(text);
        &transliterated
    };
    let mut slug = String::with_capacity(ascii.len());
    let mut between_words = false;
    for byte in ascii.bytes() {
        if byte.is_ascii_alphanumeric() {
            if between_words && !slug.is_empty() {
                slug.push('-');
            }
            between_words = false;
            slug.push(char::from(byte.to_ascii_lowercase()));
        } else {
            between_words = true;
        }
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words as the counter defines them, the slow and obvious way.
    fn reference_count(text: &str) -> usize {
        text.split(|c: char| c <= ' ')
            .filter(|word| word.chars().any(char::is_alphanumeric))
            .count()
    }

    #[test]
    fn the_word_counter_agrees_with_the_obvious_count_across_blocks_and_pieces() {
        let alphabet: Vec<char> = "ab Z9 \t\n.,-*#\u{1}~é—".chars().collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        // Words longer than a block and punctuation between letters far apart.
        let long = format!(
            "a{}b x {}- y{}",
            "-".repeat(40),
            "q".repeat(130),
            "-.".repeat(70)
        );
        let mut counter = WordCounter::default();
        counter.add(&long);
        assert_eq!(counter.finish(), reference_count(&long));
        for round in 0..2_000 {
            let length = next(300);
            // Half the texts ASCII only, so that the 64-byte blocks are taken.
            let choices = if round % 2 == 0 { 15 } else { alphabet.len() };
            let text: String = (0..length).map(|_| alphabet[next(choices)]).collect();
            let mut counter = WordCounter::default();
            // In pieces, as text events come, which must count as if joined.
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let mut cut = next(rest.len() + 1).max(1);
                while !rest.is_char_boundary(cut) {
                    cut += 1;
                }
                counter.add(&rest[..cut]);
                rest = &rest[cut..];
            }
            assert_eq!(counter.finish(), reference_count(&text), "{text:?}");
        }
    }

    #[test]
    fn both_block_masks_agree_with_the_byte_classes() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2_000 {
            let mut block = [0u8; 64];
            for byte in &mut block {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *byte = (state % 128) as u8;
            }
            let expected = block.iter().enumerate().fold((0, 0), |(s, l), (i, &b)| {
                (
                    s | u64::from(b <= b' ') << i,
                    l | u64::from(b.is_ascii_alphanumeric()) << i,
                )
            });
            assert_eq!(block_masks(&block), expected, "{block:?}");
            assert_eq!(portable_block_masks(&block), expected, "{block:?}");
        }
    }

    struct Sources;
    impl ResolveSource for Sources {
        fn resolve(&self, source: &str) -> Result<String, LinkProblemKind> {
            match source {
                "contact.md" => Ok("/contact/".into()),
                "draft.md" => Err(LinkProblemKind::Draft),
                _ => Err(LinkProblemKind::Missing {
                    suggestion: Some("contact.md".into()),
                }),
            }
        }
    }

    fn md(body: &str) -> RenderedMarkdown {
        let (rendered, problems) = render(body, &Sources);
        assert!(problems.is_empty(), "{problems:?}");
        rendered
    }

    #[test]
    fn headings_get_unique_ids_and_anchors() {
        let html = md("## Overall Vision\n\n## Overall Vision\n\n### Café {#custom}\n").html;
        assert!(html.contains("<h2 id=\"overall-vision\">Overall Vision</h2><a class=\"heading-anchor\" href=\"#overall-vision\" aria-label=\"Link to section: Overall Vision\">#</a>"), "{html}");
        assert!(html.contains("<h2 id=\"overall-vision-1\">"), "{html}");
        assert!(html.contains("<h3 id=\"custom\">Café</h3>"), "{html}");
    }

    #[test]
    fn table_of_contents_nests_by_level() {
        let toc = md("## A\n### B\n### C\n## D\n").toc;
        assert_eq!(toc.len(), 2);
        assert_eq!(toc[0].title, "A");
        assert_eq!(
            toc[0]
                .children
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert!(toc[1].children.is_empty());

        // A page may start deeper than it goes on, and skip levels.
        let toc = md("### X\n## Y\n#### Z\n### W\n# V\n").toc;
        let shape = |entries: &[TocEntry]| {
            entries
                .iter()
                .map(|e| {
                    (
                        e.id.clone(),
                        e.children.iter().map(|c| c.id.clone()).collect(),
                    )
                })
                .collect::<Vec<(String, Vec<String>)>>()
        };
        assert_eq!(
            shape(&toc),
            [
                ("x".to_string(), vec![]),
                ("y".to_string(), vec!["z".to_string(), "w".to_string()]),
                ("v".to_string(), vec![]),
            ]
        );
        assert!(toc[1].children.iter().all(|c| c.children.is_empty()));
    }

    #[test]
    fn summary_is_the_first_paragraph_or_before_more() {
        assert_eq!(
            md("- list\n\nFirst *one*.\n\nSecond.\n").summary,
            "<p>First <em>one</em>.</p>\n"
        );
        assert_eq!(
            md("One.\n\nTwo.\n\n<!-- more -->\n\nThree.\n").summary,
            "<p>One.</p>\n<p>Two.</p>\n"
        );
    }

    #[test]
    fn source_links_resolve_and_broken_ones_are_reported() {
        let rendered = md("[us](@/contact.md#form) and [top](#a)\n");
        assert!(
            rendered.html.contains("href=\"/contact/#form\""),
            "{}",
            rendered.html
        );
        assert_eq!(rendered.links.len(), 2);
        assert_eq!(rendered.links[0].source.as_deref(), Some("contact.md"));
        assert_eq!(rendered.links[0].fragment.as_deref(), Some("form"));

        let (_, problems) = render("Text\n\n[x](@/contat.md)\n", &Sources);
        assert_eq!(problems.len(), 1);
        let body = "Text\n\n[x](@/contat.md)\n";
        assert_eq!(link_spans(body)[problems[0].link], 6..22);
        assert_eq!(problems[0].help, "did you mean `@/contact.md`?");
        let (_, problems) = render("[x](@/draft.md)\n", &Sources);
        assert!(problems[0].message.contains("draft"));
    }

    #[test]
    fn root_relative_links_get_the_base_path() {
        struct UnderSubPath;
        impl ResolveSource for UnderSubPath {
            fn resolve(&self, _: &str) -> Result<String, LinkProblemKind> {
                Ok("/sub/contact/".into())
            }
            fn base_path(&self) -> &str {
                "/sub/"
            }
        }
        let (rendered, _) = render(
            "[a](/about/) [b](https://x.test/) [c](//cdn.test/x) [d](@/c.md) ![i](/i.png)\n",
            &UnderSubPath,
        );
        for expected in [
            "href=\"/sub/about/\"",
            "href=\"https://x.test/\"",
            "href=\"//cdn.test/x\"",
            "href=\"/sub/contact/\"",
            "src=\"/sub/i.png\"",
        ] {
            assert!(
                rendered.html.contains(expected),
                "{expected} in {}",
                rendered.html
            );
        }
    }

    #[test]
    fn extensions_are_on() {
        let html = md("| a |\n|---|\n| b |\n\n~~x~~ - [x] \"q\"[^1]\n\n[^1]: note\n").html;
        assert!(html.contains("<table>"));
        assert!(html.contains("<del>x</del>"));
        assert!(html.contains("\u{201c}q\u{201d}"), "{html}");
        assert!(html.contains("footnote-definition"));
    }

    #[test]
    fn table_alignment_uses_classes_not_inline_style() {
        let html = md("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n").html;
        assert!(!html.contains("style="), "{html}");
        assert!(html.contains("<td class=\"align-center\">2</td>"), "{html}");
        // Raw HTML is rewritten the same way, with or without a table.
        let html = md("<p style=\"text-align: right\">Signed</p>\n").html;
        assert_eq!(html, "<p class=\"align-right\">Signed</p>\n");
        // Text is left alone where nothing can have a style attribute.
        let html = md("Write `<p style=\"text-align: left\">`.\n").html;
        assert!(html.contains(" style=\"text-align: left\""), "{html}");
    }

    #[test]
    fn counts_words() {
        assert_eq!(md("## Two words\n\nThree more `words`.\n").word_count, 5);
        assert_eq!(
            md("Half**bold** — café, 2020!\n\n- one\n- two\n").word_count,
            5
        );
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(
            slugify("Leadership vs. Management: Two Key Distinctions"),
            "leadership-vs-management-two-key-distinctions"
        );
        assert_eq!(slugify("Café & Crème"), "cafe-creme");
        assert_eq!(slugify("!!"), "");
        assert_eq!(slugify("  --Q&A:  5 Ways--  "), "q-a-5-ways");
        assert_eq!(slugify("北京 Team"), "bei-jing-team");
    }

    // Shortcodes (`shortcodes.rs`) as the Markdown stage finds and marks them.

    fn calls(body: &str) -> Vec<shortcodes::Call> {
        let (calls, problems) = find_shortcodes(body);
        assert!(problems.is_empty(), "{problems:?}");
        calls
    }

    #[test]
    fn a_shortcode_is_a_paragraph_of_its_own() {
        let body = "Intro.\n\n{{ youtube(id=\"abc\", start=30, autoplay=true) }}\n\nAfter.\n";
        let found = calls(body);
        assert_eq!(found.len(), 1);
        let call = &found[0];
        assert_eq!(call.name, "youtube");
        assert_eq!(
            &body[call.span.clone()],
            "{{ youtube(id=\"abc\", start=30, autoplay=true) }}"
        );
        let args: Vec<(&str, &str)> = call
            .args
            .iter()
            .map(|arg| (arg.name.as_str(), arg.value.as_str()))
            .collect();
        assert_eq!(args, [("id", "abc"), ("start", "30"), ("autoplay", "true")]);
        assert_eq!(&body[call.arg("id").unwrap().span.clone()], "\"abc\"");
        assert_eq!(calls("{{vimeo()}}\n")[0].args, []);
    }

    #[test]
    fn code_prose_and_inline_braces_stay_literal() {
        for body in [
            "```\n{{ youtube(id=\"a\") }}\n```\n",
            "    {{ youtube(id=\"a\") }}\n",
            "`{{ youtube(id=\"a\") }}`\n",
            "Watch {{ youtube(id=\"a\") }} here.\n",
            "{{ page.title }}\n",
            "Text\n{{ youtube(id=\"a\") }}\n",
        ] {
            let (found, problems) = find_shortcodes(body);
            assert!(found.is_empty() && problems.is_empty(), "{body:?}");
        }
    }

    #[test]
    fn a_badly_written_shortcode_is_located() {
        for (body, message) in [
            (
                "{{ youtube(id=abc) }}\n",
                "`abc` is not a value: put text in quotes",
            ),
            (
                "{{ youtube(id=\"abc) }}\n",
                "this text has no closing quote",
            ),
            (
                "{{ youtube(id=\"a\" x=\"b\") }}\n",
                "arguments are separated by `,`",
            ),
            ("{{ youtube(id=\"a\", id=\"b\") }}\n", "`id` is given twice"),
            (
                "{{ youtube(id=\"a\" }}\n",
                "a shortcode's arguments end with `)`",
            ),
            (
                "{{ youtube(\"a\") }}\n",
                "expected an argument, as `key=\"value\"`",
            ),
        ] {
            let (found, problems) = find_shortcodes(body);
            assert!(found.is_empty(), "{body:?}");
            assert_eq!(problems.len(), 1, "{body:?}");
            assert_eq!(problems[0].message, message, "{body:?}");
            assert!(problems[0].span.end <= body.len(), "{body:?}");
        }
    }

    struct NoLinks;

    impl ResolveSource for NoLinks {
        fn resolve(&self, _: &str) -> Result<String, LinkProblemKind> {
            Err(LinkProblemKind::Missing { suggestion: None })
        }
    }

    #[test]
    fn markers_keep_the_offsets_and_are_replaced() {
        let body = "A [link](x).\n\n{{ youtube(id=\"abc\") }}\n\nB.\n\n> {{ vimeo(id=\"1\") }}\n";
        let found = calls(body);
        let marked = shortcodes::mark(body, &found);
        assert_eq!(marked.len(), body.len());
        assert_eq!(marked.find("B."), body.find("B."));
        let (html, _) = render(body, &NoLinks);
        assert_eq!(html.shortcodes, found);
        let expanded = shortcodes::expand(&html.html, found.len(), |index| {
            format!("<div>{index}</div>")
        });
        assert!(expanded.contains("<div>0</div>"), "{expanded}");
        assert!(
            expanded.contains("<blockquote>\n<div>1</div>"),
            "{expanded}"
        );
        assert!(!expanded.contains("<!--{{"), "{expanded}");
    }
}
