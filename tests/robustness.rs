//! Robustness (issue 7): no panic, hang or pathological time on any input, and nothing lost on
//! any failure.
//!
//! - Bad input that `tests/bad_input.rs` does not cover yet: empty files, files that are not
//!   UTF-8 besides Markdown, a 20 MB article, deep nesting, symbolic-link loops, unreadable
//!   files, named pipes and devices, template recursion, an unknown included template. Each
//!   asserts the exit status, that the message names the file (and line where there is one) and
//!   that the previous output is untouched.
//! - Regressions for what the fuzzers and these tests found (each says what it guards).
//! - Failures while writing: a build killed with SIGKILL at random moments, a full disk (a
//!   small tmpfs), an output folder that cannot be written.
//! - Output safety: values from front matter and settings are escaped in HTML, the feed, the
//!   sitemap and the JSON-LD.
//!
//! Tests that need root (mounting a tmpfs) or that root defeats (chmod 000) detect it and print
//! what they skipped.

mod fixture;

use std::collections::BTreeMap;
use std::fs;
use std::io::BufRead as _;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Instant;

use aimsite::Error;
use aimsite::build::{self, BuildOptions};
use aimsite::diagnostics::Diagnostic;
use aimsite::markdown::{self, LinkProblemKind, ResolveSource};
use fixture::*;
use scraper::Html;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Like `Fixture::rejected`, with the hang guard: status 1, nothing on stdout, the previous
/// output untouched, at least one `error:` block.
fn rejected_bounded(fixture: &Fixture) -> Problems {
    let output = run_bounded(fixture, &fixture.out);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "not refused with status 1:\n{stderr}"
    );
    assert!(output.stdout.is_empty(), "a failed build printed on stdout");
    fixture.assert_output_unchanged();
    let problems = Problems::parse(&stderr);
    assert!(!problems.errors.is_empty(), "no `error:` block:\n{stderr}");
    problems
}

/// Builds with the hang guard and expects success.
fn built_bounded(fixture: &Fixture) {
    let output = run_bounded(fixture, &fixture.out);
    assert!(
        output.status.success(),
        "the build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// True when this process can read a file it has no permission to read (root).
fn permissions_are_not_enforced(dir: &Path) -> bool {
    let probe = dir.join("permission-probe");
    fs::write(&probe, "x").expect("write probe");
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).expect("chmod probe");
    let readable = fs::read(&probe).is_ok();
    let _ = fs::remove_file(&probe);
    readable
}

fn skipped(what: &str, why: &str) {
    println!("note: skipped {what}: {why}");
    eprintln!("note: skipped {what}: {why}");
}

// ---------------------------------------------------------------------------------------------
// Empty files and files that are not UTF-8
// ---------------------------------------------------------------------------------------------

#[test]
fn an_empty_markdown_file_is_an_error_on_line_1() {
    let fixture = Fixture::new();
    fixture.write("content/articles/empty.md", "");
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/empty.md", 1);
    problem.says("front matter");
    assert!(problem.help().contains("+++"), "{}", problem.text);
}

#[test]
fn an_empty_settings_file_is_an_error_on_line_1() {
    let fixture = Fixture::new();
    fixture.write("site.toml", "");
    let problems = fixture.rejected();
    problems.at("site.toml", 1).says("title").help();
}

#[test]
fn empty_assets_and_static_files_are_copied_as_they_are() {
    let fixture = Fixture::new();
    fixture.write("content/articles/empty.png", "");
    fixture.write("static/empty.txt", "");
    fixture.build_ok(&[]);
    let files = fixture.output_files();
    assert_eq!(files.get("articles/empty.png"), Some(&Some(Vec::new())));
    assert_eq!(files.get("empty.txt"), Some(&Some(Vec::new())));
}

#[test]
fn a_settings_file_that_is_not_utf8_is_an_error_on_its_line() {
    let fixture = Fixture::new();
    fixture.write(
        "site.toml",
        b"title = \"Fixture\"\nfooter = \"\xff\xfe\"\n".as_slice(),
    );
    let problems = fixture.rejected();
    problems.at("site.toml", 2).says("UTF-8").help();
}

#[test]
fn a_template_that_is_not_utf8_is_an_error_on_its_line() {
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        b"{% extends \"base.html\" %}\n{% block main %}\xc3\x28{% endblock main %}\n".as_slice(),
    );
    let problems = fixture.rejected();
    problems.at("templates/page.html", 2).says("UTF-8").help();
}

// ---------------------------------------------------------------------------------------------
// Size and depth
// ---------------------------------------------------------------------------------------------

/// About `bytes` of realistic Markdown: paragraphs, a heading every ten, links, emphasis.
fn long_markdown(bytes: usize) -> String {
    let words = [
        "leaders",
        "teams",
        "vision",
        "*strategy*",
        "growth",
        "people",
        "goals",
        "**trust**",
        "the",
        "a",
        "and",
        "of",
        "to",
        "[contact](@/privacy.md)",
        "`code`",
        "managers",
    ];
    let mut text = String::with_capacity(bytes + 1024);
    let mut state: u32 = 7;
    let mut paragraph = 0;
    while text.len() < bytes {
        if paragraph % 10 == 0 {
            text.push_str(&format!("## Part {paragraph}\n\n"));
        }
        for _ in 0..150 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            text.push_str(words[(state >> 16) as usize % words.len()]);
            text.push(' ');
        }
        text.push_str("\n\n");
        paragraph += 1;
    }
    text
}

#[test]
fn a_20_mb_article_builds() {
    let fixture = Fixture::new();
    let body = long_markdown(20 * 1024 * 1024);
    let last_part = body
        .rsplit("## Part ")
        .next()
        .and_then(|rest| rest.split('\n').next());
    let last_part = last_part.expect("the body has parts").to_string();
    fixture.write(
        "content/articles/big.md",
        format!("+++\ntitle = \"Big\"\ndate = 2021-01-01\n+++\n\n{body}"),
    );
    built_bounded(&fixture);
    let page = fs::read_to_string(fixture.out.join("articles/big/index.html")).expect("the page");
    assert!(
        page.len() > 20 * 1024 * 1024,
        "the page is cut: {} bytes",
        page.len()
    );
    assert!(
        page.contains(&format!("id=\"part-{last_part}\"")),
        "the last heading is missing"
    );
    assert!(page.trim_end().ends_with("</html>"));
}

