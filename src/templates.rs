//! Tera templates: the built-in ones with the site's own laid over them, and the rendering of
//! every page of an assembled site into HTML. Rendering does no I/O.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Kwargs, State, Tera, Value};

use crate::content::{SourceKind, files_below};
use crate::date::PageDate;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::markdown::{RenderedMarkdown, TocEntry};
use crate::output::OutputFile;
use crate::site::{self, Page, Site, TagName};

pub const TEMPLATES_DIR: &str = "templates";

/// Templates built into the binary; a file of the same name in `templates/` replaces one.
/// `aimsite init` writes them into a new site.
pub const BUILT_IN_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("article.html", include_str!("../templates/article.html")),
    ("page.html", include_str!("../templates/page.html")),
    ("articles.html", include_str!("../templates/articles.html")),
    ("tag.html", include_str!("../templates/tag.html")),
    ("tags.html", include_str!("../templates/tags.html")),
    ("404.html", include_str!("../templates/404.html")),
    ("atom.xml", include_str!("../templates/atom.xml")),
    ("sitemap.xml", include_str!("../templates/sitemap.xml")),
    ("robots.txt", include_str!("../templates/robots.txt")),
    ("redirect.html", include_str!("../templates/redirect.html")),
    (
        "partials/article-list.html",
        include_str!("../templates/partials/article-list.html"),
    ),
    ("contact.html", include_str!("../templates/contact.html")),
    (
        "contact-thanks.html",
        include_str!("../templates/contact-thanks.html"),
    ),
    (
        "partials/contact-form.html",
        include_str!("../templates/partials/contact-form.html"),
    ),
    (
        "partials/contact-details.html",
        include_str!("../templates/partials/contact-details.html"),
    ),
    (
        "partials/consent.html",
        include_str!("../templates/partials/consent.html"),
    ),
    (
        "partials/consent-analytics.html",
        include_str!("../templates/partials/consent-analytics.html"),
    ),
];

/// Static files built into the binary; a file of the same name in `static/` replaces one.
pub const BUILT_IN_STATIC: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../static/style.css")),
    ("favicon.svg", include_bytes!("../static/favicon.svg")),
    ("contact.js", include_bytes!("../static/contact.js")),
    ("contact.css", include_bytes!("../static/contact.css")),
];

/// Words a reader reads in a minute, for `reading_time`.
const WORDS_PER_MINUTE: usize = 200;

/// The templates of a site, parsed and checked.
pub struct Templates {
    tera: Tera,
    /// Where each template came from, for messages: `templates/base.html` or `(built-in) ...`.
    origins: HashMap<String, PathBuf>,
    /// The site's own templates (path shown in messages, text), for checks of their HTML.
    site_sources: Vec<(PathBuf, String)>,
    /// What every page's context shares.
    shared: Shared,
}

impl Templates {
    pub fn names(&self) -> HashSet<String> {
        self.origins.keys().cloned().collect()
    }

    /// The site's own template files, for the check of `data-consent` attributes.
    pub fn site_sources(&self) -> Vec<crate::consent::TemplateSource<'_>> {
        self.site_sources
            .iter()
            .map(|(path, text)| crate::consent::TemplateSource { path, text })
            .collect()
    }
}

/// Reads `ROOT/templates` and lays it over the built-in templates.
pub fn load(root: &Path) -> Result<Templates, Diagnostics> {
    let mut problems = Diagnostics::default();
    let mut sources: HashMap<String, String> = BUILT_IN_TEMPLATES
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    let mut origins: HashMap<String, PathBuf> = BUILT_IN_TEMPLATES
        .iter()
        .map(|(name, _)| {
            (
                name.to_string(),
                PathBuf::from(format!("(built-in template) {name}")),
            )
        })
        .collect();
    let mut site_sources = Vec::new();
    let dir = root.join(TEMPLATES_DIR);
    if dir.is_dir() {
        for entry in files_below(&dir) {
            let path = match entry {
                Ok(path) => path,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            let name = path
                .strip_prefix(&dir)
                .unwrap_or(&path)
                .components()
                .map(|part| part.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let display_path = Path::new(TEMPLATES_DIR).join(&name);
            match std::fs::read(&path).map(String::from_utf8) {
                Ok(Ok(text)) => {
                    site_sources.push((display_path.clone(), text.clone()));
                    sources.insert(name.clone(), text);
                    origins.insert(name, display_path);
                }
                Ok(Err(error)) => problems.push(crate::content::not_utf8(&display_path, &error)),
                Err(error) => problems.push(
                    Diagnostic::error(&display_path, format!("cannot read the template: {error}"))
                        .with_help("check that the file exists and that you may read it"),
                ),
            }
        }
    }
    if problems.has_errors() {
        return Err(problems);
    }
    let mut tera = Tera::new();
    tera.autoescape_on([".html", ".xml"]);
    // Registered now so that templates using them load; `render` gives them the site's values.
    register_asset_function(&mut tera, "/".to_string());
    tera.register_filter("safe", safe);
    let mut names: Vec<&String> = sources.keys().collect();
    names.sort();
    if let Err(error) = tera.add_raw_templates(
        names
            .iter()
            .map(|name| (name.as_str(), sources[*name].as_str())),
    ) {
        let mut found = template_diagnostics(&error, &origins, None);
        // Tera does not say where a missing parent is named; the `extends` tag does.
        if let (tera::ErrorKind::MissingParent { current, parent }, [diagnostic]) =
            (error.kind(), &mut found[..])
            && let Some(text) = sources.get(current)
            && let Some(start) = text.find(&format!("\"{parent}\""))
        {
            *diagnostic = diagnostic.clone().at(text, start..start + parent.len() + 2);
        }
        problems.extend(found);
        return Err(problems);
    }
    Ok(Templates {
        tera,
        origins,
        site_sources,
        shared: Shared {
            tag_links: TagLinks::default(),
            table_of_contents: sources
                .values()
                .any(|text| may_show_table_of_contents(text)),
        },
    })
}

/// Turns a Tera error into diagnostics naming the template file and, where Tera knows it, the
/// line; `rendering` names the template being rendered and the content file it renders, for
/// the errors that Tera does not locate itself (such as too deep a recursion).
fn template_diagnostics(
    error: &tera::Error,
    origins: &HashMap<String, PathBuf>,
    rendering: Option<(&str, Option<&Path>)>,
) -> Vec<Diagnostic> {
    let page = rendering.and_then(|(_, page)| page);
    let file_of = |name: &str| {
        origins
            .get(name)
            .cloned()
            .unwrap_or_else(|| Path::new(TEMPLATES_DIR).join(name))
    };
    let while_rendering = |message: String| match page {
        Some(page) => format!("{message} (while rendering `{}`)", page.display()),
        None => message,
    };
    let help = "fix the template; see the README for the variables each template receives";
    match error.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            let mut message = report.message().to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            let span = report.span();
            vec![
                Diagnostic::error(file_of(report.filename()), while_rendering(message))
                    .at_location(span.start_line, span.start_col + 1)
                    .with_help(help),
            ]
        }
        tera::ErrorKind::MissingParent { current, parent } => vec![
            Diagnostic::error(
                file_of(current),
                format!("`{current}` extends `{parent}`, which does not exist"),
            )
            .with_help(format!(
                "create templates/{parent}, or extend an existing template such as `base.html`"
            )),
        ],
        tera::ErrorKind::CircularExtend { tpl, .. }
        | tera::ErrorKind::CircularInclude { tpl, .. } => {
            vec![
                Diagnostic::error(file_of(tpl), error.to_string()).with_help(
                    "a template must not extend or include itself, directly or through others",
                ),
            ]
        }
        _ => {
            let reports = located_reports(&error.to_string());
            if reports.is_empty() {
                let file = rendering
                    .map_or_else(|| PathBuf::from(TEMPLATES_DIR), |(name, _)| file_of(name));
                let message = error.to_string();
                let help = if message.contains("recursion depth") {
                    "a component or macro calls itself without end: make the call conditional \
                     so that the recursion stops"
                } else {
                    help
                };
                return vec![Diagnostic::error(file, while_rendering(message)).with_help(help)];
            }
            reports
                .into_iter()
                .map(|(name, line, column, message)| {
                    Diagnostic::error(file_of(&name), while_rendering(message))
                        .at_location(line, column)
                        .with_help(help)
                })
                .collect()
        }
    }
}

