//! Embeds: the built-in `youtube`, `vimeo`, `booking` and `map` shortcodes
//! (`templates/shortcodes/`), each a frame gated by a consent category behind a placeholder of
//! its size; `embeds.js` and `embeds.css`, and the frames' origins in the CSP's `frame-src`,
//! only on sites that use them. Checks the built-in shortcodes' arguments at their place in
//! the Markdown.

mod frames;

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Deserialize;
use tera::Kwargs;

use crate::config::Settings;
use crate::content::SourcePage;
use crate::deploy::Allowance;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::feature::{
    BuiltInStatic, Feature, FeatureEntry, LoadedSources, TemplateFunction, ThirdParty,
};
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
        (
            "shortcodes/booking.html",
            include_str!("templates/shortcodes/booking.html"),
        ),
        (
            "shortcodes/map.html",
            include_str!("templates/shortcodes/map.html"),
        ),
        (
            "partials/embed-actions.html",
            include_str!("templates/partials/embed-actions.html"),
        ),
    ],
    slots: &[],
    functions: &[EMBED_FRAME],
    configure,
};

/// The template function that makes a `booking` or `map` frame from the shortcode's arguments.
const EMBED_FRAME: &str = "embed_frame";

/// A built-in embed shortcode: the arguments it takes, the consent category its template gates
/// it by, and what a site uses it for (in the cookie declaration).
struct BuiltIn {
    shortcode: &'static str,
    arguments: &'static [&'static str],
    category: &'static str,
    purpose: &'static str,
}

const BUILT_INS: [BuiltIn; 4] = [
    BuiltIn {
        shortcode: "youtube",
        arguments: &["id", "title"],
        category: "marketing",
        purpose: "videos",
    },
    BuiltIn {
        shortcode: "vimeo",
        arguments: &["id", "title"],
        category: "marketing",
        purpose: "videos",
    },
    BuiltIn {
        shortcode: "booking",
        arguments: &["provider", "url", "title"],
        category: "booking",
        purpose: "booking calendar",
    },
    BuiltIn {
        shortcode: "map",
        arguments: &[
            "provider", "lat", "lon", "zoom", "bbox", "url", "query", "title",
        ],
        category: "marketing",
        purpose: "maps",
    },
];

/// A built-in video: its shortcode, the origin of its frames, and what its `id` is.
struct Video {
    shortcode: &'static str,
    provider: &'static str,
    origin: &'static str,
    valid_id: fn(&str) -> bool,
    id_help: &'static str,
}

const VIDEOS: [Video; 2] = [
    Video {
        shortcode: "youtube",
        provider: "YouTube",
        origin: "https://www.youtube-nocookie.com",
        valid_id: |id| {
            id.len() == 11
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        },
        id_help: "give the video's 11-character id, from its address: youtube.com/watch?v=ID",
    },
    Video {
        shortcode: "vimeo",
        provider: "Vimeo",
        origin: "https://player.vimeo.com",
        valid_id: |id| !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()),
        id_help: "give the video's number, from its address: vimeo.com/NUMBER",
    },
];

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
    /// The frames they show: by shortcode, their origin and provider.
    frames: BTreeSet<(&'static str, String, String)>,
    /// The built-in shortcodes the site replaces with its own template: their arguments are
    /// its own.
    replaced: BTreeSet<&'static str>,
}

/// Between a shortcode's name and its frame's origin in a survey's note.
const NOTE_SEPARATOR: char = ' ';

impl Feature for Embeds {
    /// `NAME ORIGIN PROVIDER` for each built-in embed (`NAME` alone when its arguments give no
    /// frame).
    fn survey_page(&self, _: &[(&str, &str)], page: &SourcePage, body: &str) -> Vec<String> {
        let (calls, _) = page.shortcodes_in(body);
        calls
            .into_iter()
            .map(|call| match frame_of(&call) {
                Some((origin, provider)) => {
                    format!(
                        "{}{NOTE_SEPARATOR}{origin}{NOTE_SEPARATOR}{provider}",
                        call.name
                    )
                }
                None => call.name,
            })
            .collect()
    }

