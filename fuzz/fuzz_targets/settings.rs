//! `site.toml` as any text: parsed, validated (base URL, language, menu, CSP sources,
//! `[contact]`, `[consent]`) and every problem printed. Must never panic; every problem names
//! `site.toml`. Each line is also tried as a base URL: one that parses gives an absolute URL
//! that parses back to the same.

#![no_main]

use std::path::PathBuf;

use aimsite::build::FEATURES;
use aimsite::config::{self, BaseUrl};
use aimsite::feature::{self, Features};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let problems = match config::parse(
        text,
        PathBuf::from("site.toml"),
        None,
        &feature::sections(FEATURES),
    ) {
        Ok((settings, mut warnings)) => {
            assert!(
                settings.base_url.path.starts_with('/') && settings.base_url.path.ends_with('/')
            );
            // Each feature reads its own section, as a build does.
            Features::configure(FEATURES, &settings, &mut warnings);
            warnings
        }
        Err(problems) => {
            assert!(problems.has_errors());
            problems
        }
    };
    for problem in problems.iter() {
        assert_eq!(problem.file, PathBuf::from("site.toml"), "{problem}");
        let _ = problem.to_string();
    }
    for line in text.lines() {
        if let Ok(url) = BaseUrl::parse(line) {
            assert!(url.path.starts_with('/') && url.path.ends_with('/'));
            assert_eq!(BaseUrl::parse(&url.absolute()), Ok(url.clone()), "{line}");
            let _ = url.is_placeholder();
        }
    }
});
