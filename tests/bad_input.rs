//! Fixture sites with one problem each. Every test builds a small valid site once, snapshots its
//! output, breaks one thing and builds again: the build must fail with status 1, name the file
//! (and the line and column where there is one) with advice on how to fix it, and leave the
//! previous output exactly as it was.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scraper::{Html, Selector};

// ---------------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------------

/// Files and folders below a folder: `None` for a folder, the bytes for a file.
type Tree = BTreeMap<String, Option<Vec<u8>>>;

fn tree(dir: &Path) -> Tree {
    fn walk(base: &Path, dir: &Path, entries: &mut Tree) {
        for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("unreadable folder entry").path();
            let relative = path
                .strip_prefix(base)
                .expect("below base")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if path.is_dir() {
                entries.insert(relative, None);
                walk(base, &path, entries);
            } else {
                entries.insert(relative, Some(fs::read(&path).expect("unreadable file")));
            }
        }
    }
    let mut entries = Tree::new();
    if dir.exists() {
        walk(dir, dir, &mut entries);
    }
    entries
}

fn names(tree: &Tree) -> Vec<&str> {
    tree.keys().map(String::as_str).collect()
}

const SITE_TOML: &str = "title = \"Fixture\"\nbase_url = \"https://aimtowin.test/\"\n";
const HOME: &str = "+++\ntitle = \"Home\"\n+++\n\nWelcome home.\n";
/// Line 4 is the date, line 10 the heading `Section One`.
const ARTICLE_A: &str = "+++
title = \"Article A\"
description = \"About A.\"
date = 2021-01-05
tags = [\"alpha\"]
+++

First paragraph of A.

## Section One

More text.
";
const PRIVACY: &str = "+++\ntitle = \"Privacy\"\n+++\n\nWe store nothing.\n";

/// A small valid site in a temporary folder (`site/`), built once into `public/` beside it.
struct Fixture {
    dir: tempfile::TempDir,
    root: PathBuf,
    out: PathBuf,
    /// The output of the first, successful build.
    before: Tree,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("aimsite-bad-input-")
            .tempdir()
            .expect("cannot create a temporary folder");
        let root = dir.path().join("site");
        let out = dir.path().join("public");
        let fixture = Fixture {
            before: Tree::new(),
            dir,
            root,
            out,
        };
        fixture.write("site.toml", SITE_TOML);
        fixture.write("content/_index.md", HOME);
        fixture.write("content/articles/a.md", ARTICLE_A);
        fixture.write("content/privacy.md", PRIVACY);
        fixture.build_ok(&[]);
        let before = tree(&fixture.out);
        for expected in [
            ".aimsite-output",
            "index.html",
            "articles/index.html",
            "articles/a/index.html",
            "privacy/index.html",
            "tags/alpha/index.html",
        ] {
            assert!(
                before.contains_key(expected),
                "the valid fixture did not build {expected}: {:?}",
                names(&before)
            );
        }
        Fixture { before, ..fixture }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().expect("a file has a folder")).expect("mkdir");
        fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    fn remove(&self, relative: &str) {
        fs::remove_file(self.path(relative)).expect("remove");
    }

    /// Runs `aimsite build --root site --output public` with more arguments.
    fn run(&self, output: &Path, extra: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_aimsite"))
            .arg("build")
            .arg("--root")
            .arg(&self.root)
            .arg("--output")
            .arg(output)
            .args(extra)
            .output()
            .expect("cannot run aimsite")
    }

    fn build_ok(&self, extra: &[&str]) -> Output {
        let output = self.run(&self.out, extra);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "the build failed ({}):\n{stderr}",
            output.status
        );
        assert!(
            !stderr.contains("error") && !stderr.contains("warning"),
            "a clean build printed problems:\n{stderr}"
        );
        output
    }

    /// Builds the broken site: the build must fail with status 1, print nothing on stdout, and
    /// leave the previous output and the folder around it exactly as they were.
    fn rejected(&self) -> Problems {
        self.rejected_with(&[])
    }

    fn rejected_with(&self, extra: &[&str]) -> Problems {
        let output = self.run(&self.out, extra);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(1),
            "the broken site did not fail with status 1:\n{stderr}"
        );
        assert!(
            output.stdout.is_empty(),
            "a failed build printed on stdout: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        self.assert_output_unchanged();
        let problems = Problems::parse(&stderr);
        assert!(
            !problems.errors.is_empty(),
            "the failed build printed no `error:` block:\n{stderr}"
        );
        problems
    }

    fn assert_output_unchanged(&self) {
        let after = tree(&self.out);
        assert_eq!(
            names(&after),
            names(&self.before),
            "the files of the previous output changed"
        );
        for (path, bytes) in &self.before {
            assert!(
                after[path] == *bytes,
                "{path} of the previous output changed"
            );
        }
        let mut beside: Vec<String> = fs::read_dir(self.dir.path())
            .expect("readable")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        beside.sort();
        assert_eq!(beside, ["public", "site"], "the build left folders behind");
    }

    /// The output's files after a successful build.
    fn output_files(&self) -> Tree {
        tree(&self.out)
    }

    fn page(&self, relative: &str) -> Html {
        let path = self.out.join(relative);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
        Html::parse_document(&text)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the diagnostics
// ---------------------------------------------------------------------------------------------

/// One `error:` block of stderr.
#[derive(Debug)]
struct Problem {
    message: String,
    /// Every `--> file[:line:column]` of the block.
    locations: Vec<(String, Option<usize>, Option<usize>)>,
    help: Vec<String>,
    text: String,
}

struct Problems {
    stderr: String,
    errors: Vec<Problem>,
}

impl Problems {
    fn parse(stderr: &str) -> Problems {
        let mut errors: Vec<Problem> = Vec::new();
        let mut in_error = false;
        for line in stderr.lines() {
            if let Some(message) = line.strip_prefix("error:") {
                errors.push(Problem {
                    message: message.trim().to_string(),
                    locations: Vec::new(),
                    help: Vec::new(),
                    text: String::new(),
                });
                in_error = true;
            } else if line.starts_with("warning:") || line.starts_with("build failed") {
                in_error = false;
            }
            if !in_error {
                continue;
            }
            let problem = errors.last_mut().expect("in an error block");
            problem.text.push_str(line);
            problem.text.push('\n');
            let trimmed = line.trim_start();
            if let Some(location) = trimmed.strip_prefix("-->") {
                problem.locations.push(parse_location(location.trim()));
            } else if let Some(help) = trimmed.strip_prefix("= help:") {
                problem.help.push(help.trim().to_string());
            }
        }
        Problems {
            stderr: stderr.to_string(),
            errors,
        }
    }

    /// The error located at `file:line:column`, for any column.
    fn at(&self, file: &str, line: usize) -> &Problem {
        self.errors
            .iter()
            .find(|problem| {
                problem
                    .locations
                    .iter()
                    .any(|(f, l, c)| f == file && *l == Some(line) && c.is_some())
            })
            .unwrap_or_else(|| panic!("no error at `{file}:{line}:COLUMN`:\n{}", self.stderr))
    }

    /// The error that names `file`, with or without a line.
    fn in_file(&self, file: &str) -> &Problem {
        self.errors
            .iter()
            .find(|problem| problem.locations.iter().any(|(f, _, _)| f == file))
            .unwrap_or_else(|| panic!("no error names `{file}`:\n{}", self.stderr))
    }
}

impl Problem {
    /// Asserts the block says how to fix the problem; returns the advice.
    fn help(&self) -> &str {
        assert!(
            !self.help.is_empty() && self.help.iter().all(|help| !help.is_empty()),
            "the error has no `help:` line:\n{}",
            self.text
        );
        &self.help[0]
    }

    fn says(&self, words: &str) -> &Problem {
        assert!(
            self.message.contains(words) || self.text.contains(words),
            "the error does not say {words:?}:\n{}",
            self.text
        );
        self
    }
}

fn parse_location(text: &str) -> (String, Option<usize>, Option<usize>) {
    let mut parts = text.rsplitn(3, ':');
    let last = parts.next().unwrap_or_default();
    let middle = parts.next();
    let first = parts.next();
    match (
        first,
        middle.and_then(|m| m.parse().ok()),
        last.parse().ok(),
    ) {
        (Some(file), Some(line), Some(column)) => (file.to_string(), Some(line), Some(column)),
        _ => (text.to_string(), None, None),
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e:?}"))
}

/// The `href`s of the links in a page's `<main>`.
fn main_links(page: &Html) -> Vec<String> {
    page.select(&selector("main a[href]"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Front matter
// ---------------------------------------------------------------------------------------------

const UNTERMINATED_STRING: &str =
    "+++\ntitle = \"Article A\"\ndescription = \"About A.\ndate = 2021-01-05\n+++\n\nText.\n";

#[test]
fn invalid_toml_in_front_matter_is_located_in_the_markdown_file() {
    let fixture = Fixture::new();
    fixture.write("content/articles/a.md", UNTERMINATED_STRING);
    let problems = fixture.rejected();
    // Line 3 of the Markdown file (line 2 of the TOML between the fences).
    problems.at("content/articles/a.md", 3);
}

#[test]
fn invalid_toml_in_front_matter_says_how_to_fix_it() {
    let fixture = Fixture::new();
    fixture.write("content/articles/a.md", UNTERMINATED_STRING);
    fixture.rejected().at("content/articles/a.md", 3).help();
}

#[test]
fn a_file_without_front_matter_is_an_error_on_line_1() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/a.md",
        "title = \"Article A\"\n+++\n\nText.\n",
    );
    let problems = fixture.rejected();
    let help = problems.at("content/articles/a.md", 1).help();
    assert!(help.contains("+++"), "{help}");
}

#[test]
fn unclosed_front_matter_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/a.md",
        "+++\ntitle = \"Article A\"\ndate = 2021-01-05\n\nText.\n",
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/a.md", 1);
    problem.says("not closed");
    assert!(problem.help().contains("+++"), "{}", problem.text);
}

#[test]
fn a_missing_title_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/a.md",
        "+++\ndescription = \"About A.\"\ndate = 2021-01-05\n+++\n\nText.\n",
    );
    let problems = fixture.rejected();
    // The front matter's table starts on line 2.
    let problem = problems.at("content/articles/a.md", 2);
    problem.says("title");
    assert!(problem.help().contains("title"), "{}", problem.text);
}

