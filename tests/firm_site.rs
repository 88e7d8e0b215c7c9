//! Builds the firm's real site (the repository itself) into a temporary folder and checks the
//! result by parsing its HTML: every page is there with the firm's text, every internal link and
//! fragment resolves, every page has the metadata it needs, and two builds are identical.

mod fixture;
mod support;

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fixture::{files, selector};
use scraper::{ElementRef, Html};
use support::{normalise_path, percent_decode};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The repository root: the firm's site.
fn firm_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A build of the firm's site into a fresh temporary folder, removed on drop.
struct Built {
    _dir: tempfile::TempDir,
    out: PathBuf,
    output: Output,
}

impl Built {
    fn new() -> Built {
        warm_image_cache();
        let dir = tempfile::Builder::new()
            .prefix("aimsite-firm-")
            .tempdir()
            .expect("cannot create a temporary folder");
        let out = dir.path().join("public");
        let output = build_into(&out);
        assert!(
            output.status.success(),
            "building the firm's site failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        Built {
            _dir: dir,
            out,
            output,
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Every HTML file of the output, by its path below the output folder (`a/index.html`).
    fn pages(&self) -> BTreeMap<String, Html> {
        files(&self.out)
            .into_iter()
            .filter(|(path, _)| path.ends_with(".html"))
            .map(|(path, bytes)| {
                let text = String::from_utf8(bytes)
                    .unwrap_or_else(|_| panic!("{path} is not valid UTF-8"));
                (path, Html::parse_document(&text))
            })
            .collect()
    }

    /// The parsed page at a URL path such as `/articles/`.
    fn page(&self, url: &str) -> Html {
        let file = file_for(url);
        let path = self.out.join(&file);
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{url} ({file}) is missing from the output: {e}"));
        Html::parse_document(&text)
    }
}

/// The firm's pictures encoded once, into the cache every build of the site reads
/// (`.aimsite-cache/` in the repository): the tests' builds then run at once without each
/// encoding the same pictures, which takes seconds in a debug build.
fn warm_image_cache() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let dir = tempfile::tempdir().expect("cannot create a temporary folder");
        let output = build_into(&dir.path().join("public"));
        assert!(
            output.status.success(),
            "building the firm's site failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    });
}

fn build_into(out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aimsite"))
        .arg("build")
        .arg("--root")
        .arg(firm_root())
        .arg("--output")
        .arg(out)
        .output()
        .expect("cannot run aimsite")
}

/// Whitespace collapsed and smart punctuation made plain, so text compares with the firm's copy.
fn normalise(text: &str) -> String {
    let plain: String = text
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{00A0}' => ' ',
            other => other,
        })
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(element: ElementRef<'_>) -> String {
    normalise(&element.text().collect::<String>())
}

/// The normalised text of the page's `<main>`.
fn main_text(page: &Html) -> String {
    let main = page
        .select(&selector("main"))
        .next()
        .expect("the page has no <main>");
    text_of(main)
}

/// The URL path a file of the output is served at: `a/index.html` → `/a/`.
fn url_of(file: &str) -> String {
    if file == "index.html" {
        "/".to_string()
    } else if let Some(folder) = file.strip_suffix("/index.html") {
        format!("/{folder}/")
    } else {
        format!("/{file}")
    }
}

/// The output file a URL path is served from: `/x/` → `x/index.html`.
fn file_for(url: &str) -> String {
    let path = url.trim_start_matches('/');
    if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    }
}

/// An internal link resolved against the URL of the page it is on: the target URL path and the
/// fragment. `None` for external links (a scheme or `//`).
fn resolve(from_url: &str, href: &str) -> Option<(String, Option<String>)> {
    let href = href.trim();
    let has_scheme = href
        .split_once(':')
        .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains(['/', '?', '#']));
    if has_scheme || href.starts_with("//") {
        return None;
    }
    let (rest, fragment) = match href.split_once('#') {
        Some((rest, fragment)) => (rest, Some(percent_decode(fragment))),
        None => (href, None),
    };
    let rest = rest.split('?').next().unwrap_or_default();
    let joined = if rest.is_empty() {
        from_url.to_string()
    } else if rest.starts_with('/') {
        rest.to_string()
    } else {
        let folder = &from_url[..=from_url.rfind('/').expect("URL paths start with /")];
        format!("{folder}{rest}")
    };
    Some((percent_decode(&normalise_path(&joined)), fragment))
}

/// The `href`/`src` values of a page that a browser would follow or load.
fn references(page: &Html) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (css, attribute) in [
        ("a[href]", "href"),
        ("link[href]", "href"),
        ("script[src]", "src"),
        ("img[src]", "src"),
        ("source[src]", "src"),
        // Where a form leads once it is sent: its action, or the thanks page its script opens.
        ("form[action]", "action"),
        ("form[data-thanks-url]", "data-thanks-url"),
    ] {
        for element in page.select(&selector(css)) {
            let value = element.value().attr(attribute).unwrap_or_default();
            found.push((css.to_string(), value.to_string()));
        }
    }
    found
}

