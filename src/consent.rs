//! Cookie consent: the `[consent]` settings of `site.toml`, the checks of every
//! `data-consent="CATEGORY"` attribute in Markdown and templates, the banner's template
//! variables (`site.consent`) and the files the build writes for it (`consent.js`,
//! `consent.css`, and `consent-ga4.js` when Google Analytics is set).
//!
//! Nothing here does I/O: settings come in as parsed TOML, sources as text, and the banner's
//! files join the static files for the output stage to write.
//!
//! Anything that needs consent is written as `<script type="text/plain" data-consent="CAT">`
//! (or an `<iframe data-consent="CAT" data-src="...">`), which a browser never runs or loads by
//! itself; `consent.js` turns it into a live script (or loads the frame) once the visitor has
//! consented to `CAT`. So without JavaScript nothing gated can run.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use pulldown_cmark::{Event, Parser, Tag};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::config::{Settings, SettingsFile, web_url};
use crate::content::{Asset, SourcePage};
use crate::diagnostics::{Diagnostic, Diagnostics, closest};
use crate::output::Contents;
use crate::site::Site;

/// The banner's script, written to `consent.js` (a site's `static/consent.js` replaces it).
pub const SCRIPT: &str = include_str!("consent/consent.js");
/// The banner's styles, written to `consent.css`.
pub const STYLES: &str = include_str!("consent/consent.css");
/// Loads Google Analytics 4 once `analytics` is consented to, written to `consent-ga4.js`.
pub const GA4_LOADER: &str = include_str!("consent/ga4.js");

pub const SCRIPT_FILE: &str = "consent.js";
pub const STYLES_FILE: &str = "consent.css";
pub const GA4_LOADER_FILE: &str = "consent-ga4.js";

/// The category that is always on and cannot be refused.
pub const NECESSARY: &str = "necessary";
const DEFAULT_REVISION: u32 = 1;
/// Six months, the lifetime regulators (CNIL, EDPB) recommend for a consent choice.
const DEFAULT_EXPIRY_DAYS: u32 = 182;
/// Thirteen months, the longest any EU regulator accepts.
const MAX_EXPIRY_DAYS: u32 = 395;
const DEFAULT_COOKIE_NAME: &str = "cookie_consent";
const DEFAULT_PRIVACY_PAGE: &str = "@/privacy.md";
const DEFAULT_PLAUSIBLE_SCRIPT: &str = "https://plausible.io/js/script.js";

/// The firm's cookie text, rewritten to ask instead of assuming consent.
const DEFAULT_MESSAGE: &str = "We use cookies to ensure that you receive the best experience \
    while using our website. Some of them are optional, and we only set those if you agree. \
    Choose what you accept; you can change your mind at any time with “Cookie settings” at the \
    bottom of every page.";

/// `[consent]` as written in `site.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsent {
    enabled: Option<bool>,
    title: Option<Spanned<String>>,
    message: Option<Spanned<String>>,
    privacy_page: Option<Spanned<String>>,
    privacy_link: Option<Spanned<String>>,
    confirmation: Option<Spanned<String>>,
    revision: Option<Spanned<i64>>,
    expiry_days: Option<Spanned<i64>>,
    cookie_name: Option<Spanned<String>>,
    plausible_domain: Option<Spanned<String>>,
    plausible_script: Option<Spanned<String>>,
    ga4_id: Option<Spanned<String>>,
    #[serde(default)]
    buttons: RawButtons,
    #[serde(default)]
    necessary: RawNecessary,
    categories: Option<Spanned<Vec<RawCategory>>>,
    #[serde(default)]
    embed: RawEmbed,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawButtons {
    accept_all: Option<Spanned<String>>,
    reject_all: Option<Spanned<String>>,
    choose: Option<Spanned<String>>,
    save: Option<Spanned<String>>,
    settings: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNecessary {
    label: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    status: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: Spanned<String>,
    label: Option<Spanned<String>>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    cookies: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmbed {
    message: Option<Spanned<String>>,
    button: Option<Spanned<String>>,
}

/// The validated consent settings.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentSettings {
    /// True when `site.toml` has a `[consent]` section without `enabled = false`.
    pub enabled: bool,
    pub title: String,
    pub message: String,
    /// The link text of the privacy page.
    pub privacy_link: String,
    /// Announced to screen readers once a choice is saved.
    pub confirmation: String,
    pub revision: u32,
    pub expiry_days: u32,
    pub cookie_name: String,
    pub buttons: ConsentButtons,
    pub necessary: NecessaryCategory,
    pub categories: Vec<ConsentCategory>,
    pub embed: EmbedPlaceholder,
    pub analytics: AnalyticsProvider,
    #[serde(skip)]
    pub privacy_page: PrivacyPage,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsentButtons {
    pub accept_all: String,
    pub reject_all: String,
    pub choose: String,
    pub save: String,
    /// The footer button that reopens the choices.
    pub settings: String,
}

/// The category that is always on: shown, never a switch.
#[derive(Debug, Clone, Serialize)]
pub struct NecessaryCategory {
    pub label: String,
    pub description: String,
    /// Shown instead of a switch, e.g. "Always on".
    pub status: String,
}

/// An optional category the visitor can accept or refuse.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentCategory {
    pub id: String,
    pub label: String,
    pub description: String,
    /// Cookie names, or prefixes ending in `*`, deleted when consent is refused or withdrawn.
    pub cookies: Vec<String>,
}

/// The text shown in place of an embed (`<iframe data-consent>`) until it may load.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedPlaceholder {
    /// `{host}` and `{category}` are replaced by the embed's host and category label.
    pub message: String,
    pub button: String,
}

