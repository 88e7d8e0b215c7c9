//! The seam through which features (a cookie banner, a contact page) plug into the pipeline.
//!
//! A feature is a folder of its own below `src/features/`. It gives the pipeline plain data
//! through the hooks below: its section of `site.toml`, its built-in templates and static
//! files, the templates it puts into every page, its Content-Security-Policy sources, its
//! checks of the sources and of each page, and its template values (`site.NAME`). The pipeline
//! calls the hooks of every feature `build` lists and never names one.

use crate::config::Settings;
use crate::content::SourcePage;
use crate::deploy::Allowance;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::output::{Contents, LinkGroup, OutputFile};
use crate::site::Site;

pub use crate::assets::BuiltInStatic;
pub use crate::templates::{BuiltInTemplate, Slot, TemplateFunction, TemplateSource};

/// A feature as `build` lists it, before the settings are read.
pub struct FeatureEntry {
    /// Its section of `site.toml` (`consent` for `[consent]`), and its name in templates
    /// (`site.consent`).
    pub section: &'static str,
    /// Its built-in templates; a site's own template of the same name replaces one.
    pub templates: &'static [BuiltInTemplate],
    /// Its templates that go into every page, by slot, in the order given.
    pub slots: &'static [(Slot, &'static str)],
    /// The names of the template functions it gives (`Feature::template_functions`), known
    /// before the templates are read, so that templates calling them load.
    pub functions: &'static [&'static str],
    /// Reads its section of `site.toml` (`Settings::file`), pushing every problem located
    /// there.
    pub configure: fn(&Settings, &mut Diagnostics) -> Box<dyn Feature>,
}

/// What the loading stages read, as the features' checks of the sources see it.
pub struct LoadedSources<'a> {
    pub settings: &'a Settings,
    /// Every content page that loaded, drafts included, with its front matter.
    pub pages: &'a [SourcePage],
    /// The site's own templates, less unchanged copies of built-in ones.
    pub templates: &'a [TemplateSource<'a>],
    /// Whether drafts are published (`--drafts`).
    pub drafts: bool,
    /// Each shortcode's name and template text (`shortcodes/NAME.html`), built-in or the site's.
    pub shortcodes: &'a [(&'a str, &'a str)],
}

impl LoadedSources<'_> {
    /// The pages that will be published: drafts only with `--drafts`.
    pub fn published(&self) -> impl Iterator<Item = &SourcePage> {
        self.pages
            .iter()
            .filter(|page| self.drafts || !page.front.draft)
    }

    /// A page's Markdown body. A build keeps only front matter until a page is rendered, so a
    /// released body is read again here and dropped by the caller: memory stays one page's
    /// worth per thread. `None` when the file cannot be read now; rendering reports that.
    pub fn body<'p>(&self, page: &'p SourcePage) -> Option<std::borrow::Cow<'p, str>> {
        if !page.body_released {
            return Some(std::borrow::Cow::Borrowed(page.body()));
        }
        let bytes = crate::content::read_source(&page.file).ok()?;
        let mut text = String::from_utf8(bytes).ok()?;
        // Changed since it was loaded: rendering reads it again and says so.
        if !text.starts_with(page.text.as_str()) {
            return None;
        }
        text.drain(..page.body_start);
        Some(std::borrow::Cow::Owned(text))
    }
}

/// What becomes of a file copied as it is (`Feature::copy_action`).
pub enum CopyAction {
    Keep,
    /// Written with these contents instead.
    Replace(Contents),
    /// Not written.
    Omit,
}

/// Which HTML of a page's Markdown `Feature::rewrite_body` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyPart {
    Whole,
    /// The summary, shown in the lists of articles.
    Summary,
}

/// A page's rendered Markdown as `Feature::rewrite_body` is given it.
#[derive(Clone, Copy)]
pub struct Body<'a> {
    pub page: &'a SourcePage,
    /// What the Markdown stage found in it (its images, say).
    pub markdown: &'a crate::markdown::RenderedMarkdown,
    pub part: BodyPart,
}

