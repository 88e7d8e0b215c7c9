//! What a static host needs beside the pages, made from the rendered site: a strict
//! Content-Security-Policy that allows exactly the inline code the pages hold (by hash), set as a
//! `<meta>` in every page and in `_headers` with the other security and caching headers;
//! `_redirects` for aliases; optional HTML minification. Pure: works on files in memory.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::html::{self, CodeKind};
use crate::memo::Memo;
use crate::output::{Contents, OutputFile};
use crate::site::Site;

pub const HEADERS_FILE: &str = "_headers";
pub const REDIRECTS_FILE: &str = "_redirects";

/// Caching for files whose name changes with their content.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// Caching for HTML: always ask the host whether the page changed.
const CACHE_REVALIDATE: &str = "public, max-age=0, must-revalidate";

/// A source a feature or the settings add to a CSP directive.
pub type Allowance = (String, String);

/// Finishes pages for deployment one at a time, as they are rendered, from any thread: minifies
/// (when asked) and puts in each page a `<meta>` policy allowing exactly that page's inline code.
/// Remembers what the site-wide `_headers` policy must allow and which HTML paths exist.
pub struct Finisher {
    base: Policy,
    /// The `<meta>` of a page without inline code, made once: most pages have none.
    base_meta: String,
    minify: bool,
    head_insertion_points: html::HeadInsertionPoints,
    found: Mutex<Found>,
}

/// What the pages finished so far hold.
#[derive(Default)]
struct Found {
    hashes: BTreeMap<CodeKind, BTreeSet<String>>,
    html_paths: Vec<String>,
}

/// Pages finished by the last build, by output path, reused while the rendered HTML, the base
/// policy and the minify setting are the same (`serve`).
#[derive(Default)]
pub struct FinishMemo {
    /// The minify setting and base policy the pages were finished with.
    key: String,
    pages: Memo<FinishedPage>,
}

impl FinishMemo {
    /// Starts a build that finishes its pages with `finisher`.
    pub fn start(&mut self, finisher: &Finisher) {
        let key = finisher.memo_key();
        if self.key == key {
            self.pages.start();
        } else {
            self.pages.clear();
            self.key = key;
        }
    }
}

#[derive(Debug)]
pub struct FinishedPage {
    rendered: Arc<str>,
    hashes: Vec<(CodeKind, String)>,
    finished: Arc<str>,
}

impl Finisher {
    pub fn new(site: &Site, allowances: &[Allowance]) -> Self {
        let base = Policy::new(site, allowances);
        Finisher {
            base_meta: csp_meta(&base),
            base,
            minify: site.settings.minify,
            head_insertion_points: html::HeadInsertionPoints::default(),
            found: Mutex::new(Found::default()),
        }
    }

    fn memo_key(&self) -> String {
        format!("{} {}", self.minify, self.base.render(Delivery::Header))
    }

    /// Finishes one rendered file; files other than HTML pass through. Through `memo`, a page
    /// rendered as in the last build is not finished again, and its finished HTML is shared
    /// with the memo, not copied.
    pub fn finish(&self, mut file: OutputFile, memo: Option<&FinishMemo>) -> OutputFile {
        if !is_html(&file.path) {
            return file;
        }
        file.contents = match (
            std::mem::replace(&mut file.contents, Contents::Embedded(&[])),
            memo,
        ) {
            (Contents::Text(rendered), None) => self.finish_unshared(&file.path, rendered),
            (Contents::Shared(rendered), None) => {
                self.finish_unshared(&file.path, rendered.to_string())
            }
            (Contents::Shared(rendered), Some(memo)) => {
                let page = memo.pages.get_or(
                    &file.path,
                    |cached| {
                        Arc::ptr_eq(&cached.rendered, &rendered) || cached.rendered == rendered
                    },
                    || {
                        let (finished, hashes) = self.finish_html(rendered.to_string());
                        FinishedPage {
                            rendered: Arc::clone(&rendered),
                            hashes,
                            finished: Arc::from(finished),
                        }
                    },
                );
                self.found(&file.path, &page.hashes);
                Contents::Shared(Arc::clone(&page.finished))
            }
            (Contents::Text(rendered), Some(memo)) => {
                return self.finish(OutputFile::shared(file.path, rendered), Some(memo));
            }
            // A file the templates did not render (a page of static/) is published as it is.
            (contents, _) => contents,
        };
        file
    }

    fn finish_unshared(&self, path: &str, rendered: String) -> Contents {
        let (finished, hashes) = self.finish_html(rendered);
        self.found(path, &hashes);
        Contents::Text(finished)
    }

    /// Notes a finished page and the hashes of its inline code, for `site_files`.
    fn found(&self, path: &str, hashes: &[(CodeKind, String)]) {
        let mut found = self
            .found
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (kind, hash) in hashes {
            found.hashes.entry(*kind).or_default().insert(hash.clone());
        }
        found.html_paths.push(path.to_string());
    }

