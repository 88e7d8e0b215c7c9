//! `aimsite check`: each kind of problem is reported with its file and line, the exit status
//! says whether the site may be published, and clean sites (a new one, the firm's) pass.

use std::path::Path;
use std::process::{Command, Output};

use aimsite::check::{self, CheckOptions, CheckReport};
use aimsite::scaffold;

fn new_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    scaffold::init(dir.path(), jiff::civil::date(2020, 2, 10)).unwrap();
    dir
}

fn aimsite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aimsite"))
        .args(args)
        .output()
        .unwrap()
}

fn check_site(root: &Path) -> CheckReport {
    check::run(&CheckOptions {
        root: root.to_path_buf(),
        drafts: false,
        future: false,
        strict: false,
    })
    .expect("the check runs")
}

/// The errors as `file:line: message`.
fn errors(report: &CheckReport) -> Vec<String> {
    report
        .problems
        .iter()
        .filter(|problem| problem.is_error())
        .map(|problem| {
            format!(
                "{}:{}: {}",
                problem.file.display(),
                problem.location.map_or(0, |l| l.line),
                problem.message
            )
        })
        .collect()
}

fn has_error(report: &CheckReport, file_and_line: &str, message_part: &str) -> bool {
    errors(report).iter().any(|error| {
        error.starts_with(&format!("{file_and_line}: ")) && error.contains(message_part)
    })
}

/// Whether a warning (not an error) says `message_part` at `file:line`.
fn has_warning(report: &CheckReport, file_and_line: &str, message_part: &str) -> bool {
    report.problems.iter().any(|problem| {
        let place = format!(
            "{}:{}",
            problem.file.display(),
            problem.location.map_or(0, |l| l.line)
        );
        !problem.is_error() && place == file_and_line && problem.message.contains(message_part)
    })
}

const LONG_DESCRIPTION: &str = "This description goes on far too long for a search result: it talks about leadership, management, coaching, vision, teams, strategy, culture and much more besides.";

