//! Sections, pagination, the home page's latest articles and scheduled publishing (issue 19),
//! as a visitor meets them: the built pages parsed, their pagination links followed from the
//! first page to the last, and the feed and sitemap read.

mod fixture;

use std::collections::BTreeSet;
use std::fs;

use fixture::{Fixture, selector};
use scraper::Html;

/// An article dated `2020-01-DD` (DD from 1 to 28), tagged `all`.
fn article(number: usize) -> String {
    format!(
        "+++\ntitle = \"Article {number:02}\"\ndate = 2020-01-{number:02}\ntags = [\"all\"]\n+++\n\nText {number}.\n"
    )
}

/// The fixture with `count` more articles, `articles/_index.md` as given, and `settings`
/// added to `site.toml`.
fn site_with_articles(count: usize, articles_index: &str, settings: &str) -> Fixture {
    let fixture = Fixture::new();
    for number in 1..=count {
        fixture.write(
            &format!("content/articles/n{number:02}.md"),
            article(number),
        );
    }
    fixture.write("content/articles/_index.md", articles_index);
    fixture.write("site.toml", format!("{}{settings}", fixture::SITE_TOML));
    fixture
}

fn page(fixture: &Fixture, url: &str) -> Html {
    let relative = url.trim_start_matches('/');
    fixture.page(&format!("{relative}index.html"))
}

fn texts(page: &Html, css: &str) -> Vec<String> {
    page.select(&selector(css))
        .map(|element| element.text().collect::<String>().trim().to_string())
        .collect()
}

fn attribute(page: &Html, css: &str, name: &str) -> Option<String> {
    let element = page.select(&selector(css)).next()?;
    element.value().attr(name).map(str::to_string)
}

fn title(page: &Html) -> String {
    texts(page, "title").concat()
}

/// Follows a list's `rel="next"` links from `first`: each page's URL and entries' titles.
fn walk_pages(fixture: &Fixture, first: &str) -> Vec<(String, Vec<String>)> {
    let mut pages = Vec::new();
    let mut url = Some(first.to_string());
    while let Some(current) = url {
        assert!(pages.len() < 50, "the next links go round in circles");
        let html = page(fixture, &current);
        let entries = texts(&html, ".article-card__title");
        let next_in_head = attribute(&html, "head link[rel=next]", "href");
        let next_in_body = attribute(&html, "main a[rel=next]", "href");
        assert_eq!(
            next_in_head, next_in_body,
            "{current}: head and body disagree"
        );
        if let Some((previous, _)) = pages.last() {
            let back = attribute(&html, "head link[rel=prev]", "href");
            assert_eq!(back.as_ref(), Some(previous), "{current}: rel=prev");
            let back = attribute(&html, "main a[rel=prev]", "href");
            assert_eq!(
                back.as_ref(),
                Some(previous),
                "{current}: the previous link"
            );
        } else {
            assert_eq!(attribute(&html, "head link[rel=prev]", "href"), None);
        }
        let canonical = attribute(&html, "link[rel=canonical]", "href").expect("canonical");
        assert_eq!(canonical, format!("https://aimtowin.test{current}"));
        pages.push((current, entries));
        url = next_in_head;
    }
    pages
}

#[test]
fn a_paginated_section_shows_each_article_once_newest_first_across_linked_pages() {
    let fixture = site_with_articles(24, "+++\ntitle = \"Articles\"\npaginate_by = 10\n+++\n", "");
    fixture.build_ok(&[]);
    let pages = walk_pages(&fixture, "/articles/");
    let urls: Vec<&str> = pages.iter().map(|(url, _)| url.as_str()).collect();
    assert_eq!(
        urls,
        ["/articles/", "/articles/page/2/", "/articles/page/3/"]
    );
    let sizes: Vec<usize> = pages.iter().map(|(_, entries)| entries.len()).collect();
    assert_eq!(sizes, [10, 10, 5], "24 articles and the fixture's own");
    let shown: Vec<String> = pages.into_iter().flat_map(|(_, entries)| entries).collect();
    let mut expected = vec!["Article A".to_string()];
    expected.extend((1..=24).rev().map(|n| format!("Article {n:02}")));
    assert_eq!(shown, expected, "Article A is of 2021, the others of 2020");

    assert_eq!(title(&page(&fixture, "/articles/")), "Articles | Fixture");
    let second = page(&fixture, "/articles/page/2/");
    assert_eq!(title(&second), "Articles, page 2 of 3 | Fixture");
    assert_eq!(texts(&second, "h1"), ["Articles"]);
    let last = page(&fixture, "/articles/page/3/");
    assert_eq!(attribute(&last, "main a[rel=next]", "href"), None);
    assert_eq!(
        attribute(&last, ".pagination a", "href").as_deref(),
        Some("/articles/"),
        "the first page's link"
    );

    let sitemap = fs::read_to_string(fixture.out.join("sitemap.xml")).expect("sitemap");
    for url in ["articles/", "articles/page/2/", "articles/page/3/"] {
        assert!(sitemap.contains(&format!("<loc>https://aimtowin.test/{url}</loc>")));
    }
    assert!(!fixture.out.join("articles/page/4").exists());
}

