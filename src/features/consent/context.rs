//! What the banner gives the site: `site.consent` for the templates, its files, and the sources
//! the Content-Security-Policy must allow for the analytics it gates.

use serde::Serialize;

use super::settings::{
    AnalyticsProvider, ConsentButtons, ConsentCategory, ConsentSettings, DeclaredCookie,
    EmbedPlaceholder, NecessaryCategory, PrivacyPage,
};
use super::usage::Usage;
use crate::config::web_url;
use crate::feature::{BuiltInStatic, ThirdParty};
use crate::site::Site;

/// The banner's script, written to `consent.js` (a site's `static/consent.js` replaces it).
pub const SCRIPT: &str = include_str!("static/consent.js");
/// The banner's styles, written to `consent.css`.
pub const STYLES: &str = include_str!("static/consent.css");
/// Loads Google Analytics 4 once `analytics` is consented to, written to `consent-ga4.js`.
pub const GA4_LOADER: &str = include_str!("static/ga4.js");
/// Google Consent Mode v2 with ga4_id: denies by default, passes each choice on.
pub const GTAG_CONSENT: &str = include_str!("static/gtag-consent.js");

pub const SCRIPT_FILE: &str = "consent.js";
pub const STYLES_FILE: &str = "consent.css";
pub const GA4_LOADER_FILE: &str = "consent-ga4.js";
pub const GTAG_CONSENT_FILE: &str = "consent-gtag.js";

/// `site.consent` in templates: the settings, with the privacy link resolved to a URL.
#[derive(Serialize)]
pub struct ConsentContext<'a> {
    /// Whether the banner is shipped: `[consent]` is on and something on the site needs it.
    pub enabled: bool,
    /// `[consent]` is on, but nothing on the site is optional, so there is no banner.
    pub nothing_optional: bool,
    pub title: &'a str,
    pub message: &'a str,
    /// Ready for `href`.
    pub privacy_url: String,
    pub privacy_link: &'a str,
    pub confirmation: &'a str,
    pub revision: u32,
    pub expiry_days: u32,
    pub refusal_days: u32,
    pub gpc_notice: &'a str,
    pub cookie_name: &'a str,
    pub buttons: &'a ConsentButtons,
    pub necessary: &'a NecessaryCategory,
    pub categories: &'a [ConsentCategory],
    pub embed: &'a EmbedPlaceholder,
    pub analytics: &'a AnalyticsProvider,
    /// The cookie declaration: the consent cookie, then each category the banner asks about.
    pub declaration: Vec<Declared>,
}

/// A category in the cookie declaration, with what it gates and the cookies it may set.
#[derive(Debug, Serialize)]
pub struct Declared {
    pub id: String,
    pub label: String,
    /// Its purpose, as `site.toml` describes it.
    pub description: String,
    /// True for the consent cookie's category, which is always on.
    pub necessary: bool,
    /// What it loads from other sites, by origin.
    pub third_parties: Vec<ThirdParty>,
    pub cookies: Vec<DeclaredCookie>,
}

impl<'a> ConsentContext<'a> {
    pub fn new(consent: &'a ConsentSettings, site: &Site) -> Self {
        ConsentContext {
            enabled: consent.enabled,
            nothing_optional: false,
            title: &consent.title,
            message: &consent.message,
            privacy_url: privacy_url(consent, site),
            privacy_link: &consent.privacy_link,
            confirmation: &consent.confirmation,
            revision: consent.revision,
            expiry_days: consent.expiry_days,
            refusal_days: consent.refusal_days,
            gpc_notice: &consent.gpc_notice,
            cookie_name: &consent.cookie_name,
            buttons: &consent.buttons,
            necessary: &consent.necessary,
            categories: &consent.categories,
            embed: &consent.embed,
            analytics: &consent.analytics,
            declaration: Vec::new(),
        }
    }
}

/// The cookie declaration of a site whose banner asks about `consent`'s categories: what the
/// survey found each gates (`usage`'s scripts and frames, the analytics settings, the other
/// features' `third_parties`) and the cookies `site.toml` gives.
pub fn declaration(
    consent: &ConsentSettings,
    usage: Option<&Usage>,
    third_parties: &[ThirdParty],
) -> Vec<Declared> {
    if !consent.enabled {
        return Vec::new();
    }
    let necessary = Declared {
        id: super::settings::NECESSARY.into(),
        label: consent.necessary.label.clone(),
        description: consent.necessary.description.clone(),
        necessary: true,
        third_parties: Vec::new(),
        cookies: vec![DeclaredCookie {
            name: consent.cookie_name.clone(),
            retention: format!("{} days", consent.expiry_days),
            // The category's description says what it is for.
            purpose: String::new(),
        }],
    };
    let mut found = analytics_third_parties(&consent.analytics);
    found.extend(third_parties.iter().cloned());
    if let Some(usage) = usage {
        found.extend(usage.origins.iter().map(|(category, origin)| ThirdParty {
            category: category.clone(),
            provider: origin.split("//").nth(1).unwrap_or(origin).to_string(),
            origin: origin.clone(),
            purpose: "a script or frame gated by this category".into(),
        }));
    }
    found.sort();
    found.dedup_by(|a, b| a.category == b.category && a.origin == b.origin);
    let categories = consent.categories.iter().map(|category| Declared {
        id: category.id.clone(),
        label: category.label.clone(),
        description: category.description.clone(),
        necessary: false,
        third_parties: found
            .iter()
            .filter(|party| party.category == category.id)
            .cloned()
            .collect(),
        cookies: category.declared_cookies.clone(),
    });
    std::iter::once(necessary).chain(categories).collect()
}

/// What the analytics settings load, gated as `analytics`.
fn analytics_third_parties(analytics: &AnalyticsProvider) -> Vec<ThirdParty> {
    let mut found = Vec::new();
    let mut add = |provider: &str, origin: String| {
        found.push(ThirdParty {
            category: "analytics".into(),
            provider: provider.into(),
            origin,
            purpose: "visit statistics".into(),
        });
    };
    if !analytics.plausible_domain.is_empty()
        && let Ok(script) = web_url(&analytics.plausible_script)
    {
        add("Plausible Analytics", script.origin().ascii_serialization());
    }
    if !analytics.ga4_id.is_empty() {
        add(
            "Google Analytics",
            "https://www.googletagmanager.com".into(),
        );
    }
    found
}

fn privacy_url(consent: &ConsentSettings, site: &Site) -> String {
    match &consent.privacy_page {
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

/// The files the banner needs, unless consent is off. As static files they get `asset()` URLs
/// and fingerprinted copies like any other, and a site's own file of the same name replaces one.
pub fn static_files(consent: &ConsentSettings) -> Vec<BuiltInStatic> {
    if !consent.enabled {
        return Vec::new();
    }
    let mut files = vec![
        (SCRIPT_FILE, SCRIPT.as_bytes()),
        (STYLES_FILE, STYLES.as_bytes()),
    ];
    if !consent.analytics.ga4_id.is_empty() {
        files.push((GA4_LOADER_FILE, GA4_LOADER.as_bytes()));
        files.push((GTAG_CONSENT_FILE, GTAG_CONSENT.as_bytes()));
    }
    files
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
