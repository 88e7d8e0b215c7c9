//! One page's path through the stages, the same for `build`, `check` and `serve`: read its body
//! → render its Markdown → check it → put it into its template → finish it → hand it on to be
//! written. Memos (`serve`) wrap the stages; they are not a second path.

use std::collections::HashSet;
use std::sync::Arc;

use rayon::prelude::*;

use crate::content::{self, SourcePage};
use crate::diagnostics::Diagnostic;
use crate::feature::{Body, BodyPart, Features};
use crate::markdown::RenderedMarkdown;
use crate::memo::Memo;
use crate::output::OutputFile;
use crate::site::{self, CachedMarkdown, PageMarkdown, Site, SourceUrls};
use crate::templates::{self, PageMemo, Templates};

/// What every page's stages share.
pub struct PageStages<'a> {
    pub site: &'a Site,
    pub links: &'a SourceUrls,
    pub features: &'a Features,
    /// The templates, bound to the site; `None` when the build cannot succeed, so that pages
    /// are only read and checked.
    pub templates: Option<&'a Templates>,
    /// Without memos: the pages whose HTML is used after every page is rendered (the feed's).
    /// The others' HTML is freed as soon as their file is made.
    pub keep_html: Option<HashSet<usize>>,
    pub markdown_memo: Option<&'a Memo<CachedMarkdown>>,
    pub checks_memo: Option<&'a ChecksMemo>,
    pub page_memo: Option<&'a PageMemo>,
    /// Finishes a rendered file and hands it on to be written.
    pub finish: &'a (dyn Fn(OutputFile) + Sync),
}

/// The pages rendered before the others (`serve`: those open in a browser), and what is told
/// once their files are handed on.
#[derive(Clone, Copy)]
pub struct First<'a> {
    /// Indices into `site.pages`.
    pub pages: &'a [usize],
    pub ready: &'a (dyn Fn() + Sync),
}

/// What the stages made of one page.
pub struct PageOutcome {
    pub markdown: Arc<RenderedMarkdown>,
    pub problems: Vec<Diagnostic>,
    /// The `id`s of the page's raw HTML that its own links name (`site::linked_raw_ids`),
    /// found while its HTML is at hand.
    pub raw_ids: HashSet<String>,
    /// Whether putting the page into its template failed, so that its file is missing.
    pub template_failed: bool,
}

/// The features' checks of each page, kept while its text and the settings are the same: they
/// read nothing else. Reading every page again cost a rebuild of 10,000 articles 10 to 20 ms.
#[derive(Default)]
pub struct ChecksMemo {
    pages: Memo<CachedChecks>,
    /// `site.toml` as written, which the features' settings come from.
    settings: String,
}

pub struct CachedChecks {
    text: Arc<String>,
    problems: Vec<Diagnostic>,
}

impl ChecksMemo {
    /// Starts a build with these settings: what was found with others is forgotten.
    pub fn start(&mut self, settings: &str) {
        if self.settings == settings {
            self.pages.start();
        } else {
            self.pages.clear();
            self.settings = settings.to_string();
        }
    }
}