#[test]
fn a_list_that_fits_one_page_has_no_pagination() {
    let fixture = site_with_articles(3, "+++\ntitle = \"Articles\"\npaginate_by = 10\n+++\n", "");
    fixture.build_ok(&[]);
    let list = page(&fixture, "/articles/");
    assert!(list.select(&selector(".pagination")).next().is_none());
    assert!(list.select(&selector("link[rel=next]")).next().is_none());
    assert!(!fixture.out.join("articles/page").exists());
}

#[test]
fn tag_pages_are_paginated_by_the_tags_setting() {
    let fixture = site_with_articles(
        5,
        "+++\ntitle = \"Articles\"\n+++\n",
        "[tags]\npaginate_by = 2\n",
    );
    fixture.build_ok(&[]);
    let pages = walk_pages(&fixture, "/tags/all/");
    let shown: Vec<String> = pages
        .iter()
        .flat_map(|(_, entries)| entries.clone())
        .collect();
    assert_eq!(pages.len(), 3);
    assert_eq!(
        shown,
        [
            "Article 05",
            "Article 04",
            "Article 03",
            "Article 02",
            "Article 01"
        ]
    );
    let second = page(&fixture, "/tags/all/page/2/");
    assert_eq!(
        title(&second),
        "Articles tagged “all”, page 2 of 3 | Fixture"
    );
    let unpaginated = page(&fixture, "/articles/");
    assert_eq!(texts(&unpaginated, ".article-card__title").len(), 6);
}

#[test]
fn the_home_page_lists_as_many_of_the_newest_articles_as_it_says() {
    let fixture = site_with_articles(12, "+++\ntitle = \"Articles\"\n+++\n", "");
    fixture.build_ok(&[]);
    let home = page(&fixture, "/");
    let mut expected = vec!["Article A".to_string()];
    expected.extend((4..=12).rev().map(|n| format!("Article {n:02}")));
    assert_eq!(
        texts(&home, ".article-card__title"),
        expected,
        "ten by default"
    );

    fixture.write(
        "content/_index.md",
        "+++\ntitle = \"Home\"\nlatest = 2\n+++\n\nHi.\n",
    );
    fixture.build_ok(&[]);
    let home = page(&fixture, "/");
    assert_eq!(
        texts(&home, ".article-card__title"),
        ["Article A", "Article 12"]
    );
}

