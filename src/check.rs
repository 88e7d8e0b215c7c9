//! `aimsite check`: renders the site in memory, writes nothing, and reports what a visitor or a
//! search engine would trip over, each problem in the file and line to fix.
//!
//! Two passes. The Markdown of each page is read again with source positions, so that links,
//! images and headings an author wrote are reported at their exact line. Then the rendered HTML
//! of every page is read with a WHATWG tokenizer for what the templates (or raw HTML) added;
//! those problems are located by finding the offending text in the page's source, `site.toml` or
//! a template. External links are never fetched.

mod third_parties;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use html5gum::Token;

use crate::html::tokens;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::Error;
use crate::build::{self, BuildOptions};
use crate::config::SETTINGS_FILE;
use crate::content::{self, SourceKind, SourcePage};
use crate::diagnostics::{Diagnostic, Diagnostics, Severity, counted};
use crate::markdown;
use crate::output::{Contents, OutputFile};
use crate::site::{self, Page, Site};
use crate::templates;

/// The longest description search engines show in full.
pub const MAX_DESCRIPTION: usize = 160;

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub root: PathBuf,
    pub drafts: bool,
    /// Check pages dated after today too.
    pub future: bool,
    /// Warnings fail the check too.
    pub strict: bool,
}

/// Everything a check found.
#[derive(Debug)]
pub struct CheckReport {
    pub problems: Diagnostics,
    /// HTML pages checked; `None` when the site does not build, so that its pages could not be.
    pub pages: Option<usize>,
    pub strict: bool,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.problems.error_count()
    }

    pub fn warnings(&self) -> usize {
        self.problems.warning_count()
    }

    /// One line that says what was checked and what was found.
    pub fn summary(&self) -> String {
        let found = self.problems.counts();
        let strict = if self.strict && self.warnings() > 0 {
            " (warnings fail the check with --strict)"
        } else {
            ""
        };
        match self.pages {
            Some(pages) => format!("Checked {}: {found}{strict}", counted(pages, "page")),
            None => format!("The site does not build, so its pages were not checked: {found}"),
        }
    }

    /// Whether the site may be published: no errors, and no warnings with `--strict`.
    pub fn passed(&self) -> bool {
        self.errors() == 0 && !(self.strict && self.warnings() > 0)
    }

    /// The problems as a JSON array of `{severity, file, line, column, message, help}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Problem<'a> {
            severity: &'static str,
            file: String,
            line: Option<usize>,
            column: Option<usize>,
            message: &'a str,
            help: Option<&'a str>,
        }
        let problems: Vec<Problem> = self
            .problems
            .iter()
            .map(|d| Problem {
                severity: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                file: d.file.to_string_lossy().replace('\\', "/"),
                line: d.location.map(|l| l.line),
                column: d.location.map(|l| l.column),
                message: &d.message,
                help: d.help.as_deref(),
            })
            .collect();
        serde_json::to_string_pretty(&problems).unwrap_or_else(|_| "[]".into())
    }
}

/// Checks the site at `options.root`. Problems in the sources are the report; an error is
/// what kept the check from running (a missing site folder).
pub fn run(options: &CheckOptions) -> Result<CheckReport, Error> {
    let build_options = BuildOptions {
        drafts: options.drafts,
        future: options.future,
        ..BuildOptions::new(&options.root)
    };
    let report = |problems: Diagnostics, pages| CheckReport {
        problems: problems.sorted(),
        pages,
        strict: options.strict,
    };
    let rendered = match build::render_reporting_all(&build_options) {
        Ok(rendered) => rendered,
        Err(Error::Sources(problems)) => return Ok(report(problems, None)),
        Err(error) => return Err(error),
    };
    let (content, _) = content::load(&options.root);
    let sources: HashMap<&str, &SourcePage> = content
        .pages
        .iter()
        .map(|page| (page.source.as_str(), page))
        .collect();
    let templates = template_texts(&options.root);
    let stylesheets = stylesheet_texts(&options.root);
    let mut problems = rendered.warnings.clone();
    let mut checker = Checker::new(&rendered.site, &rendered.files, &sources, &templates);
    checker.stylesheets = &stylesheets;
    checker.check(&mut problems);
    Ok(report(problems, Some(checker.pages.len())))
}

