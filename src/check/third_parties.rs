//! The third-party audit of `check`: what a page makes the browser fetch from another site by
//! itself, before the visitor has consented to anything. A gated script or frame names its
//! address in `data-src`, which no browser loads, so it is never found here; everything else
//! that loads from another origin must be allowed in `site.toml` (`[check] allow_origins`).
//! Navigation (`<a href>`, `<link rel="canonical">`) loads nothing and is left alone.

/// One address a page or stylesheet loads by itself, and what loads it (`<img src>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    pub what: String,
    pub url: String,
}

/// The `rel`s of `<link>` whose `href` the browser fetches (or connects to) as the page loads.
const LOADING_RELS: [&str; 11] = [
    "stylesheet",
    "icon",
    "apple-touch-icon",
    "mask-icon",
    "manifest",
    "preload",
    "modulepreload",
    "prefetch",
    "prerender",
    "preconnect",
    "dns-prefetch",
];

/// The attributes of a start tag that load what they name, as `(attribute, is a srcset)`.
fn loading_attributes(
    element: &str,
    attribute: &dyn Fn(&str) -> Option<String>,
) -> Vec<&'static str> {
    match element {
        "script" | "iframe" | "audio" | "track" | "embed" | "frame" => vec!["src"],
        "img" | "source" => vec!["src", "srcset"],
        "video" => vec!["src", "poster"],
        "object" => vec!["data"],
        "form" => vec!["action"],
        "button" => vec!["formaction"],
        "input" if attribute("type").is_some_and(|t| t.eq_ignore_ascii_case("image")) => {
            vec!["src"]
        }
        "link" => {
            let rel = attribute("rel").unwrap_or_default().to_ascii_lowercase();
            let loads = rel
                .split_whitespace()
                .any(|rel| LOADING_RELS.contains(&rel));
            if loads { vec!["href"] } else { Vec::new() }
        }
        _ => Vec::new(),
    }
}

/// What one start tag loads: its loading attributes' addresses and the `url()`s of its `style`.
pub fn loads_of_tag(element: &str, attribute: &dyn Fn(&str) -> Option<String>) -> Vec<Load> {
    let mut loads = Vec::new();
    for name in loading_attributes(element, attribute) {
        let Some(value) = attribute(name) else {
            continue;
        };
        let urls: Vec<&str> = if name == "srcset" {
            value
                .split(',')
                .filter_map(|candidate| candidate.split_whitespace().next())
                .collect()
        } else {
            vec![value.trim()]
        };
        loads.extend(urls.into_iter().map(|url| Load {
            what: format!("<{element} {name}>"),
            url: url.to_string(),
        }));
    }
    if let Some(style) = attribute("style") {
        loads.extend(loads_in_css(&style, &format!("<{element} style>")));
    }
    loads
}

/// The addresses of a stylesheet's `url(...)`s and `@import`s.
pub fn loads_in_css(css: &str, what: &str) -> Vec<Load> {
    let mut loads = Vec::new();
    let lower = css.to_ascii_lowercase();
    for (start, _) in lower.match_indices("url(") {
        let rest = &css[start + 4..];
        let end = rest.find(')').unwrap_or(rest.len());
        loads.push(css_address(&rest[..end], what));
    }
    for (start, _) in lower.match_indices("@import") {
        let rest = css[start + 7..].trim_start();
        // `@import url(...)` is found above.
        if rest
            .get(..4)
            .is_some_and(|word| word.eq_ignore_ascii_case("url("))
        {
            continue;
        }
        let end = rest.find([';', ' ', '\n']).unwrap_or(rest.len());
        loads.push(css_address(&rest[..end], what));
    }
    loads
}

fn css_address(written: &str, what: &str) -> Load {
    Load {
        what: what.to_string(),
        url: written.trim().trim_matches(['"', '\'']).trim().to_string(),
    }
}

/// The origin of an address on another site than `own` (the base URL's origin); `None` for one
/// on the site itself, relative, or not fetched from the web (`data:`, `mailto:`).
pub fn other_origin(url: &str, own: &str) -> Option<String> {
    let url = url.trim();
    let absolute = if url.starts_with("//") {
        format!("https:{url}")
    } else {
        url.to_string()
    };
    let parsed = url::Url::parse(&absolute).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let origin = parsed.origin().ascii_serialization();
    (origin != own).then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(loads: Vec<Load>) -> Vec<String> {
        loads.into_iter().map(|load| load.url).collect()
    }

    fn tag_loads(element: &str, attributes: &[(&str, &str)]) -> Vec<String> {
        let attribute = |name: &str| {
            attributes
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        };
        urls(loads_of_tag(element, &attribute))
    }

    #[test]
    fn loading_attributes_are_found_and_navigation_is_not() {
        assert_eq!(
            tag_loads("img", &[("src", "a.png"), ("srcset", "b.png 1x, c.png 2x")]),
            ["a.png", "b.png", "c.png"]
        );
        assert_eq!(
            tag_loads("link", &[("rel", "Stylesheet"), ("href", "f.css")]),
            ["f.css"]
        );
        assert!(tag_loads("link", &[("rel", "canonical"), ("href", "x")]).is_empty());
        assert!(tag_loads("a", &[("href", "https://x.com/")]).is_empty());
        assert!(
            tag_loads("iframe", &[("data-src", "https://x.com/"), ("title", "t")]).is_empty(),
            "a gated frame loads nothing"
        );
        assert_eq!(
            tag_loads(
                "div",
                &[("style", "background: url('https://x.com/b.png')")]
            ),
            ["https://x.com/b.png"]
        );
        assert_eq!(
            tag_loads("form", &[("action", "https://f.io/")]),
            ["https://f.io/"]
        );
    }

    #[test]
    fn css_urls_and_imports_are_found() {
        let css = "@import \"https://a.com/x.css\";\n@IMPORT url(https://b.com/y.css);\n\
                   .a { background: URL( \"/img/c.png\" ) }";
        assert_eq!(
            urls(loads_in_css(css, "css")),
            ["https://b.com/y.css", "/img/c.png", "https://a.com/x.css"]
        );
    }

    #[test]
    fn only_other_web_origins_count() {
        let own = "https://aimtowin.com";
        assert_eq!(
            other_origin("https://fonts.example.com/a.woff2", own).as_deref(),
            Some("https://fonts.example.com")
        );
        assert_eq!(
            other_origin("//cdn.example.com/a.js", own).as_deref(),
            Some("https://cdn.example.com")
        );
        for own_or_none in [
            "https://aimtowin.com/a.png",
            "/a.png",
            "a.png",
            "data:image/png;base64,AA",
            "mailto:a@b.c",
        ] {
            assert_eq!(other_origin(own_or_none, own), None, "{own_or_none}");
        }
    }
}
