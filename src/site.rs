//! Assembles the site: which pages are published, their URLs, the Markdown rendered, the article
//! list, the tags, and the checks that need the whole site (links, duplicate URLs, templates).
//! Pure: no I/O.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ahash::{AHashMap, AHashSet};
use rayon::prelude::*;

use crate::assets::{self, Asset, AssetUrls};
use crate::config::{MenuTarget, Settings};
use crate::content::{LoadedContent, MAX_NAME_BYTES, SectionKind, SourceKind, SourcePage};
use crate::date::PageDate;
use crate::diagnostics::{Diagnostic, Diagnostics, Locator, closest};
use crate::markdown::{self, LinkProblemKind, RenderedMarkdown, ResolveSource};
use crate::memo::Memo;

mod cta;
mod kinds;
mod sections;

pub use cta::CallToActionLink;
pub use kinds::{Details, Event};
use sections::Membership;
pub use sections::{Paging, Section};

/// Paths the build generates itself, so that content cannot take them.
pub const ARTICLES_PATH: &str = "articles/";
pub const TAGS_PATH: &str = "tags/";
pub const NOT_FOUND_FILE: &str = "404.html";
/// How many of the newest articles the home page lists unless its `latest` says otherwise.
pub const DEFAULT_HOME_LATEST: usize = 10;

/// A published content page, rendered to HTML but not yet put into a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub kind: SourceKind,
    pub source: String,
    pub display_path: PathBuf,
    pub title: String,
    pub description: Option<String>,
    /// The URL path below the base path, ending in `/` (`""` for the home page).
    pub path: String,
    pub date: Option<PageDate>,
    pub updated: Option<PageDate>,
    pub draft: bool,
    pub weight: i64,
    pub tags: Vec<TagName>,
    pub template: String,
    /// Shared with the render cache of `serve`, which reuses it while the source is unchanged.
    pub markdown: Arc<RenderedMarkdown>,
    /// Old paths below the base path (`old/path/`) that redirect here.
    pub aliases: Vec<String>,
    pub image: Option<String>,
    /// What the section it belongs to holds, if it belongs to one.
    pub section_kind: Option<SectionKind>,
    /// Its person's, testimonial's or event's details.
    pub details: Details,
}

impl Page {
    pub fn output_file(&self) -> String {
        [self.path.as_str(), "index.html"].concat()
    }

    /// The ids of the page's Markdown headings, which links may name as fragments.
    pub fn heading_ids(&self) -> AHashSet<&str> {
        self.markdown
            .heading_ids
            .iter()
            .map(String::as_str)
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagName {
    pub name: String,
    pub slug: String,
}

/// A tag and the articles that carry it, newest first.
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub slug: String,
    pub articles: Vec<usize>,
}

impl Tag {
    pub fn path(&self) -> String {
        tag_path(&self.slug)
    }
}

pub fn tag_path(slug: &str) -> String {
    [TAGS_PATH, slug, "/"].concat()
}

/// A menu entry with its target resolved.
#[derive(Debug, Clone)]
pub struct MenuLink {
    pub label: String,
    /// Ready for `href`: absolute for external links, with the base path otherwise.
    pub url: String,
    pub external: bool,
}

/// Everything the render stage needs.
#[derive(Debug)]
pub struct Site {
    pub settings: Settings,
    pub menu: Vec<MenuLink>,
    /// `[cta]`, or none when the site has no page for its default target.
    pub cta: Option<CallToActionLink>,
    pub pages: Vec<Page>,
    /// Indices into `pages`: the articles, newest first.
    pub articles: Vec<usize>,
    pub tags: Vec<Tag>,
    /// Every folder's list of its pages (`sections`).
    pub sections: Vec<Section>,
    /// How tag pages are cut into pages (`[tags] paginate_by`).
    pub tag_paging: Paging,
    /// How many of the newest articles the home page lists (its `latest`).
    pub home_latest: usize,
    /// The files of `data/` (`data.NAME` in templates).
    pub data: serde_json::Value,
    /// The pages held back because they are dated after the build's day, with their dates.
    pub scheduled: Vec<(PathBuf, PageDate)>,
    /// Static files and content assets, written as they are.
    pub copies: Vec<Asset>,
    /// Where `asset()` finds each static file.
    pub asset_urls: AssetUrls,
}

impl Site {
    /// A URL path with the base path in front: `articles/` becomes `/aimtowin/articles/`.
    pub fn url(&self, path: &str) -> String {
        // `concat`, not `format!`: this runs several times for every page.
        [self.settings.base_url.path.as_str(), path].concat()
    }

