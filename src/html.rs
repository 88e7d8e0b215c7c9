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

/// The tokens of an HTML text with their byte spans, read as a browser reads a page: the text of
/// `<script>` and `<style>` elements is not markup.
pub fn tokens(html: &str) -> impl Iterator<Item = Token<usize>> + '_ {
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    // Without this, the text of <script> and <style> would be read as markup.
    emitter.naively_switch_states(true);
    Tokenizer::new_with_emitter(html, emitter).flatten()
}

/// Script types a browser runs; other types (`application/ld+json`) are data.
pub fn is_executable_type(script_type: &str) -> bool {
    matches!(
        script_type.trim().to_ascii_lowercase().as_str(),
        "" | "text/javascript" | "application/javascript" | "module"
    )
}

/// The start tag of a JSON-LD block exactly as the built-in templates write it.
const STRUCTURED_DATA_SCRIPT: &str = r#"<script type="application/ld+json">"#;

/// Every inline script that runs (including consent-gated ones, which run once allowed) and
/// every inline style, in document order.
///
/// Only the elements are tokenized, not the whole page: each place where `<script` or `<style`
/// is written starts a tokenizer of its own. A place inside a comment or an attribute may be
/// read as an element too; that can only add code to the list, never leave some out.
pub fn inline_code(html: &str) -> Vec<InlineCode> {
    let mut found = Vec::new();
    let mut from = 0;
    for start in code_element_starts(html) {
        // A place inside an element already read (such as `<s` in a script's text) is no start.
        if start < from {
            continue;
        }
        // Every page of the built-in templates has this one, and it holds data, not code: its
        // start tag is read as the tokenizer would, without starting one.
        if html[start..].starts_with(STRUCTURED_DATA_SCRIPT) {
            from = start + STRUCTURED_DATA_SCRIPT.len();
            continue;
        }
        let (code, end) = code_element(&html[start..]);
        found.extend(code);
        from = start + end.max(1);
    }
    found
}

/// Whether the `<` at `at` starts a tag named `name`, in any case: the name is followed by
/// white space, `>`, `/` or the end.
pub fn tag_starts_at(bytes: &[u8], at: usize, name: &[u8]) -> bool {
    let end = at + 1 + name.len();
    bytes
        .get(at + 1..end)
        .is_some_and(|candidate| candidate.eq_ignore_ascii_case(name))
        && bytes
            .get(end)
            .is_none_or(|next| next.is_ascii_whitespace() || matches!(next, b'>' | b'/'))
}

/// The offsets of `<script` and `<style`, in any case and followed by the end of the name, in
/// order.
fn code_element_starts(html: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = html.as_bytes();
    let is_code_tag = move |&start: &usize| {
        tag_starts_at(bytes, start, b"script") || tag_starts_at(bytes, start, b"style")
    };
    // Both tag names start with `s`: `<s` and `<S` are each searched for once, with the SIMD
    // searcher, and the two lists merged.
    let mut lower = memchr::memmem::find_iter(bytes, b"<s").peekable();
    let mut upper = memchr::memmem::find_iter(bytes, b"<S").peekable();
    std::iter::from_fn(move || match (lower.peek(), upper.peek()) {
        (Some(a), Some(b)) if b < a => upper.next(),
        (Some(_), _) => lower.next(),
        (None, _) => upper.next(),
    })
    .filter(is_code_tag)
}

/// Reads the element at the start of `html`: its inline code, if it has any that runs, and the
/// length of what was read.
fn code_element(html: &str) -> (Option<InlineCode>, usize) {
    let mut open: Option<(CodeKind, String)> = None;
    let mut started = false;
    for token in tokens(html) {
        match token {
            Token::StartTag(tag) if !started => {
                started = true;
                let attribute = |name: &[u8]| {
                    tag.attributes
                        .get(name)
                        .map(|value| String::from_utf8_lossy(value).into_owned())
                };
                let kind = match tag.name.as_slice() {
                    b"style" => Some(CodeKind::Style),
                    b"script" => {
                        let runs = attribute(b"data-consent").is_some()
                            || is_executable_type(&attribute(b"type").unwrap_or_default());
                        (attribute(b"src").is_none() && runs).then_some(CodeKind::Script)
                    }
                    _ => None,
                };
                match kind {
                    Some(kind) if !tag.self_closing => open = Some((kind, String::new())),
                    _ => return (None, tag.span.end),
                }
            }
            Token::String(text) => {
                if let Some((_, content)) = &mut open {
                    content.push_str(&String::from_utf8_lossy(&text));
                }
            }
            Token::EndTag(tag) => {
                let code = open.take().map(|(kind, text)| InlineCode { kind, text });
                return (code, tag.span.end);
            }
            // A parse error (such as a duplicate attribute) comes before the tag it is in.
            Token::Error(_) => {}
            _ if !started => return (None, 1),
            _ => {}
        }
    }
    (None, html.len())
}

