//! Fixture sites with one problem each. Every test builds a small valid site once, snapshots its
//! output, breaks one thing and builds again: the build must fail with status 1, name the file
//! (and the line and column where there is one) with advice on how to fix it, and leave the
//! previous output exactly as it was.

mod fixture;

use std::fs;

use fixture::*;

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
fn file_names_that_differ_only_in_case_are_an_error_naming_both() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/A.md",
        "+++\ntitle = \"Article capital A\"\ndescription = \"A.\"\n+++\n\nText.\n",
    );
    let problems = fixture.rejected();
    let problem = problems.in_file("content/articles/a.md");
    problem.says("content/articles/A.md");
    problem.says("articles/a/index.html");
    problem.help();
}

#[test]
fn a_capital_letter_in_a_file_name_gives_a_lower_case_url() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/Leading-Change.md",
        "+++\ntitle = \"Leading change\"\ndescription = \"Change.\"\ndate = 2021-02-01\n+++\n\nText.\n",
    );
    fixture.build_ok(&[]);
    let built = fixture.output_files();
    assert!(
        built.contains_key("articles/leading-change/index.html"),
        "{:?}",
        names(&built)
    );
    assert!(!built.contains_key("articles/Leading-Change/index.html"));
}

#[test]
fn a_slug_with_capital_letters_is_an_error_saying_it_in_lower_case() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/b.md",
        "+++\ntitle = \"Article B\"\nslug = \"Alpha\"\n+++\n\nText.\n",
    );
    let problems = fixture.rejected();
    problems.at("content/articles/b.md", 3).says("`alpha`");
}

#[test]
fn an_alias_that_differs_from_a_page_only_in_case_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "content/privacy.md",
        "+++\ntitle = \"Privacy\"\ndescription = \"Privacy.\"\naliases = [\"/Articles/A/\"]\n+++\n\nText.\n",
    );
    let problems = fixture.rejected();
    problems
        .in_file("content/privacy.md")
        .says("differ only in case");
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

/// Like `Fixture::rejected`, but a build still running after `HANG` is killed and fails the
/// test rather than stalling the suite.
fn rejected_before_hang(fixture: &Fixture) -> Problems {
    let output = run_bounded(fixture, &fixture.out);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    fixture.assert_output_unchanged();
    Problems::parse(&stderr)
}

#[test]
fn nested_loops_that_would_run_for_hours_fail_their_page() {
    // 10,000,000,000 turns that write nothing: `range()` counts what it makes for a page.
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        page_template(
            "<h1>{{ page.title }}</h1>",
            "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}",
        ),
    );
    let problems = rejected_before_hang(&fixture);
    let problem = problems.at("templates/page.html", 4);
    problem
        .says("content/privacy.md")
        .says("`page.html`")
        .says("range()");
    assert!(problem.help().contains("loop"), "{}", problem.text);
}

