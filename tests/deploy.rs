//! Deploy-ready output (issue 5), checked without a browser by parsing what the build wrote:
//! `sitemap.xml`, `robots.txt` and `atom.xml` (with roxmltree), every page's head (canonical,
//! Open Graph, Twitter, JSON-LD, feed link, Content-Security-Policy), every link under a
//! sub-path base URL, fingerprinted assets and their caching rules in `_headers`, alias
//! redirects and `_redirects`, `--base-url`, and the minified build.
//!
//! Most checks run on the firm's real site (the repository root) built for
//! `https://example.github.io/aimtowin/`; the rest on `tests/deploy_fixture`, a small site with
//! aliases, inline code the policy must allow by hash, consent-gated inline code and static
//! files of its own, copied to a temporary folder before each build.

mod fixture;
mod support;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use fixture::{files, selector};
use scraper::{ElementRef, Html};
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{
    TempDir, aimsite, copy_folder, normalise_path, percent_decode, temp_dir, write_file,
};

const BASE_URL: &str = "https://example.github.io/aimtowin/";
const ATOM: &str = "http://www.w3.org/2005/Atom";
const SITEMAP: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
const YEAR: u64 = 31_536_000;

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_root() -> PathBuf {
    repo_root().join("tests/deploy_fixture")
}

/// Runs `aimsite build --root ROOT --output OUT [--base-url URL]`.
fn run_build(root: &Path, out: &Path, base_url: Option<&str>) -> Output {
    let mut command = aimsite();
    command
        .arg("build")
        .arg("--root")
        .arg(root)
        .arg("--output")
        .arg(out);
    if let Some(url) = base_url {
        command.args(["--base-url", url]);
    }
    command.output().expect("could not run aimsite")
}

/// A site copied into a temporary folder, to be changed before it is built.
struct Source {
    dir: TempDir,
    root: PathBuf,
}

impl Source {
    fn fixture() -> Source {
        let dir = temp_dir();
        let root = dir.path().join("site");
        copy_folder(&fixture_root(), &root);
        Source { dir, root }
    }

    /// The firm's site (settings, content, templates, static files) with `minify = true`.
    fn firm_minified() -> Source {
        let dir = temp_dir();
        let root = dir.path().join("site");
        for folder in ["content", "templates", "static"] {
            if repo_root().join(folder).is_dir() {
                copy_folder(&repo_root().join(folder), &root.join(folder));
            }
        }
        let settings = fs::read_to_string(repo_root().join("site.toml")).expect("site.toml");
        // First in the file: appended, it would land in the last table.
        write_file(root.join("site.toml"), format!("minify = true\n{settings}"));
        Source { dir, root }
    }

    fn write(&self, path: &str, contents: &str) {
        write_file(self.root.join(path), contents);
    }

