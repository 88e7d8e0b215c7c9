//! Responsive pictures in headless Chromium at a phone's width (390 px) and a laptop's (1366
//! px): the browser picks the copy that fits the column, nothing shifts as the photos load, and
//! a photo further down is not fetched until the reader scrolls near it.
//!
//! Skipped (with a message) when Chromium or chromedriver is missing; see tests/support.

mod support;

use std::time::Duration;

use support::{StaticServer, TempDir, aimsite, browser_or_skip, temp_dir, write_file};

const WAIT: Duration = Duration::from_secs(20);

/// A JPEG with a gradient.
fn photo(width: u16, height: u16) -> Vec<u8> {
    let pixels: Vec<u8> = (0..u32::from(width) * u32::from(height))
        .flat_map(|i| {
            let x = i % u32::from(width);
            let y = i / u32::from(width);
            [
                (x * 255 / u32::from(width)) as u8,
                (y * 255 / u32::from(height)) as u8,
                140,
            ]
        })
        .collect();
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 85)
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .expect("a JPEG");
    bytes
}

/// An article with a photo at the top and one far below, built and served.
fn served() -> (TempDir, StaticServer) {
    let dir = temp_dir();
    let root = dir.path().join("site");
    let out = dir.path().join("public");
    write_file(
        root.join("site.toml"),
        "title = \"Pictures\"\nbase_url = \"https://pictures.test/\"\n",
    );
    write_file(
        root.join("content/_index.md"),
        "+++\ntitle = \"Pictures\"\n+++\n\nHome.\n",
    );
    write_file(root.join("content/articles/top.jpg"), photo(1700, 1100));
    write_file(root.join("content/articles/bottom.jpg"), photo(1700, 1100));
    let filler =
        "A paragraph of text that takes some room on the page, as an article does.\n\n".repeat(80);
    write_file(
        root.join("content/articles/photos.md"),
        format!(
            "+++\ntitle = \"Photos\"\ndate = 2021-01-01\n+++\n\n![The team](top.jpg)\n\n{filler}![The room](bottom.jpg)\n"
        ),
    );
    let server = StaticServer::serve(&out);
    let output = aimsite()
        .args(["build", "--base-url", &server.base_url(), "--root"])
        .arg(&root)
        .arg("--output")
        .arg(&out)
        .output()
        .expect("aimsite runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (dir, server)
}

/// The layout shifts of the page so far, added up (Cumulative Layout Shift).
const LAYOUT_SHIFT: &str = "new Promise(resolve => {
    let shift = 0;
    new PerformanceObserver(list => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) shift += entry.value;
    }).observe({type: 'layout-shift', buffered: true});
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(shift)));
})";

/// The photos the page has fetched so far.
const FETCHED: &str = "performance.getEntriesByType('resource')
    .map(entry => entry.name).filter(name => name.includes('/images/'))";

fn file_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

#[test]
fn the_browser_picks_the_copy_that_fits_without_shifting_or_fetching_early() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let (_dir, server) = served();
    let url = server.url("articles/photos/");
    // 390 px: the column is the screen less its margins (350 px), so the 480 px copy; 1366 px:
    // the column is 42rem (672 px), so the 800 px copy.
    for (width, expected) in [(390, "-480.webp"), (1366, "-800.webp")] {
        browser.set_window_size(width, 900);
        browser.open(&url);
        browser.wait_until("document.querySelector('main picture img').complete", WAIT);
        let chosen = browser.eval("document.querySelector('main picture img').currentSrc");
        let chosen = chosen.as_str().unwrap_or_default();
        assert!(chosen.ends_with(expected), "at {width} px: {chosen}");

        let shift = browser.eval(LAYOUT_SHIFT).as_f64().expect("a number");
        assert_eq!(shift, 0.0, "at {width} px the page shifted by {shift}");

        let fetched = browser.eval(FETCHED);
        let fetched: Vec<&str> = fetched
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|url| url.as_str())
            .map(file_name)
            .collect();
        assert_eq!(fetched.len(), 1, "at {width} px: {fetched:?}");
        assert!(fetched[0].starts_with("top-"), "{fetched:?}");

        browser.eval("window.scrollTo(0, document.body.scrollHeight)");
        browser.wait_until(
            "[...document.querySelectorAll('main picture img')].every(img => img.complete && img.currentSrc)",
            WAIT,
        );
        let fetched = browser.eval(FETCHED);
        let fetched: Vec<&str> = fetched
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|url| url.as_str())
            .map(file_name)
            .collect();
        assert!(
            fetched.iter().any(|name| name.starts_with("bottom-")),
            "at {width} px, after scrolling: {fetched:?}"
        );
        let shift = browser.eval(LAYOUT_SHIFT).as_f64().expect("a number");
        assert_eq!(
            shift, 0.0,
            "at {width} px the page shifted by {shift} as it scrolled"
        );
    }
}