fn ids(page: &Html) -> Vec<String> {
    page.select(&selector("[id]"))
        .filter_map(|element| element.value().attr("id"))
        .map(str::to_string)
        .collect()
}

const LEADING: &str = "/articles/leading-vs-managing/";
const SELF_CARE: &str = "/articles/self-care-during-covid-19/";
const LEADING_TITLE: &str = "Difference between leading and managing";
const SELF_CARE_TITLE: &str = "Self-care during COVID-19";

/// Sentences of the firm's article "Difference between leading and managing", as the firm wrote
/// them.
const LEADING_SENTENCES: &[&str] = &[
    "Let’s set the record straight: leadership isn’t necessarily “good” while management is “bad.”",
    "Despite what you may have heard, both roles are critical in a business. What’s more, most of us aren’t just a leader or a manager; we step back and forth between the roles as needed.",
    "The differences between leadership and management may be subtle, but it’s important to be aware of them as you work with your team. Here are the major ways that the two roles differ.",
    "If you’re a manager, your role is typically to track contributions to the company—not to contribute yourself.",
    "In other words, leaders are active participants in the company’s growth, while managers passively track changes or progress from their team.",
    "At a basic level, many managers’ work is limited to what happens within the organization itself—its processes, resources, and hierarchy.",
    "By contrast, good leaders consider the greater environment of the business, including industry and economic trends and forecasts.",
    "Management and leadership skills are both valuable to a company in different ways, of course, so it’s important to cultivate them—and to know when they’re needed.",
    "Good leadership, however, is often recognized as a strategic need in many companies. It’s surprisingly hard to teach! That’s why Aim to Win offers coaching for those who want to step outside of their comfort zone and take their skills to the next level.",
    "Learn more about what we do, and contact us if you’d like your skills to make more of an impact.",
];

/// Sentences of the firm's article on self-care, as the firm wrote them (with straight quotes).
const SELF_CARE_SENTENCES: &[&str] = &[
    "As we all deal with the stress and uncertainty of the COVID-19 virus and its impact on our day to day lives, it's important to step back and take the time to care for ourselves.",
    "In today’s busy world often our time with the ones we love gets put on the back burner.",
    "As events, activities, and schools cancel….and more and more people work at home, now is a great chance to get caught up with each other.",
    "There was a time when we weren’t “on the clock” 24/7, when our children weren’t spending each evening in activities… when life was a routine.",
    "We are bombarded all day and night with the negative things that are going on.",
    "While it's a shame that we have to work hard to find these, it is worth the effort.",
    "It is so easy to succumb to the negativity that flows from a crisis such as this one.",
    "Everyone that you come in contact with (from 6 feet away of course) will be affected by your energy, even if just a little bit.",
];

/// The four practices of the self-care article (the firm wrote them in capitals).
const PRACTICES: &[&str] = &[
    "spend time with loved ones",
    "rediscover the simple things",
    "find the good in things",
    "keep a positive mindset",
];

fn assert_contains_all(url: &str, text: &str, sentences: &[&str]) {
    for sentence in sentences {
        assert!(
            text.contains(&normalise(sentence)),
            "{url} does not contain the firm's sentence:\n  {sentence}\npage text:\n  {text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn build_prints_one_summary_line_and_warns_about_the_placeholder_base_url() {
    let built = Built::new();
    assert_eq!(built.output.status.code(), Some(0));

    let stdout = built.stdout();
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one summary line, got:\n{stdout}");
    let html_pages = built.pages().len();
    let numbers: Vec<usize> = lines[0]
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(
        numbers.contains(&html_pages),
        "the summary line does not give the {html_pages} pages written: {}",
        lines[0]
    );

    let settings = fs::read_to_string(firm_root().join("site.toml")).expect("site.toml");
    let base_url_line = settings
        .lines()
        .position(|line| line.trim_start().starts_with("base_url"))
        .expect("site.toml sets base_url")
        + 1;
    let stderr = built.stderr();
    assert!(
        !stderr.lines().any(|line| line.starts_with("error")),
        "a successful build printed an error:\n{stderr}"
    );
    assert!(
        stderr.lines().any(|line| line.starts_with("warning:")
            && line.contains("base_url")
            && line.contains("placeholder")),
        "no placeholder warning for base_url:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("--> site.toml:{base_url_line}:")),
        "the warning does not point at line {base_url_line} of site.toml:\n{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|line| line.trim_start().starts_with("= help:")),
        "the warning says nothing about how to fix it:\n{stderr}"
    );
}

#[test]
fn build_with_timings_prints_each_phase_in_order_on_stderr() {
    let out = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_aimsite"))
        .args(["build", "--timings", "--root"])
        .arg(firm_root())
        .arg("--output")
        .arg(out.path().join("public"))
        .output()
        .expect("cannot run aimsite");
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let phases: Vec<&str> = stderr
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let (phase, time, unit) = (words.next()?, words.next()?, words.next()?);
            (unit == "ms" && time.parse::<f64>().is_ok_and(|ms| ms >= 0.0)).then_some(phase)
        })
        .collect();
    assert_eq!(
        phases,
        ["load", "plan", "pages", "lists", "swap"],
        "--timings printed:\n{stderr}"
    );
}

