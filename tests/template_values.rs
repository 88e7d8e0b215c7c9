//! The values templates are given, checked by parsing what a build renders: the order of the
//! lists, the names tags are shown with (made once for the whole site and shared between pages)
//! and the table of contents (made only when a template may show it).

mod fixture;

use std::fs;

use aimsite::build::{self, BuildOptions};
use fixture::{minimal_site, selector};
use scraper::Html;

/// Builds a site of the given articles (`name`, front matter lines) in memory.
fn render(articles: &[(&str, &str)]) -> build::RenderedSite {
    render_with_templates(articles, &[])
}

/// Like `render`, with templates of the site's own (`name`, text).
fn render_with_templates(
    articles: &[(&str, &str)],
    templates: &[(&str, &str)],
) -> build::RenderedSite {
    let (_dir, root) = minimal_site("aimsite-template-values-");
    for (name, front) in articles {
        let text = format!(
            "+++\n{front}\n+++\n\nThe text of {name}.\n\n## First\n\n### Inner\n\n## Second\n"
        );
        fs::write(root.join(format!("content/articles/{name}.md")), text).expect("write");
    }
    for (name, text) in templates {
        let path = root.join("templates").join(name);
        fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    build::render(&BuildOptions::new(&root)).unwrap_or_else(|error| panic!("{error}"))
}

fn page(site: &build::RenderedSite, path: &str) -> Html {
    let file = site
        .files
        .iter()
        .find(|file| file.path == path)
        .unwrap_or_else(|| panic!("no {path}"));
    let aimsite::output::Contents::Text(text) = &file.contents else {
        panic!("{path} is not text");
    };
    Html::parse_document(text)
}

/// The text of every element `css` selects.
fn texts(page: &Html, css: &str) -> Vec<String> {
    page.select(&selector(css))
        .map(|element| element.text().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn a_tag_is_shown_as_each_article_writes_it_and_named_by_the_newest() {
    let site = render(&[
        (
            "old",
            "title = \"Old\"\ndate = 2024-01-01\ntags = [\"team work\", \"Growth\"]",
        ),
        (
            "new",
            "title = \"New\"\ndate = 2024-03-01\ntags = [\"Team Work\"]",
        ),
        (
            "mid",
            "title = \"Mid\"\ndate = 2024-02-01\ntags = [\"growth\"]",
        ),
    ]);
    let tag_links = |path: &str| texts(&page(&site, path), ".tag-list a");
    assert_eq!(
        tag_links("articles/old/index.html"),
        ["team work", "Growth"]
    );
    assert_eq!(tag_links("articles/new/index.html"), ["Team Work"]);
    assert_eq!(tag_links("articles/mid/index.html"), ["growth"]);

    let team_work = page(&site, "tags/team-work/index.html");
    assert_eq!(texts(&team_work, "h1"), ["Articles tagged “Team Work”"]);
    assert_eq!(texts(&team_work, ".article-card__title"), ["New", "Old"]);
    let growth = page(&site, "tags/growth/index.html");
    assert_eq!(texts(&growth, "h1"), ["Articles tagged “growth”"]);
    assert_eq!(texts(&growth, ".article-card__title"), ["Mid", "Old"]);

    let tags = page(&site, "tags/index.html");
    let links: Vec<String> = tags
        .select(&selector("main a[href]"))
        .filter_map(|link| link.value().attr("href").map(str::to_string))
        .collect();
    assert_eq!(links, ["/tags/growth/", "/tags/team-work/"]);
}

#[test]
fn articles_are_listed_newest_first_then_by_weight_and_title() {
    let site = render(&[
        ("b", "title = \"B\"\ndate = 2024-01-01"),
        ("c", "title = \"C\"\ndate = 2024-05-01"),
        ("a", "title = \"A\"\ndate = 2024-01-01"),
        ("heavy", "title = \"Heavy\"\ndate = 2024-01-01\nweight = 5"),
        ("light", "title = \"Light\"\ndate = 2024-01-01\nweight = -5"),
    ]);
    let order = ["C", "Light", "A", "B", "Heavy"];
    for list in ["articles/index.html", "index.html"] {
        assert_eq!(
            texts(&page(&site, list), ".article-card__title"),
            order,
            "{list}"
        );
    }
}

#[test]
fn a_template_that_shows_the_table_of_contents_gets_it() {
    let contents = "{% extends \"base.html\" %}{% block main %}<nav>\
        {% for entry in page.toc %}<a href=\"#{{ entry.id }}\">{{ entry.title }}</a>\
        {% for inner in entry.children %}<a class=\"inner\" href=\"#{{ inner.id }}\">{{ inner.title }}</a>{% endfor %}\
        {% endfor %}</nav>{{ page.content | safe }}{% endblock main %}";
    let site = render_with_templates(
        &[("one", "title = \"One\"\ndate = 2024-01-01")],
        &[("article.html", contents)],
    );
    let one = page(&site, "articles/one/index.html");
    assert_eq!(texts(&one, "nav a"), ["First", "Inner", "Second"]);
    assert_eq!(texts(&one, "nav a.inner"), ["Inner"]);
    let targets: Vec<&str> = one
        .select(&selector("nav a"))
        .filter_map(|link| link.value().attr("href"))
        .collect();
    assert_eq!(targets, ["#first", "#inner", "#second"]);

    // Reached without naming it, through the whole page.
    let fields = "{% for key, value in page %}{% if value is iterable %}{{ key }}={{ value | length }};{% endif %}{% endfor %}";
    let site = render_with_templates(
        &[("one", "title = \"One\"\ndate = 2024-01-01")],
        &[("article.html", fields)],
    );
    let file = site
        .files
        .iter()
        .find(|file| file.path == "articles/one/index.html")
        .expect("the article");
    let aimsite::output::Contents::Text(text) = &file.contents else {
        panic!("not text");
    };
    assert!(text.split(';').any(|field| field == "toc=2"), "{text}");
}

/// A site with `[consent]` (these lines), a privacy page with the built-in template and a page
/// with `{{ cookie_declaration() }}`, and an article of this body; rendered in memory.
fn consent_site(consent: &str, article: &str) -> build::RenderedSite {
    let (_dir, root) = minimal_site("aimsite-declaration-");
    let settings = format!("{}\n[consent]\n{consent}", fixture::SITE_TOML);
    fs::write(root.join("site.toml"), settings).expect("write");
    let privacy =
        "+++\ntitle = \"Privacy\"\ntemplate = \"privacy.html\"\n+++\n\nWe store little.\n";
    fs::write(root.join("content/privacy.md"), privacy).expect("write");
    let cookies = "+++\ntitle = \"Cookies\"\n+++\n\nWhat we set:\n\n{{ cookie_declaration() }}\n";
    fs::write(root.join("content/cookies.md"), cookies).expect("write");
    let article = format!("+++\ntitle = \"A\"\n+++\n\n{article}\n");
    fs::write(root.join("content/articles/a.md"), article).expect("write");
    build::render(&BuildOptions::new(&root)).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn the_cookie_declaration_lists_what_each_category_loads_and_its_cookies() {
    let consent = "plausible_domain = \"aimtowin.test\"\n\
        [[consent.categories]]\nid = \"analytics\"\nlabel = \"Statistics\"\n\
        description = \"Counts visits.\"\n\
        cookies = [\"_pk_*\", { name = \"_ga\", retention = \"2 years\", purpose = \"Tells visits apart.\" }]\n\
        [[consent.categories]]\nid = \"marketing\"\nlabel = \"Videos\"\n\
        [[consent.categories]]\nid = \"unused\"\nlabel = \"Unused\"\n";
    let article = "{{ youtube(id=\"dQw4w9WgXcQ\") }}\n\n\
        <script type=\"text/plain\" data-consent=\"marketing\" data-src=\"https://ads.example.net/p.js\"></script>";
    let site = consent_site(consent, article);
    for path in ["privacy/index.html", "cookies/index.html"] {
        let page = page(&site, path);
        assert_eq!(
            texts(&page, ".cookie-declaration h3"),
            ["Necessary (always on)", "Statistics", "Videos"],
            "{path}: the declaration lists the consent cookie and the categories in use"
        );
        assert_eq!(
            texts(&page, "#cookies-analytics ~ ul li"),
            [
                "Visit statistics from Plausible Analytics (https://plausible.io)",
                "_pk_*",
                "_ga, kept 2 years: Tells visits apart.",
                "Videos from YouTube (https://www.youtube-nocookie.com)",
                "A script or frame gated by this category from ads.example.net (https://ads.example.net)",
            ],
            "{path}: each category's third parties, then its cookies"
        );
        let necessary = texts(&page, "#cookies-necessary + p + p + ul li");
        assert_eq!(necessary, ["cookie_consent, kept 182 days"]);
    }
}

#[test]
fn a_site_with_nothing_optional_declares_so() {
    let site = consent_site("", "Nothing to load.");
    for path in ["privacy/index.html", "cookies/index.html"] {
        let declaration = texts(&page(&site, path), ".cookie-declaration");
        assert_eq!(declaration.len(), 1, "{path}");
        assert!(
            declaration[0].starts_with("This site sets no optional cookies"),
            "{path}: {declaration:?}"
        );
    }
}