/// Tera joins the problems it finds while loading into one text of reports, each an
/// `error: MESSAGE` line followed by a `--> TEMPLATE:LINE:COLUMN` line.
fn located_reports(text: &str) -> Vec<(String, usize, usize, String)> {
    let mut reports = Vec::new();
    let mut message = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("error:") {
            message = rest.trim().to_string();
        } else if let Some(place) = line.strip_prefix("-->") {
            let mut parts = place.trim().rsplitn(3, ':');
            let (Some(column), Some(number), Some(name)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if let (Ok(number), Ok(column)) = (number.parse(), column.parse::<usize>()) {
                reports.push((name.to_string(), number, column, message.clone()));
            }
        }
    }
    reports
}

/// Renders every page of the site, in parallel, into memory.
pub fn render(site: &Site, templates: &mut Templates) -> Result<Vec<OutputFile>, Diagnostics> {
    let files = crate::output::Collected::default();
    render_each(site, templates, None, false, &|file, _| files.push(file))?;
    let files = files.into_sorted();
    Ok(files)
}

/// Receives each rendered file as soon as it is made, from any thread, with whether it is the
/// same as in the last render with the same cache.
pub type PageSink<'s> = dyn Fn(OutputFile, bool) + Sync + 's;

/// Renders every page of the site in parallel, handing each to `sink` as soon as it is
/// rendered, so that no more than a few pages are in memory at once. With a cache, renders only
/// the pages whose inputs changed since it was filled, and refills it (`serve`); a failed render
/// empties it. Gives back the lists the pages were rendered with, for the caller to free.
///
/// `rendered_early`: the pages `renders_early` picks were rendered already, with their
/// Markdown (`render_page_early`), and are left out.
pub fn render_each(
    site: &Site,
    templates: &mut Templates,
    cache: Option<&mut PageCache>,
    rendered_early: bool,
    sink: &PageSink<'_>,
) -> Result<Lists, Diagnostics> {
    render_with(site, templates, cache, rendered_early, sink)
}

/// Whether a page can be rendered as soon as its Markdown is, before the rest of the site's:
/// all but the pages that list articles, which need every article's summary.
pub fn renders_early(page: &Page) -> bool {
    matches!(page.kind, SourceKind::Article | SourceKind::Page)
}

/// The pages whose HTML the files rendered after the early pages use: the feed's entries.
pub fn html_needed_later(site: &Site) -> HashSet<usize> {
    feed_articles(site).collect()
}

fn feed_articles(site: &Site) -> impl Iterator<Item = usize> + '_ {
    site.articles.iter().copied().take(site.settings.feed.limit)
}

/// Makes the site known to the templates (`asset()`, `site`); before `render_page_early`.
pub fn bind_site(templates: &mut Templates, site: &Site) {
    register_site_functions(templates, site);
}

