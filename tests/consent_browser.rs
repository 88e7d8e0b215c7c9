//! The cookie-consent banner in headless Chromium, on the real site built from
//! `tests/consent_fixture` by the aimsite binary and served on 127.0.0.1.
//!
//! The fixture gates two probes on every page: an inline script in Markdown (`analytics`: sets
//! the cookies `probe_analytics` and, on /other/, `probe_analytics_deep` with a deeper path, and
//! counts runs in `window.probeAnalytics`) and a file from a template (`marketing`: sets
//! `_mkt_probe`, counts in `window.probeMarketing`). /other/ also has a gated iframe.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use support::{
    Browser, Key, StaticServer, TempDir, Value, aimsite, browser_or_skip, copy_folder, json,
    temp_dir,
};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/consent_fixture");
const CONSENT_COOKIE: &str = "cookie_consent";

/// The fixture copied to a temporary folder (so that a test may change its settings), built,
/// and served.
struct Site {
    source: TempDir,
    _output: TempDir,
    site: PathBuf,
    server: StaticServer,
}

impl Site {
    fn build() -> Site {
        let source = temp_dir();
        copy_folder(Path::new(FIXTURE), source.path());
        let output = temp_dir();
        let site = output.path().join("site");
        let server = StaticServer::serve(&site);
        let built = Site {
            source,
            _output: output,
            site,
            server,
        };
        built.rebuild();
        built
    }

    fn rebuild(&self) {
        let result = self
            .build_command()
            .arg("--base-url")
            .arg(self.server.base_url())
            .output()
            .expect("could not run aimsite");
        assert!(
            result.status.success(),
            "the fixture did not build:\n{}",
            String::from_utf8_lossy(&result.stderr)
        );
    }

    /// Builds for the base URL of the fixture's settings, whether the build succeeds or not.
    fn build_for_own_base_url(&self) -> Output {
        self.build_command()
            .output()
            .expect("could not run aimsite")
    }

    fn build_command(&self) -> Command {
        let mut command = aimsite();
        command
            .arg("build")
            .arg("--root")
            .arg(self.source.path())
            .arg("--output")
            .arg(&self.site);
        command
    }

    fn edit_settings(&self, edit: impl FnOnce(String) -> String) {
        let path = self.source.path().join("site.toml");
        let settings = fs::read_to_string(&path).unwrap();
        fs::write(&path, edit(settings)).unwrap();
    }

    /// Adds `lines` to `[consent]` and builds again.
    fn add_consent_settings(&self, lines: &str) {
        self.edit_settings(|settings| {
            settings.replace("[consent]\n", &format!("[consent]\n{lines}\n"))
        });
        self.rebuild();
    }

    /// Changes `revision` in the fixture's settings and builds again.
    fn set_revision(&self, revision: u32) {
        self.edit_settings(|settings| {
            assert!(settings.contains("revision = 1\n"));
            settings.replace("revision = 1\n", &format!("revision = {revision}\n"))
        });
        self.rebuild();
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }
}

/// A browser on `path` of a freshly built fixture; `None` when the test is skipped.
fn open_fresh_site(path: &str) -> Option<(Browser, Site)> {
    let browser = browser_or_skip()?;
    let site = Site::build();
    open(&browser, &site.url(path));
    Some((browser, site))
}

fn banner_visible(browser: &Browser) -> bool {
    browser.eval(
        "(() => { const b = document.getElementById('consent');
            return !!b && !b.hidden && getComputedStyle(b).display !== 'none'; })()",
    ) == Value::Bool(true)
}

fn choices_open(browser: &Browser) -> bool {
    browser.eval("!document.getElementById('consent-choices').hidden") == Value::Bool(true)
}

fn cookie_names(browser: &Browser) -> Vec<String> {
    let mut names: Vec<String> = browser
        .cookies()
        .into_iter()
        .map(|cookie| cookie.name)
        .collect();
    names.sort();
    names
}

/// How many gated embeds still wait behind their placeholder.
fn embed_placeholders(browser: &Browser) -> Value {
    browser.eval("document.querySelectorAll('.consent-embed').length")
}

/// Waits for the gated frame of /other/ to load in place of its placeholder.
fn assert_frame_loaded(browser: &Browser) {
    browser.wait_until(
        "document.querySelector('iframe[data-consent]').contentDocument?.getElementById('frame-text') !== null",
        Duration::from_secs(5),
    );
    assert_eq!(embed_placeholders(browser), 0);
}

/// How many times each probe ran on this page (0 when it did not).
fn probes(browser: &Browser) -> (u64, u64) {
    let count = |name: &str| {
        browser
            .eval(&format!("window.{name} || 0"))
            .as_u64()
            .unwrap_or(0)
    };
    (count("probeAnalytics"), count("probeMarketing"))
}

/// Opens a page and ends the banner's slide-in, as a visitor would wait for it before clicking.
fn open(browser: &Browser, url: &str) {
    browser.open(url);
    browser.wait_until(
        "document.readyState === 'complete'",
        Duration::from_secs(10),
    );
    finish_animations(browser);
}

/// The sum of all layout shifts of the page so far.
fn layout_shift(browser: &Browser) -> f64 {
    browser
        .eval(
            "new Promise((resolve) => {
                let total = 0;
                new PerformanceObserver((list) => {
                    for (const entry of list.getEntries()) total += entry.value;
                }).observe({ type: 'layout-shift', buffered: true });
                setTimeout(() => resolve(total), 300);
            })",
        )
        .as_f64()
        .expect("no layout shift total")
}

