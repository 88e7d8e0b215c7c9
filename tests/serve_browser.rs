//! `aimsite serve` in a real browser: an open page reloads by itself after an edit, shows a
//! broken build as an overlay with the file and line until the fix, and swaps a changed
//! stylesheet without reloading; all under the site's Content-Security-Policy.

mod support;

use std::time::Duration;

use aimsite::scaffold;
use aimsite::serve::{ServeOptions, Server};
use support::browser_or_skip;

const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn an_open_page_follows_edits_errors_and_stylesheets() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let site = tempfile::tempdir().unwrap();
    scaffold::init(site.path(), jiff::civil::date(2020, 2, 10)).unwrap();
    let options = ServeOptions {
        port: 0,
        ..ServeOptions::new(site.path())
    };
    let server = Server::start(&options, |_| {}).unwrap();
    let url = format!("{}articles/welcome/", server.url());
    browser.open(&url);
    browser.wait_until(
        "document.body.textContent.includes('This is the first article')",
        PATIENCE,
    );
    // The live-reload script is connected once its stream is open.
    browser.wait_until("window.__aimsiteLiveReload === 'connected'", PATIENCE);

    let article = site.path().join("content/articles/welcome.md");
    let good = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, good.replace("first article", "edited article")).unwrap();
    browser.wait_until(
        "document.body.textContent.includes('This is the edited article')",
        PATIENCE,
    );

    std::fs::write(
        &article,
        good.replace("title = \"Welcome\"", "title = Welcome"),
    )
    .unwrap();
    browser.wait_until("document.getElementById('aimsite-error-overlay')", PATIENCE);
    let overlay = browser.eval("document.getElementById('aimsite-error-overlay').textContent");
    let overlay = overlay.as_str().unwrap();
    assert!(
        overlay.contains("content/articles/welcome.md:2"),
        "{overlay}"
    );

    std::fs::write(&article, good.replace("first article", "fixed article")).unwrap();
    browser.wait_until(
        "!document.getElementById('aimsite-error-overlay') && document.body.textContent.includes('This is the fixed article')",
        PATIENCE,
    );

    // A stylesheet change applies without a reload: the marker set now survives.
    browser.eval("window.__aimsiteNoReload = true");
    let style = site.path().join("static/style.css");
    let css = std::fs::read_to_string(&style).unwrap();
    std::fs::write(
        &style,
        format!("{css}\nbody {{ outline: 7px solid rgb(1, 2, 3); }}\n"),
    )
    .unwrap();
    browser.wait_until(
        "getComputedStyle(document.body).outlineColor === 'rgb(1, 2, 3)'",
        PATIENCE,
    );
    assert_eq!(
        browser.eval("window.__aimsiteNoReload === true"),
        serde_json::json!(true)
    );

    assert_eq!(browser.csp_violations(), Vec::<serde_json::Value>::new());
    server.stop();
}