/// Renders a page that `renders_early` picks, and its redirects, with the Markdown just
/// rendered for it (not yet in `site`), handing each file to `sink`.
pub fn render_page_early(
    site: &Site,
    templates: &Templates,
    index: usize,
    markdown: &RenderedMarkdown,
    sink: &PageSink<'_>,
) -> Vec<Diagnostic> {
    let no_lists = Lists {
        all_articles: Value::from(Vec::<Value>::new()),
        summaries: Vec::new(),
    };
    let page = &site.pages[index];
    let aliases = page.aliases.iter().map(|alias| Job::Alias(index, alias));
    let mut problems = Vec::new();
    for job in std::iter::once(Job::Content(index)).chain(aliases) {
        let prepared = job.prepare(site, &no_lists, &templates.shared, Some(markdown));
        match render_prepared(templates, &prepared) {
            Ok(html) => sink(OutputFile::text(prepared.path, html), false),
            Err(found) => problems.extend(found),
        }
    }
    problems
}

fn render_prepared(
    templates: &Templates,
    prepared: &Prepared<'_>,
) -> Result<String, Vec<Diagnostic>> {
    let mut page = Vec::with_capacity(prepared.capacity);
    templates
        .tera
        .render_to(prepared.template, &prepared.context, &mut page)
        .and_then(|()| into_text(page))
        .map_err(|error| {
            template_diagnostics(
                &error,
                &templates.origins,
                Some((prepared.template, prepared.source)),
            )
        })
}

/// What Tera wrote, as text: UTF-8 unless a function or filter wrote other bytes.
fn into_text(bytes: Vec<u8>) -> Result<String, tera::Error> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: the bytes were just found to be UTF-8.
        Ok(unsafe { String::from_utf8_unchecked(bytes) })
    } else {
        // For the error, which says where.
        String::from_utf8(bytes).map_err(tera::Error::from)
    }
}

fn render_with(
    site: &Site,
    templates: &mut Templates,
    mut cache: Option<&mut PageCache>,
    rendered_early: bool,
    sink: &PageSink<'_>,
) -> Result<Lists, Diagnostics> {
    register_site_functions(templates, site);
    let previous = match cache.as_deref_mut() {
        Some(cache) => cache.take_if_still_valid(SiteInputs::new(templates, site)),
        None => HashMap::new(),
    };
    let templates = &*templates;
    // Each article as lists show it; an unchanged article's value is the previous build's, so
    // that comparing the lists of two builds is cheap.
    let mut previous_summaries = match cache.as_deref_mut() {
        Some(cache) => std::mem::take(&mut cache.summaries),
        None => HashMap::new(),
    };
    let summaries: Vec<Value> = site
        .articles
        .par_iter()
        .map(|&index| {
            let page = &site.pages[index];
            match previous_summaries.get(&page.source) {
                Some((cached, value)) if cached == page => value.clone(),
                _ => Value::from_serializable(&ArticleContext::new(
                    site,
                    page,
                    &templates.shared.tag_links,
                )),
            }
        })
        .collect();
    if let Some(cache) = cache.as_deref_mut() {
        for (&index, value) in site.articles.iter().zip(&summaries) {
            let page = &site.pages[index];
            let kept = match previous_summaries.remove(&page.source) {
                Some((cached, value)) if cached == *page => (cached, value),
                _ => (page.clone(), value.clone()),
            };
            cache.summaries.insert(page.source.clone(), kept);
        }
    }
    let lists = Lists {
        summaries: by_page(site, &summaries),
        all_articles: Value::from(summaries),
    };

    let caching = cache.is_some();
    let results: Vec<HandedOn> = jobs(site, rendered_early)
        .par_iter()
        // One job per task: the pages that list every article take far longer than the rest.
        .with_max_len(1)
        .map(|job| render_job(job, site, templates, &lists, &previous, caching))
        .map(|result| {
            result.map(|(file, cached)| {
                let path = file.path.clone();
                sink(file, caching && cached.is_none());
                (path, cached)
            })
        })
        .collect();
    let mut previous = previous;
    let mut problems = Diagnostics::default();
    for result in results {
        match result {
            Ok((path, cached)) => {
                if let Some(cache) = cache.as_deref_mut() {
                    let cached = cached.or_else(|| previous.remove(&path));
                    if let Some(cached) = cached {
                        cache.pages.insert(path, cached);
                    }
                }
            }
            Err(found) => problems.extend(found),
        }
    }
    if problems.has_errors() {
        if let Some(cache) = cache {
            *cache = PageCache::default();
        }
        Err(problems)
    } else {
        Ok(lists)
    }
}

/// Renders one job, or takes it from the cache when nothing it depends on changed.
fn render_job(
    job: &Job<'_>,
    site: &Site,
    templates: &Templates,
    lists: &Lists,
    previous: &HashMap<String, CachedPage>,
    caching: bool,
) -> RenderedJob {
    // An article or page depends only on itself and the site inputs (see
    // `PageContext::from_page`): an unchanged one is reused without making its context.
    if let Job::Content(index) = *job {
        let page = &site.pages[index];
        let path = page.output_file();
        if let Some(cached) = previous.get(&path)
            && cached.page.as_ref() == Some(page)
            && cached.template == page.template
        {
            return Ok((OutputFile::text(path, cached.html.clone()), None));
        }
    }
    let prepared = job.prepare(site, lists, &templates.shared, None);
    if let Some(cached) = previous.get(&prepared.path)
        && cached.template == prepared.template
        && cached.context == prepared.context
    {
        return Ok((OutputFile::text(prepared.path, cached.html.clone()), None));
    }
    render_prepared(templates, &prepared).map(|html| {
        let cached = caching.then(|| CachedPage {
            template: prepared.template.to_string(),
            context: prepared.context,
            html: html.clone(),
            page: match *job {
                Job::Content(index)
                    if matches!(
                        site.pages[index].kind,
                        SourceKind::Article | SourceKind::Page
                    ) =>
                {
                    Some(site.pages[index].clone())
                }
                _ => None,
            },
        });
        (OutputFile::text(prepared.path, html), cached)
    })
}

