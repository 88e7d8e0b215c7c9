//! The build pipeline and the composition root: the one place that lists the features.
//!
//! load (settings, content, static files, templates) → plan (URLs, lists, tags) → each page
//! through its stages (`pages`) → the lists and site files → write. `build` writes into a
//! staging folder swapped in at the end; `render` keeps the files in memory (`check`, and
//! `serve` with its memos).

mod pages;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::assets::Asset;
use crate::config;
use crate::content::{self, CONTENT_DIR, STATIC_DIR};
use crate::data;
use crate::deploy::{self, FinishMemo};
use crate::diagnostics::Diagnostics;
use crate::error::Error;
use crate::feature::{self, BuiltInStatic, FeatureEntry, Features, LoadedSources};
use crate::features;
use crate::memo::Memo;
use crate::output::{self, Contents, OutputFile};
use crate::site::{self, CachedMarkdown, Site};
use crate::templates::{self, BuiltIns, FeatureData, PageMemo, TEMPLATES_DIR, Templates};
use crate::theme;

/// Every feature a site may use, in the order their hooks run. A new feature is a folder below
/// `src/features/` and one line here.
pub const FEATURES: &[FeatureEntry] = &[
    features::consent::FEATURE,
    features::contact::FEATURE,
    features::images::FEATURE,
    features::embeds::FEATURE,
];

/// The templates every site starts from: the theme's and the features'.
pub fn built_in_templates() -> BuiltIns {
    let features = FEATURES.iter();
    BuiltIns {
        templates: theme::TEMPLATES
            .iter()
            .chain(features.clone().flat_map(|feature| feature.templates))
            .copied()
            .collect(),
        slots: features
            .clone()
            .flat_map(|feature| feature.slots)
            .copied()
            .collect(),
        functions: features
            .flat_map(|feature| feature.functions)
            .copied()
            .collect(),
    }
}

/// The built-in static files of a site with these settings: the theme's, and those its
/// features add.
pub fn built_in_static(settings: &config::Settings) -> Vec<BuiltInStatic> {
    let mut unused = Diagnostics::default();
    let features = Features::configure(FEATURES, settings, &mut unused);
    theme::STATIC
        .iter()
        .copied()
        .chain(features.static_files())
        .collect()
}

/// A site's templates, loaded and bound to `site` with its features' values, as a build
/// renders its pages with them (for benchmarks and tools that render pages one at a time).
pub fn bound_templates(root: &std::path::Path, site: &Site) -> Result<Templates, Diagnostics> {
    let mut templates = templates::load(root, &built_in_templates())?;
    let mut problems = Diagnostics::default();
    let features = Features::configure(FEATURES, &site.settings, &mut problems);
    let feature_data = FeatureData {
        values: features.template_values(site),
        unlisted_templates: features.unlisted_templates(),
        functions: features.template_functions(),
    };
    templates::bind_site(&mut templates, site, feature_data, None);
    Ok(templates)
}

/// What to build, as the command line gives it.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// `None` means `ROOT/public`.
    pub output: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
    /// `--cache DIR`; `None` for each feature's folder below the root.
    pub cache: Option<PathBuf>,
    /// Publish pages dated after today too (`--future`).
    pub future: bool,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BuildOptions {
            root: root.into(),
            output: None,
            base_url: None,
            drafts: false,
            cache: None,
            future: false,
        }
    }

    pub fn output_folder(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| self.root.join("public"))
    }

    /// The folder `name` of what builds keep for later ones (`--cache`).
    pub fn cache_folder(&self, name: &str) -> PathBuf {
        match &self.cache {
            Some(cache) => cache.join(name),
            None => self.root.join(CACHE_DIR).join(name),
        }
    }
}

/// Below the site's folder: what builds keep for later ones, unless `--cache` says elsewhere.
pub const CACHE_DIR: &str = ".aimsite-cache";

/// A site rendered in memory, ready to be served or checked.
pub struct RenderedSite {
    pub files: Vec<OutputFile>,
    /// HTML pages among `files`.
    pub pages: usize,
    /// The warnings; from `render_reporting_all`, the errors too.
    pub warnings: Diagnostics,
    pub timings: Timings,
    /// The assembled site the files were rendered from (`check` reads it). Without memos, the
    /// HTML of each article and page was freed once its file was made: `markdown.html` is
    /// empty for them.
    pub site: Site,
}

