//! Responsive images at scale: the firm's site with generated articles, each showing one photo
//! of 4000 × 3000 (generated JPEGs, textured so that they encode like photos).
//!
//! `cargo bench --bench images [-- PHOTOS] [--no-hugo]` (100 by default). Times `aimsite build` with an
//! empty cache (every copy encoded), then with the cache warm, then the same site without the
//! photos; then Hugo (when `hugo` is installed) resizing the same photos to the same widths in
//! WebP, with an empty and a warm cache of its own. Results are in docs/benchmarks.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aimsite::build::{self, BuildOptions};

mod support;

const WIDTHS: [u32; 5] = [480, 800, 1200, 1600, 2000];
/// Each round times a warm build and a build without photos; at about 30 ms a pair, 101 rounds
/// take a few seconds and give medians that the machine's drift moves little.
const WARM_ROUNDS: usize = 101;

fn main() {
    let photos: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    let started = Instant::now();
    let sources = generate_photos(&root.join("photos"), photos);
    println!(
        "{photos} photos of 4000 × 3000, {:.1} MB in all, generated in {:.1} s",
        sources
            .iter()
            .map(|photo| std::fs::metadata(photo).map_or(0, |m| m.len()))
            .sum::<u64>() as f64
            / 1e6,
        started.elapsed().as_secs_f64()
    );

    let with = root.join("with");
    let without = root.join("without");
    for (site, show) in [(&with, true), (&without, false)] {
        std::fs::create_dir_all(site).expect("a folder");
        support::firm_site_with(site, photos);
        if show {
            add_photos(site, &sources);
        }
    }
    // A cache for each site: a build prunes what its site does not use.
    let options = |site: &Path, output: &str| BuildOptions {
        output: Some(root.join(output)),
        cache: Some(root.join(format!("cache-{output}"))),
        ..BuildOptions::new(site)
    };

    let cold = time_once(|| build::build(&options(&with, "out-with")).expect("builds"));
    let Paired {
        first: warm,
        second: plain,
        ratio,
    } = interleaved_medians(
        || build::build(&options(&with, "out-with")).expect("builds"),
        || build::build(&options(&without, "out-without")).expect("builds"),
    );
    println!(
        "aimsite, empty cache (WebP + JPEG, 5 widths): {}",
        secs(cold)
    );
    println!("aimsite, warm cache: {}", ms(warm));
    println!("aimsite, same site without the photos: {}", ms(plain));
    println!(
        "warm rebuild costs {:+.1}% over the site without photos (median of the {WARM_ROUNDS} \
         rounds' ratios; of the medians: {:+.1}%)",
        (ratio - 1.0) * 100.0,
        (warm.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0
    );

    if std::env::args().any(|arg| arg == "--no-hugo") {
        return;
    }
    match hugo(root, &sources) {
        Some((cold, warm)) => {
            println!("hugo, empty cache (WebP only, 5 widths): {}", secs(cold));
            println!("hugo, warm cache: {}", ms(warm));
        }
        None => println!("hugo: not installed, not compared"),
    }
}

/// Photos with smooth light and fine texture, as a camera's are, each different.
fn generate_photos(folder: &Path, count: usize) -> Vec<PathBuf> {
    use rayon::prelude::*;
    std::fs::create_dir_all(folder).expect("a folder");
    (0..count)
        .into_par_iter()
        .map(|index| {
            let (width, height) = (4000u32, 3000u32);
            let mut seed = index as u32 * 2_654_435_761 + 7;
            let mut pixels = Vec::with_capacity((width * height * 3) as usize);
            for y in 0..height {
                for x in 0..width {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    let grain = (seed % 24) as i32 - 12;
                    let wave = ((x as f32 / 97.0 + index as f32).sin()
                        * (y as f32 / 71.0).cos()
                        * 60.0) as i32;
                    let channel = |base: i32| (base + wave + grain).clamp(0, 255) as u8;
                    pixels.push(channel((x * 200 / width) as i32 + 20));
                    pixels.push(channel((y * 180 / height) as i32 + 40));
                    pixels.push(channel(((x + y) * 120 / (width + height)) as i32 + 70));
                }
            }
            let mut bytes = Vec::new();
            jpeg_encoder::Encoder::new(&mut bytes, 88)
                .encode(
                    &pixels,
                    width as u16,
                    height as u16,
                    jpeg_encoder::ColorType::Rgb,
                )
                .expect("a JPEG");
            let path = folder.join(format!("photo-{index:05}.jpg"));
            std::fs::write(&path, bytes).expect("writing a photo");
            path
        })
        .collect()
}

/// One photo beside each generated article, shown after its summary.
fn add_photos(site: &Path, photos: &[PathBuf]) {
    for (index, photo) in photos.iter().enumerate() {
        let name = format!("photo-{index:05}.jpg");
        std::fs::hard_link(photo, site.join("content/articles").join(&name))
            .or_else(|_| {
                std::fs::copy(photo, site.join("content/articles").join(&name)).map(|_| ())
            })
            .expect("linking a photo");
        let article = site.join(format!("content/articles/generated-{index:05}.md"));
        let text = std::fs::read_to_string(&article).expect("an article");
        let text = text.replacen(
            "<!-- more -->\n\n",
            &format!("<!-- more -->\n\n![A workshop, photo {index}]({name})\n\n"),
            1,
        );
        std::fs::write(&article, text).expect("writing an article");
    }
}

/// Hugo resizing the same photos to the same widths in WebP (Lanczos, quality 80), from an
/// empty cache and then a warm one. `None` without Hugo.
fn hugo(root: &Path, photos: &[PathBuf]) -> Option<(Duration, Duration)> {
    Command::new("hugo").arg("version").output().ok()?;
    let site = root.join("hugo");
    std::fs::create_dir_all(site.join("assets/photos")).ok()?;
    std::fs::create_dir_all(site.join("layouts")).ok()?;
    std::fs::write(
        site.join("config.toml"),
        "baseURL = \"https://bench.test/\"\ndisableKinds = [\"taxonomy\", \"term\", \"RSS\", \"sitemap\", \"robotsTXT\", \"404\", \"section\", \"page\"]\n",
    )
    .ok()?;
    let widths: Vec<String> = WIDTHS.iter().map(u32::to_string).collect();
    std::fs::write(
        site.join("layouts/index.html"),
        format!(
            "{{{{ range resources.Match \"photos/*.jpg\" }}}}{{{{ $photo := . }}}}{{{{ range slice {} }}}}<img src=\"{{{{ ($photo.Resize (printf \"%dx webp q80 Lanczos\" .)).RelPermalink }}}}\">\n{{{{ end }}}}{{{{ end }}}}",
            widths.join(" ")
        ),
    )
    .ok()?;
    for (index, photo) in photos.iter().enumerate() {
        let target = site.join(format!("assets/photos/photo-{index:05}.jpg"));
        std::fs::hard_link(photo, &target)
            .or_else(|_| std::fs::copy(photo, &target).map(|_| ()))
            .ok()?;
    }
    let run = || {
        let status = Command::new("hugo")
            .args(["--quiet", "--source"])
            .arg(&site)
            .arg("--destination")
            .arg(root.join("hugo-out"))
            .status()
            .expect("hugo runs");
        assert!(status.success(), "hugo failed");
    };
    let cold = time_once(run);
    let warm = interleaved_medians(run, || ()).first;
    Some((cold, warm))
}

fn time_once<T>(work: impl FnOnce() -> T) -> Duration {
    let started = Instant::now();
    let result = work();
    let elapsed = started.elapsed();
    drop(result);
    elapsed
}

/// Two builds timed in turn, so that the machine's drift favours neither.
struct Paired {
    /// Each one's median.
    first: Duration,
    second: Duration,
    /// The median of each round's ratio of the first to the second: what drift between rounds
    /// moves least.
    ratio: f64,
}

fn interleaved_medians<A, B>(
    mut first: impl FnMut() -> A,
    mut second: impl FnMut() -> B,
) -> Paired {
    let (mut firsts, mut seconds) = (Vec::new(), Vec::new());
    for _ in 0..WARM_ROUNDS {
        firsts.push(time_once(&mut first));
        seconds.push(time_once(&mut second));
    }
    let mut ratios: Vec<f64> = (firsts.iter().zip(&seconds))
        .map(|(first, second)| first.as_secs_f64() / second.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    Paired {
        first: median(firsts),
        second: median(seconds),
        ratio: ratios[ratios.len() / 2],
    }
}

fn secs(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

fn ms(duration: Duration) -> String {
    support::ms(duration)
}