fn jobs(site: &Site, rendered_early: bool) -> Vec<Job<'_>> {
    let left = |page: &Page| !(rendered_early && renders_early(page));
    let mut jobs: Vec<Job> = (0..site.pages.len())
        .filter(|&index| left(&site.pages[index]))
        .map(Job::Content)
        .collect();
    if site.article_list.is_none() {
        jobs.push(Job::ArticleList);
    }
    jobs.push(Job::TagIndex);
    jobs.extend((0..site.tags.len()).map(Job::Tag));
    jobs.push(Job::NotFound);
    jobs.push(Job::Feed);
    jobs.push(Job::Sitemap);
    jobs.push(Job::Robots);
    for (index, page) in site.pages.iter().enumerate().filter(|(_, page)| left(page)) {
        jobs.extend(page.aliases.iter().map(|alias| Job::Alias(index, alias)));
    }
    jobs
}

/// Pages rendered by an earlier build, by output path, reused while every input is equal: the
/// job's template and context, and what all pages share (`SiteInputs`).
#[derive(Default)]
pub struct PageCache {
    inputs: Option<SiteInputs>,
    pages: HashMap<String, CachedPage>,
    /// Each article's value in lists, by source, with the page it was made from.
    summaries: HashMap<String, (Page, Value)>,
}

/// A job's output path once the file is handed on, with its new cache entry; or its problems.
type HandedOn = Result<(String, Option<CachedPage>), Vec<Diagnostic>>;

/// A job's file and, when caching and newly rendered, its cache entry; or its problems.
type RenderedJob = Result<(OutputFile, Option<CachedPage>), Vec<Diagnostic>>;

struct CachedPage {
    template: String,
    context: Context,
    html: String,
    /// For an article or page: the page it was rendered from.
    page: Option<Page>,
}

/// What every page's rendering depends on besides its own context. Whatever
/// `register_site_functions` gives the templates must be here.
#[derive(PartialEq)]
struct SiteInputs {
    templates: Vec<(PathBuf, String)>,
    globals: Context,
    asset_urls: crate::assets::AssetUrls,
    /// `site.toml` as written and the base URL: everything the settings are made from.
    settings: String,
    base_url: String,
}

impl SiteInputs {
    fn new(templates: &mut Templates, site: &Site) -> Self {
        SiteInputs {
            templates: templates.site_sources.clone(),
            globals: templates.tera.global_context().clone(),
            asset_urls: site.asset_urls.clone(),
            settings: site.settings.file.text.clone(),
            base_url: site.settings.base_url.absolute(),
        }
    }
}

impl PageCache {
    /// The cached pages, if they were rendered with the same site inputs; empties the cache.
    fn take_if_still_valid(&mut self, inputs: SiteInputs) -> HashMap<String, CachedPage> {
        let pages = std::mem::take(&mut self.pages);
        let valid = self.inputs.as_ref() == Some(&inputs);
        self.inputs = Some(inputs);
        if valid {
            pages
        } else {
            self.summaries.clear();
            HashMap::new()
        }
    }
}

fn register_site_functions(templates: &mut Templates, site: &Site) {
    templates.shared.tag_links = TagLinks::new(site);
    let tera = &mut templates.tera;
    let urls = site.asset_urls.clone();
    let base_path = site.settings.base_url.path.clone();
    tera.register_function(
        "asset",
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
            let path: &str = kwargs.must_get("path")?;
            match urls.get(path) {
                Some(output) => Ok(format!("{base_path}{output}")),
                None => Err(tera::Error::message(format!(
                    "asset(path=\"{path}\"): there is no such file in static/ (or built in)"
                ))),
            }
        },
    );
    tera.global_context()
        .insert("site", &SiteContext::new(site));
}

/// Tera's `safe`, without copying the string it marks: every page marks its content, and every
/// list each article's summary.
fn safe(value: &Value, _: Kwargs, _: &State) -> Value {
    match value.as_str() {
        Some(_) => value.clone().mark_safe(),
        None => Value::safe_string(&value.to_string()),
    }
}

/// `asset(path="style.css")` while templates load: checks only that it is called right.
fn register_asset_function(tera: &mut Tera, base_path: String) {
    tera.register_function(
        "asset",
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
            let path: &str = kwargs.must_get("path")?;
            Ok(format!("{base_path}{}", path.trim_start_matches('/')))
        },
    );
}

/// The article lists, made once and shared by every page that shows one. `render_each` gives
/// them back: on a large site they are tens of thousands of small values, which take a while
/// to free, and a build that ends the process need not free them one by one.
pub struct Lists {
    all_articles: Value,
    /// By index into `site.pages`.
    summaries: Vec<Option<Value>>,
}

/// Each article's summary (in `site.articles` order) at its page's index.
fn by_page(site: &Site, summaries: &[Value]) -> Vec<Option<Value>> {
    let mut by_page = vec![None; site.pages.len()];
    for (&index, summary) in site.articles.iter().zip(summaries) {
        by_page[index] = Some(summary.clone());
    }
    by_page
}

/// One file to render.
enum Job<'s> {
    Content(usize),
    ArticleList,
    TagIndex,
    Tag(usize),
    NotFound,
    Feed,
    Sitemap,
    Robots,
    /// A redirect from an old path to a page.
    Alias(usize, &'s str),
}

/// A job ready to render: which template, into which file, with what.
struct Prepared<'s> {
    template: &'s str,
    path: String,
    context: Context,
    /// The content file the page comes from, for messages.
    source: Option<&'s Path>,
    /// About how long the page will be, so that its text is not copied as it grows.
    capacity: usize,
}