    /// The newest articles, as many as the home page lists.
    pub fn home_latest(&self) -> &[usize] {
        &self.articles[..self.home_latest.min(self.articles.len())]
    }

    /// `url(&tag_path(slug))` in one step: every page links its tags.
    pub fn tag_url(&self, slug: &str) -> String {
        [self.settings.base_url.path.as_str(), TAGS_PATH, slug, "/"].concat()
    }

    pub fn permalink(&self, path: &str) -> String {
        self.settings.base_url.join(path)
    }
}

/// What the loading stages found, handed to `plan`.
pub struct Sources {
    pub settings: Settings,
    pub content: LoadedContent,
    /// Files of `static/`, and the built-in ones the site does not replace.
    pub static_files: Vec<Asset>,
    /// The names of the templates, or `None` when they failed to load.
    pub templates: Option<HashSet<String>>,
    /// The files of `data/`, for templates.
    pub data: serde_json::Value,
    pub drafts: bool,
    /// The last day whose pages are published: pages dated later are held back. `None`
    /// publishes every date (`--future`).
    pub publish_until: Option<jiff::civil::Date>,
    /// The day of the build, after which events are past.
    pub today: jiff::civil::Date,
}

/// The site as the sources' front matter makes it: every page with its URL, the article order,
/// the tags, the menu and the files to copy, with the problems found so far. Only the Markdown
/// is not rendered yet.
pub struct Plan {
    pub site: Site,
    /// The published pages' sources, in the order of `site.pages`.
    pub sources: Vec<SourcePage>,
    /// Where each source's page is, for `@/` links.
    pub links: SourceUrls,
    pub problems: Diagnostics,
}

pub fn plan(sources: Sources) -> Plan {
    let mut problems = Diagnostics::default();
    let Sources {
        settings,
        content,
        static_files,
        templates,
        data,
        drafts,
        publish_until,
        today,
    } = sources;

    let mut published = content.pages;
    let mut draft_sources = Vec::new();
    // Most builds have no draft to leave out, and then the pages stay where they are.
    if !drafts && published.iter().any(|page| page.front.draft) {
        (published, draft_sources) = published.into_iter().partition(|page| !page.front.draft);
    }
    let mut scheduled_sources = Vec::new();
    if let Some(today) = publish_until
        && published.iter().any(|page| is_after(page, today))
    {
        (scheduled_sources, published) = published
            .into_iter()
            .partition(|page| is_after(page, today));
    }
    // The steps over every page are parallel: on a large site, done on one thread, they left
    // the other idle for a good part of this stage.
    let paths: Vec<String> = published.par_iter().map(url_path).collect();
    let resolver = SourceUrls {
        urls: published
            .par_iter()
            .zip(&paths)
            .map(|(page, path)| {
                let url = [settings.base_url.path.as_str(), path].concat();
                (page.source.clone(), url)
            })
            .collect::<HashMap<_, _, ahash::RandomState>>()
            .into(),
        drafts: draft_sources.into_iter().map(|page| page.source).collect(),
        scheduled: scheduled_sources
            .iter()
            .map(|page| page.source.clone())
            .collect(),
        failed: content.failed,
        base_path: settings.base_url.path.clone(),
    };
    if let Some(names) = &templates {
        problems.extend(
            published
                .iter()
                .flat_map(|source| unknown_templates(source, names)),
        );
    }
    let membership = Membership::find(&published, &paths);
    let made: Vec<(Page, Vec<Diagnostic>)> = published
        .par_iter()
        .zip(paths)
        .enumerate()
        .map(|(index, (source, path))| {
            let section = membership.of_page[index].map(|section| &membership.sections[section]);
            let page_template = section
                .and_then(|section| section.page)
                .and_then(|page| published[page].front.page_template.as_ref())
                .map(|template| template.get_ref().as_str());
            let kind = membership.kind_of(index, source);
            let section_kind = membership.section_kind(index);
            let mut page = page_from_source(source, path, kind, section_kind, page_template);
            match kinds::details(source, section_kind) {
                Ok(details) => {
                    page.details = details;
                    (page, Vec::new())
                }
                Err(found) => (page, found),
            }
        })
        .collect();
    let mut pages = Vec::with_capacity(made.len());
    for (page, found) in made {
        problems.extend(found);
        pages.push(page);
    }
    let sections = membership.into_sections(&pages, &published, today);

    let menu = resolve_menu(&settings, &resolver, &mut problems);
    let cta = cta::resolve(&settings, &resolver, &mut problems);
    let articles = sorted_articles(&pages);
    let tags = collect_tags(&pages, &articles);

    let (static_files, asset_urls) = assets::prepare(static_files, settings.minify);
    let copies: Vec<Asset> = static_files.into_iter().chain(content.assets).collect();
    let home_latest = published
        .iter()
        .find(|source| source.kind == SourceKind::Home)
        .and_then(|home| home.front.latest.as_ref())
        .and_then(|latest| usize::try_from(*latest.get_ref()).ok())
        .unwrap_or(DEFAULT_HOME_LATEST);
    let tag_paging = Paging {
        per_page: settings.tags.paginate_by.map(usize::from),
    };
    check_output_paths(&pages, &sections, &tags, tag_paging, &copies, &mut problems);
    Plan {
        site: Site {
            settings,
            menu,
            cta,
            pages,
            articles,
            tags,
            sections,
            tag_paging,
            home_latest,
            data,
            scheduled: scheduled_sources
                .iter()
                .filter_map(|page| Some((page.display_path.clone(), page_date(page)?)))
                .collect(),
            copies,
            asset_urls,
        },
        sources: published,
        links: resolver,
        problems,
    }
}

/// A page's Markdown rendered, with the problems of its links.
pub struct PageMarkdown {
    pub markdown: Arc<RenderedMarkdown>,
    pub problems: Vec<Diagnostic>,
}

/// The Markdown stage of one page: its body rendered, `@/` links resolved, and the links that
/// lead nowhere reported at their line. Through `memo` (`serve`), a body rendered by the last
/// build is reused while it is the same and every `@/` link it names still leads where it did.
pub fn render_markdown(
    source: &SourcePage,
    links: &SourceUrls,
    memo: Option<&Memo<CachedMarkdown>>,
    scripts_allowed: bool,
) -> PageMarkdown {
    let (markdown, link_problems) = match memo {
        Some(memo) => {
            let cached = memo.get_or(
                &source.source,
                |cached| cached.is_still_good(source, links),
                || CachedMarkdown::render(source, links),
            );
            (Arc::clone(&cached.markdown), cached.problems.clone())
        }
        None => {
            let (markdown, problems) =
                markdown::render_searching(source.body(), links, source.body_may_have_shortcodes);
            (Arc::new(markdown), problems)
        }
    };
    let mut links_of = LinkLocator::new(source);
    let mut problems: Vec<Diagnostic> = link_problems
        .into_iter()
        .map(|problem| {
            links_of
                .error(problem.link, problem.message)
                .with_help(problem.help)
        })
        .collect();
    if markdown.has_script && !scripts_allowed {
        problems.extend(script_problems(source));
    }
    PageMarkdown { markdown, problems }
}

/// Whether a page's body may still be needed once its Markdown is rendered: only a `#fragment`
/// link's diagnostic points into it, once every page is rendered (`assemble`).
pub fn body_needed_later(markdown: &RenderedMarkdown) -> bool {
    markdown.links.iter().any(|link| link.fragment.is_some())
}

/// `#` and `#top` lead to the top of any page: browsers scroll there without an element of
/// that id.
pub fn is_top_of_page(fragment: &str) -> bool {
    fragment.is_empty() || fragment.eq_ignore_ascii_case("top")
}

/// Puts each page's rendered Markdown into the site and checks the `#fragment` of every link
/// between pages, adding what it finds to `problems`. The site is whole either way, so that
/// `check` can go on to read its pages and report everything in one run.
///
/// `raw_ids`: each page's `linked_raw_ids`, found while its HTML was at hand.
pub fn assemble(
    mut site: Site,
    sources: Vec<SourcePage>,
    rendered: Vec<(Arc<RenderedMarkdown>, HashSet<String>)>,
    problems: &mut Diagnostics,
) -> Site {
    let mut raw_ids = Vec::with_capacity(rendered.len());
    for (page, (markdown, ids)) in site.pages.iter_mut().zip(rendered) {
        page.markdown = markdown;
        raw_ids.push(ids);
    }
    check_fragments(&sources, &site.pages, &raw_ids, problems);
    // Tens of thousands of small values on a large site, mostly made on the other threads:
    // freed there, in parallel, rather than one by one on this one before the lists start.
    rayon::join(
        || sources.into_par_iter().with_max_len(64).for_each(drop),
        || drop(raw_ids),
    );
    site
}

/// A body's rendered Markdown as the memo keeps it: the body, every `@/` link target looked
/// up with what it resolved to, and the result.
#[derive(Debug)]
pub struct CachedMarkdown {
    /// The source's text, shared with the content memo, and where its body starts.
    text: Arc<String>,
    body_start: usize,
    lookups: Vec<(String, Result<String, LinkProblemKind>)>,
    markdown: Arc<RenderedMarkdown>,
    problems: Vec<markdown::LinkProblem>,
}

impl CachedMarkdown {
    fn render(source: &SourcePage, links: &dyn ResolveSource) -> CachedMarkdown {
        let body = source.body();
        let recorder = RecordingResolver {
            inner: links,
            lookups: std::cell::RefCell::new(Vec::new()),
        };
        let (markdown, problems) =
            markdown::render_searching(body, &recorder, source.body_may_have_shortcodes);
        CachedMarkdown {
            text: Arc::clone(&source.text),
            body_start: source.body_start,
            lookups: recorder.lookups.into_inner(),
            markdown: Arc::new(markdown),
            problems,
        }
    }