/// What one build keeps for the next, so that a rebuild redoes only what changed: content files
/// parsed, Markdown rendered, pages rendered and finished, each stage's results reused while
/// their inputs are equal (no timestamps, no guessing which pages depend on which). `serve`
/// keeps them across its rebuilds.
#[derive(Default)]
pub struct Memos {
    /// What changed since the last build that loaded the content, as far as anyone said.
    reported: Reported,
    content: content::ContentMemo,
    markdown: Memo<CachedMarkdown>,
    checks: pages::ChecksMemo,
    survey: feature::SurveyMemo,
    pages: PageMemo,
    finished: FinishMemo,
}

/// What changed since the last build that loaded the content.
#[derive(Default)]
enum Reported {
    /// Nobody said: every file is looked at (its size, times and inode decide).
    #[default]
    Unknown,
    /// Only these files and folders.
    Only(HashSet<PathBuf>),
    /// Anything may have: every file is looked at.
    Anything,
}

impl Memos {
    /// Tells the next build which files and folders changed (what `serve`'s watcher reported),
    /// adding to what was told since the last build that loaded the content (a build that
    /// failed before then did not use it): content files below none of them are taken as they
    /// were, without being looked at. Without it, every file is looked at.
    pub fn only_changed(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        match &mut self.reported {
            Reported::Unknown => self.reported = Reported::Only(paths.into_iter().collect()),
            Reported::Only(reported) => reported.extend(paths),
            Reported::Anything => {}
        }
    }

    /// Every file is looked at by the next build that loads the content, as after lost events.
    pub fn anything_changed(&mut self) {
        self.reported = Reported::Anything;
    }

    /// The pages the last build put into their templates, sorted: the others it reused.
    pub fn pages_rendered(&self) -> Vec<String> {
        self.pages.rendered()
    }
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
    /// The pages held back because they are dated after today, with their dates.
    pub scheduled: Vec<(PathBuf, crate::date::PageDate)>,
    /// What the build made its files from.
    pub leftovers: Leftovers,
}

impl BuildReport {
    /// A line that says what was built, in how long, and where; then the pages held back
    /// until their day, one a line.
    pub fn summary(&self, elapsed: Duration) -> String {
        let mut summary = format!(
            "Built {} ({}) in {} ms into {}",
            crate::diagnostics::counted(self.pages, "page"),
            crate::diagnostics::counted(self.files, "file"),
            elapsed.as_millis(),
            self.output.display()
        );
        if !self.scheduled.is_empty() {
            summary.push_str(&format!(
                "\nHeld back {} dated after today (`--future` publishes them):",
                crate::diagnostics::counted(self.scheduled.len(), "page")
            ));
            for (path, date) in &self.scheduled {
                summary.push_str(&format!("\n  {} ({})", path.display(), date.iso()));
            }
        }
        summary
    }

