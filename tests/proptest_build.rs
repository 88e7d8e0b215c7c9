//! Property: any UTF-8 article builds, or fails with errors that each name a file; never a
//! panic. The article is arbitrary text, or front matter made of real and misspelt keys with
//! values of every type (dates real and impossible, slugs and aliases that try to leave the site,
//! templates that exist and do not) and a body of Markdown pieces (headings, `@/` links that
//! resolve and do not, fragments, raw HTML, tables, footnotes) mixed with arbitrary text.
//!
//! Each case is built with the library (`build::build`: load, render, write) in one temporary
//! site. 64 cases by default so that `cargo test` stays fast; `PROPTEST_CASES=10000 cargo test
//! --test proptest_build` runs more. A failing case is shrunk and printed.

use std::cell::Cell;
use std::fs;
use std::path::Path;

use aimsite::Error;
use aimsite::build::{self, BuildOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const SITE_TOML: &str = "title = \"Property\"\nbase_url = \"https://aimtowin.test/\"\n\n[[menu]]\nlabel = \"Privacy\"\ntarget = \"@/privacy.md\"\n";
const HOME: &str = "+++\ntitle = \"Home\"\n+++\n\nWelcome. See [the article](@/articles/p.md).\n";
const PRIVACY: &str = "+++\ntitle = \"Privacy\"\n+++\n\n## We store nothing\n\nText.\n";

/// A TOML value of any type, well-formed or not.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        // Strings, quoted the Rust way: mostly valid TOML, sometimes an invalid escape.
        any::<String>().prop_map(|text| format!("{text:?}")),
        "\"[a-z0-9./_ -]{0,12}\"",
        // Longer than a file name may be, as a slug, a tag or a part of an alias.
        "\"/?[a-z]{250,300}/?\"",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?)?",
        any::<i64>().prop_map(|number| number.to_string()),
        any::<bool>().prop_map(|flag| flag.to_string()),
        prop::collection::vec(any::<String>(), 0..4).prop_map(|list| format!("{list:?}")),
        prop::sample::select(vec![
            "\"../x\"",
            "\"a/b\"",
            "\"..\"",
            "\".hidden\"",
            "\"/old/\"",
            "\"/old.html\"",
            "\"/\"",
            "\"//evil.test/\"",
            "[\"/articles/\"]",
            "[\"/tags/\"]",
            "[\"/404.html\"]",
            "\"page.html\"",
            "\"nope.html\"",
            "\"atom.xml\"",
            "\"sitemap.xml\"",
            "\"robots.txt\"",
            "\"redirect.html\"",
            "\"contact.html\"",
            "\"p\"",
            "\"index.html\"",
            "[\"\", \"!!\"]",
            "2021-02-29",
            "2020-02-29",
            "2020-13-01",
            "07:32:00",
            "1979-05-27T07:32:00.999-07:00",
            "{ a = 1 }",
            "[[1], \"x\"]",
            "inf",
            "nan",
            "0x1F",
            "1e400",
        ])
        .prop_map(str::to_string),
        ".{0,20}",
    ]
}

/// One line of front matter: a key (real, misspelt or unknown) and a value, or anything at all.
fn front_matter_line() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "title",
        "description",
        "date",
        "updated",
        "draft",
        "slug",
        "template",
        "tags",
        "weight",
        "aliases",
        "image",
        "titel",
        "extra",
        "[extra]",
        "\"title\"",
        "title.x",
    ]);
    prop_oneof![
        6 => (key, value()).prop_map(|(key, value)| format!("{key} = {value}")),
        1 => ".{0,30}",
    ]
}

/// Markdown blocks and raw HTML that build in any article, for both kinds of body below.
const BLOCKS: [&str; 13] = [
    "<!-- more -->",
    "<div id=\"raw\">",
    "</div>",
    "<script>alert(1)</script>",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    "[^1]\n\n[^1]: note",
    "```\ncode\n```",
    "> quote",
    "- [x] done",
    "1. one",
    "~~gone~~",
    "***",
    "{{ page.title }}",
];

/// `BLOCKS` and `more`, to pick one from.
fn with_blocks(more: &[&'static str]) -> Vec<&'static str> {
    BLOCKS.iter().chain(more).copied().collect()
}

/// One piece of a Markdown body.
fn markdown_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "#{1,7} .{0,20}( \\{#[a-z-]{0,8}\\})?",
        "\\[[a-z]{0,5}\\]\\(@/(privacy\\.md|articles/p\\.md|_index\\.md|missing\\.md|.{0,10})(#[a-z-]{0,12})?\\)",
        "\\[x\\]\\(#[a-z-]{0,12}\\)",
        "!\\[[a-z]{0,5}\\]\\(/[a-z./]{0,10}\\)",
        prop::sample::select(with_blocks(&[
            "```",
            "\t",
            "\r\n",
            "\u{feff}",
            "+++",
            "{% raw %}",
            "{# x",
            "&amp; &#0; &#x110000;",
        ]))
        .prop_map(str::to_string),
        (
            1usize..2000,
            prop::sample::select(vec![">", "[", "*", "- ", "`", "<"])
        )
            .prop_map(|(count, piece)| piece.repeat(count)),
    ]
}