#[test]
fn a_section_of_pages_lists_them_by_weight_and_keeps_them_out_of_the_articles() {
    let fixture = Fixture::new();
    fixture.write(
        "content/services/_index.md",
        "+++\ntitle = \"What we do\"\nkind = \"pages\"\n+++\n\nOur services.\n",
    );
    fixture.write(
        "content/services/coaching.md",
        "+++\ntitle = \"Coaching\"\nweight = 2\ndescription = \"One to one.\"\n+++\n\nC.\n",
    );
    fixture.write(
        "content/services/workshops.md",
        "+++\ntitle = \"Workshops\"\nweight = 1\n+++\n\nW.\n",
    );
    fixture.build_ok(&[]);
    let list = page(&fixture, "/services/");
    assert_eq!(texts(&list, "h1"), ["What we do"]);
    assert_eq!(
        texts(&list, ".article-card__title"),
        ["Workshops", "Coaching"]
    );
    assert_eq!(texts(&list, ".article-card__summary"), ["One to one."]);
    let links: Vec<String> = list
        .select(&selector(".article-card__title a"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert_eq!(links, ["/services/workshops/", "/services/coaching/"]);

    let service = page(&fixture, "/services/coaching/");
    assert_eq!(
        attribute(&service, "meta[property='og:type']", "content").as_deref(),
        Some("website"),
        "a service is a page, not an article"
    );
    assert!(
        service
            .select(&selector("script[type='application/ld+json']"))
            .next()
            .is_none()
    );
    let feed = fs::read_to_string(fixture.out.join("atom.xml")).expect("feed");
    assert!(!feed.contains("Coaching"), "pages stay out of the feed");
    assert!(!texts(&page(&fixture, "/"), ".article-card__title").contains(&"Coaching".into()));
    assert!(
        !texts(&page(&fixture, "/articles/"), ".article-card__title").contains(&"Coaching".into())
    );
}

#[test]
fn a_section_sorts_by_title_and_gives_its_pages_its_template() {
    let fixture = Fixture::new();
    fixture.write(
        "content/people/_index.md",
        "+++\ntitle = \"People\"\nkind = \"pages\"\nsort_by = \"title\"\npage_template = \"person.html\"\n+++\n",
    );
    for name in ["zoe", "Adam", "maria"] {
        let title = format!("{}{}", name[..1].to_uppercase(), &name[1..]);
        fixture.write(
            &format!("content/people/{}.md", name.to_lowercase()),
            format!("+++\ntitle = \"{title}\"\n+++\n\nAbout {title}.\n"),
        );
    }
    fixture.write(
        "templates/person.html",
        "{% extends \"base.html\" %}{% block main %}<h1 class=\"person\">{{ page.title }}</h1>{% endblock main %}",
    );
    fixture.build_ok(&[]);
    let list = page(&fixture, "/people/");
    assert_eq!(
        texts(&list, ".article-card__title"),
        ["Adam", "Maria", "Zoe"]
    );
    assert_eq!(
        texts(&page(&fixture, "/people/maria/"), "h1.person"),
        ["Maria"]
    );
}

#[test]
fn a_page_belongs_to_the_nearest_section_above_it() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/2020/_index.md",
        "+++\ntitle = \"2020\"\n+++\n",
    );
    fixture.write("content/articles/2020/old.md", article(3));
    fixture.write("content/articles/2021/new.md", article(4));
    fixture.build_ok(&[]);
    let year = page(&fixture, "/articles/2020/");
    assert_eq!(texts(&year, ".article-card__title"), ["Article 03"]);
    let all = page(&fixture, "/articles/");
    assert_eq!(
        texts(&all, ".article-card__title"),
        ["Article A", "Article 04"]
    );
    let home: BTreeSet<String> = texts(&page(&fixture, "/"), ".article-card__title")
        .into_iter()
        .collect();
    assert!(
        home.contains("Article 03"),
        "an article of any section is an article"
    );
}

#[test]
fn section_settings_in_the_wrong_place_or_out_of_range_are_located_errors() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/_index.md",
        "+++\ntitle = \"Articles\"\npaginate_by = 0\n+++\n",
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/_index.md", 3);
    problem.says("`paginate_by` must be at least 1");
    assert!(problem.help().contains("paginate_by = 10"));

    fixture.write(
        "content/articles/_index.md",
        "+++\ntitle = \"Articles\"\n+++\n",
    );
    fixture.write(
        "content/articles/a.md",
        "+++\ntitle = \"Article A\"\ndate = 2021-01-05\npaginate_by = 5\n+++\n\nA.\n",
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/a.md", 4);
    problem.says("only applies to a section's `_index.md`");
    problem.help();

    fixture.write("content/articles/a.md", fixture::ARTICLE_A);
    fixture.write(
        "content/articles/_index.md",
        "+++\ntitle = \"Articles\"\nsort_by = \"dat\"\npage_template = \"articel.html\"\n+++\n",
    );
    let problems = fixture.rejected();
    problems
        .at("content/articles/_index.md", 3)
        .says("unknown variant `dat`");

    fixture.write(
        "content/articles/_index.md",
        "+++\ntitle = \"Articles\"\npage_template = \"articel.html\"\n+++\n",
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/_index.md", 3);
    problem.says("unknown template `articel.html`");
    assert!(problem.help().contains("article.html"));
}

#[test]
fn a_page_dated_after_today_waits_for_its_day_unless_the_build_says_future() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/soon.md",
        "+++\ntitle = \"Coming soon\"\ndate = 2999-01-01\ntags = [\"later\"]\n+++\n\nNot yet.\n",
    );
    fixture.write(
        "content/privacy.md",
        "+++\ntitle = \"Privacy\"\n+++\n\nSee [what comes](@/articles/soon.md).\n",
    );
    let problems = fixture.rejected();
    let problem = problems.at("content/privacy.md", 5);
    problem.says("dated after today");
    assert!(problem.help().contains("--future"));
    fixture.write("content/privacy.md", fixture::PRIVACY);

    let output = fixture.build_ok(&[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Held back 1 page dated after today")
            && stdout.contains("content/articles/soon.md (2999-01-01)"),
        "{stdout}"
    );
    assert!(!fixture.out.join("articles/soon").exists());
    assert!(!fixture.out.join("tags/later").exists());
    for file in [
        "index.html",
        "articles/index.html",
        "atom.xml",
        "sitemap.xml",
    ] {
        let text = fs::read_to_string(fixture.out.join(file)).expect(file);
        assert!(!text.contains("soon"), "{file} shows the held-back page");
    }

    let output = fixture.build_ok(&["--future"]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains("Held back"));
    assert_eq!(
        texts(&page(&fixture, "/articles/soon/"), "h1"),
        ["Coming soon"]
    );
    let list = texts(&page(&fixture, "/articles/"), ".article-card__title");
    assert_eq!(list, ["Coming soon", "Article A"]);
}

