//! Problems found in a site's sources, located in their file and shown like compiler errors.
//!
//! Every stage collects `Diagnostic`s instead of stopping at the first problem, so one build
//! reports everything that is wrong at once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// A 1-based line and column (the column counts characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One problem in one file, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file, relative to the site's root where possible.
    pub file: PathBuf,
    pub location: Option<Location>,
    pub message: String,
    pub help: Option<String>,
    /// The line the problem is on, and how many characters of it to underline.
    excerpt: Option<Excerpt>,
    /// How many more problems of the same kind in the same file this one stands for, left out
    /// of the report (`Diagnostics::sorted`).
    left_out: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Excerpt {
    text: String,
    /// The column of `text` the problem starts at.
    column: usize,
    underline: usize,
}

/// How much of a long line an excerpt shows: this many characters before the problem, and this
/// many in all. Without a limit, many problems on one long line (a paragraph of megabytes) would
/// each hold a copy of the whole line.
const EXCERPT_BEFORE: usize = 40;
const EXCERPT_CHARS: usize = 160;

impl Excerpt {
    /// The line of a problem, from the text `before` the problem and the text from it on
    /// (`after`); a long line is cut to the part around the problem, the cuts marked with `…`.
    /// Cuts are found from the problem outwards, so a long line is never counted whole.
    fn around(before: &str, after: &str, underline: usize) -> Excerpt {
        let after = after.trim_end_matches('\r');
        let cut_before = before
            .char_indices()
            .rev()
            .nth(EXCERPT_BEFORE)
            .map(|(index, c)| index + c.len_utf8());
        let kept_before = &before[cut_before.unwrap_or(0)..];
        let kept_before_chars = kept_before.chars().count();
        let cut_after = after
            .char_indices()
            .nth(EXCERPT_CHARS - kept_before_chars)
            .map(|(index, _)| index);
        let kept_after = &after[..cut_after.unwrap_or(after.len())];
        let mut text = String::with_capacity(kept_before.len() + kept_after.len() + 6);
        if cut_before.is_some() {
            text.push('…');
        }
        text.push_str(kept_before);
        text.push_str(kept_after);
        let underline = match cut_after {
            Some(_) => {
                text.push('…');
                underline.min(kept_after.chars().count()).max(1)
            }
            None => underline,
        };
        Excerpt {
            text,
            column: kept_before_chars + usize::from(cut_before.is_some()) + 1,
            underline,
        }
    }
}

impl Diagnostic {
    pub fn error(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            location: None,
            message: message.into(),
            help: None,
            excerpt: None,
            left_out: 0,
        }
    }

    pub fn warning(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points the diagnostic at a byte range of the file's text.
    pub fn at(self, text: &str, span: Range<usize>) -> Self {
        self.at_located(&mut Locator::new(text), span)
    }

    /// Like `at`, through a `Locator` kept for many problems in one text.
    pub fn at_located(mut self, locator: &mut Locator<'_>, span: Range<usize>) -> Self {
        let text = locator.text;
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let (location, line) = locator.locate(start);
        let end = floor_char_boundary(text, span.end.clamp(start, line.end));
        let underline = text[start..end].chars().count().max(1);
        self.location = Some(location);
        self.excerpt = Some(Excerpt::around(
            &text[line.start..start],
            &text[start..line.end],
            underline,
        ));
        self
    }

    /// Points the diagnostic at a line and column without an excerpt of the source.
    pub fn at_location(mut self, line: usize, column: usize) -> Self {
        self.location = Some(Location { line, column });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{label}: {}", printable(&self.message))?;
        let file = printable(&self.file.to_string_lossy()).into_owned();
        match self.location {
            Some(Location { line, column }) => writeln!(f, "  --> {file}:{line}:{column}")?,
            None => writeln!(f, "  --> {file}")?,
        }
        // The help lines up with the excerpt's `|`, however wide the line number is.
        let mut help_indent = "  ".to_string();
        if let (Some(excerpt), Some(location)) = (&self.excerpt, self.location) {
            let number = location.line.to_string();
            let gutter = " ".repeat(number.len());
            help_indent = format!("{gutter} ");
            writeln!(f, "{gutter} |")?;
            writeln!(f, "{number} | {}", printable(&excerpt.text))?;
            writeln!(f, "{gutter} | {}", excerpt.caret())?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "{help_indent}= help: {}", printable(help))?;
        }
        if self.left_out > 0 {
            writeln!(
                f,
                "{help_indent}= note: {} more like this in this file not shown",
                thousands(self.left_out)
            )?;
        }
        Ok(())
    }
}

