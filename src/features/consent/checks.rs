//! The checks of consent in the sources: the privacy page the banner links to, and every
//! `data-consent` attribute in the site's templates and in each page's Markdown, located at
//! their line.

use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};

use super::settings::{ConsentSettings, NECESSARY, PrivacyPage};
use crate::config::SettingsFile;
use crate::content::SourcePage;
use crate::diagnostics::{Diagnostic, Diagnostics, closest};
use crate::feature::LoadedSources;

/// Checks the privacy page and every `data-consent` attribute of the site's own templates (the
/// built-in ones are checked by the tests); `check_page` checks the Markdown pages'.
pub fn check_sources(consent: &ConsentSettings, sources: &LoadedSources<'_>) -> Vec<Diagnostic> {
    let mut problems = Diagnostics::default();
    if consent.enabled {
        let file = &sources.settings.file;
        check_privacy_page(consent, file, sources.pages, sources.drafts, &mut problems);
    }
    for template in sources.templates {
        for (span, problem) in template_problems(template.text, consent) {
            let diagnostic =
                Diagnostic::error(template.path, problem.message).at(template.text, span);
            problems.push(finish(diagnostic, problem.help, problem.is_error));
        }
    }
    problems.into_vec()
}

/// Checks every `data-consent` attribute of a Markdown page, while its body is at hand (the
/// Markdown stage, `site`).
pub fn check_page(consent: &ConsentSettings, page: &SourcePage) -> Vec<Diagnostic> {
    // Only an element with a `data-consent` attribute can have a problem: skip the Markdown
    // parse for the many pages without one.
    if !page.body_may_have_html || !mentions_data_consent(page.body()) {
        return Vec::new();
    }
    markdown_problems(page.body(), consent)
        .into_iter()
        .map(|(span, problem)| {
            let diagnostic = page.body_error(span, problem.message);
            finish(diagnostic, problem.help, problem.is_error)
        })
        .collect()
}

/// Whether `data-consent` appears anywhere, in any case (HTML attribute names ignore case).
pub(super) fn mentions_data_consent(text: &str) -> bool {
    const NAME: &[u8] = b"data-consent";
    let bytes = text.as_bytes();
    let is_name_at = |dash: usize| {
        dash >= 4
            && bytes
                .get(dash - 4..dash - 4 + NAME.len())
                .is_some_and(|candidate| candidate.eq_ignore_ascii_case(NAME))
    };
    // `-c` and `-C` are rare in prose, where `-` alone starts every list item: the SIMD searcher
    // finds them and only those places are compared.
    memchr::memmem::find_iter(bytes, b"-c")
        .chain(memchr::memmem::find_iter(bytes, b"-C"))
        .any(is_name_at)
}

fn finish(diagnostic: Diagnostic, help: String, is_error: bool) -> Diagnostic {
    let mut diagnostic = diagnostic.with_help(help);
    if !is_error {
        diagnostic.severity = crate::diagnostics::Severity::Warning;
    }
    diagnostic
}

fn check_privacy_page(
    consent: &ConsentSettings,
    file: &SettingsFile,
    pages: &[SourcePage],
    drafts: bool,
    problems: &mut Diagnostics,
) {
    let PrivacyPage::Content { source, span, .. } = &consent.privacy_page else {
        return;
    };
    let page = pages.iter().find(|page| page.source == *source);
    let message = match page {
        Some(page) if page.front.draft && !drafts => {
            format!(
                "the privacy page `content/{source}` is a draft, so the banner's link would lead nowhere"
            )
        }
        Some(_) => return,
        None => format!("the privacy page `content/{source}` does not exist"),
    };
    let help = match closest(source, pages.iter().map(|page| page.source.as_str())) {
        Some(close) => format!("did you mean `@/{close}`? Set `privacy_page` in [consent]"),
        None => "write the privacy page, or point `privacy_page` in [consent] at it, such as \"@/privacy.md\"".into(),
    };
    problems.push(file.error_at(span.clone(), message).with_help(help));
}

/// One problem with a `data-consent` attribute, located by the caller.
#[derive(Debug)]
pub(super) struct AttributeProblem {
    message: String,
    help: String,
    is_error: bool,
}