    fn survey_sources(
        &mut self,
        sources: &LoadedSources<'_>,
        notes: Vec<String>,
    ) -> Vec<Diagnostic> {
        for note in &notes {
            let mut parts = note.splitn(3, NOTE_SEPARATOR);
            let name = parts.next().unwrap_or_default();
            let Some(built_in) = BUILT_INS.iter().find(|b| b.shortcode == name) else {
                continue;
            };
            self.used.insert(built_in.shortcode);
            if let (Some(origin), Some(provider)) = (parts.next(), parts.next()) {
                self.frames
                    .insert((built_in.shortcode, origin.into(), provider.into()));
            }
        }
        for built_in in &BUILT_INS {
            let own = crate::shortcodes::template_name(built_in.shortcode);
            if sources.templates.iter().any(|t| t.path.ends_with(&own)) {
                self.replaced.insert(built_in.shortcode);
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
        let origins: BTreeSet<&String> = self.frames.iter().map(|(_, origin, _)| origin).collect();
        origins
            .into_iter()
            .map(|origin| ("frame-src".to_string(), origin.clone()))
            .collect()
    }

    fn third_parties(&self) -> Vec<ThirdParty> {
        self.frames
            .iter()
            .filter_map(|(shortcode, origin, provider)| {
                let built_in = BUILT_INS.iter().find(|b| b.shortcode == *shortcode)?;
                Some(ThirdParty {
                    category: built_in.category.into(),
                    provider: provider.clone(),
                    origin: origin.clone(),
                    purpose: built_in.purpose.into(),
                })
            })
            .collect()
    }

    fn check_page(&self, page: &SourcePage) -> Vec<Diagnostic> {
        let (calls, _) = page.shortcodes_in(page.body());
        calls
            .iter()
            .filter_map(|call| {
                let built_in = BUILT_INS.iter().find(|b| b.shortcode == call.name)?;
                (!self.replaced.contains(built_in.shortcode))
                    .then(|| argument_problems(built_in, call, page))
            })
            .flatten()
            .collect()
    }

    fn template_functions(&self) -> Vec<(&'static str, TemplateFunction)> {
        vec![(
            EMBED_FRAME,
            Arc::new(|kwargs: Kwargs, _: &tera::State| embed_frame(&kwargs)),
        )]
    }

    fn template_value(&self, _site: &Site) -> tera::Value {
        tera::Value::from_serializable(&self.used)
    }
}

/// A call's arguments by name; an empty one counts as not given, as the templates pass an
/// argument left out as "".
fn args_of(call: &Call) -> frames::Args<'_> {
    call.args
        .iter()
        .filter(|arg| !arg.value.trim().is_empty())
        .map(|arg| (arg.name.as_str(), arg.value.as_str()))
        .collect()
}

/// The origin and provider of the frame a built-in embed shows, when its arguments are good.
fn frame_of(call: &Call) -> Option<(String, String)> {
    if let Some(video) = VIDEOS.iter().find(|v| v.shortcode == call.name) {
        return Some((video.origin.into(), video.provider.into()));
    }
    let frame = frames::frame(&call.name, &args_of(call))?.ok()?;
    Some((frame.origin, frame.provider.into()))
}

/// `embed_frame(shortcode="booking" or "map", …the shortcode's arguments)`: the frame's
/// `frame` and `link` addresses, `origin` and `provider` name. With `checked=true` (the
/// built-in shortcodes, whose arguments `check_page` reports at their place in the Markdown),
/// bad arguments give empty addresses instead of a second, less precise error.
fn embed_frame(kwargs: &Kwargs) -> tera::TeraResult<tera::Value> {
    let shortcode: &str = kwargs.must_get("shortcode")?;
    let checked: bool = kwargs.get("checked")?.unwrap_or(false);
    let written: Vec<(&str, String)> = kwargs
        .iter()
        .filter_map(|(key, value)| {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            Some((key.as_str()?, text))
        })
        .filter(|(key, text)| !["shortcode", "checked"].contains(key) && !text.trim().is_empty())
        .collect();
    let args: frames::Args = written
        .iter()
        .map(|(key, text)| (*key, text.as_str()))
        .collect();
    let failed = |message: String| tera::Error::message(format!("{EMBED_FRAME}: {message}"));
    match frames::frame(shortcode, &args) {
        None => Err(failed(format!("`{shortcode}` is not `booking` or `map`"))),
        Some(Err(_)) if checked => Ok(tera::Value::from_serializable(&frames::Frame::default())),
        Some(Err(problem)) => Err(failed(format!("{}; {}", problem.message, problem.help))),
        Some(Ok(frame)) => Ok(tera::Value::from_serializable(&frame)),
    }
}

/// The problems of a built-in shortcode's arguments, at the argument (or the shortcode).
fn argument_problems(built_in: &BuiltIn, call: &Call, page: &SourcePage) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for arg in &call.args {
        if !built_in.arguments.contains(&arg.name.as_str()) {
            problems.push(
                page.body_error(
                    arg.span.clone(),
                    format!("`{}` takes no argument `{}`", call.name, arg.name),
                )
                .with_help(format!(
                    "its arguments are {}",
                    built_in
                        .arguments
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    match VIDEOS.iter().find(|v| v.shortcode == call.name) {
        Some(video) => problems.extend(video_id_problem(video, call, page)),
        None => problems.extend(frame_problem(call, page)),
    }
    if call
        .arg("title")
        .is_some_and(|title| title.value.trim().is_empty())
    {
        problems.push(
            page.body_error(call.span.clone(), "`title` is empty")
                .with_help("say what the frame shows: its title names it for screen readers"),
        );
    }
    problems
}

fn video_id_problem(video: &Video, call: &Call, page: &SourcePage) -> Option<Diagnostic> {
    match call.arg("id") {
        None => Some(
            page.body_error(
                call.span.clone(),
                format!("`{}` needs the video's `id`", call.name),
            )
            .with_help(video.id_help),
        ),
        Some(id) if !(video.valid_id)(&id.value) => Some(
            page.body_error(
                id.span.clone(),
                format!("`{}` is not a {} video id", id.value, call.name),
            )
            .with_help(video.id_help),
        ),
        Some(_) => None,
    }
}

/// What is wrong with the arguments of a `booking` or `map`, at the argument it is about; a
/// warning for a booking page that is still a placeholder.
fn frame_problem(call: &Call, page: &SourcePage) -> Option<Diagnostic> {
    let problem = match frames::frame(&call.name, &args_of(call))? {
        Ok(frame) => return placeholder_warning(call, page, &frame),
        Err(problem) => problem,
    };
    let span = problem
        .arg
        .and_then(|name| call.arg(name))
        .map_or_else(|| call.span.clone(), |arg| arg.span.clone());
    Some(
        page.body_error(span, problem.message)
            .with_help(problem.help),
    )
}

fn placeholder_warning(
    call: &Call,
    page: &SourcePage,
    frame: &frames::Frame,
) -> Option<Diagnostic> {
    if call.name != "booking" || !frames::is_placeholder_booking(frame) {
        return None;
    }
    let span = call
        .arg("url")
        .map_or_else(|| call.span.clone(), |url| url.span.clone());
    let mut warning = page
        .body_error(span, format!("the booking page `{}` is a placeholder", frame.link))
        .with_help(format!(
            "replace it with the firm's own {} booking page before publishing: visitors who load this one find no calendar",
            frame.provider
        ));
    warning.severity = crate::diagnostics::Severity::Warning;
    Some(warning)
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

    #[test]
    fn booking_and_map_frames_join_the_csp_by_their_origin() {
        let article = page(
            "a.md",
            "{{ booking(provider=\"calendly\", url=\"https://calendly.com/aim/intro\") }}\n\n\
             {{ map(lat=\"51.5\", lon=\"-0.12\") }}\n\n\
             {{ map(provider=\"google\", query=\"Big Ben\") }}",
        );
        let embeds = surveyed(&[article], &[]);
        let origins: Vec<String> = embeds
            .csp_allowances()
            .into_iter()
            .map(|(directive, origin)| {
                assert_eq!(directive, "frame-src");
                origin
            })
            .collect();
        assert_eq!(
            origins,
            [
                "https://calendly.com",
                "https://www.google.com",
                "https://www.openstreetmap.org"
            ]
        );
        assert_eq!(embeds.static_files().len(), 2);
    }

    #[test]
    fn bad_booking_and_map_arguments_are_errors_at_their_place() {
        let article = page(
            "a.md",
            "Text.\n\n{{ booking(provider=\"calcom\", url=\"http://cal.com/aim\") }}\n\n\
             {{ booking(provider=\"doodle\", url=\"https://doodle.com/a\") }}\n\n\
             {{ map(zoom=3) }}\n\n{{ map(lat=\"51.5\", lon=\"-0.12\", colour=\"red\") }}",
        );
        let embeds = surveyed(std::slice::from_ref(&article), &[]);
        let problems: Vec<(usize, usize, String)> = embeds
            .check_page(&article)
            .into_iter()
            .map(|problem| {
                let at = problem.location.expect("a located problem");
                assert!(problem.help.is_some(), "{problem:?}");
                assert_eq!(problem.file, PathBuf::from("content/a.md"));
                (at.line, at.column, problem.message)
            })
            .collect();
        assert_eq!(
            problems,
            [
                (
                    7,
                    35,
                    "`http://cal.com/aim` is not an https:// address".to_string()
                ),
                (9, 21, "`doodle` is not a booking provider".to_string()),
                (11, 1, "`map` needs a place or an area".to_string()),
                (13, 40, "`map` takes no argument `colour`".to_string()),
            ]
        );
        // Bad arguments give no frame, so no origin: only the last map's.
        assert_eq!(
            embeds.csp_allowances(),
            [(
                "frame-src".to_string(),
                "https://www.openstreetmap.org".to_string()
            )]
        );
    }

    #[test]
    fn a_placeholder_booking_page_is_a_warning_at_its_url() {
        let article = page(
            "a.md",
            "{{ booking(provider=\"calcom\", url=\"https://cal.com/example/intro\") }}",
        );
        let problems = surveyed(std::slice::from_ref(&article), &[]).check_page(&article);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(!problems[0].is_error());
        assert_eq!(
            problems[0].message,
            "the booking page `https://cal.com/example/intro` is a placeholder"
        );
        assert_eq!(problems[0].location.map(|at| at.column), Some(35));
    }
}
