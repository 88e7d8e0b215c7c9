//! Micro-benchmarks of the two render stages (docs/benchmarks.md): `cargo bench --bench render`.
//!
//! - `markdown`: `aimsite::markdown::render` of one realistic article of about 1,000 words
//!   (`benches/fixtures/article.md`: headings with ids, lists, a task list, links and `@/` links,
//!   emphasis, a blockquote, a table, a code block, a footnote).
//! - `page`: that article put into its template (`aimsite::templates::render_page`), as a
//!   build does for each article as soon as its Markdown is rendered.
//! - `lists`: `aimsite::templates::render_lists` of a site holding that one article: every file
//!   that needs the whole site (the home page, `/articles/`, `/tags/` and one page per tag, the
//!   404 page, the feed, the sitemap, `robots.txt`); divan reports the time per file too. The
//!   site is loaded and its Markdown rendered once, before timing.
//! - `site`: `aimsite::build::render` of the same site: load, Markdown, templates and deploy
//!   steps, in memory (nothing written), for scale.

use std::path::Path;

use aimsite::build::{self, BuildOptions, Memos};
use aimsite::markdown::{self, LinkProblemKind, ResolveSource};
use aimsite::site::Site;
use aimsite::templates::{self, Templates};
use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};

const ARTICLE: &str = include_str!("fixtures/article.md");

fn main() {
    divan::main();
}

/// The article's Markdown body, after its front matter.
fn body() -> &'static str {
    let rest = ARTICLE.strip_prefix("+++\n").expect("front matter");
    let end = rest.find("\n+++\n").expect("the end of the front matter");
    &rest[end + "\n+++\n".len()..]
}

/// Resolves `@/` links as the site does, without a site: `@/contact.md` is `/contact/`.
struct Links;

impl ResolveSource for Links {
    fn resolve(&self, source: &str) -> Result<String, LinkProblemKind> {
        Ok(match source.strip_suffix("_index.md") {
            Some(section) => format!("/{section}"),
            None => format!("/{}/", source.trim_end_matches(".md")),
        })
    }
}

// Many short samples: one call takes about 0.1 ms, and this machine's speed wanders.
#[divan::bench(sample_count = 1000)]
fn markdown(bencher: Bencher) {
    let body = body();
    let (rendered, problems) = markdown::render(body, &Links);
    assert!(problems.is_empty() && rendered.heading_ids.len() > 5);
    bencher
        .counter(BytesCount::of_str(body))
        .bench(|| markdown::render(black_box(body), &Links));
}

/// A small site on disk: settings, a home page, the contact page the article links to, and the
/// article.
fn fixture_site(root: &Path) -> BuildOptions {
    let files = [
        (
            "site.toml",
            "title = \"Bench\"\ndescription = \"A site for benchmarks.\"\nbase_url = \"https://bench.test/\"\nlanguage = \"en\"\nfooter = \"Bench\"\n\n[[menu]]\nlabel = \"Articles\"\ntarget = \"/articles/\"\n\n[[menu]]\nlabel = \"Contact\"\ntarget = \"@/contact.md\"\n",
        ),
        (
            "content/_index.md",
            "+++\ntitle = \"Bench\"\n+++\n\nWelcome.\n\n## Testimonials {#testimonials}\n\nThey liked it.\n",
        ),
        (
            "content/contact.md",
            "+++\ntitle = \"Contact\"\n+++\n\nWrite to us.\n",
        ),
        ("content/articles/leading-vs-managing.md", ARTICLE),
    ];
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("creating folders");
        std::fs::write(path, text).expect("writing the fixture site");
    }
    BuildOptions::new(root)
}

/// The fixture site on disk, assembled with every page's HTML kept (a build frees an article's
/// HTML once its page is written, so it renders through the memos, which keep them), and its
/// templates loaded and bound to it.
fn assembled_site() -> (tempfile::TempDir, Site, Templates) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let options = fixture_site(dir.path());
    let site = build::render_memoised(&options, &mut Memos::default())
        .expect("the fixture site builds")
        .site;
    let templates = build::bound_templates(dir.path(), &site).expect("the templates load");
    (dir, site, templates)
}

/// One article into its template, as a build does as soon as its Markdown is rendered
/// (`templates::render_page`).
#[divan::bench(sample_count = 1000)]
fn page(bencher: Bencher) {
    let (_dir, site, templates) = assembled_site();
    let index = site
        .pages
        .iter()
        .position(|page| page.source == "articles/leading-vs-managing.md")
        .expect("the article is a page");
    let markdown = site.pages[index].markdown.clone();
    let render = || templates::render_page(&site, &templates, index, &markdown, None);
    assert!(render().is_ok(), "the article renders without problems");
    bencher.bench_local(render);
}

#[divan::bench(sample_count = 1000)]
fn lists(bencher: Bencher) {
    let (_dir, site, templates) = assembled_site();
    let files = std::sync::atomic::AtomicUsize::new(0);
    let count = |file| {
        black_box(file);
        files.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    templates::render_lists(&site, &templates, None, &count).expect("the lists render");
    bencher
        .counter(ItemsCount::new(files.into_inner()))
        .bench_local(|| {
            templates::render_lists(black_box(&site), &templates, None, &|file| {
                black_box(file);
            })
        });
}

#[divan::bench]
fn site(bencher: Bencher) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let options = fixture_site(dir.path());
    bencher.bench_local(|| build::render(black_box(&options)));
}