#[test]
fn deeply_nested_markdown_builds_without_overflowing_the_stack() {
    let fixture = Fixture::new();
    let deep = 100_000;
    let bodies = [
        ("quotes", format!("{} deep\n", ">".repeat(deep))),
        (
            "brackets",
            format!("{}x{}\n", "[".repeat(deep), "]".repeat(deep)),
        ),
        (
            "links",
            format!("{}x{}\n", "[a".repeat(deep), "](/x)".repeat(deep)),
        ),
        (
            "emphasis",
            format!("{}x{}\n", "*".repeat(deep), "*".repeat(deep)),
        ),
        ("quoted-lists", format!("{}x\n", "> - ".repeat(deep / 4))),
        (
            "lists",
            (0..2_000)
                .map(|level| format!("{}- x\n", "  ".repeat(level)))
                .collect(),
        ),
        ("html", format!("{}\n\ntext\n", "<div>".repeat(deep))),
        (
            "backticks",
            format!("{}x{}\n", "`".repeat(deep), "`".repeat(deep - 1)),
        ),
        ("comments", format!("{}\n", "<!--".repeat(deep))),
    ];
    for (name, body) in &bodies {
        fixture.write(
            &format!("content/articles/deep-{name}.md"),
            format!("+++\ntitle = \"Deep {name}\"\n+++\n\n{body}"),
        );
    }
    built_bounded(&fixture);
    for (name, _) in &bodies {
        let path = fixture.out.join(format!("articles/deep-{name}/index.html"));
        let page = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(page.trim_end().ends_with("</html>"), "{name} is cut short");
    }
}

// ---------------------------------------------------------------------------------------------
// What cannot be read: link loops, dangling links, unreadable files, pipes and devices
// ---------------------------------------------------------------------------------------------

#[test]
fn a_symbolic_link_loop_in_content_is_an_error_naming_the_link() {
    let fixture = Fixture::new();
    symlink("..", fixture.path("content/articles/loop")).expect("symlink");
    let problems = rejected_bounded(&fixture);
    problems
        .in_file("content/articles/loop")
        .says("symbolic link")
        .help();
}

#[test]
fn a_link_to_itself_and_a_dangling_link_are_errors_naming_them() {
    let fixture = Fixture::new();
    symlink("self.md", fixture.path("content/articles/self.md")).expect("symlink");
    symlink(
        "../nowhere.md",
        fixture.path("content/articles/dangling.md"),
    )
    .expect("symlink");
    let problems = rejected_bounded(&fixture);
    problems
        .in_file("content/articles/self.md")
        .says("cannot read")
        .help();
    problems
        .in_file("content/articles/dangling.md")
        .says("cannot read")
        .help();
}

#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    let fixture = Fixture::new();
    // A regular file that even root cannot read: a process's own memory at address 0. A link
    // to it leads out of the site, which is refused first.
    symlink("/proc/self/mem", fixture.path("content/articles/memory.md")).expect("symlink");
    let problems = rejected_bounded(&fixture);
    problems
        .in_file("content/articles/memory.md")
        .says("leads outside the site's folder")
        .help();

    // And the everyday case, a file without read permission, where permissions hold.
    fs::remove_file(fixture.path("content/articles/memory.md")).expect("remove");
    if permissions_are_not_enforced(fixture.dir.path()) {
        skipped(
            "the chmod 000 case",
            "running as root, where chmod does not stop reading",
        );
        return;
    }
    fixture.write(
        "content/articles/locked.md",
        ARTICLE_A.replace("Article A", "Locked"),
    );
    let locked = fixture.path("content/articles/locked.md");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).expect("chmod");
    let problems = rejected_bounded(&fixture);
    problems
        .in_file("content/articles/locked.md")
        .says("cannot read")
        .help();
}

/// Regression: a named pipe in `content/` blocked the build forever (reading it waits for a
/// writer), and a link to a device such as `/dev/zero` copied without end.
#[test]
fn named_pipes_and_devices_are_errors_not_hangs() {
    let fixture = Fixture::new();
    let pipe = fixture.path("content/articles/pipe.md");
    let status = Command::new("mkfifo").arg(&pipe).status();
    if !status.is_ok_and(|status| status.success()) {
        skipped("the named pipe case", "mkfifo is not available");
    }
    symlink("/dev/zero", fixture.path("content/zero.bin")).expect("symlink");
    let problems = rejected_bounded(&fixture);
    if pipe.exists() {
        problems
            .in_file("content/articles/pipe.md")
            .says("not a regular file")
            .help();
    }
    problems
        .in_file("content/zero.bin")
        .says("not a regular file")
        .help();
}

/// Makes a named pipe; false where `mkfifo` is not available.
fn make_fifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `aimsite check` with the hang guard; it must fail with status 1.
fn check_rejected_bounded(fixture: &Fixture) -> Problems {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aimsite"));
    command.arg("check").arg("--root").arg(&fixture.root);
    let output = bounded(command);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "check passed:\n{stderr}");
    Problems::parse(&stderr)
}

/// A file of `bytes` zeros that takes no room on the disk.
fn sparse_file(path: &Path, bytes: u64) {
    let _ = fs::remove_file(path);
    fs::create_dir_all(path.parent().expect("folder")).expect("mkdir");
    fs::File::create(path)
        .and_then(|file| file.set_len(bytes))
        .expect("sparse file");
}