#[test]
fn the_home_page_sees_every_section_and_its_pages() {
    let fixture = site_with_articles(12, "+++\ntitle = \"Articles\"\n+++\n", "");
    fixture.write(
        "content/services/_index.md",
        "+++\ntitle = \"What we do\"\nkind = \"pages\"\n+++\n",
    );
    for (name, weight) in [("coaching", 2), ("workshops", 1)] {
        fixture.write(
            &format!("content/services/{name}.md"),
            format!("+++\ntitle = \"{name}\"\nweight = {weight}\n+++\n\nAbout {name}.\n"),
        );
    }
    fixture.write(
        "templates/home.html",
        "{% extends \"base.html\" %}{% block main %}\
         {% set services = sections.services %}\
         <h2 class=\"services\"><a href=\"{{ services.url }}\">{{ services.title }}</a> ({{ services.count }}, {{ services.kind }})</h2>\
         {% for service in services.pages %}<p class=\"service\">{{ service.title }}</p>{% endfor %}\
         <p class=\"articles\">{{ sections.articles.count }} articles, {{ sections.articles.pages | length }} shown</p>\
         {% endblock main %}",
    );
    fixture.build_ok(&[]);
    let home = page(&fixture, "/");
    assert_eq!(texts(&home, "h2.services"), ["What we do (2, pages)"]);
    assert_eq!(
        attribute(&home, "h2.services a", "href").as_deref(),
        Some("/services/")
    );
    assert_eq!(texts(&home, ".service"), ["workshops", "coaching"]);
    assert_eq!(texts(&home, ".articles"), ["13 articles, 10 shown"]);
}

fn json_ld(page: &Html) -> serde_json::Value {
    let script = page
        .select(&selector("script[type='application/ld+json']"))
        .next()
        .expect("schema.org data");
    serde_json::from_str(&script.text().collect::<String>()).expect("JSON")
}