fn assert_no_console_errors(browser: &Browser) {
    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// The size and style of Accept all, Reject all and Choose.
fn first_layer_buttons(browser: &Browser) -> Vec<Value> {
    let buttons = browser.eval(
        "[...document.querySelectorAll('.consent__actions > *')].map((b) => {
            const r = b.getBoundingClientRect(); const s = getComputedStyle(b);
            return { tag: b.tagName, text: b.textContent, width: r.width, height: r.height,
                     top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                     weight: s.fontWeight, size: s.fontSize, background: s.backgroundColor,
                     color: s.color };
        })",
    );
    buttons.as_array().cloned().unwrap_or_default()
}

/// Clicks the footer's Cookie settings button and waits for the banner.
fn open_cookie_settings(browser: &Browser) {
    browser.click(".site-footer [data-consent-action=settings]");
    finish_animations(browser);
}

/// Ends the banner's slide-in, so that positions are final.
fn finish_animations(browser: &Browser) {
    browser.eval("document.getAnimations().forEach((a) => a.finish()) || 1");
}

/// Accept all, Reject all and Choose are the same element, size and weight, inside the viewport.
fn assert_equal_buttons_in_view(browser: &Browser, width: f64, height: f64) {
    finish_animations(browser);
    let buttons = first_layer_buttons(browser);
    let texts: Vec<&str> = buttons
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Accept all", "Reject all", "Choose"]);
    let first = &buttons[0];
    for button in &buttons {
        for key in ["tag", "weight", "size", "background", "color"] {
            assert_eq!(button[key], first[key], "{key} differs: {buttons:#?}");
        }
        for key in ["width", "height"] {
            let (a, b) = (button[key].as_f64().unwrap(), first[key].as_f64().unwrap());
            assert!((a - b).abs() < 0.5, "{key} differs: {buttons:#?}");
        }
        assert!(button["top"].as_f64().unwrap() >= 0.0, "{button}");
        assert!(button["left"].as_f64().unwrap() >= 0.0, "{button}");
        assert!(
            button["bottom"].as_f64().unwrap() <= height,
            "below the fold at {width}x{height}: {button}"
        );
        assert!(button["right"].as_f64().unwrap() <= width, "{button}");
    }
}

#[test]
fn first_visit_shows_the_banner_and_sets_no_cookie() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::build();
    browser.set_window_size(375, 667);
    open(&browser, &site.url("/"));

    assert!(banner_visible(&browser));
    assert!(!choices_open(&browser));
    assert_eq!(cookie_names(&browser), Vec::<String>::new());
    assert_eq!(probes(&browser), (0, 0));
    let label = browser.eval(
        "(() => { const b = document.getElementById('consent');
            return [b.localName, document.getElementById(b.getAttribute('aria-labelledby')).textContent,
                    document.querySelector('#consent a').getAttribute('href')]; })()",
    );
    assert_eq!(label, json!(["section", "Cookies", "/privacy/"]));
    assert_equal_buttons_in_view(&browser, 375.0, 667.0);
    assert_eq!(layout_shift(&browser), 0.0);
    // The banner is fixed to the bottom: it covers the page without moving it.
    assert_eq!(
        browser.eval("getComputedStyle(document.getElementById('consent')).position"),
        "fixed"
    );
    // The live region announces it.
    browser.wait_until(
        "document.getElementById('consent-status').textContent.startsWith('Cookies.')",
        Duration::from_secs(5),
    );

    // Every page asks until a choice is made.
    open(&browser, &site.url("/other/"));
    assert!(banner_visible(&browser));
    assert_eq!(cookie_names(&browser), Vec::<String>::new());
    // The gated frame waits behind a placeholder of its size, and nothing moved.
    let frame = browser.eval(
        "(() => { const f = document.querySelector('iframe[data-consent]'); const p = document.querySelector('.consent-embed');
            return { src: f.getAttribute('src'), hidden: f.hidden, box: !!p && p.getBoundingClientRect().height,
                     text: p && p.textContent }; })()",
    );
    assert_eq!(frame["src"], Value::Null);
    assert_eq!(frame["hidden"], true);
    assert_eq!(frame["box"], 180.0);
    assert!(
        frame["text"].as_str().unwrap().contains("127.0.0.1"),
        "{frame}"
    );
    assert!(
        frame["text"].as_str().unwrap().contains("marketing"),
        "{frame}"
    );
    assert_eq!(layout_shift(&browser), 0.0);
    assert_no_console_errors(&browser);
    // The placeholder takes exactly the frame's place: what follows sits where it sits when
    // the page paints before consent.js has run (a slow machine), frame still shown.
    let places = browser.eval(
        "(() => { const f = document.querySelector('iframe[data-consent]');
            const next = () => f.nextElementSibling.getBoundingClientRect().top;
            const withBox = next();
            f.consentBox.remove(); f.hidden = false;
            return [withBox, next()]; })()",
    );
    assert_eq!(places[0], places[1], "{places}");
}

