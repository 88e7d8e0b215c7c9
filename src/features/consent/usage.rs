//! What the site gates, found before anything is rendered: the banner asks only about the
//! categories that gate something, and is left out when none does.

use std::collections::{BTreeMap, BTreeSet};

use super::checks::{gated_in_markdown, gated_in_template, gated_origins};
use super::settings::ConsentSettings;
use crate::diagnostics::Diagnostic;
use crate::feature::LoadedSources;

/// The categories that gate something on the site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub categories: BTreeSet<String>,
    /// A template computes a category with Tera, so any declared category may be in use.
    pub computed: bool,
    /// What each shortcode's template gates, by the shortcode's name (`None`: computed).
    pub shortcodes: BTreeMap<String, Vec<Option<String>>>,
    /// Each gated script's or frame's category and the origin it loads from, where both are
    /// written out.
    pub origins: BTreeSet<(String, String)>,
}

impl Usage {
    pub fn uses(&self, category: &str) -> bool {
        self.computed || self.categories.contains(category)
    }
}

/// What gates every category: a template computes one with Tera.
const COMPUTED: &str = "*";
/// Between a category and an origin in a note (a category id has no space).
const ORIGIN_SEPARATOR: char = ' ';

/// The categories the site's templates, the analytics settings and the published pages (their
/// `notes`, from `page_notes`) gate.
pub fn survey(consent: &ConsentSettings, sources: &LoadedSources<'_>, notes: Vec<String>) -> Usage {
    let mut usage = Usage {
        shortcodes: sources
            .shortcodes
            .iter()
            .map(|(name, text)| (name.to_string(), gated_in_template(text)))
            .filter(|(_, gates)| !gates.is_empty())
            .collect(),
        ..Usage::default()
    };
    if consent.analytics.is_set() {
        usage.categories.insert("analytics".into());
    }
    let in_templates = sources
        .templates
        .iter()
        .flat_map(|template| gated_in_template(template.text));
    usage.origins = sources
        .templates
        .iter()
        .flat_map(|template| gated_origins(template.text, true))
        .collect();
    let mut in_pages = Vec::new();
    for note in notes {
        match note.split_once(ORIGIN_SEPARATOR) {
            Some((category, origin)) => {
                usage.origins.insert((category.into(), origin.into()));
            }
            None => in_pages.push((note != COMPUTED).then_some(note)),
        }
    }
    for category in in_templates.chain(in_pages) {
        match category {
            Some(category) => {
                usage.categories.insert(category);
            }
            None => usage.computed = true,
        }
    }
    usage
}

/// What a page's raw HTML gates, and what the templates of its shortcodes gate, as notes:
/// category ids, `*` for a category Tera computes.
pub fn page_notes(
    page: &crate::content::SourcePage,
    body: &str,
    shortcodes: &[(&str, &str)],
) -> Vec<String> {
    // Only raw HTML gates anything itself.
    let (gated, origins) = match page.body_may_have_html {
        true => (gated_in_markdown(body), gated_origins(body, false)),
        false => (Vec::new(), Vec::new()),
    };
    let mut gates: Vec<Option<String>> = gated.into_iter().map(Some).collect();
    for call in page.shortcodes_in(body).0 {
        if let Some((_, text)) = shortcodes.iter().find(|(name, _)| *name == call.name) {
            gates.extend(gated_in_template(text));
        }
    }
    let origins = origins
        .into_iter()
        .map(|(category, origin)| format!("{category}{ORIGIN_SEPARATOR}{origin}"));
    gates
        .into_iter()
        .map(|gate| gate.unwrap_or_else(|| COMPUTED.to_string()))
        .chain(origins)
        .collect()
}

/// A warning for each category `site.toml` declares that gates nothing, and one for the whole
/// section when nothing does, so that the missing banner is not a surprise.
pub fn unused_problems(
    consent: &ConsentSettings,
    usage: &Usage,
    file: &crate::config::SettingsFile,
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let asks_about = consent
        .categories
        .iter()
        .any(|category| usage.uses(&category.id));
    if !asks_about {
        let mut warning = file.error_at(
            consent.section.clone(),
            "nothing on the site needs consent, so no cookie banner and no consent script are shipped",
        )
        .with_help("the banner comes back by itself once a page or template gates something with `data-consent`, an embed is used, or analytics is set; set `enabled = false` in [consent] to say that none is wanted");
        warning.severity = crate::diagnostics::Severity::Warning;
        problems.push(warning);
    }
    for category in &consent.categories {
        let Some(span) = &category.declared_at else {
            continue;
        };
        if usage.uses(&category.id) {
            continue;
        }
        let mut warning = file.error_at(
            span.clone(),
            format!("the consent category `{}` gates nothing on the site, so the banner does not ask about it", category.id),
        )
        .with_help(format!(
            "gate a script or frame with `data-consent=\"{}\"`, or remove the category: asking about cookies that are never set misleads visitors",
            category.id
        ));
        warning.severity = crate::diagnostics::Severity::Warning;
        problems.push(warning);
    }
    problems
}

/// An error at each shortcode of the page whose template gates a category `[consent]` does
/// not declare: its frame could never be allowed.
pub fn undeclared_in_shortcodes(
    consent: &ConsentSettings,
    usage: &Usage,
    page: &crate::content::SourcePage,
) -> Vec<Diagnostic> {
    if usage.shortcodes.is_empty() {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for call in page.shortcodes_in(page.body()).0 {
        let gated = usage
            .shortcodes
            .get(&call.name)
            .into_iter()
            .flatten()
            .flatten();
        for category in gated {
            if consent.category_ids().any(|id| id == category) {
                continue;
            }
            problems.push(
                page.body_error(
                    call.span.clone(),
                    format!("`{}` is gated as `{category}`, which is not a consent category", call.name),
                )
                .with_help(format!(
                    "add a category with `id = \"{category}\"` to [consent], or replace templates/{} to gate it as one of {}",
                    crate::shortcodes::template_name(&call.name),
                    consent.category_ids().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
                )),
            );
        }
    }
    problems
}
