//! Tera templates: the built-in ones with the site's own laid over them, and the rendering of
//! every page of an assembled site into HTML. Rendering does no I/O.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Kwargs, State, Tera, Value};

use crate::content::{Date, SourceKind, files_below};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::markdown::TocEntry;
use crate::output::OutputFile;
use crate::site::{self, Page, Site, TagName};

pub const TEMPLATES_DIR: &str = "templates";

/// Templates built into the binary; a file of the same name in `templates/` replaces one.
const BUILT_IN_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("article.html", include_str!("../templates/article.html")),
    ("page.html", include_str!("../templates/page.html")),
    ("articles.html", include_str!("../templates/articles.html")),
    ("tag.html", include_str!("../templates/tag.html")),
    ("tags.html", include_str!("../templates/tags.html")),
    ("404.html", include_str!("../templates/404.html")),
    (
        "partials/article-list.html",
        include_str!("../templates/partials/article-list.html"),
    ),
];

/// Static files built into the binary; a file of the same name in `static/` replaces one.
pub const BUILT_IN_STATIC: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../static/style.css")),
    ("favicon.svg", include_bytes!("../static/favicon.svg")),
];

/// Words a reader reads in a minute, for `reading_time`.
const WORDS_PER_MINUTE: usize = 200;

/// The templates of a site, parsed and checked.
pub struct Templates {
    tera: Tera,
    /// Where each template came from, for messages: `templates/base.html` or `(built-in) ...`.
    origins: HashMap<String, PathBuf>,
}

impl Templates {
    pub fn names(&self) -> HashSet<String> {
        self.origins.keys().cloned().collect()
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
    let mut names: Vec<&String> = sources.keys().collect();
    names.sort();
    if let Err(error) = tera.add_raw_templates(
        names
            .iter()
            .map(|name| (name.as_str(), sources[*name].as_str())),
    ) {
        problems.push(template_diagnostic(&error, &origins, None));
        return Err(problems);
    }
    Ok(Templates { tera, origins })
}

/// Turns a Tera error into a diagnostic naming the template file and, where Tera knows it, the
/// line; `page` names the content file being rendered.
fn template_diagnostic(
    error: &tera::Error,
    origins: &HashMap<String, PathBuf>,
    page: Option<&Path>,
) -> Diagnostic {
    let report = match error.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            Some(report)
        }
        _ => None,
    };
    let template = report.map(|report| report.filename().to_string());
    let file = template
        .as_ref()
        .and_then(|name| origins.get(name).cloned())
        .unwrap_or_else(|| PathBuf::from(TEMPLATES_DIR));
    let mut message = match report {
        Some(report) => report.message().to_string(),
        None => error.to_string(),
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    if let Some(page) = page {
        message.push_str(&format!(" (while rendering `{}`)", page.display()));
    }
    let mut diagnostic = Diagnostic::error(file, message)
        .with_help("fix the template; see the README for the variables each template receives");
    if let Some(report) = report {
        let span = report.span();
        diagnostic = diagnostic.at_location(span.start_line, span.start_col + 1);
    }
    diagnostic
}

/// Renders every page of the site, in parallel.
pub fn render(site: &Site, templates: &mut Templates) -> Result<Vec<OutputFile>, Diagnostics> {
    register_site_functions(&mut templates.tera, site);
    let templates = &*templates;
    let summaries: Vec<ArticleContext> = site
        .articles
        .iter()
        .map(|&index| ArticleContext::new(site, &site.pages[index]))
        .collect();
    let summaries_by_page: HashMap<usize, &ArticleContext<'_>> = site
        .articles
        .iter()
        .copied()
        .zip(summaries.iter())
        .collect();
    let all_articles = Value::from_serializable(&summaries);

    let mut jobs: Vec<Job> = (0..site.pages.len()).map(Job::Content).collect();
    if site.article_list.is_none() {
        jobs.push(Job::ArticleList);
    }
    jobs.push(Job::TagIndex);
    jobs.extend((0..site.tags.len()).map(Job::Tag));
    jobs.push(Job::NotFound);

    let results: Vec<Result<OutputFile, Diagnostic>> = jobs
        .par_iter()
        .map(|job| {
            let (template, path, context, page) =
                job.prepare(site, &all_articles, &summaries_by_page);
            templates
                .tera
                .render(&template, &context)
                .map(|html| OutputFile::text(path, html))
                .map_err(|error| template_diagnostic(&error, &templates.origins, page))
        })
        .collect();
    let mut files = Vec::with_capacity(results.len());
    let mut problems = Diagnostics::default();
    for result in results {
        match result {
            Ok(file) => files.push(file),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(files)
    }
}

fn register_site_functions(tera: &mut Tera, site: &Site) {
    register_asset_function(tera, site.settings.base_url.path.clone());
    tera.global_context()
        .insert("site", &SiteContext::new(site));
}

/// `asset(path="style.css")`: the URL of a file from `static/`.
fn register_asset_function(tera: &mut Tera, base_path: String) {
    tera.register_function(
        "asset",
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
            let path: &str = kwargs.must_get("path")?;
            Ok(format!("{base_path}{}", path.trim_start_matches('/')))
        },
    );
}

