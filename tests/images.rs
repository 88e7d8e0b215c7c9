//! Responsive images (issue 18): Markdown images become `<picture>`s of resized copies with
//! their size, the copies keep no EXIF, a warm rebuild encodes nothing, and a broken image is
//! a located error that leaves the previous output as it was.

mod fixture;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::SystemTime;

use fixture::*;

/// A JPEG of `width` × `height` with a gradient and, when `exif`, an EXIF block with an
/// orientation (1: upright) and a GPS latitude, as a phone writes.
fn photo(width: u16, height: u16, orientation: Option<u16>) -> Vec<u8> {
    let pixels: Vec<u8> = (0..u32::from(width) * u32::from(height))
        .flat_map(|i| {
            let x = i % u32::from(width);
            let y = i / u32::from(width);
            [
                (x * 255 / u32::from(width)) as u8,
                (y * 255 / u32::from(height)) as u8,
                120,
            ]
        })
        .collect();
    let mut bytes = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 85);
    if let Some(orientation) = orientation {
        encoder.add_app_segment(1, exif(orientation)).unwrap();
    }
    encoder
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    bytes
}

fn exif(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend([0, 2]);
    tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0]);
    tiff.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
    tiff.extend([0, 0, 0, 0]);
    tiff.extend([0, 1]);
    tiff.extend([0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend([0, 0, 0, 0]);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(tiff);
    exif
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

const WITH_PHOTOS: &str = "+++\ntitle = \"Photos\"\ndate = 2021-02-01\n+++\n\nOur coach.\n\n\
![Anna coaching a team](anna.jpg)\n\nAnd the room.\n\n![The workshop room](/photos/room.jpg \"Room 2\")\n";

/// The fixture with an article holding two photos: one beside it, one from `static/`.
fn with_photos() -> Fixture {
    let fixture = Fixture::new();
    fixture.write("content/articles/anna.jpg", photo(1000, 750, Some(1)));
    fixture.write("static/photos/room.jpg", photo(600, 400, None));
    fixture.write("content/articles/photos.md", WITH_PHOTOS);
    fixture
}

fn attribute(page: &scraper::Html, css: &str, name: &str) -> Vec<String> {
    page.select(&selector(css))
        .map(|element| element.value().attr(name).unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_markdown_photo_becomes_a_picture_with_its_size() {
    let fixture = with_photos();
    fixture.build_ok(&[]);
    let page = fixture.page("articles/photos/index.html");
    assert_eq!(page.select(&selector("main picture")).count(), 2);
    assert_eq!(
        attribute(&page, "main picture source", "type"),
        ["image/webp", "image/webp"]
    );
    let webp = &attribute(&page, "main picture source", "srcset")[0];
    let widths: Vec<&str> = webp
        .split(", ")
        .map(|candidate| candidate.rsplit(' ').next().unwrap())
        .collect();
    // 1000 px wide: the ladder below it, then its own width; never enlarged.
    assert_eq!(widths, ["480w", "800w", "1000w"], "{webp}");
    assert_eq!(
        attribute(&page, "main picture img", "width"),
        ["1000", "600"]
    );
    assert_eq!(
        attribute(&page, "main picture img", "height"),
        ["750", "400"]
    );
    assert_eq!(
        attribute(&page, "main picture img", "alt"),
        ["Anna coaching a team", "The workshop room"]
    );
    assert_eq!(
        attribute(&page, "main picture img", "title"),
        ["", "Room 2"]
    );
    // The first picture is likely in view: fetched at once; the others wait to be near it.
    assert_eq!(
        attribute(&page, "main picture img", "fetchpriority"),
        ["high", ""]
    );
    assert_eq!(
        attribute(&page, "main picture img", "loading"),
        ["", "lazy"]
    );
    assert!(
        attribute(&page, "main picture img", "sizes")
            .iter()
            .all(|sizes| sizes.contains("vw"))
    );
    // Every URL the page names is written.
    let files = fixture.output_files();
    for url in attribute(&page, "main picture img", "src")
        .into_iter()
        .chain(attribute(&page, "main picture source", "srcset"))
        .chain(attribute(&page, "main picture img", "srcset"))
    {
        for candidate in url.split(", ").filter(|candidate| !candidate.is_empty()) {
            let path = candidate.split(' ').next().unwrap().trim_start_matches('/');
            assert!(files.contains_key(path), "{path} is not written");
        }
    }
}

#[test]
fn no_written_image_keeps_exif_or_gps() {
    let fixture = with_photos();
    // Not shown as a picture: copied as it is, less its metadata.
    fixture.write("static/photos/unused.jpg", photo(64, 48, Some(1)));
    fixture.build_ok(&[]);
    let written = fixture.output_files();
    assert!(written.contains_key("photos/unused.jpg"));
    // Shown as pictures: their copies stand for them.
    assert!(!written.contains_key("articles/anna.jpg"));
    assert!(!written.contains_key("photos/room.jpg"));
    let images: Vec<(String, Vec<u8>)> = files(&fixture.out)
        .into_iter()
        .filter(|(path, _)| {
            [".jpg", ".jpeg", ".webp", ".png"]
                .iter()
                .any(|extension| path.ends_with(extension))
        })
        .collect();
    assert!(
        images.len() >= 6,
        "{:?}",
        images.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, bytes) in images {
        assert!(!contains(&bytes, b"Exif"), "{path} keeps EXIF");
        assert!(
            !contains(&bytes, b"MM\0\x2a"),
            "{path} keeps EXIF's TIFF block"
        );
    }
}

/// The cache's entries with their modification times.
fn cache_entries(root: &Path) -> BTreeMap<String, SystemTime> {
    let folder = root.join(".aimsite-cache/images");
    fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|entry| {
            let entry = entry.unwrap();
            let modified = entry.metadata().unwrap().modified().unwrap();
            (entry.file_name().to_string_lossy().into_owned(), modified)
        })
        .collect()
}

#[test]
fn a_warm_rebuild_encodes_nothing_and_stale_entries_go() {
    let fixture = with_photos();
    fixture.build_ok(&[]);
    let cold = cache_entries(&fixture.root);
    assert!(cold.contains_key(".gitignore"), "{cold:?}");
    let gitignore = fs::read_to_string(fixture.root.join(".aimsite-cache/images/.gitignore"));
    assert!(gitignore.unwrap().lines().any(|line| line == "*"));
    assert!(cold.contains_key("index.tsv"), "{cold:?}");
    let encoded = cold.len() - 2;
    // anna: 3 widths × WebP and JPEG; room: 2 widths × 2.
    assert_eq!(encoded, 10, "{cold:?}");
    let output = fixture.files_of_output();
    // The copies are linked into the output from the cache, not written again.
    let written = fs::read_dir(fixture.out.join("images")).unwrap();
    for entry in written {
        use std::os::unix::fs::MetadataExt as _;
        let metadata = entry.unwrap().metadata().unwrap();
        assert!(metadata.nlink() >= 2, "a copy was written, not linked");
        assert!(metadata.permissions().readonly());
    }
    fixture.build_ok(&[]);
    assert_eq!(
        cache_entries(&fixture.root),
        cold,
        "a warm rebuild wrote to the cache"
    );
    assert_eq!(
        fixture.files_of_output(),
        output,
        "a warm rebuild changed the output"
    );

    // The room's photo is gone from the article: its copies are stale.
    fixture.write(
        "content/articles/photos.md",
        "+++\ntitle = \"Photos\"\ndate = 2021-02-01\n+++\n\n![Anna](anna.jpg)\n",
    );
    fixture.build_ok(&[]);
    let pruned = cache_entries(&fixture.root);
    assert_eq!(pruned.len() - 2, 6, "{pruned:?}");
    assert!(
        pruned
            .iter()
            .all(|(name, time)| name == "index.tsv" || cold.get(name) == Some(time))
    );
}

/// What a warm build trusts (the cache's index, the record of what the output's `images/`
/// holds) while the folders are as the last build left them: a file lost from either since is
/// found missing and made again, and a stray one goes.
#[test]
fn a_copy_lost_from_the_cache_or_the_output_is_made_again() {
    let fixture = with_photos();
    fixture.build_ok(&[]);
    fixture.build_ok(&[]);
    let output = fixture.files_of_output();
    let cache = fixture.root.join(".aimsite-cache/images");
    let lost = cache_entries(&fixture.root)
        .into_keys()
        .find(|name| name.ends_with(".webp"))
        .unwrap();
    fs::remove_file(cache.join(&lost)).unwrap();
    let images = fixture.out.join("images");
    let shown = fs::read_dir(&images)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|extension| extension == "jpg"))
        .unwrap();
    fs::remove_file(&shown).unwrap();
    fs::write(images.join("stray.webp"), "not a copy").unwrap();

    fixture.build_ok(&[]);
    assert!(
        cache.join(&lost).is_file(),
        "the lost entry was not made again"
    );
    assert_eq!(fixture.files_of_output(), output);
}

#[test]
fn an_index_cut_short_is_not_trusted() {
    let fixture = with_photos();
    fixture.build_ok(&[]);
    let output = fixture.files_of_output();
    let index = fixture.root.join(".aimsite-cache/images/index.tsv");
    let whole = fs::read_to_string(&index).unwrap();
    assert!(
        whole.lines().last().unwrap().starts_with("end\t"),
        "{whole}"
    );
    let cut = whole.lines().take(1).collect::<Vec<_>>().join("\n");
    // Rewritten in place, as a build cut short would leave it: the folder's time stays.
    fs::write(&index, cut).unwrap();

    fixture.build_ok(&[]);
    assert_eq!(fixture.files_of_output(), output);
    let rewritten = fs::read_to_string(&index).unwrap();
    assert!(rewritten.lines().last().unwrap().starts_with("end\t"));
    assert_eq!(rewritten.lines().count(), whole.lines().count());
}

trait OutputBytes {
    fn files_of_output(&self) -> BTreeMap<String, Vec<u8>>;
}

impl OutputBytes for Fixture {
    fn files_of_output(&self) -> BTreeMap<String, Vec<u8>> {
        files(&self.out)
    }
}

#[test]
fn a_phone_photo_is_turned_upright() {
    let fixture = Fixture::new();
    // Stored 400 × 300, to be shown turned a quarter: 300 × 400.
    fixture.write("content/articles/turned.jpg", photo(400, 300, Some(6)));
    fixture.write(
        "content/articles/turned.md",
        "+++\ntitle = \"Turned\"\n+++\n\n![A portrait](turned.jpg)\n",
    );
    fixture.build_ok(&[]);
    let page = fixture.page("articles/turned/index.html");
    assert_eq!(attribute(&page, "main picture img", "width"), ["300"]);
    assert_eq!(attribute(&page, "main picture img", "height"), ["400"]);
    let src = &attribute(&page, "main picture img", "src")[0];
    let written = image::open(fixture.out.join(src.trim_start_matches('/'))).unwrap();
    assert_eq!((written.width(), written.height()), (300, 400));
}

#[test]
fn svg_and_gif_pass_through_as_they_are() {
    let fixture = Fixture::new();
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 200 100\"><rect width=\"200\" height=\"100\"/></svg>";
    fixture.write("static/logo.svg", svg);
    fixture.write(
        "content/articles/logo.md",
        "+++\ntitle = \"Logo\"\n+++\n\n![Our logo](/logo.svg)\n",
    );
    fixture.build_ok(&[]);
    let page = fixture.page("articles/logo/index.html");
    assert_eq!(page.select(&selector("main picture source")).count(), 0);
    assert_eq!(attribute(&page, "main img", "width"), ["200"]);
    let src = &attribute(&page, "main img", "src")[0];
    assert!(src.ends_with(".svg"), "{src}");
    let written = fs::read_to_string(fixture.out.join(src.trim_start_matches('/'))).unwrap();
    assert_eq!(written, svg);
}

#[test]
fn an_image_on_another_site_is_left_alone() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/far.md",
        "+++\ntitle = \"Far\"\n+++\n\n![Far away](https://example.com/far.jpg)\n",
    );
    fixture.build_ok(&[]);
    let page = fixture.page("articles/far/index.html");
    assert_eq!(page.select(&selector("main picture")).count(), 0);
    assert_eq!(
        attribute(&page, "main img", "src"),
        ["https://example.com/far.jpg"]
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input: located in the Markdown file, the previous output kept
// ---------------------------------------------------------------------------------------------

fn article_showing(image: &str) -> String {
    format!("+++\ntitle = \"Broken\"\n+++\n\nFirst line.\n\n![A photo]({image})\n")
}

#[test]
fn a_missing_image_is_located_in_the_markdown_file() {
    let fixture = Fixture::new();
    fixture.write("content/articles/broken.md", article_showing("nowhere.jpg"));
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/broken.md", 7);
    problem.says("does not exist");
    assert!(problem.help().contains("static/"), "{}", problem.text);
}

#[test]
fn a_truncated_image_is_located_in_the_markdown_file() {
    let fixture = Fixture::new();
    let whole = photo(200, 200, None);
    fixture.write("content/articles/cut.jpg", &whole[..whole.len() / 3]);
    fixture.write("content/articles/broken.md", article_showing("cut.jpg"));
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/broken.md", 7);
    problem.says("damaged");
    problem.says("cut.jpg");
}

#[test]
fn an_unsupported_format_is_located_in_the_markdown_file() {
    let fixture = Fixture::new();
    let mut bmp = b"BM".to_vec();
    bmp.extend([0; 60]);
    fixture.write("content/articles/old.bmp", bmp);
    fixture.write("content/articles/broken.md", article_showing("old.bmp"));
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/broken.md", 7);
    problem.says("not supported");
    assert!(problem.help().contains("JPEG"), "{}", problem.text);
}

#[test]
fn a_decompression_bomb_is_refused_before_it_is_decoded() {
    let fixture = Fixture::new();
    fixture.write("content/articles/bomb.png", png_claiming(50_000, 50_000));
    fixture.write("content/articles/broken.md", article_showing("bomb.png"));
    let problems = fixture.rejected();
    let problem = problems.at("content/articles/broken.md", 7);
    problem.says("50000 × 50000");
}

#[test]
fn an_image_outside_the_site_is_refused() {
    let fixture = Fixture::new();
    fixture.write(
        "content/articles/broken.md",
        article_showing("../../../etc/passwd"),
    );
    let problems = fixture.rejected();
    problems
        .at("content/articles/broken.md", 7)
        .says("outside the site");
}

/// A PNG whose header claims `width` × `height`, with one empty block of pixels.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut header = b"IHDR".to_vec();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    for chunk in [
        header,
        b"IDAT\x78\x9c\x03\0\0\0\0\x01".to_vec(),
        b"IEND".to_vec(),
    ] {
        bytes.extend(u32::try_from(chunk.len() - 4).unwrap().to_be_bytes());
        bytes.extend(&chunk);
        bytes.extend(crc(&chunk).to_be_bytes());
    }
    bytes
}