/// Regression: `site.toml` as a named pipe blocked `build` and `check` forever; as a link to
/// `/dev/zero`, it was read until the memory ran out; `templates/` or `static/` that was a file
/// or a named pipe was ignored without a word; a source of any size was read whole.
#[test]
fn special_files_where_settings_templates_or_folders_are_expected_are_errors_naming_them() {
    let fixture = Fixture::new();
    let settings = fixture.path("site.toml");
    // Both `build` and `check` refuse it, naming it, without hanging or filling memory.
    let refused_as_not_regular = || {
        rejected_bounded(&fixture)
            .in_file("site.toml")
            .says("not a regular file")
            .help();
        check_rejected_bounded(&fixture)
            .in_file("site.toml")
            .says("not a regular file");
        fs::remove_file(&settings).expect("remove");
    };
    fs::remove_file(&settings).expect("remove");
    if make_fifo(&settings) {
        refused_as_not_regular();
    } else {
        skipped("the named pipe as site.toml", "mkfifo is not available");
    }
    symlink("/dev/zero", &settings).expect("symlink");
    refused_as_not_regular();
    let too_large = aimsite::content::MAX_SOURCE_BYTES + 1;
    sparse_file(&settings, too_large);
    rejected_bounded(&fixture)
        .in_file("site.toml")
        .says("at most 64 MB")
        .help();
    fixture.write("site.toml", SITE_TOML);

    fixture.write("templates", "not a folder");
    let static_folder = fixture.path("static");
    if !make_fifo(&static_folder) {
        fixture.write("static", "not a folder either");
    }
    sparse_file(&fixture.path("content/articles/huge.md"), too_large);
    let problems = rejected_bounded(&fixture);
    problems
        .in_file("templates")
        .says("should be a folder")
        .help();
    problems.in_file("static").says("should be a folder").help();
    problems
        .in_file("content/articles/huge.md")
        .says("at most 64 MB")
        .help();

    fixture.remove("templates");
    fs::remove_file(&static_folder).expect("remove");
    fixture.remove("content/articles/huge.md");
    sparse_file(&fixture.path("templates/page.html"), too_large);
    rejected_bounded(&fixture)
        .in_file("templates/page.html")
        .says("at most 64 MB")
        .help();
}

/// Regression: a file in `static/` or `content/` that was a symbolic link to a file outside
/// the site's folder was copied into the output (a link to a system file was published), and
/// `serve` served it. Links that stay inside the site keep working.
#[test]
fn links_that_lead_out_of_the_site_are_errors_naming_them() {
    let fixture = Fixture::new();
    let elsewhere = tempfile::tempdir().expect("temporary folder");
    fs::write(elsewhere.path().join("secret.txt"), "secret").expect("write");
    fs::create_dir(elsewhere.path().join("folder")).expect("mkdir");
    fs::write(elsewhere.path().join("folder/key.txt"), "key").expect("write");
    fs::create_dir_all(fixture.path("static")).expect("mkdir");
    let outside = [
        ("static/passwd", PathBuf::from("/etc/passwd")),
        ("content/secret.txt", elsewhere.path().join("secret.txt")),
        ("static/folder", elsewhere.path().join("folder")),
        // Relative, through the site's own folder and out of it.
        ("static/up", PathBuf::from("../..")),
    ];
    for (link, target) in &outside {
        symlink(target, fixture.path(link)).expect("symlink");
    }
    symlink("../content/privacy.md", fixture.path("static/privacy.txt")).expect("symlink");
    symlink("../content/articles", fixture.path("static/pages")).expect("symlink");

    let problems = rejected_bounded(&fixture);
    for (link, _) in &outside {
        problems
            .in_file(link)
            .says("leads outside the site's folder")
            .help();
    }
    for inside in [
        "static/privacy.txt",
        "static/pages",
        "static/folder/key.txt",
    ] {
        assert!(
            !problems.stderr.contains(inside),
            "{inside} is named:\n{}",
            problems.stderr
        );
    }
    // `serve` and `check` load the site the same way.
    match build::render(&BuildOptions::new(&fixture.root)) {
        Err(Error::Sources(problems)) => assert!(
            problems
                .iter()
                .any(|problem| problem.file == Path::new("static/passwd")),
            "{problems}"
        ),
        Err(error) => panic!("{error}"),
        Ok(_) => panic!("a link out of the site was rendered"),
    }

    for (link, _) in &outside {
        fs::remove_file(fixture.path(link)).expect("remove");
    }
    built_bounded(&fixture);
    assert_eq!(
        fs::read_to_string(fixture.out.join("privacy.txt")).expect("read"),
        PRIVACY
    );
    assert_eq!(
        fs::read_to_string(fixture.out.join("pages/a.md")).expect("read"),
        ARTICLE_A
    );
}

// ---------------------------------------------------------------------------------------------
// Templates that recurse or name what does not exist
// ---------------------------------------------------------------------------------------------

#[test]
fn a_template_that_extends_itself_is_an_error_naming_it() {
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        "{% extends \"page.html\" %}\n{% block main %}x{% endblock main %}\n",
    );
    let problems = rejected_bounded(&fixture);
    problems
        .in_file("templates/page.html")
        .says("Circular")
        .help();
}

#[test]
fn templates_that_include_each_other_are_an_error_naming_one() {
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        "{% extends \"base.html\" %}\n{% block main %}{% include \"partials/a.html\" %}{% endblock main %}\n",
    );
    fixture.write(
        "templates/partials/a.html",
        "a {% include \"partials/b.html\" %}\n",
    );
    fixture.write(
        "templates/partials/b.html",
        "b {% include \"partials/a.html\" %}\n",
    );
    let problems = rejected_bounded(&fixture);
    problems
        .in_file("templates/partials/a.html")
        .says("Circular")
        .help();
}

#[test]
fn a_component_that_calls_itself_without_end_is_an_error() {
    // Tera stops at a recursion depth of 20 instead of overflowing the stack. Its error names
    // no template, so the problem names the template being rendered and the page.
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        "{% component again(n: integer) %}{{ n }}{{ <again n={n + 1} /> }}{% endcomponent again %}\n{% extends \"base.html\" %}\n{% block main %}{{ <again n={1} /> }}{% endblock main %}\n",
    );
    let problems = rejected_bounded(&fixture);
    let problem = problems
        .errors
        .iter()
        .find(|problem| problem.text.contains("recursion"))
        .unwrap_or_else(|| panic!("no recursion error:\n{}", problems.stderr));
    assert_names(problem, "templates/page.html");
    problem.says("content/privacy.md").says("without end");
}

