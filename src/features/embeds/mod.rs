//! Embeds: the built-in `youtube` and `vimeo` shortcodes (`templates/shortcodes/`), each a
//! frame gated as `marketing` behind a placeholder of its size; `embeds.js` and `embeds.css`,
//! and the frames' origins in the CSP's `frame-src`, only on sites that use them. Checks the
//! built-in shortcodes' arguments at their place in the Markdown.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::config::Settings;
use crate::content::SourcePage;
use crate::deploy::Allowance;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::feature::{BuiltInStatic, Feature, FeatureEntry, LoadedSources};
use crate::shortcodes::Call;
use crate::site::Site;

/// The embeds, as `build` lists them.
pub const FEATURE: FeatureEntry = FeatureEntry {
    section: "embeds",
    templates: &[
        (
            "shortcodes/youtube.html",
            include_str!("templates/shortcodes/youtube.html"),
        ),
        (
            "shortcodes/vimeo.html",
            include_str!("templates/shortcodes/vimeo.html"),
        ),
    ],
    slots: &[],
    functions: &[],
    configure,
};

/// A built-in embed: its shortcode, the origin of its frames, and what its `id` is.
struct Provider {
    shortcode: &'static str,
    origin: &'static str,
    valid_id: fn(&str) -> bool,
    id_help: &'static str,
}

const PROVIDERS: [Provider; 2] = [
    Provider {
        shortcode: "youtube",
        origin: "https://www.youtube-nocookie.com",
        valid_id: |id| {
            id.len() == 11
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        },
        id_help: "give the video's 11-character id, from its address: youtube.com/watch?v=ID",
    },
    Provider {
        shortcode: "vimeo",
        origin: "https://player.vimeo.com",
        valid_id: |id| !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()),
        id_help: "give the video's number, from its address: vimeo.com/NUMBER",
    },
];

/// The arguments the built-in shortcodes take.
const ARGUMENTS: [&str; 2] = ["id", "title"];

const STATIC: [BuiltInStatic; 2] = [
    ("embeds.js", include_bytes!("static/embeds.js")),
    ("embeds.css", include_bytes!("static/embeds.css")),
];

/// `[embeds]` has no settings yet; a key there is a mistake.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmbeds {}

fn configure(settings: &Settings, problems: &mut Diagnostics) -> Box<dyn Feature> {
    if let Err(problem) = settings.file.section::<RawEmbeds>(FEATURE.section) {
        problems.push(*problem);
    }
    Box::new(Embeds::default())
}

/// The embeds of one site.
#[derive(Default)]
pub struct Embeds {
    /// The built-in shortcodes the published pages use, once surveyed.
    used: BTreeSet<&'static str>,
    /// The built-in shortcodes the site replaces with its own template: their arguments are
    /// its own.
    replaced: BTreeSet<&'static str>,
}

impl Feature for Embeds {
    fn survey_page(&self, _: &[(&str, &str)], _: &SourcePage, body: &str) -> Vec<String> {
        let (calls, _) = crate::markdown::find_shortcodes(body);
        calls.into_iter().map(|call| call.name).collect()
    }

    fn survey_sources(
        &mut self,
        sources: &LoadedSources<'_>,
        notes: Vec<String>,
    ) -> Vec<Diagnostic> {
        for provider in &PROVIDERS {
            if notes.iter().any(|name| name == provider.shortcode) {
                self.used.insert(provider.shortcode);
            }
            let own = crate::shortcodes::template_name(provider.shortcode);
            if sources.templates.iter().any(|t| t.path.ends_with(&own)) {
                self.replaced.insert(provider.shortcode);
            }
        }
        Vec::new()
    }

    fn static_files(&self) -> Vec<BuiltInStatic> {
        if self.used.is_empty() {
            return Vec::new();
        }
        STATIC.to_vec()
    }

    fn csp_allowances(&self) -> Vec<Allowance> {
        PROVIDERS
            .iter()
            .filter(|provider| self.used.contains(provider.shortcode))
            .map(|provider| ("frame-src".to_string(), provider.origin.to_string()))
            .collect()
    }

