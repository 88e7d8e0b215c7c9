//! Embeds (`{{ youtube(...) }}`, `{{ vimeo(...) }}`, `{{ booking(...) }}`, `{{ map(...) }}`)
//! in headless Chromium, on the site built
//! from `tests/embeds_fixture`, served with the Content-Security-Policy of its `_headers`:
//! the placeholder holds the frame's size, nothing from the provider is asked for before a
//! click, "Load once" loads one frame on one page, "Always allow" lasts, and without JavaScript
//! the placeholder is a link.
//!
//! Skipped (with a message) when Chromium or chromedriver is missing; see tests/support.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{Browser, StaticServer, TempDir, Value, aimsite, browser_or_skip, json, temp_dir};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/embeds_fixture");
const WAIT: Duration = Duration::from_secs(10);
const FRAME: &str = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ";

/// The fixture, built for and served by a local server that sends the headers `_headers`
/// gives every page (the CSP among them).
struct Site {
    _dir: TempDir,
    server: StaticServer,
}

impl Site {
    fn build() -> Site {
        let dir = temp_dir();
        let out: PathBuf = dir.path().join("public");
        let server = StaticServer::serve(&out);
        let output = aimsite()
            .args(["build", "--base-url", &server.base_url(), "--root"])
            .arg(Path::new(FIXTURE))
            .arg("--output")
            .arg(&out)
            .output()
            .expect("could not run aimsite");
        assert!(
            output.status.success(),
            "the fixture did not build:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let headers = fs::read_to_string(out.join("_headers")).expect("_headers");
        for (name, value) in headers_for_every_page(&headers) {
            server.set_header(&name, &value);
        }
        Site { _dir: dir, server }
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }
}

/// The headers of the `/*` rule of `_headers`.
fn headers_for_every_page(text: &str) -> Vec<(String, String)> {
    let mut in_rule = false;
    let mut headers = Vec::new();
    for line in text.lines() {
        if !line.starts_with(char::is_whitespace) {
            in_rule = line.trim() == "/*";
        } else if in_rule && let Some((name, value)) = line.trim().split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    assert!(
        headers
            .iter()
            .any(|(name, _)| name == "Content-Security-Policy"),
        "no CSP in _headers:\n{text}"
    );
    headers
}

fn browser_and_site() -> Option<(Browser, Site)> {
    let browser = browser_or_skip()?;
    browser.set_window_size(390, 844);
    Some((browser, Site::build()))
}

/// Opens a page as a first-time visitor unless `keep_cookies`, and waits for it to load.
fn open(browser: &Browser, url: &str, keep_cookies: bool) {
    if !keep_cookies {
        browser.cdp("Network.clearBrowserCookies", json!({}));
    }
    browser.open(url);
    browser.wait_until("document.readyState === 'complete'", WAIT);
    browser.eval("document.getAnimations().forEach((a) => a.finish()) || 1");
}

/// The frame's `src` attribute, or null while it is not loaded.
fn frame_src(browser: &Browser) -> Value {
    browser.eval("document.querySelector('[data-embed] iframe').getAttribute('src')")
}

/// The box of the element `selector`, as [width, height], 0 when it is not shown.
fn size(browser: &Browser, selector: &str) -> (f64, f64) {
    let rect = browser.eval(&format!(
        "(() => {{ const r = document.querySelector('{selector}').getBoundingClientRect();
            return [r.width, r.height]; }})()"
    ));
    (
        rect[0].as_f64().unwrap_or_default(),
        rect[1].as_f64().unwrap_or_default(),
    )
}

/// The addresses of everything the page has fetched from the video's provider.
fn provider_requests(browser: &Browser) -> Value {
    browser.eval(
        "performance.getEntriesByType('resource').map((e) => e.name)
            .filter((n) => /youtube|vimeo|ytimg|googlevideo|cal\\.com|openstreetmap|google\\.com/.test(n))",
    )
}

fn assert_no_csp_violations(browser: &Browser, page: &str) {
    let violations = browser.csp_violations();
    assert!(
        violations.is_empty(),
        "CSP violations on {page}: {violations:?}"
    );
}