#[test]
fn an_unknown_front_matter_key_suggests_the_closest_one() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/a.md",
        ARTICLE_A.replace("title = ", "titel = "),
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/a.md", 2);
    problem.says("titel");
    assert_eq!(problem.help(), "did you mean `title`?");
}

const DRAFT_YES: &str = "+++\ntitle = \"Article A\"\ndraft = \"yes\"\n+++\n\nText.\n";

#[test]
fn a_value_of_the_wrong_type_is_an_error() {
    let fixture = Fixture::new();
    fixture.write("content/articles/a.md", DRAFT_YES);
    let problems = fixture.rejected();
    problems.at("content/articles/a.md", 3).says("boolean");
}

#[test]
fn a_value_of_the_wrong_type_says_how_to_fix_it() {
    let fixture = Fixture::new();
    fixture.write("content/articles/a.md", DRAFT_YES);
    fixture.rejected().at("content/articles/a.md", 3).help();
}

#[test]
fn an_impossible_date_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/a.md",
        ARTICLE_A.replace("2021-01-05", "2021-02-30"),
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/a.md", 4);
    assert!(problem.help().contains("2020-02-10"), "{}", problem.text);
}

#[test]
fn two_files_with_the_same_url_are_an_error_naming_both() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/b.md",
        "+++\ntitle = \"Article B\"\nslug = \"a\"\n+++\n\nText.\n",
    );
    let problems = fixture.rejected();
    let problem = problems.in_file("content/articles/b.md");
    problem.says("content/articles/a.md");
    problem.says("content/articles/b.md");
    problem.help();
}

