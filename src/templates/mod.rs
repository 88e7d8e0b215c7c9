//! Tera templates: the built-in ones with the site's own laid over them, and the rendering of
//! every page of an assembled site into HTML. Rendering does no I/O.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use tera::{Context, Kwargs, State, Tera, Value};

use crate::content::{
    SectionKind, SourceKind, Unreadable, files_below, read_source, source_folder,
};
use crate::date::PageDate;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::markdown::RenderedMarkdown;
use crate::memo::Memo;
use crate::output::{Contents, OutputFile};
use crate::site::{self, Page, Paging, Site};

use budget::{Exceeded, Limits, PageWriter, RangeGuard};
use context::{
    ArticleContext, EPOCH, FeedContext, FeedEntry, PageContext, PaginatorContext, SectionContext,
    Shared, SiteContext, TagContext, TagLinks, sitemap_entries,
};
pub use context::{FEED_FILE, SITEMAP_FILE, organization_id, script_safe_json};
use source::may_show_table_of_contents;
pub use source::tera_tags;

pub const TEMPLATES_DIR: &str = "templates";

/// A template built into the binary: its name and text.
pub type BuiltInTemplate = (&'static str, &'static str);

/// A template file of the site.
pub struct TemplateSource<'a> {
    /// The path shown in messages: `templates/page.html`.
    pub path: &'a Path,
    pub text: &'a str,
}

/// Where, in every page of the built-in theme, features put templates of their own (a cookie
/// banner, its files in the head). `base.html` includes each slot's template,
/// `slots/NAME.html`, which includes the templates features give for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The end of `<head>`.
    Head,
    /// The start of `<body>`, after the skip link.
    BodyStart,
    /// The end of the footer.
    Footer,
}

impl Slot {
    const ALL: [Slot; 3] = [Slot::Head, Slot::BodyStart, Slot::Footer];

    fn template(self) -> &'static str {
        match self {
            Slot::Head => "slots/head.html",
            Slot::BodyStart => "slots/body-start.html",
            Slot::Footer => "slots/footer.html",
        }
    }
}

/// The templates a site starts from before its own: the theme's and the features', and what
/// features put in each slot.
#[derive(Debug, Default, Clone)]
pub struct BuiltIns {
    pub templates: Vec<BuiltInTemplate>,
    pub slots: Vec<(Slot, &'static str)>,
    /// The features' template functions, known by name until the site is bound.
    pub functions: Vec<&'static str>,
}

impl BuiltIns {
    /// The template of each slot: an include of every template given for it, in order,
    /// without white space of its own, so that an empty slot writes nothing.
    fn slot_templates(&self) -> Vec<(&'static str, String)> {
        Slot::ALL
            .iter()
            .map(|&slot| {
                let includes = self
                    .slots
                    .iter()
                    .filter(|(of, _)| *of == slot)
                    .map(|(_, template)| format!("{{%- include \"{template}\" %}}"))
                    .collect();
                (slot.template(), includes)
            })
            .collect()
    }
}

/// Words a reader reads in a minute, for `reading_time`.
const WORDS_PER_MINUTE: usize = 200;

/// The templates of a site, parsed and checked.
pub struct Templates {
    tera: Tera,
    /// Where each template came from, for messages: `templates/base.html` or `(built-in) ...`.
    origins: HashMap<String, PathBuf>,
    /// Every template's text, by name, the site's laid over the built-in ones.
    texts: HashMap<String, String>,
    /// The site's own templates (path shown in messages, text), less unchanged copies of
    /// built-in ones (as `aimsite init` writes).
    site_sources: Vec<(PathBuf, String)>,
    /// What every page's context shares.
    shared: Shared,
}

impl Templates {
    pub fn names(&self) -> HashSet<String> {
        self.origins.keys().cloned().collect()
    }

    /// The site's own template files, less unchanged copies of built-in ones.
    pub fn site_sources(&self) -> Vec<TemplateSource<'_>> {
        self.site_sources
            .iter()
            .map(|(path, text)| TemplateSource { path, text })
            .collect()
    }

    /// The names of the shortcodes (`templates/shortcodes/NAME.html`), built-in or the site's.
    pub fn shortcodes(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .origins
            .keys()
            .filter_map(|name| name.strip_prefix("shortcodes/")?.strip_suffix(".html"))
            .collect();
        names.sort_unstable();
        names
    }