impl Excerpt {
    /// The line under the excerpt: white space up to the problem, then `^` under it, each as
    /// wide as `printable` shows the characters above it (a tab stays a tab).
    fn caret(&self) -> String {
        let mut chars = self.text.chars();
        let mut line = String::new();
        for c in chars.by_ref().take(self.column - 1) {
            match c {
                '\t' => line.push('\t'),
                c => line.extend(std::iter::repeat_n(' ', shown_width(c))),
            }
        }
        let (mut width, mut underlined) = (0, 0);
        for c in chars.take(self.underline) {
            width += shown_width(c);
            underlined += 1;
        }
        // The underline may run past the end of a cut line.
        width += self.underline - underlined;
        line.extend(std::iter::repeat_n('^', width));
        line
    }
}

/// Whether a terminal would act on a character rather than show it: ESC starts escape
/// sequences, a carriage return goes back over the line, bidirectional controls reorder what
/// follows. Text from the sources is printed with these escaped (`\u{1b}`); line breaks and
/// tabs are kept.
fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// How many characters `printable` shows for one character.
fn shown_width(c: char) -> usize {
    if acts_on_terminal(c) {
        c.escape_unicode().len()
    } else {
        1
    }
}

/// Text as a terminal may print it: `acts_on_terminal` characters escaped.
fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acts_on_terminal) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if acts_on_terminal(c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// `99,990`: a count as people read it.
pub fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut shown = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            shown.push(',');
        }
        shown.push(digit);
    }
    shown
}

/// Every problem of one build, errors first, each file's in order of position.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Errors found, those left out of the report (`sorted`) included.
    pub fn error_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.is_error())
            .map(|d| 1 + d.left_out)
            .sum()
    }

    /// Warnings found, those left out of the report included.
    pub fn warning_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| !d.is_error())
            .map(|d| 1 + d.left_out)
            .sum()
    }

    /// `2 errors, 1 warning`.
    pub fn counts(&self) -> String {
        format!(
            "{}, {}",
            counted(self.error_count(), "error"),
            counted(self.warning_count(), "warning")
        )
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorts into a stable order so that the same sources always give the same report, and
    /// keeps the first `SHOWN_PER_KIND` problems of each kind in each file: the one that
    /// stands for the rest says how many more there are. A hundred thousand broken links on
    /// one line would otherwise print tens of megabytes.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            (a.severity, &a.file, a.location, &a.message)
                .cmp(&(b.severity, &b.file, b.location, &b.message))
        });
        self.0.dedup();
        let mut shown: HashMap<(Severity, PathBuf, String), (usize, usize)> = HashMap::new();
        let mut kept: Vec<Diagnostic> = Vec::with_capacity(self.0.len());
        for diagnostic in self.0 {
            let kind = (
                diagnostic.severity,
                diagnostic.file.clone(),
                kind_of(&diagnostic.message),
            );
            let (count, last) = shown.entry(kind).or_insert((0, 0));
            if *count < SHOWN_PER_KIND {
                *count += 1;
                *last = kept.len();
                kept.push(diagnostic);
            } else {
                kept[*last].left_out += 1 + diagnostic.left_out;
            }
        }
        self.0 = kept;
        self
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        let errors = self.error_count();
        if errors > 0 {
            write!(f, "build failed: {}", counted(errors, "error"))?;
        }
        Ok(())
    }
}

/// How many problems of one kind in one file a report shows.
pub const SHOWN_PER_KIND: usize = 10;

/// What a message says, without what it quotes: "`#a` is not a heading of `content/b.md`" is
/// of the kind "`…` is not a heading of `…`".
fn kind_of(message: &str) -> String {
    let mut kind = String::with_capacity(message.len());
    for (index, part) in message.split('`').enumerate() {
        kind.push_str(if index % 2 == 0 { part } else { "…" });
        kind.push('`');
    }
    kind
}

/// `1 page`, `2 pages`: a count with its noun, which takes an `s` when it is not one.
pub fn counted(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        _ => format!("{count} {noun}s"),
    }
}