#[test]
fn a_component_that_calls_itself_ten_times_at_every_level_fails_its_page() {
    // 10^18 calls, each writing a kilobyte: the page's writer stops it.
    let fixture = Fixture::new();
    let kilobyte = "x".repeat(1024);
    fixture.write(
        "templates/page.html",
        format!(
            "{{% component tree(n: integer) %}}<p>{kilobyte}</p>{{% if n < 18 %}}\
             {{% for i in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] %}}{{{{ <tree n={{n + 1}} /> }}}}\
             {{% endfor %}}{{% endif %}}{{% endcomponent tree %}}\n\
             {{% extends \"base.html\" %}}\n{{% block main %}}{{{{ <tree n={{1}} /> }}}}\
             {{% endblock main %}}\n"
        ),
    );
    let problems = rejected_before_hang(&fixture);
    let problem = problems.in_file("templates/page.html");
    problem.says("content/privacy.md").says("`page.html`");
    assert!(problem.help().contains("recursion"), "{}", problem.text);
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
fn links_that_run_code_are_errors_at_their_line() {
    let fixture = Fixture::new();
    fixture.write(
        "content/privacy.md",
        format!(
            "{PRIVACY}\n[one](javascript:alert(1))\n\n[two](JavaScript&#58;alert(2))\n\n\
             [three](data:text/html;base64,PHNjcmlwdD4=)\n\n[four]( vbscript:msgbox)\n"
        ),
    );
    let problems = fixture.rejected();
    problems
        .at("content/privacy.md", 7)
        .says("`javascript:`")
        .help();
    problems.at("content/privacy.md", 9).says("`javascript:`");
    problems.at("content/privacy.md", 11).says("`data:`");
    problems.at("content/privacy.md", 13).says("`vbscript:`");
}

#[test]
fn a_script_in_markdown_is_an_error_unless_site_toml_allows_it() {
    let fixture = Fixture::new();
    let page = format!(
        "{PRIVACY}\nA paragraph with <script>alert(\"raw\")</script> inline.\n\n\
         <script type=\"module\">\nimport \"./x.js\";\n</script>\n\n\
         <script type=\"application/ld+json\">{{}}</script>\n"
    );
    fixture.write("content/privacy.md", &page);
    let problems = fixture.rejected();
    let inline = problems.at("content/privacy.md", 7);
    inline.says("<script>");
    assert!(
        inline.help().contains("scripts_in_markdown"),
        "{}",
        inline.text
    );
    problems.at("content/privacy.md", 9);
    // JSON-LD is data: only the two scripts that run are reported.
    assert_eq!(problems.errors.len(), 2, "{}", problems.stderr);

    // Allowed, the inline script reaches the page as written: smart punctuation leaves its
    // quotes straight, and nothing is escaped.
    fixture.write(
        "site.toml",
        format!("{SITE_TOML}[security]\nscripts_in_markdown = true\n"),
    );
    fixture.build_ok(&[]);
    let html = fs::read_to_string(fixture.out.join("privacy/index.html")).expect("the page");
    assert!(html.contains("<script>alert(\"raw\")</script>"), "{html}");
}

#[test]
fn smart_punctuation_never_changes_an_inline_style() {
    let fixture = Fixture::new();
    fixture.write(
        "content/privacy.md",
        format!(
            "{PRIVACY}\n\"Quoted\" text <style>p::after {{ content: \"--\" }}</style> and \"more\".\n"
        ),
    );
    fixture.build_ok(&[]);
    let html = fs::read_to_string(fixture.out.join("privacy/index.html")).expect("the page");
    assert!(
        html.contains("<style>p::after { content: \"--\" }</style>"),
        "{html}"
    );
    // Outside the element, the text is still typeset.
    assert!(html.contains("“Quoted”"), "{html}");
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
fn a_csp_source_that_allows_every_site_is_refused_at_its_line() {
    for source in ["https:", "data:", "https://*", "*.com"] {
        let fixture = Fixture::new();
        fixture.write(
            "site.toml",
            format!("{SITE_TOML}[security.allow]\nscript-src = [\"{source}\"]\n"),
        );
        let problems = fixture.rejected();
        problems.at("site.toml", 4).says(source);
    }
}

#[test]
fn a_base_url_that_is_not_a_well_formed_url_is_refused() {
    // Escaped in HTML, it would still be written raw into _headers and robots.txt.
    let fixture = Fixture::new();
    fixture.write(
        "site.toml",
        "title = \"Fixture\"\nbase_url = \"https://aimtowin.test/\\\"><script>alert(1)</script>\"\n",
    );
    fixture.rejected().at("site.toml", 2).help();
}

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
    // A refused output folder is how aimsite was run, not a problem in a source: exit status 2.
    assert_eq!(result.status.code(), Some(2), "{stderr}");
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
fn control_characters_from_the_sources_are_shown_escaped() {
    // ESC would let a page's text clear the terminal or recolour what follows, BEL ring it.
    // They are shown escaped, in the message and in the excerpt.
    let fixture = Fixture::new();
    fixture.write(
        "content/privacy.md",
        format!("{PRIVACY}\nSee [x](<@/gone\u{1b}[2J\u{7}.md>).\n"),
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/privacy.md", 7);
    problem.says("gone\\u{1b}[2J\\u{7}.md");
    assert!(
        !problems.stderr.contains(['\u{1b}', '\u{7}']),
        "{:?}",
        problems.stderr
    );
    // The caret still sits under the link.
    let lines: Vec<&str> = problem.text.lines().collect();
    let excerpt = lines
        .iter()
        .find(|line| line.starts_with("7 |"))
        .expect("excerpt");
    let caret = lines.iter().find(|line| line.contains('^')).expect("caret");
    assert_eq!(caret.find('^'), excerpt.find("[x]"), "{}", problem.text);
    assert_eq!(
        caret.trim_end().len(),
        excerpt.find(").").map(|at| at + 1).unwrap_or(0)
    );
}

#[test]
fn many_problems_of_one_kind_in_one_file_are_counted_not_all_shown() {
    // 100,000 broken links on one line printed 38 MB of diagnostics.
    let fixture = Fixture::new();
    fixture.write(
        "content/privacy.md",
        format!("{PRIVACY}\n{}\n", "[x](@/missing.md) ".repeat(100_000)),
    );
    let problems = fixture.rejected();
    assert_eq!(problems.errors.len(), 10, "{}", problems.stderr);
    problems.at("content/privacy.md", 7).says("missing.md");
    assert!(
        problems
            .stderr
            .contains("99,990 more like this in this file not shown"),
        "{}",
        problems.stderr
    );
    assert!(
        problems.stderr.contains("build failed: 100000 errors"),
        "{}",
        problems.stderr
    );
    assert!(
        problems.stderr.len() < 10_000,
        "{} bytes",
        problems.stderr.len()
    );
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

// ---------------------------------------------------------------------------------------------
// Shortcodes
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unknown_shortcode_is_an_error_at_its_line_with_a_suggestion() {
    let fixture = Fixture::new();
    let text = "+++\ntitle = \"Article A\"\n+++\n\nText.\n\n{{ youtub(id=\"dQw4w9WgXcQ\") }}\n";
    fixture.write("content/articles/a.md", text);
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/a.md", 7);
    problem.says("unknown shortcode `youtub`");
    assert!(problem.help().contains("`youtube`"), "{}", problem.text);
    fixture.assert_output_unchanged();
}

#[test]
fn bad_arguments_of_a_built_in_shortcode_are_errors_at_the_argument() {
    for (shortcode, words) in [
        (
            "{{ youtube(id=\"short\") }}",
            "`short` is not a youtube video id",
        ),
        (
            "{{ youtube(title=\"Talk\") }}",
            "`youtube` needs the video's `id`",
        ),
        (
            "{{ vimeo(id=\"12\", autoplay=true) }}",
            "`vimeo` takes no argument `autoplay`",
        ),
        ("{{ vimeo(id=12 }}", "a shortcode's arguments end with `)`"),
        (
            "{{ vimeo(id=abc) }}",
            "`abc` is not a value: put text in quotes",
        ),
        (
            "{{ booking(provider=\"calcom\", url=\"https://calendly.com/a/b\") }}",
            "`https://calendly.com/a/b` is not on Cal.com",
        ),
        (
            "{{ booking(provider=\"zoom\", url=\"https://zoom.us/a\") }}",
            "`zoom` is not a booking provider",
        ),
        (
            "{{ map(lat=\"95\", lon=\"0\") }}",
            "`95` is not a latitude from -90 to 90",
        ),
        (
            "{{ map(provider=\"google\", url=\"http://www.google.com/maps/embed?pb=1\") }}",
            "is not an https:// address",
        ),
    ] {
        let fixture = Fixture::new();
        let text = format!("+++\ntitle = \"Article A\"\n+++\n\nText.\n\n{shortcode}\n");
        fixture.write("content/articles/a.md", text);
        let problems = fixture.rejected();
        problems.at("content/articles/a.md", 7).says(words).help();
        assert_eq!(
            problems.errors.len(),
            1,
            "told more than once: {}",
            problems.stderr
        );
    }
}

#[test]
fn a_sites_own_shortcode_is_rendered_and_braces_in_code_stay_literal() {
    let fixture = Fixture::new();
    fixture.write(
        "templates/shortcodes/note.html",
        "<aside class=\"note\">{{ text }}</aside>",
    );
    let text = "+++\ntitle = \"Article A\"\n+++\n\n{{ note(text=\"Read <this>\") }}\n\n```\n{{ note(text=\"x\") }}\n```\n";
    fixture.write("content/articles/a.md", text);
    fixture.build_ok(&[]);
    let page = fs::read_to_string(fixture.out.join("articles/a/index.html")).expect("page");
    assert!(
        page.contains("<aside class=\"note\">Read &lt;this&gt;</aside>"),
        "{page}"
    );
    assert!(
        page.contains("{{ note(text=&quot;x&quot;) }}") || page.contains("{{ note(text=\"x\") }}"),
        "{page}"
    );
    assert!(
        !page.contains("embeds"),
        "a page without a built-in embed loads embed code"
    );
}