    fn body(&self) -> &str {
        self.text.get(self.body_start..).unwrap_or_default()
    }

    /// The same body (the very text the content memo handed on, or an equal one), and every
    /// `@/` link leading where it did.
    fn is_still_good(&self, source: &SourcePage, links: &dyn ResolveSource) -> bool {
        let same_text =
            Arc::ptr_eq(&self.text, &source.text) && self.body_start == source.body_start;
        (same_text || self.body() == source.body())
            && self
                .lookups
                .iter()
                .all(|(target, answer)| links.resolve(target) == *answer)
    }
}

/// Records every lookup a page's Markdown makes, for the memo.
struct RecordingResolver<'r> {
    inner: &'r dyn ResolveSource,
    lookups: std::cell::RefCell<Vec<(String, Result<String, LinkProblemKind>)>>,
}

impl ResolveSource for RecordingResolver<'_> {
    fn resolve(&self, source: &str) -> Result<String, LinkProblemKind> {
        let answer = self.inner.resolve(source);
        self.lookups
            .borrow_mut()
            .push((source.to_string(), answer.clone()));
        answer
    }

    fn base_path(&self) -> &str {
        self.inner.base_path()
    }
}

/// The URL of each published source, for `@/` links.
pub struct SourceUrls {
    urls: AHashMap<String, String>,
    drafts: AHashSet<String>,
    scheduled: AHashSet<String>,
    /// Files that failed to load: they exist, so links to them are not reported.
    failed: Vec<String>,
    base_path: String,
}

