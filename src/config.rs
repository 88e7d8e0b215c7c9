//! `site.toml`: read into raw settings exactly as written, then validated once into the
//! `Settings` every other stage uses.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::content::Unreadable;
use crate::diagnostics::{Diagnostic, Diagnostics, from_toml_error};

pub const SETTINGS_FILE: &str = "site.toml";

/// `site.toml` as written, less the features' sections: each feature reads its own
/// (`SettingsFile::section`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    title: String,
    #[serde(default)]
    description: String,
    base_url: Spanned<String>,
    #[serde(default = "default_language")]
    language: Spanned<String>,
    #[serde(default)]
    author: String,
    #[serde(default)]
    footer: String,
    #[serde(default)]
    menu: Vec<RawMenuEntry>,
    /// The default image for social previews: a path on the site or an absolute URL.
    image: Option<String>,
    #[serde(default)]
    minify: bool,
    #[serde(default)]
    feed: FeedSettings,
    #[serde(default)]
    tags: TagSettings,
    #[serde(default)]
    security: RawSecurity,
    #[serde(default)]
    cta: RawCallToAction,
    #[serde(default)]
    check: RawCheck,
}

/// `[check]`: what `aimsite check` accepts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    #[serde(default)]
    allow_origins: Vec<Spanned<String>>,
}

/// `[cta]`: the call to action, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCallToAction {
    label: Option<Spanned<String>>,
    target: Option<Spanned<String>>,
    heading: Option<Spanned<String>>,
    text: Option<Spanned<String>>,
    articles: Option<bool>,
}

/// `[feed]`: the Atom feed of the articles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// How many of the newest articles the feed holds, with their full text.
    #[serde(default = "default_feed_limit")]
    pub limit: usize,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            limit: default_feed_limit(),
        }
    }
}

fn default_feed_limit() -> usize {
    20
}

/// `[tags]`: the pages of the tags.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagSettings {
    /// How many articles each page of a tag lists; all on one page when absent.
    pub paginate_by: Option<std::num::NonZeroUsize>,
}

/// `[security]`: extra sources the Content-Security-Policy allows, by directive.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecurity {
    #[serde(default)]
    allow: std::collections::BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    /// Lets a `<script>` written in a page's Markdown through (hashed into its policy).
    #[serde(default)]
    scripts_in_markdown: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMenuEntry {
    label: String,
    target: Spanned<String>,
}

fn default_language() -> Spanned<String> {
    Spanned::new(0..0, "en".to_string())
}

/// The validated settings of a site.
#[derive(Debug, Clone)]
pub struct Settings {
    pub title: String,
    pub description: String,
    pub base_url: BaseUrl,
    pub language: String,
    pub author: String,
    pub footer: String,
    pub menu: Vec<MenuEntry>,
    pub image: Option<String>,
    pub minify: bool,
    pub feed: FeedSettings,
    pub tags: TagSettings,
    /// Extra Content-Security-Policy sources: directive, then sources.
    pub csp_allow: Vec<(String, Vec<String>)>,
    /// Whether a page's Markdown may hold a `<script>` (`[security] scripts_in_markdown`).
    pub scripts_in_markdown: bool,
    pub cta: CallToAction,
    /// Other sites' origins (`https://fonts.example.com`) that pages may load from before
    /// consent (`[check] allow_origins`).
    pub allow_origins: Vec<String>,
    /// Where the settings came from, to locate problems found by later stages, and for the
    /// features' sections.
    pub file: SettingsFile,
    /// The site's folder (`--root`); empty when the settings were not read from a folder.
    pub root: PathBuf,
    /// `--cache DIR`: where features keep what they make for later builds, each in a folder
    /// of its own; `None` for their default below the site's folder.
    pub cache: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct SettingsFile {
    pub path: PathBuf,
    pub text: String,
}

impl SettingsFile {
    /// A diagnostic pointing at a span of `site.toml`.
    pub fn error_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(&self.path, message).at(&self.text, span)
    }