#[test]
fn reject_runs_nothing_and_is_remembered() {
    let Some((browser, site)) = open_fresh_site("/") else {
        return;
    };
    browser.click("[data-consent-action=reject]");
    assert!(!banner_visible(&browser));
    assert_eq!(probes(&browser), (0, 0));
    assert_eq!(cookie_names(&browser), [CONSENT_COOKIE]);
    let cookie = browser.cookies().remove(0);
    assert!(
        cookie.expiry.is_some(),
        "the choice must outlive the session"
    );
    assert_eq!(cookie.same_site.as_deref(), Some("Lax"));

    for path in ["/", "/privacy/", "/other/"] {
        open(&browser, &site.url(path));
        assert!(!banner_visible(&browser), "{path}");
        assert_eq!(probes(&browser), (0, 0), "{path}");
        assert_eq!(cookie_names(&browser), [CONSENT_COOKIE], "{path}");
    }
    // On /other/, the frame loads only when asked for, this once.
    assert_eq!(
        browser.eval("document.querySelector('iframe[data-consent]').getAttribute('src')"),
        Value::Null
    );
    browser.click(".consent-embed button");
    assert_frame_loaded(&browser);
    assert_eq!(probes(&browser), (0, 0));
    assert_no_console_errors(&browser);
}

#[test]
fn accept_runs_gated_scripts_now_and_on_every_later_page() {
    let Some((browser, site)) = open_fresh_site("/") else {
        return;
    };
    assert_eq!(probes(&browser), (0, 0));
    browser.click("[data-consent-action=accept]");
    assert!(!banner_visible(&browser));
    browser.wait_until(
        "window.probeAnalytics === 1 && window.probeMarketing === 1",
        Duration::from_secs(5),
    );
    assert_eq!(
        cookie_names(&browser),
        ["_mkt_probe", CONSENT_COOKIE, "probe_analytics"]
    );

    for path in ["/", "/other/", "/privacy/", "/"] {
        open(&browser, &site.url(path));
        assert!(!banner_visible(&browser), "{path}");
        browser.wait_until("window.probeMarketing === 1", Duration::from_secs(5));
        let analytics = if path == "/privacy/" { 0 } else { 1 };
        assert_eq!(probes(&browser), (analytics, 1), "{path}");
    }
    open(&browser, &site.url("/other/"));
    assert_frame_loaded(&browser);
    assert_no_console_errors(&browser);
}

#[test]
fn choosing_one_category_runs_only_its_scripts() {
    let Some((browser, site)) = open_fresh_site("/") else {
        return;
    };
    browser.click("[data-consent-action=choose]");
    assert!(choices_open(&browser));
    assert_eq!(
        browser.eval(
            "document.querySelector('[data-consent-action=choose]').getAttribute('aria-expanded')"
        ),
        "true"
    );
    let switches = browser.eval(
        "[...document.querySelectorAll('#consent-choices input')].map((s) =>
            [s.id, s.checked, s.disabled, s.getAttribute('role'), s.labels[0].textContent.trim()])",
    );
    assert_eq!(
        switches,
        json!([
            [
                "consent-category-necessary",
                true,
                true,
                "switch",
                "Necessary (Always on)"
            ],
            [
                "consent-category-analytics",
                false,
                false,
                "switch",
                "Analytics"
            ],
            [
                "consent-category-marketing",
                false,
                false,
                "switch",
                "Marketing"
            ],
        ])
    );
    browser.click("label[for=consent-category-analytics]");
    browser.click("[data-consent-action=save]");
    assert!(!banner_visible(&browser));
    browser.wait_until("window.probeAnalytics === 1", Duration::from_secs(5));
    assert_eq!(probes(&browser), (1, 0));
    assert_eq!(cookie_names(&browser), [CONSENT_COOKIE, "probe_analytics"]);
    browser.wait_until(
        "document.getElementById('consent-status').textContent === 'Your cookie choice is saved.'",
        Duration::from_secs(5),
    );

    open(&browser, &site.url("/other/"));
    assert!(!banner_visible(&browser));
    assert_eq!(probes(&browser), (1, 0));
    assert_eq!(embed_placeholders(&browser), 1);
    assert_no_console_errors(&browser);
}

#[test]
fn withdrawing_through_cookie_settings_deletes_cookies_and_stops_scripts() {
    let Some((browser, site)) = open_fresh_site("/other/") else {
        return;
    };
    browser.click("[data-consent-action=accept]");
    browser.wait_until("window.probeAnalytics === 1", Duration::from_secs(5));
    open(&browser, &site.url("/other/"));
    browser.wait_until("window.probeMarketing === 1", Duration::from_secs(5));
    assert_eq!(
        cookie_names(&browser),
        [
            "_mkt_probe",
            CONSENT_COOKIE,
            "probe_analytics",
            "probe_analytics_deep"
        ]
    );

    // The footer button reopens the choices as they stand, without moving the page.
    let heading_top = "document.querySelector('main h1').getBoundingClientRect().top + scrollY";
    let before = browser.eval(heading_top);
    assert_eq!(
        browser
            .eval("document.querySelector('.site-footer [data-consent-action=settings]').hidden"),
        false
    );
    open_cookie_settings(&browser);
    assert!(banner_visible(&browser));
    assert!(choices_open(&browser));
    assert_eq!(browser.eval(heading_top), before);
    assert_eq!(browser.active_element()["id"], "consent-category-analytics");
    assert_eq!(
        browser.eval(
            "[...document.querySelectorAll('#consent-choices input[value]')].map((s) => s.checked)"
        ),
        json!([true, true])
    );
    browser.click("label[for=consent-category-analytics]");
    browser.click("[data-consent-action=save]");
    assert!(!banner_visible(&browser));
    assert_eq!(cookie_names(&browser), ["_mkt_probe", CONSENT_COOKIE]);
    // Focus goes on to the content (the page's heading), not back to the footer.
    assert_eq!(browser.active_element()["text"], "Other page");

    for path in ["/other/", "/"] {
        open(&browser, &site.url(path));
        browser.wait_until("window.probeMarketing === 1", Duration::from_secs(5));
        assert_eq!(probes(&browser), (0, 1), "{path}");
        assert_eq!(
            cookie_names(&browser),
            ["_mkt_probe", CONSENT_COOKIE],
            "{path}"
        );
    }

    // Withdrawing everything.
    open_cookie_settings(&browser);
    browser.click("[data-consent-action=reject]");
    assert_eq!(cookie_names(&browser), [CONSENT_COOKIE]);
    open(&browser, &site.url("/"));
    assert_eq!(probes(&browser), (0, 0));
    assert_no_console_errors(&browser);
}