#[test]
fn events_list_the_upcoming_soonest_first_and_archive_the_past_with_calendars() {
    let fixture = Fixture::new();
    fixture.write(
        "content/events/_index.md",
        "+++\ntitle = \"Events\"\nkind = \"events\"\n+++\n",
    );
    fixture.write(
        "content/events/summer.md",
        "+++\ntitle = \"Summer workshop\"\ndescription = \"Teams, in July.\"\nstart = 2999-07-01T09:30:00\nend = 2999-07-01T17:00:00\ntimezone = \"Europe/London\"\nlocation = \"The Studio, Leeds\"\nprice = \"£120\"\nbooking_url = \"https://cal.example/book\"\n+++\n\nA day.\n",
    );
    fixture.write(
        "content/events/spring.md",
        "+++\ntitle = \"Spring webinar\"\nstart = 2999-03-04T12:00:00+01:00\nonline = \"https://meet.example/x\"\n+++\n\nAn hour.\n",
    );
    fixture.write(
        "content/events/old.md",
        "+++\ntitle = \"Old webinar\"\nstart = 2020-03-04T12:00:00Z\nonline = true\n+++\n\nPast.\n",
    );
    fixture.write(
        "content/events/older.md",
        "+++\ntitle = \"Older talk\"\nstart = 2019-03-04T12:00:00Z\nlocation = \"Hall\"\n+++\n\nPast.\n",
    );
    fixture.build_ok(&[]);
    let list = page(&fixture, "/events/");
    assert_eq!(
        texts(&list, ".article-card__title"),
        ["Spring webinar", "Summer workshop"]
    );
    assert_eq!(
        attribute(&list, ".more a", "href").as_deref(),
        Some("/events/past/")
    );
    let archive = page(&fixture, "/events/past/");
    assert_eq!(
        texts(&archive, ".article-card__title"),
        ["Old webinar", "Older talk"]
    );
    assert_eq!(title(&archive), "Past events | Fixture");

    let event = page(&fixture, "/events/summer/");
    assert_eq!(
        texts(&event, "time"),
        ["Monday 1 July 2999, 09:30 to 17:00 BST"]
    );
    assert_eq!(
        attribute(&event, ".button", "href").as_deref(),
        Some("https://cal.example/book")
    );
    let data = json_ld(&event);
    assert_eq!(data["@type"], "Event");
    assert_eq!(data["startDate"], "2999-07-01T09:30:00+01:00");
    assert_eq!(
        data["eventAttendanceMode"],
        "https://schema.org/OfflineEventAttendanceMode"
    );
    assert_eq!(data["location"]["name"], "The Studio, Leeds");
    assert_eq!(data["organizer"]["name"], "Fixture");
    let online = json_ld(&page(&fixture, "/events/spring/"));
    assert_eq!(online["location"]["@type"], "VirtualLocation");
    assert_eq!(online["location"]["url"], "https://meet.example/x");

    let calendar_url = attribute(&event, "a[download]", "href").expect("an add-to-calendar link");
    assert_eq!(calendar_url, "/events/summer/event.ics");
    let calendar = fs::read_to_string(fixture.out.join("events/summer/event.ics")).expect("ics");
    assert!(calendar.starts_with("BEGIN:VCALENDAR\r\n") && calendar.ends_with("END:VCALENDAR\r\n"));
    for line in [
        "DTSTART:29990701T083000Z",
        "DTEND:29990701T160000Z",
        "SUMMARY:Summer workshop",
        "LOCATION:The Studio\\, Leeds",
    ] {
        assert!(
            calendar.contains(&format!("{line}\r\n")),
            "{line} in\n{calendar}"
        );
    }
}

#[test]
fn people_and_testimonials_have_their_markup_and_testimonials_need_consent() {
    let fixture = Fixture::new();
    fixture.write(
        "content/people/_index.md",
        "+++\ntitle = \"Our coaches\"\nkind = \"people\"\n+++\n",
    );
    fixture.write(
        "content/people/ada.md",
        "+++\ntitle = \"Ada Example\"\nrole = \"Lead coach\"\n+++\n\nAda coaches leaders.\n",
    );
    fixture.write(
        "content/testimonials/_index.md",
        "+++\ntitle = \"What clients say\"\nkind = \"testimonials\"\n+++\n",
    );
    fixture.write(
        "content/testimonials/sam.md",
        "+++\ntitle = \"Sam Client\"\nrole = \"Director\"\ncompany = \"Acme\"\n+++\n\nThey helped our team a lot.\n",
    );
    let problems = fixture.rejected();
    let problem = problems.in_file("content/testimonials/sam.md");
    problem.says("consent_to_publish = true");
    problem.help();

    fixture.write(
        "content/testimonials/sam.md",
        "+++\ntitle = \"Sam Client\"\nrole = \"Director\"\ncompany = \"Acme\"\nconsent_to_publish = true\n+++\n\nThey helped our team a lot.\n",
    );
    fixture.build_ok(&[]);
    let people = page(&fixture, "/people/");
    assert_eq!(texts(&people, ".person-card__name"), ["Ada Example"]);
    let person = json_ld(&page(&fixture, "/people/ada/"));
    assert_eq!(person["@type"], "Person");
    assert_eq!(person["jobTitle"], "Lead coach");
    assert_eq!(person["worksFor"]["@type"], "Organization");

    let testimonials = page(&fixture, "/testimonials/");
    assert_eq!(
        texts(&testimonials, "blockquote"),
        ["They helped our team a lot."]
    );
    assert_eq!(texts(&testimonials, "figcaption .meta"), ["Director, Acme"]);
    for url in ["/testimonials/", "/testimonials/sam/"] {
        let html =
            fs::read_to_string(fixture.out.join(format!("{}index.html", &url[1..]))).unwrap();
        assert!(
            !html.contains("Review") && !html.contains("ratingValue"),
            "{url} has review markup"
        );
    }
}

