//! The "bare program" of the benchmarks (docs/benchmarks.md): the least a generator must do.
//!
//! `cargo run --release --example bare_baseline -- CORPUS OUT` reads every
//! `CORPUS/content/articles/*.md`, strips its `+++` front matter, renders the body with
//! pulldown-cmark (aimsite's extensions: tables, footnotes, strikethrough, task lists, smart
//! punctuation, heading attributes) and writes it to `OUT/NAME.html`, in parallel with rayon as
//! aimsite does. Nothing else: no templates, no lists, no tags, no checks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pulldown_cmark::{Options, Parser, html};
use rayon::prelude::*;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [corpus, out] = args.as_slice() else {
        eprintln!("usage: bare_baseline CORPUS OUT");
        return ExitCode::FAILURE;
    };
    // The same extensions as aimsite, or the comparison means nothing.
    assert_eq!(
        options(),
        aimsite::markdown::options(),
        "aimsite's Markdown options changed"
    );
    match run(Path::new(corpus), Path::new(out)) {
        Ok(count) if count > 0 => ExitCode::SUCCESS,
        Ok(_) => {
            eprintln!("bare_baseline: no articles in {corpus}/content/articles");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("bare_baseline: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(corpus: &Path, out: &Path) -> std::io::Result<usize> {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(corpus.join("content/articles"))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    sources.retain(|path| {
        path.extension().is_some_and(|ext| ext == "md")
            && path.file_stem().is_some_and(|stem| stem != "_index")
    });
    std::fs::create_dir_all(out)?;
    sources.par_iter().try_for_each(|source| {
        let text = std::fs::read_to_string(source)?;
        let body = strip_front_matter(&text);
        let mut html = String::with_capacity(body.len() * 3 / 2);
        html::push_html(&mut html, Parser::new_ext(body, options()));
        let name = source.file_stem().expect("a file name").to_string_lossy();
        std::fs::write(out.join(format!("{name}.html")), html)
    })?;
    Ok(sources.len())
}

/// The text after the closing `+++` of the front matter, or all of it without one.
fn strip_front_matter(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("+++\n") else {
        return text;
    };
    match rest.find("\n+++\n") {
        Some(end) => &rest[end + "\n+++\n".len()..],
        None => text,
    }
}
