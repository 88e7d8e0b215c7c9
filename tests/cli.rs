//! The command line as a person meets it: each transcript is the command, its exit status, and
//! what it printed on standard output and standard error, kept as a snapshot in
//! `tests/snapshots/` and compared whole. A change in what people read is a change to review
//! (`INSTA_UPDATE=always cargo test --test cli`, then read the diff of the snapshots).

use std::path::Path;
use std::process::Command;

/// Runs `aimsite ARGS` in `dir` and gives the transcript, with `dir` written as `[DIR]` and
/// timings as `[N] ms`, so that it is the same on every machine.
fn transcript(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_aimsite"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("aimsite runs");
    let shown = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).replace(&dir.display().to_string(), "[DIR]");
        without_timings(&text)
    };
    format!(
        "$ aimsite {}\nexit status: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        output
            .status
            .code()
            .map_or("none".into(), |code| code.to_string()),
        shown(&output.stdout),
        shown(&output.stderr)
    )
}

/// `in 12 ms` as `in [N] ms`.
fn without_timings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" in ") {
        let (before, after) = rest.split_at(at + 4);
        out.push_str(before);
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(" ms") {
            out.push_str("[N]");
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A small site that builds: settings, a home page and an article.
fn small_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write(
        dir.path(),
        "site.toml",
        "title = \"Small\"\ndescription = \"A small site.\"\nbase_url = \"https://small.test/\"\n",
    );
    write(
        dir.path(),
        "content/_index.md",
        "+++\ntitle = \"Small\"\ndescription = \"The home page.\"\n+++\n\nWelcome.\n",
    );
    write(
        dir.path(),
        "content/articles/first.md",
        "+++\ntitle = \"First\"\ndescription = \"The first article.\"\ndate = 2026-01-05\n+++\n\nHello.\n",
    );
    dir
}

#[test]
fn a_build_says_what_it_built() {
    let site = small_site();
    insta::assert_snapshot!(transcript(site.path(), &["build"]));
}

#[test]
fn a_folder_without_site_toml_is_exit_status_2() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    insta::assert_snapshot!(transcript(dir.path(), &["build"]));
}

#[test]
fn a_text_without_its_closing_quote_is_pointed_at() {
    let site = small_site();
    write(
        site.path(),
        "site.toml",
        "title = \"Small\ndescription = \"A small site.\"\nbase_url = \"https://small.test/\"\n",
    );
    insta::assert_snapshot!(transcript(site.path(), &["build"]));
}

#[test]
fn check_shows_a_broken_link_and_the_pages_problems_in_one_run() {
    let site = small_site();
    write(
        site.path(),
        "content/articles/second.md",
        "+++\ntitle = \"Second\"\ndescription = \"Links.\"\n+++\n\nSee [the first](@/articles/frist.md).\n",
    );
    insta::assert_snapshot!(transcript(site.path(), &["check"]));
}

#[test]
fn a_site_that_does_not_build_is_not_checked_page_by_page() {
    let site = small_site();
    write(
        site.path(),
        "content/articles/second.md",
        "+++\ntitle = \"Second\"\ntemplate = \"missing.html\"\n+++\n\nText.\n",
    );
    insta::assert_snapshot!(transcript(site.path(), &["check"]));
}

#[test]
fn check_counts_in_words_and_fails_warnings_with_strict() {
    let site = small_site();
    write(
        site.path(),
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n\nWrite to [us](mailto:hello@example.com).\n",
    );
    insta::assert_snapshot!(transcript(site.path(), &["check"]));
    insta::assert_snapshot!(transcript(site.path(), &["check", "--strict"]));
}

#[test]
fn an_output_folder_holding_someone_elses_files_is_refused() {
    let site = small_site();
    write(site.path(), "public/notes.txt", "mine");
    insta::assert_snapshot!(transcript(site.path(), &["build"]));
}

#[test]
fn init_says_what_to_do_next() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    insta::assert_snapshot!(transcript(dir.path(), &["init", "new-site"]));
    insta::assert_snapshot!(transcript(dir.path(), &["init", "new-site"]));
}

#[test]
fn the_timings_are_left_out_of_transcripts() {
    assert_eq!(
        without_timings("Built 1 page in 12 ms, in 3 steps in 4 ms"),
        "Built 1 page in [N] ms, in 3 steps in [N] ms"
    );
}