/// What a feature made of a page's rendered Markdown (`Feature::rewrite_body`).
#[derive(Default)]
pub struct BodyRewrite {
    /// The body's new HTML; `None` leaves it as it was.
    pub html: Option<String>,
    pub problems: Vec<Diagnostic>,
}

/// Something a feature's output loads from another site once the visitor consents to its
/// category: a cookie declaration lists them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct ThirdParty {
    pub category: String,
    /// As visitors know it: "YouTube".
    pub provider: String,
    /// `https://www.youtube-nocookie.com`.
    pub origin: String,
    /// What the site uses it for: "videos".
    pub purpose: String,
}

/// A feature once its settings are read. Every hook has a default that does nothing.
pub trait Feature: Send + Sync {
    /// The static files it adds to the site (a site's own file of the same path replaces
    /// one); none when the settings turn it off.
    fn static_files(&self) -> Vec<BuiltInStatic> {
        Vec::new()
    }

    /// The sources a Content-Security-Policy directive must allow for it, as
    /// `(directive, source)`.
    fn csp_allowances(&self) -> Vec<Allowance> {
        Vec::new()
    }

    /// What it notes of one published page's Markdown body, which the survey reads once for
    /// every feature, given each shortcode's name and template text; the notes go to
    /// `survey_sources`.
    fn survey_page(
        &self,
        _shortcodes: &[(&str, &str)],
        _page: &SourcePage,
        _body: &str,
    ) -> Vec<String> {
        Vec::new()
    }

    /// Learns what the site uses from what the loading stages read and its notes of the
    /// published pages (in their order), before the other hooks run (its files, CSP and
    /// template value may depend on it), and reports what it finds wrong there.
    fn survey_sources(
        &mut self,
        _sources: &LoadedSources<'_>,
        _notes: Vec<String>,
    ) -> Vec<Diagnostic> {
        Vec::new()
    }

    /// What its output loads from other sites behind consent, once surveyed.
    fn third_parties(&self) -> Vec<ThirdParty> {
        Vec::new()
    }

    /// Every feature's `third_parties`, once all are surveyed.
    fn third_parties_known(&mut self, _all: &[ThirdParty]) {}

    /// Checks what the loading stages read, before anything is rendered.
    fn check_sources(&self, _sources: &LoadedSources<'_>) -> Vec<Diagnostic> {
        Vec::new()
    }

    /// Checks one page's source while its Markdown body is at hand.
    fn check_page(&self, _page: &SourcePage) -> Vec<Diagnostic> {
        Vec::new()
    }

    /// Rewrites the HTML of a page's rendered Markdown (its images into responsive pictures,
    /// say), while its source is at hand to locate problems in. Files the new HTML refers to
    /// are handed on by `made_files`.
    ///
    /// `part` says whether `html` is the whole body or its summary, which lists show (its
    /// problems are the body's, and are not told twice).
    fn rewrite_body(&self, _body: Body, _html: &str) -> BodyRewrite {
        BodyRewrite::default()
    }

    /// Its template functions, by the names its entry lists.
    fn template_functions(&self) -> Vec<(&'static str, TemplateFunction)> {
        Vec::new()
    }

    /// The files its template functions made while the pages rendered, and any other it
    /// makes once they are: called once every page and list is rendered. A template function
    /// also tells `output::note_made` of each file it stands for, so that a page reused
    /// without its template (`serve`) still brings its files.
    fn made_files(&self) -> Vec<OutputFile> {
        Vec::new()
    }

    /// Like `made_files`, for files of a cache folder linked into one output folder as a
    /// group (`output::LinkGroup`), which costs the output nothing per file while the folder
    /// is as the last build left it.
    fn made_links(&self) -> Vec<Box<dyn LinkGroup>> {
        Vec::new()
    }

