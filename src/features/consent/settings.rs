//! `[consent]` in `site.toml`: read as written, then validated into `ConsentSettings`, each
//! problem located in the file.

use std::collections::HashSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::config::{SettingsFile, web_url};
use crate::diagnostics::Diagnostics;

/// The category that is always on and cannot be refused.
pub const NECESSARY: &str = "necessary";
const DEFAULT_REVISION: u32 = 1;
/// Six months, the lifetime regulators (CNIL, EDPB) recommend for a consent choice.
const DEFAULT_EXPIRY_DAYS: u32 = 182;
/// Six months too: the CNIL asks that a refusal be remembered as long as an acceptance.
const DEFAULT_REFUSAL_DAYS: u32 = 182;
/// Thirteen months, the longest any EU regulator accepts.
const MAX_EXPIRY_DAYS: u32 = 395;
const DEFAULT_COOKIE_NAME: &str = "cookie_consent";
const DEFAULT_PRIVACY_PAGE: &str = "@/privacy.md";
pub(super) const DEFAULT_PLAUSIBLE_SCRIPT: &str = "https://plausible.io/js/script.js";

const DEFAULT_GPC_NOTICE: &str = "Your browser sends a Global Privacy Control signal, so we \
    have turned the optional cookies off. You can still turn any of them on here.";

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
    refusal_days: Option<Spanned<i64>>,
    gpc_notice: Option<Spanned<String>>,
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
    /// Each a name (`"_ga"`), or a table with its `name`, `retention` and `purpose`.
    #[serde(default)]
    cookies: Vec<Spanned<toml::Value>>,
    honour_gpc: Option<bool>,
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
    /// How long "Reject all" (or saving nothing) lasts before the visitor is asked again.
    pub refusal_days: u32,
    /// Shown in the choices when the browser's Global Privacy Control signal was honoured.
    pub gpc_notice: String,
    pub cookie_name: String,
    pub buttons: ConsentButtons,
    pub necessary: NecessaryCategory,
    pub categories: Vec<ConsentCategory>,
    pub embed: EmbedPlaceholder,
    pub analytics: AnalyticsProvider,
    #[serde(skip)]
    pub privacy_page: PrivacyPage,
    /// Where `[consent]` is in `site.toml`, for what is said about the whole section.
    #[serde(skip)]
    pub section: Range<usize>,
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
    /// Whether a Global Privacy Control signal refuses it without asking.
    pub honour_gpc: bool,
    /// The same cookies with what `site.toml` says of them, for the cookie declaration.
    pub declared_cookies: Vec<DeclaredCookie>,
    /// Where `site.toml` declares it; `None` for a default category, which is left out
    /// silently when nothing uses it.
    #[serde(skip)]
    pub declared_at: Option<Range<usize>>,
}

/// A cookie as the cookie declaration lists it; `retention` and `purpose` are empty where
/// `site.toml` does not give them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredCookie {
    pub name: String,
    #[serde(default)]
    pub retention: String,
    #[serde(default)]
    pub purpose: String,
}

impl DeclaredCookie {
    fn named(name: &str) -> Self {
        DeclaredCookie {
            name: name.into(),
            ..DeclaredCookie::default()
        }
    }
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

impl AnalyticsProvider {
    /// Whether an analytics snippet is emitted, which gates `analytics`.
    pub fn is_set(&self) -> bool {
        !self.plausible_domain.is_empty() || !self.ga4_id.is_empty()
    }
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
            refusal_days: DEFAULT_REFUSAL_DAYS,
            gpc_notice: DEFAULT_GPC_NOTICE.into(),
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
            section: 0..0,
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
            honour_gpc: true,
            declared_cookies: ["_ga", "_ga_*", "_gid", "_gat*"]
                .map(DeclaredCookie::named)
                .into(),
            declared_at: None,
        },
        ConsentCategory {
            id: "marketing".into(),
            label: "Marketing".into(),
            description: "Let us measure our outreach, and let embedded videos and maps from \
                other sites set their own cookies."
                .into(),
            cookies: ["_fbp", "_gcl_*"].map(String::from).into(),
            honour_gpc: true,
            declared_cookies: ["_fbp", "_gcl_*"].map(DeclaredCookie::named).into(),
            declared_at: None,
        },
        // Gated by the `booking` embed (docs/embeds.md); left out while nothing uses it.
        ConsentCategory {
            id: "booking".into(),
            label: "Booking".into(),
            description: "Let the booking calendar of the scheduling service load, which sets \
                its own cookies while you book."
                .into(),
            cookies: Vec::new(),
            honour_gpc: true,
            declared_cookies: Vec::new(),
            declared_at: None,
        },
    ]
}

/// Validates `[consent]`, pushing every problem found in it; `raw` is `None` when `site.toml`
/// has no such section, which leaves the banner off.
pub fn read(
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
    settings.section = section.clone();
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
    text(raw.gpc_notice, &mut settings.gpc_notice, "gpc_notice");
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
    for (days, target, key) in [
        (raw.expiry_days, &mut settings.expiry_days, "expiry_days"),
        (raw.refusal_days, &mut settings.refusal_days, "refusal_days"),
    ] {
        let Some(days) = days else { continue };
        match u32::try_from(*days.get_ref()) {
            Ok(value) if (1..=MAX_EXPIRY_DAYS).contains(&value) => *target = value,
            _ => problems.push(
                file.error_at(days.span(), format!("`{key}` must be between 1 and {MAX_EXPIRY_DAYS}"))
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
        category
            .declared_cookies
            .retain(|cookie| cookie.name != settings.cookie_name);
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
        let declared_cookies: Vec<DeclaredCookie> = category
            .cookies
            .into_iter()
            .filter_map(|cookie| declared_cookie(cookie, file, problems))
            .collect();
        let cookies = declared_cookies
            .iter()
            .map(|cookie| cookie.name.clone())
            .collect();
        if valid {
            categories.push(ConsentCategory {
                id,
                label,
                description: category.description.trim().to_string(),
                cookies,
                honour_gpc: category.honour_gpc.unwrap_or(true),
                declared_cookies,
                declared_at: Some(id_span),
            });
        }
    }
    categories
}

/// One of a category's `cookies`: a name, or a table with its name, retention and purpose.
fn declared_cookie(
    written: Spanned<toml::Value>,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> Option<DeclaredCookie> {
    let span = written.span();
    let cookie = match written.into_inner() {
        toml::Value::String(name) => DeclaredCookie::named(name.trim()),
        table @ toml::Value::Table(_) => match table.try_into::<DeclaredCookie>() {
            Ok(cookie) => DeclaredCookie {
                name: cookie.name.trim().into(),
                retention: cookie.retention.trim().into(),
                purpose: cookie.purpose.trim().into(),
            },
            Err(error) => {
                problems.push(
                    file.error_at(span, format!("this cookie cannot be read: {}", error.message()))
                        .with_help("write { name = \"_ga\", retention = \"2 years\", purpose = \"...\" }: `name` is required"),
                );
                return None;
            }
        },
        _ => {
            problems.push(
                file.error_at(span, "a cookie is a name or a table")
                    .with_help("write \"_ga\", or { name = \"_ga\", retention = \"2 years\", purpose = \"...\" }"),
            );
            return None;
        }
    };
    if !is_cookie_token(cookie.name.strip_suffix('*').unwrap_or(&cookie.name)) {
        problems.push(
            file.error_at(span, format!("`{}` is not a cookie name", cookie.name))
                .with_help("give a cookie's name (\"_ga\"), or the start of names followed by `*` (\"_ga_*\")"),
        );
        return None;
    }
    Some(cookie)
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
