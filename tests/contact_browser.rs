//! The contact page, built from `tests/contact_fixture` under a sub-path and driven in headless
//! Chromium as a visitor would: labels and accessible names, the GOV.UK error pattern, the
//! honeypot, each backend's submission, and the page without JavaScript. A few checks read the
//! built HTML only (field names of the providers, JSON-LD, no third-party requests) and run
//! without a browser.
//!
//! The fixture's site.toml uses the mailto backend; other backends are made by inserting their
//! keys after its `[contact]` line.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use scraper::{Html, Selector};
use support::{
    Browser, Key, StaticServer, TempDir, Value, aimsite, browser_or_skip, copy_folder, json,
    temp_dir,
};

const PREFIX: &str = "/aimtowin/";
const WAIT: Duration = Duration::from_secs(10);
/// The custom backend, posting to the test server and naming the next page in `_next`.
const CUSTOM_KEYS: &str =
    "backend = \"custom\"\naction = \"{endpoint}\"\nredirect_field = \"_next\"\n";
/// Names of the custom backend's own for two fields.
const CUSTOM_FIELDS: &str = "\n[contact.fields]\nname = \"full_name\"\nemail = \"reply_to\"\n";

/// The fixture site copied into a temporary folder, `keys` inserted after `[contact]` and
/// `tables` appended, served under `PREFIX` and built for that address.
struct Site {
    _dir: TempDir,
    root: PathBuf,
    server: StaticServer,
}

impl Site {
    fn mailto() -> Site {
        Site::with("", "")
    }

    fn with(keys: &str, tables: &str) -> Site {
        Site::build_with(keys, tables, None)
    }

    /// Like [`Site::with`], the server sending each POST on to the thanks page as a form
    /// service would.
    fn posting_to_thanks(keys: &str, tables: &str) -> Site {
        Site::build_with(keys, tables, Some(&thanks_path()))
    }

    fn build_with(keys: &str, tables: &str, post_redirect: Option<&str>) -> Site {
        let (dir, root) = fixture_copy();
        let mut builder = StaticServer::builder(root.join("public")).prefix(PREFIX);
        if let Some(location) = post_redirect {
            builder = builder.post_redirect(location);
        }
        let server = builder.start();
        let settings = fs::read_to_string(root.join("site.toml")).expect("fixture site.toml");
        let keys = keys.replace("{endpoint}", &server.url("submit"));
        let settings = with_contact_keys(&settings, &keys);
        fs::write(root.join("site.toml"), format!("{settings}{tables}")).unwrap();
        let output = aimsite()
            .args(["build", "--base-url", &server.base_url(), "--root"])
            .arg(&root)
            .output()
            .expect("could not run aimsite");
        assert!(
            output.status.success(),
            "the contact fixture did not build:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Site {
            _dir: dir,
            root,
            server,
        }
    }

    fn custom() -> Site {
        Site::with(CUSTOM_KEYS, CUSTOM_FIELDS)
    }

    fn netlify() -> Site {
        Site::with("backend = \"netlify\"\n", "")
    }

    fn contact_url(&self) -> String {
        self.server.url("contact/")
    }

    fn contact_html(&self) -> Html {
        let text = fs::read_to_string(self.root.join("public/contact/index.html"))
            .expect("contact/index.html was not built");
        Html::parse_document(&text)
    }
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contact_fixture")
}

/// The fixture copied into a temporary folder, not built: the folder and the site's root in it.
fn fixture_copy() -> (TempDir, PathBuf) {
    let dir = temp_dir();
    let root = dir.path().join("site");
    copy_folder(&fixture(), &root);
    (dir, root)
}

/// `settings` with `keys` put first in its `[contact]` table.
fn with_contact_keys(settings: &str, keys: &str) -> String {
    settings.replacen("[contact]\n", &format!("[contact]\n{keys}"), 1)
}

/// Runs `aimsite build --root ROOT` with the base URL of its settings.
fn build(root: &Path) -> Output {
    aimsite()
        .args(["build", "--root"])
        .arg(root)
        .output()
        .unwrap()
}

