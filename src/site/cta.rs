//! The call to action (`[cta]`) with its target resolved, as every page shows it.

use crate::config::{CallToAction, MenuTarget, Settings};
use crate::diagnostics::Diagnostics;
use crate::markdown::{LinkProblemKind, ResolveSource};

/// The call to action, ready for templates.
#[derive(Debug, Clone)]
pub struct CallToActionLink {
    pub label: String,
    /// Ready for `href`: absolute for external links, with the base path otherwise.
    pub url: String,
    pub heading: String,
    pub text: String,
    pub articles: bool,
}

/// The call to action, or none when its default target (`@/contact.md`) is not in the site.
/// A target the site's settings name but the site lacks is an error at its line.
pub fn resolve(
    settings: &Settings,
    resolver: &dyn ResolveSource,
    problems: &mut Diagnostics,
) -> Option<CallToActionLink> {
    let cta: &CallToAction = &settings.cta;
    let url = match &cta.target {
        MenuTarget::External(url) => url.clone(),
        MenuTarget::SitePath(path) => format!("{}{path}", settings.base_url.path),
        // The default target, on a site without it: no link, and no suggestion to work out
        // among every page for a message never shown.
        MenuTarget::Content { source, .. }
            if !cta.target_written && !resolver.is_published(source) =>
        {
            return None;
        }
        MenuTarget::Content { source, span } => match resolver.resolve(source) {
            Ok(url) => url,
            Err(_) if !cta.target_written => return None,
            Err(kind) => {
                let why = match kind {
                    LinkProblemKind::Draft => "which is a draft",
                    LinkProblemKind::Scheduled => {
                        "which is dated after today and not published yet"
                    }
                    LinkProblemKind::Missing { .. } => "which does not exist",
                };
                problems.push(
                    settings
                        .file
                        .error_at(span.clone(), format!("the call to action links to `content/{source}`, {why}"))
                        .with_help("point `target` in [cta] at a published file below content/, such as \"@/contact.md\""),
                );
                return None;
            }
        },
    };
    Some(CallToActionLink {
        label: cta.label.clone(),
        url,
        heading: cta.heading.clone(),
        text: cta.text.clone(),
        articles: cta.articles,
    })
}
