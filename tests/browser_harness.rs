//! Proves the test harness in `tests/support` works, on a small hand-written site (not on
//! aimsite's output): the static server on its own, then the server and headless Chromium.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use support::{Key, StaticServer, Value, browser_or_skip, temp_dir, write_file};

/// Writes the fixture site into `root`.
fn write_fixture(root: &Path) {
    write_file(
        root.join("index.html"),
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Fixture</title><link rel="icon" href="data:,"></head>
<body>
  <button id="go" type="button">Go</button>
  <label for="name">Name</label> <input id="name">
  <a id="link" href="/other/">Other</a>
  <script src="/app.js"></script>
</body>
</html>
"#,
    );
    write_file(
        root.join("app.js"),
        "window.appLoaded = true;\n\
         document.getElementById('go').addEventListener('click', () => {\n\
           window.clicked = (window.clicked || 0) + 1;\n\
         });\n",
    );
    write_file(
        root.join("csp/index.html"),
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>CSP</title><link rel="icon" href="data:,"></head>
<body>
  <script>window.inlineRan = true;</script>
  <script src="/app.js"></script>
</body>
</html>
"#,
    );
    write_file(
        root.join("contact/index.html"),
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Contact</title><link rel="icon" href="data:,"></head>
<body>
  <form method="post" action="/contact/">
    <label>Email <input id="email" name="email" type="email"></label>
    <label>Message <textarea id="message" name="message"></textarea></label>
    <button id="send" type="submit">Send</button>
  </form>
</body>
</html>
"#,
    );
    write_file(
        root.join("thanks/index.html"),
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Thanks</title>
<link rel="icon" href="data:,"></head><body><h1>Thanks</h1></body></html>
"#,
    );
    write_file(
        root.join("404.html"),
        "<!doctype html><title>Not found</title>\n",
    );
    write_file(root.join("style.css"), "body { margin: 0 }\n");
}