impl<'s> Job<'s> {
    /// `fresh`: the page's Markdown when it is not in `site` yet (`render_page_early`).
    fn prepare(
        &self,
        site: &'s Site,
        lists: &Lists,
        shared: &Shared,
        fresh: Option<&'s RenderedMarkdown>,
    ) -> Prepared<'s> {
        let mut context = Context::new();
        let page_context = |page: &'s Page| {
            PageContext::from_page(site, page, fresh.unwrap_or(&page.markdown), shared)
        };
        let capacity = self.capacity(site, fresh);
        let prepared = |template: &'s str, path: String, context: Context| Prepared {
            template,
            path,
            context,
            source: None,
            capacity,
        };
        match *self {
            Job::Content(index) => {
                let page = &site.pages[index];
                context.insert("page", &page_context(page));
                if matches!(page.kind, SourceKind::Home | SourceKind::ArticleList) {
                    context.insert_value("articles", lists.all_articles.clone());
                }
                Prepared {
                    template: &page.template,
                    path: page.output_file(),
                    context,
                    source: Some(page.display_path.as_path()),
                    capacity,
                }
            }
            Job::ArticleList => {
                let page = PageContext::generated(
                    site,
                    "articles",
                    "Articles",
                    site::ARTICLES_PATH.to_string(),
                );
                context.insert("page", &page);
                context.insert_value("articles", lists.all_articles.clone());
                prepared(
                    "articles.html",
                    format!("{}index.html", site::ARTICLES_PATH),
                    context,
                )
            }
            Job::TagIndex => {
                let page =
                    PageContext::generated(site, "tags", "Tags", site::TAGS_PATH.to_string());
                let tags: Vec<TagContext> = site
                    .tags
                    .iter()
                    .map(|tag| TagContext::new(site, tag))
                    .collect();
                context.insert("page", &page);
                context.insert("tags", &tags);
                prepared(
                    "tags.html",
                    format!("{}index.html", site::TAGS_PATH),
                    context,
                )
            }
            Job::Tag(index) => {
                let tag = &site.tags[index];
                let title = format!("Articles tagged “{}”", tag.name);
                let page = PageContext::generated(site, "tag", &title, tag.path());
                let articles: Vec<Value> = tag
                    .articles
                    .iter()
                    .filter_map(|&index| lists.summaries[index].clone())
                    .collect();
                context.insert("page", &page);
                context.insert("tag", &TagContext::new(site, tag));
                context.insert_value("articles", Value::from(articles));
                prepared("tag.html", format!("{}index.html", tag.path()), context)
            }
            Job::NotFound => {
                let page = PageContext::generated(
                    site,
                    "404",
                    "Page not found",
                    site::NOT_FOUND_FILE.to_string(),
                );
                context.insert("page", &page);
                prepared("404.html", site::NOT_FOUND_FILE.into(), context)
            }
            Job::Feed => {
                let entries: Vec<FeedEntry> = feed_articles(site)
                    .map(|index| FeedEntry::new(site, &site.pages[index], &shared.tag_links))
                    .collect();
                let updated = entries
                    .iter()
                    .map(|entry| entry.updated.as_str())
                    .max()
                    .unwrap_or(EPOCH);
                context.insert(
                    "feed",
                    &FeedContext {
                        url: site.permalink(FEED_FILE),
                        updated,
                    },
                );
                context.insert("entries", &entries);
                prepared("atom.xml", FEED_FILE.into(), context)
            }
            Job::Sitemap => {
                context.insert("entries", &sitemap_entries(site));
                prepared("sitemap.xml", SITEMAP_FILE.into(), context)
            }
            Job::Robots => {
                context.insert("sitemap_url", &site.permalink(SITEMAP_FILE));
                prepared("robots.txt", "robots.txt".into(), context)
            }
            Job::Alias(index, alias) => {
                let page = &site.pages[index];
                context.insert("page", &page_context(page));
                Prepared {
                    template: "redirect.html",
                    path: site::alias_output_file(alias),
                    context,
                    source: Some(page.display_path.as_path()),
                    capacity,
                }
            }
        }
    }

    /// About how long the job's page will be, so that its text is not copied as it grows:
    /// the built-in templates add a few kilobytes of markup to a page's content, and a few
    /// hundred bytes to each summary a list shows. A template that writes more only costs a
    /// copy.
    fn capacity(&self, site: &Site, fresh: Option<&RenderedMarkdown>) -> usize {
        const PAGE_MARKUP: usize = 8 * 1024;
        const ENTRY_MARKUP: usize = 512;
        const SITEMAP_ENTRY: usize = 128;
        let listing = |articles: &[usize]| -> usize {
            articles
                .iter()
                .map(|&index| site.pages[index].markdown.summary.len() + ENTRY_MARKUP)
                .sum()
        };
        PAGE_MARKUP
            + match *self {
                Job::Content(index) => {
                    let page = &site.pages[index];
                    let lists = matches!(page.kind, SourceKind::Home | SourceKind::ArticleList);
                    fresh.unwrap_or(&page.markdown).html.len()
                        + if lists { listing(&site.articles) } else { 0 }
                }
                Job::ArticleList => listing(&site.articles),
                Job::Tag(index) => listing(&site.tags[index].articles),
                // The feed escapes its entries' HTML, which makes it about half as long again.
                Job::Feed => feed_articles(site)
                    .map(|index| {
                        let markdown = &site.pages[index].markdown;
                        (markdown.html.len() + markdown.summary.len()) * 3 / 2 + ENTRY_MARKUP
                    })
                    .sum(),
                Job::Sitemap => site.pages.len() * SITEMAP_ENTRY,
                Job::TagIndex | Job::NotFound | Job::Robots | Job::Alias(..) => 0,
            }
    }
}

pub const FEED_FILE: &str = "atom.xml";
pub const SITEMAP_FILE: &str = "sitemap.xml";
/// The `updated` of a feed without entries.
const EPOCH: &str = "1970-01-01T00:00:00Z";

#[derive(Serialize)]
struct FeedContext<'a> {
    url: String,
    updated: &'a str,
}

/// An article in the feed, with its whole text.
#[derive(Serialize)]
struct FeedEntry<'a> {
    title: &'a str,
    permalink: String,
    summary: &'a str,
    content: &'a str,
    published: String,
    updated: String,
    tags: Vec<Value>,
}