    /// The time of each phase, one line each, in milliseconds.
    pub fn timings_table(&self) -> String {
        self.timings
            .0
            .iter()
            .map(|(phase, time)| format!("  {phase:<10} {:>8.2} ms\n", time.as_secs_f64() * 1000.0))
            .collect()
    }
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
pub fn build(options: &BuildOptions) -> Result<BuildReport, Error> {
    build_noting_waits(options, &mut |_| {})
}

/// Like `build`; `on_wait` hears of it when the build must first wait for another one writing
/// into the same output.
pub fn build_noting_waits(
    options: &BuildOptions,
    on_wait: &mut dyn FnMut(output::Waiting),
) -> Result<BuildReport, Error> {
    let output = output::check_output_folder(
        &options.root,
        &options.output_folder(),
        &[
            CONTENT_DIR,
            TEMPLATES_DIR,
            STATIC_DIR,
            data::DATA_DIR,
            config::SETTINGS_FILE,
        ],
    )?;
    let mut staging = output::Staging::begin(&output, on_wait)?;
    staging.remember_links_in(options.cache_folder("output"));
    let write_error = std::sync::Mutex::new(None);
    let write = |file: OutputFile| {
        if let Err(error) = staging.write(file) {
            write_error
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .get_or_insert(error);
        }
    };
    let rendered = run(options, None, Mode::StopAtErrors, &write, None)?;
    if let Some(error) = write_error
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
    {
        return Err(Error::from(error));
    }
    let Rendered {
        pages,
        files,
        links,
        warnings,
        mut timings,
        site,
        lists,
    } = rendered;
    links.into_iter().for_each(|group| staging.link(group));
    timings.measure("swap", || staging.commit())?;
    Ok(BuildReport {
        output,
        pages,
        files,
        warnings,
        timings,
        scheduled: site.scheduled.clone(),
        leftovers: Leftovers {
            _site: site,
            _lists: lists,
        },
    })
}

/// Loads and renders the whole site in memory; writes nothing.
pub fn render(options: &BuildOptions) -> Result<RenderedSite, Error> {
    render_with(options, None, Mode::StopAtErrors, None)
}

/// Like `render`, but redoes only the work whose inputs changed since `memos` were filled.
/// Gives the same files as `render`.
pub fn render_memoised(options: &BuildOptions, memos: &mut Memos) -> Result<RenderedSite, Error> {
    render_with(options, Some(memos), Mode::StopAtErrors, None)
}

/// Like `render`, but a site whose pages all render despite problems in their Markdown (broken
/// links and fragments) is given with those problems among its `warnings`, so that `check`
/// reads its pages and reports everything in one run.
pub fn render_reporting_all(options: &BuildOptions) -> Result<RenderedSite, Error> {
    render_with(options, None, Mode::ReportAll, None)
}

/// Like `render_memoised`, but the pages whose files `open` names (those open in a browser)
/// are rendered before all others, and `ready` gets their finished files as soon as they are,
/// unless they have errors, while the rest of the site is still being rendered.
pub fn render_open_first(
    options: &BuildOptions,
    memos: &mut Memos,
    open: &HashSet<String>,
    ready: &(dyn Fn(Vec<OutputFile>) + Sync),
) -> Result<RenderedSite, Error> {
    let open_first = OpenFirst { files: open, ready };
    render_with(options, Some(memos), Mode::StopAtErrors, Some(open_first))
}

/// `serve`: the files of the pages open in a browser, made before the others, and what gets
/// them once they are.
struct OpenFirst<'a> {
    files: &'a HashSet<String>,
    ready: &'a (dyn Fn(Vec<OutputFile>) + Sync),
}

/// The same, inside `run`: `ready` is told once their files are handed on.
#[derive(Clone, Copy)]
struct FirstFiles<'a> {
    files: &'a HashSet<String>,
    ready: &'a (dyn Fn() + Sync),
}

fn render_with(
    options: &BuildOptions,
    memos: Option<&mut Memos>,
    mode: Mode,
    open_first: Option<OpenFirst<'_>>,
) -> Result<RenderedSite, Error> {
    let files = output::Collected::default();
    // Nothing is handed on before the pages, so what was collected once the first pages are
    // done is theirs.
    let ready = || {
        if let Some(open_first) = &open_first {
            (open_first.ready)(files.so_far());
        }
    };
    let first = open_first.as_ref().map(|open_first| FirstFiles {
        files: open_first.files,
        ready: &ready,
    });
    let rendered = run(options, memos, mode, &|file| files.push(file), first)?;
    for group in &rendered.links {
        output::files_of(group.as_ref()).for_each(|file| files.push(file));
    }
    Ok(RenderedSite {
        files: files.into_sorted(),
        pages: rendered.pages,
        warnings: rendered.warnings,
        timings: rendered.timings,
        site: rendered.site,
    })
}

/// Whether a site with problems in its sources is rendered as far as it can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Stop once the build cannot succeed: `build`, `serve`.
    StopAtErrors,
    /// Render every file the problems allow, and give them with the problems (`check`).
    ReportAll,
}

/// What `run` made, besides the files it handed on.
struct Rendered {
    pages: usize,
    /// Of every file, handed on or linked.
    files: usize,
    /// The files linked as groups, handed on once every other file is.
    links: Vec<Box<dyn output::LinkGroup>>,
    warnings: Diagnostics,
    timings: Timings,
    site: Site,
    lists: templates::Lists,
}