    /// What becomes of a file copied as it is (a static file or a page's asset, by its path in
    /// the output): a photo loses its EXIF, say, or is left out where its copies stand for it.
    fn copy_action(&self, _output_path: &str, _contents: &Contents) -> CopyAction {
        CopyAction::Keep
    }

    /// Called once every file of a build that succeeded is made: what the feature keeps for
    /// later builds and this one did not use can go (stale cache entries). Gives warnings.
    fn build_succeeded(&self) -> Vec<Diagnostic> {
        Vec::new()
    }

    /// Checks the site once every page's URL is known.
    fn check_site(&self, _site: &Site) -> Vec<Diagnostic> {
        Vec::new()
    }

    /// The templates whose pages say `noindex`: the sitemap leaves their pages out.
    fn unlisted_templates(&self) -> &'static [&'static str] {
        &[]
    }

    /// What templates see as `site.SECTION`.
    fn template_value(&self, site: &Site) -> tera::Value;
}

/// The features of one build, configured, each with its entry.
pub struct Features {
    configured: Vec<(&'static FeatureEntry, Box<dyn Feature>)>,
}

impl Features {
    /// Configures each listed feature from the settings.
    pub fn configure(
        entries: &'static [FeatureEntry],
        settings: &Settings,
        problems: &mut Diagnostics,
    ) -> Features {
        let configured = entries
            .iter()
            .map(|entry| (entry, (entry.configure)(settings, problems)))
            .collect();
        Features { configured }
    }

    /// The features, in the order they are listed.
    pub fn listed(&self) -> Vec<&dyn Feature> {
        self.each().collect()
    }

    fn each(&self) -> impl Iterator<Item = &dyn Feature> {
        self.configured.iter().map(|(_, feature)| feature.as_ref())
    }

    pub fn static_files(&self) -> Vec<BuiltInStatic> {
        self.each()
            .flat_map(|feature| feature.static_files())
            .collect()
    }

    pub fn csp_allowances(&self) -> Vec<Allowance> {
        self.each()
            .flat_map(|feature| feature.csp_allowances())
            .collect()
    }

    /// Surveys the sources for every feature (each published page's body is read once), then
    /// tells each what all of them load from other sites.
    pub fn survey_sources(
        &mut self,
        sources: &LoadedSources<'_>,
        memo: Option<&SurveyMemo>,
    ) -> Vec<Diagnostic> {
        let mut features: Vec<&mut dyn Feature> = self
            .configured
            .iter_mut()
            .map(|(_, feature)| feature.as_mut() as &mut dyn Feature)
            .collect();
        let problems = survey(&mut features, sources, memo);
        let mut third_parties: Vec<ThirdParty> = features
            .iter()
            .flat_map(|feature| feature.third_parties())
            .collect();
        third_parties.sort();
        third_parties.dedup();
        for feature in &mut features {
            feature.third_parties_known(&third_parties);
        }
        problems
    }

    pub fn check_sources(&self, sources: &LoadedSources<'_>) -> Vec<Diagnostic> {
        self.each()
            .flat_map(|feature| feature.check_sources(sources))
            .collect()
    }

    pub fn check_page(&self, page: &SourcePage) -> Vec<Diagnostic> {
        self.each()
            .flat_map(|feature| feature.check_page(page))
            .collect()
    }

    /// Each feature's rewrite in turn, each given the HTML the one before made.
    pub fn rewrite_body(&self, body: Body, html: &str) -> BodyRewrite {
        let mut whole = BodyRewrite::default();
        for feature in self.each() {
            let current = whole.html.as_deref().unwrap_or(html);
            let BodyRewrite { html, problems } = feature.rewrite_body(body, current);
            whole.html = html.or(whole.html);
            whole.problems.extend(problems);
        }
        whole
    }

    pub fn template_functions(&self) -> Vec<(&'static str, TemplateFunction)> {
        self.each()
            .flat_map(|feature| feature.template_functions())
            .collect()
    }

    pub fn made_files(&self) -> Vec<OutputFile> {
        self.each()
            .flat_map(|feature| feature.made_files())
            .collect()
    }

