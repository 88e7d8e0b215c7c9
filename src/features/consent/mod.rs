//! Cookie consent: the `[consent]` settings of `site.toml`, the checks of every
//! `data-consent="CATEGORY"` attribute in Markdown and templates, the banner's template
//! variables (`site.consent`) and the files the build writes for it (`consent.js`,
//! `consent.css`, and `consent-ga4.js` and `consent-gtag.js` (Consent Mode) when Google
//! Analytics is set).
//!
//! Nothing here does I/O: settings come in as parsed TOML, sources as text, and the banner's
//! files join the static files for the output stage to write.
//!
//! Anything that needs consent is written as `<script type="text/plain" data-consent="CAT">`
//! (or an `<iframe data-consent="CAT" data-src="...">`), which a browser never runs or loads by
//! itself; `consent.js` turns it into a live script (or loads the frame) once the visitor has
//! consented to `CAT`. So without JavaScript nothing gated can run.

mod checks;
mod context;
mod settings;
mod usage;

pub use settings::ConsentSettings;

use crate::config::Settings;
use crate::content::SourcePage;
use crate::deploy::Allowance;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::feature::{BuiltInStatic, Feature, FeatureEntry, LoadedSources, ThirdParty};
use crate::site::Site;
use crate::templates::Slot;

/// The cookie banner, as `build` lists it.
pub const FEATURE: FeatureEntry = FeatureEntry {
    section: "consent",
    templates: &[
        (
            "partials/consent.html",
            include_str!("templates/partials/consent.html"),
        ),
        (
            "partials/consent-head.html",
            include_str!("templates/partials/consent-head.html"),
        ),
        (
            "partials/consent-footer.html",
            include_str!("templates/partials/consent-footer.html"),
        ),
        (
            "partials/consent-analytics.html",
            include_str!("templates/partials/consent-analytics.html"),
        ),
        (
            "partials/consent-cookies.html",
            include_str!("templates/partials/consent-cookies.html"),
        ),
        (
            "partials/consent-declaration.html",
            include_str!("templates/partials/consent-declaration.html"),
        ),
        (
            "shortcodes/cookie_declaration.html",
            include_str!("templates/shortcodes/cookie_declaration.html"),
        ),
        ("privacy.html", include_str!("templates/privacy.html")),
    ],
    slots: &[
        (Slot::Head, "partials/consent-head.html"),
        (Slot::BodyStart, "partials/consent.html"),
        (Slot::Footer, "partials/consent-footer.html"),
    ],
    functions: &[],
    configure,
};

fn configure(settings: &Settings, problems: &mut Diagnostics) -> Box<dyn Feature> {
    let file = &settings.file;
    let raw = match file.section(FEATURE.section) {
        Ok(raw) => raw,
        Err(problem) => {
            problems.push(*problem);
            None
        }
    };
    Box::new(Consent {
        settings: settings::read(raw, file, problems),
        usage: None,
        third_parties: Vec::new(),
    })
}

/// The cookie banner of one site.
pub struct Consent {
    settings: ConsentSettings,
    /// What the site gates, once surveyed; until then every category counts as used.
    usage: Option<usage::Usage>,
    /// What every feature loads from other sites behind consent, once surveyed.
    third_parties: Vec<ThirdParty>,
}

impl Consent {
    /// The settings as the site uses them: only the categories that gate something, and off
    /// when none does.
    fn in_use(&self) -> ConsentSettings {
        let mut settings = self.settings.clone();
        if let Some(usage) = &self.usage {
            settings
                .categories
                .retain(|category| usage.uses(&category.id));
            settings.enabled &= !settings.categories.is_empty();
        }
        settings
    }
}

impl Feature for Consent {
    fn static_files(&self) -> Vec<BuiltInStatic> {
        context::static_files(&self.in_use())
    }

    fn survey_page(
        &self,
        shortcodes: &[(&str, &str)],
        page: &SourcePage,
        body: &str,
    ) -> Vec<String> {
        if !self.settings.enabled {
            return Vec::new();
        }
        usage::page_notes(page, body, shortcodes)
    }

    fn survey_sources(
        &mut self,
        sources: &LoadedSources<'_>,
        notes: Vec<String>,
    ) -> Vec<Diagnostic> {
        if !self.settings.enabled {
            return Vec::new();
        }
        let usage = usage::survey(&self.settings, sources, notes);
        let problems = usage::unused_problems(&self.settings, &usage, &sources.settings.file);
        self.usage = Some(usage);
        problems
    }

    fn csp_allowances(&self) -> Vec<Allowance> {
        context::csp_allowances(&self.settings)
    }

    fn third_parties_known(&mut self, all: &[ThirdParty]) {
        self.third_parties = all.to_vec();
    }