#[test]
fn including_a_template_that_does_not_exist_is_an_error_naming_the_includer() {
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        "{% extends \"base.html\" %}\n{% block main %}\n{% include \"partials/nope.html\" %}\n{% endblock main %}\n",
    );
    let problems = rejected_bounded(&fixture);
    let problem = problems
        .errors
        .iter()
        .find(|problem| problem.text.contains("partials/nope.html"))
        .unwrap_or_else(|| panic!("no error names the missing template:\n{}", problems.stderr));
    assert_names(problem, "templates/page.html");
    problem.help();
}

/// Asserts that the problem points into `file`, whatever else it names.
fn assert_names(problem: &fixture::Problem, file: &str) {
    assert!(
        problem.locations.iter().any(|(named, _, _)| named == file),
        "the problem does not point into {file}:\n{}",
        problem.text
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions for findings
// ---------------------------------------------------------------------------------------------

/// Regression: a slug, tag or alias longer than file systems allow in a name failed the build
/// only when its file was written ("File name too long"), naming a file of the staging folder
/// instead of the page and line.
#[test]
fn names_too_long_for_a_file_system_are_errors_on_their_line() {
    let fixture = Fixture::new();
    let long = "\u{6f22}".repeat(100); // 300 bytes of letters
    fixture.write(
        "content/articles/b.md",
        format!(
            "+++\ntitle = \"B\"\nslug = \"{long}\"\ntags = [\"{}\"]\naliases = [\"/old/{}/\"]\n+++\n\nText.\n",
            "t".repeat(256),
            "a".repeat(256)
        ),
    );
    let problems = fixture.rejected();
    problems
        .at("content/articles/b.md", 3)
        .says("300 bytes")
        .help();
    problems
        .at("content/articles/b.md", 4)
        .says("256 bytes")
        .help();
    problems
        .at("content/articles/b.md", 5)
        .says("256 bytes")
        .help();
    // 255 bytes is still a name.
    fixture.write(
        "content/articles/b.md",
        format!(
            "+++\ntitle = \"B\"\nslug = \"{}\"\n+++\n\nText.\n",
            "s".repeat(255)
        ),
    );
    fixture.build_ok(&[]);
}

/// A file name within the file system's limit can grow past it when transliterated for its URL
/// (each `中` becomes `zhong-`): the build says so, naming the file, before writing anything.
#[test]
fn a_file_name_that_grows_too_long_as_a_url_is_an_error_naming_it() {
    let fixture = Fixture::new();
    let name = format!("content/articles/{}.md", "\u{4e2d}".repeat(80));
    fixture.write(&name, "+++\ntitle = \"Long\"\n+++\n\nText.\n");
    let problems = fixture.rejected();
    problems.in_file(&name).says("bytes long").help();
    // A short one is transliterated, without its extension.
    fixture.write(
        &name,
        "+++\ntitle = \"Long\"\nslug = \"short\"\n+++\n\nText.\n",
    );
    fixture.write(
        "content/articles/\u{4e2d}\u{6587}.md",
        "+++\ntitle = \"Zh\"\n+++\n\nText.\n",
    );
    fixture.build_ok(&[]);
    fixture.page("articles/zhong-wen/index.html");
    fixture.page("articles/short/index.html");
}

struct Resolver;

impl ResolveSource for Resolver {
    fn resolve(&self, _: &str) -> Result<String, LinkProblemKind> {
        Err(LinkProblemKind::Missing { suggestion: None })
    }
}

/// Regression: each repeated heading tried every suffix from `-1` up, so 100,000 equal headings
/// took minutes (time of the square of their number).
#[test]
fn many_equal_headings_get_unique_ids_in_linear_time() {
    let (rendered, _) = markdown::render(&"## Same\n\n".repeat(100_000), &Resolver);
    assert_eq!(rendered.heading_ids.len(), 100_000);
    assert_eq!(rendered.heading_ids[0], "same");
    assert_eq!(rendered.heading_ids[1], "same-1");
    assert_eq!(rendered.heading_ids[99_999], "same-99999");
    // An id taken by hand before its turn is skipped, as before.
    let (rendered, _) = markdown::render("## A {#a-1}\n\n## A\n\n## A\n\n## A\n", &Resolver);
    assert_eq!(rendered.heading_ids, ["a-1", "a", "a-2", "a-3"]);
}

fn library_site(body: &str) -> (tempfile::TempDir, BuildOptions) {
    let (dir, root) = minimal_site("aimsite-robustness-");
    fs::write(
        root.join("content/articles/long.md"),
        format!("+++\ntitle = \"Long\"\n+++\n\n## Here\n\n<span id=\"raw\">raw</span>\n\n{body}\n"),
    )
    .expect("write");
    let options = BuildOptions::new(&root);
    (dir, options)
}

/// Regression: every link to a fragment of its own page searched the whole page's HTML, so a
/// long page with many such links took time of the square of its size.
#[test]
fn many_links_to_headings_of_a_long_page_are_checked_in_linear_time() {
    let body = "[here](#here) [raw](#raw) ".repeat(50_000);
    let (_dir, options) = library_site(&body);
    let rendered = build::render(&options).unwrap_or_else(|error| panic!("{error}"));
    assert!(rendered.pages >= 2);
}

/// Regression: every problem kept a copy of its whole line, so 20,000 broken links on one
/// long line (a 220 KB paragraph) held and printed 4 GB.
#[test]
fn many_problems_on_one_long_line_stay_small() {
    let body = "[x](#nowhere) ".repeat(20_000);
    let (_dir, options) = library_site(&body);
    let Err(Error::Sources(problems)) = build::render(&options) else {
        panic!("broken fragments were not reported");
    };
    assert_eq!(problems.error_count(), 20_000);
    for problem in problems.iter() {
        let shown = problem.to_string();
        assert!(shown.len() < 1_000, "{} bytes: {shown}", shown.len());
    }
}

#[test]
fn a_problem_on_a_very_long_line_shows_the_part_around_it_with_the_caret_below() {
    let text = format!(
        "{}BAD{}\nnext line\n",
        "é".repeat(1_000_000),
        "z".repeat(1_000)
    );
    let start = text.find("BAD").expect("BAD");
    let shown = Diagnostic::error("content/long.md", "wrong")
        .at(&text, start..start + 3)
        .to_string();
    assert!(shown.len() < 1_000, "{shown}");
    assert!(shown.contains("content/long.md:1:1000001"), "{shown}");
    let lines: Vec<&str> = shown.lines().collect();
    let excerpt = lines
        .iter()
        .find(|line| line.contains("BAD"))
        .expect("excerpt");
    let caret = lines.iter().find(|line| line.contains('^')).expect("caret");
    let column = |line: &str, pattern: &str| line[..line.find(pattern).unwrap()].chars().count();
    assert_eq!(column(excerpt, "BAD"), column(caret, "^"), "{shown}");
    assert!(caret.ends_with("^^^"), "{shown}");
    assert!(excerpt.contains('…'), "the cut is not marked: {shown}");
    // A short line is shown whole, exactly as before.
    let shown = Diagnostic::error("a.md", "x")
        .at("ab BAD cd\n", 3..6)
        .to_string();
    assert!(shown.contains("1 | ab BAD cd\n  |    ^^^\n"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Failures while writing
// ---------------------------------------------------------------------------------------------

/// The folders beside `output` that a build leaves while it works.
fn work_folders_beside(output: &Path) -> Vec<String> {
    let name = output
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    entry_names(output.parent().expect("parent"))
        .into_iter()
        .filter(|entry| entry.starts_with(&format!(".{name}.aimsite-")))
        .collect()
}

/// A site big enough that writing it takes a while: `articles` articles and `assets` files of
/// 1 MB. `version` changes one article, so that each version's output differs.
fn write_big_site(root: &Path, articles: usize, assets: usize, version: usize) {
    let write = |relative: &str, contents: &[u8]| {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().expect("folder")).expect("mkdir");
        fs::write(path, contents).expect("write");
    };
    write("site.toml", SITE_TOML.as_bytes());
    write("content/_index.md", HOME.as_bytes());
    write("content/privacy.md", PRIVACY.as_bytes());
    let body = long_markdown(6_000);
    for n in 0..articles {
        let text = format!(
            "+++\ntitle = \"Article {n}\"\ndate = 2021-01-{:02}\ntags = [\"t{}\"]\n+++\n\n{body}",
            n % 28 + 1,
            n % 17
        );
        write(&format!("content/articles/a{n}.md"), text.as_bytes());
    }
    for n in 0..assets {
        let bytes: Vec<u8> = (0..1024 * 1024)
            .map(|i: usize| (i * 31 + n) as u8)
            .collect();
        write(&format!("content/files/f{n}.bin"), &bytes);
    }
    write(
        "content/articles/a0.md",
        format!("+++\ntitle = \"Version {version}\"\n+++\n\nThis is version {version}.\n")
            .as_bytes(),
    );
}

fn build_command(root: &Path, output: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aimsite"));
    command
        .arg("build")
        .arg("--root")
        .arg(root)
        .arg("--output")
        .arg(output)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn build_into(root: &Path, output: &Path) {
    let result = build_command(root, output).output().expect("run aimsite");
    assert!(
        result.status.success(),
        "the build failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

/// Which complete output a folder holds, or a description of what is wrong with it.
fn which_output(folder: &Path, old: &Tree, new: &Tree) -> Result<&'static str, String> {
    if !folder.exists() {
        return Err("the output folder is missing".into());
    }
    let now = tree(folder);
    if now == *old {
        return Ok("old");
    }
    if now == *new {
        return Ok("new");
    }
    let differ = |other: &Tree| {
        let keys: std::collections::BTreeSet<&String> = now.keys().chain(other.keys()).collect();
        keys.into_iter()
            .filter(|key| now.get(*key) != other.get(*key))
            .count()
    };
    Err(format!(
        "a mix: {} paths differ from the old output and {} from the new",
        differ(old),
        differ(new)
    ))
}

#[test]
fn a_build_killed_at_any_moment_leaves_a_complete_output() {
    let dir = tempfile::Builder::new()
        .prefix("aimsite-kill-")
        .tempdir()
        .expect("temporary folder");
    let root = dir.path().join("site");
    let output = dir.path().join("public");
    let reference = dir.path().join("reference");
    write_big_site(&root, 300, 12, 0);
    let started = Instant::now();
    build_into(&root, &output);
    let full_build = started.elapsed();

    let seed = fastrand::u64(..);
    let mut random = fastrand::Rng::with_seed(seed);
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    let kills = 8;
    for version in 1..=kills {
        let old = tree(&output);
        write_big_site(&root, 0, 0, version);
        // The same sources give the same bytes, wherever they are built.
        build_into(&root, &reference);
        let new = tree(&reference);
        fs::remove_dir_all(&reference).expect("remove the reference");
        assert_ne!(old, new, "version {version} changed nothing");

        // Half the kills anywhere in the build, half late, where the swap is.
        let fraction = if version % 2 == 0 {
            random.f64() * 1.1
        } else {
            0.6 + random.f64() * 0.5
        };
        let delay = full_build.mul_f64(fraction);
        let mut child = build_command(&root, &output).spawn().expect("run aimsite");
        std::thread::sleep(delay);
        let finished = child.try_wait().expect("wait").is_some();
        child.kill().ok(); // SIGKILL
        child.wait().expect("wait");
        let outcome = which_output(&output, &old, &new)
            .unwrap_or_else(|problem| panic!("killed after {delay:?} (seed {seed}): {problem}"));
        let label = match (outcome, finished) {
            (_, true) => "finished before the kill",
            ("old", false) => "killed, old output kept",
            _ => "killed after the swap, new output",
        };
        *outcomes.entry(label).or_default() += 1;
        // Whatever the kill left beside the output goes with the next build.
    }
    println!("{kills} kills (seed {seed}, full build {full_build:?}): {outcomes:?}");

    let result = build_command(&root, &output).output().expect("run aimsite");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        work_folders_beside(&output).is_empty(),
        "{:?}",
        work_folders_beside(&output)
    );
    assert!(output.join("articles/a0/index.html").is_file());
    let page = fs::read_to_string(output.join("articles/a0/index.html")).expect("page");
    assert!(
        page.contains(&format!("This is version {kills}.")),
        "the last version is not out"
    );
}

/// Puts something where a build works beside the output.
type PutInTheWay<'a> = &'a dyn Fn(&Path);

/// Regression: a `.public.aimsite-new` or `.public.aimsite-old` beside the output that was a
/// symbolic link (committed with a site, or planted) was followed: a build deleted every file of
/// the folder it pointed to, and with a link to `..`, a neighbouring project. A work folder that
/// no build left is refused, named, and left as it is; one a build left is still cleared.
#[test]
fn work_folders_that_no_build_left_are_refused_and_never_followed() {
    let fixture = Fixture::new();
    let neighbour = tempfile::tempdir().expect("temporary folder");
    let project = neighbour.path().join("project");
    fs::create_dir_all(project.join("src")).expect("mkdir");
    fs::write(project.join("src/main.rs"), "fn main() {}\n").expect("write");
    let before = tree(neighbour.path());
    let beside = |name: &str| fixture.dir.path().join(name);
    let cases: [(&str, &str, PutInTheWay); 4] = [
        (".public.aimsite-new", "a symbolic link", &|path| {
            symlink(&project, path).expect("symlink")
        }),
        // As a link to `..` would: the folder that holds other projects.
        (".public.aimsite-old", "a symbolic link", &|path| {
            symlink(neighbour.path(), path).expect("symlink")
        }),
        (".public.aimsite-old", "did not write", &|path| {
            fs::create_dir(path).expect("mkdir");
            fs::write(path.join("notes.txt"), "mine").expect("write");
        }),
        (".public.aimsite-new", "not a folder", &|path| {
            fs::write(path, "mine").expect("write")
        }),
    ];
    for (name, says, make) in cases {
        let path = beside(name);
        make(&path);
        let result = fixture.run(&fixture.out, &[]);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{name} ({says}):\n{stderr}");
        let problems = Problems::parse(&stderr);
        let [problem] = &problems.errors[..] else {
            panic!("one error: {stderr}");
        };
        assert!(
            problem.message.contains(&path.display().to_string()),
            "{stderr}"
        );
        problem.says(says).help();
        assert_eq!(
            tree(neighbour.path()),
            before,
            "{name} ({says}) was followed"
        );
        fixture.assert_output_unchanged_except(&[name]);
        match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(&path).expect("remove"),
            _ => fs::remove_file(&path).expect("remove"),
        }
    }

    // What a killed build leaves: a staging folder just made, a previous output put aside.
    fs::create_dir(beside(".public.aimsite-new")).expect("mkdir");
    copy_tree(&fixture.out, &beside(".public.aimsite-old"));
    fixture.build_ok(&[]);
    fixture.assert_output_unchanged();
}

fn copy_tree(from: &Path, to: &Path) {
    for (path, bytes) in tree(from) {
        match bytes {
            None => fs::create_dir_all(to.join(path)).expect("mkdir"),
            Some(bytes) => {
                fs::create_dir_all(to.join(&path).parent().expect("folder")).expect("mkdir");
                fs::write(to.join(path), bytes).expect("write");
            }
        }
    }
}

/// Starts a build whose standard error is read line by line into a channel.
fn spawn_build(root: &Path, output: &Path) -> (std::process::Child, Receiver<String>) {
    let mut child = build_command(root, output).spawn().expect("run aimsite");
    let stderr = child.stderr.take().expect("piped");
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// Waits, at most `HANG`, for a line of `lines` that contains `words`.
fn wait_for_line(lines: &Receiver<String>, words: &str) -> String {
    let deadline = Instant::now() + HANG;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(words) => return line,
            Ok(_) => {}
            Err(error) => panic!("no line says {words:?}: {error}"),
        }
    }
}

/// Waits for a build and asserts it succeeded; kills it after `HANG`.
fn finished_ok(mut child: std::process::Child, lines: Receiver<String>) {
    let status = wait_bounded(&mut child);
    let stderr: Vec<String> = lines.try_iter().collect();
    assert!(status.success(), "the build failed:\n{}", stderr.join("\n"));
}

/// Regression: two builds into one output at once (a second terminal, an editor's build on
/// save) left the output incomplete in 6 of 8 races, one still reporting success, and could
/// lose its marker, after which every build refused the folder. A build holds a lock beside the
/// output from start to end; another one waits for it, saying so, and never interleaves.
#[test]
fn two_builds_into_one_output_wait_for_each_other() {
    let dir = tempfile::Builder::new()
        .prefix("aimsite-two-builds-")
        .tempdir()
        .expect("temporary folder");
    let sites = [dir.path().join("one"), dir.path().join("two")];
    let mut complete = Vec::new();
    for (version, root) in sites.iter().enumerate() {
        write_big_site(root, 100, 4, version);
        let reference = dir.path().join("reference");
        build_into(root, &reference);
        complete.push(tree(&reference));
        fs::remove_dir_all(&reference).expect("remove the reference");
    }
    let output = dir.path().join("public");

    // Both start while the lock is held, as if by a third build.
    let lock = fs::File::create(dir.path().join(".public.aimsite-lock")).expect("lock file");
    lock.lock().expect("lock");
    let builds: Vec<_> = sites
        .iter()
        .map(|root| spawn_build(root, &output))
        .collect();
    for (_, lines) in &builds {
        let line = wait_for_line(lines, "waiting for another build");
        assert!(line.contains(&output.display().to_string()), "{line}");
    }
    assert!(
        !output.exists(),
        "a build wrote while another held the lock"
    );
    assert_eq!(work_folders_beside(&output), [".public.aimsite-lock"]);
    drop(lock);
    for (child, lines) in builds {
        finished_ok(child, lines);
    }
    let last = tree(&output);
    assert!(
        complete.contains(&last),
        "the output is not one whole build"
    );
    assert!(work_folders_beside(&output).is_empty());

    // And started together, as they are in practice.
    let builds: Vec<_> = sites
        .iter()
        .map(|root| spawn_build(root, &output))
        .collect();
    for (child, lines) in builds {
        finished_ok(child, lines);
    }
    assert!(
        complete.contains(&tree(&output)),
        "the output is not one whole build"
    );
    assert!(work_folders_beside(&output).is_empty());
}

/// A tmpfs (or a bind mount) mounted for one test, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> Result<SmallDisk, String> {
        fs::create_dir_all(path).map_err(|error| error.to_string())?;
        let result = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|error| format!("cannot run mount: {error}"))?;
        if !result.status.success() {
            return Err(String::from_utf8_lossy(&result.stderr).trim().to_string());
        }
        Ok(SmallDisk {
            path: path.to_path_buf(),
        })
    }

    /// Binds a folder over itself: a mount point on the same device as its parent.
    fn bind(path: &Path) -> Result<SmallDisk, String> {
        let result = Command::new("mount")
            .arg("--bind")
            .arg(path)
            .arg(path)
            .output()
            .map_err(|error| format!("cannot run mount: {error}"))?;
        if !result.status.success() {
            return Err(String::from_utf8_lossy(&result.stderr).trim().to_string());
        }
        Ok(SmallDisk {
            path: path.to_path_buf(),
        })
    }
}