#[test]
fn every_expected_page_exists_with_the_firms_text() {
    let built = Built::new();
    let expected = [
        "/",
        "/articles/",
        LEADING,
        SELF_CARE,
        "/privacy/",
        "/contact/",
        "/tags/",
        "/tags/leadership/",
        "/tags/management/",
        "/tags/self-care/",
        "/tags/wellbeing/",
        "/404.html",
    ];
    for url in expected {
        let file = built.out.join(file_for(url));
        assert!(file.is_file(), "{url} is missing ({})", file.display());
    }

    let leading = built.page(LEADING);
    let leading_text = main_text(&leading);
    assert_contains_all(LEADING, &leading_text, LEADING_SENTENCES);
    let headings: Vec<String> = leading
        .select(&selector("main h2, main h3"))
        .map(text_of)
        .collect();
    for heading in ["Active Contributions", "Overall Vision"] {
        assert!(
            headings.iter().any(|h| h == heading),
            "{LEADING} has no heading {heading:?}: {headings:?}"
        );
    }
    let h1 = leading.select(&selector("h1")).next().map(text_of);
    assert_eq!(h1.as_deref(), Some(LEADING_TITLE));

    let self_care = built.page(SELF_CARE);
    let self_care_text = main_text(&self_care);
    assert_contains_all(SELF_CARE, &self_care_text, SELF_CARE_SENTENCES);
    let lower = self_care_text.to_lowercase();
    for practice in PRACTICES {
        assert!(
            lower.contains(practice),
            "{SELF_CARE} does not name the practice {practice:?}"
        );
    }
    let h1 = self_care.select(&selector("h1")).next().map(text_of);
    assert_eq!(h1.as_deref(), Some(SELF_CARE_TITLE));

    assert_contains_all(
        "/",
        &main_text(&built.page("/")),
        &["It’s surprisingly hard to teach!"],
    );
    assert_contains_all(
        "/privacy/",
        &main_text(&built.page("/privacy/")),
        &["We keep what we store about you to a minimum."],
    );
    assert_contains_all(
        "/contact/",
        &main_text(&built.page("/contact/")),
        &["Get in touch if you’d like your skills to make more of an impact."],
    );

    // Each tag page lists exactly the articles that carry the tag.
    for (tag, article) in [
        ("leadership", LEADING),
        ("management", LEADING),
        ("self-care", SELF_CARE),
        ("wellbeing", SELF_CARE),
    ] {
        let url = format!("/tags/{tag}/");
        let page = built.page(&url);
        let h1 = page.select(&selector("h1")).next().map(text_of);
        assert!(
            h1.as_deref().is_some_and(|h1| h1.contains(tag)),
            "{url}: the <h1> does not name the tag: {h1:?}"
        );
        let linked: BTreeSet<String> = page
            .select(&selector("main a[href]"))
            .filter_map(|a| resolve(&url, a.value().attr("href")?))
            .map(|(path, _)| path)
            .filter(|path| path.starts_with("/articles/") && path != "/articles/")
            .collect();
        assert_eq!(
            linked,
            BTreeSet::from([article.to_string()]),
            "{url} lists the wrong articles"
        );
    }
    let tags = built.page("/tags/");
    let linked: BTreeSet<String> = tags
        .select(&selector("main a[href]"))
        .filter_map(|a| resolve("/tags/", a.value().attr("href")?))
        .map(|(path, _)| path)
        .collect();
    for tag in ["leadership", "management", "self-care", "wellbeing"] {
        assert!(
            linked.contains(&format!("/tags/{tag}/")),
            "/tags/ does not link to the tag {tag}: {linked:?}"
        );
    }
}

#[test]
fn leading_vs_managing_table_of_contents_links_to_its_sections() {
    let built = Built::new();
    let page = built.page(LEADING);
    let ids: HashSet<String> = ids(&page).into_iter().collect();
    // The contents: links to places on the page whose text is more than the `#` of a heading
    // anchor.
    let mut entries: Vec<(String, String)> = Vec::new();
    for link in page.select(&selector("main a[href^='#']")) {
        let text = text_of(link);
        let href = link.value().attr("href").unwrap_or_default().to_string();
        if text.is_empty() || text == "#" || entries.iter().any(|(h, _)| *h == href) {
            continue;
        }
        entries.push((href, text));
    }
    let hrefs: Vec<&str> = entries.iter().map(|(href, _)| href.as_str()).collect();
    assert_eq!(
        hrefs,
        [
            "#main-differences",
            "#two-key-distinctions",
            "#why-each-role-makes-a-difference"
        ],
        "the table of contents: {entries:?}"
    );
    for (href, text) in &entries {
        let id = &href[1..];
        assert!(ids.contains(id), "{href} points to no element on the page");
        let target = page
            .select(&selector(&format!("[id='{id}']")))
            .next()
            .expect("checked above");
        assert!(
            matches!(target.value().name(), "h2" | "h3"),
            "{href} points to a <{}>, not a heading",
            target.value().name()
        );
        assert_eq!(
            &text_of(target),
            text,
            "the contents entry and its heading differ"
        );
    }
}

