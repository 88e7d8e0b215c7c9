//! `aimsite new` and `aimsite init`: a new article with its front matter filled in, and a new site
//! folder that builds and passes `check` at once. Writes only new files, never over an existing
//! one.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use jiff::civil::Date;
use thiserror::Error;

use crate::build;
use crate::config::{self, SETTINGS_FILE};
use crate::content::STATIC_DIR;
use crate::feature;
use crate::markdown::slugify;
use crate::templates::TEMPLATES_DIR;

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

impl From<ScaffoldError> for crate::Error {
    fn from(error: ScaffoldError) -> Self {
        let help = error.help().map(str::to_string);
        match error {
            ScaffoldError::Io(error) => crate::Error::Environment { error, help },
            error => crate::Error::Environment {
                error: error.into(),
                help,
            },
        }
    }
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

/// Creates `ROOT/content/articles/<slug>.md` for a new article and returns its path.
pub fn new_article(
    root: &Path,
    title: &str,
    draft: bool,
    today: Date,
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
pub fn article_text(title: &str, draft: bool, today: Date) -> String {
    let mut text = format!(
        "+++\ntitle = {}\ndescription = \"\"\ndate = {today}\n",
        toml::Value::String(title.to_string())
    );
    if draft {
        text.push_str("draft = true\n");
    }
    text.push_str("+++\n\n## Introduction\n\n");
    text
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
pub fn init(dir: &Path, today: Date) -> Result<Vec<String>, ScaffoldError> {
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
    let starter = starter_content(today);
    let (settings, _) = config::parse(
        &starter[0].1,
        SETTINGS_FILE.into(),
        None,
        &feature::sections(build::FEATURES),
    )
    .map_err(|problems| anyhow::anyhow!("the starter settings do not load: {problems}"))?;
    let mut files: Vec<(String, Vec<u8>)> = starter
        .into_iter()
        .map(|(path, text)| (path.to_string(), text.into_bytes()))
        .collect();
    files.extend(
        build::built_in_templates()
            .templates
            .iter()
            .map(|(name, text)| (format!("{TEMPLATES_DIR}/{name}"), text.as_bytes().to_vec())),
    );
    files.extend(
        build::built_in_static(&settings)
            .iter()
            .map(|(name, bytes)| (format!("{STATIC_DIR}/{name}"), bytes.to_vec())),
    );
    // A folder cloned from an empty repository may have its own; it is left as it is.
    if !dir.join(GITIGNORE).exists() {
        files.push((GITIGNORE.to_string(), GITIGNORE_TEXT.as_bytes().to_vec()));
    }
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

const GITIGNORE: &str = ".gitignore";

/// Keeps the output out of the site's repository, and the folders a build works in beside it:
/// a work folder committed as a symbolic link would be refused by every build.
const GITIGNORE_TEXT: &str =
    "# Written by `aimsite build`: the site, and what the build uses beside it while it works.
/public/
/.public.aimsite-*
";

/// What to do once `init` made a site in `dir` with `files` files.
pub fn next_steps(dir: &Path, files: usize) -> String {
    format!(
        "Created a new site in {} ({files} files). Next:\n  cd {}\n  aimsite serve\n(`cargo install --path .` in aimsite's own folder installs the `aimsite` command)",
        dir.display(),
        dir.display()
    )
}

/// The settings and pages of a new site: short, generic, and complete enough to pass `check`.
fn starter_content(today: Date) -> Vec<(&'static str, String)> {
    let settings = r#"# The site's settings. aimsite's docs/settings.md describes every key.
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
label = "What we do"
target = "@/services/_index.md"

[[menu]]
label = "Articles"
target = "@/articles/_index.md"

[[menu]]
label = "Privacy"
target = "@/privacy.md"

# EXAMPLE: the call to action, a button in the header and on the home page, and a block at
# the end of the home page and of each article. Put your own words here.
[cta]
label = "Book a call"
target = "@/contact.md"
heading = "Ready to talk?"
text = "Example: tell visitors what happens when they get in touch."
# articles = false leaves the block out of the articles.

# EXAMPLE: how to reach the firm and who it is. These feed the contact page, the footer of every
# page and what search engines read. The build warns while a value is a placeholder.
[contact]
email = "hello@example.com"
phone = "+44 20 7946 0000"
legal_name = "Example Firm Ltd"
company_number = "12345678"
schema_type = "ProfessionalService"

[contact.address]
street = "1 Example Street"
locality = "London"
postal_code = "EC1A 1AA"
country = "United Kingdom"

[[contact.social]]
label = "LinkedIn"
url = "https://example.org/your-linkedin-page"
"#;
    let home = r#"+++
title = "My site"
description = "Welcome to my site: what it is about, and where to start reading."
+++

Welcome! This is the home page. Edit `content/_index.md` to say what the site is about.

## Where to start

See [what we do](@/services/_index.md), read the [first article](@/articles/welcome.md), or
[get in touch](@/contact.md).
"#;
    let services = r#"+++
title = "What we do"
description = "Example: the services the firm offers, one page each."
kind = "services"
+++

Example: each file in `content/services/` is a service, shown as a card here and on the home
page. Replace these examples with your own.
"#;
    let service = |title: &str, weight: u8| {
        format!(
            r#"+++
title = "{title} (example)"
description = "Example: one sentence on what the client gets from this service."
weight = {weight}
+++

This is an example service. Say who it is for, what happens, and what the client gets from it.
"#
        )
    };
    let people = r#"+++
title = "Our coaches"
description = "Example: the people of the firm, one page each."
kind = "people"
+++

Example: each file in `content/people/` is a person, with their `role`, and a `photo` if you
have one. Replace this example with your own people.
"#;
    let person = r#"+++
title = "Alex Example (example)"
description = "Example: one sentence on who Alex is."
role = "Leadership coach"
+++

This is an example person. Say what they do, for whom, and what they bring.
"#;
    let testimonials = r#"+++
title = "What clients say"
description = "Example: what clients say about working with the firm."
kind = "testimonials"
+++

Example: each file in `content/testimonials/` is a quote. Publish one only with its author's
agreement, which `consent_to_publish = true` records.
"#;
    let testimonial = r#"+++
title = "Sam Example (example)"
description = "Example: what Sam says about working with the firm."
role = "Operations director"
company = "Example Ltd"
consent_to_publish = true
+++

An example quote: what changed for the client, in their own words.
"#;
    let events = r#"+++
title = "Events"
description = "Example: workshops and talks to come; past ones move to an archive."
kind = "events"
+++

Example: each file in `content/events/` is an event, with its times, place and price.
"#;
    let event_day = today.saturating_add(jiff::Span::new().days(60));
    let event = format!(
        r#"+++
title = "Leading a team through change (example)"
description = "Example: a one-day workshop for new managers."
start = {event_day}T09:30:00+00:00
end = {event_day}T16:30:00+00:00
location = "Example venue, 1 Example Street, Example Town"
price = "£120"
+++

This is an example event. Say who it is for and what participants leave with.
"#
    );
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
date = {today}
tags = ["news"]
+++

This is the first article. Its first paragraph is the summary that article lists show.

## Writing the next one

Run `aimsite new "Title of the article"` to start an article, and `aimsite serve` to see it
change as you write. Before publishing, `aimsite check` tells what needs fixing.
"#,
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
        ("content/services/_index.md", services.to_string()),
        (
            "content/services/example-coaching.md",
            service("One-to-one coaching", 1),
        ),
        (
            "content/services/example-workshop.md",
            service("Team workshop", 2),
        ),
        ("content/people/_index.md", people.to_string()),
        ("content/people/example-person.md", person.to_string()),
        ("content/testimonials/_index.md", testimonials.to_string()),
        (
            "content/testimonials/example-client.md",
            testimonial.to_string(),
        ),
        ("content/events/_index.md", events.to_string()),
        ("content/events/example-workshop.md", event),
        ("content/privacy.md", privacy.to_string()),
        ("content/contact.md", contact.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_quoted_for_toml() {
        let title = "A \"quoted\" title \\ with\ttabs";
        let text = article_text(title, true, jiff::civil::date(2021, 3, 4));
        let front = text.split("+++").nth(1).unwrap();
        let value: toml::Table = toml::from_str(front).unwrap();
        assert_eq!(value["title"].as_str(), Some(title));
        assert_eq!(value["draft"].as_bool(), Some(true));
        assert_eq!(value["date"].to_string(), "2021-03-04");
    }
}