fn crc(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn the_cache_goes_where_cache_says() {
    let fixture = with_photos();
    let elsewhere = fixture.dir.path().join("cache");
    fixture.build_ok(&["--cache", elsewhere.to_str().unwrap()]);
    let entries = fs::read_dir(elsewhere.join("images")).unwrap().count();
    // 10 copies, the index of the sources and the folder's `.gitignore`.
    assert_eq!(entries, 12);
    assert!(!fixture.root.join(".aimsite-cache").exists());
}

// ---------------------------------------------------------------------------------------------
// Front matter `image` and the template functions
// ---------------------------------------------------------------------------------------------

const WITH_HEADER: &str =
    "+++\ntitle = \"Header\"\ndate = 2021-03-01\nimage = \"/photos/team.jpg\"\n+++\n\nText.\n";

#[test]
fn the_front_matter_image_heads_the_article_and_its_card_and_is_the_social_preview() {
    let fixture = Fixture::new();
    fixture.write("static/photos/team.jpg", photo(1600, 1000, Some(1)));
    fixture.write("content/articles/header.md", WITH_HEADER);
    fixture.build_ok(&[]);
    let page = fixture.page("articles/header/index.html");
    assert_eq!(
        attribute(
            &page,
            "main header picture.article__image img",
            "fetchpriority"
        ),
        ["high"]
    );
    assert_eq!(
        attribute(&page, "main header picture img", "width"),
        ["1600"]
    );
    let og = &attribute(&page, "meta[property='og:image']", "content")[0];
    assert!(og.starts_with("https://aimtowin.test/images/team-"), "{og}");
    assert!(og.ends_with("-1200x630.jpg"), "{og}");
    let preview = og.trim_start_matches("https://aimtowin.test/");
    let written = image::open(fixture.out.join(preview)).unwrap();
    assert_eq!((written.width(), written.height()), (1200, 630));
    assert_eq!(
        attribute(&page, "meta[name='twitter:image']", "content"),
        std::slice::from_ref(og)
    );
    let list = fixture.page("articles/index.html");
    let cards = attribute(&list, "picture.article-card__image img", "loading");
    assert_eq!(cards, ["lazy"]);
}

#[test]
fn a_missing_front_matter_image_is_located_in_the_front_matter() {
    let fixture = Fixture::new();
    fixture.write("content/articles/header.md", WITH_HEADER);
    let problems = fixture.rejected();
    problems
        .at("content/articles/header.md", 4)
        .says("static/photos/team.jpg");
}

#[test]
fn the_image_function_gives_a_picture_to_templates() {
    let fixture = Fixture::new();
    fixture.write("static/photos/room.jpg", photo(900, 600, None));
    fixture.write(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block main %}{{ image(path=\"/photos/room.jpg\", alt=\"The room\", widths=[300, 600], sizes=\"50vw\", class=\"wide\") }}{% endblock main %}",
    );
    fixture.build_ok(&[]);
    let page = fixture.page("privacy/index.html");
    assert_eq!(attribute(&page, "picture.wide img", "alt"), ["The room"]);
    assert_eq!(attribute(&page, "picture.wide img", "sizes"), ["50vw"]);
    assert_eq!(attribute(&page, "picture.wide img", "loading"), ["lazy"]);
    let srcset = &attribute(&page, "picture.wide source", "srcset")[0];
    assert!(
        srcset.contains(" 300w") && srcset.contains(" 600w"),
        "{srcset}"
    );
    assert!(!srcset.contains(" 900w"), "{srcset}");
}

/// In `serve`, a page reused without its template still brings the copies its template's
/// `image()` made, so that every rebuild gives the files of a full build.
#[test]
fn a_page_reused_without_its_template_still_brings_its_images() {
    let fixture = Fixture::new();
    fixture.write("static/photos/room.jpg", photo(900, 600, None));
    fixture.write(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block main %}{{ image(path=\"/photos/room.jpg\", alt=\"The room\", widths=[300]) }}{% endblock main %}",
    );
    let options = aimsite::build::BuildOptions::new(fixture.path(""));
    let mut memos = aimsite::build::Memos::default();
    let copies = |files: &[aimsite::output::OutputFile]| -> Vec<String> {
        let copies = files.iter().map(|file| file.path.clone());
        copies.filter(|path| path.starts_with("images/")).collect()
    };
    let first = aimsite::build::render_memoised(&options, &mut memos).unwrap();
    assert!(!copies(&first.files).is_empty());
    // An edit elsewhere: the page with the picture is reused.
    fixture.write(
        "content/articles/other.md",
        "+++\ntitle = \"Other\"\ndate = 2021-03-01\n+++\n\nText.\n",
    );
    let again = aimsite::build::render_memoised(&options, &mut memos).unwrap();
    assert!(
        !memos
            .pages_rendered()
            .contains(&"privacy/index.html".to_string())
    );
    assert_eq!(copies(&again.files), copies(&first.files));
    let full = aimsite::build::render(&options).unwrap();
    assert_eq!(copies(&again.files), copies(&full.files));
}

/// How many files the build said it wrote.
fn files_reported(built: &std::process::Output) -> usize {
    let said = String::from_utf8_lossy(&built.stdout);
    let (_, after) = said.split_once(" pages (").expect("a count of files");
    let (count, _) = after.split_once(" files)").expect("a count of files");
    count.parse().expect("a number")
}

/// Copies that come out with one name are one file, written and counted once: a photo at two
/// ladders that share a width, two files of the same bytes and name, an SVG that is its own
/// social preview.
#[test]
fn copies_named_alike_are_written_once_and_counted_once() {
    let fixture = Fixture::new();
    let room = photo(900, 600, None);
    fixture.write("static/photos/room.jpg", &room);
    fixture.write("content/articles/room.jpg", &room);
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 200 100\"><rect width=\"200\" height=\"100\"/></svg>";
    fixture.write("static/logo.svg", svg);
    fixture.write(
        "content/articles/room.md",
        "+++\ntitle = \"Room\"\ndate = 2021-03-01\nimage = \"/logo.svg\"\n+++\n\n\
         ![The room](/photos/room.jpg)\n\n![The room again](room.jpg)\n\n![Our logo](/logo.svg)\n",
    );
    fixture.write(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block main %}{{ image(path=\"/photos/room.jpg\", alt=\"The room\", widths=[300, 480]) }}{% endblock main %}",
    );
    for _ in ["cold", "warm"] {
        let built = fixture.build_ok(&[]);
        let output = fixture.files_of_output();
        let mut images: Vec<&str> = (output.keys())
            .filter_map(|path| path.strip_prefix("images/"))
            .collect();
        images.sort();
        let room: Vec<String> = (images.iter())
            .filter(|name| name.starts_with("room-"))
            .map(|name| name.rsplit('-').next().unwrap().to_string())
            .collect();
        // The default ladder below 900 px and the template's, each width once per format.
        assert_eq!(
            room,
            [
                "300.jpg", "300.webp", "480.jpg", "480.webp", "800.jpg", "800.webp", "900.jpg",
                "900.webp"
            ],
            "{images:?}"
        );
        let logos: Vec<&&str> = images
            .iter()
            .filter(|name| name.ends_with(".svg"))
            .collect();
        assert_eq!(logos.len(), 1, "{images:?}");
        assert_eq!(images.len(), room.len() + 1, "{images:?}");
        // Every file the build wrote is counted once (the output's marker aside).
        assert_eq!(files_reported(&built) + 1, output.len());
    }
}

#[test]
fn a_missing_image_in_a_template_names_the_template() {
    let fixture = Fixture::new();
    fixture.write(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block main %}\n{{ image(path=\"/photos/none.jpg\") }}{% endblock main %}",
    );
    let problems = fixture.rejected();
    problems
        .in_file("templates/page.html")
        .says("static/photos/none.jpg");
}

#[test]
fn check_warns_about_a_photo_far_wider_than_any_copy() {
    let fixture = Fixture::new();
    fixture.write(
        "site.toml",
        format!("{SITE_TOML}\n[images]\nwidths = [200, 400]\n"),
    );
    fixture.write("content/articles/wide.jpg", photo(1000, 500, None));
    fixture.write(
        "content/articles/wide.md",
        "+++\ntitle = \"Wide\"\ndate = 2021-01-01\ndescription = \"Wide.\"\n+++\n\n![A wide photo](wide.jpg)\n",
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_aimsite"))
        .args(["check", "--root"])
        .arg(&fixture.root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let problems = Problems::parse(&stderr);
    assert!(problems.errors.is_empty(), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("1000 pixels wide"),
        "{stderr}"
    );
    assert!(stderr.contains("content/articles/wide.md:7"), "{stderr}");
}

#[test]
fn check_finds_nothing_wrong_with_pictures_and_header_images() {
    let fixture = with_photos();
    fixture.write("static/photos/team.jpg", photo(1600, 1000, None));
    fixture.write("content/articles/header.md", WITH_HEADER);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_aimsite"))
        .args(["check", "--root"])
        .arg(&fixture.root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let problems = Problems::parse(&stderr);
    assert!(problems.errors.is_empty(), "{stderr}");
    assert!(!stderr.contains("image"), "{stderr}");
}

#[test]
fn a_photo_replaced_under_the_same_name_is_made_again() {
    let fixture = with_photos();
    fixture.build_ok(&[]);
    fixture.write("content/articles/anna.jpg", photo(900, 600, None));
    fixture.build_ok(&[]);
    let page = fixture.page("articles/photos/index.html");
    assert_eq!(
        attribute(&page, "main picture img", "width"),
        ["900", "600"]
    );
    assert_eq!(
        attribute(&page, "main picture img", "height"),
        ["600", "400"]
    );
}