    /// Minifies, finds the inline code and puts the policy in: the finished page and the
    /// hashes of its inline code.
    fn finish_html(&self, rendered: String) -> (String, Vec<(CodeKind, String)>) {
        let mut finished = match self.minify {
            true => minify_html(&rendered),
            false => rendered,
        };
        let hashes: Vec<(CodeKind, String)> = html::inline_code(&finished)
            .into_iter()
            .map(|code| (code.kind, csp_hash(&code.text)))
            .collect();
        if let Some(offset) = self.head_insertion_points.find(&finished) {
            let own_meta;
            let meta = if hashes.is_empty() {
                &self.base_meta
            } else {
                let mut policy = self.base.clone();
                for (kind, hash) in &hashes {
                    policy.add(kind.directive(), hash.clone());
                }
                own_meta = csp_meta(&policy);
                &own_meta
            };
            finished.insert_str(offset, meta);
        }
        (finished, hashes)
    }

    /// `_headers` and `_redirects`, once every page is finished.
    pub fn site_files(self, site: &Site) -> Vec<OutputFile> {
        let found = self
            .found
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut policy = self.base;
        for (kind, hashes) in &found.hashes {
            for hash in hashes {
                policy.add(kind.directive(), hash.clone());
            }
        }
        let headers = headers_file(site, &found.html_paths, &policy);
        vec![
            OutputFile::text(HEADERS_FILE.into(), headers),
            OutputFile::text(REDIRECTS_FILE.into(), redirects_file(site)),
        ]
    }
}

/// The policy as a page's `<meta>`, on a line of its own.
fn csp_meta(policy: &Policy) -> String {
    format!(
        "\n<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        policy.render(Delivery::Meta)
    )
}

impl CodeKind {
    fn directive(self) -> &'static str {
        match self {
            CodeKind::Script => "script-src",
            CodeKind::Style => "style-src",
        }
    }
}

fn is_html(path: &str) -> bool {
    path.ends_with(".html")
}

