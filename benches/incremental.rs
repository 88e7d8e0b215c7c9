//! The incremental rebuild of `aimsite serve`: one article edited in a site of 1,000 articles.
//!
//! `cargo bench --bench incremental [-- ARTICLES]`. Copies the firm's site into a temporary
//! folder, adds generated articles (about 1,000 words each, with headings, lists, tags and `@/`
//! links), then times `build::render` from scratch and `build::render_memoised` after each kind of
//! edit, and checks that every cached rebuild gives exactly the files of a build from scratch.
//! Results are in docs/benchmarks.md.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use aimsite::build::{self, BuildOptions, Memos, RenderedSite};

mod support;
use support::{article, ms};

const ROUNDS: usize = 15;

fn main() {
    let articles: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    support::firm_site_with(root, articles);
    // A real site's files were written long ago: let these settle, so that unchanged files are
    // recognised by their stamp as they would be (see `content::PageCache`).
    std::thread::sleep(Duration::from_secs(3));
    let options = BuildOptions {
        base_url: Some("http://127.0.0.1:1111/".into()),
        ..BuildOptions::new(root)
    };

    let full = time(|| build::render(&options).expect("the site builds"));
    let site = &full.result;
    println!(
        "site: {articles} generated articles, {} pages, {} files",
        site.pages,
        site.files.len()
    );
    println!(
        "full build (build::render):      {}; processor time {}",
        ms(full.wall),
        ms(full.cpu)
    );
    let mut cache = Memos::default();
    let first = time(|| build::render_memoised(&options, &mut cache).expect("builds"));
    println!(
        "first serve build (empty cache): {}; processor time {}",
        ms(first.wall),
        ms(first.cpu)
    );
    let rebuild = |cache: &mut Memos| {
        let timed = time(|| build::render_memoised(&options, cache).expect("builds"));
        (timed.wall, timed.cpu)
    };

    let edited = root.join("content/articles/generated-00042.md");
    let mut body_edit = Vec::new();
    let mut title_edit = Vec::new();
    let mut unchanged = Vec::new();
    for round in 1..=ROUNDS {
        // A change below the summary: only the article itself changes.
        std::fs::write(&edited, article(42, articles, round)).expect("editing");
        body_edit.push(rebuild(&mut cache));
        // A new title: the article, the lists that show it and its tags' pages change.
        let retitled = article(42, articles, round).replace(
            "title = \"Generated article 42\"",
            &format!("title = \"Generated article 42, take {round}\""),
        );
        std::fs::write(&edited, retitled).expect("editing");
        title_edit.push(rebuild(&mut cache));
        unchanged.push(rebuild(&mut cache));
    }
    report("one article's body edited", &mut body_edit);
    report("one article's title edited", &mut title_edit);
    report("nothing changed", &mut unchanged);

    let (phases, rendered) = {
        std::fs::write(&edited, article(42, articles, ROUNDS + 1)).expect("editing");
        let rendered = build::render_memoised(&options, &mut cache).expect("builds");
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

/// Wall time and processor time of some work, and its result.
struct Timed<T> {
    wall: Duration,
    cpu: Duration,
    result: T,
}

fn time<T>(work: impl FnOnce() -> T) -> Timed<T> {
    let start = Instant::now();
    let cpu = cpu_time();
    let result = work();
    Timed {
        wall: start.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
        result,
    }
}

/// Processor time of the whole process so far: less disturbed than wall time by other programs.
fn cpu_time() -> Duration {
    // SAFETY: `getrusage` fills in the plain struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn report(what: &str, times: &mut [(Duration, Duration)]) {
    times.sort();
    let cpu = times.iter().map(|(_, cpu)| *cpu).sum::<Duration>() / times.len() as u32;
    println!(
        "{what:<28} median {}, min {}, max {}; processor time {} ({} rounds)",
        ms(times[times.len() / 2].0),
        ms(times[0].0),
        ms(times[times.len() - 1].0),
        ms(cpu),
        times.len()
    );
}

fn assert_same_files(cached: &RenderedSite, scratch: &RenderedSite) {
    assert_eq!(cached.files.len(), scratch.files.len(), "file count");
    for (a, b) in cached.files.iter().zip(&scratch.files) {
        assert_eq!(a.path, b.path);
        assert!(
            a.contents.same_as(&b.contents),
            "{} differs between a cached and a full build",
            a.path
        );
    }
}