    fn read(&self, path: &str) -> String {
        fs::read_to_string(self.root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Builds into `NAME` beside the source; the build must succeed.
    fn build(&self, name: &str, base_url: Option<&str>) -> Built {
        let out = self.dir.path().join(name);
        let output = run_build(&self.root, &out, base_url);
        assert_success(&output, &self.root);
        let base_url = base_url.map_or_else(|| base_url_of(&self.root), str::to_string);
        Built::read(out, &base_url)
    }
}

fn assert_success(output: &Output, root: &Path) {
    assert!(
        output.status.success(),
        "building {} failed ({}):\n{}",
        root.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `base_url` from a site's `site.toml`.
fn base_url_of(root: &Path) -> String {
    let text = fs::read_to_string(root.join("site.toml")).expect("site.toml");
    let settings: toml::Table = text.parse().expect("site.toml is TOML");
    settings["base_url"].as_str().expect("base_url").to_string()
}

/// A built site: every file of the output in memory.
struct Built {
    _dir: Option<TempDir>,
    out: PathBuf,
    /// `https://example.github.io/aimtowin/`.
    base_url: String,
    /// `https://example.github.io`.
    origin: String,
    /// `/aimtowin/`.
    base_path: String,
    files: BTreeMap<String, Vec<u8>>,
}

impl Built {
    /// The firm's site built for `BASE_URL`.
    fn firm() -> Built {
        let dir = temp_dir();
        let out = dir.path().join("public");
        let output = run_build(repo_root(), &out, Some(BASE_URL));
        assert_success(&output, repo_root());
        let mut built = Built::read(out, BASE_URL);
        built._dir = Some(dir);
        built
    }

    fn read(out: PathBuf, base_url: &str) -> Built {
        let scheme_end = base_url.find("://").expect("absolute base URL") + 3;
        let path_start = base_url[scheme_end..]
            .find('/')
            .map_or(base_url.len(), |i| i + scheme_end);
        Built {
            _dir: None,
            files: files(&out),
            out,
            base_url: base_url.to_string(),
            origin: base_url[..path_start].to_string(),
            base_path: base_url[path_start..].to_string(),
        }
    }

    fn text(&self, file: &str) -> String {
        let bytes = self
            .files
            .get(file)
            .unwrap_or_else(|| panic!("{file} is missing from {}", self.out.display()));
        String::from_utf8(bytes.clone()).unwrap_or_else(|_| panic!("{file} is not UTF-8"))
    }

    /// Every HTML file, parsed, by path below the output folder.
    fn pages(&self) -> BTreeMap<String, Html> {
        self.files
            .keys()
            .filter(|file| file.ends_with(".html"))
            .map(|file| (file.clone(), Html::parse_document(&self.text(file))))
            .collect()
    }

    /// The URL path a file is served at: `a/index.html` → `/aimtowin/a/`.
    fn url_path(&self, file: &str) -> String {
        let relative = match file.strip_suffix("index.html") {
            Some(folder) if folder.is_empty() || folder.ends_with('/') => folder,
            _ => file,
        };
        format!("{}{relative}", self.base_path)
    }

    fn permalink(&self, file: &str) -> String {
        format!("{}{}", self.origin, self.url_path(file))
    }

    /// The output file an absolute URL path maps to, or why it maps to none.
    fn file_at(&self, path: &str) -> Result<String, String> {
        let Some(relative) = path.strip_prefix(&self.base_path) else {
            return Err(format!("`{path}` lacks the base path `{}`", self.base_path));
        };
        let file = if relative.is_empty() || relative.ends_with('/') {
            format!("{relative}index.html")
        } else {
            relative.to_string()
        };
        if self.files.contains_key(&file) {
            Ok(file)
        } else if self.files.contains_key(&format!("{file}/index.html")) {
            Err(format!(
                "`{path}` is a folder: the link lacks its trailing `/`"
            ))
        } else {
            Err(format!(
                "`{path}` maps to `{file}`, which is not in the output"
            ))
        }
    }

    /// A link's target as an absolute URL path and fragment; `None` for other sites and
    /// schemes. `from` is the file the link is on.
    fn resolve(&self, from: &str, href: &str) -> Option<(String, Option<String>)> {
        let href = href.trim();
        // `//host`, for scheme-relative URLs.
        let host = &self.origin[self.origin.find("://").expect("origin") + 1..];
        let local = if let Some(rest) = href.strip_prefix(&self.origin) {
            if rest.is_empty() || rest.starts_with(['/', '?', '#']) {
                rest.to_string()
            } else {
                return None;
            }
        } else if let Some(rest) = href.strip_prefix(host) {
            // `//host/...`
            if rest.starts_with('/') {
                rest.to_string()
            } else {
                return None;
            }
        } else if href.starts_with("//") || has_scheme(href) {
            return None;
        } else {
            href.to_string()
        };
        let (rest, fragment) = match local.split_once('#') {
            Some((rest, fragment)) => (rest.to_string(), Some(percent_decode(fragment))),
            None => (local, None),
        };
        let rest = rest.split('?').next().unwrap_or_default();
        let from_path = self.url_path(from);
        let joined = if rest.is_empty() {
            from_path
        } else if rest.starts_with('/') {
            rest.to_string()
        } else {
            format!(
                "{}{rest}",
                &from_path[..=from_path.rfind('/').expect("paths start with /")]
            )
        };
        Some((percent_decode(&normalise_path(&joined)), fragment))
    }
}

fn has_scheme(href: &str) -> bool {
    href.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

// ---------------------------------------------------------------------------------------------
// Reading pages
// ---------------------------------------------------------------------------------------------

fn select<'a>(page: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    page.select(&selector(css)).collect()
}

fn attr(page: &Html, css: &str, name: &str) -> Option<String> {
    page.select(&selector(css))
        .next()
        .and_then(|e| e.value().attr(name))
        .map(str::to_string)
}

/// The `content` of `<meta http-equiv=NAME>`, matched without regard to case.
fn http_equiv(page: &Html, name: &str) -> Vec<String> {
    select(page, "meta[http-equiv]")
        .into_iter()
        .filter(|meta| {
            meta.value()
                .attr("http-equiv")
                .is_some_and(|v| v.eq_ignore_ascii_case(name))
        })
        .filter_map(|meta| meta.value().attr("content").map(str::to_string))
        .collect()
}

/// A redirect page: it refreshes to another URL.
fn is_redirect(page: &Html) -> bool {
    !http_equiv(page, "refresh").is_empty()
}

fn is_noindex(page: &Html) -> bool {
    select(page, "meta[name=robots]")
        .iter()
        .filter_map(|meta| meta.value().attr("content"))
        .any(|content| content.to_ascii_lowercase().contains("noindex"))
}

/// Pages a search engine should index: not the 404 page, a redirect or a `noindex` page.
fn is_indexable(file: &str, page: &Html) -> bool {
    file != "404.html" && !is_redirect(page) && !is_noindex(page)
}

/// The target URL of `<meta http-equiv=refresh content="0; url=...">`.
fn refresh_target(content: &str) -> Option<String> {
    let (_, rest) = content.split_once(';')?;
    let rest = rest.trim();
    let (key, url) = rest.split_once('=')?;
    key.trim()
        .eq_ignore_ascii_case("url")
        .then(|| url.trim().trim_matches(['\'', '"']).to_string())
}

/// Every URL a page refers to that a browser or a crawler follows: `(what, value)`.
fn references(page: &Html) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (css, attribute) in [
        ("a[href]", "href"),
        ("area[href]", "href"),
        ("link[href]", "href"),
        ("script[src]", "src"),
        ("img[src]", "src"),
        ("source[src]", "src"),
        ("iframe[src]", "src"),
        ("iframe[data-src]", "data-src"),
        ("form[action]", "action"),
        ("[data-thanks-url]", "data-thanks-url"),
        ("meta[property='og:url']", "content"),
        ("meta[property='og:image']", "content"),
        ("meta[name='twitter:image']", "content"),
    ] {
        for element in page.select(&selector(css)) {
            let value = element.value().attr(attribute).unwrap_or_default();
            found.push((format!("{css} {value:?}"), value.to_string()));
        }
    }
    for (css, attribute) in [("img[srcset]", "srcset"), ("source[srcset]", "srcset")] {
        for element in page.select(&selector(css)) {
            for candidate in element
                .value()
                .attr(attribute)
                .unwrap_or_default()
                .split(',')
            {
                if let Some(url) = candidate.split_whitespace().next() {
                    found.push((format!("{css} {url:?}"), url.to_string()));
                }
            }
        }
    }
    for content in http_equiv(page, "refresh") {
        let target =
            refresh_target(&content).unwrap_or_else(|| panic!("unreadable refresh `{content}`"));
        found.push((format!("meta refresh {target:?}"), target));
    }
    found
}

fn ids(page: &Html) -> BTreeSet<String> {
    let ids = select(page, "[id]")
        .into_iter()
        .filter_map(|e| e.value().attr("id"));
    let names = select(page, "a[name]")
        .into_iter()
        .filter_map(|e| e.value().attr("name"));
    ids.chain(names).map(str::to_string).collect()
}

fn text_of(element: ElementRef<'_>) -> String {
    element
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

fn number(text: &str, digits: usize) -> Option<u32> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

fn is_date(text: &str) -> bool {
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Some(year), Some(month), Some(day)) = (number(y, 4), number(m, 2), number(d, 2)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `hh:mm:ss` with optional fraction.
fn is_time(text: &str, with_seconds: bool) -> bool {
    let (main, fraction) = match text.split_once('.') {
        Some((main, fraction)) => (main, Some(fraction)),
        None => (text, None),
    };
    if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let parts: Vec<&str> = main.split(':').collect();
    let limits: &[u32] = if with_seconds {
        &[23, 59, 60]
    } else {
        &[23, 59]
    };
    parts.len() == limits.len()
        && parts
            .iter()
            .zip(limits)
            .all(|(part, &max)| number(part, 2).is_some_and(|n| n <= max))
        && (with_seconds || fraction.is_none())
}

/// RFC 3339 `date-time`: `2020-02-10T00:00:00Z`, `2020-02-10T10:30:00.5+01:00`.
fn is_rfc3339(text: &str) -> bool {
    let Some((date, time)) = text.split_once('T') else {
        return false;
    };
    let (clock, offset_ok) = if let Some(clock) = time.strip_suffix('Z') {
        (clock, true)
    } else if let Some(at) = time.rfind(['+', '-']) {
        (&time[..at], is_time(&time[at + 1..], false))
    } else {
        return false;
    };
    is_date(date) && offset_ok && is_time(clock, true)
}

/// W3C Datetime as sitemaps use it: a date, or an RFC 3339 date-time.
fn is_w3c_datetime(text: &str) -> bool {
    is_date(text) || is_rfc3339(text)
}

#[test]
fn date_helpers_accept_only_valid_dates() {
    for good in ["2020-02-29", "2021-12-31"] {
        assert!(is_date(good), "{good}");
    }
    for bad in [
        "2021-02-29",
        "2021-13-01",
        "2021-1-01",
        "21-01-01",
        "2021-01-00",
        "",
    ] {
        assert!(!is_date(bad), "{bad}");
    }
    for good in [
        "2020-02-10T00:00:00Z",
        "2021-06-01T10:30:00.25+02:00",
        "2021-06-01T10:30:00-05:30",
    ] {
        assert!(is_rfc3339(good), "{good}");
    }
    for bad in [
        "2020-02-10",
        "2020-02-10T00:00Z",
        "2020-02-10T24:00:00Z",
        "2020-02-10 00:00:00Z",
        "2020-02-10T00:00:00",
    ] {
        assert!(!is_rfc3339(bad), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// XML
// ---------------------------------------------------------------------------------------------

fn parse_xml<'a>(file: &str, text: &'a str) -> roxmltree::Document<'a> {
    roxmltree::Document::parse(text)
        .unwrap_or_else(|e| panic!("{file} is not well-formed XML: {e}\n{text}"))
}

fn children<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    namespace: &str,
    name: &str,
) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(|child| {
            child.is_element()
                && child.tag_name().name() == name
                && child.tag_name().namespace() == Some(namespace)
        })
        .collect()
}

fn only_child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    namespace: &str,
    name: &str,
    what: &str,
) -> roxmltree::Node<'a, 'i> {
    let found = children(node, namespace, name);
    assert_eq!(
        found.len(),
        1,
        "{what} must have exactly one <{name}>, has {}",
        found.len()
    );
    found[0]
}

fn text_child(node: roxmltree::Node<'_, '_>, namespace: &str, name: &str, what: &str) -> String {
    let text = only_child(node, namespace, name, what)
        .text()
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(!text.is_empty(), "{what}: <{name}> is empty");
    text
}

/// The `<loc>` and `<lastmod>` of each `<url>` of a sitemap, after checking its structure.
fn sitemap_entries(built: &Built) -> Vec<(String, Option<String>)> {
    let text = built.text("sitemap.xml");
    let document = parse_xml("sitemap.xml", &text);
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "urlset", "sitemap.xml's root");
    assert_eq!(
        root.tag_name().namespace(),
        Some(SITEMAP),
        "sitemap.xml's namespace"
    );
    let mut entries = Vec::new();
    for url in root.children().filter(roxmltree::Node::is_element) {
        assert_eq!(
            (url.tag_name().namespace(), url.tag_name().name()),
            (Some(SITEMAP), "url"),
            "sitemap.xml holds only <url>"
        );
        let loc = text_child(url, SITEMAP, "loc", "a sitemap <url>");
        let lastmod = children(url, SITEMAP, "lastmod")
            .first()
            .map(|node| node.text().unwrap_or_default().trim().to_string());
        entries.push((loc, lastmod));
    }
    assert!(
        entries.len() <= 50_000,
        "a sitemap holds at most 50,000 URLs"
    );
    entries
}

// ---------------------------------------------------------------------------------------------
// Sitemap, robots.txt, feed
// ---------------------------------------------------------------------------------------------

/// Every `<loc>` is under the base URL and maps to an HTML page; every lastmod is a date; every
/// page but the 404 page, redirects and `noindex` pages is listed, and no 404 page or redirect.
/// Returns the files listed.
fn check_sitemap(built: &Built) -> BTreeSet<String> {
    let pages = built.pages();
    let entries = sitemap_entries(built);
    let mut listed = BTreeSet::new();
    for (loc, lastmod) in &entries {
        assert!(
            loc.starts_with(&built.base_url),
            "sitemap <loc> {loc} is not under {}",
            built.base_url
        );
        let path = &loc[built.origin.len()..];
        let file = built
            .file_at(path)
            .unwrap_or_else(|e| panic!("sitemap <loc> {loc}: {e}"));
        assert!(
            file.ends_with(".html"),
            "sitemap <loc> {loc} is not a page ({file})"
        );
        assert_eq!(
            loc,
            &built.permalink(&file),
            "sitemap <loc> is not the page's permalink"
        );
        if let Some(lastmod) = lastmod {
            assert!(
                is_w3c_datetime(lastmod),
                "sitemap: {loc} has lastmod `{lastmod}`, not a W3C date"
            );
        }
        assert!(
            file != "404.html" && !is_redirect(&pages[&file]),
            "sitemap.xml lists {loc}, the 404 page or a redirect"
        );
        assert!(listed.insert(file), "sitemap lists {loc} twice");
    }
    let indexable: BTreeSet<String> = pages
        .iter()
        .filter(|(file, page)| is_indexable(file, page))
        .map(|(file, _)| file.clone())
        .collect();
    let missing: Vec<_> = indexable.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "pages missing from sitemap.xml: {missing:?}"
    );
    listed
}

#[test]
fn sitemap_leaves_out_pages_marked_noindex() {
    let built = Built::firm();
    let pages = built.pages();
    let listed_noindex: Vec<String> = check_sitemap(&built)
        .into_iter()
        .filter(|file| is_noindex(&pages[file]))
        .collect();
    assert!(
        listed_noindex.is_empty(),
        "sitemap.xml lists pages whose <meta name=robots> says noindex: {listed_noindex:?}"
    );
}

#[test]
fn sitemap_lists_every_indexable_page_under_the_base_url() {
    let built = Built::firm();
    check_sitemap(&built);
    // Every dated page (articles, and pages that list them) has its date.
    let entries: BTreeMap<String, Option<String>> = sitemap_entries(&built).into_iter().collect();
    for (file, page) in built.pages() {
        let published = attr(&page, "meta[property='article:published_time']", "content");
        if let Some(published) = published {
            let loc = built.permalink(&file);
            let lastmod = entries[&loc]
                .clone()
                .unwrap_or_else(|| panic!("sitemap: {loc} has no lastmod"));
            assert!(
                lastmod.as_str() >= published.as_str(),
                "{loc}: lastmod {lastmod} before publication {published}"
            );
        }
    }
    for listing in ["", "articles/"] {
        let loc = format!("{BASE_URL}{listing}");
        assert!(
            entries.get(&loc).is_some_and(Option::is_some),
            "sitemap: {loc} has no lastmod"
        );
    }
}

#[test]
fn sitemap_lists_every_page_with_its_last_modification_date() {
    // The issue asks for "every published page and its last modification date".
    let built = Built::firm();
    let undated: Vec<String> = sitemap_entries(&built)
        .into_iter()
        .filter(|(_, lastmod)| lastmod.is_none())
        .map(|(loc, _)| loc)
        .collect();
    assert!(
        undated.is_empty(),
        "sitemap.xml entries without <lastmod>: {undated:?}"
    );
}

#[test]
fn robots_txt_allows_crawling_and_names_the_sitemap() {
    let built = Built::firm();
    let robots = built.text("robots.txt");
    let field = |name: &str| -> Vec<String> {
        robots
            .lines()
            .filter_map(|line| line.split_once(':'))
            .filter(|(key, _)| key.trim().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim().to_string())
            .collect()
    };
    assert_eq!(
        field("Sitemap"),
        [format!("{BASE_URL}sitemap.xml")],
        "robots.txt:\n{robots}"
    );
    assert!(
        field("User-agent").contains(&"*".to_string()),
        "robots.txt:\n{robots}"
    );
    assert!(
        !field("Disallow").contains(&"/".to_string()),
        "robots.txt blocks the whole site:\n{robots}"
    );
    assert!(built.files.contains_key("sitemap.xml"));
}

/// The feed's structure, and each entry: `(permalink, title, content HTML)`, in feed order.
fn check_feed(built: &Built) -> Vec<(String, String, String)> {
    let text = built.text("atom.xml");
    let document = parse_xml("atom.xml", &text);
    let feed = document.root_element();
    assert_eq!(
        (feed.tag_name().namespace(), feed.tag_name().name()),
        (Some(ATOM), "feed"),
        "atom.xml's root"
    );
    text_child(feed, ATOM, "id", "the feed");
    text_child(feed, ATOM, "title", "the feed");
    let updated = text_child(feed, ATOM, "updated", "the feed");
    assert!(
        is_rfc3339(&updated),
        "feed <updated> `{updated}` is not RFC 3339"
    );
    let links = children(feed, ATOM, "link");
    let self_link: Vec<_> = links
        .iter()
        .filter(|link| link.attribute("rel") == Some("self"))
        .collect();
    assert_eq!(self_link.len(), 1, "the feed needs one link rel=self");
    assert_eq!(
        self_link[0].attribute("href"),
        Some(format!("{}atom.xml", built.base_url).as_str())
    );
    let feed_has_author = !children(feed, ATOM, "author").is_empty();
    if feed_has_author {
        text_child(
            only_child(feed, ATOM, "author", "the feed"),
            ATOM,
            "name",
            "the feed's author",
        );
    }

    let mut entries = Vec::new();
    let mut ids = BTreeSet::new();
    for entry in children(feed, ATOM, "entry") {
        let title = text_child(entry, ATOM, "title", "an entry");
        let what = format!("feed entry `{title}`");
        let id = text_child(entry, ATOM, "id", &what);
        assert!(ids.insert(id.clone()), "two entries have the id {id}");
        let entry_updated = text_child(entry, ATOM, "updated", &what);
        assert!(
            is_rfc3339(&entry_updated),
            "{what}: <updated> `{entry_updated}` is not RFC 3339"
        );
        if updated.ends_with('Z')
            && entry_updated.ends_with('Z')
            && updated.len() == entry_updated.len()
        {
            assert!(
                entry_updated <= updated,
                "{what} was updated after the feed ({entry_updated} > {updated})"
            );
        }
        for published in children(entry, ATOM, "published") {
            let published = published.text().unwrap_or_default();
            assert!(
                is_rfc3339(published),
                "{what}: <published> `{published}` is not RFC 3339"
            );
        }
        assert!(
            feed_has_author || !children(entry, ATOM, "author").is_empty(),
            "{what} has no author"
        );
        let link = children(entry, ATOM, "link")
            .into_iter()
            .find(|link| link.attribute("rel").is_none_or(|rel| rel == "alternate"))
            .unwrap_or_else(|| panic!("{what} has no alternate link"));
        let href = link.attribute("href").unwrap_or_default().to_string();
        assert!(
            href.starts_with(&built.base_url),
            "{what}: link {href} is not under the base URL"
        );
        let file = built
            .file_at(&href[built.origin.len()..])
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(href, built.permalink(&file));
        let content = only_child(entry, ATOM, "content", &what);
        assert_eq!(
            content.attribute("type"),
            Some("html"),
            "{what}: content type"
        );
        let html = content.text().unwrap_or_default().to_string();
        let fragment = Html::parse_fragment(&html);
        assert!(
            !select(&fragment, "p, h2, h3, ul, ol, blockquote").is_empty()
                && !text_of(fragment.root_element()).is_empty(),
            "{what}: content is not HTML with text:\n{html}"
        );
        // Links in the content resolve against the entry (xml:base, else the entry's URL).
        let base = content
            .attribute((XML_NAMESPACE, "base"))
            .map_or(href.clone(), str::to_string);
        assert_eq!(base, href, "{what}: xml:base");
        for (what_link, value) in references(&fragment) {
            if let Some((path, _)) = built.resolve(&file, &value) {
                built
                    .file_at(&path)
                    .unwrap_or_else(|e| panic!("{what}: {what_link}: {e}"));
            }
        }
        entries.push((href, title, html));
    }
    entries
}

#[test]
fn atom_feed_is_valid_and_holds_the_articles_in_full() {
    let built = Built::firm();
    let entries = check_feed(&built);
    let pages = built.pages();
    let articles: Vec<(&String, &Html)> = pages
        .iter()
        .filter(|(_, page)| {
            attr(page, "meta[property='og:type']", "content").as_deref() == Some("article")
        })
        .collect();
    assert!(!articles.is_empty(), "the firm's site has articles");
    assert_eq!(
        entries.len(),
        articles.len().min(20),
        "the feed holds the newest 20 articles"
    );
    // Full content: the text of the article's body, not a summary.
    for (href, title, html) in &entries {
        let file = built.file_at(&href[built.origin.len()..]).unwrap();
        let page = &pages[&file];
        let h1 = text_of(select(page, "h1")[0]);
        assert_eq!(&h1, title, "feed entry title");
        let body = text_of(select(page, "main .prose")[0]);
        let content = text_of(Html::parse_fragment(html).root_element());
        assert_eq!(
            content, body,
            "the feed entry of {href} is not the article's full text"
        );
    }
    // Newest first.
    let dates: Vec<String> = entries
        .iter()
        .map(|(href, _, _)| {
            let page = &pages[&built.file_at(&href[built.origin.len()..]).unwrap()];
            attr(page, "meta[property='article:published_time']", "content").unwrap_or_default()
        })
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "feed entries are not newest first");
}