/// A menu entry is `aria-current="page"` on its own page and `aria-current="true"` on the pages
/// below it (its section); Home, above every page, is marked on the home page only.
#[test]
fn menu_links_exist_and_mark_the_current_page_and_section() {
    let built = Built::new();
    let nav_links = selector(".site-header nav a[href]");
    let mut marked_pages = BTreeSet::new();
    let mut marked_sections = BTreeSet::new();
    for (file, page) in built.pages() {
        let url = url_of(&file);
        let links: Vec<ElementRef<'_>> = page.select(&nav_links).collect();
        assert!(!links.is_empty(), "{file} has no menu");
        for link in links {
            let href = link.value().attr("href").unwrap_or_default();
            let Some((target, _)) = resolve(&url, href) else {
                continue;
            };
            let target_file = file_for(&target);
            assert!(
                built.out.join(&target_file).is_file(),
                "{file}: the menu link {href:?} leads to {target_file}, which does not exist"
            );
            let current = link.value().attr("aria-current");
            if target == url {
                assert_eq!(
                    current,
                    Some("page"),
                    "{file}: the menu link to the current page is not marked aria-current=\"page\""
                );
                marked_pages.insert(url.clone());
            } else if target != "/" && url.starts_with(&target) {
                assert_eq!(
                    current,
                    Some("true"),
                    "{file}: the menu link {href:?} to the page's section is not marked \
                     aria-current=\"true\""
                );
                marked_sections.insert(url.clone());
            } else {
                assert_eq!(
                    current, None,
                    "{file}: the menu link {href:?} to another page is marked as current"
                );
            }
        }
    }
    for url in ["/", "/services/", "/articles/", "/privacy/"] {
        assert!(
            marked_pages.contains(url),
            "the menu has no link marking {url} as the current page"
        );
    }
    for url in ["/articles/leading-vs-managing/", "/services/coaching/"] {
        assert!(
            marked_sections.contains(url),
            "the menu marks no section on {url}"
        );
    }
}

/// html-validate flags `role="region"` on a `<div>` (`prefer-native-element`): the banner is a
/// `<section>`, which its title names, so it is a region landmark all the same.
#[test]
fn the_cookie_banner_is_a_section_named_by_its_title() {
    let built = Built::new();
    for (file, page) in built.pages() {
        assert!(
            page.select(&selector("[role=region]")).next().is_none(),
            "{file} has an element with role=\"region\""
        );
        let Some(banner) = page.select(&selector("#consent")).next() else {
            continue;
        };
        assert_eq!(banner.value().name(), "section", "{file}");
        let title = banner.value().attr("aria-labelledby").unwrap_or_default();
        let named = page
            .select(&selector(&format!("#consent #{title}")))
            .next()
            .map(text_of);
        assert_eq!(named.as_deref(), Some("Cookies"), "{file}");
    }
}

/// The firm's site gates one thing, the booking calendar on the contact page: the banner asks
/// about that category alone, and the privacy page declares it with its provider.
#[test]
fn the_banner_asks_only_about_the_booking_calendar_and_the_privacy_page_declares_it() {
    let built = Built::new();
    let home = built.page("/");
    let choices: Vec<String> = home
        .select(&selector("#consent input[type=checkbox]"))
        .filter_map(|input| input.value().attr("value").map(str::to_string))
        .collect();
    assert_eq!(choices, ["booking"], "the banner's optional categories");
    let privacy = built.page("/privacy/");
    let declared: Vec<String> = privacy
        .select(&selector(".cookie-declaration h3"))
        .map(text_of)
        .collect();
    assert_eq!(declared, ["Necessary (always on)", "Booking calendar"]);
    let booking: Vec<String> = privacy
        .select(&selector("#cookies-booking ~ ul li"))
        .map(text_of)
        .collect();
    assert!(
        booking.iter().any(|item| item.contains("https://cal.com")),
        "the booking category names its provider's origin: {booking:?}"
    );
}

/// Every page has the call to action ("Contact us") as a button in its header, marked as the
/// current page on the contact page; the home page opens with it and closes with it, and each
/// article ends with it.
#[test]
fn every_page_offers_the_call_to_action() {
    let built = Built::new();
    let header_button = selector(".site-header a.button");
    for (file, page) in built.pages() {
        if file.ends_with("404.html")
            || page
                .select(&selector("meta[http-equiv=refresh]"))
                .next()
                .is_some()
        {
            continue;
        }
        let button = page.select(&header_button).next();
        let button = button.unwrap_or_else(|| panic!("{file} has no call to action in its header"));
        assert_eq!(button.value().attr("href"), Some("/contact/"), "{file}");
        assert_eq!(text_of(button), "Contact us", "{file}");
        let current = button.value().attr("aria-current");
        let expected = (file == "contact/index.html").then_some("page");
        assert_eq!(current, expected, "{file}");
    }
    let home = built.page("/");
    let hero_button = home.select(&selector(".hero a.button")).next().map(text_of);
    assert_eq!(hero_button.as_deref(), Some("Contact us"));
    let closing = |page: &Html| {
        page.select(&selector(
            "main > .cta-block:last-child a.button[href='/contact/']",
        ))
        .count()
    };
    assert_eq!(
        closing(&home),
        1,
        "the home page does not close with the call to action"
    );
    let article = built.page("/articles/leading-vs-managing/");
    assert_eq!(
        closing(&article),
        1,
        "the article does not end with the call to action"
    );
    let text = main_text(&article);
    assert!(
        text.ends_with(
            "Get in touch if you'd like your skills to make more of an impact. Contact us"
        ),
        "{text}"
    );
}