impl ResolveSource for SourceUrls {
    fn resolve(&self, source: &str) -> Result<String, LinkProblemKind> {
        if let Some(url) = self.urls.get(source) {
            return Ok(url.clone());
        }
        if self.drafts.contains(source) {
            return Err(LinkProblemKind::Draft);
        }
        if self.scheduled.contains(source) {
            return Err(LinkProblemKind::Scheduled);
        }
        if self.failed.iter().any(|failed| failed == source) {
            return Ok(String::new());
        }
        Err(LinkProblemKind::Missing {
            suggestion: closest(source, self.urls.keys().map(String::as_str)).map(str::to_string),
        })
    }

    fn is_published(&self, source: &str) -> bool {
        self.urls.contains_key(source)
    }

    fn base_path(&self) -> &str {
        &self.base_path
    }
}

/// The URL path of a page below the base path: folders as they are, the file name (or its
/// slug) as the last part, always ending in `/`.
fn url_path(page: &SourcePage) -> String {
    if page.source == "articles/_index.md" {
        return ARTICLES_PATH.to_string();
    }
    let mut parts: Vec<String> = page.source.split('/').map(url_segment).collect();
    let file = page.source.rsplit('/').next().unwrap_or_default();
    parts.pop();
    let stem = file.strip_suffix(".md").unwrap_or(file);
    if stem != "_index" {
        match &page.front.slug {
            Some(slug) => parts.push(slug.get_ref().clone()),
            None => parts.push(url_segment(stem)),
        }
    }
    parts.iter().flat_map(|part| [part.as_str(), "/"]).collect()
}

/// A file or folder name as a URL part: lower-cased when it is otherwise clean, slugified
/// otherwise. `Alpha.md` and `alpha.md` must not become two URLs that a case-insensitive disk
/// or host takes for one.
fn url_segment(name: &str) -> String {
    let clean = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if clean {
        name.to_ascii_lowercase()
    } else {
        markdown::slugify(name)
    }
}