/// The categories that the raw HTML of a Markdown body gates (code is not HTML).
pub(super) fn gated_in_markdown(body: &str) -> Vec<String> {
    if !mentions_data_consent(body) {
        return Vec::new();
    }
    raw_html(body)
        .flat_map(|(_, html)| gated_in_html(html))
        .flatten()
        .collect()
}

/// The categories a template gates; `None` for one that Tera computes.
pub(super) fn gated_in_template(text: &str) -> Vec<Option<String>> {
    if !mentions_data_consent(text) {
        return Vec::new();
    }
    gated_in_html(&mask_tera(text))
}

/// Each gated script's or frame's category and the origin of its `data-src`, where both are
/// written out (not computed by Tera) and the source is on another site: a Markdown body's raw
/// HTML, or a template.
pub(super) fn gated_origins(text: &str, is_template: bool) -> Vec<(String, String)> {
    if !mentions_data_consent(text) {
        return Vec::new();
    }
    if is_template {
        return origins_in_html(&mask_tera(text));
    }
    raw_html(text)
        .flat_map(|(_, html)| origins_in_html(html))
        .collect()
}

fn origins_in_html(html: &str) -> Vec<(String, String)> {
    start_tags(html)
        .filter_map(|element| {
            let category = element.attribute(html, "data-consent")?.value;
            let source = element.attribute(html, "data-src")?.value;
            let url = url::Url::parse(source.trim()).ok()?;
            let literal = !category.contains('\u{1}') && !source.contains('\u{1}');
            (literal && url.has_host() && !category.trim().is_empty()).then(|| {
                (
                    category.trim().to_string(),
                    url.origin().ascii_serialization(),
                )
            })
        })
        .collect()
}

/// The `data-consent` values of an HTML fragment; `None` for one with a (masked) Tera tag.
fn gated_in_html(html: &str) -> Vec<Option<String>> {
    start_tags(html)
        .filter_map(|element| element.attribute(html, "data-consent"))
        .map(|attribute| {
            let category = attribute.value.trim();
            (!category.contains('\u{1}')).then(|| category.to_string())
        })
        .filter(|category| category.as_deref() != Some(""))
        .collect()
}

/// The raw HTML of a Markdown body, with where it starts.
fn raw_html(body: &str) -> impl Iterator<Item = (usize, &str)> {
    Parser::new_ext(body, crate::markdown::options())
        .into_offset_iter()
        .filter(|(event, _)| matches!(event, Event::Start(Tag::HtmlBlock) | Event::InlineHtml(_)))
        .map(|(_, range)| (range.start, &body[range]))
}

/// The problems of the raw HTML in a Markdown body; code blocks and code spans are left alone.
fn markdown_problems(
    body: &str,
    consent: &ConsentSettings,
) -> Vec<(Range<usize>, AttributeProblem)> {
    let mut problems = Vec::new();
    for (start, html) in raw_html(body) {
        for (span, problem) in html_problems(html, consent) {
            problems.push((span.start + start..span.end + start, problem));
        }
    }
    problems
}

/// The problems of a Tera template; tags (`{{ }}`, `{% %}`, `{# #}`) are masked first, and an
/// attribute whose category is computed by Tera is not checked.
pub(super) fn template_problems(
    text: &str,
    consent: &ConsentSettings,
) -> Vec<(Range<usize>, AttributeProblem)> {
    html_problems(&mask_tera(text), consent)
}

/// Marks every byte of a Tera tag with `\u{1}` (keeping line breaks), so that offsets stay
/// valid and quotes inside `{{ asset(path="x") }}` do not end an attribute.
fn mask_tera(text: &str) -> String {
    let mut masked = text.as_bytes().to_vec();
    for tag in crate::templates::tera_tags(text) {
        for byte in &mut masked[tag] {
            if *byte != b'\n' {
                *byte = 1;
            }
        }
    }
    String::from_utf8(masked).expect("masking replaces whole characters with ASCII")
}