impl PageStages<'_> {
    fn check(&self, source: &SourcePage) -> Vec<Diagnostic> {
        let Some(memo) = self.checks_memo else {
            return self.features.check_page(source);
        };
        let cached = memo.pages.get_or(
            &source.source,
            |cached| Arc::ptr_eq(&cached.text, &source.text),
            || CachedChecks {
                text: Arc::clone(&source.text),
                problems: self.features.check_page(source),
            },
        );
        cached.problems.clone()
    }

    /// Every page through its stages, in parallel, in the order of `site.pages`; the pages
    /// `first` names before all others, and once they are handed on, `first.ready` is told,
    /// unless they have errors.
    pub fn render_all(
        &self,
        sources: &mut [SourcePage],
        first: Option<First<'_>>,
    ) -> Vec<PageOutcome> {
        let Some(first) = first.filter(|first| !first.pages.is_empty()) else {
            return sources
                .par_iter_mut()
                .enumerate()
                // Rayon splits a list only as threads run out of work, so without a bound one
                // thread could be left alone with a long run of pages while the other waits.
                .with_max_len(16)
                .map(|(index, source)| self.render(index, source))
                .collect();
        };
        let mut outcomes: Vec<Option<PageOutcome>> = sources.iter().map(|_| None).collect();
        for &index in first.pages {
            if let (Some(source), Some(outcome)) = (sources.get_mut(index), outcomes.get_mut(index))
            {
                *outcome = Some(self.render(index, source));
            }
        }
        let clean = outcomes.iter().flatten().all(|outcome| {
            !outcome.template_failed && !outcome.problems.iter().any(Diagnostic::is_error)
        });
        if clean {
            (first.ready)();
        }
        sources
            .par_iter_mut()
            .zip(outcomes.par_iter_mut())
            .enumerate()
            .with_max_len(16)
            .for_each(|(index, (source, outcome))| {
                if outcome.is_none() {
                    *outcome = Some(self.render(index, source));
                }
            });
        outcomes.into_iter().flatten().collect()
    }

    fn render(&self, index: usize, source: &mut SourcePage) -> PageOutcome {
        // Read.
        if let Err(problem) = content::reload_body(source) {
            return PageOutcome {
                markdown: Arc::default(),
                problems: vec![*problem],
                raw_ids: HashSet::new(),
                template_failed: false,
            };
        }
        // Markdown.
        let PageMarkdown {
            mut markdown,
            mut problems,
        } = site::render_markdown(
            source,
            self.links,
            self.markdown_memo,
            self.site.settings.scripts_in_markdown,
        );
        // Checks.
        problems.extend(self.check(source));
        // Shortcodes, then the features' rewriting of the body.
        if let Some(templates) = self.templates {
            markdown = expand_shortcodes(templates, source, markdown, &mut problems);
        }
        let body = |part| Body {
            page: source,
            markdown: &markdown,
            part,
        };
        let whole = self
            .features
            .rewrite_body(body(BodyPart::Whole), &markdown.html);
        let summary = self
            .features
            .rewrite_body(body(BodyPart::Summary), &markdown.summary);
        problems.extend(whole.problems);
        if whole.html.is_some() || summary.html.is_some() {
            let markdown = Arc::make_mut(&mut markdown);
            if let Some(html) = whole.html {
                markdown.html = html;
            }
            if let Some(html) = summary.html {
                markdown.summary = html;
            }
        }
        let raw_ids = site::linked_raw_ids(&source.source, &markdown);
        // Template, finish, write.
        let page = &self.site.pages[index];
        let mut template_failed = false;
        if let Some(templates) = self.templates
            && templates::renders_early(page)
        {
            match templates::render_page(self.site, templates, index, &markdown, self.page_memo) {
                Ok(files) => files.into_iter().for_each(self.finish),
                Err(found) => {
                    problems.extend(found);
                    template_failed = true;
                }
            }
            self.free_html(index, &mut markdown);
        }
        // Only a `#fragment` link can still need the body, to locate its diagnostic; the rest
        // is freed now, since a large site's sources would otherwise stay in memory.
        if !site::body_needed_later(&markdown) {
            source.release_body();
        }
        PageOutcome {
            markdown,
            problems,
            raw_ids,
            template_failed,
        }
    }

    /// Frees a page's HTML and table of contents once its file is made, unless the lists need
    /// them (or a memo keeps them), so that memory does not grow with the site's text.
    fn free_html(&self, index: usize, markdown: &mut Arc<RenderedMarkdown>) {
        let Some(keep) = &self.keep_html else {
            return;
        };
        if !keep.contains(&index)
            && let Some(markdown) = Arc::get_mut(markdown)
        {
            markdown.html = String::new();
            markdown.toc = Vec::new();
        }
    }
}

/// Puts each shortcode's HTML in place of its marker, and reports the shortcodes that are
/// written badly, unknown or fail to render, at their place in the Markdown.
fn expand_shortcodes(
    templates: &Templates,
    source: &SourcePage,
    markdown: Arc<RenderedMarkdown>,
    problems: &mut Vec<Diagnostic>,
) -> Arc<RenderedMarkdown> {
    let (_, syntax) = source.shortcodes_in(source.body());
    for problem in syntax {
        problems.push(
            source
                .body_error(problem.span, problem.message)
                .with_help(problem.help),
        );
    }
    if markdown.shortcodes.is_empty() {
        return markdown;
    }
    let known = templates.shortcodes();
    let mut rendered = Vec::with_capacity(markdown.shortcodes.len());
    for call in &markdown.shortcodes {
        let html = if !known.contains(&call.name.as_str()) {
            let help = match crate::diagnostics::closest(&call.name, known.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "the shortcodes are {}; add templates/{} to make one",
                    known.join(", "),
                    crate::shortcodes::template_name(&call.name)
                ),
            };
            problems.push(
                source
                    .body_error(
                        call.span.clone(),
                        format!("unknown shortcode `{}`", call.name),
                    )
                    .with_help(help),
            );
            String::new()
        } else {
            templates.render_shortcode(call).unwrap_or_else(|found| {
                problems.extend(found.into_iter().map(|problem| {
                    source
                        .body_error(
                            call.span.clone(),
                            format!("the shortcode `{}` failed: {}", call.name, problem.message),
                        )
                        .with_help(
                            problem.help.unwrap_or_else(|| {
                                "check its arguments against its template".into()
                            }),
                        )
                }));
                String::new()
            })
        };
        rendered.push(html);
    }
    let mut expanded = (*markdown).clone();
    expanded.html = crate::shortcodes::expand(&markdown.html, rendered.len(), |index| {
        std::mem::take(&mut rendered[index])
    });
    Arc::new(expanded)
}