/// Where a `<meta>` that must precede everything else in `<head>` goes: after
/// `<meta charset>` when that comes first, else just after the `<head>` start tag.
pub fn head_insertion_point(html: &str) -> Option<usize> {
    insertion_point(html).map(|(offset, _)| offset)
}

/// The insertion point, and whether the markup before it decided it (it ends a `<meta charset>`);
/// else the tag after `<head>` did.
fn insertion_point(html: &str) -> Option<(usize, bool)> {
    let mut after_head = None;
    for token in tokens(html) {
        match token {
            Token::StartTag(tag) if tag.name.as_slice() == b"head" => {
                after_head = Some(tag.span.end)
            }
            Token::StartTag(tag) if after_head.is_some() => {
                let is_charset = tag.name.as_slice() == b"meta"
                    && tag.attributes.contains_key(b"charset".as_slice());
                return if is_charset {
                    Some((tag.span.end, true))
                } else {
                    after_head.map(|offset| (offset, false))
                };
            }
            Token::EndTag(tag) if tag.name.as_slice() == b"head" => {
                return after_head.map(|offset| (offset, false));
            }
            _ => {}
        }
    }
    after_head.map(|offset| (offset, false))
}

/// `head_insertion_point` for the many pages of a build, which share a few templates: a page
/// that begins with the same markup as one already read, up to the end of its `<meta charset>`,
/// has the same insertion point, since a tokenizer reads those bytes the same way whatever
/// follows. Tokenizing every page's head took 2% of a build.
#[derive(Debug, Default)]
pub struct HeadInsertionPoints {
    /// The markup before the insertion point of the first page that had a `<meta charset>`.
    known_head: std::sync::OnceLock<String>,
}

impl HeadInsertionPoints {
    pub fn find(&self, html: &str) -> Option<usize> {
        if let Some(head) = self.known_head.get()
            && html.starts_with(head.as_str())
        {
            return Some(head.len());
        }
        let (offset, decided_before) = insertion_point(html)?;
        if decided_before {
            // Another thread may have set it first, to an equally good head.
            let _ = self.known_head.set(html[..offset].to_string());
        }
        Some(offset)
    }
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
                InlineCode {
                    kind: CodeKind::Style,
                    text: "p{color:red}".into()
                },
                InlineCode {
                    kind: CodeKind::Script,
                    text: "a<b".into()
                },
                InlineCode {
                    kind: CodeKind::Script,
                    text: "track()".into()
                },
            ]
        );
    }

    #[test]
    fn the_structured_data_shortcut_reads_what_the_tokenizer_reads() {
        let element = format!("{STRUCTURED_DATA_SCRIPT}{{\"a\":1}}</script>");
        assert_eq!(code_element(&element), (None, STRUCTURED_DATA_SCRIPT.len()));
    }

    #[test]
    fn code_in_comments_may_be_listed_but_real_code_never_missed() {
        let html = "<p>a < b</p><!-- <script>old()</script> --><SCRIPT>real()</SCRIPT><stylesheet><script id=a id=b>dup()</script>";
        let texts: Vec<String> = inline_code(html)
            .into_iter()
            .map(|code| code.text)
            .collect();
        assert_eq!(texts, ["old()", "real()", "dup()"]);
    }

    #[test]
    fn finds_where_the_head_begins() {
        let points = HeadInsertionPoints::default();
        let html = "<!doctype html><html><head data-x=\"1\"><title>t</title>";
        let offset = points.find(html).unwrap();
        assert_eq!(&html[..offset], "<!doctype html><html><head data-x=\"1\">");
        let html = "<html><head>\n<meta charset=\"utf-8\">\n<title>t</title>";
        let offset = points.find(html).unwrap();
        assert_eq!(&html[offset..], "\n<title>t</title>");
        assert_eq!(points.find("<p>no head"), None);
    }

    #[test]
    fn pages_with_the_head_of_an_earlier_one_share_its_insertion_point() {
        let points = HeadInsertionPoints::default();
        let head = "<html><head>\n<meta charset=\"utf-8\">";
        for page in ["\n<title>a</title>", "<title>b</title>", ""] {
            let html = format!("{head}{page}");
            assert_eq!(points.find(&html), Some(head.len()), "{html:?}");
            assert_eq!(points.find(&html), head_insertion_point(&html));
        }
        // Pages that only begin the same way are read again.
        for html in [
            "<html><head>\n<meta charset=\"utf",
            "<html><head>\n<meta name=\"x\"><meta charset=\"utf-8\">",
            "<html><head><title>c</title>",
            "<html><HEAD>\n<meta charset=\"utf-8\"><title>d</title>",
        ] {
            assert_eq!(points.find(html), head_insertion_point(html), "{html:?}");
        }
    }
}