#[test]
fn a_new_site_passes() {
    let site = new_site();
    let report = check_site(site.path());
    assert_eq!(errors(&report), Vec::<String>::new());
    assert!(report.passed());
    assert!(report.pages.is_some_and(|pages| pages > 5));
    let output = aimsite(&["check", "--root", site.path().to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("0 errors"), "{stdout}");
}

#[test]
fn the_firms_site_passes() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = aimsite(&["check", "--root", root]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn placeholders_are_warnings_that_fail_only_with_strict() {
    let site = new_site();
    let root = site.path().to_str().unwrap();
    let output = aimsite(&["check", "--root", root]);
    assert!(output.status.success());
    // Problems go to standard error, as `build` prints them; the summary to standard output.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("base_url `https://www.example.com/` is a placeholder"),
        "{stderr}"
    );
    assert!(stderr.contains("site.toml:5:"), "{stderr}");
    // So is one in a page's Markdown, at its line.
    assert!(
        stderr.contains("warning: `mailto:hello@example.com` is a placeholder address\n  --> content/contact.md:6:10"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout, "Checked 18 pages: 0 errors, 5 warnings\n");
    let strict = aimsite(&["check", "--strict", "--root", root]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn each_kind_of_problem_is_reported_at_its_line() {
    let site = new_site();
    let root = site.path();
    std::fs::write(
        root.join("content/articles/problems.md"),
        format!(
            "+++\n\
             title = \"Welcome\"\n\
             description = \"{LONG_DESCRIPTION}\"\n\
             +++\n\
             \n\
             A [broken link](/no-such-page/) and a [broken fragment](/articles/welcome/#no-such-heading).\n\
             \n\
             ![](/favicon.svg)\n\
             \n\
             ## A section\n\
             \n\
             #### Too deep\n\
             \n\
             <img src=\"/favicon.svg\">\n\
             \n\
             [Fine](../welcome/) and [not fine](../gone/).\n"
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("content/about.md"),
        "+++\ntitle = \"About\"\n+++\n\nAbout us.\n",
    )
    .unwrap();
    let report = check_site(root);
    let file = "content/articles/problems.md";
    for (line, message) in [
        (2, "the article has no date"),
        (3, "the description is 163 characters long, more than 160"),
        (6, "`/no-such-page/` leads to no page"),
        (6, "has no element with the id `no-such-heading`"),
        (8, "the image has no alt text"),
        (12, "the heading level skips from h2 to h4"),
        (14, "the image has no alt text"),
        (16, "`../gone/` leads to no page"),
    ] {
        assert!(
            has_error(&report, &format!("{file}:{line}"), message),
            "no `{message}` at line {line} in {:#?}",
            errors(&report)
        );
    }
    assert!(
        has_error(
            &report,
            "content/articles/welcome.md:2",
            "the title `Welcome` is also the title"
        ) || has_error(
            &report,
            &format!("{file}:2"),
            "the title `Welcome` is also the title"
        ),
        "{:#?}",
        errors(&report)
    );
    assert!(has_warning(
        &report,
        "content/about.md:1",
        "the page has no description"
    ));
    // The relative link that works is not reported; nothing is reported twice.
    assert!(!errors(&report).iter().any(|e| e.contains("../welcome/")));
    let all = errors(&report);
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(all.len(), unique.len(), "{all:#?}");
    assert!(!report.passed());
}

#[test]
fn problems_in_templates_are_located_in_the_template() {
    let site = new_site();
    let root = site.path();
    let base = root.join("templates/base.html");
    let text = std::fs::read_to_string(&base).unwrap();
    let text = text.replacen(
        "</main>",
        "</main>\n<a href=\"/missing-page/\">Missing</a>\n<h4>Skipping</h4>",
        1,
    );
    std::fs::write(&base, text.clone()).unwrap();
    let line = text
        .lines()
        .position(|line| line.contains("/missing-page/"))
        .unwrap()
        + 1;
    let report = check_site(root);
    assert!(
        has_error(
            &report,
            &format!("templates/base.html:{line}"),
            "`/missing-page/` leads to no page"
        ),
        "{:#?}",
        errors(&report)
    );
    assert!(
        has_error(
            &report,
            &format!("templates/base.html:{}", line + 1),
            "to h4"
        ),
        "{:#?}",
        errors(&report)
    );
    // Reported once, not once for every page that shows it.
    let count = errors(&report)
        .iter()
        .filter(|e| e.contains("/missing-page/"))
        .count();
    assert_eq!(count, 1);
}

#[test]
fn build_errors_are_reported_with_their_line_and_fail() {
    let site = new_site();
    let root = site.path();
    let article = root.join("content/articles/welcome.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, text.replacen("description", "descripton", 1)).unwrap();
    let report = check_site(root);
    assert!(
        has_error(
            &report,
            "content/articles/welcome.md:3",
            "unknown key `descripton`"
        ),
        "{:#?}",
        errors(&report)
    );
    let output = aimsite(&["check", "--root", root.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn broken_links_and_fragments_do_not_hide_what_check_finds_in_the_pages() {
    // A fragment or `@/` link the build rejects used to stop the check before it read the
    // pages, so that fixing it revealed more problems on the next run.
    let site = new_site();
    let root = site.path();
    std::fs::write(
        root.join("content/about.md"),
        "+++\ntitle = \"About\"\ndescription = \"Who we are.\"\n+++\n\n\
         See [a](@/articles/welcome.md#no-such-heading).\n\n\
         See [b](@/missing.md).\n\n\
         See [c](/no-such-page/).\n\n\
         See [d](#nowhere).\n\n\
         ![](/favicon.svg)\n",
    )
    .unwrap();
    let report = check_site(root);
    let file = "content/about.md";
    for (line, message) in [
        (6, "`#no-such-heading` is not a heading"),
        (8, "`content/missing.md`, which does not exist"),
        (10, "`/no-such-page/` leads to no page"),
        (12, "`#nowhere` is not a heading"),
        (14, "the image has no alt text"),
    ] {
        assert!(
            has_error(&report, &format!("{file}:{line}"), message),
            "no `{message}` at line {line} in {:#?}",
            errors(&report)
        );
    }
    assert!(report.pages.is_some(), "{}", report.summary());
    // Each problem once: the build's fragment checks are not repeated by check's own.
    assert_eq!(errors(&report).len(), 5, "{:#?}", errors(&report));
    assert!(!report.passed());
    let output = aimsite(&["check", "--root", root.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn json_output_lists_every_problem_for_machines() {
    let site = new_site();
    let root = site.path();
    std::fs::write(
        root.join("content/about.md"),
        "+++\ntitle = \"About\"\n+++\n\n![](/favicon.svg)\n",
    )
    .unwrap();
    let output = aimsite(&[
        "check",
        "--format",
        "json",
        "--root",
        root.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let problems: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let problems = problems.as_array().unwrap();
    let image = problems
        .iter()
        .find(|p| p["message"] == "the image has no alt text")
        .unwrap();
    assert_eq!(image["severity"], "error");
    assert_eq!(image["file"], "content/about.md");
    assert_eq!(image["line"], 5);
    assert_eq!(image["column"], 1);
    assert!(image["help"].as_str().unwrap().contains("alt"));
    assert!(problems.iter().any(|p| p["severity"] == "warning"));
}

#[test]
fn drafts_are_checked_only_when_asked() {
    let site = new_site();
    let root = site.path();
    std::fs::write(
        root.join("content/articles/draft.md"),
        "+++\ntitle = \"Draft\"\ndraft = true\n+++\n\nDraft.\n",
    )
    .unwrap();
    assert!(check_site(root).passed());
    let report = check::run(&CheckOptions {
        root: root.to_path_buf(),
        drafts: true,
        future: false,
        strict: false,
    })
    .expect("the check runs");
    assert!(has_warning(
        &report,
        "content/articles/draft.md:1",
        "no description"
    ));
    assert!(has_error(&report, "content/articles/draft.md:2", "no date"));
}

#[test]
fn root_relative_links_and_top_are_read_as_the_built_page_has_them() {
    let site = new_site();
    let root = site.path();
    let settings = root.join("site.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        text.replace(
            "base_url = \"https://www.example.com/\"",
            "base_url = \"https://www.example.com/aimtowin/\"",
        ),
    )
    .unwrap();
    let article = root.join("content/articles/welcome.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(
        &article,
        format!("{text}\nSee [the articles](/articles/) or go [back up](#top).\n"),
    )
    .unwrap();
    // The build puts the base path in front of `/articles/`; `#top` is the top of any page.
    let output = aimsite(&["build", "--root", root.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = check_site(root);
    assert!(errors(&report).is_empty(), "{:#?}", errors(&report));

    // A root-relative link to nothing is still found, at its line.
    std::fs::write(&article, format!("{text}\nSee [nothing](/nowhere/).\n")).unwrap();
    let lines = text.lines().count() + 2;
    let report = check_site(root);
    assert!(
        has_error(
            &report,
            &format!("content/articles/welcome.md:{lines}"),
            "/aimtowin/nowhere/"
        ),
        "{:#?}",
        errors(&report)
    );
}

#[test]
fn what_loads_from_other_sites_before_consent_is_an_error_where_it_is_written() {
    let site = new_site();
    let root = site.path();
    let article = root.join("content/articles/welcome.md");
    let text = std::fs::read_to_string(&article).unwrap();
    let text = format!(
        "{text}\n\n![A chart](https://cdn.imagehost.io/chart.png)\n\n\
         <iframe data-consent=\"marketing\" data-src=\"https://player.vimeo.com/video/1\" title=\"Gated\"></iframe>\n"
    );
    std::fs::write(&article, &text).unwrap();
    let image_line = text.lines().position(|l| l.contains("imagehost")).unwrap() + 1;
    let base = root.join("templates/base.html");
    let template = std::fs::read_to_string(&base).unwrap().replacen(
        "</head>",
        "<link rel=\"stylesheet\" href=\"https://fonts.googleapis.com/css2?family=Inter\">\n</head>",
        1,
    );
    std::fs::write(&base, &template).unwrap();
    let font_line = template
        .lines()
        .position(|l| l.contains("googleapis"))
        .unwrap()
        + 1;
    let style = root.join("static/style.css");
    let css = format!(
        "{}\n.hero {{ background: url(\"https://cdn.imagehost.io/hero.jpg\"); }}\n",
        std::fs::read_to_string(&style).unwrap()
    );
    std::fs::write(&style, &css).unwrap();
    let css_line = css.lines().position(|l| l.contains("hero.jpg")).unwrap() + 1;

    let report = check_site(root);
    let third_party: Vec<String> = errors(&report)
        .into_iter()
        .filter(|error| error.contains("before the visitor consents"))
        .collect();
    assert_eq!(third_party.len(), 3, "{third_party:#?}");
    for (place, words) in [
        (
            format!("content/articles/welcome.md:{image_line}"),
            "<img src> loads `https://cdn.imagehost.io/chart.png` from https://cdn.imagehost.io",
        ),
        (
            format!("templates/base.html:{font_line}"),
            "<link href> loads `https://fonts.googleapis.com/css2?family=Inter`",
        ),
        (
            format!("static/style.css:{css_line}"),
            "a stylesheet loads `https://cdn.imagehost.io/hero.jpg`",
        ),
    ] {
        assert!(
            has_error(&report, &place, words),
            "{place}: {third_party:#?}"
        );
    }
    let help = report
        .problems
        .iter()
        .find(|p| p.message.contains("fonts.googleapis.com"))
        .and_then(|p| p.help.clone())
        .unwrap_or_default();
    assert!(
        help.contains("[check] allow_origins = [\"https://fonts.googleapis.com\"]"),
        "{help}"
    );

    // Allowed origins pass.
    let settings = root.join("site.toml");
    let toml = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        format!("{toml}\n[check]\nallow_origins = [\"https://cdn.imagehost.io\", \"https://fonts.googleapis.com/\"]\n"),
    )
    .unwrap();
    let report = check_site(root);
    assert!(
        !errors(&report)
            .iter()
            .any(|e| e.contains("before the visitor consents")),
        "{:#?}",
        errors(&report)
    );
    // An allowed origin is an origin, not a page.
    std::fs::write(
        &settings,
        format!("{toml}\n[check]\nallow_origins = [\"https://cdn.imagehost.io/chart.png\"]\n"),
    )
    .unwrap();
    let report = check_site(root);
    assert!(
        errors(&report)
            .iter()
            .any(|e| e.starts_with("site.toml:") && e.contains("is not an origin")),
        "{:#?}",
        errors(&report)
    );
}
