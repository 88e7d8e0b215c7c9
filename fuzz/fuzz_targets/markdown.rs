//! The Markdown stage on any text: heading ids, the table of contents, the summary, word count
//! and `@/` links, with a resolver that resolves some links and refuses others (missing, with or
//! without a suggestion, and drafts), under the root path or a sub-path. Must never panic; heading
//! ids are unique; every link and problem names a link that `link_spans` finds again, whose span
//! lies inside the body and locates in it.

#![no_main]

use std::collections::HashSet;

use aimsite::diagnostics::Diagnostic;
use aimsite::markdown::{self, LinkProblemKind, ResolveSource, TocEntry};
use libfuzzer_sys::fuzz_target;

struct Resolver {
    base_path: &'static str,
}

impl ResolveSource for Resolver {
    fn resolve(&self, source: &str) -> Result<String, LinkProblemKind> {
        match source {
            "_index.md" => Ok(self.base_path.to_string()),
            "contact.md" => Ok(format!("{}contact/", self.base_path)),
            _ if source.starts_with("draft") => Err(LinkProblemKind::Draft),
            _ if source.starts_with("articles/") && source.ends_with(".md") => {
                let stem = &source["articles/".len()..source.len() - 3];
                Ok(format!(
                    "{}articles/{}/",
                    self.base_path,
                    markdown::slugify(stem)
                ))
            }
            _ => Err(LinkProblemKind::Missing {
                suggestion: (source.len() % 2 == 0).then(|| "contact.md".to_string()),
            }),
        }
    }

    fn base_path(&self) -> &str {
        self.base_path
    }
}

fn count(toc: &[TocEntry]) -> usize {
    toc.iter().map(|entry| 1 + count(&entry.children)).sum()
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let resolver = Resolver {
        base_path: if first & 1 == 0 { "/" } else { "/aimtowin/" },
    };
    let body = String::from_utf8_lossy(rest);
    let (rendered, problems) = markdown::render(&body, &resolver);

    let unique: HashSet<&String> = rendered.heading_ids.iter().collect();
    assert_eq!(
        unique.len(),
        rendered.heading_ids.len(),
        "{:?}",
        rendered.heading_ids
    );
    assert!(rendered.heading_ids.iter().all(|id| !id.is_empty()));
    assert_eq!(count(&rendered.toc), rendered.heading_ids.len());
    assert!(rendered.word_count <= body.len());
    // Links are numbered as `link_spans` finds them again: each number names a link's span.
    let spans = markdown::link_spans(&body);
    let span_of = |link: usize| {
        let span = spans.get(link).cloned();
        assert!(span.is_some(), "link {link} of {}", spans.len());
        span.unwrap_or_default()
    };
    for link in &rendered.links {
        let span = span_of(link.link);
        assert!(span.start <= span.end && span.end <= body.len());
        if let Some(source) = &link.source {
            assert!(resolver.resolve(source).is_ok(), "{source}");
        }
    }
    for problem in problems {
        let span = span_of(problem.link);
        assert!(span.start <= span.end && span.end <= body.len());
        assert!(!problem.help.is_empty());
        let diagnostic = Diagnostic::error("content/fuzz.md", problem.message).at(&body, span);
        let _ = diagnostic.to_string();
    }
});