/// Puts `keys` first in the `[contact]` table of the site.toml at `root`; the build must then
/// fail with status 1, saying `message` and pointing at the line of the first key.
fn assert_contact_keys_rejected(root: &Path, keys: &str, message: &str) {
    let settings = fs::read_to_string(root.join("site.toml")).unwrap();
    let line = settings
        .lines()
        .position(|line| line == "[contact]")
        .unwrap()
        + 2;
    fs::write(root.join("site.toml"), with_contact_keys(&settings, keys)).unwrap();
    let output = build(root);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
    assert!(
        stderr.contains(&format!("--> site.toml:{line}:")),
        "{stderr}"
    );
}

fn thanks_path() -> String {
    format!("{PREFIX}contact/thanks/")
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e}"))
}

fn assert_attribute(html: &Html, css: &str, name: &str, expected: &str) {
    assert_eq!(
        attribute(html, css, name).as_deref(),
        Some(expected),
        "{name} of {css}"
    );
}

/// The value of `attribute` on the first element matching `css`.
fn attribute(html: &Html, css: &str, attribute: &str) -> Option<String> {
    html.select(&selector(css))
        .next()
        .unwrap_or_else(|| panic!("nothing matches {css}"))
        .value()
        .attr(attribute)
        .map(str::to_string)
}

/// Opens the contact page and waits for contact.js to have set the form up.
fn open_contact(browser: &Browser, site: &Site) {
    browser.open(&site.contact_url());
    browser.wait_until("document.querySelector('form').noValidate === true", WAIT);
}

/// A browser on the contact page of the site `make_site` builds; `None` when the test is
/// skipped (and then nothing is built).
fn contact_page_of(make_site: impl FnOnce() -> Site) -> Option<(Browser, Site)> {
    let browser = browser_or_skip()?;
    let site = make_site();
    open_contact(&browser, &site);
    Some((browser, site))
}

fn fill_valid(browser: &Browser) {
    browser.type_text("#contact-name", "Ada Lovelace");
    browser.type_text("#contact-email", "ada@example.org");
    browser.type_text("#contact-phone", "020 7946 0001");
    browser.execute(
        "const s = document.getElementById('contact-subject'); s.value = 'Workshop'; \
         s.dispatchEvent(new Event('change', {bubbles: true}));",
        &[],
    );
    browser.type_text(
        "#contact-message",
        "Our team would like a workshop.\nNext month?",
    );
    browser.click("#contact-consent");
}

fn submit(browser: &Browser) {
    browser.click("form button[type=submit]");
}

fn send_valid_form(browser: &Browser) {
    fill_valid(browser);
    submit(browser);
}

fn wait_for_thanks_page(browser: &Browser) {
    browser.wait_until(
        "location.pathname.endsWith('/contact/thanks/') && document.readyState === 'complete'",
        WAIT,
    );
}

/// The links of the error summary: `[[href, text], ...]`.
fn summary_links(browser: &Browser) -> Value {
    browser.eval(
        "Array.from(document.querySelectorAll('#contact-error-summary a'))
            .map(a => [a.getAttribute('href'), a.textContent])",
    )
}

