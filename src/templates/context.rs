//! What each template receives: the site, the page, the lists, the feed's entries and the
//! sitemap's, and the schema.org data of a page. Depends only on the `Site` and the values
//! features give.

use serde::Serialize;
use tera::Value;

use super::WORDS_PER_MINUTE;
use super::kinds::{self, DetailsContext};
use crate::content::SourceKind;
use crate::date::PageDate;
use crate::markdown::{RenderedMarkdown, TocEntry};
use crate::site::{self, Page, Paging, Site, TagName};

pub const FEED_FILE: &str = "atom.xml";
pub const SITEMAP_FILE: &str = "sitemap.xml";
/// The `updated` of a feed without entries.
pub(super) const EPOCH: &str = "1970-01-01T00:00:00Z";

#[derive(Serialize)]
pub(super) struct FeedContext<'a> {
    pub(super) url: String,
    pub(super) updated: &'a str,
}

/// An article in the feed, with its whole text.
#[derive(Serialize)]
pub(super) struct FeedEntry<'a> {
    pub(super) title: &'a str,
    pub(super) permalink: String,
    pub(super) summary: &'a str,
    pub(super) content: &'a str,
    pub(super) published: String,
    pub(super) updated: String,
    pub(super) tags: Vec<Value>,
}

impl<'a> FeedEntry<'a> {
    pub(super) fn new(site: &Site, page: &'a Page, links: &TagLinks) -> Self {
        let published = page
            .date
            .as_ref()
            .map_or_else(|| EPOCH.to_string(), PageDate::rfc3339);
        let updated = page
            .updated
            .as_ref()
            .map_or_else(|| published.clone(), PageDate::rfc3339);
        FeedEntry {
            title: &page.title,
            permalink: site.permalink(&page.path),
            summary: page.description.as_deref().unwrap_or_default(),
            content: &page.markdown.html,
            published,
            updated,
            tags: links.of(site, &page.tags),
        }
    }
}

#[derive(Serialize)]
pub(super) struct SitemapEntry {
    permalink: String,
    lastmod: Option<String>,
}

/// Every page a search engine should know, with the date it last changed: its own, or for a
/// page that lists others or has no date, the newest of the site.
pub(super) fn sitemap_entries(site: &Site, unlisted: &[&str]) -> Vec<SitemapEntry> {
    let changed = |page: &Page| page.updated.or(page.date);
    // A page without a date of its own changed, at the latest, when the site last did.
    let newest = site.pages.iter().filter_map(changed).max();
    let newest_of = |articles: &[usize]| {
        articles
            .iter()
            .filter_map(|&index| changed(&site.pages[index]))
            .max()
    };
    let entry = |path: &str, date: Option<PageDate>| SitemapEntry {
        permalink: site.permalink(path),
        lastmod: date.map(|date| date.iso()),
    };
    let mut entries: Vec<SitemapEntry> = site
        .pages
        .iter()
        .filter(|page| !unlisted.contains(&page.template.as_str()))
        .map(|page| {
            let date = match page.kind {
                SourceKind::Home | SourceKind::Section => changed(page).max(newest),
                _ => changed(page).or(newest),
            };
            entry(&page.path, date)
        })
        .collect();
    for section in &site.sections {
        // The first page of a list is its `_index.md`'s, listed above, or made up.
        let first = if section.page.is_some() { 2 } else { 1 };
        let count = section.paging.count(section.pages.len());
        let pages = (first..=count).map(|number| Paging::path(&section.path, number));
        entries.extend(pages.map(|path| entry(&path, newest)));
    }
    entries.push(entry(site::TAGS_PATH, newest));
    for tag in &site.tags {
        let date = newest_of(&tag.articles);
        let count = site.tag_paging.count(tag.articles.len());
        let pages = (1..=count).map(|number| Paging::path(&tag.path(), number));
        entries.extend(pages.map(|path| entry(&path, date)));
    }
    entries.sort_by(|a, b| a.permalink.cmp(&b.permalink));
    entries
}

#[derive(Serialize)]
pub(super) struct SiteContext<'a> {
    title: &'a str,
    description: &'a str,
    base_url: String,
    base_path: &'a str,
    language: &'a str,
    author: &'a str,
    footer: &'a str,
    menu: Vec<MenuContext<'a>>,
    /// `[cta]`: `{label, url, heading, text, articles}`, or none.
    cta: Option<CallToActionContext<'a>>,
    feed_url: String,
    /// The language as Open Graph writes it (`en_GB`), when it names a region.
    og_locale: Option<String>,
    /// Each feature's values, by its name (`site.consent`).
    #[serde(flatten)]
    features: std::collections::BTreeMap<&'static str, &'a Value>,
}