#[test]
fn the_placeholder_holds_the_frames_size_and_load_once_loads_it_here_only() {
    let Some((browser, site)) = browser_and_site() else {
        return;
    };
    open(&browser, &site.url("video/"), false);
    let (width, height) = size(&browser, ".embed__placeholder");
    assert!(width > 300.0, "the placeholder is {width} px wide");
    assert!(
        (height - width * 9.0 / 16.0).abs() < 1.0,
        "the placeholder is {width} x {height}, not 16:9"
    );
    assert_eq!(
        frame_src(&browser),
        Value::Null,
        "the frame loaded before a click"
    );
    assert_eq!(provider_requests(&browser), json!([]));
    let placeholder_text = browser.eval("document.querySelector('.embed__placeholder').innerText");
    let text = placeholder_text.as_str().unwrap_or_default();
    assert!(
        text.contains("YouTube") && text.contains("marketing cookies"),
        "{text}"
    );
    assert_eq!(
        browser.eval("document.querySelector('[data-embed-action=always]').textContent"),
        "Always allow Marketing"
    );

    browser.click("[data-embed-action=once]");
    browser.wait_until(
        "document.querySelector('[data-embed] iframe').hasAttribute('src')",
        WAIT,
    );
    assert_eq!(frame_src(&browser), FRAME);
    assert_eq!(
        size(&browser, "[data-embed] iframe"),
        (width, height),
        "the frame does not take the placeholder's place exactly"
    );
    assert_eq!(size(&browser, ".embed__placeholder"), (0.0, 0.0));
    let shift = browser.eval(
        "new Promise((resolve) => { let total = 0;
            new PerformanceObserver((list) => { for (const e of list.getEntries()) total += e.value; })
                .observe({ type: 'layout-shift', buffered: true });
            setTimeout(() => resolve(total), 300); })",
    );
    assert_eq!(shift.as_f64(), Some(0.0), "the page moved");
    assert_no_csp_violations(&browser, "/video/");
    assert!(
        browser.cookies().is_empty(),
        "Load once stored something: {:?}",
        browser
            .cookies()
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    );

    // Once means once: the next visit asks again, and other pages load no embed code.
    open(&browser, &site.url("video/"), true);
    assert_eq!(frame_src(&browser), Value::Null);
    assert_eq!(provider_requests(&browser), json!([]));
    open(&browser, &site.url(""), true);
    assert_eq!(
        browser.eval("document.querySelectorAll('script[src*=embeds], link[href*=embeds], [data-embed]').length"),
        0
    );
    assert_no_csp_violations(&browser, "/");
}

#[test]
fn always_allow_lasts_across_reloads_and_pages() {
    let Some((browser, site)) = browser_and_site() else {
        return;
    };
    open(&browser, &site.url("video/"), false);
    browser.click("[data-embed-action=always]");
    browser.wait_until(
        "document.querySelector('[data-embed] iframe').hasAttribute('src')",
        WAIT,
    );
    assert_eq!(
        browser.eval("document.getElementById('consent').hidden"),
        true,
        "the banner still asks"
    );
    let consent = browser
        .cookies()
        .into_iter()
        .find(|cookie| cookie.name == "cookie_consent")
        .expect("no consent cookie");
    assert!(consent.value.contains("marketing"), "{}", consent.value);
    assert_no_csp_violations(&browser, "/video/");

    open(&browser, &site.url("video/"), true);
    browser.wait_until(
        "document.querySelector('[data-embed] iframe').hasAttribute('src')",
        WAIT,
    );
    assert_eq!(frame_src(&browser), FRAME);
    assert_eq!(size(&browser, ".embed__placeholder"), (0.0, 0.0));
    open(&browser, &site.url("vimeo/"), true);
    browser.wait_until(
        "document.querySelector('[data-embed] iframe').hasAttribute('src')",
        WAIT,
    );
    assert_eq!(
        frame_src(&browser),
        "https://player.vimeo.com/video/76979871?dnt=1"
    );
    assert_no_csp_violations(&browser, "/vimeo/");
}

#[test]
fn without_javascript_the_placeholder_is_a_link() {
    let Some((browser, site)) = browser_and_site() else {
        return;
    };
    browser.disable_javascript();
    open(&browser, &site.url("video/"), false);
    assert_eq!(
        browser.eval("document.querySelector('.embed__link a').href"),
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    );
    assert_eq!(
        browser.eval("getComputedStyle(document.querySelector('.embed__actions')).visibility"),
        "hidden",
        "buttons that would do nothing are shown"
    );
    assert_eq!(frame_src(&browser), Value::Null);
    let (width, height) = size(&browser, ".embed__placeholder");
    assert!(
        (height - width * 9.0 / 16.0).abs() < 1.0,
        "{width} x {height}"
    );
}

