//! The incremental rebuild of `aimsite serve`: one article edited in a site of 1,000 articles.
//!
//! `cargo bench --bench incremental [-- ARTICLES]`. Copies the firm's site into a temporary
//! folder, adds generated articles (about 1,000 words each, with headings, lists, tags and `@/`
//! links), then times `build::render` from scratch and `build::render_cached` after each kind of
//! edit, and checks that every cached rebuild gives exactly the files of a build from scratch.
//! Results are in docs/benchmarks.md.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use aimsite::build::{self, BuildOptions, RenderCache, RenderedSite};
use aimsite::output::Contents;

const ROUNDS: usize = 15;

const WORDS: [&str; 24] = [
    "leaders", "teams", "vision", "strategy", "growth", "people", "goals", "trust", "managers",
    "progress", "decisions", "clear", "future", "inspire", "coaching", "impact", "balance",
    "focus", "listen", "learn", "build", "share", "plan", "improve",
];
const TAGS: [&str; 12] = [
    "leadership", "management", "coaching", "strategy", "teams", "culture", "communication",
    "vision", "feedback", "delegation", "wellbeing", "change",
];

fn main() {
    let articles: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    copy_site(Path::new(env!("CARGO_MANIFEST_DIR")), root);
    for index in 0..articles {
        let path = root.join(format!("content/articles/generated-{index:05}.md"));
        std::fs::write(path, article(index, articles, 0)).expect("writing an article");
    }
    let options = BuildOptions {
        base_url: Some("http://127.0.0.1:1111/".into()),
        ..BuildOptions::new(root)
    };

    let (full, site) = time(|| build::render(&options).expect("the site builds"));
    println!(
        "site: {articles} generated articles, {} pages, {} files",
        site.pages,
        site.files.len()
    );
    println!("full build (build::render):           {}", ms(full));
    let mut cache = RenderCache::default();
    let (first, _) = time(|| build::render_cached(&options, &mut cache).expect("builds"));
    println!("first serve build (empty cache):      {}", ms(first));

    let edited = root.join("content/articles/generated-00042.md");
    let mut body_edit = Vec::new();
    let mut title_edit = Vec::new();
    let mut unchanged = Vec::new();
    for round in 1..=ROUNDS {
        // A change below the summary: only the article itself changes.
        std::fs::write(&edited, article(42, articles, round)).expect("editing");
        body_edit.push(time(|| build::render_cached(&options, &mut cache).expect("builds")).0);
        // A new title: the article, the lists that show it and its tags' pages change.
        let retitled = article(42, articles, round).replace(
            "title = \"Generated article 42\"",
            &format!("title = \"Generated article 42, take {round}\""),
        );
        std::fs::write(&edited, retitled).expect("editing");
        title_edit.push(time(|| build::render_cached(&options, &mut cache).expect("builds")).0);
        unchanged.push(time(|| build::render_cached(&options, &mut cache).expect("builds")).0);
    }
    report("one article's body edited", &mut body_edit);
    report("one article's title edited", &mut title_edit);
    report("nothing changed", &mut unchanged);

    let (phases, rendered) = {
        std::fs::write(&edited, article(42, articles, ROUNDS + 1)).expect("editing");
        let rendered = build::render_cached(&options, &mut cache).expect("builds");
        (rendered.timings.clone(), rendered)
    };
    let mut line = String::from("phases of one body edit:");
    for (phase, duration) in &phases.0 {
        let _ = write!(line, " {phase} {}", ms(*duration));
    }
    println!("{line}");

    let scratch = build::render(&options).expect("builds");
    assert_same_files(&rendered, &scratch);
    println!("cached and from-scratch builds give the same files");
}

fn copy_site(from: &Path, to: &Path) {
    std::fs::copy(from.join("site.toml"), to.join("site.toml")).expect("site.toml");
    for folder in ["content", "templates", "static"] {
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
fn article(index: usize, count: usize, edit: usize) -> String {
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
        let _ = writeln!(text, "## Section {section}: {} {{#section-{section}}}\n", word());
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

fn time<T>(work: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let result = work();
    (start.elapsed(), result)
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{what:<36} median {}, min {}, max {} ({} rounds)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

fn assert_same_files(cached: &RenderedSite, scratch: &RenderedSite) {
    assert_eq!(cached.files.len(), scratch.files.len(), "file count");
    for (a, b) in cached.files.iter().zip(&scratch.files) {
        assert_eq!(a.path, b.path);
        let same = match (&a.contents, &b.contents) {
            (Contents::Text(a), Contents::Text(b)) => a == b,
            (Contents::Embedded(a), Contents::Embedded(b)) => a == b,
            (Contents::Loaded(a), Contents::Loaded(b)) => a == b,
            (Contents::CopyOf(a), Contents::CopyOf(b)) => a == b,
            _ => false,
        };
        assert!(same, "{} differs between a cached and a full build", a.path);
    }
}