    /// The text of a template, the site's or else the built-in one.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts.get(name).map(String::as_str)
    }

    /// A shortcode's HTML: its template with its arguments as variables (and `site`), or the
    /// problems, located in the template.
    pub fn render_shortcode(
        &self,
        call: &crate::shortcodes::Call,
    ) -> Result<String, Vec<Diagnostic>> {
        let name = crate::shortcodes::template_name(&call.name);
        let mut context = Context::new();
        for arg in &call.args {
            context.insert(arg.name.clone(), &arg.value);
        }
        self.tera
            .render(&name, &context)
            .map_err(|error| template_diagnostics(&error, &self.origins, Some((&name, None))))
    }

    /// Every template the site uses, with the path shown in messages.
    pub fn all_sources(&self) -> Vec<TemplateSource<'_>> {
        let mut sources: Vec<TemplateSource<'_>> = self
            .texts
            .iter()
            .map(|(name, text)| TemplateSource {
                path: &self.origins[name],
                text,
            })
            .collect();
        sources.sort_by(|a, b| a.path.cmp(b.path));
        sources
    }
}

/// Reads `ROOT/templates` and lays it over the built-in templates.
pub fn load(root: &Path, built_ins: &BuiltIns) -> Result<Templates, Diagnostics> {
    let mut problems = Diagnostics::default();
    let slots = built_ins.slot_templates();
    let built_in = built_ins
        .templates
        .iter()
        .map(|&(name, text)| (name, text.to_string()))
        .chain(slots);
    let mut sources: HashMap<String, String> = HashMap::new();
    let mut origins: HashMap<String, PathBuf> = HashMap::new();
    for (name, text) in built_in {
        origins.insert(
            name.to_string(),
            PathBuf::from(format!("(built-in template) {name}")),
        );
        sources.insert(name.to_string(), text);
    }
    let mut site_sources = Vec::new();
    let dir = match source_folder(root, TEMPLATES_DIR) {
        Ok(dir) => dir,
        Err(problem) => {
            problems.push(*problem);
            None
        }
    };
    if let Some(dir) = dir {
        for entry in files_below(&dir) {
            let path = match entry {
                Ok(path) => path,
                Err(problem) => {
                    problems.push(*problem);
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
            match read_source(&path).map(String::from_utf8) {
                Ok(Ok(text)) => {
                    if sources.get(&name) != Some(&text) {
                        site_sources.push((display_path.clone(), text.clone()));
                    }
                    sources.insert(name.clone(), text);
                    origins.insert(name, display_path);
                }
                Ok(Err(error)) => problems.push(crate::content::not_utf8(&display_path, &error)),
                Err(Unreadable::Io(error)) => problems.push(
                    Diagnostic::error(&display_path, format!("cannot read the template: {error}"))
                        .with_help("check that the file exists and that you may read it"),
                ),
                Err(unreadable) => problems.push(unreadable.diagnostic(&display_path)),
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
    for name in &built_ins.functions {
        tera.register_function(*name, |_: Kwargs, _: &State| -> tera::TeraResult<Value> {
            Ok(Value::from(""))
        });
    }
    tera.register_filter("safe", safe);
    tera.register_function("range", budget::range);
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
    let table_of_contents = sources
        .values()
        .any(|text| may_show_table_of_contents(text));
    Ok(Templates {
        tera,
        origins,
        texts: sources,
        site_sources,
        shared: Shared {
            table_of_contents,
            ..Shared::default()
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
    let help = "fix the template; docs/templates.md lists the variables each template receives";
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

/// A function a feature gives templates, such as `image(path=…)`.
pub type TemplateFunction =
    std::sync::Arc<dyn Fn(Kwargs, &State) -> tera::TeraResult<Value> + Send + Sync>;

/// What features give the templates: their values (`site.NAME`), the templates whose pages
/// stay out of the sitemap, and their functions.
#[derive(Default)]
pub struct FeatureData {
    pub values: Vec<(&'static str, Value)>,
    pub unlisted_templates: Vec<&'static str>,
    pub functions: Vec<(&'static str, TemplateFunction)>,
}

/// Makes the site known to the templates (`asset()`, `site`, the tag links), before anything of
/// it is rendered. With a memo, starts its build: the pages it holds are forgotten when what
/// every page depends on has changed.
pub fn bind_site(
    templates: &mut Templates,
    site: &Site,
    features: FeatureData,
    memo: Option<&mut PageMemo>,
) {
    templates.shared.tag_links = TagLinks::new(site);
    templates.shared.unlisted_templates = features.unlisted_templates;
    let urls = site.asset_urls.clone();
    let base_path = site.settings.base_url.path.clone();
    for (name, function) in features.functions {
        templates
            .tera
            .register_function(name, move |kwargs: Kwargs, state: &State| {
                function(kwargs, state)
            });
    }
    templates.tera.register_function(
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
    templates
        .tera
        .global_context()
        .insert("site", &SiteContext::new(site, &features.values));
    templates.tera.global_context().insert("data", &site.data);
    if let Some(memo) = memo {
        memo.start(SiteInputs::new(templates, site));
    }
}

/// Whether a page is put into its template as soon as its Markdown is rendered
/// (`render_page`): all but the pages that list articles, which need every article's summary
/// (`render_lists`).
pub fn renders_early(page: &Page) -> bool {
    matches!(page.kind, SourceKind::Article | SourceKind::Page)
}

/// The pages whose HTML the lists use after the pages are rendered: the feed's entries, and
/// the testimonials, whose lists quote them whole.
pub fn html_needed_later(site: &Site) -> HashSet<usize> {
    let testimonials = site.pages.iter().enumerate().filter_map(|(index, page)| {
        matches!(page.details, site::Details::Testimonial { .. }).then_some(index)
    });
    feed_articles(site).chain(testimonials).collect()
}

fn feed_articles(site: &Site) -> impl Iterator<Item = usize> + '_ {
    site.articles.iter().copied().take(site.settings.feed.limit)
}

/// Puts a page that `renders_early` picks into its template, with its redirects, using the
/// Markdown just rendered for it (not yet in `site`). Through `memo`, a page whose inputs are
/// those of the last build is not rendered again.
pub fn render_page(
    site: &Site,
    templates: &Templates,
    index: usize,
    markdown: &Arc<RenderedMarkdown>,
    memo: Option<&PageMemo>,
) -> Result<Vec<OutputFile>, Vec<Diagnostic>> {
    let no_lists = Lists::default();
    let page = &site.pages[index];
    // An article or page depends only on itself and what every page depends on (see
    // `PageContext::from_page`): an unchanged one is reused without making its context, or
    // even a copy of the page.
    let made_from_this = |cached: &CachedPage| {
        cached
            .inputs
            .page
            .as_ref()
            .is_some_and(|(cached_page, cached_markdown)| {
                cached_page == page
                    && (Arc::ptr_eq(cached_markdown, markdown) || cached_markdown == markdown)
            })
    };
    let aliases = page.aliases.iter().map(|alias| Job::Alias(index, alias));
    let mut files = Vec::with_capacity(1 + page.aliases.len());
    let mut problems = Vec::new();
    for job in std::iter::once(Job::Content(index)).chain(aliases) {
        let path = job.path(site);
        let contents = memoised(
            memo,
            &path,
            made_from_this,
            || {
                let prepared = job.prepare(site, &no_lists, &templates.shared, Some(markdown));
                render_prepared(templates, &prepared)
            },
            || CachedInputs {
                page: Some((page.clone(), Arc::clone(markdown))),
                ..CachedInputs::default()
            },
        );
        match contents {
            Ok((contents, made)) => {
                files.push(OutputFile { path, contents });
                files.extend(made);
            }
            Err(found) => problems.extend(found),
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

fn render_prepared(
    templates: &Templates,
    prepared: &Prepared<'_>,
) -> Result<String, Vec<Diagnostic>> {
    render_within(templates, prepared, &Limits::PAGE)
}

/// Renders a page within `limits`: past one, the page fails with an error naming the template
/// and the page.
fn render_within(
    templates: &Templates,
    prepared: &Prepared<'_>,
    limits: &Limits,
) -> Result<String, Vec<Diagnostic>> {
    let started = Instant::now();
    let range_budget = RangeGuard::start(limits, started);
    let mut page = PageWriter::new(prepared.capacity, *limits, started);
    let rendered = templates
        .tera
        .render_to(prepared.template, &prepared.context, &mut page);
    let exceeded = page.exceeded.or_else(|| range_budget.exceeded());
    drop(range_budget);
    match (rendered, exceeded) {
        (Ok(()), _) => into_text(page.bytes).map_err(|error| {
            template_diagnostics(
                &error,
                &templates.origins,
                Some((prepared.template, prepared.source)),
            )
        }),
        (Err(error), Some(exceeded)) => Err(vec![over_budget(
            templates, prepared, &error, exceeded, limits,
        )]),
        (Err(error), None) => Err(template_diagnostics(
            &error,
            &templates.origins,
            Some((prepared.template, prepared.source)),
        )),
    }
}

/// The error of a page that went past its budget: at the `range()` call that did, when it was
/// one, else naming the template the page is rendered with.
fn over_budget(
    templates: &Templates,
    prepared: &Prepared<'_>,
    error: &tera::Error,
    exceeded: Exceeded,
    limits: &Limits,
) -> Diagnostic {
    let page = prepared.source.map_or_else(
        || prepared.path.clone(),
        |source| source.display().to_string(),
    );
    let message = format!(
        "rendering `{page}` with the template `{}` {}",
        prepared.template,
        exceeded.said(limits)
    );
    let help = "a loop or a component that calls itself runs far longer than a page needs: \
                make the loop shorter, or the recursion stop sooner";
    let origin = |name: &str| {
        templates
            .origins
            .get(name)
            .cloned()
            .unwrap_or_else(|| Path::new(TEMPLATES_DIR).join(name))
    };
    match error.kind() {
        tera::ErrorKind::RenderingError(report) => {
            let span = report.span();
            Diagnostic::error(origin(report.filename()), message)
                .at_location(span.start_line, span.start_col + 1)
        }
        _ => Diagnostic::error(origin(prepared.template), message),
    }
    .with_help(help)
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

/// Renders, in parallel, every file that needs the whole site: the pages that list articles
/// (the home page, `/articles/`, tags), the feed, the sitemap, 404, `robots.txt`, and those
/// pages' redirects; hands each to `sink` as soon as it is rendered. Through `memo`, a file
/// whose template and context are those of the last build is not rendered again. Gives back
/// the lists the pages were rendered with, for the caller to free.
pub fn render_lists(
    site: &Site,
    templates: &Templates,
    memo: Option<&PageMemo>,
    sink: &(dyn Fn(OutputFile) + Sync),
) -> Result<Lists, Diagnostics> {
    // Each listed page as lists show it; an unchanged page's value is the last build's, so that
    // comparing the lists of two builds is cheap.
    let listed: Vec<usize> = site
        .sections
        .iter()
        .flat_map(|section| section.pages.iter().copied())
        .collect();
    let summaries: Vec<(Value, bool)> = listed
        .par_iter()
        .map(|&index| {
            let page = &site.pages[index];
            let summary = || {
                Value::from_serializable(&ArticleContext::new(
                    site,
                    page,
                    &templates.shared.tag_links,
                ))
            };
            match memo {
                Some(memo) => {
                    let made = std::cell::Cell::new(false);
                    let cached = memo.summaries.get_or(
                        &page.source,
                        |(cached, _)| cached == page,
                        || {
                            made.set(true);
                            (page.clone(), summary())
                        },
                    );
                    (cached.1.clone(), made.get())
                }
                None => (summary(), true),
            }
        })
        .collect();
    let lists = by_page(site, &listed, summaries);
    let results: Vec<Vec<Diagnostic>> = list_jobs(site)
        .par_iter()
        // One job per task: the pages that list every article take far longer than the rest.
        .with_max_len(1)
        .map(|job| {
            if let (Job::Sitemap, Some(memo)) = (job, memo)
                && let Some(cached) = memo.unchanged_sitemap(site)
            {
                let contents = Contents::Shared(Arc::clone(&cached.html));
                sink(OutputFile {
                    path: SITEMAP_FILE.into(),
                    contents,
                });
                return Vec::new();
            }
            let list_key = memo.and_then(|_| ListKey::of(site, job, &lists));
            if let (Some(memo), Some(key)) = (memo, &list_key) {
                let path = job.path(site);
                if let Some(cached) = memo.unchanged_list(&path, key) {
                    let contents = Contents::Shared(Arc::clone(&cached.html));
                    sink(OutputFile { path, contents });
                    cached.made.iter().cloned().for_each(sink);
                    return Vec::new();
                }
            }
            let prepared = job.prepare(site, &lists, &templates.shared, None);
            if let (Job::Sitemap, Some(memo)) = (job, memo) {
                *memo.sitemap_inputs() = Some(SitemapInputs::of(site));
            }
            let contents = memoised(
                memo,
                &prepared.path,
                |cached| cached.inputs.context.as_ref() == Some(&prepared.context),
                || render_prepared(templates, &prepared),
                || CachedInputs {
                    context: Some(prepared.context.clone()),
                    list: list_key,
                    ..CachedInputs::default()
                },
            );
            match contents {
                Ok((contents, made)) => {
                    let path = prepared.path.clone();
                    sink(OutputFile { path, contents });
                    made.into_iter().for_each(sink);
                    Vec::new()
                }
                Err(problems) => problems,
            }
        })
        .collect();
    for (page, event) in site.pages.iter().filter_map(|page| match &page.details {
        site::Details::Event(event) => Some((page, event)),
        _ => None,
    }) {
        sink(OutputFile {
            path: kinds::calendar_path(page),
            contents: Contents::Text(kinds::calendar(site, page, event)),
        });
    }
    let mut problems = Diagnostics::default();
    problems.extend(results.into_iter().flatten());
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(lists)
    }
}

/// Each section as the home page sees it, by its folder (`services`, `articles/2020`): a
/// section of articles with only its `latest` newest, so that the home page does not grow with
/// them.
fn home_sections(site: &Site, lists: &Lists) -> std::collections::BTreeMap<String, Value> {
    site.sections
        .iter()
        .map(|section| {
            let pages = match section.kind {
                SectionKind::Articles => {
                    &section.pages[..section.pages.len().min(site.home_latest)]
                }
                _ => &section.pages[..],
            };
            let pages: Vec<Value> = pages
                .iter()
                .filter_map(|&index| lists.summaries[index].clone())
                .collect();
            let listing = HomeSection {
                section: SectionContext::new(site, section),
                pages: Value::from(pages),
            };
            let name = section.path.trim_end_matches('/').to_string();
            (name, Value::from_serializable(&listing))
        })
        .collect()
}

/// A section on the home page: what a section's list sees as `section`, and its pages.
#[derive(serde::Serialize)]
struct HomeSection<'a> {
    #[serde(flatten)]
    section: SectionContext<'a>,
    pages: Value,
}

/// The files `render_lists` renders.
fn list_jobs(site: &Site) -> Vec<Job<'_>> {
    let listed = |page: &Page| !renders_early(page) && page.kind != SourceKind::Section;
    let mut jobs: Vec<Job> = (0..site.pages.len())
        .filter(|&index| listed(&site.pages[index]))
        .map(Job::Content)
        .collect();
    for (index, section) in site.sections.iter().enumerate() {
        let count = section.paging.count(section.pages.len());
        jobs.extend((1..=count).map(|number| Job::Section(index, number)));
    }
    jobs.push(Job::TagIndex);
    for (index, tag) in site.tags.iter().enumerate() {
        let count = site.tag_paging.count(tag.articles.len());
        jobs.extend((1..=count).map(|number| Job::Tag(index, number)));
    }
    jobs.push(Job::NotFound);
    jobs.push(Job::Feed);
    jobs.push(Job::Sitemap);
    jobs.push(Job::Robots);
    for (index, page) in site
        .pages
        .iter()
        .enumerate()
        .filter(|(_, page)| !renders_early(page))
    {
        jobs.extend(page.aliases.iter().map(|alias| Job::Alias(index, alias)));
    }
    jobs
}

/// The rendered files of the last build, by output path, and each article's value in lists,
/// reused while every input is equal: what every page depends on (`SiteInputs`), and the
/// page, or the template and context, of each file (`serve`).
#[derive(Default)]
pub struct PageMemo {
    inputs: Option<SiteInputs>,
    pages: Memo<CachedPage>,
    summaries: Memo<(Page, Value)>,
    /// What the sitemap in `pages` was made from.
    sitemap: std::sync::Mutex<Option<SitemapInputs>>,
    /// The output paths of the files rendered by the current build, not reused.
    rendered: std::sync::Mutex<Vec<String>>,
}

impl PageMemo {
    fn start(&mut self, inputs: SiteInputs) {
        self.rendered_paths().clear();
        if self.inputs.as_ref() == Some(&inputs) {
            self.pages.start();
            self.summaries.start();
        } else {
            self.pages.clear();
            self.summaries.clear();
            *self.sitemap_inputs() = None;
            self.inputs = Some(inputs);
        }
    }

    fn rendered_paths(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.rendered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The files the current (or last) build rendered rather than reused, sorted.
    pub fn rendered(&self) -> Vec<String> {
        let mut rendered = self.rendered_paths().clone();
        rendered.sort();
        rendered
    }

    /// The last build's page of a list at `path`, kept for this build, when it was made from
    /// what `key` says.
    fn unchanged_list(&self, path: &str, key: &ListKey) -> Option<Arc<CachedPage>> {
        let cached = self.pages.previous(path)?;
        if cached.inputs.list.as_ref() != Some(key) {
            return None;
        }
        let cached = Arc::clone(cached);
        self.pages.keep(path, Arc::clone(&cached));
        Some(cached)
    }

    fn sitemap_inputs(&self) -> std::sync::MutexGuard<'_, Option<SitemapInputs>> {
        self.sitemap
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The last build's sitemap, when the site's pages, dates and tags are as they were then.
    /// Making the sitemap's context to compare it (every page's permalink and date, sorted)
    /// cost a rebuild of 10,000 articles 15 to 20 ms; this compares the site in place.
    fn unchanged_sitemap(&self, site: &Site) -> Option<Arc<CachedPage>> {
        let unchanged = self
            .sitemap_inputs()
            .as_ref()
            .is_some_and(|inputs| inputs.are_those_of(site));
        let cached = self.pages.previous(SITEMAP_FILE).filter(|_| unchanged)?;
        let cached = Arc::clone(cached);
        self.pages.keep(SITEMAP_FILE, Arc::clone(&cached));
        Some(cached)
    }
}

/// A page as the sitemap sees it: path, kind, template, date and date updated.
type SitemapPage = (
    String,
    SourceKind,
    String,
    Option<PageDate>,
    Option<PageDate>,
);

/// What a sitemap is made from besides the settings and templates (`SiteInputs`): each page's
/// path, kind, template and dates, and each tag's articles.
struct SitemapInputs {
    pages: Vec<SitemapPage>,
    tags: Vec<(String, Vec<usize>)>,
    /// How many pages each list fills: each section's, and the tags' paging.
    lists: (Vec<(String, usize)>, Paging),
}

impl SitemapInputs {
    fn of(site: &Site) -> SitemapInputs {
        SitemapInputs {
            pages: site
                .pages
                .iter()
                .map(|page| {
                    let (path, template) = (page.path.clone(), page.template.clone());
                    (path, page.kind, template, page.date, page.updated)
                })
                .collect(),
            tags: site
                .tags
                .iter()
                .map(|tag| (tag.slug.clone(), tag.articles.clone()))
                .collect(),
            lists: Self::lists_of(site),
        }
    }

    fn lists_of(site: &Site) -> (Vec<(String, usize)>, Paging) {
        let sections = site.sections.iter().map(|section| {
            let count = section.paging.count(section.pages.len());
            (section.path.clone(), count)
        });
        (sections.collect(), site.tag_paging)
    }

    fn are_those_of(&self, site: &Site) -> bool {
        let same_page = |(path, kind, template, date, updated): &SitemapPage, page: &Page| {
            *path == page.path
                && *kind == page.kind
                && *template == page.template
                && *date == page.date
                && *updated == page.updated
        };
        self.pages.len() == site.pages.len()
            && self
                .pages
                .iter()
                .zip(&site.pages)
                .all(|(a, b)| same_page(a, b))
            && self.tags.len() == site.tags.len()
            && self
                .tags
                .iter()
                .zip(&site.tags)
                .all(|((slug, articles), tag)| *slug == tag.slug && *articles == tag.articles)
            && self.lists == Self::lists_of(site)
    }
}

/// A page's HTML: rendered; or, through `memo`, the last build's while `still_good` says so,
/// shared with the memo rather than copied (`inputs` are what the memo compares next time).
/// With it, the files the template's functions stood for when it was rendered, when it is
/// reused: rendered, they are handed on by their features (`Feature::made_files`).
fn memoised(
    memo: Option<&PageMemo>,
    path: &str,
    still_good: impl FnOnce(&CachedPage) -> bool,
    render: impl FnOnce() -> Result<String, Vec<Diagnostic>>,
    inputs: impl FnOnce() -> CachedInputs,
) -> Result<(Contents, Vec<OutputFile>), Vec<Diagnostic>> {
    let Some(memo) = memo else {
        return render().map(|html| (Contents::Text(html), Vec::new()));
    };
    let rendered = std::cell::Cell::new(false);
    let make = || {
        rendered.set(true);
        memo.rendered_paths().push(path.to_string());
        let (html, made) = crate::output::made_while(render);
        Ok::<_, Vec<Diagnostic>>(CachedPage {
            html: Arc::from(html?),
            inputs: inputs(),
            made,
        })
    };
    let cached = memo.pages.try_get_or(path, still_good, make)?;
    let made = match rendered.get() {
        true => Vec::new(),
        false => cached.made.clone(),
    };
    Ok((Contents::Shared(Arc::clone(&cached.html)), made))
}

pub struct CachedPage {
    html: Arc<str>,
    inputs: CachedInputs,
    /// The files its template's functions stood for (`output::note_made`).
    made: Vec<OutputFile>,
}

/// What a cached page was made from, to compare with the next build's.
#[derive(Default)]
struct CachedInputs {
    /// For the files of `render_lists`: the context it was rendered with.
    context: Option<Context>,
    /// For an article or page and its redirects: the page it was rendered from (as the plan
    /// has it, without its Markdown) and its Markdown.
    page: Option<(Page, Arc<RenderedMarkdown>)>,
    /// For a page of a section's or tag's list.
    list: Option<ListKey>,
}

/// What every page's rendering depends on besides its own context. Whatever `bind_site` gives
/// the templates must be here.
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
#[derive(Default)]
pub struct Lists {
    /// By index into `site.pages`: the value of each page a list shows.
    summaries: Vec<Option<Value>>,
    /// By index into `site.pages`: whether its value was made by this build, not reused.
    fresh: Vec<bool>,
}

/// Each listed page's summary at its page's index.
fn by_page(site: &Site, listed: &[usize], summaries: Vec<(Value, bool)>) -> Lists {
    let mut lists = Lists {
        summaries: vec![None; site.pages.len()],
        fresh: vec![false; site.pages.len()],
    };
    for (&index, (summary, fresh)) in listed.iter().zip(summaries) {
        lists.summaries[index] = Some(summary);
        lists.fresh[index] = fresh;
    }
    lists
}

/// What a page of a section's or a tag's list is made from besides what every page depends
/// on: its own page, which entries it shows, how many the whole list has and where the list
/// stands among the others. Equal to the last build's, with no entry's value made anew, the
/// page is reused without its context even being made: a rebuild of a large site has
/// thousands of such pages.
#[derive(PartialEq)]
struct ListKey {
    page: Option<Page>,
    /// The section's path and kind, or the tag's name and slug.
    name: String,
    kind: Option<SectionKind>,
    entries: Vec<String>,
    count: usize,
    paging: Paging,
    archive: Option<String>,
}

impl ListKey {
    /// The key of a section's or tag's page, or of the feed; `None` for other jobs, or when an
    /// entry's value is new, so that its context is compared.
    fn of(site: &Site, job: &Job<'_>, lists: &Lists) -> Option<ListKey> {
        let (page, name, kind, all, paging, archive) = match *job {
            Job::Section(index, _) => {
                let section = &site.sections[index];
                let archive = section
                    .archive
                    .map(|archive| site.sections[archive].path.clone());
                let page = section.page.map(|index| site.pages[index].clone());
                let name = section.path.clone();
                (
                    page,
                    name,
                    Some(section.kind),
                    &section.pages[..],
                    section.paging,
                    archive,
                )
            }
            Job::Tag(index, _) => {
                let tag = &site.tags[index];
                let name = [&tag.name, "/", &tag.slug].concat();
                (None, name, None, &tag.articles[..], site.tag_paging, None)
            }
            // The feed: its articles' values are made anew when their page or Markdown is.
            Job::Feed => {
                let limit = site.settings.feed.limit.min(site.articles.len());
                let entries = &site.articles[..limit];
                (
                    None,
                    FEED_FILE.to_string(),
                    None,
                    entries,
                    Paging::default(),
                    None,
                )
            }
            _ => return None,
        };
        let number = match *job {
            Job::Section(_, number) | Job::Tag(_, number) => number,
            _ => 1,
        };
        let entries = paging.slice(all, number);
        if entries.iter().any(|&index| lists.fresh[index]) {
            return None;
        }
        Some(ListKey {
            page,
            name,
            entries: entries
                .iter()
                .map(|&index| site.pages[index].source.clone())
                .collect(),
            count: all.len(),
            kind,
            paging,
            archive,
        })
    }
}

/// One file to render.
enum Job<'s> {
    /// An article or a page, or the home page.
    Content(usize),
    /// Page `number` (from 1) of a section's list.
    Section(usize, usize),
    TagIndex,
    /// Page `number` (from 1) of a tag's list.
    Tag(usize, usize),
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
    /// The file the job renders, below the output folder.
    fn path(&self, site: &Site) -> String {
        match *self {
            Job::Content(index) => site.pages[index].output_file(),
            Job::Section(index, number) => {
                Paging::path(&site.sections[index].path, number) + "index.html"
            }
            Job::TagIndex => format!("{}index.html", site::TAGS_PATH),
            Job::Tag(index, number) => {
                Paging::path(&site.tags[index].path(), number) + "index.html"
            }
            Job::NotFound => site::NOT_FOUND_FILE.into(),
            Job::Feed => FEED_FILE.into(),
            Job::Sitemap => SITEMAP_FILE.into(),
            Job::Robots => "robots.txt".into(),
            Job::Alias(_, alias) => site::alias_output_file(alias),
        }
    }

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
        let (template, source): (&'s str, Option<&'s Page>) = match *self {
            Job::Content(index) => {
                let page = &site.pages[index];
                context.insert("page", &page_context(page));
                if page.kind == SourceKind::Home {
                    let latest = site.home_latest().iter();
                    let latest = latest.filter_map(|&index| lists.summaries[index].clone());
                    context.insert_value("articles", Value::from(latest.collect::<Vec<_>>()));
                    context.insert("sections", &home_sections(site, lists));
                }
                (&page.template, Some(page))
            }
            Job::Section(index, number) => {
                let section = &site.sections[index];
                let path = Paging::path(&section.path, number);
                let page = section.page.map(|index| &site.pages[index]);
                let (page_context, template) = match page {
                    Some(page) => (page_context(page).at(site, &path), page.template.as_str()),
                    None => {
                        let title = section.generated_title;
                        let template = section.template();
                        (
                            PageContext::generated(site, "section", title, path),
                            template,
                        )
                    }
                };
                context.insert("page", &page_context);
                context.insert("section", &SectionContext::new(site, section));
                let entries = section.paging.slice(&section.pages, number).iter();
                let entries = entries.filter_map(|&index| lists.summaries[index].clone());
                let name = match section.kind {
                    SectionKind::Articles => "articles",
                    _ => "pages",
                };
                context.insert_value(name, Value::from(entries.collect::<Vec<_>>()));
                if section.paging.per_page.is_some() {
                    let paginator = PaginatorContext::new(
                        site,
                        &section.path,
                        section.paging,
                        section.pages.len(),
                        number,
                    );
                    context.insert("paginator", &paginator);
                }
                (template, page)
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
                ("tags.html", None)
            }
            Job::Tag(index, number) => {
                let tag = &site.tags[index];
                let title = format!("Articles tagged “{}”", tag.name);
                let path = Paging::path(&tag.path(), number);
                let page = PageContext::generated(site, "tag", &title, path);
                let entries = site.tag_paging.slice(&tag.articles, number).iter();
                let articles: Vec<Value> = entries
                    .filter_map(|&index| lists.summaries[index].clone())
                    .collect();
                context.insert("page", &page);
                context.insert("tag", &TagContext::new(site, tag));
                context.insert_value("articles", Value::from(articles));
                if site.tag_paging.per_page.is_some() {
                    let paginator = PaginatorContext::new(
                        site,
                        &tag.path(),
                        site.tag_paging,
                        tag.articles.len(),
                        number,
                    );
                    context.insert("paginator", &paginator);
                }
                ("tag.html", None)
            }
            Job::NotFound => {
                let path = site::NOT_FOUND_FILE.to_string();
                let page = PageContext::generated(site, "404", "Page not found", path);
                context.insert("page", &page);
                ("404.html", None)
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
                ("atom.xml", None)
            }
            Job::Sitemap => {
                let entries = sitemap_entries(site, &shared.unlisted_templates);
                context.insert("entries", &entries);
                ("sitemap.xml", None)
            }
            Job::Robots => {
                context.insert("sitemap_url", &site.permalink(SITEMAP_FILE));
                ("robots.txt", None)
            }
            Job::Alias(index, _) => {
                let page = &site.pages[index];
                context.insert("page", &page_context(page));
                ("redirect.html", Some(page))
            }
        };
        Prepared {
            template,
            path: self.path(site),
            context,
            source: source.map(|page| page.display_path.as_path()),
            capacity: self.capacity(site, fresh),
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
                    let lists = page.kind == SourceKind::Home;
                    fresh.unwrap_or(&page.markdown).html.len()
                        + if lists {
                            listing(site.home_latest())
                        } else {
                            0
                        }
                }
                Job::Section(index, number) => {
                    let section = &site.sections[index];
                    listing(section.paging.slice(&section.pages, number))
                }
                Job::Tag(index, number) => {
                    listing(site.tag_paging.slice(&site.tags[index].articles, number))
                }
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

mod budget;
mod context;
mod kinds;
mod source;

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
        let built_in = crate::theme::TEMPLATES.iter().map(|(_, text)| *text);
        assert!(!built_in.clone().any(may_show_table_of_contents));
    }

    #[test]
    fn tera_tags_are_found_with_their_delimiters() {
        let text = "a {{ b }} {c} {% d %}{# e #} {{ open";
        let tags: Vec<&str> = tera_tags(text).map(|range| &text[range]).collect();
        assert_eq!(tags, ["{{ b }}", "{% d %}", "{# e #}", "{{ open"]);
    }
}
