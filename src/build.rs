//! The build pipeline: load the sources, render the site in memory, write it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::config;
use crate::content::{self, CONTENT_DIR, STATIC_DIR};
use crate::deploy;
use crate::diagnostics::Diagnostics;
use crate::markdown::RenderedMarkdown;
use crate::output::{self, Contents, OutputFile};
use crate::site::{self, Site};
use crate::templates::{self, BUILT_IN_STATIC, TEMPLATES_DIR};

/// What to build, as the command line gives it.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// `None` means `ROOT/public`.
    pub output: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BuildOptions {
            root: root.into(),
            output: None,
            base_url: None,
            drafts: false,
        }
    }

    pub fn output_folder(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| self.root.join("public"))
    }
}

#[derive(Debug, Error)]
pub enum BuildError {
    /// Problems in the sources, each located in its file.
    #[error("{0}")]
    Sources(Diagnostics),
    /// Anything else: the output folder refused, a file that cannot be written.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A site rendered in memory, ready to be written or served.
pub struct RenderedSite {
    pub files: Vec<OutputFile>,
    /// HTML pages among `files`.
    pub pages: usize,
    pub warnings: Diagnostics,
    pub timings: Timings,
    /// The assembled site the files were rendered from (`check` reads it). Without a cache, the
    /// HTML of each article and page was freed once its file was made: `markdown.html` is
    /// empty for them (`render_cached` keeps it).
    pub site: Site,
}

/// What one build keeps for the next, so that a rebuild redoes only what changed: content files
/// parsed, Markdown rendered, pages rendered and finished, each reused while its inputs are
/// equal. `serve` keeps one across its rebuilds.
#[derive(Default)]
pub struct RenderCache {
    content: content::PageCache,
    markdown: site::MarkdownCache,
    pages: templates::PageCache,
    deploy: deploy::DeployCache,
}

/// How long each phase of a build took, in order.
#[derive(Debug, Default, Clone)]
pub struct Timings(pub Vec<(&'static str, Duration)>);

impl Timings {
    fn measure<T>(&mut self, phase: &'static str, work: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let result = work();
        self.0.push((phase, start.elapsed()));
        result
    }

    pub fn total(&self) -> Duration {
        self.0.iter().map(|(_, time)| *time).sum()
    }
}

/// The result of a successful build.
pub struct BuildReport {
    pub output: PathBuf,
    pub pages: usize,
    pub files: usize,
    pub warnings: Diagnostics,
    pub timings: Timings,
    /// What the build made its files from.
    pub leftovers: Leftovers,
}

/// The site and its lists once every file is written: no longer needed, but on a large site
/// hundreds of thousands of small values. A command that ends right after the build lets the
/// process's exit free them all at once (`std::mem::forget`) rather than one by one; anyone
/// else drops them.
pub struct Leftovers {
    _site: Site,
    _lists: templates::Lists,
}

/// Builds the site into its output folder, replacing the previous output only on success.
/// Pages are written as they are rendered, so memory does not grow with the pages' HTML.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let output = output::check_output_folder(
        &options.root,
        &options.output_folder(),
        &[
            CONTENT_DIR,
            TEMPLATES_DIR,
            STATIC_DIR,
            config::SETTINGS_FILE,
        ],
    )?;
    let staging = output::Staging::begin(&output)?;
    let write_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let Rendered {
        pages,
        files,
        warnings,
        mut timings,
        site,
        lists,
    } = run(options, None, &|file| {
        if let Err(error) = staging.write(&file) {
            write_error
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .get_or_insert(error);
        }
    })?;
    if let Some(error) = write_error
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
    {
        return Err(BuildError::Other(error));
    }
    timings.measure("swap", || staging.commit())?;
    Ok(BuildReport {
        output,
        pages,
        files,
        warnings,
        timings,
        leftovers: Leftovers {
            _site: site,
            _lists: lists,
        },
    })
}

/// Loads and renders the whole site in memory; writes nothing.
pub fn render(options: &BuildOptions) -> Result<RenderedSite, BuildError> {
    render_with(options, None)
}

/// Like `render`, but redoes only the work whose inputs changed since the cache was filled.
/// Gives the same files as `render`.
pub fn render_cached(
    options: &BuildOptions,
    cache: &mut RenderCache,
) -> Result<RenderedSite, BuildError> {
    render_with(options, Some(cache))
}

fn render_with(
    options: &BuildOptions,
    cache: Option<&mut RenderCache>,
) -> Result<RenderedSite, BuildError> {
    let files = output::Collected::default();
    let rendered = run(options, cache, &|file| files.push(file))?;
    let files = files.into_sorted();
    Ok(RenderedSite {
        files,
        pages: rendered.pages,
        warnings: rendered.warnings,
        timings: rendered.timings,
        site: rendered.site,
    })
}

/// What `run` made, besides the files it handed on.
struct Rendered {
    pages: usize,
    files: usize,
    warnings: Diagnostics,
    timings: Timings,
    site: Site,
    lists: templates::Lists,
}

/// The pipeline: loads the sources, assembles the site, and renders and finishes every file,
/// handing each to `sink` as soon as it is ready, from any thread.
///
/// Without a cache, each article and page is rendered into its template as soon as its
/// Markdown is, and its HTML freed, so that memory does not grow with the site's text; the
/// pages that list others, the tags, the feed and the sitemap follow. With a cache (`serve`,
/// which keeps every file anyway), all Markdown is rendered first, then every template.
fn run(
    options: &BuildOptions,
    mut cache: Option<&mut RenderCache>,
    sink: &(dyn Fn(OutputFile) + Sync),
) -> Result<Rendered, BuildError> {
    let mut timings = Timings::default();
    let content_cache = cache.as_deref_mut().map(|cache| &mut cache.content);
    let (sources, mut templates, mut problems) =
        timings.measure("load", || load(options, content_cache));
    // With the settings loaded, the site is assembled even when some content files or templates
    // failed, so that one build reports the broken links too.
    let Some(sources) = sources else {
        return Err(BuildError::Sources(problems.sorted()));
    };
    let plan = timings.measure("plan", || site::plan(sources));
    let allowances = csp_allowances(plan.site());
    let finisher = match cache.as_deref_mut() {
        Some(cache) => deploy::Finisher::with_cache(plan.site(), &allowances, &mut cache.deploy),
        None => deploy::Finisher::new(plan.site(), &allowances),
    };
    let caching = cache.is_some();
    let pages = AtomicUsize::new(0);
    let files = AtomicUsize::new(0);
    let hand_on = |file: OutputFile| {
        if file.path.ends_with(".html") {
            pages.fetch_add(1, Ordering::Relaxed);
        }
        files.fetch_add(1, Ordering::Relaxed);
        sink(file);
    };

    // Depends on the settings and the pages' paths only, which the Markdown does not change.
    let missing_thanks = crate::contact::missing_thanks_page(plan.site());
    // Pages are rendered early only when the build can still succeed: otherwise the Markdown
    // is rendered just to report every problem.
    let early = templates
        .as_mut()
        .filter(|_| {
            !caching && !problems.has_errors() && !plan.has_errors() && missing_thanks.is_none()
        })
        .map(|templates| {
            templates::bind_site(templates, plan.site());
            (&*templates, templates::html_needed_later(plan.site()))
        });
    let rendered_early = early.is_some();
    let render_early = |site: &Site, index: usize, markdown: &RenderedMarkdown| match &early {
        Some((templates, later)) if templates::renders_early(&site.pages[index]) => {
            site::PageDone {
                problems: templates::render_page_early(
                    site,
                    templates,
                    index,
                    markdown,
                    &|file, _| hand_on(finisher.finish(file, false)),
                ),
                keep_html: later.contains(&index),
            }
        }
        _ => site::PageDone {
            problems: Vec::new(),
            keep_html: true,
        },
    };
    let markdown_cache = cache.as_deref_mut().map(|cache| &mut cache.markdown);
    let site = timings
        .measure("pages", || {
            plan.render_markdown(&content::reload_body, markdown_cache, Some(&render_early))
        })
        .map_err(|site_problems| {
            problems.extend(site_problems);
            BuildError::Sources(problems.clone().sorted())
        })?;
    let Some(templates) = templates.as_mut().filter(|_| !problems.has_errors()) else {
        return Err(BuildError::Sources(problems.sorted()));
    };
    if let Some(problem) = missing_thanks {
        problems.push(problem);
        return Err(BuildError::Sources(problems.sorted()));
    }
    let lists = timings
        .measure("lists", || {
            let page_cache = cache.as_deref_mut().map(|cache| &mut cache.pages);
            templates::render_each(&site, templates, page_cache, rendered_early, &|file, _| {
                hand_on(finisher.finish(file, caching))
            })
        })
        .map_err(|render_problems| {
            problems.extend(render_problems);
            BuildError::Sources(problems.clone().sorted())
        })?;
    let deploy_cache = cache.map(|cache| &mut cache.deploy);
    finisher
        .site_files(&site, deploy_cache)
        .into_iter()
        .for_each(&hand_on);
    copied_files(&site).for_each(&hand_on);
    Ok(Rendered {
        pages: pages.into_inner(),
        files: files.into_inner(),
        warnings: problems.sorted(),
        timings,
        site,
        lists,
    })
}

/// The sources the Content-Security-Policy must allow beyond the site itself.
fn csp_allowances(site: &Site) -> Vec<deploy::Allowance> {
    let mut allowances = crate::consent::csp_allowances(&site.settings.consent);
    allowances.extend(crate::contact::csp_allowances(
        site.settings.contact.as_ref(),
    ));
    allowances
}

/// Reads settings, content, static files and templates, collecting every problem.
fn load(
    options: &BuildOptions,
    content_cache: Option<&mut content::PageCache>,
) -> (
    Option<site::Sources>,
    Option<templates::Templates>,
    Diagnostics,
) {
    let root = &options.root;
    let mut problems = Diagnostics::default();
    let settings = match config::load(root, options.base_url.as_deref()) {
        Ok((settings, warnings)) => {
            problems.extend(warnings);
            Some(settings)
        }
        Err(settings_problems) => {
            problems.extend(settings_problems);
            None
        }
    };
    let (content, content_problems) = match content_cache {
        Some(cache) => content::load_cached(root, cache),
        // Bodies are read again as they are rendered, so that they are not all in memory.
        None => content::load_front_matter(root),
    };
    problems.extend(content_problems);
    let (mut static_files, static_problems) = content::load_static(root);
    problems.extend(static_problems);
    add_built_in_static(&mut static_files);
    if let Some(settings) = &settings {
        crate::consent::add_static_files(&settings.consent, &mut static_files);
    }
    let templates = match templates::load(root) {
        Ok(templates) => Some(templates),
        Err(template_problems) => {
            problems.extend(template_problems);
            None
        }
    };
    if let (Some(settings), Some(templates)) = (&settings, &templates) {
        problems.extend(crate::consent::check_sources(
            settings,
            &content.pages,
            &templates.site_sources(),
            options.drafts,
        ));
    }
    let sources = settings.map(|settings| site::Sources {
        settings,
        content,
        static_files,
        templates: templates.as_ref().map(|t| t.names()),
        drafts: options.drafts,
    });
    (sources, templates, problems)
}

/// The built-in static files the site does not replace with its own.
fn add_built_in_static(static_files: &mut Vec<content::Asset>) {
    for (path, bytes) in BUILT_IN_STATIC {
        if !static_files.iter().any(|file| file.output_path == *path) {
            static_files.push(content::Asset {
                contents: Contents::Embedded(bytes),
                display_path: PathBuf::from(format!("(built-in) {path}")),
                output_path: path.to_string(),
            });
        }
    }
}

fn copied_files(site: &Site) -> impl Iterator<Item = OutputFile> + '_ {
    site.copies.iter().map(|copy| OutputFile {
        path: copy.output_path.clone(),
        contents: copy.contents.clone(),
    })
}

/// The root folder as given, for messages.
pub fn display_root(root: &Path) -> String {
    root.display().to_string()
}