#[test]
fn a_cookie_set_after_withdrawal_is_deleted_on_the_next_page() {
    let Some((browser, site)) = open_fresh_site("/") else {
        return;
    };
    browser.click("[data-consent-action=reject]");
    // As if a script that ran before the withdrawal had set one more.
    browser.eval("(document.cookie = 'probe_analytics_late=1; path=/', 1)");
    open(&browser, &site.url("/privacy/"));
    assert_eq!(cookie_names(&browser), [CONSENT_COOKIE]);
}

#[test]
fn a_revision_bump_asks_again() {
    let Some((browser, site)) = open_fresh_site("/") else {
        return;
    };
    browser.click("[data-consent-action=accept]");
    open(&browser, &site.url("/"));
    assert!(!banner_visible(&browser));
    assert_eq!(probes(&browser), (1, 1));

    site.set_revision(2);
    open(&browser, &site.url("/"));
    assert!(banner_visible(&browser));
    assert_eq!(probes(&browser), (0, 0));
    // The earlier consent no longer counts, so its cookies go too.
    assert_eq!(cookie_names(&browser), [CONSENT_COOKIE]);
    browser.click("[data-consent-action=reject]");
    open(&browser, &site.url("/other/"));
    assert!(!banner_visible(&browser));
    assert_eq!(probes(&browser), (0, 0));
    assert_no_console_errors(&browser);
}

#[test]
fn an_expired_choice_asks_again() {
    let Some((browser, site)) = open_fresh_site("/") else {
        return;
    };
    browser.click("[data-consent-action=accept]");
    // The same choice, dated 183 days ago (expiry_days is 182).
    browser.eval(&format!(
        "(() => {{ const old = new Date(Date.now() - 183 * 864e5).toISOString();
            document.cookie = '{CONSENT_COOKIE}=' + encodeURIComponent(JSON.stringify({{ r: 1, d: old, c: ['analytics', 'marketing'] }})) + '; path=/';
            return 1; }})()"
    ));
    open(&browser, &site.url("/"));
    assert!(banner_visible(&browser));
    assert_eq!(probes(&browser), (0, 0));
}

#[test]
fn keyboard_reaches_the_banner_from_the_top_without_a_trap() {
    let Some((browser, _site)) = open_fresh_site("/") else {
        return;
    };
    let focused = |browser: &Browser| {
        let active = browser.active_element();
        let text = active["text"].as_str().unwrap_or_default().to_string();
        (active["tag"].as_str().unwrap_or_default().to_string(), text)
    };
    let outline = "(() => { const s = getComputedStyle(document.activeElement);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; })()";

    browser.press(Key::Tab);
    assert_eq!(focused(&browser).1, "Skip to content");
    browser.press(Key::Tab);
    assert_eq!(browser.active_element()["href"], "/privacy/");
    for name in ["Accept all", "Reject all", "Choose"] {
        browser.press(Key::Tab);
        assert_eq!(focused(&browser), ("button".to_string(), name.to_string()));
        assert_eq!(browser.eval(outline), true, "no visible focus on {name}");
    }
    browser.press(Key::Enter);
    assert!(choices_open(&browser));
    browser.press(Key::Tab);
    assert_eq!(browser.active_element()["id"], "consent-category-analytics");
    assert_eq!(
        browser.eval(outline),
        true,
        "no visible focus on the switch"
    );
    browser.press(Key::Space);
    assert_eq!(browser.eval("document.activeElement.checked"), true);

    // Escape closes the second layer without deciding.
    browser.press(Key::Escape);
    assert!(!choices_open(&browser));
    assert!(banner_visible(&browser));
    assert_eq!(
        focused(&browser),
        ("button".to_string(), "Choose".to_string())
    );
    assert_eq!(cookie_names(&browser), Vec::<String>::new());
    assert_eq!(probes(&browser), (0, 0));

    // No focus trap: Tab leaves the banner for the page.
    browser.press(Key::Tab);
    assert_eq!(focused(&browser).1, "Consent fixture");
    browser.press(Key::ShiftTab);
    browser.press(Key::ShiftTab);
    assert_eq!(focused(&browser).1, "Reject all");
    browser.press(Key::Enter);
    assert!(!banner_visible(&browser));
    assert_eq!(cookie_names(&browser), [CONSENT_COOKIE]);

    // Reopened from the footer, Escape closes the choices, then the banner.
    open_cookie_settings(&browser);
    assert!(choices_open(&browser));
    browser.press(Key::Escape);
    assert!(!choices_open(&browser));
    browser.press(Key::Escape);
    assert!(!banner_visible(&browser));
    assert_eq!(focused(&browser).1, "Cookie settings");
    assert_no_console_errors(&browser);
}