/// Every template's text with the path shown in messages: the site's own, and the built-in
/// ones it does not replace.
fn template_texts(root: &Path) -> Vec<(PathBuf, String)> {
    templates::load(root, &build::built_in_templates())
        .map(|templates| {
            templates
                .all_sources()
                .into_iter()
                .map(|source| (source.path.to_path_buf(), source.text.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The text of each stylesheet of `static/`, with the path shown in messages.
fn stylesheet_texts(root: &Path) -> Vec<(PathBuf, String)> {
    content::load_static(root)
        .0
        .into_iter()
        .filter(|asset| asset.output_path.ends_with(".css"))
        .filter_map(|asset| match asset.contents {
            Contents::Loaded(bytes) => {
                Some((asset.display_path, String::from_utf8(bytes.to_vec()).ok()?))
            }
            _ => None,
        })
        .collect()
}

/// What the HTML of one page holds that the check needs.
#[derive(Default)]
struct PageHtml {
    ids: HashSet<String>,
    references: Vec<Reference>,
    images: Vec<Image>,
    headings: Vec<Heading>,
    /// What it loads by itself, as written.
    loads: Vec<third_parties::Load>,
}

/// A URL in an attribute: `href`, `src` or one candidate of a `srcset`.
struct Reference {
    url: String,
}

struct Image {
    src: String,
    alt_missing: bool,
    /// The start tag as written, to find where it came from.
    tag: String,
}

struct Heading {
    level: u8,
    id: Option<String>,
    tag: String,
}

/// Attributes that hold a URL, by element.
fn url_attributes(element: &[u8]) -> &'static [&'static str] {
    match element {
        b"a" | b"area" | b"link" => &["href"],
        b"img" | b"source" => &["src", "srcset"],
        b"script" | b"iframe" | b"audio" | b"video" | b"track" | b"embed" => &["src"],
        _ => &[],
    }
}

fn heading_level(element: &[u8]) -> Option<u8> {
    match element {
        [b'h', digit @ b'1'..=b'6'] => Some(digit - b'0'),
        _ => None,
    }
}

/// Reads the parts of an HTML text the check needs; `offset` is added to every span.
fn scan_html(html: &str, offset: usize) -> (PageHtml, Vec<(Range<usize>, Found)>) {
    let mut page = PageHtml::default();
    let mut found = Vec::new();
    let mut in_style = false;
    for token in tokens(html) {
        let tag = match token {
            Token::StartTag(tag) => tag,
            Token::String(text) if in_style => {
                let css = String::from_utf8_lossy(&text);
                page.loads
                    .extend(third_parties::loads_in_css(&css, "<style>"));
                continue;
            }
            Token::EndTag(tag) if tag.name.as_slice() == b"style" => {
                in_style = false;
                continue;
            }
            _ => continue,
        };
        let attribute = |name: &str| {
            tag.attributes
                .get(name.as_bytes())
                .map(|value| String::from_utf8_lossy(value).into_owned())
        };
        let span = tag.span.start + offset..tag.span.end + offset;
        let raw = html
            .get(tag.span.start..tag.span.end)
            .unwrap_or_default()
            .to_string();
        if let Some(id) = attribute("id") {
            page.ids.insert(id);
        }
        let name = tag.name.as_slice();
        in_style = name == b"style";
        page.loads.extend(third_parties::loads_of_tag(
            &String::from_utf8_lossy(name),
            &attribute,
        ));
        if name == b"a"
            && let Some(anchor) = attribute("name")
        {
            page.ids.insert(anchor);
        }
        for attribute_name in url_attributes(name) {
            let Some(value) = attribute(attribute_name) else {
                continue;
            };
            let urls: Vec<String> = if *attribute_name == "srcset" {
                value
                    .split(',')
                    .filter_map(|candidate| candidate.split_whitespace().next())
                    .map(str::to_string)
                    .collect()
            } else {
                vec![value.trim().to_string()]
            };
            for url in urls {
                found.push((span.clone(), Found::Reference(url.clone())));
                page.references.push(Reference { url });
            }
        }
        if name == b"img" {
            let decorative = attribute("role").is_some_and(|r| r == "presentation" || r == "none")
                || attribute("aria-hidden").is_some_and(|h| h == "true");
            let alt_missing =
                !decorative && attribute("alt").is_none_or(|alt| alt.trim().is_empty());
            let src = attribute("src").unwrap_or_default();
            if alt_missing {
                found.push((span.clone(), Found::ImageWithoutAlt(src.clone())));
            }
            page.images.push(Image {
                src,
                alt_missing,
                tag: raw.clone(),
            });
        }
        if let Some(level) = heading_level(name) {
            found.push((span.clone(), Found::Heading(level)));
            page.headings.push(Heading {
                level,
                id: attribute("id"),
                tag: raw,
            });
        }
    }
    (page, found)
}

/// Something of interest in a page's source, with where it is.
enum Found {
    Reference(String),
    ImageWithoutAlt(String),
    Heading(u8),
}

/// The rendered site, indexed for the checks.
struct Checker<'a> {
    site: &'a Site,
    files: HashMap<&'a str, &'a OutputFile>,
    pages: BTreeMap<&'a str, PageHtml>,
    sources: &'a HashMap<&'a str, &'a SourcePage>,
    templates: &'a [(PathBuf, String)],
    /// `fragments_checked_by_the_build`.
    build_checked: HashSet<String>,
    /// The stylesheets of `static/`, with the path shown in messages.
    stylesheets: &'a [(PathBuf, String)],
}

impl<'a> Checker<'a> {
    fn new(
        site: &'a Site,
        files: &'a [OutputFile],
        sources: &'a HashMap<&'a str, &'a SourcePage>,
        templates: &'a [(PathBuf, String)],
    ) -> Self {
        let pages = files
            .iter()
            .filter(|file| file.path.ends_with(".html"))
            .filter_map(|file| match &file.contents {
                Contents::Text(html) => Some((file.path.as_str(), scan_html(html, 0).0)),
                _ => None,
            })
            .collect();
        Checker {
            site,
            files: files
                .iter()
                .map(|file| (file.path.as_str(), file))
                .collect(),
            pages,
            sources,
            templates,
            build_checked: fragments_checked_by_the_build(site),
            stylesheets: &[],
        }
    }

    fn check(&self, problems: &mut Diagnostics) {
        // What the Markdown pass reported (`link URL` or `image SRC`), so that the HTML pass does
        // not report it again, on the page or in the summaries that lists show of it.
        let mut reported: HashSet<String> = self.build_checked.clone();
        for page in &self.site.pages {
            if let Some(source) = self.sources.get(page.source.as_str()) {
                self.check_markdown(page, source, problems, &mut reported);
                self.check_front_matter(page, source, problems);
            }
        }
        self.check_duplicate_titles(problems);
        self.check_settings(problems);
        self.check_html(problems, &reported);
        self.check_stylesheets(problems);
    }

    /// The origin of an address a page or stylesheet loads by itself from another site that
    /// `[check] allow_origins` does not allow, with what to say of it.
    fn third_party(&self, load: &third_parties::Load) -> Option<(String, String)> {
        let settings = &self.site.settings;
        let origin = third_parties::other_origin(&load.url, &settings.base_url.origin)?;
        if settings.allow_origins.contains(&origin) {
            return None;
        }
        Some((
            format!(
                "{} loads `{}` from {origin} before the visitor consents to anything",
                load.what, load.url
            ),
            format!(
                "serve the file from the site itself, gate it with `data-consent` and `data-src` (docs/consent.md), or allow {origin} in site.toml: [check] allow_origins = [\"{origin}\"]"
            ),
        ))
    }

    /// Each output stylesheet's `url()`s and `@import`s from other sites, at their line in the
    /// stylesheet of `static/` that holds them.
    fn check_stylesheets(&self, problems: &mut Diagnostics) {
        for file in self
            .files
            .values()
            .filter(|file| file.path.ends_with(".css"))
        {
            let css = match &file.contents {
                Contents::Loaded(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                Contents::Embedded(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                Contents::Text(text) => text.clone(),
                _ => continue,
            };
            for load in third_parties::loads_in_css(&css, "a stylesheet") {
                let Some((message, help)) = self.third_party(&load) else {
                    continue;
                };
                let found = self.stylesheets.iter().find_map(|(path, text)| {
                    let start = text.find(&load.url)?;
                    Some(
                        Diagnostic::error(path, message.clone())
                            .at(text, start..start + load.url.len()),
                    )
                });
                let diagnostic =
                    found.unwrap_or_else(|| Diagnostic::error(&file.path, message.clone()));
                problems.push(diagnostic.with_help(help));
            }
        }
    }

    /// Links, images and headings an author wrote, at their line in the Markdown file.
    fn check_markdown(
        &self,
        page: &Page,
        source: &SourcePage,
        problems: &mut Diagnostics,
        reported: &mut HashSet<String>,
    ) {
        let body = source.body();
        let output = page.output_file();
        let mut found: Vec<(Range<usize>, Found)> = Vec::new();
        let mut open_image: Option<(Range<usize>, String, String)> = None;
        let base_path = self.site.settings.base_url.path.as_str();
        for (event, range) in Parser::new_ext(body, markdown::options()).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    found.push((range, Found::Heading(level as u8)));
                }
                // Read as the page has them: root-relative ones under the base path.
                Event::Start(Tag::Link { dest_url, .. }) => {
                    let url = markdown::with_base_path(dest_url, base_path);
                    found.push((range, Found::Reference(url.to_string())));
                }
                Event::Start(Tag::Image { dest_url, .. }) => {
                    let url = markdown::with_base_path(dest_url, base_path).to_string();
                    // A local image was read while the page rendered (a missing one is an
                    // error there) and is written as copies under other names.
                    if url.contains("://") {
                        found.push((range.clone(), Found::Reference(url.clone())));
                    }
                    open_image = Some((range, url, String::new()));
                }
                Event::Text(text) | Event::Code(text) => {
                    if let Some((_, _, alt)) = &mut open_image {
                        alt.push_str(&text);
                    }
                }
                Event::End(TagEnd::Image) => {
                    if let Some((range, src, alt)) = open_image.take()
                        && alt.trim().is_empty()
                    {
                        found.push((range, Found::ImageWithoutAlt(src)));
                    }
                }
                Event::Html(html) | Event::InlineHtml(html) => {
                    found.extend(scan_html(&html, range.start).1);
                }
                _ => {}
            }
        }
        found.sort_by_key(|(range, _)| range.start);
        // Templates print the title as the page's `<h1>`.
        let mut previous_heading = 1;
        for (range, item) in found {
            let problem = match item {
                Found::Heading(level) => {
                    let skips = level > previous_heading + 1;
                    let problem = skips.then(|| heading_skip(previous_heading, level));
                    previous_heading = level;
                    problem
                }
                Found::Reference(url) => {
                    if let Some(host) = placeholder_host(&url) {
                        let mut warning = source
                            .body_error(range.clone(), format!("`{url}` is a placeholder address"))
                            .with_help(format!(
                                "{host} is reserved for examples: put the real address in before publishing"
                            ));
                        warning.severity = Severity::Warning;
                        problems.push(warning);
                    }
                    if self.build_checked.contains(&format!("link {url}")) {
                        continue;
                    }
                    let problem = self.broken_reference(&output, &url);
                    if problem.is_some() {
                        reported.insert(format!("link {url}"));
                    }
                    problem
                }
                Found::ImageWithoutAlt(src) => {
                    reported.insert(format!("image {src}"));
                    reported.insert(format!("image without alt on {output}"));
                    Some(image_without_alt())
                }
            };
            if let Some((message, help)) = problem {
                problems.push(source.body_error(range, message).with_help(help));
            }
        }
    }

    /// Whether a URL found in `from` (an output file) leads to a file and fragment of the site.
    fn broken_reference(&self, from: &str, url: &str) -> Option<(String, String)> {
        let target = match internal_target(url, from, &self.site.settings.base_url) {
            Target::External => return None,
            Target::OutsideBasePath => {
                return Some((
                    format!("`{url}` is outside the site's base path `{}`", self.site.settings.base_url.path),
                    "links within the site start with the base path; prefer `@/file.md` links to pages".into(),
                ));
            }
            Target::Internal { path, fragment } => (path, fragment),
        };
        let (path, fragment) = target;
        let Some(file) = self.resolve_file(&path) else {
            return Some((
                format!("`{url}` leads to no page or file of the site"),
                "link to a page by its source file, such as `@/articles/my-article.md`, or fix the path".into(),
            ));
        };
        let fragment = fragment.filter(|fragment| !fragment.is_empty())?;
        let has_id = self
            .pages
            .get(file)
            .is_some_and(|page| page.ids.contains(&fragment));
        if has_id || site::is_top_of_page(&fragment) {
            return None;
        }
        Some((
            format!("`{url}`: `{file}` has no element with the id `{fragment}`"),
            "link to the id of a heading in that page".into(),
        ))
    }

    /// The output file a site path names: itself, or its `index.html`.
    fn resolve_file(&self, path: &str) -> Option<&'a str> {
        let candidates = if path.is_empty() || path.ends_with('/') {
            vec![format!("{path}index.html")]
        } else {
            vec![path.to_string(), format!("{path}/index.html")]
        };
        candidates
            .iter()
            .find_map(|candidate| self.files.get_key_value(candidate.as_str()))
            .map(|(path, _)| *path)
    }

    /// Description, date and title, at their line in the front matter.
    fn check_front_matter(&self, page: &Page, source: &SourcePage, problems: &mut Diagnostics) {
        let front = &source.text[source.front_start..source.body_start];
        let key_span = |key: &str| {
            key_line(front, key)
                .map(|span| span.start + source.front_start..span.end + source.front_start)
        };
        let fence = 0..source.front_start.saturating_sub(1);
        let at = |span: Option<Range<usize>>, message: String, help: &str| {
            Diagnostic::error(&source.display_path, message)
                .at(&source.text, span.unwrap_or(fence.clone()))
                .with_help(help)
        };
        match &page.description {
            // A reminder, as for a new article: a warning, which fails the check with
            // `--strict`.
            None => {
                let mut reminder = at(
                    key_span("description"),
                    "the page has no description".into(),
                    "add `description = \"...\"`: one or two sentences that search results show under the title",
                );
                reminder.severity = Severity::Warning;
                problems.push(reminder);
            }
            Some(description) if description.chars().count() > MAX_DESCRIPTION => {
                problems.push(at(
                    key_span("description"),
                    format!(
                        "the description is {} characters long, more than {MAX_DESCRIPTION}",
                        description.chars().count()
                    ),
                    "shorten it: search results cut longer descriptions off",
                ))
            }
            Some(_) => {}
        }
        if page.kind == SourceKind::Article && page.date.is_none() {
            problems.push(at(
                key_span("title"),
                "the article has no date".into(),
                "add `date = 2020-02-10` (the day it is published) to the front matter",
            ));
        }
    }

    fn check_duplicate_titles(&self, problems: &mut Diagnostics) {
        let mut first_by_title: HashMap<String, &Page> = HashMap::new();
        for page in &self.site.pages {
            let key = page.title.trim().to_lowercase();
            match first_by_title.get(&key) {
                None => {
                    first_by_title.insert(key, page);
                }
                Some(first) => {
                    let message = format!(
                        "the title `{}` is also the title of `{}`",
                        page.title,
                        first.display_path.display()
                    );
                    let diagnostic = match self.sources.get(page.source.as_str()) {
                        Some(source) => {
                            let front = &source.text[source.front_start..source.body_start];
                            let span = key_line(front, "title").map_or(0..3, |span| {
                                span.start + source.front_start..span.end + source.front_start
                            });
                            Diagnostic::error(&source.display_path, message).at(&source.text, span)
                        }
                        None => Diagnostic::error(&page.display_path, message),
                    };
                    problems.push(diagnostic.with_help(
                        "give each page its own title, so that visitors and search engines can tell them apart",
                    ));
                }
            }
        }
    }

    fn check_settings(&self, problems: &mut Diagnostics) {
        let settings = &self.site.settings;
        let length = settings.description.chars().count();
        if length > MAX_DESCRIPTION {
            let text = &settings.file.text;
            let span = key_line(text, "description").unwrap_or(0..0);
            problems.push(
                settings
                    .file
                    .error_at(
                        span,
                        format!(
                            "the site's description is {length} characters long, more than {MAX_DESCRIPTION}"
                        ),
                    )
                    .with_help("shorten it: pages without a description of their own use it"),
            );
        }
    }

    /// What the templates and raw HTML put in every page: links, images, the heading outline.
    fn check_html(&self, problems: &mut Diagnostics, reported: &HashSet<String>) {
        let markdown_headings: HashMap<String, ahash::AHashSet<&str>> = self
            .site
            .pages
            .iter()
            .map(|page| (page.output_file(), page.heading_ids()))
            .collect();
        let source_of: HashMap<String, &Page> = self
            .site
            .pages
            .iter()
            .map(|page| (page.output_file(), page))
            .collect();
        // One problem of a template shows on many pages: report it once.
        let mut seen: BTreeMap<(PathBuf, Option<usize>, String), Diagnostic> = BTreeMap::new();
        let mut report = |file: &str, needle: &str, message: String, help: &str| {
            let page = format!("/{}", file.trim_end_matches("index.html"));
            let diagnostic = self
                .locate(source_of.get(file).copied(), needle, message)
                .with_help(format!("{help} (seen on the page {page})"));
            let key = (
                diagnostic.file.clone(),
                diagnostic.location.map(|l| l.line),
                diagnostic.message.clone(),
            );
            seen.entry(key).or_insert(diagnostic);
        };
        for (file, page) in &self.pages {
            for load in &page.loads {
                if let Some((message, help)) = self.third_party(load) {
                    report(file, &load.url, message, &help);
                }
            }
            for reference in &page.references {
                if reported.contains(&format!("link {}", reference.url)) {
                    continue;
                }
                if let Some((message, help)) = self.broken_reference(file, &reference.url) {
                    report(file, &reference.url, message, &help);
                }
            }
            // A Markdown image the build rewrote (into a picture of copies) has another `src`
            // than its Markdown: one nowhere in the sources is that image, told already.
            let told_in_markdown = reported.contains(&format!("image without alt on {file}"));
            for image in page.images.iter().filter(|image| image.alt_missing) {
                if reported.contains(&format!("image {}", image.src))
                    || (told_in_markdown && !self.written_somewhere(&image.src))
                {
                    continue;
                }
                let (message, help) = image_without_alt();
                report(file, &image.tag, message, &help);
            }
            let from_markdown = markdown_headings.get(*file);
            let mut previous: Option<u8> = None;
            for heading in &page.headings {
                let is_markdown = heading
                    .id
                    .as_deref()
                    .is_some_and(|id| from_markdown.is_some_and(|ids| ids.contains(id)));
                if let Some(previous) = previous
                    && heading.level > previous + 1
                    && !is_markdown
                {
                    let (message, help) = heading_skip(previous, heading.level);
                    report(file, &heading.tag, message, &help);
                }
                previous = Some(heading.level);
            }
        }
        problems.extend(seen.into_values());
    }

    /// Whether a URL is written in a page's Markdown, a template or `site.toml`.
    fn written_somewhere(&self, url: &str) -> bool {
        let settings = &self.site.settings.file;
        std::iter::once(settings.text.as_str())
            .chain(self.sources.values().map(|source| source.text.as_str()))
            .chain(self.templates.iter().map(|(_, text)| text.as_str()))
            .any(|text| text.contains(url))
    }

    /// A diagnostic at the first place `needle` is written: the page's Markdown file, `site.toml`,
    /// a template, or another page's Markdown (lists show summaries of other pages); else naming
    /// the page's source (or the site's templates) without a line.
    fn locate(&self, page: Option<&Page>, needle: &str, message: String) -> Diagnostic {
        let source = page.and_then(|page| self.sources.get(page.source.as_str()));
        let settings = &self.site.settings.file;
        let mut candidates: Vec<(&Path, &str)> = Vec::new();
        if let Some(source) = source {
            candidates.push((&source.display_path, &source.text));
        }
        candidates.push((Path::new(SETTINGS_FILE), &settings.text));
        let mut others: Vec<&&SourcePage> = self.sources.values().collect();
        others.sort_by(|a, b| a.source.cmp(&b.source));
        candidates.extend(
            self.templates
                .iter()
                .map(|(path, text)| (path.as_path(), text.as_str())),
        );
        candidates.extend(
            others
                .into_iter()
                .map(|source| (source.display_path.as_path(), source.text.as_str())),
        );
        for (path, text) in candidates {
            if needle.is_empty() {
                break;
            }
            if let Some(start) = text.find(needle) {
                return Diagnostic::error(path, message).at(text, start..start + needle.len());
            }
        }
        match page {
            Some(page) => Diagnostic::error(&page.display_path, message),
            None => Diagnostic::error(templates::TEMPLATES_DIR, message),
        }
    }
}

/// The `#fragment` links written in Markdown (`@/page.md#id`, `#id`), as `link URL` of
/// their URL in the HTML: the build checked them against the headings of their target, and
/// reported those that name none at their line.
fn fragments_checked_by_the_build(site: &Site) -> HashSet<String> {
    let url_of: HashMap<&str, String> = site
        .pages
        .iter()
        .map(|page| (page.source.as_str(), site.url(&page.path)))
        .collect();
    let mut checked = HashSet::new();
    for page in &site.pages {
        for link in &page.markdown.links {
            let Some(fragment) = &link.fragment else {
                continue;
            };
            let url = match &link.source {
                None => format!("#{fragment}"),
                Some(target) => match url_of.get(target.as_str()) {
                    Some(url) => format!("{url}#{fragment}"),
                    None => continue,
                },
            };
            checked.insert(format!("link {url}"));
        }
    }
    checked
}

fn heading_skip(previous: u8, level: u8) -> (String, String) {
    (
        format!("the heading level skips from h{previous} to h{level}"),
        format!(
            "use an h{} here (`{}` in Markdown); screen readers navigate by heading levels",
            previous + 1,
            "#".repeat(usize::from(previous) + 1)
        ),
    )
}

fn image_without_alt() -> (String, String) {
    (
        "the image has no alt text".into(),
        "give it alt text that says what it shows, for people who cannot see it: `![what it shows](image.jpg)`".into(),
    )
}

/// The span of the line `key = ...` in TOML text.
fn key_line(text: &str, key: &str) -> Option<Range<usize>> {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            let indent = line.len() - trimmed.len();
            return Some(start + indent..start + line.trim_end().len());
        }
        start += line.len();
    }
    None
}