/// The date a page's front matter gives it, if valid.
fn page_date(page: &SourcePage) -> Option<PageDate> {
    let date = page.front.date.as_ref()?;
    PageDate::from_toml(date.get_ref()).ok()
}

/// Whether a page is dated after `today`, so is not published yet. Only the day counts: a time
/// or an offset in the date does not hold a page back within its day.
fn is_after(page: &SourcePage, today: jiff::civil::Date) -> bool {
    page_date(page).is_some_and(|date| date.date > today)
}

/// A page as its front matter makes it; its Markdown comes later (`Plan::render_markdown`).
/// `kind` and `page_template` come from its section.
fn page_from_source(
    source: &SourcePage,
    path: String,
    kind: SourceKind,
    section_kind: Option<SectionKind>,
    page_template: Option<&str>,
) -> Page {
    let front = &source.front;
    let date = front
        .date
        .as_ref()
        .and_then(|date| PageDate::from_toml(date.get_ref()).ok());
    let updated = front
        .updated
        .as_ref()
        .and_then(|date| PageDate::from_toml(date.get_ref()).ok());
    let template = match (&front.template, page_template) {
        (Some(template), _) => template.get_ref().clone(),
        (None, Some(template)) => template.to_string(),
        (None, None) => match (kind, section_kind) {
            (SourceKind::Section, _) => {
                Section::template_of(front.kind.as_ref().map(|kind| *kind.get_ref()))
            }
            (_, Some(section_kind)) => member_template(section_kind),
            _ => default_template(kind),
        }
        .to_string(),
    };
    let mut tags: Vec<TagName> = Vec::new();
    for tag in &front.tags {
        let name = tag.get_ref().trim().to_string();
        let slug = markdown::slugify(&name);
        if !tags.iter().any(|known| known.slug == slug) {
            tags.push(TagName { name, slug });
        }
    }
    Page {
        kind,
        source: source.source.clone(),
        display_path: source.display_path.clone(),
        title: front.title.trim().to_string(),
        description: front
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        path,
        date,
        updated,
        draft: front.draft,
        weight: front.weight,
        tags,
        template,
        markdown: Arc::default(),
        aliases: front
            .aliases
            .iter()
            .map(|alias| alias.get_ref().trim_start_matches('/').to_string())
            .collect(),
        image: front.image.clone(),
        section_kind,
        details: Details::None,
    }
}

/// The file an alias path becomes: `old/path/` → `old/path/index.html`; `old.html` stays.
pub fn alias_output_file(alias: &str) -> String {
    if alias.ends_with(".html") || alias.ends_with(".htm") {
        alias.to_string()
    } else {
        format!("{}/index.html", alias.trim_end_matches('/'))
    }
}

/// The template of a page of `kind` without one of its own, outside sections.
pub fn default_template(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Home => "home.html",
        SourceKind::Section => Section::template_of(None),
        SourceKind::Article => "article.html",
        SourceKind::Page => "page.html",
    }
}

/// The template of a page in a section of `kind` without one of its own.
fn member_template(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Articles => "article.html",
        SectionKind::People => "person.html",
        SectionKind::Testimonials => "testimonial.html",
        SectionKind::Events => "event.html",
        SectionKind::Pages | SectionKind::Services => "page.html",
    }
}

/// Every `#fragment` of a link into the site must name a heading of its target page.
fn check_fragments(
    sources: &[SourcePage],
    pages: &[Page],
    raw_ids: &[HashSet<String>],
    problems: &mut Diagnostics,
) {
    // Made when a link first names a fragment: most sites have few such links, and a large
    // site's map took a while to make on this one thread.
    let mut pages_by_source: Option<AHashMap<&str, &Page>> = None;
    // Made for a page when a link first names one of its fragments: most pages are never
    // named.
    let mut heading_ids: AHashMap<&str, AHashSet<&str>> = AHashMap::new();
    for ((source, page), raw_ids) in sources.iter().zip(pages).zip(raw_ids) {
        let mut links_of = LinkLocator::new(source);
        for link in &page.markdown.links {
            let Some(fragment) = &link.fragment else {
                continue;
            };
            let target = link.source.as_deref().unwrap_or(&page.source);
            let pages_by_source = pages_by_source.get_or_insert_with(|| {
                pages
                    .iter()
                    .map(|page| (page.source.as_str(), page))
                    .collect()
            });
            // A target that did not load has been reported already.
            let Some(target_page) = pages_by_source.get(target) else {
                continue;
            };
            let ids = heading_ids
                .entry(target)
                .or_insert_with(|| target_page.heading_ids());
            let is_heading = ids.contains(fragment.as_str());
            let is_raw_html_id = target == page.source && raw_ids.contains(fragment);
            if is_top_of_page(fragment) || is_heading || is_raw_html_id {
                continue;
            }
            let candidates = ids.iter().copied();
            let help = match closest(fragment, candidates) {
                Some(close) => format!("did you mean `#{close}`?"),
                None => "link to the id of a heading in that page".into(),
            };
            let message = format!("`#{fragment}` is not a heading of `content/{target}`");
            problems.push(links_of.error(link.link, message).with_help(help));
        }
    }
}