    pub fn made_links(&self) -> Vec<Box<dyn LinkGroup>> {
        self.each()
            .flat_map(|feature| feature.made_links())
            .collect()
    }

    /// The first feature's action on a copied file other than keeping it.
    pub fn copy_action(&self, output_path: &str, contents: &Contents) -> CopyAction {
        self.each()
            .map(|feature| feature.copy_action(output_path, contents))
            .find(|action| !matches!(action, CopyAction::Keep))
            .unwrap_or(CopyAction::Keep)
    }

    pub fn build_succeeded(&self) -> Vec<Diagnostic> {
        self.each()
            .flat_map(|feature| feature.build_succeeded())
            .collect()
    }

    pub fn check_site(&self, site: &Site) -> Vec<Diagnostic> {
        self.each()
            .flat_map(|feature| feature.check_site(site))
            .collect()
    }

    pub fn unlisted_templates(&self) -> Vec<&'static str> {
        self.each()
            .flat_map(|feature| feature.unlisted_templates().iter().copied())
            .collect()
    }

    /// Each feature's template value, by its section's name.
    pub fn template_values(&self, site: &Site) -> Vec<(&'static str, tera::Value)> {
        self.configured
            .iter()
            .map(|(entry, feature)| (entry.section, feature.template_value(site)))
            .collect()
    }
}

/// The section names of the listed features.
pub fn sections(entries: &[FeatureEntry]) -> Vec<&'static str> {
    entries.iter().map(|entry| entry.section).collect()
}

/// Each page's notes from the last survey (`serve`), kept while its text and what the features
/// are surveyed with (the settings, the shortcodes' templates) are the same: reading every
/// body again cost a rebuild of a large site a quarter of its work.
#[derive(Default)]
pub struct SurveyMemo {
    pages: crate::memo::Memo<SurveyedPage>,
    inputs: String,
}

pub struct SurveyedPage {
    /// The text it was surveyed from (`None` when noted as it loaded, by a memo of that one
    /// build: holding the text would keep every body in memory, which the load lets go).
    text: Option<std::sync::Arc<String>>,
    /// By feature, in the order they are listed.
    notes: Vec<Vec<String>>,
}

impl SurveyMemo {
    /// A memo for one build, which notes each page as it is loaded (`note`).
    pub fn for_inputs(settings: &Settings, shortcodes: &[(&str, &str)]) -> SurveyMemo {
        SurveyMemo {
            pages: crate::memo::Memo::default(),
            inputs: survey_inputs(settings, shortcodes),
        }
    }

    /// Starts a survey with these inputs: what was noted since the last start is reused, and
    /// what was noted with other settings or shortcodes is forgotten.
    pub fn start(&mut self, settings: &Settings, shortcodes: &[(&str, &str)]) {
        let inputs = survey_inputs(settings, shortcodes);
        if self.inputs == inputs {
            self.pages.start();
        } else {
            self.pages.clear();
            self.inputs = inputs;
        }
    }

    /// Notes a page whose body is in memory now, for the next survey, by these features
    /// (`Features::listed`).
    pub fn note(&self, features: &[&dyn Feature], shortcodes: &[(&str, &str)], page: &SourcePage) {
        self.pages.keep(
            &page.source,
            std::sync::Arc::new(SurveyedPage {
                text: None,
                notes: notes_of(features, shortcodes, page, page.body()),
            }),
        );
    }
}

/// What the survey's notes depend on besides the pages.
fn survey_inputs(settings: &Settings, shortcodes: &[(&str, &str)]) -> String {
    let mut inputs = settings.file.text.clone();
    for (name, text) in shortcodes {
        inputs.extend(["\n", name, "\n", text]);
    }
    inputs
}

/// Each feature's notes of one page's body, in the order the features are listed.
fn notes_of(
    features: &[&dyn Feature],
    shortcodes: &[(&str, &str)],
    page: &SourcePage,
    body: &str,
) -> Vec<Vec<String>> {
    features
        .iter()
        .map(|feature| feature.survey_page(shortcodes, page, body))
        .collect()
}