#[derive(Serialize)]
pub(super) struct CallToActionContext<'a> {
    label: &'a str,
    url: &'a str,
    heading: &'a str,
    text: &'a str,
    articles: bool,
}

#[derive(Serialize)]
pub(super) struct MenuContext<'a> {
    label: &'a str,
    url: &'a str,
    external: bool,
}

impl<'a> SiteContext<'a> {
    pub(super) fn new(site: &'a Site, features: &'a [(&'static str, Value)]) -> Self {
        let settings = &site.settings;
        SiteContext {
            title: &settings.title,
            description: &settings.description,
            base_url: settings.base_url.absolute(),
            base_path: &settings.base_url.path,
            language: &settings.language,
            author: &settings.author,
            footer: &settings.footer,
            feed_url: site.url(FEED_FILE),
            cta: site.cta.as_ref().map(|cta| CallToActionContext {
                label: &cta.label,
                url: &cta.url,
                heading: &cta.heading,
                text: &cta.text,
                articles: cta.articles,
            }),
            og_locale: settings
                .language
                .split_once('-')
                .filter(|(_, region)| region.len() == 2)
                .map(|(language, region)| format!("{language}_{}", region.to_ascii_uppercase())),
            features: features
                .iter()
                .map(|(name, value)| (*name, value))
                .collect(),
            menu: site
                .menu
                .iter()
                .map(|link| MenuContext {
                    label: &link.label,
                    url: &link.url,
                    external: link.external,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct DateContext {
    iso: String,
    display: String,
    rfc3339: String,
}

impl From<&PageDate> for DateContext {
    fn from(date: &PageDate) -> Self {
        DateContext {
            iso: date.iso(),
            display: date.display(),
            rfc3339: date.rfc3339(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct TagLinkContext<'a> {
    name: &'a str,
    slug: &'a str,
    url: String,
}

/// What every page's context shares.
#[derive(Default)]
pub(super) struct Shared {
    /// The links of the site bound last (`register_site_functions`).
    pub(super) tag_links: TagLinks,
    /// Whether a template may show a page's table of contents (`may_show_table_of_contents`):
    /// if none can, no page's context carries it. Making it a Tera value for every page took
    /// 2% of a build whose templates never show it.
    pub(super) table_of_contents: bool,
    /// The templates whose pages the sitemap leaves out (features' `noindex` pages).
    pub(super) unlisted_templates: Vec<&'static str>,
}

/// Each tag's link as templates see it, made once for the site and shared by every page, list
/// entry and feed entry that shows the tag: making them for each took 1% of a build.
#[derive(Default)]
pub(super) struct TagLinks(ahash::AHashMap<String, (String, Value)>);

impl TagLinks {
    pub(super) fn new(site: &Site) -> Self {
        let links = site.tags.iter().map(|tag| {
            let link = TagLinks::link(site, &tag.name, &tag.slug);
            (tag.slug.clone(), (tag.name.clone(), link))
        });
        TagLinks(links.collect())
    }

    /// The links of a page's tags. A page that writes a tag's name its own way, or a tag no
    /// article has, gets a link of its own.
    pub(super) fn of(&self, site: &Site, tags: &[TagName]) -> Vec<Value> {
        tags.iter()
            .map(|tag| match self.0.get(&tag.slug) {
                Some((name, link)) if *name == tag.name => link.clone(),
                _ => TagLinks::link(site, &tag.name, &tag.slug),
            })
            .collect()
    }

    pub(super) fn link(site: &Site, name: &str, slug: &str) -> Value {
        Value::from_serializable(&TagLinkContext {
            name,
            slug,
            url: site.tag_url(slug),
        })
    }
}

#[derive(Serialize)]
pub(super) struct TagContext<'a> {
    name: &'a str,
    slug: &'a str,
    url: String,
    count: usize,
}

impl<'a> TagContext<'a> {
    pub(super) fn new(site: &Site, tag: &'a site::Tag) -> Self {
        TagContext {
            name: &tag.name,
            slug: &tag.slug,
            url: site.url(&tag.path()),
            count: tag.articles.len(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct PageContext<'a> {
    kind: &'a str,
    title: &'a str,
    description: &'a str,
    url: String,
    permalink: String,
    content: &'a str,
    summary: &'a str,
    toc: &'a [TocEntry],
    word_count: usize,
    reading_time: usize,
    date: Option<DateContext>,
    updated: Option<DateContext>,
    tags: Vec<Value>,
    draft: bool,
    source: String,
    /// Absolute URL of the social preview image, when the page or the site has one.
    image: Option<String>,
    /// The page's own `image`, as its front matter gives it (for `image(path=…)`).
    header_image: Option<&'a str>,
    /// schema.org data for the page, as JSON safe to put inside `<script>`.
    json_ld: Option<String>,
    /// `person`, `testimonial` or `event`, for the pages of those sections.
    #[serde(flatten)]
    details: DetailsContext<'a>,
}

impl<'a> PageContext<'a> {
    /// Depends only on the page, the settings and the asset URLs: the render cache of `serve`
    /// reuses an unchanged page's HTML on that promise (`render_with`).
    pub(super) fn from_page(
        site: &'a Site,
        page: &'a Page,
        markdown: &'a RenderedMarkdown,
        shared: &Shared,
    ) -> Self {
        PageContext {
            kind: match page.kind {
                SourceKind::Home => "home",
                SourceKind::Section => "section",
                SourceKind::Article => "article",
                SourceKind::Page => "page",
            },
            title: &page.title,
            description: page
                .description
                .as_deref()
                .unwrap_or(&site.settings.description),
            url: site.url(&page.path),
            permalink: site.permalink(&page.path),
            content: &markdown.html,
            summary: &markdown.summary,
            toc: if shared.table_of_contents {
                &markdown.toc
            } else {
                &[]
            },
            word_count: markdown.word_count,
            reading_time: reading_time(markdown.word_count),
            date: page.date.as_ref().map(DateContext::from),
            updated: page.updated.as_ref().map(DateContext::from),
            tags: shared.tag_links.of(site, &page.tags),
            draft: page.draft,
            source: page.display_path.to_string_lossy().replace('\\', "/"),
            image: image_url(site, page.image.as_deref()),
            header_image: page.image.as_deref(),
            json_ld: structured_data(site, page, markdown.word_count),
            details: DetailsContext::new(site, page, &markdown.html),
        }
    }

    /// The page at another path: a later page of its list.
    pub(super) fn at(self, site: &Site, path: &str) -> Self {
        PageContext {
            url: site.url(path),
            permalink: site.permalink(path),
            ..self
        }
    }

    /// A page the build makes itself, such as a tag page.
    pub(super) fn generated(site: &'a Site, kind: &'a str, title: &'a str, path: String) -> Self {
        PageContext {
            kind,
            title,
            description: &site.settings.description,
            url: site.url(&path),
            permalink: site.permalink(&path),
            content: "",
            summary: "",
            toc: &[],
            word_count: 0,
            reading_time: 0,
            date: None,
            updated: None,
            tags: Vec::new(),
            draft: false,
            source: String::new(),
            image: image_url(site, None),
            header_image: None,
            json_ld: None,
            details: DetailsContext::default(),
        }
    }
}

/// The section a list page shows.
#[derive(Serialize)]
pub(super) struct SectionContext<'a> {
    title: &'a str,
    url: String,
    kind: &'static str,
    /// How many pages it holds, on every page of its list.
    count: usize,
    /// A section of events: the URL of its archive of past events.
    archive_url: Option<String>,
    /// Whether it is the archive of past events.
    is_archive: bool,
}

impl<'a> SectionContext<'a> {
    pub(super) fn new(site: &'a Site, section: &'a site::Section) -> Self {
        let title = match section.page {
            Some(index) => site.pages[index].title.as_str(),
            None => section.generated_title,
        };
        SectionContext {
            title,
            url: site.url(&section.path),
            kind: section.kind.name(),
            count: section.pages.len(),
            archive_url: section
                .archive
                .map(|archive| site.url(&site.sections[archive].path)),
            is_archive: section.is_archive,
        }
    }
}

/// Where a page of a paginated list is among the others.
#[derive(Serialize)]
pub(super) struct PaginatorContext {
    /// This page's number, from 1.
    number: usize,
    /// How many pages the list fills.
    pages: usize,
    per_page: usize,
    /// How many entries the whole list holds.
    entries: usize,
    first: String,
    last: String,
    previous: Option<String>,
    next: Option<String>,
}

impl PaginatorContext {
    pub(super) fn new(
        site: &Site,
        path: &str,
        paging: Paging,
        entries: usize,
        number: usize,
    ) -> Self {
        let pages = paging.count(entries);
        let url = |number| site.url(&Paging::path(path, number));
        PaginatorContext {
            number,
            pages,
            per_page: paging.per_page.unwrap_or(entries),
            entries,
            first: url(1),
            last: url(pages),
            previous: (number > 1).then(|| url(number - 1)),
            next: (number < pages).then(|| url(number + 1)),
        }
    }
}

/// An article as lists show it.
#[derive(Serialize)]
pub(super) struct ArticleContext<'a> {
    title: &'a str,
    url: String,
    description: &'a str,
    summary: &'a str,
    date: Option<DateContext>,
    tags: Vec<Value>,
    reading_time: usize,
    /// The article's own `image`, as its front matter gives it.
    image: Option<&'a str>,
    #[serde(flatten)]
    details: DetailsContext<'a>,
}

impl<'a> ArticleContext<'a> {
    pub(super) fn new(site: &Site, page: &'a Page, links: &TagLinks) -> Self {
        ArticleContext {
            title: &page.title,
            url: site.url(&page.path),
            description: page.description.as_deref().unwrap_or_default(),
            summary: &page.markdown.summary,
            date: page.date.as_ref().map(DateContext::from),
            tags: links.of(site, &page.tags),
            reading_time: reading_time(page.markdown.word_count),
            image: page.image.as_deref(),
            details: DetailsContext::new(site, page, &page.markdown.html),
        }
    }
}

/// The absolute URL of a page's image, or the site's.
fn image_url(site: &Site, image: Option<&str>) -> Option<String> {
    let image = image.or(site.settings.image.as_deref())?;
    if image.starts_with("https://") || image.starts_with("http://") {
        return Some(image.to_string());
    }
    Some(site.permalink(site_file(site, image)))
}

/// A file of the site by its path below the base path: a static file by its fingerprinted name.
pub(super) fn site_file<'a>(site: &'a Site, path: &'a str) -> &'a str {
    let path = path.trim_start_matches('/');
    site.asset_urls.get(path).unwrap_or(path)
}

/// schema.org `Article` for articles and `Organization` for the home page.
fn structured_data(site: &Site, page: &Page, word_count: usize) -> Option<String> {
    let settings = &site.settings;
    let description = page.description.as_deref().unwrap_or(&settings.description);
    let organization = |context: Option<_>, description| Organization {
        context,
        kind: "Organization",
        id: context.map(|_| organization_id(settings)),
        description,
        name: &settings.title,
        url: settings.base_url.absolute(),
    };
    let json = match page.kind {
        SourceKind::Home => serde_json::to_string(&organization(Some(SCHEMA), Some(description))),
        SourceKind::Article => {
            let published = page.date.as_ref().map(PageDate::rfc3339);
            let permalink = site.permalink(&page.path);
            serde_json::to_string(&ArticleData {
                context: SCHEMA,
                kind: "Article",
                author: Author {
                    kind: "Organization",
                    name: if settings.author.is_empty() {
                        &settings.title
                    } else {
                        &settings.author
                    },
                },
                date_modified: published.as_ref().map(|published| {
                    page.updated
                        .as_ref()
                        .map_or_else(|| published.clone(), PageDate::rfc3339)
                }),
                date_published: published,
                description,
                headline: &page.title,
                image: image_url(site, page.image.as_deref()),
                main_entity_of_page: permalink.clone(),
                publisher: organization(None, None),
                url: permalink,
                word_count,
            })
        }
        SourceKind::Section => return None,
        SourceKind::Page => {
            return kinds::structured_data(site, page)
                .map(|json| script_safe_json(json.to_string()));
        }
    };
    json.ok().map(script_safe_json)
}

const SCHEMA: &str = "https://schema.org";

/// The `@id` of the firm the site belongs to: the home page's address and `#organization`, so
/// that every JSON-LD describing the firm names the same one.
pub fn organization_id(settings: &crate::config::Settings) -> String {
    format!("{}#organization", settings.base_url.absolute())
}

// The JSON-LD types, with their fields in the order of their names, as they always were.
#[derive(Serialize)]
pub(super) struct Organization<'a> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    context: Option<&'static str>,
    #[serde(rename = "@type")]
    kind: &'static str,
    /// On the home page, where features may describe the same firm in more detail.
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
pub(super) struct Author<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ArticleData<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    author: Author<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    description: &'a str,
    headline: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    main_entity_of_page: String,
    publisher: Organization<'a>,
    url: String,
    word_count: usize,
}

/// JSON that cannot end the `<script>` it sits in, nor start markup: `<`, `>` and `&` only
/// appear inside strings, where they are written as `\u` escapes.
pub fn script_safe_json(json: String) -> String {
    if memchr::memchr3(b'<', b'>', b'&', json.as_bytes()).is_none() {
        return json;
    }
    let mut safe = String::with_capacity(json.len() + 16);
    for character in json.chars() {
        match character {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            other => safe.push(other),
        }
    }
    safe
}

pub(super) fn reading_time(words: usize) -> usize {
    words.div_ceil(WORDS_PER_MINUTE).max(1)
}
