//! What a request asks for, decided from its URL alone: the live-reload script, the event
//! stream, or a file of the site. Refuses any path that could escape the site. Pure.

/// Where serve's own files live; no site file can be there.
pub const PREFIX: &str = "/__aimsite/";
pub const SCRIPT_PATH: &str = "/__aimsite/livereload.js";
pub const EVENTS_PATH: &str = "/__aimsite/events";

#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    LiveReloadScript,
    /// The event stream; `since` is the build the page was served from, `page` the key of
    /// the page's file (`file_key`), which a rebuild renders before the others.
    Events {
        since: Option<u64>,
        page: Option<String>,
    },
    /// A path below the site's root, decoded, without the leading `/` (`""` for the home page).
    File {
        path: String,
        query: Option<String>,
    },
    /// Under `/__aimsite/` but nothing there.
    Unknown,
}

/// Why a URL is refused with 400 Bad Request.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub &'static str);

pub fn route(url: &str) -> Result<Route, Refused> {
    let (path, query) = match url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url, None),
    };
    let path = path.split_once('#').map_or(path, |(path, _)| path);
    if path == SCRIPT_PATH {
        return Ok(Route::LiveReloadScript);
    }
    if path == EVENTS_PATH {
        let value = |name: &str| {
            query
                .into_iter()
                .flat_map(|query| query.split('&'))
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        };
        let since = value("since").and_then(|value| value.parse().ok());
        // The page's path, encoded as a query value: its slashes are `%2F`. A path that could
        // not be served is no page.
        let page = value("page")
            .and_then(|page| {
                percent_encoding::percent_decode_str(page)
                    .decode_utf8()
                    .ok()
            })
            .and_then(|page| site_path(&page).ok())
            .map(|page| file_key(&page));
        return Ok(Route::Events { since, page });
    }
    if path.starts_with(PREFIX) {
        return Ok(Route::Unknown);
    }
    Ok(Route::File {
        path: site_path(path)?,
        query: query.map(str::to_string),
    })
}

/// The decoded path below the site's root. Refuses `..` and `.` segments, backslashes, NUL and
/// encoded slashes, in any encoding, so that no lookup can leave the site.
pub fn site_path(raw: &str) -> Result<String, Refused> {
    let Some(rest) = raw.strip_prefix('/') else {
        return Err(Refused("the path must start with /"));
    };
    let lower = raw.to_ascii_lowercase();
    if raw.contains('\\') || lower.contains("%5c") {
        return Err(Refused("backslashes are not allowed in a path"));
    }
    if lower.contains("%2f") || lower.contains("%00") {
        return Err(Refused("encoded slashes and NUL are not allowed in a path"));
    }
    let malformed = rest.match_indices('%').any(|(at, _)| {
        !rest
            .get(at + 1..at + 3)
            .is_some_and(|hex| hex.bytes().all(|byte| byte.is_ascii_hexdigit()))
    });
    if malformed {
        return Err(Refused("the path is not valid percent-encoded UTF-8"));
    }
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .map_err(|_| Refused("the path is not valid percent-encoded UTF-8"))?;
    if decoded.contains(['\0', '\\']) {
        return Err(Refused("the path holds a forbidden character"));
    }
    if decoded
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
    {
        return Err(Refused("`.` and `..` are not allowed in a path"));
    }
    Ok(decoded.into_owned())
}

/// The file a decoded site path names: a folder's `index.html`.
pub fn file_key(path: &str) -> String {
    if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    }
}

/// The `Content-Type` of a file by its extension.
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = name
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml; charset=utf-8",
        "ics" => "text/calendar; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wasm" => "application/wasm",
        "zip" => "application/zip",
        _ if name.starts_with('_') && !name.contains('.') => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The page with the live-reload script tag added at the end of its `<head>` (or `<body>`).
pub fn with_live_reload(html: &str, generation: u64) -> String {
    let tag = format!("<script src=\"{SCRIPT_PATH}?v={generation}\" defer></script>");
    let lower = html.to_ascii_lowercase();
    let at = lower
        .find("</head>")
        .or_else(|| lower.rfind("</body>"))
        .unwrap_or(html.len());
    let mut page = String::with_capacity(html.len() + tag.len());
    page.push_str(&html[..at]);
    page.push_str(&tag);
    page.push_str(&html[at..]);
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Route {
        Route::File {
            path: path.into(),
            query: None,
        }
    }

    #[test]
    fn routes_serve_files_and_own_paths() {
        assert_eq!(route("/"), Ok(file("")));
        assert_eq!(route("/articles/a/#x"), Ok(file("articles/a/")));
        assert_eq!(route("/a%20b.pdf"), Ok(file("a b.pdf")));
        assert_eq!(
            route("/x?y=1"),
            Ok(Route::File {
                path: "x".into(),
                query: Some("y=1".into())
            })
        );
        assert_eq!(route(SCRIPT_PATH), Ok(Route::LiveReloadScript));
        assert_eq!(
            route("/__aimsite/events?since=7"),
            Ok(Route::Events {
                since: Some(7),
                page: None
            })
        );
        assert_eq!(route("/__aimsite/other"), Ok(Route::Unknown));
    }

    #[test]
    fn the_event_stream_knows_its_page_and_refuses_none_that_escapes() {
        let page = |url: &str| match route(url) {
            Ok(Route::Events { page, .. }) => page,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            page("/__aimsite/events?since=3&page=%2Farticles%2Fa%20b%2F"),
            Some("articles/a b/index.html".into())
        );
        assert_eq!(
            page("/__aimsite/events?page=%2F"),
            Some("index.html".into())
        );
        assert_eq!(
            page("/__aimsite/events?page=%2Fnotes.txt"),
            Some("notes.txt".into())
        );
        assert_eq!(page("/__aimsite/events?page=%2F..%2Fsecret%2F"), None);
        assert_eq!(page("/__aimsite/events?pages=%2F"), None);
        assert_eq!(page("/__aimsite/events?since=1"), None);
    }

    #[test]
    fn traversal_is_refused_in_every_encoding() {
        for url in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/%2E%2E/etc/passwd",
            "/.%2e/x",
            "/a/%2e/b",
            "/..%2fetc%2fpasswd",
            "/..%2Fetc",
            "/..\\etc\\passwd",
            "/..%5cetc",
            "/a%00.html",
            "/%c0%ae%c0%ae/etc",
            "/%zz",
            "etc/passwd",
        ] {
            assert!(route(url).is_err(), "{url} was not refused");
        }
        // Encoded twice, it is a strange file name, not a way out.
        assert_eq!(route("/%252e%252e/x"), Ok(file("%2e%2e/x")));
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.0123.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("a/b.JPG"), "image/jpeg");
        assert_eq!(content_type("atom.xml"), "application/xml; charset=utf-8");
        assert_eq!(content_type("_headers"), "text/plain; charset=utf-8");
        assert_eq!(content_type("blob"), "application/octet-stream");
    }

    #[test]
    fn the_script_goes_before_the_end_of_head() {
        let page = with_live_reload("<html><head><title>t</title></HEAD><body></body></html>", 3);
        assert_eq!(
            page,
            "<html><head><title>t</title><script src=\"/__aimsite/livereload.js?v=3\" defer></script></HEAD><body></body></html>"
        );
        assert!(with_live_reload("<p>x", 1).ends_with("</script>"));
    }
}