/// Surveys the sources for these features: `survey_page` of each for each published page, in
/// parallel (through `memo`, only pages whose text changed), then `survey_sources` of each with
/// its notes.
pub fn survey(
    features: &mut [&mut dyn Feature],
    sources: &LoadedSources<'_>,
    memo: Option<&SurveyMemo>,
) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    let pages: Vec<&SourcePage> = sources.published().collect();
    let shared: Vec<&dyn Feature> = features.iter().map(|feature| &**feature).collect();
    let survey_page = |page: &SourcePage| match sources.body(page) {
        Some(body) => notes_of(&shared, sources.shortcodes, page, &body),
        None => vec![Vec::new(); shared.len()],
    };
    let per_page: Vec<Vec<Vec<String>>> = pages
        .par_iter()
        .map(|page| match memo {
            Some(memo) => {
                let surveyed = memo.pages.get_or(
                    &page.source,
                    |surveyed| {
                        surveyed
                            .text
                            .as_ref()
                            .is_none_or(|text| std::sync::Arc::ptr_eq(text, &page.text))
                    },
                    || SurveyedPage {
                        text: Some(std::sync::Arc::clone(&page.text)),
                        notes: survey_page(page),
                    },
                );
                surveyed.notes.clone()
            }
            None => survey_page(page),
        })
        .collect();
    let mut notes: Vec<Vec<String>> = vec![Vec::new(); features.len()];
    for page_notes in per_page {
        for (all, page) in notes.iter_mut().zip(page_notes) {
            all.extend(page);
        }
    }
    features
        .iter_mut()
        .zip(notes)
        .flat_map(|(feature, notes)| feature.survey_sources(sources, notes))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Notes its name and each page's first body line; keeps what `survey_sources` got.
    struct Noting {
        name: &'static str,
        got: Vec<String>,
    }

    impl Feature for Noting {
        fn survey_page(&self, _: &[(&str, &str)], page: &SourcePage, body: &str) -> Vec<String> {
            let line = body.trim().lines().next().unwrap_or_default();
            vec![format!("{} {} {line}", self.name, page.source)]
        }

        fn survey_sources(&mut self, _: &LoadedSources<'_>, notes: Vec<String>) -> Vec<Diagnostic> {
            self.got = notes;
            Vec::new()
        }

        fn template_value(&self, _: &Site) -> tera::Value {
            tera::Value::none()
        }
    }

    #[test]
    fn each_feature_gets_its_notes_of_the_published_pages_in_order() {
        let page = |source: &str, front: &str| {
            let text = format!("+++\ntitle = \"T\"\n{front}+++\n\n{source} body\n");
            crate::content::parse_page(text, source.into(), format!("content/{source}").into())
                .unwrap()
        };
        let pages: Vec<SourcePage> = (0..40)
            .map(|n| page(&format!("p{n:02}.md"), ""))
            .chain([page("draft.md", "draft = true\n")])
            .collect();
        let text = "title = \"A\"\nbase_url = \"https://a.com/\"\n";
        let (settings, _) =
            crate::config::parse(text, PathBuf::from("site.toml"), None, &[]).unwrap();
        let sources = LoadedSources {
            settings: &settings,
            pages: &pages,
            templates: &[],
            drafts: false,
            shortcodes: &[],
        };
        let mut a = Noting {
            name: "a",
            got: Vec::new(),
        };
        let mut b = Noting {
            name: "b",
            got: Vec::new(),
        };
        survey(&mut [&mut a, &mut b], &sources, None);
        let expected = |name: &str| -> Vec<String> {
            (0..40)
                .map(|n| format!("{name} p{n:02}.md p{n:02}.md body"))
                .collect()
        };
        assert_eq!(a.got, expected("a"));
        assert_eq!(b.got, expected("b"));
    }
}