/// One file to render.
enum Job {
    Content(usize),
    ArticleList,
    TagIndex,
    Tag(usize),
    NotFound,
}

impl Job {
    /// The template, output path, context and source file of the job.
    fn prepare<'s>(
        &self,
        site: &'s Site,
        all_articles: &Value,
        summaries: &HashMap<usize, &ArticleContext<'_>>,
    ) -> (String, String, Context, Option<&'s Path>) {
        let mut context = Context::new();
        match *self {
            Job::Content(index) => {
                let page = &site.pages[index];
                context.insert("page", &PageContext::from_page(site, page));
                if matches!(page.kind, SourceKind::Home | SourceKind::ArticleList) {
                    context.insert_value("articles", all_articles.clone());
                }
                (
                    page.template.clone(),
                    page.output_file(),
                    context,
                    Some(page.display_path.as_path()),
                )
            }
            Job::ArticleList => {
                let page = PageContext::generated(
                    site,
                    "articles",
                    "Articles",
                    site::ARTICLES_PATH.to_string(),
                );
                context.insert("page", &page);
                context.insert_value("articles", all_articles.clone());
                (
                    "articles.html".into(),
                    format!("{}index.html", site::ARTICLES_PATH),
                    context,
                    None,
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
                (
                    "tags.html".into(),
                    format!("{}index.html", site::TAGS_PATH),
                    context,
                    None,
                )
            }
            Job::Tag(index) => {
                let tag = &site.tags[index];
                let title = format!("Articles tagged “{}”", tag.name);
                let page = PageContext::generated(site, "tag", &title, tag.path());
                let articles: Vec<&ArticleContext<'_>> =
                    tag.articles.iter().map(|index| summaries[index]).collect();
                context.insert("page", &page);
                context.insert("tag", &TagContext::new(site, tag));
                context.insert("articles", &articles);
                (
                    "tag.html".into(),
                    format!("{}index.html", tag.path()),
                    context,
                    None,
                )
            }
            Job::NotFound => {
                let page = PageContext::generated(
                    site,
                    "404",
                    "Page not found",
                    site::NOT_FOUND_FILE.to_string(),
                );
                context.insert("page", &page);
                (
                    "404.html".into(),
                    site::NOT_FOUND_FILE.into(),
                    context,
                    None,
                )
            }
        }
    }
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
}

impl From<&Date> for DateContext {
    fn from(date: &Date) -> Self {
        DateContext {
            iso: date.iso(),
            display: date.display(),
        }
    }
}

#[derive(Serialize)]
struct TagLinkContext<'a> {
    name: &'a str,
    slug: &'a str,
    url: String,
}

fn tag_links<'a>(site: &Site, tags: &'a [TagName]) -> Vec<TagLinkContext<'a>> {
    tags.iter()
        .map(|tag| TagLinkContext {
            name: &tag.name,
            slug: &tag.slug,
            url: site.url(&site::tag_path(&tag.slug)),
        })
        .collect()
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
    tags: Vec<TagLinkContext<'a>>,
    draft: bool,
    source: String,
}

impl<'a> PageContext<'a> {
    fn from_page(site: &'a Site, page: &'a Page) -> Self {
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
            content: &page.markdown.html,
            summary: &page.markdown.summary,
            toc: &page.markdown.toc,
            word_count: page.markdown.word_count,
            reading_time: reading_time(page.markdown.word_count),
            date: page.date.as_ref().map(DateContext::from),
            updated: page.updated.as_ref().map(DateContext::from),
            tags: tag_links(site, &page.tags),
            draft: page.draft,
            source: page.display_path.to_string_lossy().replace('\\', "/"),
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
    tags: Vec<TagLinkContext<'a>>,
    reading_time: usize,
}

impl<'a> ArticleContext<'a> {
    fn new(site: &Site, page: &'a Page) -> Self {
        ArticleContext {
            title: &page.title,
            url: site.url(&page.path),
            description: page.description.as_deref().unwrap_or_default(),
            summary: &page.markdown.summary,
            date: page.date.as_ref().map(DateContext::from),
            tags: tag_links(site, &page.tags),
            reading_time: reading_time(page.markdown.word_count),
        }
    }
}

fn reading_time(words: usize) -> usize {
    words.div_ceil(WORDS_PER_MINUTE).max(1)
}