/// The pipeline: loads the sources, plans the site, takes each page through its stages as soon
/// as it can, then renders the pages that list others, the feed and the site's files, handing
/// each file to `sink` as soon as it is ready, from any thread. A site with problems in its
/// sources is still planned and its Markdown rendered, so that one build reports every
/// problem, but nothing is handed on.
fn run(
    options: &BuildOptions,
    mut memos: Option<&mut Memos>,
    mode: Mode,
    sink: &(dyn Fn(OutputFile) + Sync),
    first: Option<FirstFiles<'_>>,
) -> Result<Rendered, Error> {
    check_root(&options.root)?;
    let mut timings = Timings::default();
    let content_memo = memos.as_deref_mut().map(|memos| {
        let reported = std::mem::take(&mut memos.reported);
        (&mut memos.content, reported, &mut memos.survey)
    });
    let Loaded {
        sources,
        mut templates,
        features,
        mut problems,
    } = timings.measure("load", || load(options, content_memo));
    // With the settings loaded, the site is planned even when some content files or templates
    // failed, so that one build reports the broken links too.
    let (Some(sources), Some(features)) = (sources, features) else {
        return Err(Error::Sources(problems.sorted()));
    };
    let mut plan = timings.measure("plan", || site::plan(sources));
    problems.extend(std::mem::take(&mut plan.problems));
    problems.extend(features.check_site(&plan.site));

    let finisher = deploy::Finisher::new(&plan.site, &features.csp_allowances());
    let mut memos = memos.map(|memos| {
        memos.markdown.start();
        let settings = &plan.site.settings;
        memos.checks.start(
            &[
                &settings.file.text,
                "\n",
                &settings.base_url.absolute(),
                "\n",
                // The features' checks of a page read its shortcodes' templates too.
                &shortcode_texts(templates.as_ref()),
            ]
            .concat(),
        );
        memos.finished.start(&finisher);
        &mut *memos
    });
    // Pages are put into their templates only when the build can still succeed.
    let writable = templates.as_mut().filter(|_| !problems.has_errors());
    let templates: Option<&Templates> = writable.map(|templates| {
        let feature_data = FeatureData {
            values: features.template_values(&plan.site),
            unlisted_templates: features.unlisted_templates(),
            functions: features.template_functions(),
        };
        let page_memo = memos.as_deref_mut().map(|memos| &mut memos.pages);
        templates::bind_site(templates, &plan.site, feature_data, page_memo);
        &*templates
    });
    let memos = memos.map(|memos| &*memos);
    let counter = FileCounter::default();
    let hand_on = |file: OutputFile| counter.hand_on(file, sink);
    let finish = |file: OutputFile| {
        hand_on(finisher.finish(file, memos.map(|memos| &memos.finished)));
    };

    let stages = pages::PageStages {
        site: &plan.site,
        links: &plan.links,
        features: &features,
        templates,
        keep_html: match memos {
            Some(_) => None,
            None => Some(templates::html_needed_later(&plan.site)),
        },
        markdown_memo: memos.map(|memos| &memos.markdown),
        checks_memo: memos.map(|memos| &memos.checks),
        page_memo: memos.map(|memos| &memos.pages),
        finish: &finish,
    };
    let first_pages: Vec<usize> = match (first, templates) {
        (Some(first), Some(_)) => pages_of_files(&plan.site, first.files),
        _ => Vec::new(),
    };
    let first = first.map(|first| pages::First {
        pages: &first_pages,
        ready: first.ready,
    });
    let outcomes = timings.measure("pages", || stages.render_all(&mut plan.sources, first));
    let mut every_page_rendered = templates.is_some();
    let rendered = outcomes
        .into_iter()
        .map(|outcome| {
            problems.extend(outcome.problems);
            every_page_rendered &= !outcome.template_failed;
            (outcome.markdown, outcome.raw_ids)
        })
        .collect();
    let site::Plan { site, sources, .. } = plan;
    let site = site::assemble(site, sources, rendered, &mut problems);
    // What `check` reads of the pages is whole once every page is rendered: problems found in
    // their Markdown (links, fragments) need not keep it from reading them.
    let go_on = !problems.has_errors() || (mode == Mode::ReportAll && every_page_rendered);
    let Some(templates) = templates.filter(|_| go_on) else {
        return Err(Error::Sources(problems.sorted()));
    };
    let page_memo = memos.map(|memos| &memos.pages);
    let lists = timings
        .measure("lists", || {
            templates::render_lists(&site, templates, page_memo, &finish)
        })
        .map_err(|found| {
            problems.extend(found);
            Error::Sources(std::mem::take(&mut problems).sorted())
        })?;
    finisher.site_files(&site).into_iter().for_each(&hand_on);
    features.made_files().into_iter().for_each(&hand_on);
    let links = features.made_links();
    let linked: usize = links.iter().map(|group| group.sum().count()).sum();
    counter.files.fetch_add(linked, Ordering::Relaxed);
    rayon::iter::ParallelIterator::for_each(copied_files(&site, &features), hand_on);
    if !problems.has_errors() {
        problems.extend(features.build_succeeded());
    }
    Ok(Rendered {
        pages: counter.pages.into_inner(),
        files: counter.files.into_inner(),
        links,
        warnings: problems.sorted(),
        timings,
        site,
        lists,
    })
}