    fn check_page(&self, page: &SourcePage) -> Vec<Diagnostic> {
        let (calls, _) = crate::markdown::find_shortcodes(page.body());
        calls
            .iter()
            .filter_map(|call| {
                let provider = PROVIDERS.iter().find(|p| p.shortcode == call.name)?;
                (!self.replaced.contains(provider.shortcode))
                    .then(|| argument_problems(provider, call, page))
            })
            .flatten()
            .collect()
    }

    fn template_value(&self, _site: &Site) -> tera::Value {
        tera::Value::from_serializable(&self.used)
    }
}

/// The problems of a built-in shortcode's arguments, at the argument (or the shortcode).
fn argument_problems(provider: &Provider, call: &Call, page: &SourcePage) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for arg in &call.args {
        if !ARGUMENTS.contains(&arg.name.as_str()) {
            problems.push(
                page.body_error(
                    arg.span.clone(),
                    format!("`{}` takes no argument `{}`", call.name, arg.name),
                )
                .with_help(format!(
                    "its arguments are {}",
                    ARGUMENTS.map(|a| format!("`{a}`")).join(", ")
                )),
            );
        }
    }
    match call.arg("id") {
        None => problems.push(
            page.body_error(
                call.span.clone(),
                format!("`{}` needs the video's `id`", call.name),
            )
            .with_help(provider.id_help),
        ),
        Some(id) if !(provider.valid_id)(&id.value) => problems.push(
            page.body_error(
                id.span.clone(),
                format!("`{}` is not a {} video id", id.value, call.name),
            )
            .with_help(provider.id_help),
        ),
        Some(_) => {}
    }
    if call
        .arg("title")
        .is_some_and(|title| title.value.trim().is_empty())
    {
        problems.push(
            page.body_error(call.span.clone(), "`title` is empty")
                .with_help("say what the video is: the frame's title names it for screen readers"),
        );
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::feature::TemplateSource;

    fn page(source: &str, body: &str) -> SourcePage {
        let text = format!("+++\ntitle = \"T\"\n+++\n\n{body}\n");
        crate::content::parse_page(text, source.into(), format!("content/{source}").into()).unwrap()
    }

    /// The feature after a survey of these pages and site templates.
    fn surveyed(pages: &[SourcePage], templates: &[(&str, &str)]) -> Embeds {
        let text = "title = \"A\"\nbase_url = \"https://a.com/\"\n";
        let (settings, _) =
            crate::config::parse(text, PathBuf::from("site.toml"), None, &[FEATURE.section])
                .unwrap();
        let paths: Vec<PathBuf> = templates.iter().map(|(path, _)| path.into()).collect();
        let templates: Vec<TemplateSource> = paths
            .iter()
            .zip(templates)
            .map(|(path, (_, text))| TemplateSource { path, text })
            .collect();
        let mut embeds = Embeds::default();
        crate::feature::survey(
            &mut [&mut embeds],
            &LoadedSources {
                settings: &settings,
                pages,
                templates: &templates,
                drafts: false,
                shortcodes: &[],
            },
            None,
        );
        embeds
    }

    #[test]
    fn files_and_frame_origins_only_for_the_embeds_a_site_uses() {
        let none = surveyed(
            &[page("a.md", "```\n{{ youtube(id=\"dQw4w9WgXcQ\") }}\n```")],
            &[],
        );
        assert!(none.static_files().is_empty());
        assert!(none.csp_allowances().is_empty());
        let youtube = surveyed(&[page("a.md", "{{ youtube(id=\"dQw4w9WgXcQ\") }}")], &[]);
        assert_eq!(youtube.static_files().len(), 2);
        assert_eq!(
            youtube.csp_allowances(),
            [(
                "frame-src".to_string(),
                "https://www.youtube-nocookie.com".to_string()
            )]
        );
        let mut draft = page("d.md", "{{ vimeo(id=\"1\") }}");
        draft.front.draft = true;
        assert!(surveyed(&[draft], &[]).csp_allowances().is_empty());
    }

    #[test]
    fn a_replaced_shortcode_takes_the_sites_arguments() {
        let article = page("a.md", "{{ youtube(id=\"x\", start=30) }}");
        assert_eq!(surveyed(&[], &[]).check_page(&article).len(), 2);
        let own = surveyed(
            &[],
            &[("templates/shortcodes/youtube.html", "<p>{{ id }}</p>")],
        );
        assert!(own.check_page(&article).is_empty());
    }
}
