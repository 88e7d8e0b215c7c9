//! What the banner gives the site: `site.consent` for the templates, its files, and the sources
//! the Content-Security-Policy must allow for the analytics it gates.

use serde::Serialize;

use super::settings::{
    AnalyticsProvider, ConsentButtons, ConsentCategory, ConsentSettings, EmbedPlaceholder,
    NecessaryCategory, PrivacyPage,
};
use crate::config::web_url;
use crate::feature::BuiltInStatic;
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
        }
    }
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