    /// The section `[name]` as `T`, with its span; none when the file has no such section.
    /// Problems are located in the file.
    pub fn section<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<Spanned<T>>, Box<Diagnostic>> {
        let located =
            |error: toml::de::Error| Box::new(from_toml_error(&error, &self.path, &self.text, 0));
        let mut document = toml::de::DeTable::parse(&self.text).map_err(located)?;
        let Some(section) = document.get_mut().remove(name) else {
            return Ok(None);
        };
        Spanned::<T>::deserialize(toml::de::ValueDeserializer::from(section))
            .map(Some)
            .map_err(located)
    }
}

/// `[cta]`: what the firm asks a visitor to do, in the header, the home page and after each
/// article.
#[derive(Debug, Clone)]
pub struct CallToAction {
    pub label: String,
    pub target: MenuTarget,
    /// Whether `target` was written: a missing default target (`@/contact.md`) only means the
    /// site has no call to action.
    pub target_written: bool,
    /// The heading and text of the block that closes the home page and each article.
    pub heading: String,
    pub text: String,
    /// Whether each article ends with the block.
    pub articles: bool,
}

pub const DEFAULT_CTA_TARGET: &str = "contact.md";

#[derive(Debug, Clone)]
pub struct MenuEntry {
    pub label: String,
    pub target: MenuTarget,
}

#[derive(Debug, Clone)]
pub enum MenuTarget {
    /// A content file, by its path below `content/` (`privacy.md`).
    Content {
        source: String,
        span: std::ops::Range<usize>,
    },
    /// A path on this site, without the base path (`articles/`).
    SitePath(String),
    External(String),
}

/// The absolute URL the site is served from, split into the parts pages need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// Scheme and host, without a trailing slash: `https://example.github.io`.
    pub origin: String,
    /// The path, starting and ending with `/`: `/` or `/aimtowin/`.
    pub path: String,
    /// The whole base URL, ending in `/`, for resolving links as a browser does.
    pub url: url::Url,
}

impl BaseUrl {
    /// Parses an absolute http(s) URL written as it would be sent: characters that a URL must
    /// percent-encode (spaces, quotes, `<`) are refused rather than encoded, since the base URL
    /// is written as it is into `_headers` and `robots.txt`. Says what is wrong otherwise.
    pub fn parse(text: &str) -> Result<BaseUrl, String> {
        let mut url = web_url(text)?;
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(format!(
                "`{}` may only have a path after the host, without `?`, `#` or a user name",
                text.trim()
            ));
        }
        let trimmed = url.path().trim_matches('/');
        let path = if trimmed.is_empty() {
            "/".to_string()
        } else {
            format!("/{trimmed}/")
        };
        url.set_path(&path);
        Ok(BaseUrl {
            origin: url.origin().ascii_serialization(),
            path,
            url,
        })
    }

    /// The full base URL, ending in `/`.
    pub fn absolute(&self) -> String {
        self.join("")
    }

    /// The absolute URL of `path`, a path below the base path (`about/`).
    pub fn join(&self, path: &str) -> String {
        // `concat`, not `format!`: this runs several times for every page.
        [self.origin.as_str(), self.path.as_str(), path].concat()
    }

    /// Whether the host is a placeholder of the `example.com` family.
    pub fn is_placeholder(&self) -> bool {
        self.url.host_str().is_some_and(is_placeholder_domain)
    }
}

/// An absolute http(s) URL with a host, written as it would be sent (see `BaseUrl::parse`):
/// the addresses that settings give for other sites (a form's action, a script).
pub fn web_url(text: &str) -> Result<url::Url, String> {
    let text = text.trim();
    if let Some(bad) = text.chars().find(|&c| !is_url_character(c)) {
        return Err(format!(
            "`{text}` contains `{}`, which cannot be written in a URL as it is",
            bad.escape_debug()
        ));
    }
    let url = url::Url::parse(text).map_err(|error| match error {
        url::ParseError::RelativeUrlWithoutBase => format!("`{text}` is not an absolute URL"),
        error => format!("`{text}` is not a valid URL: {error}"),
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("`{text}` must start with https:// or http://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{text}` has no valid host name"));
    }
    Ok(url)
}