/// Optional analytics snippets, emitted already gated as `analytics`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AnalyticsProvider {
    /// Empty when not set.
    pub plausible_domain: String,
    pub plausible_script: String,
    /// Empty when not set.
    pub ga4_id: String,
}

/// Where the banner's privacy link points.
#[derive(Debug, Clone)]
pub enum PrivacyPage {
    /// A content file below `content/` (`privacy.md`), checked to exist, with an optional
    /// `#fragment`.
    Content {
        source: String,
        fragment: Option<String>,
        span: Range<usize>,
    },
    /// A path on this site, without the base path.
    SitePath(String),
    External(String),
}

impl Default for PrivacyPage {
    fn default() -> Self {
        PrivacyPage::Content {
            source: "privacy.md".into(),
            fragment: None,
            span: 0..0,
        }
    }
}

impl ConsentSettings {
    /// The settings of a site without a `[consent]` section: nothing is emitted.
    pub fn disabled() -> Self {
        let mut settings = Self::from_raw_defaults();
        settings.enabled = false;
        settings
    }

    fn from_raw_defaults() -> Self {
        ConsentSettings {
            enabled: true,
            title: "Cookies".into(),
            message: DEFAULT_MESSAGE.into(),
            privacy_link: "Privacy Policy".into(),
            confirmation: "Your cookie choice is saved.".into(),
            revision: DEFAULT_REVISION,
            expiry_days: DEFAULT_EXPIRY_DAYS,
            cookie_name: DEFAULT_COOKIE_NAME.into(),
            buttons: ConsentButtons {
                accept_all: "Accept all".into(),
                reject_all: "Reject all".into(),
                choose: "Choose".into(),
                save: "Save choices".into(),
                settings: "Cookie settings".into(),
            },
            necessary: NecessaryCategory {
                label: "Necessary".into(),
                description: "Remembers your cookie choice. Without it we would have to ask \
                    again on every page."
                    .into(),
                status: "Always on".into(),
            },
            categories: default_categories(),
            embed: EmbedPlaceholder {
                message: "This content is hosted by {host}, which may set {category} cookies \
                    when it loads."
                    .into(),
                button: "Load content".into(),
            },
            analytics: AnalyticsProvider {
                plausible_script: DEFAULT_PLAUSIBLE_SCRIPT.into(),
                ..AnalyticsProvider::default()
            },
            privacy_page: PrivacyPage::default(),
        }
    }

    /// The ids of the optional categories.
    pub fn category_ids(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().map(|category| category.id.as_str())
    }
}

fn default_categories() -> Vec<ConsentCategory> {
    vec![
        ConsentCategory {
            id: "analytics".into(),
            label: "Analytics".into(),
            description: "Tell us which articles are read, so that we can write more of what \
                helps you."
                .into(),
            cookies: ["_ga", "_ga_*", "_gid", "_gat*"].map(String::from).into(),
        },
        ConsentCategory {
            id: "marketing".into(),
            label: "Marketing".into(),
            description: "Let us measure our outreach, and let embedded videos and maps from \
                other sites set their own cookies."
                .into(),
            cookies: ["_fbp", "_gcl_*"].map(String::from).into(),
        },
    ]
}