/// Checks every element of an HTML fragment that carries `data-consent`.
fn html_problems(html: &str, consent: &ConsentSettings) -> Vec<(Range<usize>, AttributeProblem)> {
    let mut problems = Vec::new();
    for element in start_tags(html) {
        let Some(attribute) = element.attribute(html, "data-consent") else {
            continue;
        };
        let span = attribute.value_span.clone();
        let category = attribute.value.trim();
        let mut problem = |message: String, help: &str| {
            problems.push((
                span.clone(),
                AttributeProblem {
                    message,
                    help: help.to_string(),
                    is_error: true,
                },
            ));
        };
        if !consent.enabled {
            problems.push((
                span.clone(),
                AttributeProblem {
                    message: "consent is not enabled, so this never runs or loads".into(),
                    help: "add a [consent] section to site.toml, or remove `data-consent` and what it gates".into(),
                    is_error: false,
                },
            ));
            continue;
        }
        if category.contains('\u{1}') {
            // Computed by Tera: known only when rendering.
        } else if category.is_empty() {
            problem(
                "`data-consent` names no category".into(),
                &format!(
                    "name the category it needs, one of {}",
                    category_list(consent)
                ),
            );
        } else if category == NECESSARY {
            problem(
                "`necessary` needs no consent".into(),
                "write a plain <script> or <iframe> without `data-consent`",
            );
        } else if !consent.category_ids().any(|id| id == category) {
            let help = match closest(category, consent.category_ids()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the categories are {}", category_list(consent)),
            };
            problem(format!("unknown consent category `{category}`"), &help);
        }
        match element.name.as_str() {
            "script" => {
                let is_text = element
                    .attribute(html, "type")
                    .is_some_and(|t| t.value.trim().eq_ignore_ascii_case("text/plain"));
                if !is_text {
                    problem(
                        "this script would run before consent is given".into(),
                        "add `type=\"text/plain\"`: the banner runs it once the visitor consents",
                    );
                }
                if element.attribute(html, "src").is_some() {
                    problem(
                        "a gated script gives its file in `data-src`, not `src`".into(),
                        "rename `src` to `data-src`",
                    );
                }
            }
            "iframe" => {
                if element.attribute(html, "src").is_some() {
                    problem(
                        "this frame would load before consent is given".into(),
                        "rename `src` to `data-src`: the frame loads once the visitor consents or asks for it",
                    );
                } else if element.attribute(html, "data-src").is_none() {
                    problem(
                        "a gated frame needs `data-src`".into(),
                        "give the address of the frame in `data-src`",
                    );
                }
            }
            other => problem(
                format!("`data-consent` has no effect on <{other}>"),
                "gate a <script type=\"text/plain\"> or an <iframe data-src=\"...\">",
            ),
        }
    }
    problems
}

fn category_list(consent: &ConsentSettings) -> String {
    consent
        .category_ids()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A start tag of an HTML fragment, as the HTML tokenizer reads it.
struct StartTag {
    /// Lowercase, as HTML names are.
    name: String,
    attributes: std::collections::BTreeMap<Vec<u8>, html5gum::Spanned<html5gum::HtmlString, usize>>,
}

/// An attribute's value and where it is written.
struct Attribute {
    value: String,
    /// The value's span, or the name's when there is no value.
    value_span: Range<usize>,
}

impl StartTag {
    fn attribute(&self, html: &str, name: &str) -> Option<Attribute> {
        let attribute = self.attributes.get(name.as_bytes())?;
        let written = attribute.span.start..attribute.span.end.min(html.len());
        Some(Attribute {
            value: String::from_utf8_lossy(&attribute.value).into_owned(),
            value_span: value_span(html, written),
        })
    }
}

/// Where the value of the attribute written at `written` (`name="value"`) is, quotes left out.
fn value_span(html: &str, written: Range<usize>) -> Range<usize> {
    let text = html.get(written.clone()).unwrap_or_default();
    let Some(equals) = text.find('=') else {
        return written;
    };
    let after = &text[equals + 1..];
    let value = after.trim_start();
    let start = written.start + equals + 1 + (after.len() - value.len());
    match value.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let length = value[1..].find(quote).unwrap_or(value.len() - 1);
            start + 1..start + 1 + length
        }
        _ => start..written.end,
    }
}

/// The start tags of an HTML fragment, read by the tokenizer that reads the built pages
/// (comments and the text of `<script>` and `<style>` are not markup).
fn start_tags(html: &str) -> impl Iterator<Item = StartTag> + '_ {
    crate::html::tokens(html).filter_map(|token| match token {
        html5gum::Token::StartTag(tag) => Some(StartTag {
            name: String::from_utf8_lossy(&tag.name).into_owned(),
            attributes: tag
                .attributes
                .into_iter()
                .map(|(name, value)| (name.0, value))
                .collect(),
        }),
        _ => None,
    })
}
