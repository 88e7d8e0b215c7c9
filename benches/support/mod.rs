//! What the benchmarks share: a copy of the firm's site with generated articles added, and
//! how durations are printed.

#![allow(dead_code)] // Each benchmark uses its own part.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

pub const WORDS: [&str; 24] = [
    "leaders",
    "teams",
    "vision",
    "strategy",
    "growth",
    "people",
    "goals",
    "trust",
    "managers",
    "progress",
    "decisions",
    "clear",
    "future",
    "inspire",
    "coaching",
    "impact",
    "balance",
    "focus",
    "listen",
    "learn",
    "build",
    "share",
    "plan",
    "improve",
];
pub const TAGS: [&str; 12] = [
    "leadership",
    "management",
    "coaching",
    "strategy",
    "teams",
    "culture",
    "communication",
    "vision",
    "feedback",
    "delegation",
    "wellbeing",
    "change",
];

/// The firm's site, with `articles` generated ones added below `content/articles/`.
pub fn firm_site_with(root: &Path, articles: usize) {
    copy_site(Path::new(env!("CARGO_MANIFEST_DIR")), root);
    for index in 0..articles {
        let path = root.join(format!("content/articles/generated-{index:05}.md"));
        std::fs::write(path, article(index, articles, 0)).expect("writing an article");
    }
}

pub fn copy_site(from: &Path, to: &Path) {
    std::fs::copy(from.join("site.toml"), to.join("site.toml")).expect("site.toml");
    // The firm's site may have no templates/ or static/ of its own: the theme's are built in.
    for folder in ["content", "templates", "static"] {
        if !from.join(folder).is_dir() {
            continue;
        }
        for entry in walk(&from.join(folder)) {
            let relative = entry.strip_prefix(from).expect("below the site");
            let target = to.join(relative);
            std::fs::create_dir_all(target.parent().expect("a folder")).expect("folders");
            std::fs::copy(&entry, &target).expect("copying");
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A generated article: deterministic text; `edit` changes a paragraph below the summary.
pub fn article(index: usize, count: usize, edit: usize) -> String {
    let mut seed = index as u64 * 2_654_435_761 + 1;
    let mut word = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        WORDS[(seed % WORDS.len() as u64) as usize]
    };
    let tags: Vec<String> = (0..3)
        .map(|n| format!("\"{}\"", TAGS[(index + n * 5) % TAGS.len()]))
        .collect();
    let mut text = format!(
        "+++\ntitle = \"Generated article {index}\"\ndescription = \"Article {index} about leadership and coaching.\"\ndate = 2021-{:02}-{:02}\ntags = [{}]\n+++\n\n",
        index % 12 + 1,
        index % 28 + 1,
        tags.join(", ")
    );
    let sentence = |word: &mut dyn FnMut() -> &'static str, length: usize| {
        let words: Vec<&str> = (0..length).map(|_| word()).collect();
        format!("{}.", words.join(" "))
    };
    text.push_str(&sentence(&mut word, 40));
    text.push_str("\n\n<!-- more -->\n\n");
    for section in 0..6 {
        let _ = writeln!(
            text,
            "## Section {section}: {} {{#section-{section}}}\n",
            word()
        );
        for _ in 0..3 {
            text.push_str(&sentence(&mut word, 50));
            text.push_str("\n\n");
        }
        text.push_str("- ");
        text.push_str(&sentence(&mut word, 8));
        text.push_str("\n- ");
        text.push_str(&sentence(&mut word, 8));
        text.push_str("\n\n");
    }
    let other = (index + 1) % count;
    let _ = writeln!(
        text,
        "See also [article {other}](@/articles/generated-{other:05}.md#section-1) and [contact us](@/contact.md).\n"
    );
    let _ = writeln!(text, "Edit number {edit}.");
    text
}

pub fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