/// The host of a link to a placeholder domain (`example.com` and its kin): an e-mail address
/// (`mailto:`) or a web address.
fn placeholder_host(link: &str) -> Option<String> {
    let url = url::Url::parse(link.trim()).ok()?;
    let host = match url.scheme() {
        "mailto" => url.path().rsplit_once('@')?.1.to_string(),
        _ => url.host_str()?.to_string(),
    };
    crate::config::is_placeholder_domain(&host).then_some(host)
}

/// Where a URL written in a page leads.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// Another site, a `mailto:`, or a link the build checks itself (`@/...`, `#fragment`).
    External,
    /// A path on this host that is not below the base path.
    OutsideBasePath,
    /// An output file path (below the base path, without a leading `/`) and a fragment.
    Internal {
        path: String,
        fragment: Option<String>,
    },
}

/// Resolves a URL found in the output file `from` (such as `articles/a/index.html`) as a
/// browser does, against the page's own URL.
fn internal_target(url: &str, from: &str, base_url: &crate::config::BaseUrl) -> Target {
    let url = url.trim();
    if url.is_empty() || url.starts_with("@/") {
        return Target::External;
    }
    let Ok(resolved) = base_url.url.join(from).and_then(|page| page.join(url)) else {
        return Target::External;
    };
    // Another scheme (`mailto:`, `tel:`) or host: another site.
    if resolved.origin() != base_url.url.origin() {
        return Target::External;
    }
    let path = resolved.path();
    let below_base = match path.strip_prefix(&base_url.path) {
        Some(below) => below,
        // The base path without its final `/`.
        None if base_url.path.strip_suffix('/') == Some(path) => "",
        None => return Target::OutsideBasePath,
    };
    Target::Internal {
        path: percent_decode(below_base),
        fragment: resolved.fragment().map(percent_decode),
    }
}