#[test]
fn a_slug_that_leaves_its_folder_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/b.md",
        "+++\ntitle = \"Article B\"\nslug = \"../../x\"\n+++\n\nText.\n",
    );
    let problems = fixture.rejected();
    problems.at("content/articles/b.md", 3).help();
    assert!(!fixture.dir.path().join("x").exists());
}

#[test]
fn a_file_that_is_not_utf8_is_an_error_naming_it() {
    let fixture = Fixture::new();
    let mut bytes = b"+++\ntitle = \"Article B\"\n+++\nText \xff\xfe here.\n".to_vec();
    bytes.extend_from_slice(b"More.\n");
    fixture.write("content/articles/b.md", bytes);
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/b.md", 4);
    problem.says("UTF-8");
    problem.help();
}

#[test]
fn an_unknown_template_in_front_matter_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "content/privacy.md",
        "+++\ntitle = \"Privacy\"\ntemplate = \"nope.html\"\n+++\n\nText.\n",
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/privacy.md", 3);
    problem.says("nope.html");
    problem.help();
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/// `templates/page.html` with `line4` as its fourth line.
fn page_template(line3: &str, line4: &str) -> String {
    format!(
        "{{% extends \"base.html\" %}}\n{{% block main %}}\n{line3}\n{line4}\n{{% endblock main %}}\n"
    )
}

#[test]
fn a_template_syntax_error_names_the_template_and_line() {
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        page_template("<h1>{{ page.title }</h1>", "{{ page.content | safe }}"),
    );
    let problems = fixture.rejected();
    problems.at("templates/page.html", 3).help();
}

