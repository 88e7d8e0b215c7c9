//! Writes a synthetic site for benchmarks: `cargo run --release --example gen_corpus -- --articles
//! 10000 [--seed 1] DIR`. Each article is about 1,000 words of realistic Markdown (headings,
//! lists, links, emphasis, a blockquote, a table, a code block) with TOML front matter (title,
//! date, description, 2-3 of 20 tags). The same seed always gives the same site.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const TAGS: [&str; 20] = [
    "leadership", "management", "coaching", "strategy", "teams", "culture", "communication", "vision",
    "feedback", "delegation", "productivity", "wellbeing", "change", "hiring", "mentoring", "goals",
    "decisions", "trust", "growth", "resilience",
];

const WORDS: [&str; 48] = [
    "leaders", "teams", "vision", "strategy", "growth", "people", "goals", "trust", "the", "a", "and",
    "of", "to", "in", "that", "with", "for", "on", "their", "every", "great", "managers", "progress",
    "organization", "decisions", "clear", "future", "communicate", "inspire", "track", "contribute",
    "process", "company", "change", "skills", "coaching", "impact", "balance", "focus", "listen",
    "learn", "build", "share", "plan", "measure", "improve", "support", "deliver",
];

struct Options {
    articles: usize,
    seed: u64,
    dir: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut articles = 1000;
    let mut seed = 1;
    let mut dir = None;
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = args.next().ok_or(format!("{name} needs a number"))?;
            value.parse().map_err(|_| format!("{name}: `{value}` is not a number"))
        };
        match arg.as_str() {
            "--articles" => articles = number("--articles")? as usize,
            "--seed" => seed = number("--seed")?,
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let dir = dir.ok_or("usage: gen_corpus --articles N [--seed S] DIR")?;
    Ok(Options { articles, seed, dir })
}

fn main() -> ExitCode {
    match parse_options().and_then(|options| generate(&options).map_err(|e| e.to_string())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen_corpus: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate(options: &Options) -> std::io::Result<()> {
    let articles = options.dir.join("content/articles");
    std::fs::create_dir_all(&articles)?;
    write(
        &options.dir.join("site.toml"),
        "title = \"Benchmark\"\ndescription = \"A synthetic site.\"\nbase_url = \"https://bench.test/\"\n\n[[menu]]\nlabel = \"Articles\"\ntarget = \"/articles/\"\n",
    )?;
    write(
        &options.dir.join("content/_index.md"),
        "+++\ntitle = \"Benchmark\"\ndescription = \"The home page.\"\n+++\n\nWelcome.\n",
    )?;
    let mut random = fastrand::Rng::with_seed(options.seed);
    for number in 0..options.articles {
        let text = article(&mut random, number);
        write(&articles.join(format!("article-{number:05}.md")), &text)?;
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

fn words(random: &mut fastrand::Rng, count: usize) -> String {
    let mut text = String::new();
    for i in 0..count {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(WORDS[random.usize(..WORDS.len())]);
    }
    text
}

fn sentence(random: &mut fastrand::Rng) -> String {
    let count = random.usize(8..16);
    let mut text = words(random, count);
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text.push('.');
    text
}

fn paragraph(random: &mut fastrand::Rng) -> String {
    let mut text = String::new();
    for _ in 0..random.usize(4..7) {
        let mut sentence = sentence(random);
        match random.usize(..6) {
            0 => sentence = sentence.replacen(' ', " *", 1).replacen(' ', "* ", 2),
            1 => sentence = sentence.replacen(' ', " **", 1).replacen(' ', "** ", 2),
            2 => sentence.push_str(" See [the guide](https://example.com/guide)."),
            _ => {}
        }
        text.push_str(&sentence);
        text.push(' ');
    }
    text.trim_end().to_string()
}

fn article(random: &mut fastrand::Rng, number: usize) -> String {
    let mut tags: Vec<&str> = Vec::new();
    let wanted = random.usize(2..4);
    while tags.len() < wanted {
        let tag = TAGS[random.usize(..TAGS.len())];
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let tags: Vec<String> = tags.iter().map(|tag| format!("\"{tag}\"")).collect();
    let title = words(random, 4);
    let description = sentence(random);
    let mut text = format!(
        "+++\ntitle = \"Article {number}: {}\"\ndate = {}-{:02}-{:02}\ndescription = \"{}\"\ntags = [{}]\n+++\n\n",
        title,
        2000 + number % 25,
        1 + number % 12,
        1 + number % 28,
        description,
        tags.join(", ")
    );
    let introduction = paragraph(random);
    let _ = writeln!(text, "{introduction}\n");
    for section in 0..4 {
        let heading = words(random, 3);
        let _ = writeln!(text, "## Section {section}: {heading}\n");
        let opening = paragraph(random);
        let _ = writeln!(text, "{opening}\n");
        match section {
            0 => {
                for _ in 0..4 {
                    let _ = writeln!(text, "- {}", sentence(random));
                }
                text.push('\n');
            }
            1 => {
                let quote = paragraph(random);
                let _ = writeln!(text, "> {quote}\n");
            }
            2 => {
                text.push_str("| Goal | Owner | Status |\n|---|---|---|\n");
                for _ in 0..4 {
                    let cells = [words(random, 2), words(random, 1), words(random, 1)];
                    let _ = writeln!(text, "| {} | {} | {} |", cells[0], cells[1], cells[2]);
                }
                text.push('\n');
            }
            _ => {
                text.push_str("```toml\n[plan]\ngoal = \"grow\"\nsteps = 3\n```\n\n");
            }
        }
        let details = [paragraph(random), paragraph(random)];
        let _ = writeln!(text, "### Details\n\n{}\n\n{}\n", details[0], details[1]);
    }
    text
}