impl SmallDisk {
    /// A 1 MB tmpfs in the fixture's folder, or `None`, said, where mounting is not allowed.
    fn mount_or_skip(fixture: &Fixture, test: &str) -> Option<SmallDisk> {
        SmallDisk::mount(&fixture.dir.path().join("disk"), "1m")
            .map_err(|why| skipped(test, &format!("cannot mount a tmpfs: {why}")))
            .ok()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_fails_the_build_cleanly_and_keeps_the_previous_output() {
    let fixture = Fixture::new();
    let Some(disk) = SmallDisk::mount_or_skip(&fixture, "the full disk test") else {
        return;
    };
    let output = disk.path.join("public");
    let first = fixture.run(&output, &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = tree(&output);

    // 2 MB more than the disk holds.
    let bytes: Vec<u8> = (0..2 * 1024 * 1024)
        .map(|i: usize| (i % 251) as u8)
        .collect();
    fixture.write("content/articles/video.bin", &bytes);
    let failed = fixture.run(&output, &[]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    // The disk, not a source: exit status 2.
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        stderr.contains("cannot write `"),
        "the error names no file: {stderr}"
    );
    assert!(tree(&output) == before, "the previous output changed");
    assert!(
        work_folders_beside(&output).is_empty(),
        "{:?}",
        work_folders_beside(&output)
    );

    fixture.remove("content/articles/video.bin");
    let again = fixture.run(&output, &[]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(work_folders_beside(&output).is_empty());
}

/// Regression: an output folder that was a mount point failed after the whole build with
/// "Device or resource busy" and no help: a rename cannot replace a mount point. It is refused
/// before anything is written, saying what to do.
#[test]
fn an_output_folder_that_is_a_mount_point_is_refused_with_help() {
    let fixture = Fixture::new();
    let Some(disk) = SmallDisk::mount_or_skip(&fixture, "the mount point test") else {
        return;
    };
    let refused = |output: &Path| {
        let result = fixture.run(output, &[]);
        let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
        assert_eq!(result.status.code(), Some(2), "{stderr}");
        let problems = Problems::parse(&stderr);
        problems.errors[0].says("is a mount point").help();
        assert!(work_folders_beside(output).is_empty());
    };
    refused(&disk.path);
    assert!(entry_names(&disk.path).is_empty());

    // A folder bound over itself is on the same device as its parent.
    let bound = fixture.dir.path().join("bound");
    assert!(fixture.run(&bound, &[]).status.success());
    let built = tree(&bound);
    let _bound = match SmallDisk::bind(&bound) {
        Ok(bound) => bound,
        Err(why) => return skipped("the bind mount case", &format!("cannot bind: {why}")),
    };
    refused(&bound);
    assert!(tree(&bound) == built, "the output changed");
    fixture.assert_output_unchanged_except(&["bound", "disk"]);
}

#[test]
fn an_output_folder_under_a_file_is_an_error_naming_it() {
    let fixture = Fixture::new();
    let file = fixture.dir.path().join("a-file");
    fs::write(&file, "not a folder").expect("write");
    let result = fixture.run(&file.join("public"), &[]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert_eq!(fs::read_to_string(&file).expect("read"), "not a folder");
    fixture.assert_output_unchanged_except(&["a-file"]);
}

/// Makes a folder unwritable for this test: immutable where `chattr` works (even root cannot
/// write then), else read-only by mode (which root ignores). Undone when dropped.
struct Unwritable {
    folder: PathBuf,
    immutable: bool,
}

impl Unwritable {
    fn make(folder: &Path) -> Option<Unwritable> {
        let chattr = Command::new("chattr")
            .arg("+i")
            .arg(folder)
            .stderr(Stdio::null())
            .status();
        if chattr.is_ok_and(|status| status.success()) {
            return Some(Unwritable {
                folder: folder.to_path_buf(),
                immutable: true,
            });
        }
        if permissions_are_not_enforced(folder) {
            return None;
        }
        fs::set_permissions(folder, fs::Permissions::from_mode(0o555)).ok()?;
        Some(Unwritable {
            folder: folder.to_path_buf(),
            immutable: false,
        })
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        if self.immutable {
            let _ = Command::new("chattr").arg("-i").arg(&self.folder).status();
        } else {
            let _ = fs::set_permissions(&self.folder, fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn an_unwritable_output_folder_fails_the_build_and_keeps_the_previous_output() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/b.md",
        ARTICLE_A.replace("Article A", "Article B"),
    );
    // The build writes its new output beside the old one, in the folder that holds it, and
    // first its lock file.
    let Some(_guard) = Unwritable::make(fixture.dir.path()) else {
        return skipped(
            "the unwritable output test",
            "chattr +i is not available and running as root, where modes do not stop writing",
        );
    };
    let problems = fixture.refused();
    let problem = problems
        .errors
        .iter()
        .find(|problem| problem.message.contains(".public.aimsite-lock"))
        .unwrap_or_else(|| panic!("the error names no file:\n{}", problems.stderr));
    assert!(
        problem.text.contains("ermi") || problem.text.contains("not permitted"),
        "{}",
        problem.text
    );
}

// ---------------------------------------------------------------------------------------------
// Output safety
// ---------------------------------------------------------------------------------------------

const NASTY_TITLE: &str = "<script>alert(1)</script>";
const NASTY_DESCRIPTION: &str = "Say \"hi\" </script><script>alert(2)</script> & go";
const NASTY_SITE_TITLE: &str = "Aim <to> \"Win\"";
const NASTY_LABEL: &str = "Home <b>\"x\"</b>";

#[test]
fn values_from_front_matter_and_settings_are_escaped_everywhere() {
    let fixture = Fixture::new();
    fixture.write(
        "site.toml",
        format!(
            "title = {NASTY_SITE_TITLE:?}\ndescription = {NASTY_DESCRIPTION:?}\nbase_url = \"https://aimtowin.test/\"\n\n[[menu]]\nlabel = {NASTY_LABEL:?}\ntarget = \"@/_index.md\"\n"
        ),
    );
    fixture.write(
        "content/articles/a.md",
        format!(
            "+++\ntitle = {NASTY_TITLE:?}\ndescription = {NASTY_DESCRIPTION:?}\ndate = 2021-01-05\ntags = [\"<b>tag</b>\"]\n+++\n\nText with <span class=\"trusted\">raw HTML</span>.\n"
        ),
    );
    fixture.build_ok(&[]);

    let text = fs::read_to_string(fixture.out.join("articles/a/index.html")).expect("page");
    assert!(
        !text.contains("<script>alert("),
        "a value reached the HTML unescaped"
    );
    assert!(!text.contains("<b>\"x\"</b>") && !text.contains("<b>tag</b>"));
    let page = Html::parse_document(&text);
    let text_of = |css: &str| -> Vec<String> {
        page.select(&selector(css))
            .map(|element| element.text().collect::<String>())
            .collect()
    };
    let attribute_of = |css: &str, name: &str| -> Vec<String> {
        page.select(&selector(css))
            .filter_map(|element| element.value().attr(name).map(str::to_string))
            .collect()
    };
    assert!(
        text_of("title")[0].contains(NASTY_TITLE),
        "{:?}",
        text_of("title")
    );
    assert!(
        text_of("title")[0].contains(NASTY_SITE_TITLE),
        "{:?}",
        text_of("title")
    );
    assert!(
        text_of("h1").iter().any(|h1| h1.contains(NASTY_TITLE)),
        "{:?}",
        text_of("h1")
    );
    assert!(
        text_of("nav a").iter().any(|a| a.contains(NASTY_LABEL)),
        "{:?}",
        text_of("nav a")
    );
    assert_eq!(
        attribute_of("meta[name=description]", "content"),
        [NASTY_DESCRIPTION]
    );
    assert!(
        attribute_of("meta[property=\"og:title\"]", "content")
            .iter()
            .all(|t| t.contains(NASTY_TITLE))
    );
    assert!(
        text_of("a").iter().any(|a| a.contains("<b>tag</b>")),
        "the tag is not text"
    );
    // Scripts are only the site's own: no value became one.
    for script in text_of("script:not([type=\"application/ld+json\"])") {
        assert!(
            !script.contains("alert("),
            "a value became a script: {script}"
        );
    }
    // Raw HTML in Markdown stays allowed: authors are trusted.
    assert_eq!(text_of("span.trusted"), ["raw HTML"]);

    // JSON-LD: valid JSON holding the values as they are, and nothing that ends its script.
    let json_ld = page
        .select(&selector("script[type=\"application/ld+json\"]"))
        .map(|script| script.inner_html())
        .next()
        .expect("the article has JSON-LD");
    assert!(
        !json_ld.to_ascii_lowercase().contains("</script"),
        "{json_ld}"
    );
    assert!(!json_ld.contains('<'), "{json_ld}");
    let data: serde_json::Value = serde_json::from_str(&json_ld).expect("valid JSON");
    assert_eq!(data["headline"], NASTY_TITLE);
    assert_eq!(data["description"], NASTY_DESCRIPTION);
    assert_eq!(data["publisher"]["name"], NASTY_SITE_TITLE);

    // The feed and the sitemap: well-formed XML with the values as text.
    let feed = fs::read_to_string(fixture.out.join("atom.xml")).expect("feed");
    let feed = roxmltree::Document::parse(&feed).expect("the feed is not XML");
    let titles: Vec<&str> = feed
        .descendants()
        .filter(|node| node.has_tag_name("title"))
        .filter_map(|node| node.text())
        .collect();
    assert!(titles.contains(&NASTY_SITE_TITLE), "{titles:?}");
    assert!(titles.contains(&NASTY_TITLE), "{titles:?}");
    let sitemap = fs::read_to_string(fixture.out.join("sitemap.xml")).expect("sitemap");
    roxmltree::Document::parse(&sitemap).expect("the sitemap is not XML");

    // The home page carries the site's values in its own JSON-LD.
    let home = fs::read_to_string(fixture.out.join("index.html")).expect("home");
    let home = Html::parse_document(&home);
    for script in home.select(&selector("script[type=\"application/ld+json\"]")) {
        let data: serde_json::Value = serde_json::from_str(&script.inner_html()).expect("JSON");
        assert_eq!(data["name"], NASTY_SITE_TITLE);
    }
}
