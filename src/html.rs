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

/// Where a `<meta>` that must precede everything else in `<head>` goes: after
/// `<meta charset>` when that comes first, else just after the `<head>` start tag.
pub fn head_insertion_point(html: &str) -> Option<usize> {
    let mut after_head = None;
    for token in tokens(html) {
        match token {
            Token::StartTag(tag) if tag.name.as_slice() == b"head" => after_head = Some(tag.span.end),
            Token::StartTag(tag) if after_head.is_some() => {
                let is_charset = tag.name.as_slice() == b"meta" && tag.attributes.contains_key(b"charset".as_slice());
                return Some(if is_charset { tag.span.end } else { after_head? });
            }
            Token::EndTag(tag) if tag.name.as_slice() == b"head" => return after_head,
            _ => {}
        }
    }
    after_head
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
    fn finds_where_the_head_begins() {
        let html = "<!doctype html><html><head data-x=\"1\"><title>t</title>";
        let offset = head_insertion_point(html).unwrap();
        assert_eq!(&html[..offset], "<!doctype html><html><head data-x=\"1\">");
        let html = "<html><head>\n<meta charset=\"utf-8\">\n<title>t</title>";
        let offset = head_insertion_point(html).unwrap();
        assert_eq!(&html[offset..], "\n<title>t</title>");
        assert_eq!(head_insertion_point("<p>no head"), None);
    }
}