/// Sends one raw HTTP request; returns the status code and the whole response text.
fn raw_request(server: &StaticServer, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(server.addr()).expect("could not connect to the server");
    stream
        .write_all(request.as_bytes())
        .expect("could not send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("could not read the response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    (status, response)
}

fn get(server: &StaticServer, path: &str) -> (u16, String) {
    raw_request(
        server,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    )
}

#[test]
fn static_server_serves_files_and_records_posts() {
    let site = temp_dir();
    write_fixture(site.path());
    let server = StaticServer::builder(site.path())
        .header("X-Test", "yes")
        .post_redirect("/thanks/")
        .start();

    let (status, response) = get(&server, "/");
    assert_eq!(status, 200);
    assert!(response.contains("Content-Type: text/html; charset=utf-8"));
    assert!(response.contains("X-Test: yes"));
    assert!(response.contains("<title>Fixture</title>"));

    let (status, response) = get(&server, "/style.css");
    assert_eq!(status, 200);
    assert!(response.contains("Content-Type: text/css; charset=utf-8"));

    let (status, response) = get(&server, "/thanks");
    assert_eq!(status, 301);
    assert!(response.contains("Location: /thanks/"));

    let (status, response) = get(&server, "/missing/");
    assert_eq!(status, 404);
    assert!(response.contains("<title>Not found</title>"));

    assert_eq!(get(&server, "/../etc/passwd").0, 400);
    assert_eq!(get(&server, "/%2e%2e/etc/passwd").0, 400);

    let (status, response) = raw_request(
        &server,
        "POST /contact/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 24\r\n\r\n\
         email=a%40b.c&message=hi",
    );
    assert_eq!(status, 303);
    assert!(response.contains("Location: /thanks/"));
    let posts = server.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].path, "/contact/");
    assert_eq!(
        posts[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(posts[0].form_value("email").as_deref(), Some("a@b.c"));
    assert_eq!(posts[0].form_value("message").as_deref(), Some("hi"));
}

#[test]
fn static_server_serves_under_a_path_prefix() {
    let site = temp_dir();
    write_fixture(site.path());
    let server = StaticServer::builder(site.path())
        .prefix("/aimtowin/")
        .start();
    assert_eq!(server.base_url(), format!("{}/aimtowin/", server.origin()));
    assert_eq!(get(&server, "/aimtowin/").0, 200);
    assert_eq!(get(&server, "/aimtowin/app.js").0, 200);
    assert_eq!(get(&server, "/aimtowin").0, 301);
    assert_eq!(get(&server, "/").0, 404);
    assert_eq!(get(&server, "/app.js").0, 404);
}

#[test]
fn browser_clicks_types_and_presses_keys() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = temp_dir();
    write_fixture(site.path());
    let server = StaticServer::serve(site.path());

    browser.open(&server.url("/"));
    assert_eq!(browser.eval("window.appLoaded"), Value::Bool(true));
    assert_eq!(browser.eval("window.clicked"), Value::Null);
    browser.click("#go");
    browser.click("#go");
    assert_eq!(browser.eval("window.clicked"), Value::from(2));

    browser.type_text("#name", "Ada");
    assert_eq!(browser.eval("document.getElementById('name').value"), "Ada");
    assert_eq!(browser.active_element()["id"], "name");
    browser.press(Key::Tab);
    assert_eq!(browser.active_element()["id"], "link");
    browser.press(Key::ShiftTab);
    assert_eq!(browser.active_element()["id"], "name");
    browser.press(Key::Escape);

    browser.eval("(document.cookie = 'visible=1; path=/', 1)");
    assert_eq!(browser.document_cookie(), "visible=1");
    let cookies = browser.cookies();
    assert!(
        cookies
            .iter()
            .any(|c| c.name == "visible" && c.value == "1" && !c.http_only),
        "{cookies:?}"
    );

    browser.set_window_size(375, 667);
    assert_eq!(
        browser.eval("[window.innerWidth, window.innerHeight]"),
        serde_json::json!([375, 667])
    );

    browser.click("#link"); // to /other/, which is missing: 404.html
    assert!(browser.current_url().ends_with("/other/"));
    assert_eq!(browser.eval("document.title"), "Not found");
    assert!(
        browser
            .console_errors()
            .iter()
            .any(|e| e.contains("/other/") && e.contains("404")),
        "{:?}",
        browser.console_errors()
    );

    let shot = site.path().join("shot.png");
    browser.screenshot(&shot);
    let png = std::fs::read(&shot).expect("screenshot was not written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
}

#[test]
fn browser_without_javascript_runs_no_script() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = temp_dir();
    write_fixture(site.path());
    let server = StaticServer::serve(site.path());

    browser.disable_javascript();
    browser.open(&server.url("/"));
    browser.click("#go");
    assert_eq!(browser.eval("window.appLoaded"), Value::Null);
    assert_eq!(browser.eval("window.clicked"), Value::Null);
    assert_eq!(browser.eval("document.title"), "Fixture");
}

#[test]
fn browser_collects_csp_violations() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = temp_dir();
    write_fixture(site.path());
    let server = StaticServer::builder(site.path())
        .header("Content-Security-Policy", "script-src 'self'")
        .start();

    browser.open(&server.url("/csp/"));
    assert_eq!(browser.eval("window.appLoaded"), Value::Bool(true));
    assert_eq!(browser.eval("window.inlineRan"), Value::Null);
    let violations = browser.csp_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0]["directive"], "script-src-elem");
    assert_eq!(violations[0]["blockedURI"], "inline");
    assert!(
        browser
            .console_errors()
            .iter()
            .any(|e| e.contains("Content Security Policy")),
        "{:?}",
        browser.console_errors()
    );
}

#[test]
fn browser_form_post_is_recorded() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = temp_dir();
    write_fixture(site.path());
    let server = StaticServer::builder(site.path())
        .post_redirect("/thanks/")
        .start();

    browser.open(&server.url("/contact/"));
    browser.type_text("#email", "ada@example.org");
    browser.type_text("#message", "Hello & welcome");
    browser.click("#send");
    browser.wait_until(
        "location.pathname === '/thanks/' && document.readyState === 'complete'",
        Duration::from_secs(10),
    );
    assert_eq!(
        browser.eval("document.querySelector('h1').textContent"),
        "Thanks"
    );

    let posts = server.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].path, "/contact/");
    assert_eq!(
        posts[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        posts[0].form(),
        vec![
            ("email".to_string(), "ada@example.org".to_string()),
            ("message".to_string(), "Hello & welcome".to_string()),
        ]
    );
}