/// `%20` and the like decoded; invalid sequences are kept as they are.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BaseUrl;

    fn target(url: &str, from: &str, base: &str) -> Target {
        internal_target(url, from, &BaseUrl::parse(base).unwrap())
    }

    fn internal(path: &str, fragment: Option<&str>) -> Target {
        Target::Internal {
            path: path.into(),
            fragment: fragment.map(str::to_string),
        }
    }

    #[test]
    fn urls_resolve_against_the_page_and_base_path() {
        let base = "https://a.com/";
        assert_eq!(
            target("/articles/", "index.html", base),
            internal("articles/", None)
        );
        assert_eq!(
            target("../b/#x", "articles/a/index.html", base),
            internal("articles/b/", Some("x"))
        );
        assert_eq!(
            target("img.png", "articles/a/index.html", base),
            internal("articles/a/img.png", None)
        );
        assert_eq!(
            target("https://a.com/x?q=1", "index.html", base),
            internal("x", None)
        );
        assert_eq!(
            target("https://A.com", "index.html", base),
            internal("", None)
        );
        assert_eq!(
            target("/a%20b.pdf", "index.html", base),
            internal("a b.pdf", None)
        );
        for external in [
            "https://b.com/",
            "mailto:x@a.com",
            "//cdn.b.com/x.js",
            "@/a.md",
            "tel:+1",
        ] {
            assert_eq!(
                target(external, "index.html", base),
                Target::External,
                "{external}"
            );
        }
        assert_eq!(
            target("#top", "a/index.html", base),
            internal("a/index.html", Some("top"))
        );
        // As a browser does, `..` stops at the host's root.
        assert_eq!(target("../../..", "a/index.html", base), internal("", None));
        let sub = "https://a.github.io/site/";
        assert_eq!(
            target("/site/articles/", "index.html", sub),
            internal("articles/", None)
        );
        assert_eq!(target("/site", "index.html", sub), internal("", None));
        assert_eq!(
            target("/other/", "index.html", sub),
            Target::OutsideBasePath
        );
        assert_eq!(
            target("../../..", "a/index.html", sub),
            Target::OutsideBasePath
        );
        assert_eq!(
            target("x/", "tags/index.html", sub),
            internal("tags/x/", None)
        );
    }

    #[test]
    fn placeholder_addresses_are_found() {
        assert_eq!(
            placeholder_host("mailto:privacy@example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            placeholder_host("https://www.example.org/x").as_deref(),
            Some("www.example.org")
        );
        for real in [
            "mailto:hello@aimtowin.com",
            "https://aimtowin.com/",
            "/about/",
            "@/a.md",
        ] {
            assert_eq!(placeholder_host(real), None, "{real}");
        }
    }

    #[test]
    fn finds_the_line_of_a_key() {
        let text = "title = \"A\"\n  description = \"\"\ndate = 2020-01-01\n";
        let span = key_line(text, "description").unwrap();
        assert_eq!(&text[span], "description = \"\"");
        assert!(key_line(text, "tags").is_none());
        assert!(key_line("titles = 1\n", "title").is_none());
    }

    #[test]
    fn html_scan_finds_links_images_and_headings() {
        let html = r#"<h1>A</h1><h3 id="x">B</h3><a href="/a/">a</a><img src="i.png"><img src="j.png" alt="J"><img srcset="k.png 1x, l.png 2x" alt="">"#;
        let (page, _) = scan_html(html, 0);
        let urls: Vec<&str> = page.references.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(urls, ["/a/", "i.png", "j.png", "k.png", "l.png"]);
        let missing: Vec<&str> = page
            .images
            .iter()
            .filter(|i| i.alt_missing)
            .map(|i| i.src.as_str())
            .collect();
        assert_eq!(missing, ["i.png", ""]);
        assert_eq!(
            page.headings.iter().map(|h| h.level).collect::<Vec<_>>(),
            [1, 3]
        );
        assert!(page.ids.contains("x"));
    }
}