#[test]
fn a_template_render_error_names_the_template_and_line() {
    // Tera 2 checks filters, tests and functions when it loads templates; an undefined field
    // is only found when a page is rendered with it.
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        page_template("<h1>{{ page.title }}</h1>", "{{ page.nothing.deeper }}"),
    );
    let problems = fixture.rejected();
    let problem = problems.at("templates/page.html", 4);
    problem.says("nothing");
    problem.help();
}

#[test]
fn an_unknown_filter_names_the_template_and_line() {
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        page_template("<h1>{{ page.title }}</h1>", "{{ page.title | nofilter }}"),
    );
    let problems = fixture.rejected();
    let problem = problems.at("templates/page.html", 4);
    problem.says("nofilter");
    problem.help();
}

#[test]
fn extending_a_missing_template_names_the_template() {
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        "{% extends \"nope.html\" %}\n{% block main %}<h1>x</h1>{% endblock main %}\n",
    );
    let problems = fixture.rejected();
    let problem = problems.at("templates/page.html", 1);
    problem.says("nope.html");
    problem.help();
}

#[test]
fn an_unknown_filter_fails_the_build() {
    // The part of the case above that works today: the build fails and the output stays.
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        page_template("<h1>{{ page.title }}</h1>", "{{ page.title | nofilter }}"),
    );
    let problems = fixture.rejected();
    assert!(
        problems.errors.iter().any(|p| p.text.contains("nofilter")),
        "{}",
        problems.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------------

#[test]
fn a_link_to_a_missing_file_is_an_error_on_its_line() {
    let fixture = Fixture::new();
    fixture.write(
        "content/privacy.md",
        format!("{PRIVACY}\nSee [x](@/missing.md).\n"),
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/privacy.md", 7);
    problem.says("missing.md");
    problem.help();
}

#[test]
fn a_link_to_a_heading_that_does_not_exist_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "content/privacy.md",
        format!("{PRIVACY}\nSee [x](@/articles/a.md#section-two).\n\nAnd [y](#nowhere).\n"),
    );
    let problems = fixture.rejected();
    let other_page = problems.at("content/privacy.md", 7);
    other_page.says("section-two");
    assert_eq!(other_page.help(), "did you mean `#section-one`?");
    let same_page = problems.at("content/privacy.md", 9);
    same_page.says("nowhere");
    same_page.help();
}

#[test]
fn a_link_to_a_draft_is_an_error_unless_drafts_are_built() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/d.md",
        "+++\ntitle = \"Draft D\"\ndraft = true\n+++\n\nNot ready.\n",
    );
    fixture.write(
        "content/privacy.md",
        format!("{PRIVACY}\nSee [d](@/articles/d.md).\n"),
    );
    let problems = fixture.rejected();
    problems.at("content/privacy.md", 7).says("draft").help();
    fixture.build_ok(&["--drafts"]);
    assert!(fixture.output_files().contains_key("articles/d/index.html"));
}

// ---------------------------------------------------------------------------------------------
// site.toml
// ---------------------------------------------------------------------------------------------

const BROKEN_SETTINGS: &str =
    "title = \"Fixture\"\nbase_url = \"https://aimtowin.test/\"\nfooter = \n";

#[test]
fn invalid_toml_in_site_toml_is_located() {
    let fixture = Fixture::new();
    fixture.write("site.toml", BROKEN_SETTINGS);
    fixture.rejected().at("site.toml", 3);
}

#[test]
fn invalid_toml_in_site_toml_says_how_to_fix_it() {
    let fixture = Fixture::new();
    fixture.write("site.toml", BROKEN_SETTINGS);
    fixture.rejected().at("site.toml", 3).help();
}

#[test]
fn an_unknown_key_in_site_toml_suggests_the_closest_one() {
    let fixture = Fixture::new();
    fixture.write("site.toml", format!("{SITE_TOML}descripton = \"x\"\n"));
    let problems = fixture.rejected();
    let problem = problems.at("site.toml", 3);
    problem.says("descripton");
    assert_eq!(problem.help(), "did you mean `description`?");
}

#[test]
fn an_invalid_base_url_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "site.toml",
        "title = \"Fixture\"\nbase_url = \"aimtowin.test\"\n",
    );
    let problems = fixture.rejected();
    problems.at("site.toml", 2).says("aimtowin.test").help();
}

#[test]
fn a_menu_target_that_does_not_exist_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "site.toml",
        format!(
            "{SITE_TOML}\n[[menu]]\nlabel = \"Home\"\ntarget = \"@/_index.md\"\n\n[[menu]]\nlabel = \"Gone\"\ntarget = \"@/missing.md\"\n"
        ),
    );
    let problems = fixture.rejected();
    let problem = problems.at("site.toml", 10);
    problem.says("missing.md");
    problem.help();
}

