//! Reading the HTML the build produced, with a WHATWG tokenizer: the inline code a
//! Content-Security-Policy must allow, and where `<head>` starts. Pure.

use html5gum::{DefaultEmitter, Token, Tokenizer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CodeKind {
    Script,
    Style,
}

/// The text of an inline `<script>` or `<style>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineCode {
    pub kind: CodeKind,
    pub text: String,
}

fn tokens(html: &str) -> impl Iterator<Item = Token<usize>> + '_ {
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    // Without this, the text of <script> and <style> would be read as markup.
    emitter.naively_switch_states(true);
    Tokenizer::new_with_emitter(html, emitter).flatten()
}

/// Script types a browser runs; other types (`application/ld+json`) are data.
fn is_executable_type(script_type: &str) -> bool {
    matches!(
        script_type.trim().to_ascii_lowercase().as_str(),
        "" | "text/javascript" | "application/javascript" | "module"
    )
}

/// Every inline script that runs (including consent-gated ones, which run once allowed) and
/// every inline style, in document order.
pub fn inline_code(html: &str) -> Vec<InlineCode> {
    let mut found = Vec::new();
    let mut open: Option<(CodeKind, String)> = None;
    for token in tokens(html) {
        match token {
            Token::StartTag(tag) if tag.name.as_slice() == b"script" => {
                let attribute = |name: &[u8]| {
                    tag.attributes
                        .get(name)
                        .map(|value| String::from_utf8_lossy(value).into_owned())
                };
                let runs = attribute(b"data-consent").is_some()
                    || is_executable_type(&attribute(b"type").unwrap_or_default());
                if attribute(b"src").is_none() && runs {
                    open = Some((CodeKind::Script, String::new()));
                }
            }
            Token::StartTag(tag) if tag.name.as_slice() == b"style" => {
                open = Some((CodeKind::Style, String::new()));
            }
            Token::String(text) => {
                if let Some((_, content)) = &mut open {
                    content.push_str(&String::from_utf8_lossy(&text));
                }
            }
            Token::EndTag(tag) if matches!(tag.name.as_slice(), b"script" | b"style") => {
                if let Some((kind, text)) = open.take() {
                    found.push(InlineCode { kind, text });
                }
            }
            _ => {}
        }
    }
    found
}

/// The byte offset just after the `<head>` start tag, where a `<meta>` that must come first goes.
pub fn after_head_start(html: &str) -> Option<usize> {
    tokens(html).find_map(|token| match token {
        Token::StartTag(tag) if tag.name.as_slice() == b"head" => Some(tag.span.end),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_code_that_runs() {
        let html = r#"<head><style>p{color:red}</style><script>a<b</script>
            <script src="x.js"></script><script type="application/ld+json">{"a":1}</script>
            <script type="text/plain" data-consent="analytics">track()</script></head>"#;
        let code = inline_code(html);
        assert_eq!(
            code,
            [
                InlineCode { kind: CodeKind::Style, text: "p{color:red}".into() },
                InlineCode { kind: CodeKind::Script, text: "a<b".into() },
                InlineCode { kind: CodeKind::Script, text: "track()".into() },
            ]
        );
    }

    #[test]
    fn finds_the_end_of_the_head_tag() {
        let html = "<!doctype html><html><head data-x=\"1\"><title>t</title>";
        let offset = after_head_start(html).unwrap();
        assert_eq!(&html[..offset], "<!doctype html><html><head data-x=\"1\">");
        assert_eq!(after_head_start("<p>no head"), None);
    }
}