/// The home page says what the firm offers, in the firm's own words: its value proposition in
/// the `<h1>`, and a card for each of its services, "What we do", which the article's "Learn
/// more about what we do" leads to. What the firm has not given (people, testimonials, events)
/// is left out.
#[test]
fn the_home_page_shows_what_the_firm_does_and_nothing_it_has_not_given() {
    let built = Built::new();
    let home = built.page("/");
    let h1 = home.select(&selector("h1")).next().map(text_of);
    assert_eq!(h1.as_deref(), Some("Take your skills to the next level"));
    let cards: Vec<(String, String)> = home
        .select(&selector(".card__title a"))
        .map(|a| {
            (
                text_of(a),
                a.value().attr("href").unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        cards,
        [("Coaching".to_string(), "/services/coaching/".to_string())]
    );
    let headings: Vec<String> = home.select(&selector("main h2")).map(text_of).collect();
    assert_eq!(
        headings,
        [
            "Leadership and management",
            "What we do",
            "Latest articles",
            "Step outside your comfort zone"
        ]
        .map(normalise),
        "{headings:?}"
    );
    let coaching = "That's why Aim to Win offers coaching for those who want to step outside of \
                    their comfort zone and take their skills to the next level.";
    for url in ["/services/", "/services/coaching/"] {
        assert_contains_all(url, &main_text(&built.page(url)), &[coaching]);
    }
    let article = built.page("/articles/leading-vs-managing/");
    let learn_more = article
        .select(&selector("main a"))
        .find(|a| text_of(*a) == "Learn more about what we do")
        .and_then(|a| a.value().attr("href").map(str::to_string));
    assert_eq!(learn_more.as_deref(), Some("/services/"));
}

/// The footer of every page names the firm and how to reach it, from `[contact]`; the home
/// page describes the firm as a `ProfessionalService`, under the same `@id` as its own
/// `Organization`.
#[test]
fn the_footer_and_the_home_pages_json_ld_name_the_firm() {
    let built = Built::new();
    for (file, page) in built.pages() {
        let name = page
            .select(&selector(".site-footer .firm__name"))
            .next()
            .map(text_of);
        assert_eq!(name.as_deref(), Some("Aim to Win"), "{file}");
        let email = page
            .select(&selector(".site-footer address a[href^='mailto:']"))
            .next();
        assert!(
            email.is_some(),
            "{file}: the footer gives no e-mail address"
        );
    }
    let home = built.page("/");
    let json_ld: Vec<serde_json::Value> = home
        .select(&selector("script[type='application/ld+json']"))
        .map(|script| serde_json::from_str(&script.inner_html()).expect("JSON-LD"))
        .collect();
    let types: Vec<&str> = json_ld
        .iter()
        .filter_map(|data| data["@type"].as_str())
        .collect();
    assert_eq!(types, ["Organization", "ProfessionalService"]);
    assert_eq!(json_ld[0]["@id"], json_ld[1]["@id"]);
    assert_eq!(json_ld[1]["email"], "hello@example.com");
}

/// The files of pictures below `folder`, by the extensions aimsite reads as images.
fn picture_files(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())) {
        let path = entry.expect("unreadable folder entry").path();
        if path.is_dir() {
            found.extend(picture_files(&path));
        } else if path.extension().is_some_and(|extension| {
            ["jpg", "jpeg", "png", "webp", "gif", "svg", "avif"]
                .contains(&extension.to_string_lossy().to_lowercase().as_str())
        }) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Every picture of the firm's site is named, with where it comes from, in the `LICENSE.txt`
/// beside it, which states their licence: none is of unknown licence. Together they stay
/// small enough for the repository.
#[test]
fn every_picture_of_the_firm_is_listed_with_its_origin_and_licence() {
    let pictures = picture_files(&firm_root().join("content"));
    assert!(!pictures.is_empty(), "the firm's site has no pictures");
    let mut total = 0;
    for picture in &pictures {
        let name = picture.file_name().expect("a file name").to_string_lossy();
        let licence_file = picture.with_file_name("LICENSE.txt");
        let licence = fs::read_to_string(&licence_file)
            .unwrap_or_else(|error| panic!("{name} has no LICENSE.txt beside it ({error})"));
        let listed = licence
            .lines()
            .find(|line| line.split_whitespace().next() == Some(&name));
        assert!(
            listed.is_some_and(|line| line.split_whitespace().count() > 3),
            "{name} is not listed with its origin in {}",
            licence_file.display()
        );
        assert!(
            licence.lines().any(|line| line.starts_with("Licence: ")),
            "{} states no licence",
            licence_file.display()
        );
        total += fs::metadata(picture).expect("a picture's size").len();
    }
    assert!(total <= 3 * 1024 * 1024, "the pictures weigh {total} bytes");
}

/// The `<img>` of each picture in a page's `<main>`.
fn pictures_in_main(page: &Html) -> Vec<ElementRef<'_>> {
    page.select(&selector("main picture img")).collect()
}

/// A picture keeps its place while it loads (`width` and `height`), is decorative (`alt=""`:
/// the firm's artwork illustrates nothing the text does not say), and comes at a photograph's
/// full size (the ladder's 2000 px copy).
fn assert_sized_and_decorative(at: &str, img: ElementRef<'_>) {
    let attribute = |name: &str| img.value().attr(name).unwrap_or_default();
    for name in ["width", "height"] {
        assert!(
            attribute(name)
                .parse::<u32>()
                .is_ok_and(|pixels| pixels > 0),
            "{at}: a picture without its {name}"
        );
    }
    assert_eq!(img.value().attr("alt"), Some(""), "{at}");
    assert!(
        attribute("srcset").contains(" 2000w"),
        "{at}: {}",
        attribute("srcset")
    );
}

/// The home page's hero and each article's header show the firm's artwork, fetched at once
/// (`fetchpriority="high"`), at the width the layout gives it; every other picture of the page
/// waits until it is near (`loading="lazy"`). The social preview is the artwork's crop.
#[test]
fn the_home_page_and_each_article_open_with_the_firms_artwork() {
    let built = Built::new();
    for (url, first, sizes) in [
        (
            "/",
            ".hero picture.hero__image img",
            "(min-width: 74.5rem) 29rem,",
        ),
        (
            LEADING,
            ".article__header picture.article__image img",
            "(min-width: 74.5rem) 72rem,",
        ),
        (
            SELF_CARE,
            ".article__header picture.article__image img",
            "(min-width: 74.5rem) 72rem,",
        ),
    ] {
        let page = built.page(url);
        let pictures = pictures_in_main(&page);
        let opening = page
            .select(&selector(first))
            .next()
            .unwrap_or_else(|| panic!("{url} does not open with a picture ({first})"));
        assert_eq!(
            pictures.first().map(|img| img.id()),
            Some(opening.id()),
            "{url}"
        );
        assert_sized_and_decorative(url, opening);
        assert_eq!(opening.value().attr("fetchpriority"), Some("high"), "{url}");
        assert_eq!(opening.value().attr("loading"), None, "{url}");
        let shown_at = opening.value().attr("sizes").unwrap_or_default();
        assert!(shown_at.starts_with(sizes), "{url}: sizes=\"{shown_at}\"");
        for later in &pictures[1..] {
            assert_sized_and_decorative(url, *later);
            assert_eq!(later.value().attr("loading"), Some("lazy"), "{url}");
        }
        let preview = page
            .select(&selector("meta[property='og:image']"))
            .next()
            .and_then(|meta| meta.value().attr("content"))
            .unwrap_or_default();
        assert!(
            preview.ends_with("-1200x630.jpg"),
            "{url}: og:image {preview}"
        );
    }
    let list = built.page("/articles/");
    let cards = pictures_in_main(&list);
    assert_eq!(cards.len(), 2, "each article's card shows its picture");
    for card in cards {
        assert_sized_and_decorative("/articles/", card);
        assert_eq!(card.value().attr("loading"), Some("lazy"));
        let sizes = card.value().attr("sizes").unwrap_or_default();
        assert!(
            sizes.starts_with("(min-width: 74.5rem) 21rem,"),
            "a card's sizes={sizes}"
        );
    }
}

/// An article page, as a host sends it (gzip), is at most 40 KB with the styles and scripts it
/// loads, images aside. Skipped, with a message, where `gzip` is missing.
#[test]
fn an_article_is_at_most_40_kb_transferred() {
    let built = Built::new();
    let article = built.page("/articles/leading-vs-managing/");
    let mut files = vec![file_for("/articles/leading-vs-managing/")];
    let loaded = selector("link[rel=stylesheet][href], script[src]");
    for element in article.select(&loaded) {
        let href = element.value().attr("href").or(element.value().attr("src"));
        let (url, _) = resolve("/articles/leading-vs-managing/", href.unwrap_or_default())
            .expect("a file of the site");
        files.push(file_for(&url));
    }
    let mut total = 0;
    for file in &files {
        let Some(size) = gzipped_size(&built.out.join(file)) else {
            eprintln!("skipped: gzip is not installed");
            return;
        };
        total += size;
    }
    // The page and its styles; the banner's files are left out while the site gates nothing.
    assert!(files.len() >= 2, "{files:?}");
    assert!(
        total <= 40 * 1024,
        "the article is {total} bytes gzipped: {files:?}"
    );
}

/// The size of a file compressed as hosts do (gzip -9), or none without gzip.
fn gzipped_size(path: &Path) -> Option<usize> {
    let output = Command::new("gzip").arg("-9c").arg(path).output().ok()?;
    assert!(output.status.success(), "gzip failed on {}", path.display());
    Some(output.stdout.len())
}

#[test]
fn the_contact_page_gives_its_hint_once() {
    let built = Built::new();
    let text = main_text(&built.page("/contact/"));
    let hint = "Tell us a little about yourself";
    assert_eq!(text.matches(hint).count(), 1, "{text}");
}

#[test]
fn crawl_from_home_resolves_every_link_and_reaches_every_page() {
    let built = Built::new();
    let pages = built.pages();
    let files = files(&built.out);
    let page_ids: BTreeMap<&str, HashSet<String>> = pages
        .iter()
        .map(|(file, page)| (file.as_str(), ids(page).into_iter().collect()))
        .collect();

    // Every reference of every page (404.html included) resolves.
    let mut problems = Vec::new();
    for (file, page) in &pages {
        let url = url_of(file);
        for (kind, value) in references(page) {
            let Some((target, fragment)) = resolve(&url, &value) else {
                continue;
            };
            let target_file = file_for(&target);
            if !files.contains_key(&target_file) {
                problems.push(format!(
                    "{file}: {kind} {value:?} leads to {target_file}, which does not exist"
                ));
                continue;
            }
            if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                let known = page_ids
                    .get(target_file.as_str())
                    .is_some_and(|ids| ids.contains(&fragment));
                if !known {
                    problems.push(format!(
                        "{file}: {kind} {value:?}: {target_file} has no element with id {fragment:?}"
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );

    // Crawl from the home page.
    let mut reached: BTreeSet<String> = BTreeSet::from(["index.html".to_string()]);
    let mut queue = VecDeque::from(["index.html".to_string()]);
    while let Some(file) = queue.pop_front() {
        let Some(page) = pages.get(&file) else {
            continue;
        };
        let url = url_of(&file);
        for (_, value) in references(page) {
            if let Some((target, _)) = resolve(&url, &value) {
                let target_file = file_for(&target);
                if files.contains_key(&target_file) && reached.insert(target_file.clone()) {
                    queue.push_back(target_file);
                }
            }
        }
    }
    let orphans: Vec<&String> = pages
        .keys()
        .filter(|file| *file != "404.html" && !reached.contains(*file))
        .collect();
    assert!(
        orphans.is_empty(),
        "pages no link leads to from the home page: {orphans:?}"
    );
    for extension in [".css", ".svg"] {
        assert!(
            reached.iter().any(|file| file.ends_with(extension)),
            "no page loads a {extension} file (reached: {reached:?})"
        );
    }
}

#[test]
fn every_page_has_lang_title_description_one_h1_main_canonical_and_unique_ids() {
    let built = Built::new();
    let home_canonical = built
        .page("/")
        .select(&selector("link[rel='canonical']"))
        .next()
        .and_then(|link| link.value().attr("href").map(str::to_string))
        .expect("the home page has a canonical link");
    assert!(
        home_canonical.starts_with("https://") || home_canonical.starts_with("http://"),
        "the canonical URL is not absolute: {home_canonical}"
    );
    assert!(home_canonical.ends_with('/'), "{home_canonical}");
    let origin_and_base = home_canonical.trim_end_matches('/');

    let pages = built.pages();
    assert!(pages.len() >= 12, "only {} pages", pages.len());
    for (file, page) in &pages {
        let html = page.root_element();
        assert_eq!(html.value().name(), "html");
        assert_eq!(html.value().attr("lang"), Some("en"), "{file}: <html lang>");

        let titles: Vec<String> = page.select(&selector("head title")).map(text_of).collect();
        assert_eq!(titles.len(), 1, "{file}: {titles:?}");
        assert!(!titles[0].is_empty(), "{file}: the <title> is empty");

        let descriptions: Vec<&str> = page
            .select(&selector("meta[name='description']"))
            .map(|meta| meta.value().attr("content").unwrap_or_default())
            .collect();
        assert_eq!(descriptions.len(), 1, "{file}: meta descriptions");
        let description = descriptions[0].trim();
        assert!(!description.is_empty(), "{file}: empty meta description");
        let length = description.chars().count();
        assert!(
            length <= 160,
            "{file}: the meta description has {length} characters (at most 160): {description}"
        );

        let h1s = page.select(&selector("h1")).count();
        assert_eq!(h1s, 1, "{file}: {h1s} <h1> elements");
        let h1 = page.select(&selector("h1")).next().map(text_of);
        assert!(h1.is_some_and(|h1| !h1.is_empty()), "{file}: empty <h1>");
        assert_eq!(page.select(&selector("main")).count(), 1, "{file}: <main>");

        let canonicals: Vec<&str> = page
            .select(&selector("link[rel='canonical']"))
            .filter_map(|link| link.value().attr("href"))
            .collect();
        assert_eq!(canonicals.len(), 1, "{file}: canonical links");
        assert_eq!(
            canonicals[0],
            format!("{origin_and_base}{}", url_of(file)),
            "{file}: the canonical URL is not the page's own"
        );

        let mut seen = HashSet::new();
        let duplicates: Vec<String> = ids(page)
            .into_iter()
            .filter(|id| !seen.insert(id.clone()))
            .collect();
        assert!(
            duplicates.is_empty(),
            "{file}: duplicate ids {duplicates:?}"
        );

        for img in page.select(&selector("img")) {
            assert!(
                img.value().attr("alt").is_some(),
                "{file}: an <img> without alt: {}",
                img.html()
            );
        }
    }
}

#[test]
fn articles_are_listed_newest_first_with_their_summaries() {
    let built = Built::new();
    for url in ["/", "/articles/"] {
        let page = built.page(url);
        let mut order: Vec<String> = Vec::new();
        for link in page.select(&selector("main a[href]")) {
            let Some((target, _)) = resolve(url, link.value().attr("href").unwrap_or_default())
            else {
                continue;
            };
            if [LEADING, SELF_CARE].contains(&target.as_str()) && !order.contains(&target) {
                order.push(target);
            }
        }
        assert_eq!(
            order,
            [SELF_CARE, LEADING],
            "{url} does not list the articles newest first"
        );

        // Title, then summary, for each article in turn.
        let text = main_text(&page);
        let position = |needle: &str| {
            text.find(&normalise(needle))
                .unwrap_or_else(|| panic!("{url} does not show {needle:?}:\n{text}"))
        };
        let positions = [
            position(SELF_CARE_TITLE),
            position(SELF_CARE_SENTENCES[0]),
            position(LEADING_TITLE),
            position(LEADING_SENTENCES[0]),
        ];
        assert!(
            positions.windows(2).all(|pair| pair[0] < pair[1]),
            "{url}: titles and summaries are out of order: {positions:?}"
        );
        // A summary, not the whole article.
        assert!(
            !text.contains(&normalise(SELF_CARE_SENTENCES[4])),
            "{url} shows the whole self-care article, not its summary"
        );
        assert!(
            !text.contains(&normalise(LEADING_SENTENCES[5])),
            "{url} shows the whole leading-vs-managing article, not its summary"
        );
    }
}

#[test]
fn two_builds_are_byte_identical() {
    let first = Built::new();
    let second = Built::new();
    let a = files(&first.out);
    let b = files(&second.out);
    assert!(a.len() >= 12, "only {} files", a.len());
    let names_a: Vec<&String> = a.keys().collect();
    let names_b: Vec<&String> = b.keys().collect();
    assert_eq!(names_a, names_b, "the two builds wrote different files");
    for (path, bytes) in &a {
        assert!(
            &b[path] == bytes,
            "{path} differs between two builds of the same sources"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tests of the helpers themselves, so that a broken helper cannot hide a broken site.
// ---------------------------------------------------------------------------------------------

#[test]
fn helpers_resolve_links_like_a_browser() {
    assert_eq!(
        resolve("/articles/a/", "../b/#x"),
        Some(("/articles/b/".into(), Some("x".into())))
    );
    assert_eq!(
        resolve("/a/", "#top"),
        Some(("/a/".into(), Some("top".into())))
    );
    assert_eq!(
        resolve("/404.html", "style.css"),
        Some(("/style.css".into(), None))
    );
    assert_eq!(resolve("/a/", "/tags/"), Some(("/tags/".into(), None)));
    assert_eq!(resolve("/a/", "https://x.test/"), None);
    assert_eq!(resolve("/a/", "mailto:a@b.test"), None);
    assert_eq!(resolve("/a/", "//cdn.test/x.js"), None);
    assert_eq!(file_for("/"), "index.html");
    assert_eq!(file_for("/articles/x/"), "articles/x/index.html");
    assert_eq!(file_for("/404.html"), "404.html");
    assert_eq!(url_of("articles/x/index.html"), "/articles/x/");
    assert_eq!(url_of("index.html"), "/");
    assert_eq!(normalise(" it’s  “a”\n b "), "it's \"a\" b");
}

/// Each kind of page of the firm's site, whole, as a snapshot (`tests/snapshots/`): any change
/// to what a visitor receives shows as a diff to review, and is accepted deliberately with
/// `INSTA_UPDATE=always cargo test --test firm_site`.
#[test]
fn each_kind_of_page_is_as_reviewed() {
    let built = Built::new();
    let listing: Vec<String> = files(&built.out).into_keys().collect();
    insta::assert_snapshot!("files", listing.join("\n"));
    for (name, file) in [
        ("home", "index.html"),
        ("article", "articles/leading-vs-managing/index.html"),
        ("articles", "articles/index.html"),
        ("tag", "tags/leadership/index.html"),
        ("contact", "contact/index.html"),
        ("privacy", "privacy/index.html"),
        ("services", "services/index.html"),
        ("service", "services/coaching/index.html"),
        ("not_found", "404.html"),
        ("headers", "_headers"),
        ("sitemap", "sitemap.xml"),
    ] {
        let text = fs::read_to_string(built.out.join(file))
            .unwrap_or_else(|error| panic!("{file}: {error}"));
        insta::assert_snapshot!(name, text);
    }
}