/// Finds the line and column of offsets in one text. Offsets given in increasing order are
/// found from the last one, so locating many problems on one long line (a paragraph of
/// megabytes with a hundred thousand broken links) takes time that grows with the text, not
/// with the text times the problems.
pub struct Locator<'t> {
    text: &'t str,
    /// The last offset located, on `line`, at `column`.
    offset: usize,
    line: Range<usize>,
    location: Location,
}

impl<'t> Locator<'t> {
    pub fn new(text: &'t str) -> Self {
        Locator {
            text,
            offset: 0,
            line: 0..line_end(text, 0),
            location: Location { line: 1, column: 1 },
        }
    }

    /// The location of `offset` (a character boundary) and the byte range of its line,
    /// without the line break.
    fn locate(&mut self, offset: usize) -> (Location, Range<usize>) {
        if offset < self.offset {
            *self = Locator::new(self.text);
        }
        let passed = &self.text[self.offset..offset];
        match passed.rfind('\n') {
            Some(last_break) => {
                let start = self.offset + last_break + 1;
                self.location = Location {
                    line: self.location.line + passed.matches('\n').count(),
                    column: self.text[start..offset].chars().count() + 1,
                };
                self.line = start..line_end(self.text, offset);
            }
            None => self.location.column += passed.chars().count(),
        }
        self.offset = offset;
        (self.location, self.line.clone())
    }
}

/// Where the line holding `offset` ends: its line break, or the end of the text.
fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at)
}