/// The `src` of the frame of the embed `index` on the page, or null while it is not loaded.
fn nth_frame_src(browser: &Browser, index: usize) -> Value {
    browser.eval(&format!(
        "document.querySelectorAll('[data-embed] iframe')[{index}].getAttribute('src')"
    ))
}

#[test]
fn a_booking_calendar_waits_for_its_own_category_and_keeps_its_height() {
    let Some((browser, site)) = browser_and_site() else {
        return;
    };
    open(&browser, &site.url("booking/"), false);
    let (width, height) = size(&browser, ".embed__placeholder");
    assert!(width > 300.0, "the placeholder is {width} px wide");
    assert_eq!(height, 704.0, "the placeholder is not the frame's 44rem");
    assert_eq!(frame_src(&browser), Value::Null);
    assert_eq!(provider_requests(&browser), json!([]));
    let text = browser.eval("document.querySelector('.embed__placeholder').innerText");
    let text = text.as_str().unwrap_or_default();
    assert!(
        text.contains("Cal.com") && text.contains("booking cookies"),
        "{text}"
    );
    assert_eq!(
        browser.eval("document.querySelector('.embed__link a').href"),
        "https://cal.com/aim-to-win/intro"
    );
    // The banner asks about the category the calendar is gated by.
    assert_eq!(
        browser.eval("document.querySelector('[data-embed-action=always]').textContent"),
        "Always allow Booking"
    );

    browser.click("[data-embed-action=always]");
    browser.wait_until(
        "document.querySelector('[data-embed] iframe').hasAttribute('src')",
        WAIT,
    );
    assert_eq!(
        frame_src(&browser),
        "https://cal.com/aim-to-win/intro?embed=true"
    );
    assert_eq!(size(&browser, "[data-embed] iframe"), (width, height));
    assert_no_csp_violations(&browser, "/booking/");
    let consent = browser
        .cookies()
        .into_iter()
        .find(|cookie| cookie.name == "cookie_consent")
        .expect("no consent cookie");
    assert!(consent.value.contains("booking"), "{}", consent.value);
    assert!(!consent.value.contains("marketing"), "{}", consent.value);

    open(&browser, &site.url("booking/"), true);
    browser.wait_until(
        "document.querySelector('[data-embed] iframe').hasAttribute('src')",
        WAIT,
    );
    // Consent to booking is not consent to the maps' marketing.
    open(&browser, &site.url("map/"), true);
    assert_eq!(nth_frame_src(&browser, 0), Value::Null);
}

#[test]
fn maps_hold_their_size_and_load_once_loads_only_the_one_clicked() {
    let Some((browser, site)) = browser_and_site() else {
        return;
    };
    open(&browser, &site.url("map/"), false);
    let (width, height) = size(&browser, ".embed__placeholder");
    assert!(
        (height - width * 3.0 / 4.0).abs() < 1.0,
        "the map's placeholder is {width} x {height}, not 4:3"
    );
    assert_eq!(provider_requests(&browser), json!([]));
    let text = browser.eval("document.querySelector('.embed__placeholder').innerText");
    assert!(
        text.as_str().unwrap_or_default().contains("OpenStreetMap"),
        "{text}"
    );
    browser.click("[data-embed-action=once]");
    browser.wait_until(
        "document.querySelector('[data-embed] iframe').hasAttribute('src')",
        WAIT,
    );
    let src = nth_frame_src(&browser, 0);
    assert!(
        src.as_str()
            .unwrap_or_default()
            .starts_with("https://www.openstreetmap.org/export/embed.html?bbox="),
        "{src}"
    );
    assert_eq!(size(&browser, "[data-embed] iframe"), (width, height));
    assert_eq!(
        nth_frame_src(&browser, 1),
        Value::Null,
        "the Google map loaded too"
    );
    browser.eval("document.querySelectorAll('[data-embed-action=once]')[1].click() || 1");
    browser.wait_until(
        "document.querySelectorAll('[data-embed] iframe')[1].hasAttribute('src')",
        WAIT,
    );
    assert_eq!(
        nth_frame_src(&browser, 1),
        "https://www.google.com/maps?q=Big+Ben%2C+London&output=embed"
    );
    assert_no_csp_violations(&browser, "/map/");
    assert!(browser.cookies().is_empty(), "Load once stored something");
}