/// A script in Markdown would run on the page with nothing but its hash to vouch for it: the
/// policy lets it through because aimsite put it there.
fn script_problems(source: &SourcePage) -> Vec<Diagnostic> {
    markdown::script_spans(source.body())
        .into_iter()
        .map(|span| {
            source
                .body_error(span, "a `<script>` in a page's Markdown".to_string())
                .with_help(
                    "put scripts in a template or in static/ and include them from a template; \
                     to allow scripts in Markdown, set `scripts_in_markdown = true` under \
                     [security] in site.toml",
                )
        })
        .collect()
}

/// Diagnostics at the links of one source's body (`InternalLink::link`). The body's link spans
/// are found when the first diagnostic asks for them (few pages have one), and the links are
/// located one after the other rather than each from the start of the file.
struct LinkLocator<'s> {
    source: &'s SourcePage,
    spans: Option<(Vec<Range<usize>>, Locator<'s>)>,
}

impl<'s> LinkLocator<'s> {
    fn new(source: &'s SourcePage) -> Self {
        LinkLocator {
            source,
            spans: None,
        }
    }

    /// A diagnostic at the `link`th link of the body.
    fn error(&mut self, link: usize, message: String) -> Diagnostic {
        let source = self.source;
        let (spans, locator) = self.spans.get_or_insert_with(|| {
            (
                markdown::link_spans(source.body()),
                Locator::new(&source.text),
            )
        });
        let span = spans.get(link).cloned().unwrap_or_default();
        let span = span.start + source.body_start..span.end + source.body_start;
        Diagnostic::error(&source.display_path, message).at_located(locator, span)
    }
}

/// The `id="..."` values in a page's HTML (its raw HTML, since headings are counted apart) that
/// the page's own links name.
pub fn linked_raw_ids(source: &str, markdown: &RenderedMarkdown) -> HashSet<String> {
    let mut own_fragments = markdown
        .links
        .iter()
        .filter(|link| link.source.as_deref().is_none_or(|target| target == source))
        .filter_map(|link| link.fragment.as_deref())
        .peekable();
    if own_fragments.peek().is_none() {
        return HashSet::new();
    }
    // Found once for the page: searching the HTML for each link would take time of the square
    // of the page's size.
    let ids = id_values(&markdown.html);
    own_fragments
        .filter(|fragment| ids.contains(fragment))
        .map(str::to_string)
        .collect()
}

/// Every value written `id="..."` in a page's HTML.
fn id_values(html: &str) -> HashSet<&str> {
    html.match_indices("id=\"")
        .filter_map(|(start, attribute)| {
            let value = &html[start + attribute.len()..];
            value.find('"').map(|end| &value[..end])
        })
        .collect()
}

/// The page's `template` and, for a section, `page_template`, where they name no template.
fn unknown_templates<'p>(
    page: &'p SourcePage,
    templates: &'p HashSet<String>,
) -> impl Iterator<Item = Diagnostic> + 'p {
    let named = [&page.front.template, &page.front.page_template];
    named.into_iter().flatten().filter_map(move |template| {
        if templates.contains(template.get_ref()) {
            return None;
        }
        let help = match closest(template.get_ref(), templates.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None => {
                "add the template to templates/ or use a built-in one, such as `page.html`".into()
            }
        };
        let message = format!("unknown template `{}`", template.get_ref());
        Some(page.front_error(template.span(), message).with_help(help))
    })
}