/// The pages rendered on their own (not lists) whose files these are.
fn pages_of_files(site: &Site, files: &HashSet<String>) -> Vec<usize> {
    site.pages
        .iter()
        .enumerate()
        .filter(|(_, page)| templates::renders_early(page) && files.contains(&page.output_file()))
        .map(|(index, _)| index)
        .collect()
}

/// The text of every shortcode's template, one after the other.
fn shortcode_texts(templates: Option<&Templates>) -> String {
    let Some(templates) = templates else {
        return String::new();
    };
    templates
        .shortcodes()
        .into_iter()
        .filter_map(|name| templates.text(&crate::shortcodes::template_name(name)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A site's folder must be there and hold `site.toml`: anything else is how aimsite was run,
/// not a problem in a source.
fn check_root(root: &std::path::Path) -> Result<(), Error> {
    let help = "run aimsite in the site's folder, or give it with --root; `aimsite init DIR` makes a new site";
    if !root.is_dir() {
        let error = anyhow::anyhow!("the site's folder `{}` does not exist", root.display());
        return Err(Error::environment(error, help));
    }
    if !root.join(config::SETTINGS_FILE).exists() {
        let error = anyhow::anyhow!(
            "`{}` is not a site's folder: it has no {}",
            root.display(),
            config::SETTINGS_FILE
        );
        return Err(Error::environment(error, help));
    }
    Ok(())
}

/// Counts the files handed on, and the HTML pages among them.
#[derive(Default)]
struct FileCounter {
    pages: AtomicUsize,
    files: AtomicUsize,
}

impl FileCounter {
    fn hand_on(&self, file: OutputFile, sink: &(dyn Fn(OutputFile) + Sync)) {
        if file.path.ends_with(".html") {
            self.pages.fetch_add(1, Ordering::Relaxed);
        }
        self.files.fetch_add(1, Ordering::Relaxed);
        sink(file);
    }
}

/// What the loading stages read, with every problem they found.
struct Loaded {
    /// `None` when the settings could not be read.
    sources: Option<site::Sources>,
    templates: Option<Templates>,
    features: Option<Features>,
    problems: Diagnostics,
}

/// Reads settings, content, static files and templates, collecting every problem, and lets the
/// features check what was read.
fn load(
    options: &BuildOptions,
    content_memo: Option<(
        &mut content::ContentMemo,
        Reported,
        &mut feature::SurveyMemo,
    )>,
) -> Loaded {
    let root = &options.root;
    let mut problems = Diagnostics::default();
    let sections = feature::sections(FEATURES);
    let settings = match config::load(root, options.base_url.as_deref(), &sections) {
        Ok((mut settings, warnings)) => {
            problems.extend(warnings);
            settings.cache = options.cache.clone();
            Some(settings)
        }
        Err(settings_problems) => {
            problems.extend(settings_problems);
            None
        }
    };
    let mut features = settings
        .as_ref()
        .map(|settings| Features::configure(FEATURES, settings, &mut problems));
    let templates = match templates::load(root, &built_in_templates()) {
        Ok(templates) => Some(templates),
        Err(template_problems) => {
            problems.extend(template_problems);
            None
        }
    };
    let shortcodes: Vec<(&str, &str)> = templates.as_ref().map_or_else(Vec::new, shortcodes_of);
    let (content_memo, survey_memo) = match content_memo {
        Some((content, reported, survey)) => (Some((content, reported)), Some(survey)),
        None => (None, None),
    };
    // A build that releases bodies surveys each page as it loads it, so as not to read it
    // twice before rendering.
    let build_survey = match (&settings, &features, &survey_memo) {
        (Some(settings), Some(_), None) => {
            Some(feature::SurveyMemo::for_inputs(settings, &shortcodes))
        }
        _ => None,
    };
    let listed = features.as_ref().map(Features::listed).unwrap_or_default();
    let look = |page: &content::SourcePage| {
        if let Some(memo) = &build_survey {
            memo.note(&listed, &shortcodes, page);
        }
    };
    let (content, content_problems) = match content_memo {
        Some((memo, Reported::Only(reported))) => {
            content::load_memoised(root, memo, Some(&reported))
        }
        Some((memo, _)) => content::load_memoised(root, memo, None),
        // Bodies are read again as they are rendered, so that they are not all in memory.
        None => content::load_front_matter(root, Some(&look)),
    };
    problems.extend(content_problems);
    let (mut static_files, static_problems) = content::load_static(root);
    problems.extend(static_problems);
    let today = crate::date::today();
    let data = data::load(root).unwrap_or_else(|data_problems| {
        problems.extend(data_problems);
        serde_json::Value::Null
    });
    let mut build_survey = build_survey;
    let survey_memo = survey_memo.or(build_survey.as_mut());
    if let (Some(settings), Some(features), Some(templates)) =
        (&settings, &mut features, &templates)
    {
        let sources = LoadedSources {
            settings,
            pages: &content.pages,
            templates: &templates.site_sources(),
            drafts: options.drafts,
            shortcodes: &shortcodes,
        };
        let survey_memo = survey_memo.map(|memo| {
            memo.start(settings, &shortcodes);
            &*memo
        });
        problems.extend(features.survey_sources(&sources, survey_memo));
        problems.extend(features.check_sources(&sources));
    }
    // After the survey: a feature ships only the files the site needs.
    let feature_files = features.iter().flat_map(Features::static_files);
    add_built_in_static(
        &mut static_files,
        theme::STATIC.iter().copied().chain(feature_files),
    );
    let sources = settings.map(|settings| site::Sources {
        settings,
        content,
        static_files,
        templates: templates.as_ref().map(Templates::names),
        data,
        drafts: options.drafts,
        // Read at each build, so that `serve` publishes a page on its day.
        publish_until: (!options.future).then_some(today),
        today,
    });
    Loaded {
        sources,
        templates,
        features,
        problems,
    }
}

/// Each shortcode's name and template text, built-in or the site's.
fn shortcodes_of(templates: &Templates) -> Vec<(&str, &str)> {
    templates
        .shortcodes()
        .into_iter()
        .filter_map(|name| {
            let text = templates.text(&crate::shortcodes::template_name(name))?;
            Some((name, text))
        })
        .collect()
}

/// The built-in static files the site does not replace with its own.
fn add_built_in_static(
    static_files: &mut Vec<Asset>,
    built_in: impl IntoIterator<Item = (&'static str, &'static [u8])>,
) {
    for (path, bytes) in built_in {
        if !static_files.iter().any(|file| file.output_path == *path) {
            static_files.push(Asset {
                contents: Contents::Embedded(bytes),
                display_path: PathBuf::from(format!("(built-in) {path}")),
                output_path: path.to_string(),
            });
        }
    }
}

fn copied_files<'a>(
    site: &'a Site,
    features: &'a Features,
) -> impl rayon::iter::ParallelIterator<Item = OutputFile> + 'a {
    use rayon::prelude::*;
    site.copies.par_iter().filter_map(|copy| {
        let contents = match features.copy_action(&copy.output_path, &copy.contents) {
            feature::CopyAction::Keep => copy.contents.clone(),
            feature::CopyAction::Replace(contents) => contents,
            feature::CopyAction::Omit => return None,
        };
        Some(OutputFile {
            path: copy.output_path.clone(),
            contents,
        })
    })
}