#[test]
fn feed_limit_keeps_only_the_newest_articles() {
    let source = Source::fixture();
    let settings = source.read("site.toml");
    source.write("site.toml", &format!("{settings}\n[feed]\nlimit = 1\n"));
    let built = source.build("public", None);
    let entries = check_feed(&built);
    assert_eq!(entries.len(), 1, "[feed] limit = 1");
    assert_eq!(
        entries[0].0, "https://fixture.test/site/articles/moved/",
        "the newest article"
    );
    // Markup in a title reaches the feed as text.
    assert_eq!(entries[0].1, "Moved </script> & “quoted”");
}

#[test]
fn every_page_links_the_feed_in_its_head() {
    for built in [Built::firm(), Source::fixture().build("public", None)] {
        for (file, page) in built.pages().iter().filter(|(_, page)| !is_redirect(page)) {
            let links = select(
                page,
                "head link[rel=alternate][type='application/atom+xml']",
            );
            assert_eq!(links.len(), 1, "{file}: one feed link in <head>");
            let href = links[0].value().attr("href").unwrap_or_default();
            let (path, _) = built
                .resolve(file, href)
                .unwrap_or_else(|| panic!("{file}: feed link {href} is external"));
            assert_eq!(
                built.file_at(&path),
                Ok("atom.xml".to_string()),
                "{file}: feed link {href}"
            );
            assert!(
                links[0]
                    .value()
                    .attr("title")
                    .is_some_and(|t| !t.is_empty()),
                "{file}: feed link has no title"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Links under the sub-path
// ---------------------------------------------------------------------------------------------

/// Every reference of every page resolves to a file under the base path, with its fragment;
/// returns the pages reached from the home page.
fn check_links(built: &Built) -> BTreeSet<String> {
    let pages = built.pages();
    let page_ids: BTreeMap<&String, BTreeSet<String>> =
        pages.iter().map(|(file, page)| (file, ids(page))).collect();
    let mut problems = Vec::new();
    let mut targets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, page) in &pages {
        for (what, value) in references(page) {
            if value.trim().to_ascii_lowercase().starts_with("javascript:") {
                problems.push(format!("{file}: {what} is a javascript: URL"));
                continue;
            }
            let Some((path, fragment)) = built.resolve(file, &value) else {
                continue;
            };
            match built.file_at(&path) {
                Err(e) => problems.push(format!("{file}: {what}: {e}")),
                Ok(target) => {
                    if let Some(fragment) = fragment.filter(|f| !f.is_empty())
                        && target.ends_with(".html")
                        && !page_ids[&target].contains(&fragment)
                    {
                        problems.push(format!("{file}: {what}: `{target}` has no id `{fragment}`"));
                    }
                    targets.entry(file.clone()).or_default().insert(target);
                }
            }
        }
    }
    // CSS: url(...) references resolve too.
    for (file, bytes) in built
        .files
        .iter()
        .filter(|(file, _)| file.ends_with(".css"))
    {
        let css = String::from_utf8_lossy(bytes);
        for piece in css.split("url(").skip(1) {
            let value = piece
                .split(')')
                .next()
                .unwrap_or_default()
                .trim()
                .trim_matches(['"', '\'']);
            if value.starts_with("data:") || value.starts_with('#') {
                continue;
            }
            if let Some((path, _)) = built.resolve(file, value)
                && let Err(e) = built.file_at(&path)
            {
                problems.push(format!("{file}: url({value}): {e}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken references under {}:\n{}",
        built.base_path,
        problems.join("\n")
    );

    let mut reached = BTreeSet::from(["index.html".to_string()]);
    let mut queue = VecDeque::from(["index.html".to_string()]);
    while let Some(file) = queue.pop_front() {
        for target in targets.get(&file).into_iter().flatten() {
            if target.ends_with(".html") && reached.insert(target.clone()) {
                queue.push_back(target.clone());
            }
        }
    }
    reached
}

#[test]
fn crawl_under_the_sub_path_resolves_every_link_and_fragment() {
    let built = Built::firm();
    assert_eq!(built.base_path, "/aimtowin/");
    let reached = check_links(&built);
    // The crawl from the home page reaches every page the sitemap lists.
    for (loc, _) in sitemap_entries(&built) {
        let file = built.file_at(&loc[built.origin.len()..]).unwrap();
        assert!(
            reached.contains(&file),
            "{loc} is listed in the sitemap but no link from the home page leads to it"
        );
    }
    // Root-relative references all carry the prefix (a relative link would hide a missing one).
    for (file, page) in built.pages() {
        for (what, value) in references(&page) {
            if value.starts_with('/') && !value.starts_with("//") {
                assert!(
                    value.starts_with("/aimtowin/"),
                    "{file}: {what} lacks the /aimtowin/ prefix"
                );
            }
        }
    }
    // The feed's and the sitemap's URLs carry it as well.
    assert!(
        built
            .text("atom.xml")
            .contains("https://example.github.io/aimtowin/articles/")
    );
}

#[test]
fn fixture_links_resolve_including_alias_pages() {
    let built = Source::fixture().build("public", None);
    check_links(&built);
    check_sitemap(&built);
    check_feed(&built);
}

// ---------------------------------------------------------------------------------------------
// Head: canonical, Open Graph, Twitter, JSON-LD
// ---------------------------------------------------------------------------------------------

fn check_head(built: &Built) {
    for (file, page) in built.pages() {
        let canonical = select(&page, "head link[rel=canonical]");
        assert_eq!(canonical.len(), 1, "{file}: one canonical link");
        let canonical = canonical[0].value().attr("href").unwrap_or_default();
        if is_redirect(&page) {
            continue; // checked with the aliases
        }
        let permalink = built.permalink(&file);
        if file != "404.html" {
            assert_eq!(canonical, permalink, "{file}: canonical");
        }
        let og_url = attr(&page, "meta[property='og:url']", "content");
        if file != "404.html" {
            assert_eq!(
                og_url.as_deref(),
                Some(permalink.as_str()),
                "{file}: og:url"
            );
        }
        let title = text_of(select(&page, "title")[0]);
        let description = attr(&page, "meta[name=description]", "content").unwrap_or_default();
        assert!(
            !description.trim().is_empty(),
            "{file}: no meta description"
        );
        for property in ["og:title", "og:description", "og:type", "og:site_name"] {
            let value =
                attr(&page, &format!("meta[property='{property}']"), "content").unwrap_or_default();
            assert!(
                !value.trim().is_empty(),
                "{file}: {property} is missing or empty"
            );
        }
        let og_title = attr(&page, "meta[property='og:title']", "content").unwrap();
        assert!(
            title.contains(&og_title),
            "{file}: og:title `{og_title}` is not in <title> `{title}`"
        );
        assert_eq!(
            attr(&page, "meta[property='og:description']", "content").unwrap(),
            description,
            "{file}: og:description"
        );
        let card = attr(&page, "meta[name='twitter:card']", "content").unwrap_or_default();
        assert!(
            ["summary", "summary_large_image"].contains(&card.as_str()),
            "{file}: twitter:card `{card}`"
        );
        assert_eq!(
            attr(&page, "meta[name='twitter:title']", "content"),
            Some(og_title),
            "{file}: twitter:title"
        );
        assert_eq!(
            attr(&page, "meta[name='twitter:description']", "content"),
            Some(description),
            "{file}: twitter:description"
        );
        if let Some(image) = attr(&page, "meta[property='og:image']", "content") {
            assert!(
                image.starts_with("https://") || image.starts_with("http://"),
                "{file}: og:image must be absolute: {image}"
            );
        }
        if card == "summary_large_image" {
            assert!(
                attr(&page, "meta[name='twitter:image']", "content").is_some(),
                "{file}: large card without image"
            );
        }
    }
}

#[test]
fn canonical_open_graph_and_twitter_tags_carry_the_permalink() {
    check_head(&Built::firm());
    check_head(&Source::fixture().build("public", None));
}

/// Every JSON-LD block of a page, parsed.
fn json_ld(file: &str, page: &Html) -> Vec<Value> {
    select(page, "script[type='application/ld+json']")
        .into_iter()
        .map(|script| {
            let text: String = script.text().collect();
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{file}: JSON-LD does not parse ({e}):\n{text}"))
        })
        .collect()
}

fn check_json_ld(built: &Built) {
    let mut articles = 0;
    for (file, page) in built.pages() {
        let blocks = json_ld(&file, &page);
        for block in &blocks {
            assert_eq!(block["@context"], "https://schema.org", "{file}: @context");
        }
        let of_type = |kind: &str| {
            blocks
                .iter()
                .filter(|b| b["@type"] == kind)
                .cloned()
                .collect::<Vec<_>>()
        };
        let is_article =
            attr(&page, "meta[property='og:type']", "content").as_deref() == Some("article");
        if is_article {
            articles += 1;
            let found = of_type("Article");
            assert_eq!(found.len(), 1, "{file}: one Article: {blocks:?}");
            let article = &found[0];
            let h1 = text_of(select(&page, "h1")[0]);
            assert_eq!(article["headline"], h1.as_str(), "{file}: headline");
            let published = article["datePublished"].as_str().unwrap_or_default();
            assert!(
                is_rfc3339(published) || is_date(published),
                "{file}: datePublished `{published}`"
            );
            let page_date = attr(&page, "meta[property='article:published_time']", "content")
                .unwrap_or_default();
            assert!(
                published.starts_with(&page_date[..10.min(page_date.len())]),
                "{file}: datePublished {published} is not the page's date {page_date}"
            );
            if let Some(modified) = article["dateModified"].as_str() {
                assert!(
                    is_rfc3339(modified) || is_date(modified),
                    "{file}: dateModified `{modified}`"
                );
                assert!(modified >= published, "{file}: modified before published");
            }
            let author = &article["author"];
            let author_name = if author.is_array() {
                &author[0]["name"]
            } else {
                &author["name"]
            };
            assert!(
                author_name.as_str().is_some_and(|n| !n.is_empty()),
                "{file}: author: {author}"
            );
            let permalink = built.permalink(&file);
            for key in ["url", "mainEntityOfPage"] {
                if let Some(value) = article.get(key) {
                    let value = value.as_str().or(value["@id"].as_str()).unwrap_or_default();
                    assert_eq!(value, permalink, "{file}: {key}");
                }
            }
        } else {
            assert!(
                of_type("Article").is_empty(),
                "{file} is not an article but has Article JSON-LD"
            );
        }
        if file == "index.html" {
            let found = of_type("Organization");
            assert_eq!(
                found.len(),
                1,
                "the home page needs one Organization: {blocks:?}"
            );
            assert!(
                found[0]["name"].as_str().is_some_and(|n| !n.is_empty()),
                "Organization name"
            );
            assert_eq!(found[0]["url"], built.base_url.as_str(), "Organization url");
        }
    }
    assert!(articles > 0, "no article found");
}

#[test]
fn json_ld_describes_articles_and_the_organization() {
    check_json_ld(&Built::firm());
    // A title with `</script>` and `&` stays inside its script and parses back as written.
    let built = Source::fixture().build("public", None);
    check_json_ld(&built);
    let page = Html::parse_document(&built.text("articles/moved/index.html"));
    let blocks = json_ld("articles/moved/index.html", &page);
    assert_eq!(blocks[0]["headline"], "Moved </script> & “quoted”");
    assert_eq!(blocks[0]["author"]["name"], "Fixture Author");
    assert_eq!(
        blocks[0]["datePublished"].as_str().map(|d| &d[..10]),
        Some("2021-05-04")
    );
    assert_eq!(
        blocks[0]["dateModified"].as_str().map(|d| &d[..10]),
        Some("2021-06-01")
    );
}

// ---------------------------------------------------------------------------------------------
// Fingerprinted assets and _headers
// ---------------------------------------------------------------------------------------------

/// `style.0123456789.css` → `style.css`, for a name with a 10-hex-digit fingerprint.
fn unfingerprinted(file: &str) -> Option<String> {
    let (folder, name) = match file.rsplit_once('/') {
        Some((folder, name)) => (format!("{folder}/"), name),
        None => (String::new(), file),
    };
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() < 3 {
        return None;
    }
    let hash = parts[parts.len() - 2];
    let is_hash = hash.len() == 10
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    is_hash.then(|| {
        let mut original = parts.clone();
        original.remove(parts.len() - 2);
        format!("{folder}{}", original.join("."))
    })
}

/// The stylesheets, scripts and icons pages load: `(page, file)`.
fn asset_references(built: &Built) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (file, page) in built.pages() {
        for (css, attribute) in [
            ("link[rel~=stylesheet]", "href"),
            ("script[src]", "src"),
            ("link[rel~=icon]", "href"),
        ] {
            for element in select(&page, css) {
                let value = element.value().attr(attribute).unwrap_or_default();
                let (path, _) = built
                    .resolve(&file, value)
                    .unwrap_or_else(|| panic!("{file}: {css} {value} is on another site"));
                let target = built
                    .file_at(&path)
                    .unwrap_or_else(|e| panic!("{file}: {css}: {e}"));
                found.insert((file.clone(), target));
            }
        }
    }
    found
}

fn check_fingerprints(built: &Built) {
    let references = asset_references(built);
    assert!(
        references.iter().any(|(_, asset)| asset.ends_with(".css")),
        "no stylesheet"
    );
    for (file, asset) in &references {
        let original = unfingerprinted(asset).unwrap_or_else(|| {
            panic!("{file} loads `{asset}`, whose name has no 10-hex-digit fingerprint")
        });
        let copy = &built.files[asset];
        let source = built
            .files
            .get(&original)
            .unwrap_or_else(|| panic!("the original of {asset}, {original}, is not kept"));
        assert_eq!(copy, source, "{asset} differs from {original}");
    }
}

#[test]
fn stylesheets_scripts_and_icons_are_fingerprinted_and_exist() {
    check_fingerprints(&Built::firm());
    check_fingerprints(&Source::fixture().build("public", None));
}

#[test]
fn changing_a_static_file_changes_only_its_fingerprinted_name() {
    let source = Source::fixture();
    let first = source.build("first", None);
    let assets = |built: &Built| -> BTreeMap<String, String> {
        asset_references(built)
            .into_iter()
            .map(|(_, asset)| (unfingerprinted(&asset).unwrap(), asset))
            .collect()
    };
    let before = assets(&first);
    let style = source.read("static/style.css");
    source.write(
        "static/style.css",
        &format!("{style}\nh1 {{ color: rebeccapurple; }}\n"),
    );
    let second = source.build("second", None);
    let after = assets(&second);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    assert_ne!(
        before["style.css"], after["style.css"],
        "style.css changed but kept its fingerprinted name"
    );
    assert!(
        !second.files.contains_key(&before["style.css"]),
        "the stale {} is still in the output",
        before["style.css"]
    );
    assert!(String::from_utf8_lossy(&second.files[&after["style.css"]]).contains("rebeccapurple"));
    for (original, name) in &before {
        if original != "style.css" {
            assert_eq!(
                &after[original], name,
                "{original} did not change but its name did"
            );
        }
    }
    // The same source again gives the same names.
    let third = source.build("third", None);
    assert_eq!(
        assets(&third),
        after,
        "fingerprints are not stable across builds"
    );
}

/// `_headers`: `(path pattern, [(header, value)])` in file order.
fn parse_headers(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut rules: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            let (name, value) = trimmed
                .split_once(':')
                .unwrap_or_else(|| panic!("_headers: `{line}` is not `Name: value`"));
            let rule = rules
                .last_mut()
                .unwrap_or_else(|| panic!("_headers: `{line}` comes before any path"));
            rule.1
                .push((name.trim().to_string(), value.trim().to_string()));
        } else {
            assert!(
                trimmed.starts_with('/'),
                "_headers: the path `{trimmed}` must start with /"
            );
            rules.push((trimmed.to_string(), Vec::new()));
        }
    }
    rules
}

/// Netlify and Cloudflare Pages: `*` matches any run of characters, `/` included.
fn pattern_matches(pattern: &str, path: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == path,
        Some((head, tail)) => path.strip_prefix(head).is_some_and(|rest| {
            (0..=rest.len())
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| pattern_matches(tail, &rest[i..]))
        }),
    }
}

/// Every value of `name` that applies to `path`.
fn headers_for(rules: &[(String, Vec<(String, String)>)], path: &str, name: &str) -> Vec<String> {
    rules
        .iter()
        .filter(|(pattern, _)| pattern_matches(pattern, path))
        .flat_map(|(_, headers)| {
            headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        })
        .collect()
}

fn max_age(cache_control: &str) -> Option<u64> {
    cache_control.split(',').find_map(|directive| {
        let (key, value) = directive.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| value.trim().parse().ok())?
    })
}

#[test]
fn header_matching_follows_the_hosts_rules() {
    assert!(pattern_matches("/a/*", "/a/b/c.html"));
    assert!(pattern_matches("/a/*", "/a/"));
    assert!(!pattern_matches("/a/*", "/b/"));
    assert!(pattern_matches("/a/", "/a/"));
    assert!(!pattern_matches("/a/", "/a/index.html"));
    assert!(pattern_matches("/*.css", "/a/b.css"));
    assert_eq!(max_age("public, max-age=31536000, immutable"), Some(YEAR));
    assert_eq!(max_age("no-cache"), None);
}

fn check_headers(built: &Built) {
    let text = built.text("_headers");
    let rules = parse_headers(&text);
    let everything = format!("{}*", built.base_path);
    let global = rules
        .iter()
        .find(|(pattern, _)| *pattern == everything || pattern == "/*")
        .unwrap_or_else(|| panic!("_headers has no rule for {everything}:\n{text}"));
    let value = |name: &str| {
        global
            .1
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(value("X-Content-Type-Options").as_deref(), Some("nosniff"));
    assert!(
        value("Referrer-Policy").is_some_and(|v| !v.is_empty()),
        "no Referrer-Policy"
    );
    assert!(
        value("Permissions-Policy").is_some_and(|v| !v.is_empty()),
        "no Permissions-Policy"
    );
    assert!(
        value("Content-Security-Policy").is_some(),
        "no Content-Security-Policy under {everything}"
    );

    // Each fingerprinted file: exactly one rule, a year, immutable (hosts join matching values).
    let fingerprinted: Vec<&String> = built
        .files
        .keys()
        .filter(|file| unfingerprinted(file).is_some())
        .collect();
    assert!(!fingerprinted.is_empty());
    for file in &fingerprinted {
        let path = format!("{}{file}", built.base_path);
        let values = headers_for(&rules, &path, "Cache-Control");
        assert_eq!(values.len(), 1, "{path}: Cache-Control rules {values:?}");
        assert_eq!(max_age(&values[0]), Some(YEAR), "{path}: {}", values[0]);
        assert!(values[0].contains("immutable"), "{path}: {}", values[0]);
    }
    // Everything else (HTML, feeds, unfingerprinted originals): never cached for long.
    for file in built
        .files
        .keys()
        .filter(|file| unfingerprinted(file).is_none() && !file.starts_with('.'))
    {
        let mut paths = vec![format!("{}{file}", built.base_path)];
        if file.ends_with(".html") {
            paths.push(built.url_path(file));
        }
        for path in paths {
            let values = headers_for(&rules, &path, "Cache-Control");
            for value in &values {
                assert!(
                    !value.contains("immutable") && max_age(value).is_none_or(|age| age < 3600),
                    "{path} ({file}) would be cached for long: {value}"
                );
            }
            if file.ends_with(".html") {
                let revalidates = values.iter().any(|v| {
                    v.contains("no-cache")
                        || (max_age(v) == Some(0) && v.contains("must-revalidate"))
                });
                assert!(revalidates, "{path}: HTML is not revalidated: {values:?}");
            }
        }
    }
}

#[test]
fn headers_cache_fingerprinted_files_for_a_year_and_revalidate_html() {
    check_headers(&Built::firm());
    check_headers(&Source::fixture().build("public", None));
}

// ---------------------------------------------------------------------------------------------
// Content-Security-Policy
// ---------------------------------------------------------------------------------------------

/// `directive → sources`.
fn parse_csp(policy: &str) -> BTreeMap<String, Vec<String>> {
    let mut directives = BTreeMap::new();
    for directive in policy.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let mut parts = directive.split_ascii_whitespace();
        let name = parts.next().expect("non-empty").to_ascii_lowercase();
        assert!(
            !directives.contains_key(&name),
            "the policy repeats {name}: {policy}"
        );
        directives.insert(name, parts.map(str::to_string).collect());
    }
    directives
}

/// The sources that apply to a directive, with `default-src` as its fallback.
fn sources<'a>(policy: &'a BTreeMap<String, Vec<String>>, directive: &str) -> &'a [String] {
    policy
        .get(directive)
        .or_else(|| policy.get("default-src"))
        .map_or(&[], Vec::as_slice)
}