#[test]
fn without_javascript_nothing_covers_the_page_and_nothing_gated_runs() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::build();
    browser.disable_javascript();
    for path in ["/", "/other/"] {
        open(&browser, &site.url(path));
        let state = browser.eval(
            "(() => ({
                banner: getComputedStyle(document.getElementById('consent')).display,
                settings: getComputedStyle(document.querySelector('.site-footer [data-consent-action=settings]')).display,
                text: document.querySelector('main').innerText,
                frame: document.querySelector('iframe[data-consent]')?.getAttribute('src') ?? null,
            }))()",
        );
        assert_eq!(state["banner"], "none", "{path}");
        assert_eq!(state["settings"], "none", "{path}");
        assert!(
            state["text"].as_str().unwrap().len() > 20,
            "{path}: {state}"
        );
        assert_eq!(state["frame"], Value::Null, "{path}");
        assert_eq!(probes(&browser), (0, 0), "{path}");
        assert_eq!(cookie_names(&browser), Vec::<String>::new(), "{path}");
    }
    let text = browser.eval("document.querySelector('main').innerText");
    assert!(text.as_str().unwrap().contains("Text after the frame."));
}

/// consent.js shows the footer's Cookie settings button as the page loads, which on a slow
/// device happens after the first paint: its place must be kept, so that showing it moves
/// nothing (the footer sits at the bottom of short pages and would shift up). Measured by hiding
/// and showing it again, which the timing of a page load cannot make flaky.
#[test]
fn showing_the_cookie_settings_button_moves_nothing() {
    let Some((browser, _site)) = open_fresh_site("/other/") else {
        return;
    };
    let layout = |hidden: bool| {
        browser.eval(&format!(
            "(() => {{
                const button = document.querySelector('.site-footer [data-consent-action=settings]');
                button.hidden = {hidden};
                const box = (selector) => {{
                    const r = document.querySelector(selector).getBoundingClientRect();
                    return [r.top, r.height];
                }};
                return {{ footer: box('.site-footer'), main: box('main'),
                          visible: getComputedStyle(button).visibility }};
            }})()"
        ))
    };
    let (hidden, shown) = (layout(true), layout(false));
    assert_eq!(hidden["footer"], shown["footer"], "{hidden} / {shown}");
    assert_eq!(hidden["main"], shown["main"], "{hidden} / {shown}");
    assert_eq!(hidden["visible"], "hidden");
    assert_eq!(shown["visible"], "visible");
}

/// Screenshots of the banner in light and dark, narrow and wide, into
/// `target/tmp/consent-screenshots/`; checks the buttons, AA contrast and reduced motion.
#[test]
fn banner_fits_contrasts_and_respects_reduced_motion() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::build();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("consent-screenshots");
    let contrast = "(() => {
        const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
        const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
        const bg = getComputedStyle(document.getElementById('consent')).backgroundColor;
        const result = {};
        for (const selector of ['.consent__title', '.consent__message', '#consent a', '.consent__description', '.consent__status']) {
            result[selector] = ratio(getComputedStyle(document.querySelector(selector)).color, bg);
        }
        for (const b of document.querySelectorAll('#consent button')) {
            const s = getComputedStyle(b); result[b.textContent] = ratio(s.color, s.backgroundColor);
        }
        const track = getComputedStyle(document.getElementById('consent-category-analytics'));
        result.switch = ratio(track.borderTopColor, bg);
        return result;
    })()";
    for scheme in ["light", "dark"] {
        browser.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        );
        for (width, height) in [(375, 667), (1280, 800)] {
            browser.set_window_size(width, height);
            browser.cdp("Network.clearBrowserCookies", json!({}));
            open(&browser, &site.url("/"));
            assert!(banner_visible(&browser));
            assert_equal_buttons_in_view(&browser, f64::from(width), f64::from(height));
            finish_animations(&browser);
            browser.screenshot(shots.join(format!("banner-{width}x{height}-{scheme}.png")));
            browser.click("[data-consent-action=choose]");
            finish_animations(&browser);
            browser.screenshot(shots.join(format!("choices-{width}x{height}-{scheme}.png")));
            let ratios = browser.eval(contrast);
            for (what, ratio) in ratios.as_object().unwrap() {
                let needed = if what == "switch" { 3.0 } else { 4.5 };
                assert!(
                    ratio.as_f64().unwrap() >= needed,
                    "{scheme}: {what} has contrast {ratio}"
                );
            }
            // The second layer stays reachable: the banner scrolls inside the viewport.
            let save_bottom = browser.eval(
                "(() => { const s = document.querySelector('[data-consent-action=save]'); s.scrollIntoView({block: 'nearest'});
                    return s.getBoundingClientRect().bottom; })()",
            );
            assert!(
                save_bottom.as_f64().unwrap() <= f64::from(height),
                "{save_bottom}"
            );
        }
    }
    // The embed's placeholder and the footer's Cookie settings button, once a choice is made.
    browser.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}),
    );
    browser.set_window_size(375, 667);
    open(&browser, &site.url("/other/"));
    browser.click("[data-consent-action=reject]");
    browser.eval("document.querySelector('.consent-embed').scrollIntoView() || 1");
    browser.screenshot(shots.join("embed-375x667-light.png"));
    browser.eval("window.scrollTo(0, document.body.scrollHeight) || 1");
    browser.screenshot(shots.join("footer-375x667-light.png"));

    browser.cdp("Network.clearBrowserCookies", json!({}));
    open(&browser, &site.url("/"));
    let animation = "getComputedStyle(document.getElementById('consent')).animationName";
    assert_eq!(browser.eval(animation), "consent-in");
    browser.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}),
    );
    browser.cdp("Network.clearBrowserCookies", json!({}));
    open(&browser, &site.url("/"));
    assert!(banner_visible(&browser));
    assert_eq!(browser.eval(animation), "none");
    assert_no_console_errors(&browser);
}

