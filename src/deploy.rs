//! What a static host needs beside the pages, made from the rendered site: a strict
//! Content-Security-Policy that allows exactly the inline code the pages hold (by hash), set as a
//! `<meta>` in every page and in `_headers` with the other security and caching headers;
//! `_redirects` for aliases; optional HTML minification. Pure: works on files in memory.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine as _;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::html::{self, CodeKind};
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

/// Finishes the rendered files for deployment, in place.
pub fn finish(site: &Site, files: &mut Vec<OutputFile>, allowances: &[Allowance]) {
    finish_with(site, files, allowances, None, &[])
}

/// Like `finish`, but redoes the work on a page (minifying, finding its inline code, adding the
/// policy) only when its HTML or the policy changed since the cache was filled (`serve`).
/// `unchanged[i]` says that `files[i]` is known to be the HTML this cache last saw for its path
/// (`templates::render_cached` tells), which spares comparing it.
pub fn finish_cached(
    site: &Site,
    files: &mut Vec<OutputFile>,
    allowances: &[Allowance],
    cache: &mut DeployCache,
    unchanged: &[bool],
) {
    finish_with(site, files, allowances, Some(cache), unchanged)
}

/// Pages finished by an earlier build, by output path: the HTML as rendered, its inline code,
/// the policy `<meta>` added and the finished HTML.
#[derive(Debug, Default)]
pub struct DeployCache {
    minify: bool,
    pages: HashMap<String, FinishedPage>,
}

#[derive(Debug)]
struct FinishedPage {
    rendered: String,
    code: Vec<html::InlineCode>,
    meta: String,
    finished: String,
}

fn finish_with(
    site: &Site,
    files: &mut Vec<OutputFile>,
    allowances: &[Allowance],
    mut cache: Option<&mut DeployCache>,
    unchanged: &[bool],
) {
    let minify = site.settings.minify;
    let caching = cache.is_some();
    let mut previous = match cache.as_deref_mut() {
        Some(cache) if cache.minify == minify => std::mem::take(&mut cache.pages),
        _ => HashMap::new(),
    };
    // Per HTML page: the cached page when its rendered HTML is unchanged, else the rendered
    // HTML (kept only when caching) and its inline code.
    let pages: Vec<(Option<&FinishedPage>, Option<String>, Vec<html::InlineCode>)> = files
        .par_iter_mut()
        .enumerate()
        .map(|(index, file)| {
            let (true, Contents::Text(text)) = (is_html(&file.path), &mut file.contents) else {
                return (None, None, Vec::new());
            };
            let known = unchanged.get(index).copied().unwrap_or(false);
            if let Some(cached) = previous.get(&file.path)
                && (known || cached.rendered == *text)
            {
                return (Some(cached), None, Vec::new());
            }
            let rendered = caching.then(|| text.clone());
            if minify {
                *text = minify_html(text);
            }
            let code = html::inline_code(text);
            (None, rendered, code)
        })
        .collect();
    let hashes = pages
        .iter()
        .flat_map(|(cached, _, code)| cached.map_or(code.as_slice(), |cached| &cached.code))
        .map(|code| (code.kind, csp_hash(&code.text)))
        .fold(
            BTreeMap::new(),
            |mut hashes: BTreeMap<CodeKind, BTreeSet<String>>, (kind, hash)| {
                hashes.entry(kind).or_default().insert(hash);
                hashes
            },
        );
    let policy = Policy::new(hashes, site, allowances);
    let meta = format!(
        "\n<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        policy.render(Delivery::Meta)
    );
    let finished: Vec<Option<FinishedPage>> = files
        .par_iter_mut()
        .zip(pages)
        .map(|(file, (cached, rendered, code))| {
            let Contents::Text(text) = &mut file.contents else {
                return None;
            };
            if !is_html(&file.path) {
                return None;
            }
            if let Some(cached) = cached {
                if cached.meta == meta {
                    *text = cached.finished.clone();
                    return None;
                }
                if minify {
                    *text = minify_html(text);
                }
            }
            if let Some(offset) = html::head_insertion_point(text) {
                text.insert_str(offset, &meta);
            }
            let rendered = rendered.or_else(|| cached.map(|cached| cached.rendered.clone()))?;
            let code = cached.map_or(code, |cached| cached.code.clone());
            Some(FinishedPage {
                rendered,
                code,
                meta: meta.clone(),
                finished: text.clone(),
            })
        })
        .collect();
    if let Some(cache) = cache {
        cache.minify = minify;
        for (file, page) in files.iter().zip(finished) {
            if let Some(page) = page.or_else(|| previous.remove(&file.path)) {
                cache.pages.insert(file.path.clone(), page);
            }
        }
    }
    let headers = headers_file(site, files, &policy);
    files.push(OutputFile::text(HEADERS_FILE.into(), headers));
    files.push(OutputFile::text(REDIRECTS_FILE.into(), redirects_file(site)));
}