/// Whether a character may stand in a URL as it is (RFC 3986: unreserved, reserved, `%`).
fn is_url_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// `example.com`, `example.org`, `example.net`, `example` and their subdomains (RFC 2606).
pub fn is_placeholder_domain(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    ["example.com", "example.org", "example.net", "example"]
        .iter()
        .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
}

/// Reads and validates `ROOT/site.toml`, less the `feature_sections`, which features read
/// themselves. `base_url_override` is `--base-url`.
pub fn load(
    root: &Path,
    base_url_override: Option<&str>,
    feature_sections: &[&str],
) -> Result<(Settings, Diagnostics), Diagnostics> {
    let display_path = PathBuf::from(SETTINGS_FILE);
    let path = root.join(SETTINGS_FILE);
    let text = match crate::content::read_source(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let mut problems = Diagnostics::default();
                problems.push(crate::content::not_utf8(&display_path, &error));
                return Err(problems);
            }
        },
        Err(Unreadable::Io(error)) => {
            let mut problems = Diagnostics::default();
            problems.push(
                Diagnostic::error(&display_path, format!("cannot read the settings: {error}"))
                    .with_help(format!(
                        "run aimsite in the site's folder, or give it with --root; the folder must hold {SETTINGS_FILE}"
                    )),
            );
            return Err(problems);
        }
        Err(unreadable) => {
            let mut problems = Diagnostics::default();
            problems.push(unreadable.diagnostic(&display_path));
            return Err(problems);
        }
    };
    let (mut settings, problems) = parse(&text, display_path, base_url_override, feature_sections)?;
    settings.root = root.to_path_buf();
    Ok((settings, problems))
}