fn csp_hash(code: &str) -> String {
    let digest = Sha256::digest(code.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// `sha256` sources for the inline scripts (`true`) and styles (`false`) of a page.
fn inline_hashes(page: &Html) -> Vec<(bool, String, String)> {
    let mut found = Vec::new();
    for script in select(page, "script:not([src])") {
        let kind = script
            .value()
            .attr("type")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if kind.contains("json") {
            continue;
        }
        let code: String = script.text().collect();
        found.push((true, csp_hash(&code), code));
    }
    for style in select(page, "style") {
        let code: String = style.text().collect();
        found.push((false, csp_hash(&code), code));
    }
    found
}

/// The policy of `_headers` for everything below the base path.
fn header_policy(built: &Built) -> String {
    let rules = parse_headers(&built.text("_headers"));
    let values = headers_for(
        &rules,
        &format!("{}index.html", built.base_path),
        "Content-Security-Policy",
    );
    assert_eq!(
        values.len(),
        1,
        "_headers: one Content-Security-Policy for every page: {values:?}"
    );
    values[0].clone()
}

fn check_csp(built: &Built) {
    let header_text = header_policy(built);
    let header = parse_csp(&header_text);
    let mut all_hashes = BTreeSet::new();
    for (file, page) in built.pages() {
        let metas = http_equiv(&page, "Content-Security-Policy");
        assert_eq!(metas.len(), 1, "{file}: one CSP <meta>");
        let meta = parse_csp(&metas[0]);
        // The meta must come before anything it governs.
        let head = select(&page, "head")[0];
        let first_governed = head
            .children()
            .filter_map(ElementRef::wrap)
            .position(|e| matches!(e.value().name(), "script" | "style" | "link"));
        let meta_position = head.children().filter_map(ElementRef::wrap).position(|e| {
            e.value().name() == "meta"
                && e.value()
                    .attr("http-equiv")
                    .is_some_and(|v| v.eq_ignore_ascii_case("content-security-policy"))
        });
        assert!(
            first_governed.is_none_or(|first| meta_position.is_some_and(|meta| meta < first)),
            "{file}: the CSP <meta> comes after a script, style or link"
        );
        // The same policy as the header, without what a <meta> cannot carry, and with the
        // hashes of this page's inline code only (the header allows every page's).
        let mut expected = header.clone();
        for only_header in ["frame-ancestors", "report-uri", "sandbox"] {
            expected.remove(only_header);
        }
        let without_hashes = |policy: &BTreeMap<String, Vec<String>>| {
            let mut policy = policy.clone();
            for sources in policy.values_mut() {
                sources.retain(|source| !source.starts_with("'sha256-"));
            }
            policy
        };
        assert_eq!(
            without_hashes(&meta),
            without_hashes(&expected),
            "{file}: the <meta> policy differs from _headers"
        );
        let page_hashes: BTreeSet<String> = inline_hashes(&page)
            .into_iter()
            .map(|(_, hash, _)| hash)
            .collect();
        for directive in ["script-src", "style-src"] {
            for source in sources(&meta, directive) {
                if source.starts_with("'sha256-") {
                    assert!(
                        page_hashes.contains(source),
                        "{file}: the <meta> {directive} allows {source}, which is no inline code of this page"
                    );
                }
            }
        }
        for policy in [&meta, &header] {
            for (directive, list) in policy {
                for bad in ["'unsafe-inline'", "'unsafe-eval'", "*", "data:"] {
                    let allowed_data =
                        bad == "data:" && matches!(directive.as_str(), "img-src" | "font-src");
                    assert!(
                        allowed_data || !list.iter().any(|s| s.eq_ignore_ascii_case(bad)),
                        "{file}: {directive} allows {bad}"
                    );
                }
            }
            assert!(policy.contains_key("default-src"), "{file}: no default-src");
            assert_eq!(
                policy.get("object-src").map(Vec::as_slice),
                Some(&["'none'".to_string()][..]),
                "{file}: object-src"
            );
            assert!(policy.contains_key("base-uri"), "{file}: no base-uri");
        }
        for (is_script, hash, code) in inline_hashes(&page) {
            let directive = if is_script { "script-src" } else { "style-src" };
            for (what, policy) in [("_headers", &header), ("<meta>", &meta)] {
                assert!(
                    sources(policy, directive).contains(&hash),
                    "{file}: the {what} {directive} lacks {hash} for the inline code:\n{code}"
                );
            }
            all_hashes.insert(hash);
        }
        // Inline attributes no hash can allow.
        for element in select(&page, "*") {
            for (name, _) in element.value().attrs() {
                assert!(
                    !name.starts_with("on") && name != "style",
                    "{file}: <{} {name}=...> is blocked by the policy",
                    element.value().name()
                );
            }
        }
    }
    // No hash is allowed for code that is not in the site.
    for directive in ["script-src", "style-src"] {
        for source in sources(&header, directive)
            .iter()
            .filter(|s| s.starts_with("'sha"))
        {
            assert!(
                all_hashes.contains(source),
                "{directive} allows {source}, which matches no inline code"
            );
        }
    }
}

#[test]
fn csp_has_no_unsafe_sources_and_allows_every_inline_code_by_hash() {
    check_csp(&Built::firm());
    let built = Source::fixture().build("public", None);
    check_csp(&built);
    // The fixture's inline style, inline script and consent-gated script are all allowed.
    let about = Html::parse_document(&built.text("about/index.html"));
    let hashes = inline_hashes(&about);
    assert_eq!(
        hashes.iter().filter(|(script, _, _)| *script).count(),
        2,
        "{hashes:?}"
    );
    assert_eq!(
        hashes.iter().filter(|(script, _, _)| !*script).count(),
        1,
        "{hashes:?}"
    );
}

#[test]
fn csp_allowances_from_settings_reach_the_policy() {
    let source = Source::fixture();
    let settings = source.read("site.toml");
    source.write(
        "site.toml",
        &format!("{settings}\n[security.allow]\nscript-src = [\"https://plausible.io\"]\nconnect-src = [\"https://plausible.io\"]\n"),
    );
    let built = source.build("public", None);
    check_csp(&built);
    let policy = parse_csp(&header_policy(&built));
    assert!(
        policy["script-src"].contains(&"https://plausible.io".to_string()),
        "{policy:?}"
    );
    assert!(
        policy["connect-src"].contains(&"https://plausible.io".to_string()),
        "{policy:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Aliases
// ---------------------------------------------------------------------------------------------

#[test]
fn aliases_make_redirect_pages_and_redirect_rules() {
    let built = Source::fixture().build("public", None);
    let target_path = "/site/articles/moved/";
    let permalink = "https://fixture.test/site/articles/moved/";
    for file in ["old/path/index.html", "legacy.html"] {
        let page = Html::parse_document(&built.text(file));
        let refresh = http_equiv(&page, "refresh");
        assert_eq!(refresh.len(), 1, "{file}: one meta refresh");
        let (delay, _) = refresh[0]
            .split_once(';')
            .unwrap_or_else(|| panic!("{file}: refresh `{}`", refresh[0]));
        assert_eq!(delay.trim(), "0", "{file}: the redirect waits");
        let target = refresh_target(&refresh[0]).unwrap();
        let (path, _) = built
            .resolve(file, &target)
            .unwrap_or_else(|| panic!("{file}: refresh to another site: {target}"));
        assert_eq!(path, target_path, "{file}: refresh target");
        assert_eq!(
            attr(&page, "link[rel=canonical]", "href").as_deref(),
            Some(permalink),
            "{file}: canonical"
        );
        assert!(
            is_noindex(&page),
            "{file}: a redirect page should not be indexed"
        );
        // A visible link for browsers that ignore the refresh.
        let links: Vec<String> = select(&page, "body a[href]")
            .iter()
            .filter_map(|a| a.value().attr("href"))
            .map(str::to_string)
            .collect();
        assert!(
            links.iter().any(|href| built
                .resolve(file, href)
                .is_some_and(|(p, _)| p == target_path)),
            "{file}: no link to the new page: {links:?}"
        );
        assert!(!select(&page, "html[lang]").is_empty(), "{file}: no lang");
    }
    let redirects = built.text("_redirects");
    let rules: Vec<Vec<&str>> = redirects
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    for old in ["/site/old/path/", "/site/legacy.html"] {
        assert!(
            rules.contains(&vec![old, target_path, "301"]),
            "_redirects lacks `{old} {target_path} 301`:\n{redirects}"
        );
    }
    assert_eq!(rules.len(), 2, "_redirects:\n{redirects}");
    // Alias pages are not in the sitemap and not in the feed.
    let listed: Vec<String> = sitemap_entries(&built)
        .into_iter()
        .map(|(loc, _)| loc)
        .collect();
    assert!(
        !listed
            .iter()
            .any(|loc| loc.contains("old/path") || loc.contains("legacy")),
        "{listed:?}"
    );
}

/// Builds the fixture with `change` applied; the build must fail naming `expected_file`, and
/// leave the previous output as it was.
fn assert_build_error(change: impl FnOnce(&Source), expected_file: &str, words: &[&str]) {
    let source = Source::fixture();
    let previous = source.build("public", None);
    change(&source);
    let output = run_build(&source.root, &previous.out, None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the build should fail:\n{stderr}"
    );
    assert!(
        stderr.contains(expected_file),
        "the error does not name {expected_file}:\n{stderr}"
    );
    for word in words {
        assert!(
            stderr.contains(word),
            "the error does not mention `{word}`:\n{stderr}"
        );
    }
    assert_eq!(
        files(&previous.out),
        previous.files,
        "a failed build changed the output"
    );
}

/// Puts `aliases` into the front matter of the page `file`.
fn add_aliases(source: &Source, file: &str, aliases: &[&str]) {
    let list = aliases
        .iter()
        .map(|alias| format!("\"{alias}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = source.read(file);
    source.write(
        file,
        &text.replacen("+++\n\n", &format!("aliases = [{list}]\n+++\n\n"), 1),
    );
}

#[test]
fn an_alias_that_collides_is_a_build_error() {
    // With a page.
    assert_build_error(
        |source| add_aliases(source, "content/articles/older.md", &["/about/"]),
        "older.md",
        &["about/index.html"],
    );
    // With another page's alias.
    assert_build_error(
        |source| add_aliases(source, "content/articles/older.md", &["/legacy.html"]),
        "older.md",
        &["legacy.html"],
    );
    // The same folder written without its trailing slash.
    assert_build_error(
        |source| add_aliases(source, "content/about.md", &["/old/path"]),
        "about.md",
        &["old/path/index.html"],
    );
    // With a generated page.
    assert_build_error(
        |source| add_aliases(source, "content/about.md", &["/tags/"]),
        "about.md",
        &["tags/index.html"],
    );
    // With a static file.
    assert_build_error(
        |source| {
            source.write("static/old.html", "<!doctype html><title>old</title>");
            add_aliases(source, "content/about.md", &["/old.html"]);
        },
        "old.html",
        &["old.html"],
    );
}

#[test]
fn the_same_alias_twice_on_one_page_is_an_error_or_one_redirect() {
    let source = Source::fixture();
    add_aliases(&source, "content/about.md", &["/was/", "/was/"]);
    let out = source.dir.path().join("public");
    let output = run_build(&source.root, &out, None);
    if output.status.success() {
        let built = Built::read(out, "https://fixture.test/site/");
        let redirects = built.text("_redirects");
        let count = redirects
            .lines()
            .filter(|line| line.starts_with("/site/was/ "))
            .count();
        assert_eq!(count, 1, "_redirects repeats the alias:\n{redirects}");
    } else {
        assert!(String::from_utf8_lossy(&output.stderr).contains("about.md"));
    }
}

// ---------------------------------------------------------------------------------------------
// --base-url
// ---------------------------------------------------------------------------------------------

#[test]
fn base_url_flag_overrides_site_toml() {
    let source = Source::fixture();
    let from_settings = source.build("settings", None);
    let page = Html::parse_document(&from_settings.text("about/index.html"));
    assert_eq!(
        attr(&page, "link[rel=canonical]", "href").as_deref(),
        Some("https://fixture.test/site/about/")
    );

    let preview = "http://preview.test:8080/pr-7/";
    let built = source.build("preview", Some(preview));
    assert_eq!(built.base_path, "/pr-7/");
    let page = Html::parse_document(&built.text("about/index.html"));
    assert_eq!(
        attr(&page, "link[rel=canonical]", "href").as_deref(),
        Some("http://preview.test:8080/pr-7/about/")
    );
    check_links(&built);
    check_sitemap(&built);
    check_feed(&built);
    check_headers(&built);
    assert!(
        built
            .text("robots.txt")
            .contains("http://preview.test:8080/pr-7/sitemap.xml")
    );
    for file in [
        "atom.xml",
        "sitemap.xml",
        "robots.txt",
        "_headers",
        "_redirects",
        "index.html",
        "about/index.html",
    ] {
        assert!(
            !built.text(file).contains("fixture.test"),
            "{file} still carries the base URL of site.toml"
        );
    }
    let redirects = built.text("_redirects");
    assert!(
        redirects
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["/pr-7/legacy.html", "/pr-7/articles/moved/", "301"]),
        "{redirects}"
    );

    // A base URL at the root of a host works too.
    let root = source.build("root", Some("https://aimtowin.test/"));
    assert_eq!(root.base_path, "/");
    check_links(&root);
    check_sitemap(&root);
}

// ---------------------------------------------------------------------------------------------
// Minification
// ---------------------------------------------------------------------------------------------

fn check_html_basics(built: &Built) {
    for (file, page) in built.pages() {
        let lang = attr(&page, "html", "lang").unwrap_or_default();
        assert!(!lang.is_empty(), "{file}: no lang");
        let titles = select(&page, "head title");
        assert_eq!(titles.len(), 1, "{file}: one <title>");
        assert!(!text_of(titles[0]).is_empty(), "{file}: empty <title>");
        if !is_redirect(&page) {
            assert_eq!(select(&page, "h1").len(), 1, "{file}: one <h1>");
            assert_eq!(select(&page, "main").len(), 1, "{file}: one <main>");
        }
    }
}

fn size_of(built: &Built, extension: &str) -> usize {
    built
        .files
        .iter()
        .filter(|(file, _)| file.ends_with(extension))
        .map(|(_, bytes)| bytes.len())
        .sum()
}

#[test]
fn minified_site_passes_the_same_checks_and_is_smaller() {
    let plain = Built::firm();
    let minified = Source::firm_minified().build("public", Some(BASE_URL));
    check_html_basics(&minified);
    check_links(&minified);
    check_sitemap(&minified);
    check_feed(&minified);
    check_head(&minified);
    check_json_ld(&minified);
    check_fingerprints(&minified);
    check_headers(&minified);
    check_csp(&minified);
    check_html_basics(&plain);

    for extension in [".html", ".css", ".js"] {
        let (before, after) = (size_of(&plain, extension), size_of(&minified, extension));
        assert!(
            after < before,
            "minified {extension} files are not smaller: {after} bytes against {before}"
        );
    }
    // Same pages, same text.
    let (plain_pages, minified_pages) = (plain.pages(), minified.pages());
    assert_eq!(
        plain_pages.keys().collect::<Vec<_>>(),
        minified_pages.keys().collect::<Vec<_>>()
    );
    for (file, page) in &plain_pages {
        let main = |page: &Html| {
            select(page, "main")
                .first()
                .map(|m| text_of(*m))
                .unwrap_or_default()
        };
        assert_eq!(
            main(&minified_pages[file]),
            main(page),
            "{file}: minifying changed the text"
        );
        let pre = |page: &Html| {
            select(page, "pre")
                .iter()
                .map(|p| p.text().collect::<String>())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            pre(&minified_pages[file]),
            pre(page),
            "{file}: minifying changed preformatted text"
        );
    }
}

#[test]
fn minified_fixture_keeps_inline_code_allowed() {
    let source = Source::fixture();
    let settings = source.read("site.toml");
    source.write("site.toml", &format!("minify = true\n{settings}"));
    let built = source.build("public", None);
    check_csp(&built);
    check_links(&built);
    check_html_basics(&built);
    let about = Html::parse_document(&built.text("about/index.html"));
    assert_eq!(inline_hashes(&about).len(), 3);
}

#[test]
fn root_relative_markdown_links_get_the_base_path_or_fail_the_build() {
    // An author who writes `/about/` instead of `@/about.md` must not ship a link that breaks
    // under a sub-path: either the link gets the base path, or the build says what is wrong.
    let source = Source::fixture();
    let text = source.read("content/articles/older.md");
    source.write(
        "content/articles/older.md",
        &format!("{text}\n[About us](/about/) and ![icon](/favicon.svg)\n"),
    );
    let out = source.dir.path().join("public");
    let output = run_build(&source.root, &out, None);
    if output.status.success() {
        let built = Built::read(out, "https://fixture.test/site/");
        check_links(&built);
    } else {
        assert!(String::from_utf8_lossy(&output.stderr).contains("older.md"));
    }
}

/// Replaces `from` by `to` in one file of a built site (which must contain it).
fn tamper(built: &Built, file: &str, from: &str, to: &str) -> Built {
    let text = built.text(file);
    assert!(text.contains(from), "{file} does not contain `{from}`");
    let mut files = built.files.clone();
    files.insert(file.to_string(), text.replacen(from, to, 1).into_bytes());
    Built {
        _dir: None,
        out: built.out.clone(),
        base_url: built.base_url.clone(),
        origin: built.origin.clone(),
        base_path: built.base_path.clone(),
        files,
    }
}

fn fails(check: fn(&Built), built: &Built) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(built))).is_err()
}

/// What is broken, the check that must notice, and the broken output.
type BreakageCase = (&'static str, fn(&Built), Built);

#[test]
fn the_checks_catch_broken_output() {
    // Each check passes on the fixture and fails once the output is broken the way it guards.
    let built = Source::fixture().build("public", None);
    let about = "about/index.html";
    let style_hash = {
        let page = Html::parse_document(&built.text(about));
        inline_hashes(&page)
            .into_iter()
            .find(|(script, _, _)| !script)
            .unwrap()
            .1
    };
    let cases: [BreakageCase; 8] = [
        (
            "a hash missing",
            check_csp,
            tamper(&built, "_headers", &format!(" {style_hash}"), ""),
        ),
        (
            "unsafe-inline",
            check_csp,
            tamper(
                &built,
                "_headers",
                "script-src 'self'",
                "script-src 'self' 'unsafe-inline'",
            ),
        ),
        (
            "a link without the prefix",
            |b| {
                check_links(b);
            },
            tamper(&built, about, "href=\"/site/\"", "href=\"/\""),
        ),
        (
            "a missing fragment",
            |b| {
                check_links(b);
            },
            tamper(&built, about, "href=\"#main\"", "href=\"#nowhere\""),
        ),
        (
            "HTML cached for a year",
            check_headers,
            tamper(
                &built,
                "_headers",
                "max-age=0, must-revalidate",
                "max-age=31536000, immutable",
            ),
        ),
        (
            "a page left out of the sitemap",
            |b| {
                check_sitemap(b);
            },
            tamper(
                &built,
                "sitemap.xml",
                "<loc>https://fixture.test/site/about/</loc>",
                "<loc>https://fixture.test/site/</loc>",
            ),
        ),
        (
            "an entry without content",
            |b| {
                check_feed(b);
            },
            tamper(
                &built,
                "atom.xml",
                "<content type=\"html\"",
                "<content type=\"text\"",
            ),
        ),
        (
            "a wrong canonical",
            check_head,
            tamper(
                &built,
                about,
                "https://fixture.test/site/about/\">",
                "https://fixture.test/site/\">",
            ),
        ),
    ];
    for (what, check, broken) in &cases {
        assert!(
            !fails(*check, &built),
            "{what}: the check fails on the intact fixture"
        );
        assert!(fails(*check, broken), "{what}: the check does not notice");
    }
}