impl<'a> FeedEntry<'a> {
    fn new(site: &Site, page: &'a Page, links: &TagLinks) -> Self {
        let published = page
            .date
            .as_ref()
            .map_or_else(|| EPOCH.to_string(), PageDate::rfc3339);
        let updated = page
            .updated
            .as_ref()
            .map_or_else(|| published.clone(), PageDate::rfc3339);
        FeedEntry {
            title: &page.title,
            permalink: site.permalink(&page.path),
            summary: page.description.as_deref().unwrap_or_default(),
            content: &page.markdown.html,
            published,
            updated,
            tags: links.of(site, &page.tags),
        }
    }
}

#[derive(Serialize)]
struct SitemapEntry {
    permalink: String,
    lastmod: Option<String>,
}

/// Every page a search engine should know, with the date it last changed: its own, or for a
/// page that lists others or has no date, the newest of the site.
fn sitemap_entries(site: &Site) -> Vec<SitemapEntry> {
    let changed = |page: &Page| page.updated.or(page.date);
    // A page without a date of its own changed, at the latest, when the site last did.
    let newest = site.pages.iter().filter_map(changed).max();
    let newest_of = |articles: &[usize]| {
        articles
            .iter()
            .filter_map(|&index| changed(&site.pages[index]))
            .max()
    };
    let entry = |path: &str, date: Option<PageDate>| SitemapEntry {
        permalink: site.permalink(path),
        lastmod: date.map(|date| date.iso()),
    };
    let mut entries: Vec<SitemapEntry> = site
        .pages
        .iter()
        .filter(|page| page.template != crate::contact::THANKS_TEMPLATE)
        .map(|page| {
            let date = match page.kind {
                SourceKind::Home | SourceKind::ArticleList => changed(page).max(newest),
                _ => changed(page).or(newest),
            };
            entry(&page.path, date)
        })
        .collect();
    if site.article_list.is_none() {
        entries.push(entry(site::ARTICLES_PATH, newest));
    }
    entries.push(entry(site::TAGS_PATH, newest));
    entries.extend(
        site.tags
            .iter()
            .map(|tag| entry(&tag.path(), newest_of(&tag.articles))),
    );
    entries.sort_by(|a, b| a.permalink.cmp(&b.permalink));
    entries
}

#[derive(Serialize)]
struct SiteContext<'a> {
    title: &'a str,
    description: &'a str,
    base_url: String,
    base_path: &'a str,
    language: &'a str,
    author: &'a str,
    footer: &'a str,
    menu: Vec<MenuContext<'a>>,
    feed_url: String,
    /// The language as Open Graph writes it (`en_GB`), when it names a region.
    og_locale: Option<String>,
    /// `[contact]`, for the contact page: see `crate::contact::ContactContext`.
    contact: Option<crate::contact::ContactContext>,
    /// `[consent]`, for the cookie banner: see `crate::consent::ConsentContext`.
    consent: crate::consent::ConsentContext<'a>,
}

#[derive(Serialize)]
struct MenuContext<'a> {
    label: &'a str,
    url: &'a str,
    external: bool,
}