/// Validates `[consent]`, pushing every problem found in it; `raw` is `None` when `site.toml`
/// has no such section, which leaves the banner off.
pub fn settings(
    raw: Option<Spanned<RawConsent>>,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> ConsentSettings {
    let Some(raw) = raw else {
        return ConsentSettings::disabled();
    };
    let section = raw.span();
    let raw = raw.into_inner();
    let mut settings = ConsentSettings::from_raw_defaults();
    settings.enabled = raw.enabled.unwrap_or(true);
    let mut text = |value: Option<Spanned<String>>, target: &mut String, key: &str| {
        if let Some(value) = value {
            if value.get_ref().trim().is_empty() {
                problems.push(
                    file.error_at(value.span(), format!("`{key}` is empty"))
                        .with_help(format!(
                            "write the text of `{key}`, or remove the key to use the default"
                        )),
                );
            } else {
                *target = value.into_inner().trim().to_string();
            }
        }
    };
    text(raw.title, &mut settings.title, "title");
    text(raw.message, &mut settings.message, "message");
    text(raw.privacy_link, &mut settings.privacy_link, "privacy_link");
    text(raw.confirmation, &mut settings.confirmation, "confirmation");
    let buttons = &mut settings.buttons;
    text(
        raw.buttons.accept_all,
        &mut buttons.accept_all,
        "accept_all",
    );
    text(
        raw.buttons.reject_all,
        &mut buttons.reject_all,
        "reject_all",
    );
    text(raw.buttons.choose, &mut buttons.choose, "choose");
    text(raw.buttons.save, &mut buttons.save, "save");
    text(raw.buttons.settings, &mut buttons.settings, "settings");
    let necessary = &mut settings.necessary;
    text(raw.necessary.label, &mut necessary.label, "label");
    text(
        raw.necessary.description,
        &mut necessary.description,
        "description",
    );
    text(raw.necessary.status, &mut necessary.status, "status");
    text(raw.embed.message, &mut settings.embed.message, "message");
    text(raw.embed.button, &mut settings.embed.button, "button");

    if let Some(revision) = raw.revision {
        match u32::try_from(*revision.get_ref()) {
            Ok(value) if value >= 1 => settings.revision = value,
            _ => problems.push(
                file.error_at(revision.span(), "`revision` must be a whole number from 1")
                    .with_help("start at 1 and raise it by one whenever every visitor should be asked again"),
            ),
        }
    }
    if let Some(days) = raw.expiry_days {
        match u32::try_from(*days.get_ref()) {
            Ok(value) if (1..=MAX_EXPIRY_DAYS).contains(&value) => settings.expiry_days = value,
            _ => problems.push(
                file.error_at(days.span(), format!("`expiry_days` must be between 1 and {MAX_EXPIRY_DAYS}"))
                    .with_help(format!("{DEFAULT_EXPIRY_DAYS} days (six months) is what regulators recommend; thirteen months ({MAX_EXPIRY_DAYS} days) is the most any accepts")),
            ),
        }
    }
    if let Some(name) = raw.cookie_name {
        let value = name.get_ref().trim();
        if is_cookie_token(value) && value.to_ascii_lowercase().contains("consent") {
            settings.cookie_name = value.to_string();
        } else {
            problems.push(
                file.error_at(name.span(), format!("`{value}` cannot be the name of the consent cookie"))
                    .with_help("use letters, digits, `_` and `-`, and include the word `consent`, such as \"site_consent\""),
            );
        }
    }

    settings.privacy_page = match raw.privacy_page {
        Some(page) => match privacy_page(page.get_ref(), page.span()) {
            Ok(target) => target,
            Err(message) => {
                problems.push(file.error_at(page.span(), message).with_help(
                    "give a content file (\"@/privacy.md\"), a path on the site (\"/privacy/\") or a URL (\"https://...\")",
                ));
                PrivacyPage::default()
            }
        },
        None => privacy_page(DEFAULT_PRIVACY_PAGE, section.clone()).unwrap_or_default(),
    };

    if let Some(categories) = raw.categories {
        let span = categories.span();
        settings.categories = validate_categories(categories.into_inner(), file, problems);
        if settings.categories.is_empty() && !problems.has_errors() {
            problems.push(
                file.error_at(span, "`categories` is empty: there is nothing to ask consent for")
                    .with_help("add a category, remove `categories` to use the defaults (analytics and marketing), or set `enabled = false`"),
            );
        }
    }
    for category in &mut settings.categories {
        category
            .cookies
            .retain(|cookie| *cookie != settings.cookie_name);
    }

    let has_analytics = settings.category_ids().any(|id| id == "analytics");
    let mut analytics_key =
        |value: Option<Spanned<String>>, valid: fn(&str) -> bool, help: &str| -> String {
            let Some(value) = value else {
                return String::new();
            };
            let text = value.get_ref().trim().to_string();
            if !valid(&text) {
                problems.push(
                    file.error_at(value.span(), format!("`{text}` is not valid here"))
                        .with_help(help.to_string()),
                );
                return String::new();
            }
            if !has_analytics {
                problems.push(
                    file.error_at(
                        value.span(),
                        "the analytics snippet needs a consent category `analytics`",
                    )
                    .with_help("add a category with `id = \"analytics\"`, or remove this key"),
                );
            }
            text
        };
    settings.analytics.plausible_domain = analytics_key(
        raw.plausible_domain,
        is_host_name,
        "give the domain registered with Plausible, such as \"aimtowin.com\"",
    );
    settings.analytics.ga4_id = analytics_key(
        raw.ga4_id,
        is_ga4_id,
        "give the measurement id of the Google Analytics 4 property, such as \"G-ABC123DEF4\"",
    );
    let script = analytics_key(
        raw.plausible_script,
        |url| web_url(url).is_ok_and(|url| url.scheme() == "https"),
        "give the https:// URL of Plausible's script, such as \"https://plausible.io/js/script.js\"",
    );
    if !script.is_empty() {
        settings.analytics.plausible_script = script;
    }
    settings
}

fn validate_categories(
    raw: Vec<RawCategory>,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> Vec<ConsentCategory> {
    let mut seen = HashSet::new();
    let mut categories = Vec::new();
    for category in raw {
        let id = category.id.get_ref().trim().to_string();
        let id_span = category.id.span();
        let mut valid = true;
        if id == NECESSARY {
            problems.push(
                file.error_at(id_span.clone(), "`necessary` is always on and cannot be an optional category")
                    .with_help("describe it under [consent.necessary] instead, and give this category another id"),
            );
            valid = false;
        } else if !is_category_id(&id) {
            problems.push(
                file.error_at(id_span.clone(), format!("`{id}` cannot be a category id"))
                    .with_help("use lowercase letters, digits, `-` and `_`, starting with a letter, such as \"analytics\""),
            );
            valid = false;
        } else if !seen.insert(id.clone()) {
            problems.push(
                file.error_at(
                    id_span.clone(),
                    format!("the category `{id}` is defined twice"),
                )
                .with_help("give each category its own id"),
            );
            valid = false;
        }
        let label = match category.label {
            Some(label) if !label.get_ref().trim().is_empty() => label.get_ref().trim().to_string(),
            Some(label) => {
                problems.push(
                    file.error_at(
                        label.span(),
                        format!("the category `{id}` has an empty label"),
                    )
                    .with_help(
                        "write the name visitors see next to its switch, such as \"Analytics\"",
                    ),
                );
                valid = false;
                String::new()
            }
            None => {
                problems.push(
                    file.error_at(id_span.clone(), format!("the category `{id}` has no label"))
                        .with_help(
                            "add `label = \"...\"`: the name visitors see next to its switch",
                        ),
                );
                valid = false;
                String::new()
            }
        };
        let mut cookies = Vec::new();
        for cookie in category.cookies {
            let name = cookie.get_ref().trim();
            if is_cookie_token(name.strip_suffix('*').unwrap_or(name)) {
                cookies.push(name.to_string());
            } else {
                problems.push(
                    file.error_at(cookie.span(), format!("`{name}` is not a cookie name"))
                        .with_help("give a cookie's name (\"_ga\"), or the start of names followed by `*` (\"_ga_*\")"),
                );
            }
        }
        if valid {
            categories.push(ConsentCategory {
                id,
                label,
                description: category.description.trim().to_string(),
                cookies,
            });
        }
    }
    categories
}

fn privacy_page(value: &str, span: Range<usize>) -> Result<PrivacyPage, String> {
    let value = value.trim();
    if let Some(target) = value.strip_prefix("@/") {
        let (source, fragment) = match target.split_once('#') {
            Some((source, fragment)) => (source, Some(fragment.to_string())),
            None => (target, None),
        };
        return Ok(PrivacyPage::Content {
            source: source.to_string(),
            fragment,
            span,
        });
    }
    if value.starts_with("https://") || value.starts_with("http://") {
        return Ok(PrivacyPage::External(value.to_string()));
    }
    if let Some(path) = value.strip_prefix('/') {
        return Ok(PrivacyPage::SitePath(path.to_string()));
    }
    Err(format!("`{value}` is not a page"))
}

fn is_cookie_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

fn is_category_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_".contains(c))
}

/// A domain name with at least two labels, such as `aimtowin.com`.
fn is_host_name(host: &str) -> bool {
    matches!(url::Host::parse(host), Ok(url::Host::Domain(domain)) if domain.eq_ignore_ascii_case(host) && domain.contains('.'))
}

fn is_ga4_id(id: &str) -> bool {
    id.strip_prefix("G-")
        .is_some_and(|rest| rest.len() >= 4 && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

// ---------------------------------------------------------------------------------------------
// Checks of the sources
// ---------------------------------------------------------------------------------------------

/// A template file of the site, as the check of `data-consent` attributes needs it.
pub struct TemplateSource<'a> {
    /// The path shown in messages: `templates/page.html`.
    pub path: &'a Path,
    pub text: &'a str,
}

/// Checks the privacy page and every `data-consent` attribute of the site's templates (the
/// built-in ones are checked by the tests); `check_page` checks the Markdown pages'.
pub fn check_sources(
    settings: &Settings,
    pages: &[SourcePage],
    templates: &[TemplateSource<'_>],
    drafts: bool,
) -> Diagnostics {
    let consent = &settings.consent;
    let mut problems = Diagnostics::default();
    if consent.enabled {
        check_privacy_page(consent, &settings.file, pages, drafts, &mut problems);
    }
    for template in templates {
        // An unchanged copy of a built-in template (as `aimsite init` writes) is checked no
        // more than the built-in one itself.
        let built_in = crate::templates::BUILT_IN_TEMPLATES
            .iter()
            .any(|(name, text)| {
                template.text == *text
                    && template.path == Path::new(crate::templates::TEMPLATES_DIR).join(name)
            });
        if built_in {
            continue;
        }
        for (span, problem) in template_problems(template.text, consent) {
            let diagnostic =
                Diagnostic::error(template.path, problem.message).at(template.text, span);
            problems.push(finish(diagnostic, problem.help, problem.is_error));
        }
    }
    problems
}

/// Checks every `data-consent` attribute of a Markdown page, while its body is at hand (the
/// Markdown stage, `site`).
pub fn check_page(consent: &ConsentSettings, page: &SourcePage) -> Vec<Diagnostic> {
    // Only an element with a `data-consent` attribute can have a problem: skip the Markdown
    // parse for the many pages without one.
    if !mentions_data_consent(page.body()) {
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
fn mentions_data_consent(text: &str) -> bool {
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
struct AttributeProblem {
    message: String,
    help: String,
    is_error: bool,
}

/// The problems of the raw HTML in a Markdown body; code blocks and code spans are left alone.
fn markdown_problems(
    body: &str,
    consent: &ConsentSettings,
) -> Vec<(Range<usize>, AttributeProblem)> {
    let mut problems = Vec::new();
    for (event, range) in Parser::new_ext(body, crate::markdown::options()).into_offset_iter() {
        if matches!(event, Event::Start(Tag::HtmlBlock) | Event::InlineHtml(_)) {
            let html = &body[range.clone()];
            for (span, problem) in html_problems(html, consent) {
                problems.push((span.start + range.start..span.end + range.start, problem));
            }
        }
    }
    problems
}

/// The problems of a Tera template; tags (`{{ }}`, `{% %}`, `{# #}`) are masked first, and an
/// attribute whose category is computed by Tera is not checked.
fn template_problems(
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

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// `site.consent` in templates: the settings, with the privacy link resolved to a URL.
#[derive(Serialize)]
pub struct ConsentContext<'a> {
    pub enabled: bool,
    pub title: &'a str,
    pub message: &'a str,
    /// Ready for `href`.
    pub privacy_url: String,
    pub privacy_link: &'a str,
    pub confirmation: &'a str,
    pub revision: u32,
    pub expiry_days: u32,
    pub cookie_name: &'a str,
    pub buttons: &'a ConsentButtons,
    pub necessary: &'a NecessaryCategory,
    pub categories: &'a [ConsentCategory],
    pub embed: &'a EmbedPlaceholder,
    pub analytics: &'a AnalyticsProvider,
}

impl<'a> ConsentContext<'a> {
    pub fn new(site: &'a Site) -> Self {
        let consent = &site.settings.consent;
        ConsentContext {
            enabled: consent.enabled,
            title: &consent.title,
            message: &consent.message,
            privacy_url: privacy_url(site),
            privacy_link: &consent.privacy_link,
            confirmation: &consent.confirmation,
            revision: consent.revision,
            expiry_days: consent.expiry_days,
            cookie_name: &consent.cookie_name,
            buttons: &consent.buttons,
            necessary: &consent.necessary,
            categories: &consent.categories,
            embed: &consent.embed,
            analytics: &consent.analytics,
        }
    }
}

fn privacy_url(site: &Site) -> String {
    match &site.settings.consent.privacy_page {
        PrivacyPage::Content {
            source, fragment, ..
        } => {
            let url = site
                .pages
                .iter()
                .find(|page| page.source == *source)
                .map_or_else(|| site.url(""), |page| site.url(&page.path));
            match fragment {
                Some(fragment) => format!("{url}#{fragment}"),
                None => url,
            }
        }
        PrivacyPage::SitePath(path) => site.url(path),
        PrivacyPage::External(url) => url.clone(),
    }
}

/// Adds the files the banner needs to the site's static files, unless the site has its own
/// file of the same name in `static/`; adds none when consent is off. As static files they get
/// `asset()` URLs and fingerprinted copies like any other.
pub fn add_static_files(consent: &ConsentSettings, static_files: &mut Vec<Asset>) {
    if !consent.enabled {
        return;
    }
    let mut files = vec![(SCRIPT_FILE, SCRIPT), (STYLES_FILE, STYLES)];
    if !consent.analytics.ga4_id.is_empty() {
        files.push((GA4_LOADER_FILE, GA4_LOADER));
    }
    for (path, text) in files {
        if !static_files.iter().any(|file| file.output_path == path) {
            static_files.push(Asset {
                contents: Contents::Embedded(text.as_bytes()),
                display_path: format!("(built-in) {path}").into(),
                output_path: path.to_string(),
            });
        }
    }
}

/// The sources the Content-Security-Policy must allow for the analytics snippet, as
/// (directive, source) pairs: nothing unless a provider is set.
pub fn csp_allowances(consent: &ConsentSettings) -> Vec<(String, String)> {
    let mut allowances = Vec::new();
    if !consent.enabled {
        return allowances;
    }
    let mut allow = |directive: &str, source: &str| {
        allowances.push((directive.to_string(), source.to_string()));
    };
    if !consent.analytics.plausible_domain.is_empty()
        && let Ok(script) = web_url(&consent.analytics.plausible_script)
    {
        let origin = script.origin().ascii_serialization();
        allow("script-src", &origin);
        allow("connect-src", &origin);
    }
    if !consent.analytics.ga4_id.is_empty() {
        allow("script-src", "https://www.googletagmanager.com");
        for source in [
            "https://*.google-analytics.com",
            "https://*.analytics.google.com",
            "https://*.googletagmanager.com",
        ] {
            allow("connect-src", source);
            allow("img-src", source);
        }
    }
    allowances
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const BASE: &str = "title = \"A\"\nbase_url = \"https://a.com/\"\n";

    fn parse(consent: &str) -> Result<(Settings, Diagnostics), Diagnostics> {
        crate::config::parse(
            &format!("{BASE}{consent}"),
            PathBuf::from("site.toml"),
            None,
        )
    }

    fn consent(text: &str) -> ConsentSettings {
        match parse(text) {
            Ok((settings, _)) => settings.consent,
            Err(problems) => panic!("{problems}"),
        }
    }

    /// The first problem: its message, line and help.
    fn settings_problem(text: &str) -> (String, usize, String) {
        let problems = parse(text).unwrap_err();
        let problem = problems.iter().next().unwrap();
        (
            problem.message.clone(),
            problem.location.unwrap().line,
            problem.help.clone().unwrap_or_default(),
        )
    }

    fn page(source: &str, text: &str) -> SourcePage {
        crate::content::parse_page(
            text.into(),
            source.into(),
            format!("content/{source}").into(),
        )
        .unwrap()
    }

    fn check(consent_toml: &str, pages: &[SourcePage], templates: &[(&str, &str)]) -> Diagnostics {
        let (settings, _) = parse(consent_toml).unwrap();
        let paths: Vec<PathBuf> = templates
            .iter()
            .map(|(path, _)| PathBuf::from(path))
            .collect();
        let templates: Vec<TemplateSource> = paths
            .iter()
            .zip(templates)
            .map(|(path, (_, text))| TemplateSource { path, text })
            .collect();
        let mut problems = check_sources(&settings, pages, &templates, false);
        for page in pages {
            problems.extend(check_page(&settings.consent, page));
        }
        problems
    }

    fn privacy() -> SourcePage {
        page("privacy.md", "+++\ntitle = \"Privacy\"\n+++\nText\n")
    }

    #[test]
    fn no_section_means_no_banner() {
        let settings = consent("");
        assert!(!settings.enabled);
        assert!(!consent("[consent]\nenabled = false\n").enabled);
    }

    #[test]
    fn defaults_ask_for_analytics_and_marketing() {
        let settings = consent("[consent]\n");
        assert!(settings.enabled);
        assert_eq!(settings.revision, 1);
        assert_eq!(settings.expiry_days, 182);
        assert!(settings.cookie_name.contains("consent"));
        assert_eq!(
            settings.category_ids().collect::<Vec<_>>(),
            ["analytics", "marketing"]
        );
        assert!(settings.message.contains("best experience"));
        assert!(!settings.message.contains("By continuing"));
        assert_eq!(settings.buttons.accept_all, "Accept all");
        assert!(settings.analytics.plausible_domain.is_empty());
        assert!(matches!(
            settings.privacy_page,
            PrivacyPage::Content { ref source, .. } if source == "privacy.md"
        ));
    }

    #[test]
    fn settings_replace_the_defaults() {
        let settings = consent(
            "[consent]\nmessage = \"May we?\"\nrevision = 3\nexpiry_days = 30\n\
             privacy_page = \"@/legal/privacy.md#cookies\"\ncookie_name = \"aim_consent\"\n\
             [consent.buttons]\naccept_all = \"Yes\"\n\
             [[consent.categories]]\nid = \"video\"\nlabel = \"Videos\"\ncookies = [\"yt_*\", \"VISITOR\"]\n",
        );
        assert_eq!(settings.message, "May we?");
        assert_eq!((settings.revision, settings.expiry_days), (3, 30));
        assert_eq!(settings.cookie_name, "aim_consent");
        assert_eq!(settings.buttons.accept_all, "Yes");
        assert_eq!(settings.buttons.reject_all, "Reject all");
        assert_eq!(settings.categories.len(), 1);
        assert_eq!(settings.categories[0].cookies, ["yt_*", "VISITOR"]);
        assert!(matches!(
            settings.privacy_page,
            PrivacyPage::Content { ref source, fragment: Some(ref f), .. } if source == "legal/privacy.md" && f == "cookies"
        ));
    }

    #[test]
    fn unknown_keys_are_located() {
        let (message, line, help) = settings_problem("[consent]\nrevison = 2\n");
        assert_eq!(message, "unknown key `revison`");
        assert_eq!(line, 4);
        assert_eq!(help, "did you mean `revision`?");
        let (message, line, _) = settings_problem(
            "[consent]\n[[consent.categories]]\nid = \"a\"\nlabel = \"A\"\ncookie = []\n",
        );
        assert_eq!(message, "unknown key `cookie`");
        assert_eq!(line, 7);
    }

    #[test]
    fn a_category_without_a_label_is_an_error_on_its_line() {
        let (message, line, help) = settings_problem(
            "[consent]\n[[consent.categories]]\nid = \"analytics\"\nlabel = \"Analytics\"\n\
             [[consent.categories]]\nid = \"ads\"\ndescription = \"Ads.\"\n",
        );
        assert_eq!(message, "the category `ads` has no label");
        assert_eq!(line, 8);
        assert!(help.contains("label = "));
        let (message, line, _) =
            settings_problem("[consent]\n[[consent.categories]]\nid = \"ads\"\nlabel = \" \"\n");
        assert_eq!(message, "the category `ads` has an empty label");
        assert_eq!(line, 6);
    }

    #[test]
    fn bad_categories_are_errors() {
        let category = |id: &str| format!("[[consent.categories]]\nid = \"{id}\"\nlabel = \"X\"\n");
        for bad in ["necessary", "Ads", "1st", "a b"] {
            let (_, line, _) = settings_problem(&format!("[consent]\n{}", category(bad)));
            assert_eq!(line, 5, "{bad}");
        }
        let (message, line, _) = settings_problem(&format!(
            "[consent]\n{}{}",
            category("ads"),
            category("ads")
        ));
        assert_eq!(message, "the category `ads` is defined twice");
        assert_eq!(line, 8);
        let (message, _, _) = settings_problem("[consent]\ncategories = []\n");
        assert!(message.contains("nothing to ask consent for"), "{message}");
        let (message, line, _) = settings_problem(&format!(
            "[consent]\n{}cookies = [\"ok\", \"not ok\"]\n",
            category("ads")
        ));
        assert_eq!(message, "`not ok` is not a cookie name");
        assert_eq!(line, 7);
    }

    #[test]
    fn bad_numbers_and_names_are_errors() {
        assert_eq!(settings_problem("[consent]\nrevision = 0\n").1, 4);
        assert_eq!(settings_problem("[consent]\nexpiry_days = 400\n").1, 4);
        assert_eq!(settings_problem("[consent]\nexpiry_days = 0\n").1, 4);
        assert_eq!(
            settings_problem("[consent]\ncookie_name = \"choice\"\n").1,
            4
        );
        assert_eq!(
            settings_problem("[consent]\nmessage = \"\"\n").0,
            "`message` is empty"
        );
        assert_eq!(
            settings_problem("[consent]\nprivacy_page = \"privacy\"\n").1,
            4
        );
    }

    #[test]
    fn analytics_snippets_need_the_analytics_category() {
        let settings =
            consent("[consent]\nplausible_domain = \"aimtowin.com\"\nga4_id = \"G-ABC123\"\n");
        assert_eq!(settings.analytics.plausible_domain, "aimtowin.com");
        assert_eq!(
            settings.analytics.plausible_script,
            DEFAULT_PLAUSIBLE_SCRIPT
        );
        assert_eq!(settings.analytics.ga4_id, "G-ABC123");
        let (message, line, _) = settings_problem(
            "[consent]\nga4_id = \"G-ABC123\"\n[[consent.categories]]\nid = \"ads\"\nlabel = \"Ads\"\n",
        );
        assert!(message.contains("`analytics`"), "{message}");
        assert_eq!(line, 4);
        assert_eq!(settings_problem("[consent]\nga4_id = \"UA-1234\"\n").1, 4);
        assert_eq!(
            settings_problem("[consent]\nplausible_domain = \"not a domain\"\n").1,
            4
        );
    }

    #[test]
    fn analytics_providers_are_allowed_by_the_csp() {
        assert!(csp_allowances(&consent("[consent]\n")).is_empty());
        let plausible = consent(
            "[consent]\nplausible_domain = \"a.com\"\nplausible_script = \"https://stats.a.com/js/script.js\"\n",
        );
        assert_eq!(
            csp_allowances(&plausible),
            [
                ("script-src".to_string(), "https://stats.a.com".to_string()),
                ("connect-src".to_string(), "https://stats.a.com".to_string()),
            ]
        );
        let ga4 = csp_allowances(&consent("[consent]\nga4_id = \"G-ABC123\"\n"));
        assert!(ga4.contains(&(
            "script-src".to_string(),
            "https://www.googletagmanager.com".to_string()
        )));
    }

    #[test]
    fn a_missing_privacy_page_is_an_error_in_the_settings() {
        let problems = check(
            "[consent]\nprivacy_page = \"@/privcy.md\"\n",
            &[privacy()],
            &[],
        );
        let problem = problems.iter().next().unwrap();
        assert_eq!(
            problem.message,
            "the privacy page `content/privcy.md` does not exist"
        );
        assert_eq!(problem.file, PathBuf::from("site.toml"));
        assert_eq!(problem.location.unwrap().line, 4);
        assert!(problem.help.as_deref().unwrap().contains("@/privacy.md"));
        // The default page, when missing, is reported at the [consent] section.
        let problems = check("\n[consent]\nrevision = 2\n", &[], &[]);
        let problem = problems.iter().next().unwrap();
        assert!(problem.message.contains("content/privacy.md"));
        assert!(problem.location.unwrap().line >= 4, "{problem}");
        // A draft privacy page is not published.
        let draft = page("privacy.md", "+++\ntitle = \"P\"\ndraft = true\n+++\n");
        let problems = check("[consent]\n", &[draft], &[]);
        assert!(
            problems
                .iter()
                .next()
                .unwrap()
                .message
                .contains("is a draft")
        );
        assert!(check("[consent]\n", &[privacy()], &[]).is_empty());
        // Without consent, the privacy page is not needed.
        assert!(check("", &[], &[]).is_empty());
    }

    #[test]
    fn the_attribute_is_found_in_any_case_and_only_whole() {
        for text in [
            "<p data-consent=\"x\">",
            "<p DATA-CONSENT=\"x\">",
            "- a\n- b <i Data-Consent=x>",
            "data-consent",
        ] {
            assert!(mentions_data_consent(text), "{text:?}");
        }
        for text in [
            "- list\n- items",
            "ata-consent",
            "re-create the data-consen",
            "",
        ] {
            assert!(!mentions_data_consent(text), "{text:?}");
        }
    }

    #[test]
    fn unknown_categories_in_markdown_name_file_and_line() {
        let article = page(
            "articles/a.md",
            "+++\ntitle = \"A\"\n+++\n\nText.\n\n<script type=\"text/plain\" data-consent=\"analitics\">\nwindow.x = 1;\n</script>\n\n\
             Inline <iframe data-consent='ads' data-src=\"https://v.com/\"></iframe>\n\n\
             ```html\n<script type=\"text/plain\" data-consent=\"example\"></script>\n```\n\n\
             `<script data-consent=\"code\">`\n",
        );
        let problems: Vec<Diagnostic> = check("[consent]\n", &[privacy(), article], &[])
            .sorted()
            .into_vec();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].message, "unknown consent category `analitics`");
        assert_eq!(problems[0].file, PathBuf::from("content/articles/a.md"));
        assert_eq!(problems[0].location.unwrap().line, 7);
        assert_eq!(problems[0].location.unwrap().column, 41);
        assert_eq!(
            problems[0].help.as_deref(),
            Some("did you mean `analytics`?")
        );
        assert_eq!(problems[1].message, "unknown consent category `ads`");
        assert_eq!(problems[1].location.unwrap().line, 11);
        assert!(
            problems[1]
                .help
                .as_deref()
                .unwrap()
                .contains("`analytics`, `marketing`")
        );
    }

    #[test]
    fn scripts_and_frames_that_would_run_early_are_errors() {
        let body = "+++\ntitle = \"A\"\n+++\n\
                    <script data-consent=\"analytics\">x()</script>\n\n\
                    <script type=\"text/plain\" data-consent=\"analytics\" src=\"/a.js\"></script>\n\n\
                    <iframe data-consent=\"marketing\" src=\"https://v.com/\"></iframe>\n\n\
                    <iframe data-consent=\"marketing\"></iframe>\n\n\
                    <img data-consent=\"marketing\" src=\"/a.png\">\n\n\
                    <script type=\"text/plain\" data-consent=\"necessary\"></script>\n\n\
                    <script type=\"text/plain\" data-consent=\"\"></script>\n\n\
                    <script type=\"text/plain\" data-consent=\"analytics\">if (a<b) x()</script>\n\n\
                    <iframe data-consent=\"marketing\" data-src=\"/v\" title=\"Video\"></iframe>\n";
        let problems: Vec<(usize, String)> =
            check("[consent]\n", &[privacy(), page("p.md", body)], &[])
                .sorted()
                .into_iter()
                .map(|p| (p.location.unwrap().line, p.message))
                .collect();
        assert_eq!(
            problems,
            [
                (
                    4,
                    "this script would run before consent is given".to_string()
                ),
                (
                    6,
                    "a gated script gives its file in `data-src`, not `src`".to_string()
                ),
                (
                    8,
                    "this frame would load before consent is given".to_string()
                ),
                (10, "a gated frame needs `data-src`".to_string()),
                (12, "`data-consent` has no effect on <img>".to_string()),
                (14, "`necessary` needs no consent".to_string()),
                (16, "`data-consent` names no category".to_string()),
            ]
        );
    }

    #[test]
    fn templates_are_checked_around_tera_tags() {
        let template = "{% extends \"base.html\" %}\n{% block main %}\n\
            <script type=\"text/plain\" data-consent=\"analytics\" data-src=\"{{ asset(path=\"a.js\") }}\"></script>\n\
            <script type=\"text/plain\" data-consent=\"{{ page.category }}\"></script>\n\
            {# <script data-consent=\"commented\"> #}\n\
            <iframe title=\"{{ \"x\" }}\" data-consent=\"marketting\" data-src=\"/v\"></iframe>\n{% endblock main %}\n";
        let problems: Vec<Diagnostic> = check(
            "[consent]\n",
            &[privacy()],
            &[("templates/page.html", template)],
        )
        .into_vec();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].file, PathBuf::from("templates/page.html"));
        assert_eq!(problems[0].location.unwrap().line, 6);
        assert_eq!(problems[0].message, "unknown consent category `marketting`");
        assert_eq!(
            problems[0].help.as_deref(),
            Some("did you mean `marketing`?")
        );
    }

    #[test]
    fn gated_content_without_consent_is_a_warning() {
        let body =
            "+++\ntitle = \"A\"\n+++\n<script type=\"text/plain\" data-consent=\"x\"></script>\n";
        let problems = check("", &[page("a.md", body)], &[]);
        let problem = problems.iter().next().unwrap();
        assert!(!problem.is_error());
        assert!(problem.message.contains("not enabled"));
    }

    #[test]
    fn the_built_in_templates_use_only_the_default_categories() {
        let settings = consent("[consent]\n");
        for (name, text) in [
            (
                "consent.html",
                include_str!("../templates/partials/consent.html"),
            ),
            (
                "consent-analytics.html",
                include_str!("../templates/partials/consent-analytics.html"),
            ),
            ("base.html", include_str!("../templates/base.html")),
        ] {
            let problems = template_problems(text, &settings);
            assert!(problems.is_empty(), "{name}: {problems:?}");
        }
    }

    #[test]
    fn the_banner_script_is_small_and_plain() {
        for forbidden in [
            "eval(",
            "new Function",
            "innerHTML",
            "setAttribute('style'",
            "onclick",
        ] {
            assert!(!SCRIPT.contains(forbidden), "consent.js uses {forbidden}");
        }
        let gzip = std::process::Command::new("gzip")
            .arg("-9c")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn();
        let Ok(mut gzip) = gzip else {
            eprintln!("skipped the size check: no gzip");
            return;
        };
        use std::io::Write as _;
        gzip.stdin
            .take()
            .unwrap()
            .write_all(SCRIPT.as_bytes())
            .unwrap();
        let compressed = gzip.wait_with_output().unwrap().stdout;
        assert!(
            compressed.len() < 3 * 1024,
            "consent.js is {} bytes gzipped",
            compressed.len()
        );
    }
}
