//! Writes a synthetic site for benchmarks: `cargo run --release --example gen_corpus -- --articles
//! 10000 [--seed 1] [--hugo] DIR`. Each article is about 1,000 words of realistic Markdown
//! (headings, lists, links, emphasis, a blockquote, a table, a code block) with TOML front matter
//! (title, date, description, 2-3 of 20 tags). The same seed always gives the same site.
//!
//! With `--hugo` the same articles (byte for byte: the front matter keys are valid in both tools)
//! are written as a Hugo site instead: `hugo.toml` and minimal `layouts/` that make the pages
//! aimsite makes (a home page and `/articles/` listing every article, one page per article with
//! its table of contents and heading anchors, `/tags/` and a page per tag, a 404 page), with
//! templates doing about the work of aimsite's built-in ones. See docs/benchmarks.md.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const TAGS: [&str; 20] = [
    "leadership",
    "management",
    "coaching",
    "strategy",
    "teams",
    "culture",
    "communication",
    "vision",
    "feedback",
    "delegation",
    "productivity",
    "wellbeing",
    "change",
    "hiring",
    "mentoring",
    "goals",
    "decisions",
    "trust",
    "growth",
    "resilience",
];

const WORDS: [&str; 48] = [
    "leaders",
    "teams",
    "vision",
    "strategy",
    "growth",
    "people",
    "goals",
    "trust",
    "the",
    "a",
    "and",
    "of",
    "to",
    "in",
    "that",
    "with",
    "for",
    "on",
    "their",
    "every",
    "great",
    "managers",
    "progress",
    "organization",
    "decisions",
    "clear",
    "future",
    "communicate",
    "inspire",
    "track",
    "contribute",
    "process",
    "company",
    "change",
    "skills",
    "coaching",
    "impact",
    "balance",
    "focus",
    "listen",
    "learn",
    "build",
    "share",
    "plan",
    "measure",
    "improve",
    "support",
    "deliver",
];

struct Options {
    articles: usize,
    seed: u64,
    hugo: bool,
    dir: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut articles = 1000;
    let mut seed = 1;
    let mut hugo = false;
    let mut dir = None;
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = args.next().ok_or(format!("{name} needs a number"))?;
            value
                .parse()
                .map_err(|_| format!("{name}: `{value}` is not a number"))
        };
        match arg.as_str() {
            "--articles" => articles = number("--articles")? as usize,
            "--seed" => seed = number("--seed")?,
            "--hugo" => hugo = true,
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let dir = dir.ok_or("usage: gen_corpus --articles N [--seed S] [--hugo] DIR")?;
    Ok(Options {
        articles,
        seed,
        hugo,
        dir,
    })
}