/// The line and column of a byte offset in `text`.
pub fn locate(text: &str, offset: usize) -> Location {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    Location { line, column }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The candidate closest to `word`, when it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Turns a TOML parse or type error into a diagnostic located in the file that holds the TOML.
///
/// `offset` is where the TOML text starts in `file_text` (front matter starts after `+++`).
pub fn from_toml_error(
    error: &toml::de::Error,
    file: &Path,
    file_text: &str,
    offset: usize,
) -> Diagnostic {
    let message = error.message().trim_end().to_string();
    let span = error.span().map_or(offset..offset, |span| {
        span.start + offset..span.end + offset
    });
    if let Some((message, help, span)) = explain_syntax_error(&message, file_text, span.clone()) {
        return Diagnostic::error(file, message)
            .with_help(help)
            .at(file_text, span);
    }
    let (message, help) = explain_toml_message(&message);
    let mut diagnostic = Diagnostic::error(file, message);
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic.at(file_text, span)
}

/// The TOML parser's syntax errors, said in an author's words and pointed at where the mistake
/// starts (the opening quote of a text that is never closed, not the end of its line).
fn explain_syntax_error(
    message: &str,
    text: &str,
    span: Range<usize>,
) -> Option<(String, String, Range<usize>)> {
    let opening = |quote: char| {
        let line_start = text[..span.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |at| at + 1);
        text[line_start..span.start.min(text.len())]
            .find(quote)
            .map_or(span.clone(), |at| line_start + at..line_start + at + 1)
    };
    let (message, help, span) = if message.starts_with("invalid basic string")
        || message.starts_with("invalid multi-line basic string")
    {
        (
            "this text has no closing quote",
            "end the text with `\"` on the same line, such as title = \"My title\"",
            opening('"'),
        )
    } else if message.starts_with("invalid literal string")
        || message.starts_with("invalid multi-line literal string")
    {
        (
            "this text has no closing quote",
            "end the text with `'` on the same line, such as title = 'My title'",
            opening('\''),
        )
    } else if message.starts_with("string values must be quoted") {
        if span.is_empty() {
            (
                "the key has no value",
                "give it a value after `=`, such as title = \"My title\"",
                span,
            )
        } else {
            (
                "this text is not in quotes",
                "write text in double quotes, such as title = \"My title\"",
                span,
            )
        }
    } else if message.starts_with("key with no value") {
        (
            "`=` is missing after the key",
            "write the key, `=`, then its value, such as title = \"My title\"",
            span,
        )
    } else if message.starts_with("unexpected key or value") {
        (
            "there is more on this line after the value",
            "put each `key = value` on a line of its own; to put a quote inside text, write `\\\"`",
            span,
        )
    } else if message.starts_with("unclosed array") {
        (
            "this list has no closing `]`",
            "end the list with `]`, such as tags = [\"leadership\", \"coaching\"]",
            span,
        )
    } else if message.starts_with("missing comma between array elements") {
        (
            "a comma is missing between two items of this list",
            "separate the items with commas, such as tags = [\"leadership\", \"coaching\"]",
            span,
        )
    } else if message.starts_with("unclosed table") {
        (
            "this section's name has no closing `]`",
            "write the section's name in brackets, such as [contact]",
            span,
        )
    } else if message.starts_with("duplicate key") {
        (
            "this key is given twice",
            "remove one of them: a key may be given once in its section",
            span,
        )
    } else if message.starts_with("missing escaped value") {
        (
            "`\\` starts an escape that TOML does not know",
            "write `\\\\` for a backslash, or put the text in single quotes, which keep it as it is",
            span,
        )
    } else if message.starts_with("unquoted keys cannot be empty") {
        (
            "this line has a value but no key",
            "write the key before `=`, such as title = \"My title\"",
            span,
        )
    } else {
        return None;
    };
    Some((message.to_string(), help.to_string(), span))
}

/// Rewrites serde's wording into ours and adds advice, most importantly a did-you-mean for
/// unknown keys: serde says "unknown field `titel`, expected one of `title`, `date`".
fn explain_toml_message(message: &str) -> (String, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let valid: Vec<&str> = expected
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|s| !s.is_empty())
            .collect();
        let help = match closest(key, valid.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None if valid.is_empty() => "remove it".to_string(),
            None => format!("remove it; the valid keys here are {}", quoted(&valid)),
        };
        return (format!("unknown key `{key}`"), Some(help));
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return (
            format!("missing required key `{key}`"),
            Some(format!("add `{key} = ...`")),
        );
    }
    if message.contains("expected a TOML datetime")
        || message.contains("datetime")
        || message.contains("date")
    {
        return (
            message.to_string(),
            Some("write a date as 2020-02-10 or a date and time as 2020-02-10T09:30:00Z, without quotes".into()),
        );
    }
    let help = if message.starts_with("invalid type") {
        "give the value the type this key takes: text in double quotes, true or false, a number, or a list in [ ]"
    } else {
        "write TOML: one `key = value` per line, text in double quotes, lists in [ ]"
    };
    (message.to_string(), Some(help.to_string()))
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns_in_characters() {
        let text = "a\nbé=c\n";
        assert_eq!(locate(text, 0), Location { line: 1, column: 1 });
        assert_eq!(locate(text, 2), Location { line: 2, column: 1 });
        assert_eq!(locate(text, 5), Location { line: 2, column: 3 });
    }

    #[test]
    fn a_locator_finds_what_locate_finds_in_any_order() {
        let text = "ab\nçd\n\nlong line é here\nlast";
        let offsets: Vec<usize> = (0..=text.len())
            .filter(|&offset| text.is_char_boundary(offset))
            .collect();
        let mut locator = Locator::new(text);
        for &offset in offsets.iter().chain(offsets.iter().rev()).chain(&offsets) {
            let (location, line) = locator.locate(offset);
            assert_eq!(location, locate(text, offset), "{offset}");
            let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
            assert_eq!(line, line_start..line_end(text, offset), "{offset}");
        }
    }

    #[test]
    fn toml_syntax_errors_are_said_in_an_authors_words() {
        let problem = |text: &str| {
            let error = text.parse::<toml::Table>().unwrap_err();
            let diagnostic = from_toml_error(&error, Path::new("site.toml"), text, 0);
            let location = diagnostic.location.unwrap();
            (diagnostic.message, location.line, location.column)
        };
        assert_eq!(
            problem("a = 1\ntitle = \"Aim to Win\n"),
            ("this text has no closing quote".to_string(), 2, 9)
        );
        assert_eq!(
            problem("title = 'A\n"),
            ("this text has no closing quote".to_string(), 1, 9)
        );
        assert_eq!(problem("title = A\n").0, "this text is not in quotes");
        assert_eq!(problem("title =\n").0, "the key has no value");
        assert_eq!(problem("title \"A\"\n").0, "`=` is missing after the key");
        assert_eq!(
            problem("tags = [\"a\" \"b\"]\n").0,
            "a comma is missing between two items of this list"
        );
        assert_eq!(
            problem("title = \"A\"\ntitle = \"B\"\n"),
            ("this key is given twice".to_string(), 2, 1)
        );
    }

    #[test]
    fn the_help_lines_up_with_the_gutter() {
        let text = "a\n".repeat(11) + "title = 1\n";
        let shown = Diagnostic::error("site.toml", "bad")
            .at(&text, 22..27)
            .with_help("fix it")
            .to_string();
        assert!(
            shown.contains("\n12 | title = 1\n   | ^^^^^\n   = help: fix it\n"),
            "{shown}"
        );
    }

    #[test]
    fn shows_the_line_with_a_caret() {
        let text = "+++\ntitel = \"x\"\n+++\n";
        let shown = Diagnostic::error("content/a.md", "unknown key `titel`")
            .with_help("did you mean `title`?")
            .at(text, 4..9)
            .to_string();
        assert_eq!(
            shown,
            "error: unknown key `titel`\n  --> content/a.md:2:1\n  |\n2 | titel = \"x\"\n  | ^^^^^\n  = help: did you mean `title`?\n"
        );
    }

    #[test]
    fn characters_a_terminal_acts_on_are_shown_escaped() {
        let text = "+++\ntitle = \"\u{1b}[2J\tA\u{202e}B\"\n+++\n";
        let start = text.find("A").unwrap();
        let shown = Diagnostic::error("content/a\u{1b}.md", "title `\u{1b}[2J\tA` is odd\r")
            .with_help("remove \u{7}")
            .at(text, start..start + 4)
            .to_string();
        assert!(
            !shown.contains(['\u{1b}', '\r', '\u{7}', '\u{202e}']),
            "{shown:?}"
        );
        assert_eq!(
            shown,
            "error: title `\\u{1b}[2J\tA` is odd\\u{d}\n  --> content/a\\u{1b}.md:2:15\n  |\n\
             2 | title = \"\\u{1b}[2J\tA\\u{202e}B\"\n  |                   \t^^^^^^^^^\n\
             \x20 = help: remove \\u{7}\n"
        );
    }

    #[test]
    fn a_report_shows_a_few_problems_of_each_kind_in_each_file() {
        let mut problems = Diagnostics::default();
        let text = "[x](#a) ".repeat(25);
        for index in 0..25 {
            let message = format!("`#a{index}` is not a heading of `content/b.md`");
            problems.push(
                Diagnostic::error("content/a.md", message).at(&text, index * 8..index * 8 + 7),
            );
        }
        problems.push(Diagnostic::error("content/a.md", "another kind"));
        problems.push(Diagnostic::warning("content/a.md", "`x` is a placeholder"));
        problems.push(Diagnostic::error(
            "content/c.md",
            "`#a` is not a heading of `content/b.md`",
        ));
        let problems = problems.sorted();
        assert_eq!(problems.error_count(), 27);
        assert_eq!(problems.warning_count(), 1);
        assert_eq!(problems.iter().count(), SHOWN_PER_KIND + 3);
        let shown = problems.to_string();
        assert_eq!(
            shown.matches("is not a heading").count(),
            SHOWN_PER_KIND + 1
        );
        assert_eq!(shown.matches("more like this").count(), 1);
        assert!(
            shown.contains("= note: 15 more like this in this file not shown"),
            "{shown}"
        );
        assert!(shown.ends_with("build failed: 27 errors"), "{shown}");
        // Sorting a report again changes nothing.
        assert_eq!(problems.clone().sorted().to_string(), shown);
    }

    #[test]
    fn counts_are_shown_with_thousands_separated() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(99_990), "99,990");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn suggests_the_closest_key() {
        assert_eq!(closest("titel", ["title", "date", "tags"]), Some("title"));
        assert_eq!(closest("zzz", ["title", "date"]), None);
    }

    #[test]
    fn unknown_toml_keys_get_a_suggestion() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Front {
            title: String,
        }
        let text = "titel = \"x\"\n";
        let error = toml::from_str::<Front>(text).unwrap_err();
        let diagnostic = from_toml_error(&error, Path::new("a.md"), text, 0);
        assert_eq!(diagnostic.message, "unknown key `titel`");
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `title`?"));
        assert_eq!(diagnostic.location, Some(Location { line: 1, column: 1 }));
    }

    #[test]
    fn syntax_and_type_errors_say_how_to_fix_them() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Front {
            draft: bool,
        }
        for text in ["draft = \"yes\"\n", "draft = \"unclosed\n"] {
            let error = toml::from_str::<Front>(text).unwrap_err();
            let diagnostic = from_toml_error(&error, Path::new("a.md"), text, 0);
            assert!(diagnostic.help.is_some(), "{text}");
        }
    }
}
