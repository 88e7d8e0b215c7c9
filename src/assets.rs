//! Static files ready for the output: CSS and JavaScript minified when the site asks for it,
//! and a copy of every stylesheet, script, font and image under a name that carries a hash of its
//! content, so hosts can cache it for a year. Pure: the bytes were read by the load stage.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::output::Contents;

/// A file copied into the output as it is: a static file, or a file of `content/` that is not
/// Markdown (at the same path).
#[derive(Debug, Clone)]
pub struct Asset {
    pub contents: Contents,
    pub display_path: PathBuf,
    /// The path below `content/` with `/` separators.
    pub output_path: String,
}

/// A static file built into the binary: its path in the output and its bytes.
pub type BuiltInStatic = (&'static str, &'static [u8]);

/// Extensions of files that get a fingerprinted copy.
const FINGERPRINTED: &[&str] = &[
    "css", "js", "mjs", "woff", "woff2", "ttf", "otf", "svg", "png", "jpg", "jpeg", "gif", "webp",
    "avif", "ico",
];

/// Hex digits of the SHA-256 kept in a file name: enough to never collide on one site.
const FINGERPRINT_LENGTH: usize = 10;

pub fn is_fingerprinted(path: &str) -> bool {
    extension(path).is_some_and(|extension| FINGERPRINTED.contains(&extension.as_str()))
}

fn extension(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    let (_, extension) = name.rsplit_once('.')?;
    Some(extension.to_ascii_lowercase())
}

/// Where templates find each static file: `style.css` → `style.0123456789.css`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetUrls(HashMap<String, String>);

impl AssetUrls {
    /// The output path of a static file, fingerprinted where it has one.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.0.get(path.trim_start_matches('/')).map(String::as_str)
    }

    /// Takes in the names of `other`, which win.
    pub fn extend(&mut self, other: AssetUrls) {
        self.0.extend(other.0);
    }

    /// The output paths of every fingerprinted copy.
    pub fn fingerprinted(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|(path, output)| path != output)
            .map(|(_, output)| output.as_str())
    }
}

/// Minifies (when asked) and fingerprints the static files; returns every file to write and the
/// URL map for `asset()`.
pub fn prepare(static_files: Vec<Asset>, minify: bool) -> (Vec<Asset>, AssetUrls) {
    let mut files = Vec::with_capacity(static_files.len() * 2);
    let mut urls = HashMap::new();
    for mut file in static_files {
        if minify {
            file.contents = minified(&file.output_path, file.contents);
        }
        let output = match file.contents.bytes() {
            Some(bytes) if is_fingerprinted(&file.output_path) => {
                let fingerprinted = fingerprinted_path(&file.output_path, bytes);
                files.push(Asset {
                    contents: file.contents.clone(),
                    display_path: file.display_path.clone(),
                    output_path: fingerprinted.clone(),
                });
                fingerprinted
            }
            _ => file.output_path.clone(),
        };
        urls.insert(file.output_path.clone(), output);
        files.push(file);
    }
    (files, AssetUrls(urls))
}

/// `css/site.css` → `css/site.0123456789.css`.
fn fingerprinted_path(path: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hash: String = digest
        .iter()
        .flat_map(|byte| [byte >> 4, byte & 0xf])
        .take(FINGERPRINT_LENGTH)
        .map(|nibble| char::from_digit(u32::from(nibble), 16).unwrap_or('0'))
        .collect();
    match path.rsplit_once('.') {
        Some((stem, extension)) if !stem.ends_with('/') && !stem.is_empty() => {
            format!("{stem}.{hash}.{extension}")
        }
        _ => format!("{path}.{hash}"),
    }
}

fn minified(path: &str, contents: Contents) -> Contents {
    let text = match &contents {
        Contents::Embedded(bytes) => std::str::from_utf8(bytes).ok(),
        Contents::Loaded(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    };
    let Some(text) = text else {
        return contents;
    };
    let minified = match extension(path).as_deref() {
        Some("css") => minifier::css::minify(text).ok().map(|css| css.to_string()),
        Some("js" | "mjs") => minifier::js::minify(text).ok().map(|js| js.to_string()),
        _ => None,
    };
    match minified {
        Some(minified) => Contents::Loaded(Arc::from(minified.into_bytes())),
        None => contents,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn asset(path: &str, text: &'static str) -> Asset {
        Asset {
            contents: Contents::Embedded(text.as_bytes()),
            display_path: PathBuf::from(path),
            output_path: path.to_string(),
        }
    }

    #[test]
    fn fingerprints_change_with_content() {
        let (files, urls) = prepare(
            vec![asset("css/site.css", "a{}"), asset("robots.txt", "x")],
            false,
        );
        let hashed = urls.get("css/site.css").unwrap();
        assert!(
            hashed.starts_with("css/site.")
                && hashed.ends_with(".css")
                && hashed.len() == "css/site..css".len() + 10
        );
        assert_eq!(urls.get("/robots.txt"), Some("robots.txt"));
        assert_eq!(files.len(), 3);
        let (_, other) = prepare(vec![asset("css/site.css", "b{}")], false);
        assert_ne!(other.get("css/site.css").unwrap(), hashed);
        assert_eq!(urls.fingerprinted().collect::<Vec<_>>(), [hashed]);
    }

    #[test]
    fn minifies_css_and_js() {
        let (files, _) = prepare(
            vec![
                asset("a.css", "a {\n  color: red;\n}\n"),
                asset("b.js", "let  x = 1;\n\n"),
            ],
            true,
        );
        let text = |file: &Asset| match &file.contents {
            Contents::Loaded(bytes) => String::from_utf8(bytes.to_vec()).unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(text(&files[1]), "a{color:red;}");
        assert!(text(&files[3]).len() < "let  x = 1;\n\n".len());
    }
}
