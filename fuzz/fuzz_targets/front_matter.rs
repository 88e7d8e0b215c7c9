//! A content file, as any bytes: split into front matter and body, the TOML parsed and checked,
//! every problem located and printed. Must never panic; every problem names the file, and a
//! located one a line and column inside it.

#![no_main]

use std::path::{Path, PathBuf};

use aimsite::content;
use aimsite::date::PageDate;
use aimsite::diagnostics::Diagnostic;
use aimsite::markdown::{self, LinkProblemKind, ResolveSource};
use libfuzzer_sys::fuzz_target;

/// One source path per kind of page: the home page, the article list, an article, a page.
const SOURCES: [&str; 4] = [
    "_index.md",
    "articles/_index.md",
    "articles/fuzz.md",
    "fuzz.md",
];

/// Knows no page, as for a site of one file.
struct NoPages;

impl ResolveSource for NoPages {
    fn resolve(&self, _: &str) -> Result<String, LinkProblemKind> {
        Err(LinkProblemKind::Missing { suggestion: None })
    }
}

fn check_located(diagnostic: &Diagnostic, file: &Path, text: &str) {
    assert_eq!(diagnostic.file, file, "{diagnostic}");
    if let Some(location) = diagnostic.location {
        let lines = text.split('\n').count();
        assert!(location.line >= 1 && location.line <= lines, "{diagnostic}");
        assert!(location.column >= 1, "{diagnostic}");
    }
    let shown = diagnostic.to_string();
    assert!(shown.contains(&file.display().to_string()), "{shown}");
}

fuzz_target!(|data: &[u8]| {
    let source = SOURCES[data.len() % SOURCES.len()];
    let display_path = PathBuf::from("content").join(source);
    let text = match String::from_utf8(data.to_vec()) {
        Ok(text) => text,
        Err(error) => {
            let diagnostic = content::not_utf8(&display_path, &error);
            check_located(&diagnostic, &display_path, &String::from_utf8_lossy(data));
            return;
        }
    };
    match content::parse_page(text.clone(), source.to_string(), display_path.clone()) {
        Ok(page) => {
            assert!(page.front_start <= page.body_start && page.body_start <= text.len());
            for date in [&page.front.date, &page.front.updated]
                .into_iter()
                .flatten()
            {
                let date = PageDate::from_toml(date.get_ref()).expect("checked by parse_page");
                let _ = (date.iso(), date.display(), date.rfc3339());
            }
            let mut spans = Vec::new();
            spans.extend(page.front.slug.iter().map(|slug| slug.span()));
            spans.extend(page.front.template.iter().map(|template| template.span()));
            spans.extend(page.front.tags.iter().map(|tag| tag.span()));
            spans.extend(page.front.aliases.iter().map(|alias| alias.span()));
            for span in spans {
                check_located(&page.front_error(span, "fuzz"), &display_path, &text);
            }
            // The body's link problems are located in the whole file, as `site` does.
            let (_, problems) = markdown::render(page.body(), &NoPages);
            let links = markdown::link_spans(page.body());
            for problem in problems {
                let span = links.get(problem.link).cloned();
                assert!(span.is_some(), "link {} of {}", problem.link, links.len());
                check_located(
                    &page.body_error(span.unwrap_or_default(), problem.message),
                    &display_path,
                    &text,
                );
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for problem in &problems {
                assert!(problem.is_error());
                check_located(problem, &display_path, &text);
            }
        }
    }
});