    fn check_sources(&self, sources: &LoadedSources<'_>) -> Vec<Diagnostic> {
        checks::check_sources(&self.settings, sources)
    }

    fn check_page(&self, page: &SourcePage) -> Vec<Diagnostic> {
        let mut problems = checks::check_page(&self.settings, page);
        if let Some(usage) = self.usage.as_ref().filter(|_| self.settings.enabled) {
            problems.extend(usage::undeclared_in_shortcodes(&self.settings, usage, page));
        }
        problems
    }

    fn template_value(&self, site: &Site) -> tera::Value {
        let in_use = self.in_use();
        let mut context = context::ConsentContext::new(&in_use, site);
        context.nothing_optional = self.settings.enabled && !in_use.enabled;
        context.declaration =
            context::declaration(&in_use, self.usage.as_ref(), &self.third_parties);
        tera::Value::from_serializable(&context)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::checks::{check_page, mentions_data_consent, template_problems};
    use super::context::csp_allowances;
    use super::settings::*;
    use super::*;
    use crate::feature::TemplateSource;

    const BASE: &str = "title = \"A\"\nbase_url = \"https://a.com/\"\n";

    /// The site's settings and its consent settings, or every problem.
    fn parse(consent: &str) -> Result<(Settings, ConsentSettings), Diagnostics> {
        let text = format!("{BASE}{consent}");
        let sections = [FEATURE.section];
        let (settings, mut problems) =
            crate::config::parse(&text, PathBuf::from("site.toml"), None, &sections)?;
        let raw = match settings.file.section(FEATURE.section) {
            Ok(raw) => raw,
            Err(problem) => {
                problems.push(*problem);
                return Err(problems);
            }
        };
        let consent = settings::read(raw, &settings.file, &mut problems);
        if problems.has_errors() {
            return Err(problems);
        }
        Ok((settings, consent))
    }

    fn consent(text: &str) -> ConsentSettings {
        match parse(text) {
            Ok((_, consent)) => consent,
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
        let (settings, consent) = parse(consent_toml).unwrap();
        let paths: Vec<PathBuf> = templates
            .iter()
            .map(|(path, _)| PathBuf::from(path))
            .collect();
        let templates: Vec<TemplateSource> = paths
            .iter()
            .zip(templates)
            .map(|(path, (_, text))| TemplateSource { path, text })
            .collect();
        let sources = LoadedSources {
            settings: &settings,
            pages,
            templates: &templates,
            drafts: false,
            shortcodes: &[],
        };
        let mut problems = Diagnostics::default();
        problems.extend(checks::check_sources(&consent, &sources));
        for page in pages {
            problems.extend(check_page(&consent, page));
        }
        problems
    }

    /// The banner of a site with these settings, pages and templates, once surveyed, with the
    /// survey's warnings.
    fn surveyed(
        consent_toml: &str,
        pages: &[SourcePage],
        templates: &[(&str, &str)],
    ) -> (Consent, Vec<Diagnostic>) {
        surveyed_with_shortcodes(consent_toml, pages, templates, &[])
    }

    fn surveyed_with_shortcodes(
        consent_toml: &str,
        pages: &[SourcePage],
        templates: &[(&str, &str)],
        shortcodes: &[(&str, &str)],
    ) -> (Consent, Vec<Diagnostic>) {
        let (settings, consent) = parse(consent_toml).unwrap();
        let paths: Vec<PathBuf> = templates.iter().map(|(path, _)| path.into()).collect();
        let templates: Vec<TemplateSource> = paths
            .iter()
            .zip(templates)
            .map(|(path, (_, text))| TemplateSource { path, text })
            .collect();
        let sources = LoadedSources {
            settings: &settings,
            pages,
            templates: &templates,
            drafts: false,
            shortcodes,
        };
        let mut banner = Consent {
            settings: consent,
            usage: None,
            third_parties: Vec::new(),
        };
        let problems = crate::feature::survey(&mut [&mut banner], &sources, None);
        (banner, problems)
    }

    fn asked_about(banner: &Consent) -> Vec<String> {
        banner.in_use().category_ids().map(String::from).collect()
    }

    fn gating(category: &str) -> String {
        format!(
            "+++\ntitle = \"A\"\n+++\n\n<script type=\"text/plain\" data-consent=\"{category}\">x()</script>\n"
        )
    }

    fn privacy() -> SourcePage {
        page("privacy.md", "+++\ntitle = \"Privacy\"\n+++\nText\n")
    }

    #[test]
    fn the_banner_asks_only_about_categories_that_gate_something() {
        let article = page("a.md", &gating("marketing"));
        let (banner, problems) = surveyed("[consent]\n", &[privacy(), article], &[]);
        assert_eq!(asked_about(&banner), ["marketing"]);
        // Unused default categories are left out without a word.
        assert!(problems.is_empty(), "{problems:?}");
        assert!(banner.in_use().enabled);
        assert!(!banner.static_files().is_empty());
    }

    #[test]
    fn analytics_settings_and_site_templates_gate_their_categories() {
        let (banner, _) = surveyed(
            "[consent]\nplausible_domain = \"a.com\"\n",
            &[privacy()],
            &[],
        );
        assert_eq!(asked_about(&banner), ["analytics"]);
        let template = "{% block main %}<iframe data-consent=\"marketing\" data-src=\"{{ page.extra }}\" title=\"v\"></iframe>{% endblock %}";
        let (banner, _) = surveyed(
            "[consent]\n",
            &[privacy()],
            &[("templates/page.html", template)],
        );
        assert_eq!(asked_about(&banner), ["marketing"]);
        // A category Tera computes could be any of them.
        let computed =
            "<script type=\"text/plain\" data-consent=\"{{ page.extra.gate }}\"></script>";
        let (banner, _) = surveyed(
            "[consent]\n",
            &[privacy()],
            &[("templates/page.html", computed)],
        );
        assert_eq!(asked_about(&banner), ["analytics", "marketing", "booking"]);
    }

    #[test]
    fn code_examples_and_drafts_gate_nothing() {
        let code = page(
            "code.md",
            "+++\ntitle = \"C\"\n+++\n\n```html\n<script type=\"text/plain\" data-consent=\"marketing\"></script>\n```\n\n`data-consent=\"analytics\"`\n",
        );
        let draft = page(
            "draft.md",
            &gating("analytics").replace("+++\n\n", "draft = true\n+++\n\n"),
        );
        let (banner, _) = surveyed("[consent]\n", &[privacy(), code, draft], &[]);
        assert!(asked_about(&banner).is_empty());
    }

    #[test]
    fn a_declared_category_that_gates_nothing_is_a_warning_at_its_line() {
        let toml = "[consent]\n[[consent.categories]]\nid = \"video\"\nlabel = \"Videos\"\n\
                    [[consent.categories]]\nid = \"maps\"\nlabel = \"Maps\"\n";
        let (banner, problems) = surveyed(toml, &[privacy(), page("a.md", &gating("video"))], &[]);
        assert_eq!(asked_about(&banner), ["video"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let problem = &problems[0];
        assert!(!problem.is_error());
        assert_eq!(
            problem.message,
            "the consent category `maps` gates nothing on the site, so the banner does not ask about it"
        );
        assert_eq!(problem.file, PathBuf::from("site.toml"));
        assert_eq!(problem.location.unwrap().line, 8);
        assert!(
            problem
                .help
                .as_deref()
                .unwrap()
                .contains("data-consent=\"maps\"")
        );
    }

    #[test]
    fn a_site_that_gates_nothing_gets_no_banner_and_is_told_why() {
        let (banner, problems) = surveyed("\n[consent]\nrevision = 2\n", &[privacy()], &[]);
        assert!(!banner.in_use().enabled);
        assert!(
            banner.static_files().is_empty(),
            "no consent.js or consent.css"
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(!problems[0].is_error());
        assert!(
            problems[0]
                .message
                .contains("nothing on the site needs consent")
        );
        assert_eq!(problems[0].location.unwrap().line, 4);
        // A banner that is off is not a surprise: nothing to say.
        let (_, problems) = surveyed("[consent]\nenabled = false\n", &[privacy()], &[]);
        assert!(problems.is_empty());
    }

    const VIDEO: (&str, &str) = (
        "video",
        "<iframe data-consent=\"marketing\" data-src=\"https://v.example/{{ id }}\" title=\"{{ title }}\"></iframe>",
    );

    #[test]
    fn a_shortcode_gates_what_its_template_gates() {
        let article = page(
            "a.md",
            "+++\ntitle = \"A\"\n+++\n\n{{ video(id=\"1\") }}\n\n```\n{{ other(id=\"1\") }}\n```\n",
        );
        let other = (
            "other",
            "<script type=\"text/plain\" data-consent=\"analytics\"></script>",
        );
        let (banner, problems) = surveyed_with_shortcodes(
            "[consent]\n",
            &[privacy(), article.clone()],
            &[],
            &[VIDEO, other],
        );
        assert_eq!(asked_about(&banner), ["marketing"]);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(banner.check_page(&article).is_empty());
    }

    #[test]
    fn a_shortcode_gated_by_an_undeclared_category_is_an_error_at_it() {
        let article = page(
            "a.md",
            "+++\ntitle = \"A\"\n+++\n\nText.\n\n{{ video(id=\"1\") }}\n",
        );
        let toml = "[consent]\n[[consent.categories]]\nid = \"video\"\nlabel = \"Videos\"\n";
        let (banner, _) =
            surveyed_with_shortcodes(toml, &[privacy(), article.clone()], &[], &[VIDEO]);
        let problems = banner.check_page(&article);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].message,
            "`video` is gated as `marketing`, which is not a consent category"
        );
        assert_eq!(problems[0].location.unwrap().line, 7);
        assert!(
            problems[0]
                .help
                .as_deref()
                .unwrap()
                .contains("templates/shortcodes/video.html")
        );
    }

    #[test]
    fn no_section_means_no_banner() {
        let settings = consent("");
        assert!(!settings.enabled);
        assert!(!consent("[consent]\nenabled = false\n").enabled);
    }

    #[test]
    fn defaults_ask_for_analytics_marketing_and_booking() {
        let settings = consent("[consent]\n");
        assert!(settings.enabled);
        assert_eq!(settings.revision, 1);
        assert_eq!(settings.expiry_days, 182);
        assert!(settings.cookie_name.contains("consent"));
        assert_eq!(
            settings.category_ids().collect::<Vec<_>>(),
            ["analytics", "marketing", "booking"]
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
        let (message, line, help) = settings_problem(&format!(
            "[consent]\n{}cookies = [{{ retention = \"1 day\" }}]\n",
            category("ads")
        ));
        assert!(message.contains("cannot be read"), "{message}");
        assert!(help.contains("`name` is required"), "{help}");
        assert_eq!(line, 7);
        let (message, _, _) =
            settings_problem(&format!("[consent]\n{}cookies = [3]\n", category("ads")));
        assert_eq!(message, "a cookie is a name or a table");
    }

    #[test]
    fn a_cookie_is_a_name_or_a_table_with_its_retention_and_purpose() {
        let settings = consent(
            "[consent]\n[[consent.categories]]\nid = \"booking\"\nlabel = \"Booking\"\n\
             cookies = [\"a\", { name = \"b*\", retention = \" 1 year \", purpose = \"Why.\" }]\n",
        );
        let category = &settings.categories[0];
        assert_eq!(category.cookies, ["a", "b*"]);
        assert_eq!(
            category.declared_cookies,
            [
                DeclaredCookie {
                    name: "a".into(),
                    ..DeclaredCookie::default()
                },
                DeclaredCookie {
                    name: "b*".into(),
                    retention: "1 year".into(),
                    purpose: "Why.".into()
                }
            ]
        );
    }

    #[test]
    fn a_refusal_lasts_its_own_days_and_gpc_is_honoured_unless_a_category_opts_out() {
        let defaults = consent("[consent]\n");
        assert_eq!((defaults.expiry_days, defaults.refusal_days), (182, 182));
        assert!(defaults.categories.iter().all(|c| c.honour_gpc));
        assert!(defaults.gpc_notice.contains("Global Privacy Control"));
        let settings = consent(
            "[consent]\nexpiry_days = 365\nrefusal_days = 30\ngpc_notice = \"Signal seen.\"\n\
             [[consent.categories]]\nid = \"booking\"\nlabel = \"Booking\"\nhonour_gpc = false\n\
             [[consent.categories]]\nid = \"analytics\"\nlabel = \"Analytics\"\n",
        );
        assert_eq!((settings.expiry_days, settings.refusal_days), (365, 30));
        assert_eq!(settings.gpc_notice, "Signal seen.");
        let honoured: Vec<bool> = settings.categories.iter().map(|c| c.honour_gpc).collect();
        assert_eq!(honoured, [false, true]);
        let (message, line, help) = settings_problem("[consent]\nrefusal_days = 396\n");
        assert_eq!(message, "`refusal_days` must be between 1 and 395");
        assert_eq!(line, 4);
        assert!(help.contains("six months"), "{help}");
        assert_eq!(
            settings_problem("[consent]\ngpc_notice = \" \"\n").0,
            "`gpc_notice` is empty"
        );
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
        let theme = crate::theme::TEMPLATES.iter();
        for &(name, text) in FEATURE.templates.iter().chain(theme) {
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
            assert!(
                !context::SCRIPT.contains(forbidden),
                "consent.js uses {forbidden}"
            );
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
            .write_all(context::SCRIPT.as_bytes())
            .unwrap();
        let compressed = gzip.wait_with_output().unwrap().stdout;
        assert!(
            compressed.len() < 3 * 1024,
            "consent.js is {} bytes gzipped",
            compressed.len()
        );
    }
}