/// Validates the text of a settings file; `feature_sections` are left to the features.
pub fn parse(
    text: &str,
    path: PathBuf,
    base_url_override: Option<&str>,
    feature_sections: &[&str],
) -> Result<(Settings, Diagnostics), Diagnostics> {
    let file = SettingsFile {
        path,
        text: text.to_string(),
    };
    let mut problems = Diagnostics::default();
    let raw = match core_settings(text, feature_sections) {
        Ok(raw) => raw,
        Err(error) => {
            let mut problem = from_toml_error(&error, &file.path, text, 0);
            suggest_a_feature_section(&mut problem, feature_sections);
            problems.push(problem);
            return Err(problems);
        }
    };

    let base_url = match base_url_override {
        Some(url) => BaseUrl::parse(url).map_err(|message| {
            Diagnostic::error("--base-url", message)
                .with_help("give an absolute URL such as https://www.aimtowin.com/")
        }),
        None => BaseUrl::parse(raw.base_url.get_ref()).map_err(|message| {
            file.error_at(raw.base_url.span(), message)
                .with_help("set base_url to the absolute URL the site is served from, such as https://www.aimtowin.com/")
        }),
    };
    let base_url = match base_url {
        Ok(url) => Some(url),
        Err(diagnostic) => {
            problems.push(diagnostic);
            None
        }
    };
    // The address in `site.toml` is the one published, even while a preview (`serve`,
    // `--base-url`) uses another: a placeholder there is worth a warning either way.
    let placeholder = |url: &BaseUrl| {
        Diagnostic::warning(
            &file.path,
            format!("base_url `{}` is a placeholder", url.absolute()),
        )
        .with_help("replace it with the real address of the site before publishing")
    };
    if let Ok(written) = BaseUrl::parse(raw.base_url.get_ref())
        && written.is_placeholder()
    {
        problems.push(placeholder(&written).at(text, raw.base_url.span()));
    }
    if let (Some(_), Some(url)) = (base_url_override, &base_url)
        && url.is_placeholder()
    {
        let mut warning = placeholder(url);
        warning.file = "--base-url".into();
        problems.push(warning);
    }

    let language = raw.language.get_ref().trim().to_string();
    if !is_language_tag(&language) {
        problems.push(
            file.error_at(
                raw.language.span(),
                format!("`{language}` is not a language tag"),
            )
            .with_help("use a BCP 47 tag such as \"en\", \"en-GB\" or \"de\""),
        );
    }

    let menu = raw
        .menu
        .into_iter()
        .filter_map(|entry| match menu_target(&entry.target) {
            Ok(target) => Some(MenuEntry {
                label: entry.label,
                target,
            }),
            Err(message) => {
                problems.push(file.error_at(entry.target.span(), message).with_help(
                    "a menu target is a content file (\"@/privacy.md\"), a path on the site (\"/articles/\") or a URL (\"https://...\")",
                ));
                None
            }
        })
        .collect();

    let scripts_in_markdown = raw.security.scripts_in_markdown;
    let csp_allow = raw
        .security
        .allow
        .into_iter()
        .filter_map(
            |(directive, sources)| match check_csp_allowance(&directive, &sources) {
                Ok(()) => Some((
                    directive.into_inner(),
                    sources.into_iter().map(Spanned::into_inner).collect(),
                )),
                Err((span, message, help)) => {
                    problems.push(file.error_at(span, message).with_help(help));
                    None
                }
            },
        )
        .collect();

    let cta = call_to_action(raw.cta, &file, &mut problems);
    let allow_origins = raw
        .check
        .allow_origins
        .into_iter()
        .filter_map(|written| match origin_of(written.get_ref()) {
            Some(origin) => Some(origin),
            None => {
                problems.push(
                    file.error_at(written.span(), format!("`{}` is not an origin", written.get_ref()))
                        .with_help("give the scheme and host of the other site, such as \"https://fonts.example.com\""),
                );
                None
            }
        })
        .collect();

    match base_url {
        Some(base_url) if !problems.has_errors() => Ok((
            Settings {
                title: raw.title,
                description: raw.description,
                base_url,
                language,
                author: raw.author,
                footer: raw.footer,
                menu,
                image: raw.image,
                minify: raw.minify,
                feed: raw.feed,
                tags: raw.tags,
                csp_allow,
                scripts_in_markdown,
                cta,
                allow_origins,
                file,
                root: PathBuf::new(),
                cache: None,
            },
            problems,
        )),
        _ => Err(problems),
    }
}

/// The origin `https://host[:port]` of a URL with nothing after its host but `/`.
fn origin_of(written: &str) -> Option<String> {
    let url = url::Url::parse(written.trim()).ok()?;
    let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    let web = matches!(url.scheme(), "https" | "http") && url.has_host();
    (bare && web && url.username().is_empty()).then(|| url.origin().ascii_serialization())
}

/// `site.toml` without the features' sections, as written: an unknown key is an error.
fn core_settings(text: &str, feature_sections: &[&str]) -> Result<RawSettings, toml::de::Error> {
    let mut document = toml::de::DeTable::parse(text)?;
    for section in feature_sections {
        document.get_mut().remove(*section);
    }
    RawSettings::deserialize(toml::de::Deserializer::from(document))
}

/// An unknown key at the top level may be a misspelt feature section: suggest it too.
fn suggest_a_feature_section(problem: &mut Diagnostic, feature_sections: &[&str]) {
    let Some(key) = problem
        .message
        .strip_prefix("unknown key `")
        .and_then(|rest| rest.strip_suffix('`'))
    else {
        return;
    };
    let suggested = problem
        .help
        .as_deref()
        .is_some_and(|help| help.starts_with("did you mean"));
    if !suggested
        && let Some(section) = crate::diagnostics::closest(key, feature_sections.iter().copied())
    {
        problem.help = Some(format!("did you mean `[{section}]`?"));
    }
}

