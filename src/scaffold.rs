//! `aimsite new` and `aimsite init`: a new article with its front matter filled in, and a new site
//! folder that builds and passes `check` at once. Writes only new files, never over an existing
//! one.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use thiserror::Error;

use crate::config::SETTINGS_FILE;
use crate::content::STATIC_DIR;
use crate::markdown::slugify;
use crate::templates::{BUILT_IN_STATIC, BUILT_IN_TEMPLATES, TEMPLATES_DIR};

/// Where `new` puts articles, below the root.
pub const ARTICLES_DIR: &str = "content/articles";

/// Why `new` or `init` did nothing.
#[derive(Debug, Error)]
pub enum ScaffoldError {
    #[error("`{}` already exists; aimsite does not overwrite it", .0.display())]
    AlreadyExists(PathBuf),
    #[error("`{}` is not a site folder: it has no {SETTINGS_FILE}", .0.display())]
    NotASite(PathBuf),
    #[error("the title `{0}` has no letters or digits to make a file name from")]
    NoSlug(String),
    #[error("`{}` is not empty", .0.display())]
    NotEmpty(PathBuf),
    #[error("`{}` is a file, not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

impl ScaffoldError {
    /// What to do about it.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            ScaffoldError::AlreadyExists(_) => {
                Some("choose another title, or edit the existing file")
            }
            ScaffoldError::NotASite(_) => Some(
                "run aimsite in the site's folder or give it with --root; `aimsite init DIR` makes a new site",
            ),
            ScaffoldError::NoSlug(_) => Some("give the article a title with words in it"),
            ScaffoldError::NotEmpty(_) | ScaffoldError::NotAFolder(_) => {
                Some("give a new folder, or an empty one")
            }
            ScaffoldError::Io(_) => None,
        }
    }
}

/// A calendar day, for the `date` of a new article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Day {
    /// Today in the computer's time zone (UTC where that cannot be known).
    pub fn today() -> Day {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i64);
        local_day(now).unwrap_or_else(|| Day::from_days_since_epoch(now.div_euclid(86_400)))
    }

    /// The civil (proleptic Gregorian) date `days` days after 1970-01-01, after Howard Hinnant's
    /// `civil_from_days`.
    pub fn from_days_since_epoch(days: i64) -> Day {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        } as u32;
        let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
        Day { year, month, day }
    }

    /// `2020-02-10`, as front matter writes a date.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The local calendar day of a Unix time, from the C library's time zone rules.
#[cfg(unix)]
fn local_day(seconds: i64) -> Option<Day> {
    let time = libc::time_t::try_from(seconds).ok()?;
    // SAFETY: `tm` is plain data that `localtime_r` fills in; both pointers are valid for the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let filled = unsafe { libc::localtime_r(&time, &mut tm) };
    if filled.is_null() {
        return None;
    }
    Some(Day {
        year: tm.tm_year + 1900,
        month: u32::try_from(tm.tm_mon + 1).ok()?,
        day: u32::try_from(tm.tm_mday).ok()?,
    })
}

#[cfg(not(unix))]
fn local_day(_seconds: i64) -> Option<Day> {
    None
}

/// Creates `ROOT/content/articles/<slug>.md` for a new article and returns its path.
pub fn new_article(
    root: &Path,
    title: &str,
    draft: bool,
    today: Day,
) -> Result<PathBuf, ScaffoldError> {
    let title = title.trim();
    if !root.join(SETTINGS_FILE).is_file() {
        return Err(ScaffoldError::NotASite(root.to_path_buf()));
    }
    let slug = slugify(title);
    if slug.is_empty() {
        return Err(ScaffoldError::NoSlug(title.to_string()));
    }
    let folder = root.join(ARTICLES_DIR);
    fs::create_dir_all(&folder).with_context(|| format!("cannot create `{}`", folder.display()))?;
    let path = folder.join(format!("{slug}.md"));
    write_new(&path, article_text(title, draft, today).as_bytes())?;
    Ok(path)
}

/// The text of a new article: front matter and a first heading.
pub fn article_text(title: &str, draft: bool, today: Day) -> String {
    let mut text = format!(
        "+++\ntitle = {}\ndescription = \"\"\ndate = {}\n",
        toml_string(title),
        today.iso()
    );
    if draft {
        text.push_str("draft = true\n");
    }
    text.push_str("+++\n\n## Introduction\n\n");
    text
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, text: &[u8]) -> Result<(), ScaffoldError> {
    let mut file = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(ScaffoldError::AlreadyExists(path.to_path_buf()));
        }
        Err(error) => {
            return Err(anyhow::Error::new(error)
                .context(format!("cannot create `{}`", path.display()))
                .into());
        }
    };
    file.write_all(text)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