impl<'a> SiteContext<'a> {
    fn new(site: &'a Site) -> Self {
        let settings = &site.settings;
        SiteContext {
            title: &settings.title,
            description: &settings.description,
            base_url: settings.base_url.absolute(),
            base_path: &settings.base_url.path,
            language: &settings.language,
            author: &settings.author,
            footer: &settings.footer,
            feed_url: site.url(FEED_FILE),
            og_locale: settings
                .language
                .split_once('-')
                .filter(|(_, region)| region.len() == 2)
                .map(|(language, region)| format!("{language}_{}", region.to_ascii_uppercase())),
            consent: crate::consent::ConsentContext::new(site),
            contact: settings
                .contact
                .as_ref()
                .map(|contact| crate::contact::ContactContext::new(settings, contact)),
            menu: site
                .menu
                .iter()
                .map(|link| MenuContext {
                    label: &link.label,
                    url: &link.url,
                    external: link.external,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct DateContext {
    iso: String,
    display: String,
    rfc3339: String,
}

impl From<&PageDate> for DateContext {
    fn from(date: &PageDate) -> Self {
        DateContext {
            iso: date.iso(),
            display: date.display(),
            rfc3339: date.rfc3339(),
        }
    }
}

#[derive(Serialize)]
struct TagLinkContext<'a> {
    name: &'a str,
    slug: &'a str,
    url: String,
}

/// What every page's context shares.
struct Shared {
    /// The links of the site bound last (`register_site_functions`).
    tag_links: TagLinks,
    /// Whether a template may show a page's table of contents (`may_show_table_of_contents`):
    /// if none can, no page's context carries it. Making it a Tera value for every page took
    /// 2% of a build whose templates never show it.
    table_of_contents: bool,
}

/// Whether a template may read `page.toc`: a conservative reading of its Tera tags, which finds
/// the name `toc`, the whole context (`__tera_context`), or `page` used other than as
/// `page.name` (passed to a macro or filter, indexed, looped over, set to a variable), through
/// which `toc` could be reached unnamed. Text outside the tags and comments do not count.
fn may_show_table_of_contents(template: &str) -> bool {
    let is_name_byte = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    let mut code = tera_tags(template).filter(|range| !template[range.clone()].starts_with("{#"));
    code.any(|range| {
        let tag = &template[range];
        let bytes = tag.as_bytes();
        let mut words = memchr::memmem::find_iter(bytes, b"toc")
            .map(|at| (at, 3))
            .chain(memchr::memmem::find_iter(bytes, b"__tera_context").map(|at| (at, 14)));
        let named = words.any(|(at, len)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + len).copied();
            !before.is_some_and(is_name_byte) && !after.is_some_and(is_name_byte)
        });
        named
            || memchr::memmem::find_iter(bytes, b"page").any(|at| {
                let before = at.checked_sub(1).map(|i| bytes[i]);
                let rest = tag[at + 4..].trim_start();
                let whole_word = !before.is_some_and(|b| is_name_byte(b) || b == b'.')
                    && !rest.as_bytes().first().copied().is_some_and(is_name_byte);
                whole_word && !rest.starts_with('.')
            })
    })
}

/// Where the Tera tags of a template are (`{{ }}`, `{% %}`, `{# #}`), delimiters included; one
/// left open runs to the end.
pub fn tera_tags(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut rest = 0;
    std::iter::from_fn(move || {
        let bytes = text.as_bytes();
        let mut at = rest;
        loop {
            let open = at + memchr::memchr(b'{', bytes.get(at..)?)?;
            let close = match bytes.get(open + 1) {
                Some(b'{') => "}}",
                Some(b'%') => "%}",
                Some(b'#') => "#}",
                _ => {
                    at = open + 1;
                    continue;
                }
            };
            let end = text[open + 2..]
                .find(close)
                .map_or(text.len(), |found| open + 2 + found + 2);
            rest = end;
            return Some(open..end);
        }
    })
}

/// Each tag's link as templates see it, made once for the site and shared by every page, list
/// entry and feed entry that shows the tag: making them for each took 1% of a build.
#[derive(Default)]
struct TagLinks(ahash::AHashMap<String, (String, Value)>);

impl TagLinks {
    fn new(site: &Site) -> Self {
        let links = site.tags.iter().map(|tag| {
            let link = TagLinks::link(site, &tag.name, &tag.slug);
            (tag.slug.clone(), (tag.name.clone(), link))
        });
        TagLinks(links.collect())
    }

    /// The links of a page's tags. A page that writes a tag's name its own way, or a tag no
    /// article has, gets a link of its own.
    fn of(&self, site: &Site, tags: &[TagName]) -> Vec<Value> {
        tags.iter()
            .map(|tag| match self.0.get(&tag.slug) {
                Some((name, link)) if *name == tag.name => link.clone(),
                _ => TagLinks::link(site, &tag.name, &tag.slug),
            })
            .collect()
    }

    fn link(site: &Site, name: &str, slug: &str) -> Value {
        Value::from_serializable(&TagLinkContext {
            name,
            slug,
            url: site.tag_url(slug),
        })
    }
}

#[derive(Serialize)]
struct TagContext<'a> {
    name: &'a str,
    slug: &'a str,
    url: String,
    count: usize,
}

impl<'a> TagContext<'a> {
    fn new(site: &Site, tag: &'a site::Tag) -> Self {
        TagContext {
            name: &tag.name,
            slug: &tag.slug,
            url: site.url(&tag.path()),
            count: tag.articles.len(),
        }
    }
}

#[derive(Serialize)]
struct PageContext<'a> {
    kind: &'a str,
    title: &'a str,
    description: &'a str,
    url: String,
    permalink: String,
    content: &'a str,
    summary: &'a str,
    toc: &'a [TocEntry],
    word_count: usize,
    reading_time: usize,
    date: Option<DateContext>,
    updated: Option<DateContext>,
    tags: Vec<Value>,
    draft: bool,
    source: String,
    /// Absolute URL of the social preview image, when the page or the site has one.
    image: Option<String>,
    /// schema.org data for the page, as JSON safe to put inside `<script>`.
    json_ld: Option<String>,
}

impl<'a> PageContext<'a> {
    /// Depends only on the page, the settings and the asset URLs: the render cache of `serve`
    /// reuses an unchanged page's HTML on that promise (`render_with`).
    fn from_page(
        site: &'a Site,
        page: &'a Page,
        markdown: &'a RenderedMarkdown,
        shared: &Shared,
    ) -> Self {
        PageContext {
            kind: match page.kind {
                SourceKind::Home => "home",
                SourceKind::ArticleList => "articles",
                SourceKind::Article => "article",
                SourceKind::Page => "page",
            },
            title: &page.title,
            description: page
                .description
                .as_deref()
                .unwrap_or(&site.settings.description),
            url: site.url(&page.path),
            permalink: site.permalink(&page.path),
            content: &markdown.html,
            summary: &markdown.summary,
            toc: if shared.table_of_contents {
                &markdown.toc
            } else {
                &[]
            },
            word_count: markdown.word_count,
            reading_time: reading_time(markdown.word_count),
            date: page.date.as_ref().map(DateContext::from),
            updated: page.updated.as_ref().map(DateContext::from),
            tags: shared.tag_links.of(site, &page.tags),
            draft: page.draft,
            source: page.display_path.to_string_lossy().replace('\\', "/"),
            image: image_url(site, page.image.as_deref()),
            json_ld: structured_data(site, page, markdown.word_count),
        }
    }

    /// A page the build makes itself, such as a tag page.
    fn generated(site: &'a Site, kind: &'a str, title: &'a str, path: String) -> Self {
        PageContext {
            kind,
            title,
            description: &site.settings.description,
            url: site.url(&path),
            permalink: site.permalink(&path),
            content: "",
            summary: "",
            toc: &[],
            word_count: 0,
            reading_time: 0,
            date: None,
            updated: None,
            tags: Vec::new(),
            draft: false,
            source: String::new(),
            image: image_url(site, None),
            json_ld: None,
        }
    }
}

/// An article as lists show it.
#[derive(Serialize)]
struct ArticleContext<'a> {
    title: &'a str,
    url: String,
    description: &'a str,
    summary: &'a str,
    date: Option<DateContext>,
    tags: Vec<Value>,
    reading_time: usize,
}