fn is_html(path: &str) -> bool {
    path.ends_with(".html")
}

fn csp_hash(code: &str) -> String {
    let digest = Sha256::digest(code.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Delivery {
    Meta,
    Header,
}

/// A Content-Security-Policy: directive → sources, in a fixed order.
struct Policy(Vec<(&'static str, BTreeSet<String>)>);

impl Policy {
    fn new(hashes: BTreeMap<CodeKind, BTreeSet<String>>, site: &Site, allowances: &[Allowance]) -> Self {
        let own = |sources: &[&str]| sources.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let mut directives: Vec<(&'static str, BTreeSet<String>)> = vec![
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
        ];
        let mut add = |directive: &str, source: String| {
            if let Some((_, sources)) = directives.iter_mut().find(|(name, _)| *name == directive) {
                sources.insert(source);
            }
        };
        for (kind, kind_hashes) in hashes {
            let directive = match kind {
                CodeKind::Script => "script-src",
                CodeKind::Style => "style-src",
            };
            for hash in kind_hashes {
                add(directive, hash);
            }
        }
        let from_settings = site
            .settings
            .csp_allow
            .iter()
            .flat_map(|(directive, sources)| sources.iter().map(move |source| (directive, source)));
        for (directive, source) in allowances.iter().map(|(d, s)| (d, s)).chain(from_settings) {
            add(directive, source.clone());
        }
        Policy(directives)
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
fn headers_file(site: &Site, files: &[OutputFile], policy: &Policy) -> String {
    let base = &site.settings.base_url.path;
    let mut text = format!(
        "{base}*\n  Content-Security-Policy: {}\n  X-Content-Type-Options: nosniff\n  Referrer-Policy: strict-origin-when-cross-origin\n  Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()\n  X-Frame-Options: DENY\n",
        policy.render(Delivery::Header)
    );
    let fingerprinted: BTreeSet<&str> = site.asset_urls.fingerprinted().collect();
    for path in &fingerprinted {
        text.push_str(&format!("{base}{path}\n  Cache-Control: {CACHE_FOREVER}\n"));
    }
    for rule in html_rules(files, &fingerprinted) {
        text.push_str(&format!("{base}{rule}\n  Cache-Control: {CACHE_REVALIDATE}\n"));
    }
    text
}

/// Paths that cover every HTML file without covering a fingerprinted one: the home page, each
/// top-level HTML file, and `folder/*` for each top-level folder that holds HTML.
fn html_rules(files: &[OutputFile], fingerprinted: &BTreeSet<&str>) -> BTreeSet<String> {
    let folder_of = |path: &str| path.split_once('/').map(|(folder, _)| folder.to_string());
    let asset_folders: BTreeSet<String> = fingerprinted.iter().filter_map(|path| folder_of(path)).collect();
    let mut rules = BTreeSet::from([String::new()]);
    for file in files.iter().filter(|file| is_html(&file.path)) {
        match folder_of(&file.path) {
            Some(folder) if asset_folders.contains(&folder) => {
                rules.insert(file.path.trim_end_matches("index.html").to_string());
            }
            Some(folder) => {
                rules.insert(format!("{folder}/*"));
            }
            None => {
                rules.insert(file.path.clone());
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
            Token::StartTag(tag) if verbatim(tag.name.as_slice()) && !tag.self_closing => verbatim_depth += 1,
            Token::EndTag(tag) if verbatim(tag.name.as_slice()) => verbatim_depth = verbatim_depth.saturating_sub(1),
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
        assert_eq!(csp_hash("alert('Hello, world.');"), "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='");
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
        let file = |path: &str| OutputFile::text(path.into(), String::new());
        let files = [file("index.html"), file("404.html"), file("articles/a/index.html"), file("css/x/index.html")];
        let fingerprinted = BTreeSet::from(["css/site.0123456789.css"]);
        let rules: Vec<String> = html_rules(&files, &fingerprinted).into_iter().collect();
        assert_eq!(rules, ["", "404.html", "articles/*", "css/x/", "index.html"]);
    }
}