#[test]
fn disabled_consent_emits_nothing() {
    let site = Site::build();
    site.edit_settings(|settings| settings.replace("[consent]\n", "[consent]\nenabled = false\n"));
    // The gated probes stay, and never run: the build warns about them.
    let result = site.build_for_own_base_url();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(String::from_utf8_lossy(&result.stderr).contains("consent is not enabled"));
    let home = fs::read_to_string(site.site.join("index.html")).unwrap();
    for absent in [
        "id=\"consent\"",
        "consent.js",
        "consent.css",
        "Cookie settings",
        "consent-status",
    ] {
        assert!(!home.contains(absent), "{absent} is still in the page");
    }
    let files: Vec<String> = fs::read_dir(&site.site)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !files.iter().any(|name| name.starts_with("consent")),
        "{files:?}"
    );
}

#[test]
fn an_unknown_category_fails_the_build_with_file_and_line() {
    let site = Site::build();
    fs::write(
        site.source.path().join("content/privacy.md"),
        "+++\ntitle = \"Privacy\"\n+++\n\nText.\n\n<script type=\"text/plain\" data-consent=\"statistics\">x()</script>\n",
    )
    .unwrap();
    fs::remove_file(site.source.path().join("content/other.md")).unwrap();
    site.edit_settings(|settings| {
        settings
            .replace("target = \"@/other.md\"", "target = \"/other/\"")
            .replace(
                "privacy_page = \"@/privacy.md\"",
                "privacy_page = \"@/privacy-policy.md\"",
            )
    });
    let result = site.build_for_own_base_url();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("error: unknown consent category `statistics`"),
        "{stderr}"
    );
    assert!(stderr.contains("content/privacy.md:7:"), "{stderr}");
    assert!(
        stderr.contains("the privacy page `content/privacy-policy.md` does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("site.toml:22:"), "{stderr}");
}

#[test]
fn the_banner_works_minified() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::build();
    site.edit_settings(|settings| {
        settings.replace("language = \"en\"\n", "language = \"en\"\nminify = true\n")
    });
    site.rebuild();
    let script = fs::read_dir(&site.site)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("consent.") && name.ends_with(".js")
        })
        .expect("no fingerprinted consent.js");
    assert!(
        fs::metadata(&script).unwrap().len() < crate_size_of_consent_js(),
        "consent.js was not minified"
    );
    open(&browser, &site.url("/other/"));
    assert!(banner_visible(&browser));
    browser.click("[data-consent-action=choose]");
    browser.click("label[for=consent-category-marketing]");
    browser.click("[data-consent-action=save]");
    browser.wait_until("window.probeMarketing === 1", Duration::from_secs(5));
    assert_eq!(probes(&browser), (0, 1));
    assert_no_console_errors(&browser);
}

fn crate_size_of_consent_js() -> u64 {
    fs::metadata(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/features/consent/static/consent.js"
    ))
    .unwrap()
    .len()
}

/// Where focus is: the element's tag and text, and whether it is in `<main>`.
fn focus_place(browser: &Browser) -> Value {
    browser.eval(
        "(() => { const e = document.activeElement;
            return [e.localName, e.textContent.trim(), !!e.closest('main'), e.getAttribute('tabindex')]; })()",
    )
}

#[test]
fn a_choice_moves_focus_to_the_start_of_the_content() {
    let Some((browser, site)) = open_fresh_site("/") else {
        return;
    };
    let heading = json!(["h1", "Consent fixture", true, "-1"]);
    let choices: [&[&str]; 3] = [
        &["[data-consent-action=accept]"],
        &["[data-consent-action=reject]"],
        &[
            "[data-consent-action=choose]",
            "label[for=consent-category-analytics]",
            "[data-consent-action=save]",
        ],
    ];
    for clicks in choices {
        browser.cdp("Network.clearBrowserCookies", json!({}));
        open(&browser, &site.url("/"));
        assert!(banner_visible(&browser));
        for selector in clicks {
            browser.click(selector);
        }
        assert!(!banner_visible(&browser), "{clicks:?}");
        assert_eq!(focus_place(&browser), heading, "{clicks:?}");
    }
    // From the footer's Cookie settings too, once a choice exists.
    open(&browser, &site.url("/other/"));
    open_cookie_settings(&browser);
    browser.click("[data-consent-action=reject]");
    assert_eq!(
        focus_place(&browser),
        json!(["h1", "Other page", true, "-1"])
    );
    // Escape decides nothing: focus goes back to the button that opened the settings.
    open_cookie_settings(&browser);
    browser.press(Key::Escape);
    browser.press(Key::Escape);
    assert_eq!(browser.active_element()["text"], "Cookie settings");
    assert_no_console_errors(&browser);
}