impl<'a> ArticleContext<'a> {
    fn new(site: &Site, page: &'a Page, links: &TagLinks) -> Self {
        ArticleContext {
            title: &page.title,
            url: site.url(&page.path),
            description: page.description.as_deref().unwrap_or_default(),
            summary: &page.markdown.summary,
            date: page.date.as_ref().map(DateContext::from),
            tags: links.of(site, &page.tags),
            reading_time: reading_time(page.markdown.word_count),
        }
    }
}

/// The absolute URL of a page's image, or the site's.
fn image_url(site: &Site, image: Option<&str>) -> Option<String> {
    let image = image.or(site.settings.image.as_deref())?;
    if image.starts_with("https://") || image.starts_with("http://") {
        return Some(image.to_string());
    }
    let path = image.trim_start_matches('/');
    let path = site.asset_urls.get(path).unwrap_or(path);
    Some(site.permalink(path))
}

/// schema.org `Article` for articles and `Organization` for the home page.
fn structured_data(site: &Site, page: &Page, word_count: usize) -> Option<String> {
    let settings = &site.settings;
    let description = page.description.as_deref().unwrap_or(&settings.description);
    let organization = |context, description| Organization {
        context,
        kind: "Organization",
        description,
        name: &settings.title,
        url: settings.base_url.absolute(),
    };
    let json = match page.kind {
        SourceKind::Home => serde_json::to_string(&organization(Some(SCHEMA), Some(description))),
        SourceKind::Article => {
            let published = page.date.as_ref().map(PageDate::rfc3339);
            let permalink = site.permalink(&page.path);
            serde_json::to_string(&ArticleData {
                context: SCHEMA,
                kind: "Article",
                author: Author {
                    kind: "Organization",
                    name: if settings.author.is_empty() {
                        &settings.title
                    } else {
                        &settings.author
                    },
                },
                date_modified: published.as_ref().map(|published| {
                    page.updated
                        .as_ref()
                        .map_or_else(|| published.clone(), PageDate::rfc3339)
                }),
                date_published: published,
                description,
                headline: &page.title,
                image: image_url(site, page.image.as_deref()),
                main_entity_of_page: permalink.clone(),
                publisher: organization(None, None),
                url: permalink,
                word_count,
            })
        }
        SourceKind::ArticleList | SourceKind::Page => return None,
    };
    json.ok().map(script_safe_json)
}

const SCHEMA: &str = "https://schema.org";

// The JSON-LD types, with their fields in the order of their names, as they always were.
#[derive(Serialize)]
struct Organization<'a> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    context: Option<&'static str>,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
struct Author<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArticleData<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    author: Author<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    description: &'a str,
    headline: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    main_entity_of_page: String,
    publisher: Organization<'a>,
    url: String,
    word_count: usize,
}

/// JSON that cannot end the `<script>` it sits in, nor start markup: `<`, `>` and `&` only
/// appear inside strings, where they are written as `\u` escapes.
pub fn script_safe_json(json: String) -> String {
    if memchr::memchr3(b'<', b'>', b'&', json.as_bytes()).is_none() {
        return json;
    }
    let mut safe = String::with_capacity(json.len() + 16);
    for character in json.chars() {
        match character {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            other => safe.push(other),
        }
    }
    safe
}

fn reading_time(words: usize) -> usize {
    words.div_ceil(WORDS_PER_MINUTE).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_safe_filter_gives_what_teras_own_gives() {
        let template = "{{ html | safe }}|{{ html }}|{{ short | safe }}|{{ n | safe }}|\
                        {{ list | safe }}|{{ missing | default(value='<i>') | safe }}";
        let render = |own_filter: bool| {
            let mut tera = Tera::new();
            tera.autoescape_on([".html"]);
            if own_filter {
                tera.register_filter("safe", safe);
            }
            tera.add_raw_template("t.html", template).unwrap();
            let mut context = Context::new();
            context.insert("html", &"<p>A paragraph longer than a short string.</p>");
            context.insert("short", &"<b>&</b>");
            context.insert("n", &3);
            context.insert("list", &["<i>", "b"]);
            tera.render("t.html", &context).unwrap()
        };
        let ours = render(true);
        assert_eq!(ours, render(false));
        assert!(
            ours.starts_with("<p>A paragraph longer than a short string.</p>|&lt;p&gt;"),
            "{ours}"
        );
    }

    #[test]
    fn a_table_of_contents_is_made_for_any_template_that_may_read_it() {
        for template in [
            "{% for entry in page.toc %}{{ entry.title }}{% endfor %}",
            "{{ page.toc | length }}",
            "{% if page [\"toc\"] %}x{% endif %}",
            "{{ page | json_encode }}",
            "{{ macros::contents(of=page) }}",
            "{% set p = page %}{{ p.toc }}",
            "{% for key, value in page %}{{ key }}{% endfor %}",
            "{{ page?.toc }}",
            "{{ __tera_context }}",
            "{{ page.title }} {% if toc %}{% endif %}",
        ] {
            assert!(may_show_table_of_contents(template), "{template}");
        }
        for template in [
            "<p>This page has no table of contents: autocomplete, tocsin.</p>",
            "{{ page.title }} {{ page.content | safe }} {{ pages | length }} {{ site.page }}",
            "<a aria-current=\"page\" href=\"{{ page.url }}\">{{ item.toc_label }}</a>",
            "{# The contact page: shows page.toc one day #}",
        ] {
            assert!(!may_show_table_of_contents(template), "{template}");
        }
        let built_in = BUILT_IN_TEMPLATES.iter().map(|(_, text)| *text);
        assert!(!built_in.clone().any(may_show_table_of_contents));
    }

    #[test]
    fn tera_tags_are_found_with_their_delimiters() {
        let text = "a {{ b }} {c} {% d %}{# e #} {{ open";
        let tags: Vec<&str> = tera_tags(text).map(|range| &text[range]).collect();
        assert_eq!(tags, ["{{ b }}", "{% d %}", "{# e #}", "{{ open"]);
    }
}