// ---------------------------------------------------------------------------------------------
// Several problems, the output folder, drafts, stale files
// ---------------------------------------------------------------------------------------------

#[test]
fn problems_in_two_files_are_reported_together() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/a.md",
        ARTICLE_A.replace("title = ", "titel = "),
    );
    fixture.write(
        "content/privacy.md",
        "+++\ntitle = \"Privacy\"\ndate = 2021-13-01\n+++\n\nText.\n",
    );
    fixture.write("site.toml", format!("{SITE_TOML}descripton = \"x\"\n"));
    let problems = fixture.rejected();
    problems.at("content/articles/a.md", 2).help();
    problems.at("content/privacy.md", 3).help();
    problems.at("site.toml", 3).help();
    assert_eq!(
        problems.errors.len(),
        3,
        "expected exactly the three problems:\n{}",
        problems.stderr
    );
}

#[test]
fn the_site_folder_is_refused_as_output_and_nothing_is_deleted() {
    let fixture = Fixture::new();
    let sources = tree(&fixture.root);
    for output in [fixture.root.clone(), fixture.root.join("content")] {
        let result = fixture.run(&output, &[]);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(
            !result.status.success(),
            "building into {} was allowed",
            output.display()
        );
        assert!(stderr.contains("error"), "{stderr}");
        assert!(stderr.contains("help:"), "{stderr}");
        assert!(
            tree(&fixture.root) == sources,
            "building into {} changed the sources",
            output.display()
        );
    }
    fixture.assert_output_unchanged();
}

#[test]
fn a_folder_aimsite_did_not_write_is_refused_and_left_alone() {
    let fixture = Fixture::new();
    let foreign = fixture.dir.path().join("public");
    fs::remove_dir_all(&foreign).expect("remove the first output");
    fs::create_dir_all(foreign.join("photos")).expect("mkdir");
    fs::write(foreign.join("notes.txt"), "my notes").expect("write");
    fs::write(foreign.join("photos/cat.jpg"), [0xff, 0xd8, 0xff]).expect("write");
    let before = tree(&foreign);

    let result = fixture.run(&foreign, &[]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(".aimsite-output"), "{stderr}");
    assert!(stderr.contains("help:"), "{stderr}");
    assert!(tree(&foreign) == before, "the foreign folder was changed");
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/d.md",
        "+++\ntitle = \"Draft D\"\ndate = 2022-01-01\ndraft = true\ntags = [\"secret\"]\n+++\n\nNot ready.\n",
    );

    fixture.build_ok(&[]);
    let files = fixture.output_files();
    assert!(!files.contains_key("articles/d/index.html"));
    assert!(!files.contains_key("tags/secret/index.html"));
    let listed = main_links(&fixture.page("articles/index.html"));
    assert!(listed.contains(&"/articles/a/".to_string()), "{listed:?}");
    assert!(!listed.contains(&"/articles/d/".to_string()), "{listed:?}");

    fixture.build_ok(&["--drafts"]);
    let files = fixture.output_files();
    assert!(files.contains_key("articles/d/index.html"));
    let listed = main_links(&fixture.page("articles/index.html"));
    assert!(listed.contains(&"/articles/d/".to_string()), "{listed:?}");

    fixture.build_ok(&[]);
    assert!(!fixture.output_files().contains_key("articles/d/index.html"));
}

#[test]
fn stale_files_do_not_survive_a_successful_build() {
    let fixture = Fixture::new();
    fs::write(fixture.out.join("left-over.html"), "old").expect("write");
    fixture.remove("content/privacy.md");
    fixture.build_ok(&[]);
    let files = fixture.output_files();
    assert!(
        !files.contains_key("privacy/index.html"),
        "{:?}",
        names(&files)
    );
    assert!(!files.contains_key("left-over.html"), "{:?}", names(&files));
    assert!(files.contains_key("articles/a/index.html"));
    assert!(files.contains_key(".aimsite-output"));
}

#[test]
fn diagnostics_parser_reads_the_documented_format() {
    let stderr = "error: unknown key `titel`\n  --> content/articles/a.md:2:1\n  |\n2 | titel = \"x\"\n  | ^^^^^\n  = help: did you mean `title`?\n\nerror: clash\n  --> content/b.md\n\nbuild failed: 2 errors\n";
    let problems = Problems::parse(stderr);
    assert_eq!(problems.errors.len(), 2);
    assert_eq!(
        problems.at("content/articles/a.md", 2).help(),
        "did you mean `title`?"
    );
    assert_eq!(problems.in_file("content/b.md").message, "clash");
    assert!(problems.in_file("content/b.md").help.is_empty());
}