/// A front matter line that is valid, with a value of any text where the key takes text.
fn valid_front_matter_line() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|text| format!("description = {}", toml_string(&text))),
        "date = 20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T[01][0-9]:[0-5][0-9]:[0-5][0-9]Z)?",
        prop::collection::vec("[a-zA-Z][a-zA-Z0-9 _.-]{0,10}", 0..4)
            .prop_map(|tags| format!("tags = {tags:?}")),
        any::<i64>().prop_map(|weight| format!("weight = {weight}")),
        "slug = \"[a-z0-9][a-z0-9_-]{0,12}\"",
        "aliases = \\[\"/old-[a-z]{1,8}/\"\\]",
        any::<String>().prop_map(|text| format!("image = {}", toml_string(&text))),
        prop::sample::select(vec![
            "template = \"page.html\"",
            "template = \"article.html\"",
            "draft = false"
        ])
        .prop_map(str::to_string),
    ]
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A piece of Markdown that does not break the build: links only to pages and headings that exist.
fn valid_markdown_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\\[\\]@#]{0,60}",
        "#{2,6} [a-zA-Z0-9 ]{0,20}",
        prop::sample::select(with_blocks(&[
            "[privacy](@/privacy.md#we-store-nothing)",
            "[home](@/_index.md)",
            "[out](https://x.test/)",
            "&amp; &#0;",
        ]))
        .prop_map(str::to_string),
    ]
}

/// A whole article: arbitrary text; valid front matter (any title) with a body that links only
/// to what exists; or fences (good, bad or missing) around any front matter lines, then a body.
fn article() -> impl Strategy<Value = String> {
    let opening = prop::sample::select(vec![
        "+++\n",
        "+++\n",
        "+++\n",
        "+++\r\n",
        "\u{feff}+++\n",
        "+++ \n",
        "",
        "++\n",
    ]);
    let closing = prop::sample::select(vec![
        "+++\n", "+++\n", "+++\n", "+++", "", "+++ x\n", "\n+++\n",
    ]);
    let lines = prop::collection::vec(front_matter_line(), 0..8);
    let body = prop::collection::vec(markdown_piece(), 0..12);
    let valid = (
        any::<String>(),
        prop::collection::vec(valid_front_matter_line(), 0..5),
        prop::collection::vec(valid_markdown_piece(), 0..12),
    )
        .prop_map(|(title, lines, body)| {
            let title = if title.trim().is_empty() {
                "T".to_string()
            } else {
                title
            };
            let mut text = format!("+++\ntitle = {}\n", toml_string(&title));
            let mut keys = std::collections::HashSet::new();
            for line in lines {
                // A key given twice is invalid TOML; the other strategy covers that.
                if !keys.insert(line.split(' ').next().unwrap_or_default().to_string()) {
                    continue;
                }
                text.push_str(&line);
                text.push('\n');
            }
            text.push_str("+++\n\n");
            text.push_str(&body.join("\n\n"));
            text
        });
    prop_oneof![
        1 => any::<String>(),
        4 => valid,
        4 => (opening, lines, closing, body).prop_map(|(opening, lines, closing, body)| {
            let mut text = opening.to_string();
            for line in lines {
                text.push_str(&line);
                text.push('\n');
            }
            text.push_str(closing);
            text.push('\n');
            text.push_str(&body.join("\n"));
            text
        }),
    ]
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("a file has a folder")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// Builds the site with `text` as `content/articles/p.md`; says whether it built.
fn check_article(root: &Path, output: &Path, text: &str) -> Result<bool, TestCaseError> {
    write(&root.join("content/articles/p.md"), text);
    let options = BuildOptions {
        output: Some(output.to_path_buf()),
        ..BuildOptions::new(root)
    };
    match build::build(&options) {
        Ok(report) => {
            prop_assert!(report.pages >= 3, "a build without its pages");
            prop_assert!(output.join("index.html").is_file());
            Ok(true)
        }
        Err(Error::Sources(problems)) => {
            prop_assert!(
                problems.has_errors(),
                "a failed build without an error:\n{problems}"
            );
            for problem in problems.iter() {
                let file = problem.file.to_string_lossy();
                prop_assert!(!file.is_empty(), "a problem names no file:\n{problem}");
                if file.starts_with("content/") || file == "site.toml" {
                    prop_assert!(
                        root.join(&problem.file).is_file(),
                        "no such file:\n{problem}"
                    );
                }
                if let Some(location) = problem.location {
                    prop_assert!(location.line >= 1 && location.column >= 1, "{problem}");
                }
            }
            Ok(false)
        }
        Err(Error::Environment { error, .. }) => {
            // Not a problem in the sources: only a refused or unwritable output folder is one,
            // and this one is neither.
            Err(TestCaseError::fail(format!(
                "the build failed without naming a source: {error:#}"
            )))
        }
    }
}

#[test]
fn any_article_builds_or_fails_with_errors_that_name_a_file() {
    let dir = tempfile::Builder::new()
        .prefix("aimsite-proptest-")
        .tempdir()
        .expect("temporary folder");
    let root = dir.path().join("site");
    let output = dir.path().join("public");
    write(&root.join("site.toml"), SITE_TOML);
    write(&root.join("content/_index.md"), HOME);
    write(&root.join("content/privacy.md"), PRIVACY);

    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let (built, refused) = (Cell::new(0), Cell::new(0));
    let result = runner.run(&article(), |text| {
        let counter = if check_article(&root, &output, &text)? {
            &built
        } else {
            &refused
        };
        counter.set(counter.get() + 1);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // Both outcomes must be reached, or the generator explores only one side.
    println!(
        "{} articles built, {} refused with located errors",
        built.get(),
        refused.get()
    );
    assert!(
        built.get() > 0 && refused.get() > 0,
        "only one outcome was reached"
    );
}