/// Creates a new site in `dir`, which must be new or empty (hidden entries such as `.git` are
/// allowed). Returns the files created, relative to `dir`.
pub fn init(dir: &Path, today: Day) -> Result<Vec<String>, ScaffoldError> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(ScaffoldError::NotAFolder(dir.to_path_buf()));
        }
        let entries =
            fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read `{}`", dir.display()))?;
            if !entry.file_name().to_string_lossy().starts_with('.') {
                return Err(ScaffoldError::NotEmpty(dir.to_path_buf()));
            }
        }
    }
    let mut files: Vec<(String, Vec<u8>)> = starter_content(today)
        .into_iter()
        .map(|(path, text)| (path.to_string(), text.into_bytes()))
        .collect();
    files.extend(
        BUILT_IN_TEMPLATES
            .iter()
            .map(|(name, text)| (format!("{TEMPLATES_DIR}/{name}"), text.as_bytes().to_vec())),
    );
    files.extend(
        BUILT_IN_STATIC
            .iter()
            .map(|(name, bytes)| (format!("{STATIC_DIR}/{name}"), bytes.to_vec())),
    );
    let mut created = Vec::with_capacity(files.len());
    for (relative, bytes) in files {
        let path = dir.join(&relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        write_new(&path, &bytes)?;
        created.push(relative);
    }
    Ok(created)
}

/// The settings and pages of a new site: short, generic, and complete enough to pass `check`.
fn starter_content(today: Day) -> Vec<(&'static str, String)> {
    let settings = r#"# The site's settings. The aimsite README, "Settings", describes every key.
title = "My site"
description = "A short description of the site, shown by search engines and in link previews."
# The address the site is served from. The build warns while it is a placeholder.
base_url = "https://www.example.com/"
language = "en"
author = "Your name"
footer = "© Your name."

[[menu]]
label = "Home"
target = "@/_index.md"

[[menu]]
label = "Articles"
target = "@/articles/_index.md"

[[menu]]
label = "Contact"
target = "@/contact.md"

[[menu]]
label = "Privacy"
target = "@/privacy.md"
"#;
    let home = r#"+++
title = "My site"
description = "Welcome to my site: what it is about, and where to start reading."
+++

Welcome! This is the home page. Edit `content/_index.md` to say what the site is about.

## Where to start

Read the [first article](@/articles/welcome.md), or [get in touch](@/contact.md).
"#;
    let articles = r#"+++
title = "Articles"
description = "Every article on the site, newest first."
+++

Every article, newest first.
"#;
    let article = format!(
        r#"+++
title = "Welcome"
description = "The first article of the site, and how to write the next one."
date = {}
tags = ["news"]
+++

This is the first article. Its first paragraph is the summary that article lists show.

## Writing the next one

Run `aimsite new "Title of the article"` to start an article, and `aimsite serve` to see it
change as you write. Before publishing, `aimsite check` tells what needs fixing.
"#,
        today.iso()
    );
    let privacy = r#"+++
title = "Privacy policy"
description = "What this site stores about its visitors, and why."
+++

This site keeps what it stores about you to a minimum.

## What this site stores

Nothing: the site sets no cookies and sends nothing to third parties.

## Questions

[Contact us](@/contact.md) with any question about your privacy.
"#;
    let contact = r#"+++
title = "Contact"
description = "How to get in touch."
+++

Write to [hello@example.com](mailto:hello@example.com) and we will get back to you.
"#;
    vec![
        (SETTINGS_FILE, settings.to_string()),
        ("content/_index.md", home.to_string()),
        ("content/articles/_index.md", articles.to_string()),
        ("content/articles/welcome.md", article),
        ("content/privacy.md", privacy.to_string()),
        ("content/contact.md", contact.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_from_days() {
        let day = |days| Day::from_days_since_epoch(days).iso();
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(-1), "1969-12-31");
        assert_eq!(day(18_302), "2020-02-10");
        assert_eq!(day(11_016), "2000-02-29");
        assert_eq!(day(11_017), "2000-03-01");
        assert_eq!(day(19_782), "2024-02-29");
        assert_eq!(day(20_088), "2024-12-31");
        assert_eq!(day(-719_468), "0000-03-01");
    }

    #[test]
    fn today_is_within_a_day_of_utc() {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let utc = seconds / 86_400;
        let today = Day::today().iso();
        let near: Vec<String> = [utc - 1, utc, utc + 1]
            .iter()
            .map(|&days| Day::from_days_since_epoch(days).iso())
            .collect();
        assert!(near.contains(&today), "{today} not in {near:?}");
    }

    #[test]
    fn titles_are_quoted_for_toml() {
        assert_eq!(toml_string(r#"Say "hi" \ bye"#), r#""Say \"hi\" \\ bye""#);
        let text = article_text(
            "A \"quoted\" title",
            true,
            Day {
                year: 2021,
                month: 3,
                day: 4,
            },
        );
        let front = text.split("+++").nth(1).unwrap();
        let value: toml::Table = toml::from_str(front).unwrap();
        assert_eq!(value["title"].as_str(), Some("A \"quoted\" title"));
        assert_eq!(value["draft"].as_bool(), Some(true));
        assert_eq!(value["date"].to_string(), "2021-03-04");
    }
}