fn csp_hash(code: &str) -> String {
    let digest = Sha256::digest(code.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Delivery {
    Meta,
    Header,
}

/// A Content-Security-Policy: directive → sources, in a fixed order.
#[derive(Clone)]
struct Policy(Vec<(&'static str, BTreeSet<String>)>);

impl Policy {
    /// What every page allows: its own origin, and the sources features and settings add.
    fn new(site: &Site, allowances: &[Allowance]) -> Self {
        let own = |sources: &[&str]| {
            sources
                .iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<_>>()
        };
        let mut policy = Policy(vec![
            ("default-src", own(&["'self'"])),
            ("script-src", own(&["'self'"])),
            ("style-src", own(&["'self'"])),
            ("img-src", own(&["'self'", "data:"])),
            ("font-src", own(&["'self'"])),
            ("connect-src", own(&["'self'"])),
            ("frame-src", own(&["'self'"])),
            ("media-src", own(&["'self'"])),
            ("object-src", own(&["'none'"])),
            ("base-uri", own(&["'self'"])),
            ("form-action", own(&["'self'", "mailto:"])),
            ("frame-ancestors", own(&["'none'"])),
        ]);
        let from_settings = site
            .settings
            .csp_allow
            .iter()
            .flat_map(|(directive, sources)| sources.iter().map(move |source| (directive, source)));
        for (directive, source) in allowances.iter().map(|(d, s)| (d, s)).chain(from_settings) {
            policy.add(directive, source.clone());
        }
        policy
    }

    fn add(&mut self, directive: &str, source: String) {
        if let Some((_, sources)) = self.0.iter_mut().find(|(name, _)| *name == directive) {
            sources.insert(source);
        }
    }

    /// The policy as text. `frame-ancestors` only works as a header; in a `<meta>` the browser
    /// ignores it with a console error.
    fn render(&self, delivery: Delivery) -> String {
        self.0
            .iter()
            .filter(|(name, _)| delivery == Delivery::Header || *name != "frame-ancestors")
            .map(|(name, sources)| {
                let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
                format!("{name} {}", sources.join(" "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `_headers` for Netlify and Cloudflare Pages: security headers everywhere, a year of caching for
/// fingerprinted files, revalidation for HTML. Rules never overlap on `Cache-Control`, since those
/// hosts join the values of every rule that matches.
fn headers_file(site: &Site, html_paths: &[String], policy: &Policy) -> String {
    let base = &site.settings.base_url.path;
    let mut text = format!(
        "{base}*\n  Content-Security-Policy: {}\n  X-Content-Type-Options: nosniff\n  Referrer-Policy: strict-origin-when-cross-origin\n  Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()\n  X-Frame-Options: DENY\n",
        policy.render(Delivery::Header)
    );
    let fingerprinted: BTreeSet<&str> = site.asset_urls.fingerprinted().collect();
    for path in &fingerprinted {
        text.push_str(&format!("{base}{path}\n  Cache-Control: {CACHE_FOREVER}\n"));
    }
    for rule in html_rules(html_paths, &fingerprinted) {
        text.push_str(&format!(
            "{base}{rule}\n  Cache-Control: {CACHE_REVALIDATE}\n"
        ));
    }
    text
}

/// Paths that cover every HTML file without covering a fingerprinted one: the home page, each
/// top-level HTML file, and `folder/*` for each top-level folder that holds HTML.
fn html_rules(html_paths: &[String], fingerprinted: &BTreeSet<&str>) -> BTreeSet<String> {
    let folder_of = |path: &str| path.split_once('/').map(|(folder, _)| folder.to_string());
    let asset_folders: BTreeSet<String> = fingerprinted
        .iter()
        .filter_map(|path| folder_of(path))
        .collect();
    let mut rules = BTreeSet::from([String::new()]);
    for path in html_paths {
        match folder_of(path) {
            Some(folder) if asset_folders.contains(&folder) => {
                rules.insert(path.trim_end_matches("index.html").to_string());
            }
            Some(folder) => {
                rules.insert(format!("{folder}/*"));
            }
            None => {
                rules.insert(path.clone());
            }
        }
    }
    rules
}

/// `_redirects` for Netlify and Cloudflare Pages: a permanent redirect for every alias.
fn redirects_file(site: &Site) -> String {
    let mut rules: Vec<String> = site
        .pages
        .iter()
        .flat_map(|page| {
            page.aliases
                .iter()
                .map(move |alias| format!("{} {} 301", site.url(alias), site.url(&page.path)))
        })
        .collect();
    rules.sort();
    rules.iter().map(|rule| format!("{rule}\n")).collect()
}

/// Collapses runs of white space between and inside text, and drops comments; leaves `<pre>`,
/// `<textarea>`, `<script>` and `<style>` exactly as they are.
pub fn minify_html(html: &str) -> String {
    use html5gum::{DefaultEmitter, Token, Tokenizer};
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(true);
    let mut minified = String::with_capacity(html.len());
    let mut verbatim_depth = 0usize;
    let mut copied_to = 0;
    let verbatim = |name: &[u8]| matches!(name, b"pre" | b"textarea" | b"script" | b"style");
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        let span = match &token {
            Token::StartTag(tag) => tag.span,
            Token::EndTag(tag) => tag.span,
            Token::String(text) => text.span,
            Token::Comment(comment) => comment.span,
            Token::Doctype(doctype) => doctype.span,
            Token::Error(_) => continue,
        };
        if span.start < copied_to || span.end > html.len() {
            continue;
        }
        // Anything the tokenizer passed over (such as the `<!--` of a comment) is kept.
        let skipped = &html[copied_to..span.start];
        let original = &html[span.start..span.end];
        match &token {
            Token::Comment(_) => {
                if !skipped.trim_start().starts_with("<!--") {
                    minified.push_str(skipped);
                }
            }
            Token::String(_) if verbatim_depth == 0 => {
                minified.push_str(skipped);
                collapse_whitespace(original, &mut minified);
            }
            _ => {
                minified.push_str(skipped);
                minified.push_str(original);
            }
        }
        match &token {
            Token::StartTag(tag) if verbatim(tag.name.as_slice()) && !tag.self_closing => {
                verbatim_depth += 1
            }
            Token::EndTag(tag) if verbatim(tag.name.as_slice()) => {
                verbatim_depth = verbatim_depth.saturating_sub(1)
            }
            _ => {}
        }
        copied_to = span.end;
    }
    minified.push_str(&html[copied_to..]);
    minified
}

/// Every run of white space becomes one space, or one newline if it held a newline.
fn collapse_whitespace(text: &str, into: &mut String) {
    let mut run: Option<bool> = None;
    for c in text.chars() {
        if c.is_ascii_whitespace() {
            let had_newline = run.unwrap_or(false);
            run = Some(had_newline || c == '\n');
        } else {
            if let Some(newline) = run.take() {
                into.push(if newline { '\n' } else { ' ' });
            }
            into.push(c);
        }
    }
    if let Some(newline) = run {
        into.push(if newline { '\n' } else { ' ' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_what_browsers_compute() {
        // The value Chromium reports for `alert('Hello, world.');` in its CSP error.
        assert_eq!(
            csp_hash("alert('Hello, world.');"),
            "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
        );
    }

    #[test]
    fn minifying_keeps_preformatted_text_and_drops_comments() {
        let html = "<!doctype html>\n<html>\n  <body>\n    <!-- note -->\n    <p>a   b</p>\n<pre>x\n\n  y</pre>\n<script>if (a  <  b) {}</script>\n  </body>\n</html>\n";
        let minified = minify_html(html);
        assert_eq!(
            minified,
            "<!doctype html>\n<html>\n<body>\n\n<p>a b</p>\n<pre>x\n\n  y</pre>\n<script>if (a  <  b) {}</script>\n</body>\n</html>\n"
        );
    }

    #[test]
    fn html_rules_never_cover_fingerprinted_files() {
        let paths = [
            "index.html",
            "404.html",
            "articles/a/index.html",
            "css/x/index.html",
        ]
        .map(String::from);
        let fingerprinted = BTreeSet::from(["css/site.0123456789.css"]);
        let rules: Vec<String> = html_rules(&paths, &fingerprinted).into_iter().collect();
        assert_eq!(
            rules,
            ["", "404.html", "articles/*", "css/x/", "index.html"]
        );
    }
}