fn no_console_errors(browser: &Browser) {
    let errors: Vec<String> = browser
        .console_errors()
        .into_iter()
        .filter(|e| !e.contains("favicon.ico"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

// ---------------------------------------------------------------------------------------------
// The built HTML (no browser needed)
// ---------------------------------------------------------------------------------------------

#[test]
fn fields_have_labels_autocomplete_and_required() {
    let site = Site::mailto();
    let html = site.contact_html();
    let expectations = [
        // id, label text starts with, autocomplete, inputmode, required
        ("contact-name", "Name", Some("name"), None, true),
        (
            "contact-email",
            "E-mail address",
            Some("email"),
            Some("email"),
            true,
        ),
        ("contact-phone", "Phone", Some("tel"), Some("tel"), false),
        (
            "contact-subject",
            "What is your message about?",
            None,
            None,
            true,
        ),
        ("contact-message", "Message", None, None, true),
        (
            "contact-consent",
            "I agree that Aim to Win",
            None,
            None,
            true,
        ),
    ];
    for (id, label, autocomplete, inputmode, required) in expectations {
        let label_text: String = html
            .select(&selector(&format!("label[for={id}]")))
            .next()
            .unwrap_or_else(|| panic!("#{id} has no <label for>"))
            .text()
            .collect();
        assert!(label_text.starts_with(label), "#{id}: label {label_text:?}");
        let css = format!("#{id}");
        assert_eq!(
            attribute(&html, &css, "autocomplete").as_deref(),
            autocomplete,
            "#{id}"
        );
        assert_eq!(
            attribute(&html, &css, "inputmode").as_deref(),
            inputmode,
            "#{id}"
        );
        assert_eq!(
            attribute(&html, &css, "required").is_some(),
            required,
            "#{id}"
        );
    }
    assert_attribute(&html, "#contact-email", "type", "email");
    assert_attribute(&html, "#contact-phone", "type", "tel");

    // The honeypot: out of reach, with a wrapper hidden from assistive technology.
    assert_attribute(&html, "#contact-trap", "tabindex", "-1");
    assert_attribute(&html, "#contact-trap", "autocomplete", "off");
    assert_attribute(&html, ".contact-form__trap", "aria-hidden", "true");
    assert!(attribute(&html, ".contact-form__trap", "style").is_none());
}

#[test]
fn mailto_page_makes_no_third_party_request_and_hides_the_address() {
    let site = Site::mailto();
    let text = fs::read_to_string(site.root.join("public/contact/index.html")).unwrap();
    assert!(
        !text.contains("hello@aimtowin.test"),
        "the address is in plain text"
    );
    let html = Html::parse_document(&text);
    for (css, attr) in [
        ("script[src]", "src"),
        ("link[rel=stylesheet]", "href"),
        ("img", "src"),
        ("iframe", "src"),
    ] {
        for element in html.select(&selector(css)) {
            let url = element.value().attr(attr).unwrap();
            assert!(
                url.starts_with(PREFIX),
                "{url} is not on the site (or misses the base path)"
            );
        }
    }
    assert!(
        html.select(&selector("main script, main style, main [style]"))
            .next()
            .is_none(),
        "inline code in the contact page"
    );
    let form = html.select(&selector("form")).next().unwrap();
    assert!(form.value().attr("action").is_none());
    assert!(
        form.value().attr("hidden").is_some(),
        "the mailto form needs the script"
    );
}

#[test]
fn json_ld_describes_the_organization_and_its_contact_point() {
    let site = Site::mailto();
    let html = site.contact_html();
    let data: Vec<Value> = html
        .select(&selector("script[type='application/ld+json']"))
        .map(|script| serde_json::from_str(&script.text().collect::<String>()).unwrap())
        .collect();
    let organization = data
        .iter()
        .find(|d| d["@type"] == "Organization")
        .unwrap_or_else(|| panic!("no Organization in {data:?}"));
    assert_eq!(organization["@context"], "https://schema.org");
    assert_eq!(organization["name"], "Aim to Win");
    assert_eq!(organization["url"], site.server.base_url());
    assert_eq!(organization["email"], "hello@aimtowin.test");
    assert_eq!(organization["telephone"], "+442079460000");
    assert_eq!(organization["address"]["@type"], "PostalAddress");
    assert_eq!(organization["address"]["postalCode"], "N1 1AA");
    let point = &organization["contactPoint"];
    assert_eq!(point["@type"], "ContactPoint");
    assert_eq!(point["email"], "hello@aimtowin.test");
    assert_eq!(point["availableLanguage"], "en-GB");
    let hours = &point["hoursAvailable"][0];
    assert_eq!(hours["@type"], "OpeningHoursSpecification");
    assert_eq!(hours["opens"], "09:00");
    assert_eq!(hours["closes"], "17:30");
    assert_eq!(hours["dayOfWeek"].as_array().map(Vec::len), Some(5));
}

#[test]
fn netlify_and_formspree_forms_carry_the_providers_names() {
    let netlify = Site::netlify().contact_html();
    let thanks = thanks_path();
    for (css, name, value) in [
        ("form", "action", thanks.as_str()),
        ("form", "method", "post"),
        ("form", "name", "contact"),
        ("form", "data-netlify", "true"),
        ("form", "data-netlify-honeypot", "bot-field"),
        ("input[type=hidden][name=form-name]", "value", "contact"),
        ("#contact-trap", "name", "bot-field"),
    ] {
        assert_attribute(&netlify, css, name, value);
    }

    let formspree = Site::with("backend = \"formspree\"\nformspree_id = \"xyzabcd\"\n", "");
    let html = formspree.contact_html();
    let next = formspree.server.url("contact/thanks/");
    for (css, name, value) in [
        ("form", "action", "https://formspree.io/f/xyzabcd"),
        ("form", "method", "post"),
        ("#contact-trap", "name", "_gotcha"),
        ("#contact-email", "name", "email"),
        ("input[type=hidden][name=_next]", "value", next.as_str()),
    ] {
        assert_attribute(&html, css, name, value);
    }
}

#[test]
fn thanks_page_exists_and_is_not_indexed() {
    let site = Site::mailto();
    let text = fs::read_to_string(site.root.join("public/contact/thanks/index.html"))
        .expect("contact/thanks/index.html was not built");
    let html = Html::parse_document(&text);
    assert_attribute(&html, "meta[name=robots]", "content", "noindex");
}

#[test]
fn bad_contact_settings_fail_the_build_naming_site_toml_and_the_line() {
    let (_dir, root) = fixture_copy();
    assert_contact_keys_rejected(
        &root,
        "backend = \"formspree\"\n",
        "the formspree contact backend needs `formspree_id`",
    );
}

#[test]
fn a_posting_backend_without_a_thanks_page_fails_the_build() {
    let (_dir, root) = fixture_copy();
    fs::remove_file(root.join("content/contact/thanks.md")).unwrap();
    let mailto_settings = fs::read_to_string(root.join("site.toml")).unwrap();
    assert_contact_keys_rejected(
        &root,
        "backend = \"netlify\"\n",
        "sends visitors to /contact/thanks/, but there is no page there",
    );

    // The mailto backend needs no thank-you page.
    fs::write(root.join("site.toml"), &mailto_settings).unwrap();
    let output = build(&root);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// In the browser
// ---------------------------------------------------------------------------------------------

#[test]
fn fields_have_accessible_names() {
    let Some((browser, _site)) = contact_page_of(Site::mailto) else {
        return;
    };
    browser.cdp("Accessibility.enable", json!({}));
    let tree = browser.cdp("Accessibility.getFullAXTree", json!({}));
    let names: Vec<(String, String)> = tree["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|node| node["ignored"] != true)
        .map(|node| {
            (
                node["role"]["value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                node["name"]["value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    let has = |role: &str, name: &str| names.iter().any(|(r, n)| r == role && n == name);
    for (role, name) in [
        ("textbox", "Name"),
        ("textbox", "E-mail address"),
        ("textbox", "Phone (optional)"),
        ("combobox", "What is your message about?"),
        ("textbox", "Message"),
        (
            "checkbox",
            "I agree that Aim to Win may use these details to answer my enquiry.",
        ),
        ("button", "Write the e-mail"),
        ("link", "hello@aimtowin.test"),
    ] {
        assert!(has(role, name), "no {role} named {name:?} in {names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|(_, n)| n.contains("Leave this field empty")),
        "the honeypot reaches assistive technology"
    );
    // Each field is described by its hint.
    assert_eq!(
        browser.eval("document.getElementById('contact-message').getAttribute('aria-describedby')"),
        "contact-message-hint"
    );
    no_console_errors(&browser);
}

#[test]
fn empty_submit_shows_the_error_summary_with_a_link_to_each_field() {
    let Some((browser, site)) = contact_page_of(Site::mailto) else {
        return;
    };
    assert_eq!(browser.eval("document.title"), "Contact us | Aim to Win");
    submit(&browser);

    assert_eq!(browser.active_element()["id"], "contact-error-summary");
    assert_eq!(
        browser.eval("document.title"),
        "Error: Contact us | Aim to Win"
    );
    assert_eq!(
        browser.eval("document.querySelector('#contact-error-summary h3').textContent"),
        "There is a problem"
    );
    let links = summary_links(&browser);
    assert_eq!(
        links,
        json!([
            ["#contact-name", "Enter your name"],
            ["#contact-email", "Enter your e-mail address"],
            ["#contact-subject", "Choose what your message is about"],
            ["#contact-message", "Enter your message"],
            [
                "#contact-consent",
                "Tick the box so that we may use your details to answer you"
            ],
        ])
    );
    for id in [
        "contact-name",
        "contact-email",
        "contact-subject",
        "contact-message",
        "contact-consent",
    ] {
        let state = browser.execute(
            "const c = document.getElementById(arguments[0]);
             const e = document.getElementById(arguments[0] + '-error');
             return [c.getAttribute('aria-invalid'),
                     (c.getAttribute('aria-describedby') || '').split(' ').includes(e.id),
                     !e.hidden && e.getBoundingClientRect().height > 0, e.textContent];",
            &[json!(id)],
        );
        assert_eq!(state[0], "true", "#{id}: {state}");
        assert_eq!(
            state[1], true,
            "#{id} is not described by its error: {state}"
        );
        assert_eq!(state[2], true, "#{id}'s error is not shown: {state}");
        assert!(
            state[3].as_str().unwrap().starts_with("Error: "),
            "#{id}: {state}"
        );
    }
    assert_eq!(
        browser.eval("document.getElementById('contact-phone').getAttribute('aria-invalid')"),
        Value::Null
    );

    // Each link of the summary moves the focus to its field.
    for link in links.as_array().unwrap() {
        let href = link[0].as_str().unwrap();
        browser.click(&format!("#contact-error-summary a[href='{href}']"));
        assert_eq!(
            browser.active_element()["id"],
            href.trim_start_matches('#'),
            "clicking {href}"
        );
    }
    assert!(site.server.posts().is_empty(), "an invalid form was posted");
    no_console_errors(&browser);
}

#[test]
fn errors_clear_as_they_are_fixed() {
    let Some((browser, _site)) = contact_page_of(Site::mailto) else {
        return;
    };
    submit(&browser);
    assert_eq!(summary_links(&browser).as_array().unwrap().len(), 5);

    browser.type_text("#contact-name", "Ada");
    assert_eq!(
        browser.eval("document.getElementById('contact-name').getAttribute('aria-invalid')"),
        Value::Null
    );
    assert_eq!(
        browser.eval("document.getElementById('contact-name-error').hidden"),
        true
    );
    assert_eq!(
        browser.eval("document.getElementById('contact-name').getAttribute('aria-describedby')"),
        Value::Null
    );
    assert_eq!(summary_links(&browser).as_array().unwrap().len(), 4);

    // A wrong address gets the better message when the visitor leaves the field.
    browser.type_text("#contact-email", "ada@");
    browser.press(Key::Tab);
    assert_eq!(
        summary_links(&browser)[0],
        json!([
            "#contact-email",
            "Enter an e-mail address in the correct format, like name@example.com"
        ])
    );
    assert_eq!(
        browser.eval("document.getElementById('contact-email').getAttribute('aria-describedby')"),
        "contact-email-hint contact-email-error"
    );
    browser.type_text("#contact-email", "example.org");
    assert_eq!(summary_links(&browser).as_array().unwrap().len(), 2 + 1);
    assert_eq!(
        browser.eval("document.getElementById('contact-email').getAttribute('aria-describedby')"),
        "contact-email-hint"
    );

    browser.execute(
        "const s = document.getElementById('contact-subject'); s.value = 'Workshop'; \
         s.dispatchEvent(new Event('change', {bubbles: true}));",
        &[],
    );
    browser.type_text("#contact-message", "Hello");
    assert_eq!(
        browser.eval("document.title"),
        "Error: Contact us | Aim to Win"
    );
    browser.click("#contact-consent");
    assert_eq!(summary_links(&browser), json!([]));
    assert_eq!(
        browser.eval("document.getElementById('contact-error-summary').hidden"),
        true
    );
    assert_eq!(browser.eval("document.title"), "Contact us | Aim to Win");
    assert_eq!(
        browser.eval("document.querySelectorAll('[aria-invalid]').length"),
        0
    );
    no_console_errors(&browser);
}

#[test]
fn honeypot_is_invisible_and_out_of_tab_reach() {
    let Some((browser, _site)) = contact_page_of(Site::mailto) else {
        return;
    };
    let trap = browser.eval(
        "(() => { const t = document.getElementById('contact-trap');
                  const r = t.getBoundingClientRect();
                  const s = getComputedStyle(t.closest('.contact-form__trap'));
                  return {w: r.width, h: r.height, right: r.right, bottom: r.bottom,
                          display: s.display, visibility: s.visibility}; })()",
    );
    let tiny = trap["w"].as_f64().unwrap() <= 1.0 && trap["h"].as_f64().unwrap() <= 1.0;
    let off_screen =
        trap["right"].as_f64().unwrap() <= 0.0 || trap["bottom"].as_f64().unwrap() <= 0.0;
    assert!(tiny || off_screen, "the honeypot can be seen: {trap}");
    assert_ne!(trap["display"], "none", "bots skip display:none fields");

    // Tab from the name field to the button: the honeypot is never reached.
    browser.click("#contact-name");
    let mut visited = Vec::new();
    for _ in 0..12 {
        browser.press(Key::Tab);
        let active = browser.active_element();
        visited.push(
            active["id"]
                .as_str()
                .unwrap_or(active["tag"].as_str().unwrap_or(""))
                .to_string(),
        );
        if active["tag"] == "button" {
            break;
        }
    }
    assert!(
        !visited.iter().any(|id| id == "contact-trap"),
        "Tab reached the honeypot: {visited:?}"
    );
    assert_eq!(
        visited,
        [
            "contact-email",
            "contact-phone",
            "contact-subject",
            "contact-message",
            "contact-consent",
            "button"
        ]
    );
}

#[test]
fn mailto_composes_the_email_and_shows_what_happened() {
    let Some((browser, site)) = contact_page_of(Site::mailto) else {
        return;
    };
    send_valid_form(&browser);
    browser.wait_until(
        "document.getElementById('contact-sent').hidden === false",
        WAIT,
    );
    assert_eq!(browser.active_element()["id"], "contact-sent");
    assert!(browser.current_url().ends_with("/contact/"));
    let url = browser.eval("document.querySelector('[data-mail-retry]').href");
    let url = url.as_str().unwrap();
    assert!(
        url.starts_with("mailto:hello@aimtowin.test?subject=Workshop&body="),
        "{url}"
    );
    assert!(
        url.contains("Our%20team%20would%20like%20a%20workshop.%0D%0ANext%20month%3F"),
        "{url}"
    );
    assert!(url.contains("Name%3A%20Ada%20Lovelace"), "{url}");
    assert!(url.contains("E-mail%3A%20ada%40example.org"), "{url}");
    assert!(url.contains("Phone%3A%20020%207946%200001"), "{url}");
    assert!(site.server.posts().is_empty());
    assert_eq!(
        browser.eval(
            "document.querySelector('#contact-sent [data-email-link] a').getAttribute('href')"
        ),
        "mailto:hello@aimtowin.test"
    );
    no_console_errors(&browser);
}

#[test]
fn custom_backend_posts_the_mapped_fields_and_lands_on_the_thanks_page() {
    let Some((browser, site)) =
        contact_page_of(|| Site::posting_to_thanks(CUSTOM_KEYS, CUSTOM_FIELDS))
    else {
        return;
    };
    send_valid_form(&browser);
    wait_for_thanks_page(&browser);
    assert_eq!(
        browser.eval("document.querySelector('h1').textContent"),
        "Thank you for your message"
    );
    let posts = site.server.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].path, format!("{PREFIX}submit"));
    let form = posts[0].form();
    let value = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(value("full_name"), Some("Ada Lovelace"));
    assert_eq!(value("reply_to"), Some("ada@example.org"));
    assert_eq!(value("phone"), Some("020 7946 0001"));
    assert_eq!(value("subject"), Some("Workshop"));
    assert_eq!(
        value("message"),
        Some("Our team would like a workshop.\r\nNext month?")
    );
    assert_eq!(value("consent"), Some("yes"));
    assert_eq!(value("website"), Some(""), "the honeypot is sent empty");
    let thanks_url = site.server.url("contact/thanks/");
    assert_eq!(value("_next"), Some(thanks_url.as_str()));
    assert_eq!(value("name"), None);
    no_console_errors(&browser);
}

#[test]
fn custom_backend_on_another_site_is_allowed_by_the_content_security_policy() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let endpoint_files = temp_dir();
    let endpoint = StaticServer::serve(endpoint_files.path());
    let keys = format!(
        "backend = \"custom\"\naction = \"{}\"\n",
        endpoint.url("forms/contact")
    );
    let site = Site::with(&keys, "");
    open_contact(&browser, &site);
    let policy = browser.eval(
        "document.querySelector('meta[http-equiv=Content-Security-Policy i]')?.content ?? ''",
    );
    send_valid_form(&browser);
    browser.wait_until(
        &format!("location.href.startsWith('{}')", endpoint.origin()),
        WAIT,
    );
    let posts = endpoint.posts();
    assert_eq!(
        posts.len(),
        1,
        "the form did not reach {} (CSP: {policy})",
        endpoint.origin()
    );
    assert_eq!(posts[0].path, "/forms/contact");
    assert!(site.server.posts().is_empty());
    let violations: Vec<Value> = browser.csp_violations();
    assert!(violations.is_empty(), "{violations:?}");
}

#[test]
fn custom_backend_drops_a_filled_honeypot() {
    let Some((browser, site)) = contact_page_of(Site::custom) else {
        return;
    };
    fill_valid(&browser);
    browser.execute(
        "document.getElementById('contact-trap').value = 'https://spam.example';",
        &[],
    );
    submit(&browser);
    browser.wait_until("location.pathname.endsWith('/contact/thanks/')", WAIT);
    assert!(site.server.posts().is_empty(), "{:?}", site.server.posts());
}

#[test]
fn netlify_backend_posts_to_the_thanks_page() {
    let Some((browser, site)) = contact_page_of(Site::netlify) else {
        return;
    };
    send_valid_form(&browser);
    wait_for_thanks_page(&browser);
    let posts = site.server.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].path, thanks_path());
    assert_eq!(posts[0].form_value("form-name").as_deref(), Some("contact"));
    assert_eq!(posts[0].form_value("bot-field").as_deref(), Some(""));
    assert_eq!(posts[0].form_value("name").as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        posts[0].form_value("email").as_deref(),
        Some("ada@example.org")
    );
    assert_eq!(posts[0].form_value("subject").as_deref(), Some("Workshop"));
}

#[test]
fn without_javascript_the_mailto_page_offers_a_mailto_link() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::mailto();
    browser.disable_javascript();
    browser.open(&site.contact_url());
    assert_eq!(
        browser.eval("document.querySelector('form').noValidate"),
        false
    );
    assert_eq!(
        browser.eval("document.querySelector('form').getBoundingClientRect().height"),
        0,
        "the mailto form needs the script and should stay hidden"
    );
    // With scripting off, <noscript> content is part of the page.
    let links = browser.eval(
        "Array.from(document.querySelectorAll('main a[href^=\"mailto:\"]'))
            .filter(a => a.getBoundingClientRect().height > 0)
            .map(a => [a.getAttribute('href'), a.textContent])",
    );
    let links = links.as_array().unwrap();
    assert!(
        links.len() >= 2,
        "expected the mailto link in the form's place and in the details: {links:?}"
    );
    for link in links {
        assert_eq!(
            link,
            &json!(["mailto:hello@aimtowin.test", "hello@aimtowin.test"])
        );
    }
}

#[test]
fn without_javascript_the_post_form_still_posts() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::posting_to_thanks("backend = \"custom\"\naction = \"{endpoint}\"\n", "");
    browser.disable_javascript();
    browser.open(&site.contact_url());
    assert_eq!(
        browser.eval("[document.querySelector('form').getAttribute('method'), document.querySelector('form').action]"),
        json!(["post", site.server.url("submit")])
    );
    // The browser's own checks stop an empty form.
    submit(&browser);
    std::thread::sleep(Duration::from_millis(300));
    assert!(site.server.posts().is_empty());
    assert!(browser.current_url().ends_with("/contact/"));

    send_valid_form(&browser);
    browser.wait_until("location.pathname.endsWith('/contact/thanks/')", WAIT);
    let posts = site.server.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(
        posts[0].form_value("email").as_deref(),
        Some("ada@example.org")
    );
}

/// Not a check: saves screenshots of the form, empty and after an empty submit, at a phone's
/// and a desktop's width, into the folder named by `AIMSITE_CONTACT_SCREENSHOTS`.
#[test]
fn screenshots_for_review() {
    let Some(folder) = std::env::var_os("AIMSITE_CONTACT_SCREENSHOTS") else {
        return;
    };
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let folder = PathBuf::from(folder);
    let site = Site::mailto();
    for (width, height) in [(375, 2400), (1280, 1900)] {
        browser.set_window_size(width, height);
        open_contact(&browser, &site);
        browser.screenshot(folder.join(format!("contact-{width}-empty.png")));
        submit(&browser);
        browser.screenshot(folder.join(format!("contact-{width}-errors.png")));
    }
    browser.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    );
    browser.set_window_size(375, 2400);
    open_contact(&browser, &site);
    submit(&browser);
    browser.screenshot(folder.join("contact-375-errors-dark.png"));
}