fn resolve_menu(
    settings: &Settings,
    resolver: &SourceUrls,
    problems: &mut Diagnostics,
) -> Vec<MenuLink> {
    settings
        .menu
        .iter()
        .filter_map(|entry| {
            let (url, external) = match &entry.target {
                MenuTarget::External(url) => (url.clone(), true),
                MenuTarget::SitePath(path) => (format!("{}{path}", settings.base_url.path), false),
                MenuTarget::Content { source, span } => match resolver.resolve(source) {
                    Ok(url) => (url, false),
                    Err(kind) => {
                        let message = match kind {
                            LinkProblemKind::Draft => format!("the menu links to `content/{source}`, which is a draft"),
                            LinkProblemKind::Scheduled => format!("the menu links to `content/{source}`, which is dated after today and not published yet"),
                            LinkProblemKind::Missing { .. } => {
                                format!("the menu links to `content/{source}`, which does not exist")
                            }
                        };
                        problems.push(
                            settings
                                .file
                                .error_at(span.clone(), message)
                                .with_help("point the menu entry at a file below content/, such as \"@/privacy.md\""),
                        );
                        return None;
                    }
                },
            };
            Some(MenuLink {
                label: entry.label.clone(),
                url,
                external,
            })
        })
        .collect()
}

/// Newest first; undated articles last; then by weight and title, so the order is stable.
fn sorted_articles(pages: &[Page]) -> Vec<usize> {
    // The keys are gathered in page order and sorted on their own: comparing the pages in place
    // reached all over memory, on one thread, for a tenth of the plan of a large site.
    let mut keys: Vec<_> = pages
        .iter()
        .enumerate()
        .filter(|(_, page)| page.kind == SourceKind::Article)
        .map(|(index, page)| {
            let newest_first = std::cmp::Reverse(page.date);
            (newest_first, page.weight, &page.title, &page.source, index)
        })
        .collect();
    // Sources are unique, so equal keys never reach the index and the order is total.
    keys.par_sort_unstable();
    keys.into_iter().map(|(.., index)| index).collect()
}

/// The tags, by slug, each with its articles in the order of `articles` and the name the first
/// of them gives it.
fn collect_tags(pages: &[Page], articles: &[usize]) -> Vec<Tag> {
    let mut ranks = vec![usize::MAX; pages.len()];
    for (position, &index) in articles.iter().enumerate() {
        ranks[index] = position;
    }
    // Pages are read in their order in memory, and each tag's articles sorted after: following
    // `articles` reached all over memory, on one thread.
    let mut tagged: AHashMap<&str, Vec<(usize, &str)>> = AHashMap::new();
    for (page, &rank) in pages.iter().zip(&ranks) {
        if rank == usize::MAX {
            continue;
        }
        for tag in &page.tags {
            tagged.entry(&tag.slug).or_default().push((rank, &tag.name));
        }
    }
    let mut tags: Vec<Tag> = tagged
        .into_iter()
        .map(|(slug, mut ranked)| {
            ranked.sort_unstable_by_key(|&(rank, _)| rank);
            Tag {
                name: ranked[0].1.to_string(),
                slug: slug.to_string(),
                articles: ranked.iter().map(|&(rank, _)| articles[rank]).collect(),
            }
        })
        .collect();
    tags.sort_unstable_by(|a, b| a.slug.cmp(&b.slug));
    tags
}