#[test]
fn keys_of_another_kind_and_bad_event_times_are_located_errors() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/a.md",
        "+++\ntitle = \"Article A\"\ndate = 2021-01-05\nstart = 2999-01-01T10:00:00Z\n+++\n\nA.\n",
    );
    let problems = fixture.rejected();
    problems
        .at("content/articles/a.md", 4)
        .says("`start` only applies to a page in a section of events");
    fixture.write("content/articles/a.md", fixture::ARTICLE_A);

    fixture.write(
        "content/events/_index.md",
        "+++\ntitle = \"Events\"\nkind = \"events\"\n+++\n",
    );
    fixture.write(
        "content/events/a.md",
        "+++\ntitle = \"A\"\nstart = 2999-01-01T10:00:00\nlocation = \"Hall\"\n+++\n",
    );
    let problems = fixture.rejected();
    problems
        .at("content/events/a.md", 3)
        .says("has no time zone");

    fixture.write(
        "content/events/a.md",
        "+++\ntitle = \"A\"\nstart = 2999-01-01T10:00:00\nend = 2999-01-01T09:00:00\ntimezone = \"Europe/Londres\"\nlocation = \"Hall\"\n+++\n",
    );
    let problems = fixture.rejected();
    problems
        .at("content/events/a.md", 5)
        .says("unknown time zone");

    fixture.write(
        "content/events/a.md",
        "+++\ntitle = \"A\"\nstart = 2999-01-01T10:00:00Z\nend = 2999-01-01T09:00:00Z\n+++\n",
    );
    let problems = fixture.rejected();
    problems
        .at("content/events/a.md", 4)
        .says("ends before it starts");
    problems.in_file("content/events/a.md").help();
    assert!(problems.stderr.contains("needs a `location` or `online`"));
}

/// The home page shows a card for each service and the testimonials, found by their sections'
/// kinds whatever their folders, and leaves out the part of a kind the site does not have.
#[test]
fn the_home_page_shows_services_and_testimonials_by_kind() {
    let fixture = Fixture::new();
    fixture.build_ok(&[]);
    let bare = page(&fixture, "/");
    assert!(texts(&bare, ".card").is_empty(), "cards without sections");
    fixture.write(
        "content/offer/_index.md",
        "+++\ntitle = \"What we do\"\nkind = \"services\"\n+++\n",
    );
    fixture.write(
        "content/offer/coaching.md",
        "+++\ntitle = \"Coaching\"\ndescription = \"One to one.\"\n+++\n\nC.\n",
    );
    fixture.build_ok(&[]);
    let home = page(&fixture, "/");
    assert_eq!(texts(&home, ".card__title"), ["Coaching"]);
    assert_eq!(texts(&home, ".card__text"), ["One to one."]);
    assert!(texts(&home, ".testimonial").is_empty());
    fixture.write(
        "content/said/_index.md",
        "+++\ntitle = \"What clients say\"\nkind = \"testimonials\"\n+++\n",
    );
    fixture.write(
        "content/said/sam.md",
        "+++\ntitle = \"Sam Client\"\nrole = \"Director\"\nconsent_to_publish = true\n+++\n\nThey helped our team a lot.\n",
    );
    fixture.build_ok(&[]);
    let home = page(&fixture, "/");
    let headings = texts(&home, "main h2");
    assert!(
        headings.contains(&"What we do".to_string())
            && headings.contains(&"What clients say".to_string()),
        "{headings:?}"
    );
    assert_eq!(texts(&home, ".testimonial__name"), ["Sam Client"]);
    assert_eq!(
        texts(&home, ".testimonial blockquote"),
        ["They helped our team a lot."]
    );
}
