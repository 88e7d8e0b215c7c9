//! Shortcodes in Markdown, in Zola's syntax: `{{ name(key="value", other=3) }}` alone in a
//! paragraph. The Markdown stage puts a marker in each one's place (`mark`); the page stage
//! puts the rendered `templates/shortcodes/NAME.html` in place of the marker. Text in code
//! blocks and code spans is never a shortcode. Pure: no I/O.

use std::borrow::Cow;
use std::ops::Range;

/// Where a shortcode's template is, by the shortcode's name.
pub fn template_name(name: &str) -> String {
    format!("shortcodes/{name}.html")
}

/// One shortcode as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub name: String,
    pub args: Vec<Arg>,
    /// The whole `{{ ... }}` in the body.
    pub span: Range<usize>,
}

impl Call {
    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|arg| arg.name == name)
    }
}

/// One `key=value` of a shortcode; the value as a string (numbers and `true`/`false` as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub name: String,
    pub value: String,
    /// The value as written, quotes included, in the body.
    pub span: Range<usize>,
}

/// A paragraph that looks like a shortcode but cannot be read as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxProblem {
    pub span: Range<usize>,
    pub message: String,
    pub help: String,
}

/// `name(` after optional spaces: the start of a shortcode, not of `{{ page.title }}` prose.
pub(crate) fn looks_like_call(after_braces: &str) -> bool {
    let rest = after_braces.trim_start();
    let name_length = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    name_length > 0 && rest[name_length..].trim_start().starts_with('(')
}

pub(crate) type ParseError = (Range<usize>, String, &'static str);

const SYNTAX_HELP: &str =
    "write a shortcode alone on its line, as {{ name(key=\"value\", other=\"value\") }}";

/// Reads `{{ name(args) }}`; `offset` is where it starts in the body.
pub(crate) fn parse(written: &str, offset: usize) -> Result<Call, ParseError> {
    let whole = offset..offset + written.len();
    let fail = |message: &str| (whole.clone(), message.to_string(), SYNTAX_HELP);
    let inner = written
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .filter(|_| !written.contains('\n'))
        .ok_or_else(|| fail("a shortcode must end with `}}` on its own line"))?;
    let inner_offset = offset + 2;
    let open = inner
        .find('(')
        .ok_or_else(|| fail("a shortcode needs `(`"))?;
    let name = inner[..open].trim();
    let after = inner[open + 1..].trim_end();
    let args_text = after
        .strip_suffix(')')
        .ok_or_else(|| fail("a shortcode's arguments end with `)`"))?;
    let args_offset = inner_offset + open + 1;
    Ok(Call {
        name: name.to_string(),
        args: parse_args(args_text, args_offset)?,
        span: whole,
    })
}

/// Reads `key="value", key=3, key=true`.
fn parse_args(text: &str, offset: usize) -> Result<Vec<Arg>, ParseError> {
    let mut args: Vec<Arg> = Vec::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    let skip_spaces = |at: &mut usize| {
        while *at < bytes.len() && bytes[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    loop {
        skip_spaces(&mut at);
        if at >= bytes.len() {
            return Ok(args);
        }
        let name_start = at;
        while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
            at += 1;
        }
        let name = &text[name_start..at];
        skip_spaces(&mut at);
        if name.is_empty() || bytes.get(at) != Some(&b'=') {
            let span = offset + name_start..offset + text.len();
            return Err((
                span,
                "expected an argument, as `key=\"value\"`".into(),
                SYNTAX_HELP,
            ));
        }
        at += 1;
        skip_spaces(&mut at);
        let value_start = at;
        let value = match bytes.get(at) {
            Some(&quote @ (b'"' | b'\'')) => {
                let length = text[at + 1..].find(quote as char).ok_or((
                    offset + at..offset + text.len(),
                    "this text has no closing quote".to_string(),
                    SYNTAX_HELP,
                ))?;
                let value = text[at + 1..at + 1 + length].to_string();
                at += length + 2;
                value
            }
            _ => {
                while at < bytes.len() && bytes[at] != b',' && !bytes[at].is_ascii_whitespace() {
                    at += 1;
                }
                let value = &text[value_start..at];
                let plain = value == "true"
                    || value == "false"
                    || (!value.is_empty() && value.parse::<f64>().is_ok());
                if !plain {
                    return Err((
                        offset + value_start..offset + at.max(value_start + 1).min(text.len()),
                        format!("`{value}` is not a value: put text in quotes"),
                        SYNTAX_HELP,
                    ));
                }
                value.to_string()
            }
        };
        if args.iter().any(|arg| arg.name == name) {
            return Err((
                offset + name_start..offset + value_start,
                format!("`{name}` is given twice"),
                "give each argument once",
            ));
        }
        args.push(Arg {
            name: name.to_string(),
            value,
            span: offset + value_start..offset + at,
        });
        skip_spaces(&mut at);
        match bytes.get(at) {
            None => return Ok(args),
            Some(b',') => at += 1,
            Some(_) => {
                return Err((
                    offset + at..offset + text.len(),
                    "arguments are separated by `,`".into(),
                    SYNTAX_HELP,
                ));
            }
        }
    }
}

/// The marker that stands for the shortcode `index` in the rendered HTML.
pub fn marker(index: usize) -> String {
    format!("<!--{{{{{index}}}}}-->")
}

/// The body with each call replaced by its marker, an HTML comment the Markdown renderer keeps
/// as it is. Spaces pad a marker to the length of what it replaces, so that the offsets of what
/// follows (and so the lines and columns of diagnostics) stay those of the source.
pub fn mark<'a>(body: &'a str, calls: &[Call]) -> Cow<'a, str> {
    if calls.is_empty() {
        return Cow::Borrowed(body);
    }
    let mut marked = String::with_capacity(body.len() + calls.len() * 8);
    let mut written = 0;
    for (index, call) in calls.iter().enumerate() {
        marked.push_str(&body[written..call.span.start]);
        let mut text = marker(index);
        let padding = call.span.len().saturating_sub(text.len());
        text.insert_str(text.len() - 3, &" ".repeat(padding));
        marked.push_str(&text);
        written = call.span.end;
    }
    marked.push_str(&body[written..]);
    Cow::Owned(marked)
}

/// The rendered HTML with each marker replaced by its shortcode's HTML, as `render` gives it.
pub fn expand(html: &str, count: usize, mut render: impl FnMut(usize) -> String) -> String {
    let mut expanded = String::with_capacity(html.len());
    let mut rest = html;
    for index in 0..count {
        let start_marker = format!("<!--{{{{{index}}}}}");
        let Some(start) = rest.find(&start_marker) else {
            continue;
        };
        let Some(end) = rest[start..].find("-->") else {
            continue;
        };
        expanded.push_str(&rest[..start]);
        expanded.push_str(&render(index));
        rest = &rest[start + end + 3..];
    }
    expanded.push_str(rest);
    expanded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_replaced_in_order() {
        let html = format!(
            "<p>a</p>\n{}\n<p>b</p>\n{}\n",
            marker(0),
            marker(1).replace("-->", "   -->")
        );
        let expanded = expand(&html, 2, |index| format!("<div>{index}</div>"));
        assert_eq!(expanded, "<p>a</p>\n<div>0</div>\n<p>b</p>\n<div>1</div>\n");
    }
}