fn call_to_action(
    raw: RawCallToAction,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> CallToAction {
    let mut text = |value: Option<Spanned<String>>, key: &str, default: &str| {
        let Some(value) = value else {
            return default.to_string();
        };
        let written = value.get_ref().trim();
        if written.is_empty() {
            problems.push(
                file.error_at(
                    value.span(),
                    format!("the call to action's `{key}` is empty"),
                )
                .with_help(format!(
                    "write the {key}, or remove `{key}` to use the default"
                )),
            );
        }
        written.to_string()
    };
    let label = text(raw.label, "label", "Contact us");
    let heading = text(raw.heading, "heading", "Get in touch");
    let body = text(raw.text, "text", "");
    let target = match &raw.target {
        None => MenuTarget::Content {
            source: DEFAULT_CTA_TARGET.to_string(),
            span: 0..0,
        },
        Some(target) => menu_target(target).unwrap_or_else(|message| {
            problems.push(file.error_at(target.span(), message).with_help(
                "the call to action's target is a content file (\"@/contact.md\"), a path on the site (\"/contact/\") or a URL (\"https://...\")",
            ));
            MenuTarget::SitePath(String::new())
        }),
    };
    CallToAction {
        label,
        target,
        target_written: raw.target.is_some(),
        heading,
        text: body,
        articles: raw.articles.unwrap_or(true),
    }
}

fn menu_target(target: &Spanned<String>) -> Result<MenuTarget, String> {
    let value = target.get_ref().trim();
    if let Some(source) = value.strip_prefix("@/") {
        return Ok(MenuTarget::Content {
            source: source.to_string(),
            span: target.span(),
        });
    }
    if value.starts_with("https://") || value.starts_with("http://") || value.starts_with("mailto:")
    {
        return Ok(MenuTarget::External(value.to_string()));
    }
    if let Some(path) = value.strip_prefix('/') {
        return Ok(MenuTarget::SitePath(path.to_string()));
    }
    Err(format!("`{value}` is not a menu target"))
}

/// Directives a site may add sources to.
pub const CSP_DIRECTIVES: &[&str] = &[
    "script-src",
    "style-src",
    "img-src",
    "font-src",
    "connect-src",
    "frame-src",
    "media-src",
    "form-action",
];

type SettingsProblem = (std::ops::Range<usize>, String, String);

/// Extra CSP sources may widen the policy, but never so far that inline code could run.
fn check_csp_allowance(
    directive: &Spanned<String>,
    sources: &[Spanned<String>],
) -> Result<(), SettingsProblem> {
    let name = directive.get_ref();
    if !CSP_DIRECTIVES.contains(&name.as_str()) {
        let help = match crate::diagnostics::closest(name, CSP_DIRECTIVES.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("use one of {}", CSP_DIRECTIVES.join(", ")),
        };
        return Err((
            directive.span(),
            format!("`{name}` is not a directive aimsite lets you extend"),
            help,
        ));
    }
    for source in sources {
        let value = source.get_ref();
        let unsafe_keyword =
            value.contains("unsafe-") || value.contains('\'') && !value.starts_with("'sha");
        if unsafe_keyword || matches_any_host(value) || name == "script-src" && names_no_host(value)
        {
            return Err((
                source.span(),
                format!("`{value}` would let any site's code into the Content-Security-Policy"),
                "give the host of the service, such as \"https://plausible.io\"; inline code is allowed by hash, never by 'unsafe-inline' or 'unsafe-eval'".to_string(),
            ));
        }
        let malformed = value.is_empty()
            || value.contains([';', ','])
            || value.chars().any(char::is_whitespace);
        if malformed {
            return Err((
                source.span(),
                format!("`{value}` cannot be added to the Content-Security-Policy"),
                "give a host such as \"https://plausible.io\", without spaces, `;` or `,`"
                    .to_string(),
            ));
        }
    }
    Ok(())
}

/// `*`, `https://*`, `*.com`: a wildcard over every host, or over a whole top-level domain,
/// which anyone can register a name in.
fn matches_any_host(source: &str) -> bool {
    let host = source.split_once("://").map_or(source, |(_, rest)| rest);
    let host = host.split(['/', ':']).next().unwrap_or(host);
    host == "*"
        || host
            .strip_prefix("*.")
            .is_some_and(|suffix| !suffix.contains('.'))
}

/// `https:`, `data:`, `blob:`: a scheme alone, which allows every host (or any inline content)
/// of that scheme.
fn names_no_host(source: &str) -> bool {
    source.strip_suffix(':').is_some_and(|scheme| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Result<(Settings, Diagnostics), Diagnostics> {
        parse(text, PathBuf::from("site.toml"), None, &["consent"])
    }

    #[test]
    fn base_url_keeps_a_sub_path() {
        let url = BaseUrl::parse("https://Example.github.io/aimtowin").unwrap();
        assert_eq!(url.origin, "https://example.github.io");
        assert_eq!(url.path, "/aimtowin/");
        assert_eq!(url.absolute(), "https://example.github.io/aimtowin/");
        assert!(BaseUrl::parse("example.com").is_err());
        assert!(BaseUrl::parse("ftp://example.com").is_err());
        assert!(BaseUrl::parse("https://exa mple.com/").is_err());
        assert!(BaseUrl::parse("https://a.com/\"><script>").is_err());
        assert!(BaseUrl::parse("https://a.com/?q").is_err());
        assert!(BaseUrl::parse("https://user@a.com/").is_err());
        let url = BaseUrl::parse("http://LOCALHOST:8080").unwrap();
        assert_eq!(url.absolute(), "http://localhost:8080/");
    }

    #[test]
    fn placeholder_domains_are_recognised() {
        assert!(is_placeholder_domain("www.example.com"));
        assert!(is_placeholder_domain("example.org"));
        assert!(!is_placeholder_domain("aimtowin.com"));
        assert!(!is_placeholder_domain("notexample.com"));
    }

    #[test]
    fn placeholder_base_url_is_a_warning() {
        let (_, warnings) =
            settings("title = \"A\"\nbase_url = \"https://example.com/\"\n").unwrap();
        let warning = warnings.iter().next().unwrap();
        assert!(!warning.is_error());
        assert_eq!(warning.location.unwrap().line, 2);
        // A preview's address (serve, --base-url) does not hide the one to be published.
        let text = "title = \"A\"\nbase_url = \"https://example.com/\"\n";
        let (_, warnings) = parse(
            text,
            "site.toml".into(),
            Some("http://127.0.0.1:1111/"),
            &[],
        )
        .unwrap();
        let warning = warnings.iter().next().expect("a warning");
        assert_eq!(warning.location.unwrap().line, 2);
        let (_, warnings) = parse(
            "title = \"A\"\nbase_url = \"https://a.com/\"\n",
            "site.toml".into(),
            Some("https://www.example.org/"),
            &[],
        )
        .unwrap();
        let warning = warnings.iter().next().expect("a warning");
        assert_eq!(warning.file, std::path::Path::new("--base-url"));
    }

    #[test]
    fn unknown_key_names_the_line_and_suggests() {
        let problems =
            settings("title = \"A\"\nbase_url = \"https://a.com/\"\ndescripton = \"x\"\n")
                .unwrap_err();
        let problem = problems.iter().next().unwrap();
        assert_eq!(problem.message, "unknown key `descripton`");
        assert_eq!(problem.help.as_deref(), Some("did you mean `description`?"));
        assert_eq!(problem.location.unwrap().line, 3);
    }

    #[test]
    fn the_call_to_action_defaults_to_the_contact_page_and_can_be_set() {
        let base = "title = \"A\"\nbase_url = \"https://a.com/\"\n";
        let cta = settings(base).unwrap().0.cta;
        assert_eq!(cta.label, "Contact us");
        assert!(
            matches!(&cta.target, MenuTarget::Content { source, .. } if source == "contact.md")
        );
        assert!(!cta.target_written && cta.articles);
        let text = format!(
            "{base}[cta]\nlabel = \"Book a call\"\ntarget = \"https://cal.test/aim\"\nheading = \"H\"\ntext = \"T\"\narticles = false\n"
        );
        let (settings, _) = settings(&text).unwrap();
        let cta = settings.cta;
        assert_eq!(
            (cta.label.as_str(), cta.heading.as_str(), cta.text.as_str()),
            ("Book a call", "H", "T")
        );
        assert!(matches!(&cta.target, MenuTarget::External(url) if url == "https://cal.test/aim"));
        assert!(cta.target_written && !cta.articles);
    }

    #[test]
    fn a_bad_call_to_action_is_an_error_at_its_line() {
        let base = "title = \"A\"\nbase_url = \"https://a.com/\"\n[cta]\n";
        assert_eq!(
            settings_error_line(&format!("{base}target = \"contact\"\n")),
            4
        );
        assert_eq!(settings_error_line(&format!("{base}\nlabel = \" \"\n")), 5);
        assert_eq!(settings_error_line(&format!("{base}colour = \"red\"\n")), 4);
    }

    #[test]
    fn menu_targets_are_classified() {
        let text = "title = \"A\"\nbase_url = \"https://a.com/x/\"\n[[menu]]\nlabel = \"P\"\ntarget = \"@/privacy.md\"\n[[menu]]\nlabel = \"L\"\ntarget = \"/articles/\"\n[[menu]]\nlabel = \"E\"\ntarget = \"https://b.com/\"\n";
        let (settings, _) = settings(text).unwrap();
        assert!(
            matches!(&settings.menu[0].target, MenuTarget::Content { source, .. } if source == "privacy.md")
        );
        assert!(
            matches!(&settings.menu[1].target, MenuTarget::SitePath(path) if path == "articles/")
        );
        assert!(matches!(&settings.menu[2].target, MenuTarget::External(_)));
        let bad = "title = \"A\"\nbase_url = \"https://a.com/\"\n[[menu]]\nlabel = \"P\"\ntarget = \"privacy\"\n";
        assert_eq!(settings_error_line(bad), 5);
    }

    #[test]
    fn csp_allowances_are_checked() {
        let base = "title = \"A\"\nbase_url = \"https://a.com/\"\n[security.allow]\n";
        let (settings, _) =
            settings(&format!("{base}script-src = [\"https://plausible.io\"]\n")).unwrap();
        assert_eq!(
            settings.csp_allow,
            [(
                "script-src".to_string(),
                vec!["https://plausible.io".to_string()]
            )]
        );
        assert_eq!(
            settings_error_line(&format!("{base}script-src = [\"'unsafe-inline'\"]\n")),
            4
        );
        assert_eq!(
            settings_error_line(&format!("{base}scrpt-src = [\"https://a.com\"]\n")),
            4
        );
    }

    #[test]
    fn sources_that_let_any_site_run_code_are_refused() {
        let base = "title = \"A\"\nbase_url = \"https://a.com/\"\n[security.allow]\n";
        for source in [
            "*",
            "https:",
            "http:",
            "data:",
            "blob:",
            "https://*",
            "*.com",
            "https://*.com",
            "https://*:443",
        ] {
            let text = format!("{base}script-src = [\"{source}\"]\n");
            assert_eq!(settings_error_line(&text), 4, "{source}");
        }
        for source in ["*", "https://*", "*.com"] {
            let text = format!("{base}img-src = [\"{source}\"]\n");
            assert_eq!(settings_error_line(&text), 4, "{source}");
        }
        // A scheme outside script-src, and a wildcard below a registrable domain, are fine.
        for (directive, source) in [
            ("img-src", "https:"),
            ("media-src", "blob:"),
            ("script-src", "https://*.plausible.io"),
            ("script-src", "https://cdn.example.org"),
        ] {
            let text = format!("{base}{directive} = [\"{source}\"]\n");
            assert!(settings(&text).is_ok(), "{directive} {source}");
        }
    }

    #[test]
    fn invalid_language_is_an_error() {
        assert_eq!(
            settings_error_line(
                "title = \"A\"\nbase_url = \"https://a.com/\"\nlanguage = \"english!\"\n"
            ),
            3
        );
    }

    fn settings_error_line(text: &str) -> usize {
        let problems = settings(text).unwrap_err();
        problems.iter().next().unwrap().location.unwrap().line
    }
}