/// Seconds from now until the consent cookie expires.
fn consent_cookie_lifetime(browser: &Browser) -> i64 {
    let cookie = browser
        .cookies()
        .into_iter()
        .find(|cookie| cookie.name == CONSENT_COOKIE)
        .expect("no consent cookie");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    cookie.expiry.expect("a session cookie") as i64 - now as i64
}

/// Stores a choice of `categories`, dated `days_ago`, as consent.js would have.
fn store_dated_choice(browser: &Browser, categories: &str, days_ago: u32) {
    browser.eval(&format!(
        "(() => {{ const old = new Date(Date.now() - {days_ago} * 864e5).toISOString();
            document.cookie = '{CONSENT_COOKIE}=' + encodeURIComponent(JSON.stringify({{ r: 1, d: old, c: [{categories}] }})) + '; path=/';
            return 1; }})()"
    ));
}

#[test]
fn a_refusal_lasts_refusal_days_and_an_acceptance_expiry_days() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::build();
    site.add_consent_settings("expiry_days = 100\nrefusal_days = 30");
    let day = 86_400;
    open(&browser, &site.url("/"));
    browser.click("[data-consent-action=reject]");
    let lifetime = consent_cookie_lifetime(&browser);
    assert!((30 * day - 60..=30 * day).contains(&lifetime), "{lifetime}");

    open_cookie_settings(&browser);
    browser.click("[data-consent-action=accept]");
    let lifetime = consent_cookie_lifetime(&browser);
    assert!(
        (100 * day - 60..=100 * day).contains(&lifetime),
        "{lifetime}"
    );

    // Read back: a refusal of 31 days ago is stale, an acceptance of 31 days ago is not.
    store_dated_choice(&browser, "", 31);
    open(&browser, &site.url("/"));
    assert!(banner_visible(&browser));
    store_dated_choice(&browser, "", 29);
    open(&browser, &site.url("/"));
    assert!(!banner_visible(&browser));
    store_dated_choice(&browser, "'analytics'", 31);
    open(&browser, &site.url("/"));
    assert!(!banner_visible(&browser));
    assert_eq!(probes(&browser), (1, 0));

    // A new revision asks again after a refusal too.
    open_cookie_settings(&browser);
    browser.click("[data-consent-action=reject]");
    site.set_revision(2);
    open(&browser, &site.url("/"));
    assert!(banner_visible(&browser));
    assert_no_console_errors(&browser);
}

#[test]
fn refusal_days_out_of_range_fails_the_build_at_its_line() {
    let site = Site::build();
    site.edit_settings(|settings| settings.replace("[consent]\n", "[consent]\nrefusal_days = 0\n"));
    let result = site.build_for_own_base_url();
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("`refusal_days` must be between 1 and 395"),
        "{stderr}"
    );
    assert!(stderr.contains("site.toml:21:"), "{stderr}");
}

const GPC_ON: &str = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });";

#[test]
fn global_privacy_control_refuses_without_a_banner_and_the_visitor_may_still_opt_in() {
    let Some((browser, site)) = open_fresh_site("/") else {
        return;
    };
    browser.add_init_script(GPC_ON);
    for path in ["/", "/other/"] {
        open(&browser, &site.url(path));
        assert_eq!(browser.eval("navigator.globalPrivacyControl"), true);
        assert!(!banner_visible(&browser), "{path}");
        assert_eq!(probes(&browser), (0, 0), "{path}");
        assert_eq!(cookie_names(&browser), Vec::<String>::new(), "{path}");
    }
    // The gated frame waits behind its placeholder.
    assert_eq!(embed_placeholders(&browser), 1);
    assert_eq!(
        browser.eval("document.querySelector('iframe[data-consent]').getAttribute('src')"),
        Value::Null
    );

    // The settings say why everything is off, and opting in there works.
    open_cookie_settings(&browser);
    assert!(choices_open(&browser));
    let notice = "(() => { const n = document.getElementById('consent-gpc');
        return !n.hidden && n.getBoundingClientRect().height > 0 && n.textContent; })()";
    assert!(
        browser
            .eval(notice)
            .as_str()
            .unwrap()
            .contains("Global Privacy Control"),
        "{}",
        browser.eval(notice)
    );
    assert_eq!(
        browser.eval(
            "[...document.querySelectorAll('#consent-choices input[value]')].map((s) => s.checked)"
        ),
        json!([false, false])
    );
    browser.click("label[for=consent-category-analytics]");
    browser.click("[data-consent-action=save]");
    browser.wait_until("window.probeAnalytics === 1", Duration::from_secs(5));
    open(&browser, &site.url("/"));
    assert_eq!(probes(&browser), (1, 0));
    // The visitor's own choice now stands: the notice is gone.
    open_cookie_settings(&browser);
    assert_eq!(
        browser.eval("document.getElementById('consent-gpc').hidden"),
        true
    );
    assert_no_console_errors(&browser);
}