/// Two sources that would write the same file are an error naming both; so is a page whose
/// folder name (a source name transliterated, which can grow) is too long for file systems.
fn check_output_paths(
    pages: &[Page],
    sections: &[Section],
    tags: &[Tag],
    tag_paging: Paging,
    copies: &[Asset],
    problems: &mut Diagnostics,
) {
    for page in pages {
        if let Some(name) = page
            .path
            .split('/')
            .find(|name| name.len() > MAX_NAME_BYTES)
        {
            problems.push(
                Diagnostic::error(
                    &page.display_path,
                    format!(
                        "the page's folder name `{}…` would be {} bytes long; file systems allow {MAX_NAME_BYTES}",
                        name.chars().take(40).collect::<String>(),
                        name.len()
                    ),
                )
                .with_help("give the file a shorter name, or set a shorter `slug` in its front matter"),
            );
        }
    }
    let mut owners: AHashMap<String, (String, Cow<'_, Path>)> =
        AHashMap::with_capacity(pages.len() + tags.len() + copies.len() + 3);
    let mut generated = vec![
        (format!("{TAGS_PATH}index.html"), "the tag list".to_string()),
        (NOT_FOUND_FILE.to_string(), "the 404 page".to_string()),
    ];
    for section in sections {
        let first = usize::from(section.page.is_some()) + 1;
        let what = |number| match number {
            1 => "the article list".to_string(),
            _ => format!("page {number} of the list of `{}`", section.path),
        };
        generated.extend(
            (first..=section.paging.count(section.pages.len())).map(|number| {
                (
                    Paging::path(&section.path, number) + "index.html",
                    what(number),
                )
            }),
        );
    }
    for tag in tags {
        generated.extend((1..=tag_paging.count(tag.articles.len())).map(|number| {
            let what = match number {
                1 => format!("the page of tag `{}`", tag.name),
                _ => format!("page {number} of the tag `{}`", tag.name),
            };
            (Paging::path(&tag.path(), number) + "index.html", what)
        }));
    }
    for (path, what) in generated {
        let owner = PathBuf::from(format!("({what}, generated)")).into();
        owners.insert(path.clone(), (path, owner));
    }
    let aliases = pages.iter().flat_map(|page| {
        page.aliases
            .iter()
            .map(|alias| (alias_output_file(alias), page.display_path.as_path()))
    });
    let claims = pages
        .iter()
        .map(|page| (page.output_file(), page.display_path.as_path()))
        .chain(aliases)
        .chain(
            copies
                .iter()
                .map(|copy| (copy.output_path.clone(), copy.display_path.as_path())),
        );
    for (output, source) in claims {
        // Keyed without case: macOS and Windows disks, and many hosts, take `Alpha/` and
        // `alpha/` for one folder, so one file would silently replace the other.
        let key = match output.bytes().any(|byte| byte.is_ascii_uppercase()) {
            true => output.to_ascii_lowercase(),
            false => output.clone(),
        };
        match owners.entry(key) {
            std::collections::hash_map::Entry::Occupied(first) => {
                let (first_output, first_source) = first.get();
                let message = if *first_output == output {
                    format!(
                        "`{}` and `{}` would both be written to `{output}`",
                        first_source.display(),
                        source.display(),
                    )
                } else {
                    format!(
                        "`{}` and `{}` would be written to `{first_output}` and `{output}`, \
                         which differ only in case: on a case-insensitive disk or host one \
                         replaces the other",
                        first_source.display(),
                        source.display(),
                    )
                };
                problems.push(
                    Diagnostic::error(source, message)
                        .with_help("give one of them another file name or a `slug`"),
                );
            }
            std::collections::hash_map::Entry::Vacant(vacant) => {
                vacant.insert((output, source.into()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(source: &str, day: i8, weight: i64, tags: &[&str]) -> Page {
        Page {
            kind: SourceKind::Article,
            source: source.into(),
            display_path: PathBuf::from(source),
            title: "Same title".into(),
            description: None,
            path: format!("articles/{source}/"),
            date: Some(PageDate::day(jiff::civil::date(2026, 1, day))),
            updated: None,
            draft: false,
            weight,
            tags: tags
                .iter()
                .map(|name| TagName {
                    name: name.to_string(),
                    slug: markdown::slugify(name),
                })
                .collect(),
            template: "article.html".into(),
            markdown: Arc::default(),
            aliases: Vec::new(),
            image: None,
            section_kind: None,
            details: Details::None,
        }
    }

    #[test]
    fn articles_go_newest_first_then_by_weight_title_and_source() {
        let mut about = article("about", 9, 0, &[]);
        about.kind = SourceKind::Page;
        let pages = [
            article("b", 1, 0, &[]),
            about,
            article("c", 2, 0, &[]),
            article("a", 1, 0, &[]),
            article("d", 1, -1, &[]),
        ];
        let order: Vec<&str> = sorted_articles(&pages)
            .into_iter()
            .map(|index| pages[index].source.as_str())
            .collect();
        assert_eq!(order, ["c", "d", "a", "b"]);
    }

    #[test]
    fn each_tag_lists_its_articles_in_article_order_named_by_the_first() {
        let pages = [
            article("old", 1, 0, &["team work", "Growth"]),
            article("new", 3, 0, &["Team Work"]),
            article("mid", 2, 0, &["growth"]),
        ];
        let articles = sorted_articles(&pages);
        let tags: Vec<(String, String, Vec<&str>)> = collect_tags(&pages, &articles)
            .into_iter()
            .map(|tag| {
                let sources = tag.articles.iter().map(|&i| pages[i].source.as_str());
                (tag.slug, tag.name, sources.collect())
            })
            .collect();
        assert_eq!(
            tags,
            [
                ("growth".into(), "growth".into(), vec!["mid", "old"]),
                ("team-work".into(), "Team Work".into(), vec!["new", "old"]),
            ]
        );
    }
}
