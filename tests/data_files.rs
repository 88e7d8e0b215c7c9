//! `data/` (issue 19): TOML, JSON and CSV files read by templates as `data.NAME`, and their
//! mistakes as located errors that leave the previous output as it was.

mod fixture;

use fixture::{Fixture, selector};

const TEMPLATE: &str = "{% extends \"base.html\" %}{% block main %}\
<h1>{{ page.title }}</h1>\
<p class=\"office\">{{ data.firm.office.city }} since {{ data.firm.founded }}</p>\
{% for person in data.team %}<p class=\"person\">{{ person.name }}: {{ person.role }}</p>{% endfor %}\
{% for link in data.links.social %}<p class=\"link\">{{ link.label }}</p>{% endfor %}\
{% endblock main %}";

fn fixture_with_data() -> Fixture {
    let fixture = Fixture::new();
    fixture.write(
        "data/firm.toml",
        "founded = 2012-05-01\n[office]\ncity = \"Leeds\"\n",
    );
    fixture.write(
        "data/team.csv",
        "name,role\nAda,Coach\n\"Lee, J.\",Founder\n",
    );
    fixture.write(
        "data/links/social.json",
        "[{\"label\": \"LinkedIn\"}, {\"label\": \"Mastodon\"}]",
    );
    fixture.write("templates/about.html", TEMPLATE);
    fixture.write(
        "content/about.md",
        "+++\ntitle = \"About\"\ntemplate = \"about.html\"\n+++\n\nAbout us.\n",
    );
    fixture
}

fn texts(page: &scraper::Html, css: &str) -> Vec<String> {
    page.select(&selector(css))
        .map(|element| element.text().collect())
        .collect()
}

#[test]
fn templates_read_toml_json_and_csv_files_by_their_names() {
    let fixture = fixture_with_data();
    fixture.build_ok(&[]);
    let page = fixture.page("about/index.html");
    assert_eq!(texts(&page, ".office"), ["Leeds since 2012-05-01"]);
    assert_eq!(texts(&page, ".person"), ["Ada: Coach", "Lee, J.: Founder"]);
    assert_eq!(texts(&page, ".link"), ["LinkedIn", "Mastodon"]);
}

#[test]
fn a_broken_data_file_is_an_error_at_its_line() {
    let fixture = Fixture::new();
    fixture.write("data/firm.toml", "name = \"Aim\"\ncity = Leeds\n");
    fixture.rejected().at("data/firm.toml", 2);

    fixture.write("data/firm.toml", "name = \"Aim\"\n");
    fixture.write(
        "data/team.json",
        "[\n  {\"name\": \"Ada\"},\n  {\"name\": }\n]\n",
    );
    let problems = fixture.rejected();
    let problem = problems.at("data/team.json", 3);
    problem.says("invalid JSON");
    problem.help();

    fixture.remove("data/team.json");
    fixture.write("data/team.csv", "name,role\nAda,Coach\nLee\n");
    let problems = fixture.rejected();
    let problem = problems.at("data/team.csv", 3);
    assert!(problem.help().contains("as many fields"));
}

#[test]
fn two_data_files_of_one_name_or_another_format_are_errors() {
    let fixture = Fixture::new();
    fixture.write("data/team.toml", "a = 1\n");
    fixture.write("data/team.json", "{}");
    let problems = fixture.rejected();
    let problem = problems
        .errors
        .iter()
        .find(|problem| problem.message.contains("data.team"));
    let problem = problem.unwrap_or_else(|| panic!("no clash reported:\n{}", problems.stderr));
    assert!(
        problem.message.contains("data/team.json") && problem.message.contains("data/team.toml")
    );

    fixture.remove("data/team.json");
    fixture.write("data/team/extra.toml", "b = 2\n");
    let problems = fixture.rejected();
    assert!(
        problems
            .errors
            .iter()
            .any(|problem| problem.message.contains("data/team/extra.toml"))
    );

    fixture.remove("data/team/extra.toml");
    fixture.write("data/notes.yaml", "a: 1\n");
    fixture
        .rejected()
        .in_file("data/notes.yaml")
        .says("TOML, JSON or CSV");
}