fn main() -> ExitCode {
    match parse_options().and_then(|options| generate(&options).map_err(|e| e.to_string())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen_corpus: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate(options: &Options) -> std::io::Result<()> {
    let articles = options.dir.join("content/articles");
    std::fs::create_dir_all(&articles)?;
    if options.hugo {
        write_hugo_site(&options.dir)?;
    } else {
        write(
            &options.dir.join("site.toml"),
            "title = \"Benchmark\"\ndescription = \"A synthetic site.\"\nbase_url = \"https://bench.test/\"\n\n[[menu]]\nlabel = \"Articles\"\ntarget = \"/articles/\"\n",
        )?;
    }
    write(
        &options.dir.join("content/_index.md"),
        "+++\ntitle = \"Benchmark\"\ndescription = \"The home page.\"\n+++\n\nWelcome.\n",
    )?;
    let mut random = fastrand::Rng::with_seed(options.seed);
    for number in 0..options.articles {
        let text = article(&mut random, number);
        write(&articles.join(format!("article-{number:05}.md")), &text)?;
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

fn words(random: &mut fastrand::Rng, count: usize) -> String {
    let mut text = String::new();
    for i in 0..count {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(WORDS[random.usize(..WORDS.len())]);
    }
    text
}

fn sentence(random: &mut fastrand::Rng) -> String {
    let count = random.usize(8..16);
    let mut text = words(random, count);
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text.push('.');
    text
}

fn paragraph(random: &mut fastrand::Rng) -> String {
    let mut text = String::new();
    for _ in 0..random.usize(4..7) {
        let mut sentence = sentence(random);
        match random.usize(..6) {
            0 => sentence = sentence.replacen(' ', " *", 1).replacen(' ', "* ", 2),
            1 => sentence = sentence.replacen(' ', " **", 1).replacen(' ', "** ", 2),
            2 => sentence.push_str(" See [the guide](https://example.com/guide)."),
            _ => {}
        }
        text.push_str(&sentence);
        text.push(' ');
    }
    text.trim_end().to_string()
}

fn article(random: &mut fastrand::Rng, number: usize) -> String {
    let mut tags: Vec<&str> = Vec::new();
    let wanted = random.usize(2..4);
    while tags.len() < wanted {
        let tag = TAGS[random.usize(..TAGS.len())];
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let tags: Vec<String> = tags.iter().map(|tag| format!("\"{tag}\"")).collect();
    let title = words(random, 4);
    let description = sentence(random);
    let mut text = format!(
        "+++\ntitle = \"Article {number}: {}\"\ndate = {}-{:02}-{:02}\ndescription = \"{}\"\ntags = [{}]\n+++\n\n",
        title,
        2000 + number % 25,
        1 + number % 12,
        1 + number % 28,
        description,
        tags.join(", ")
    );
    let introduction = paragraph(random);
    let _ = writeln!(text, "{introduction}\n");
    for section in 0..4 {
        let heading = words(random, 3);
        let _ = writeln!(text, "## Section {section}: {heading}\n");
        let opening = paragraph(random);
        let _ = writeln!(text, "{opening}\n");
        match section {
            0 => {
                for _ in 0..4 {
                    let _ = writeln!(text, "- {}", sentence(random));
                }
                text.push('\n');
            }
            1 => {
                let quote = paragraph(random);
                let _ = writeln!(text, "> {quote}\n");
            }
            2 => {
                text.push_str("| Goal | Owner | Status |\n|---|---|---|\n");
                for _ in 0..4 {
                    let cells = [words(random, 2), words(random, 1), words(random, 1)];
                    let _ = writeln!(text, "| {} | {} | {} |", cells[0], cells[1], cells[2]);
                }
                text.push('\n');
            }
            _ => {
                text.push_str("```toml\n[plan]\ngoal = \"grow\"\nsteps = 3\n```\n\n");
            }
        }
        let details = [paragraph(random), paragraph(random)];
        let _ = writeln!(text, "### Details\n\n{}\n\n{}\n", details[0], details[1]);
    }
    text
}

/// The Hugo site around the articles: settings and layouts. Same pages and about the same
/// template work as aimsite's built-in templates; no feeds, sitemap or robots.txt.
fn write_hugo_site(dir: &Path) -> std::io::Result<()> {
    write(&dir.join("hugo.toml"), HUGO_CONFIG)?;
    for (path, text) in HUGO_LAYOUTS {
        let path = dir.join("layouts").join(path);
        std::fs::create_dir_all(path.parent().expect("a layout has a folder"))?;
        write(&path, text)?;
    }
    Ok(())
}

/// Hugo 0.111 (Debian 12). The Goldmark extensions that match aimsite's (tables, footnotes,
/// strikethrough, task lists, smart punctuation, `{#id}` on headings) are on by default.
const HUGO_CONFIG: &str = r#"baseURL = "https://bench.test/"
title = "Benchmark"
languageCode = "en"
copyright = "A synthetic site."
disableKinds = ["RSS", "sitemap", "robotsTXT"]
titleCaseStyle = "none"

[params]
description = "A synthetic site."

[taxonomies]
tag = "tags"

[markup.goldmark.renderer]
unsafe = true

# Hugo makes a table of contents only for pages whose template asks for `.TableOfContents`, which
# single.html does; aimsite makes one for every page. Every heading level, as aimsite.
[markup.tableOfContents]
startLevel = 1
endLevel = 6

[[menu.main]]
name = "Articles"
url = "/articles/"
weight = 1
"#;

const HUGO_LAYOUTS: [(&str, &str); 9] = [
    (
        "_default/baseof.html",
        r##"<!doctype html>
<html lang="{{ site.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{- $description := .Description | default site.Params.description }}
<title>{{ block "title" . }}{{ if eq .Title site.Title }}{{ site.Title }}{{ else }}{{ .Title }} | {{ site.Title }}{{ end }}{{ end }}</title>
<meta name="description" content="{{ $description }}">
<meta name="color-scheme" content="light dark">
<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:site_name" content="{{ site.Title }}">
<meta property="og:type" content="{{ if .IsPage }}article{{ else }}website{{ end }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:description" content="{{ $description }}">
<meta property="og:url" content="{{ .Permalink }}">
<meta name="twitter:card" content="summary">
<meta name="twitter:title" content="{{ .Title }}">
<meta name="twitter:description" content="{{ $description }}">
{{- if .IsPage }}
<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "Article" "headline" .Title "description" $description "datePublished" (.Date.Format "2006-01-02") "url" .Permalink | jsonify | safeJS }}</script>
{{- end }}
<link rel="stylesheet" href="/style.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
{{ block "head" . }}{{ end }}
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<div class="container site-header__inner">
<a class="site-name" href="/">{{ site.Title }}</a>
<nav aria-label="Main">
<ul class="menu" role="list">
{{- $current := .RelPermalink }}
{{- range site.Menus.main }}
<li><a href="{{ .URL }}"{{ if eq .URL $current }} aria-current="page"{{ end }}>{{ .Name }}</a></li>
{{- end }}
</ul>
</nav>
</div>
</header>
<main id="main" class="container">
{{ block "main" . }}{{ end }}
</main>
<footer class="site-footer">
<div class="container">
<p>{{ site.Copyright }}</p>
</div>
</footer>
</body>
</html>
"##,
    ),
    (
        "_default/home.html",
        r##"{{ define "main" }}
<h1>{{ .Title }}</h1>
<div class="prose">
{{ .Content }}
</div>
<section class="articles" aria-labelledby="articles-heading">
<h2 id="articles-heading">Articles</h2>
{{- partial "article-list.html" (dict "pages" site.RegularPages "level" 3) }}
<p class="more"><a href="/articles/">All articles</a></p>
</section>
{{ end }}
"##,
    ),
    (
        "_default/list.html",
        r##"{{ define "main" }}
<h1>{{ .Title }}</h1>
{{- with .Content }}
<div class="prose">
{{ . }}
</div>
{{- end }}
{{ partial "article-list.html" (dict "pages" .Pages "level" 2) }}
{{ end }}
"##,
    ),
    (
        "_default/single.html",
        r##"{{ define "head" }}<meta property="article:published_time" content="{{ .Date.Format "2006-01-02" }}">{{ end }}
{{ define "main" }}
<article class="article">
<header class="article__header">
<h1>{{ .Title }}</h1>
{{- $tags := .GetTerms "tags" }}
<p class="meta byline">
<span>Published <time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></span><span aria-hidden="true"> · </span>
<span>{{ .ReadingTime }} min read</span>
{{- with $tags }}<span aria-hidden="true"> · </span><span>In {{ range $i, $tag := . }}{{ if $i }}, {{ end }}<a href="{{ $tag.RelPermalink }}">{{ $tag.LinkTitle }}</a>{{ end }}</span>{{ end -}}
</p>
</header>
<nav class="toc" aria-label="Contents">
{{ .TableOfContents }}
</nav>
<div class="prose">
{{ .Content }}
</div>
{{- with $tags }}
<footer class="article__footer">
<h2 class="article__footer-title">Tags</h2>
<ul class="tag-list" role="list">
{{- range . }}
<li><a class="tag" href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>
{{- end }}
</ul>
</footer>
{{- end }}
</article>
{{ end }}
"##,
    ),
    (
        "_default/taxonomy.html",
        r##"{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul class="tag-list" role="list">
{{- range .Data.Terms.Alphabetical }}
<li><a class="tag" href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }} <span class="tag__count">({{ .Count }}<span class="visually-hidden"> article{{ if ne .Count 1 }}s{{ end }}</span>)</span></a></li>
{{- end }}
</ul>
{{ end }}
"##,
    ),
    (
        "_default/term.html",
        r##"{{ define "title" }}Articles tagged “{{ .Title }}” | {{ site.Title }}{{ end }}
{{ define "main" }}
<h1>Articles tagged “{{ .Title }}”</h1>
{{- $count := len .Pages }}
<p class="meta">{{ $count }} article{{ if ne $count 1 }}s{{ end }}</p>
{{ partial "article-list.html" (dict "pages" .Pages "level" 2) }}
<p class="more"><a href="/tags/">All tags</a></p>
{{ end }}
"##,
    ),
    (
        "404.html",
        r##"{{ define "title" }}Page not found | {{ site.Title }}{{ end }}
{{ define "head" }}<meta name="robots" content="noindex">{{ end }}
{{ define "main" }}
<h1>Page not found</h1>
<div class="prose">
<p>Sorry, we couldn’t find the page you were looking for. It may have moved, or the address may be mistyped.</p>
<p><a href="/">Go to the home page</a> or <a href="/articles/">browse all articles</a>.</p>
</div>
{{ end }}
"##,
    ),
    (
        "partials/article-list.html",
        r##"{{- $level := .level }}
{{- with .pages }}
<ul class="article-list" role="list">
{{- range . }}
<li>
<article class="article-card">
<h{{ $level }} class="article-card__title"><a href="{{ .RelPermalink }}">{{ .Title }}</a></h{{ $level }}>
<p class="meta"><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time><span aria-hidden="true"> · </span><span>{{ .ReadingTime }} min read</span></p>
<div class="article-card__summary">{{ .Summary }}</div>
</article>
</li>
{{- end }}
</ul>
{{- else }}
<p>No articles yet.</p>
{{- end }}
"##,
    ),
    (
        // aimsite puts an anchor link after every heading, wrapped in a div.
        "_default/_markup/render-heading.html",
        r##"<div class="heading"><h{{ .Level }} id="{{ .Anchor | safeURL }}">{{ .Text | safeHTML }}</h{{ .Level }}><a class="heading-anchor" href="#{{ .Anchor | safeURL }}" aria-label="Link to section: {{ .PlainText }}">#</a></div>
"##,
    ),
];