#[test]
fn a_category_that_does_not_honour_gpc_is_still_asked_about() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::build();
    site.edit_settings(|settings| {
        settings.replace(
            "cookies = [\"_mkt_*\"]",
            "cookies = [\"_mkt_*\"]\nhonour_gpc = false",
        )
    });
    site.rebuild();
    browser.add_init_script(GPC_ON);
    open(&browser, &site.url("/"));
    assert!(banner_visible(&browser));
    // Accept all accepts what the signal left to ask about: marketing, not analytics.
    browser.click("[data-consent-action=accept]");
    browser.wait_until("window.probeMarketing === 1", Duration::from_secs(5));
    assert_eq!(probes(&browser), (0, 1));
    open(&browser, &site.url("/"));
    assert!(!banner_visible(&browser));
    browser.wait_until("window.probeMarketing === 1", Duration::from_secs(5));
    assert_eq!(probes(&browser), (0, 1));
}

/// `window.dataLayer` as arrays (gtag pushes `arguments` objects), `js` dates left out.
fn data_layer(browser: &Browser) -> Value {
    browser.eval("(window.dataLayer || []).map((e) => [...e].filter((v) => !(v instanceof Date)))")
}

#[test]
fn consent_mode_denies_by_default_and_updates_on_every_choice() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::build();
    site.add_consent_settings("ga4_id = \"G-TEST1234\"");
    let denied = json!({"ad_storage": "denied", "ad_user_data": "denied",
        "ad_personalization": "denied", "analytics_storage": "denied"});
    let granted = json!({"ad_storage": "granted", "ad_user_data": "granted",
        "ad_personalization": "granted", "analytics_storage": "granted"});
    let analytics_only = json!({"ad_storage": "denied", "ad_user_data": "denied",
        "ad_personalization": "denied", "analytics_storage": "granted"});
    let default = json!(["consent", "default", denied]);
    let config = json!(["config", "G-TEST1234"]);

    open(&browser, &site.url("/"));
    assert_eq!(data_layer(&browser), json!([default]));
    browser.click("[data-consent-action=accept]");
    browser.wait_until("window.dataLayer.length === 4", Duration::from_secs(5));
    assert_eq!(
        data_layer(&browser),
        json!([default, ["consent", "update", granted], ["js"], config])
    );

    // A later page: the stored choice is passed on before the tag is configured; a new choice
    // is an update after it.
    open(&browser, &site.url("/other/"));
    browser.wait_until("window.dataLayer.length === 4", Duration::from_secs(5));
    open_cookie_settings(&browser);
    browser.click("label[for=consent-category-marketing]");
    browser.click("[data-consent-action=save]");
    assert_eq!(
        data_layer(&browser),
        json!([
            default,
            ["consent", "update", granted],
            ["js"],
            config,
            ["consent", "update", analytics_only]
        ])
    );
    open_cookie_settings(&browser);
    browser.click("[data-consent-action=reject]");
    assert_eq!(
        data_layer(&browser).as_array().unwrap().last(),
        Some(&json!(["consent", "update", denied]))
    );
    // Refused, Google's tag does not run at all; only the default stands.
    open(&browser, &site.url("/"));
    assert_eq!(
        data_layer(&browser),
        json!([default, ["consent", "update", denied]])
    );
    assert_eq!(browser.csp_violations(), Vec::<Value>::new());
}

/// What a server sends when it compresses: the banner's script as built must stay small.
#[test]
fn the_banner_script_stays_under_3_kb_gzipped() {
    use std::io::Write;

    let site = Site::build();
    let script = fs::read_dir(&site.site)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("consent.") && name.ends_with(".js")
        })
        .expect("no fingerprinted consent.js");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&fs::read(&script).unwrap()).unwrap();
    let size = gzip.finish().unwrap().len();
    assert!(size <= 3072, "consent.js is {size} bytes gzipped");
}

/// A category's declared cookies go on withdrawal wherever a script may have put them: on a
/// parent domain, and at a deeper path. (`*.localhost` is the loopback address in Chromium.)
#[test]
fn withdrawal_deletes_declared_cookies_on_the_parent_domain_and_deeper_paths() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = Site::build();
    let url = site
        .url("/other/")
        .replace("127.0.0.1", "www.consent.localhost");
    open(&browser, &url);
    browser.click("[data-consent-action=accept]");
    browser.wait_until("window.probeAnalytics === 1", Duration::from_secs(5));
    browser
        .eval("(document.cookie = 'probe_analytics_wide=1; path=/; domain=consent.localhost', 1)");
    browser.eval("(document.cookie = '_mkt_wide=1; path=/; domain=consent.localhost', 1)");
    let domains = |browser: &Browser| {
        let mut cookies: Vec<(String, String)> = browser
            .cookies()
            .into_iter()
            .map(|cookie| (cookie.name, cookie.domain))
            .collect();
        cookies.sort();
        cookies
    };
    assert!(
        domains(&browser).contains(&("probe_analytics_wide".into(), ".consent.localhost".into())),
        "{:?}",
        domains(&browser)
    );
    // Withdraw analytics only: its cookies go, marketing's stay.
    open_cookie_settings(&browser);
    browser.click("label[for=consent-category-analytics]");
    browser.click("[data-consent-action=save]");
    let names: Vec<String> = domains(&browser)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, ["_mkt_probe", "_mkt_wide", CONSENT_COOKIE]);
    assert_no_console_errors(&browser);
}
