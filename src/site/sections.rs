//! Sections: every folder below `content/` with an `_index.md` lists the pages below it, in its
//! own order, a page of the list at a time. `articles/` is a section with or without one (then
//! its list is made up, even before the first article is written). A page
//! belongs to the nearest section above it; the home page belongs to none.

use std::cmp::Reverse;

use ahash::AHashMap;
use rayon::prelude::*;

use jiff::civil::Date;

use super::{ARTICLES_PATH, Details, Page};
use crate::content::{SectionKind, SortBy, SourceKind, SourcePage};

/// A section as the plan has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Index into `Site::pages` of its `_index.md`; none for `articles/` without one.
    pub page: Option<usize>,
    /// The URL path of its list below the base path: `articles/`.
    pub path: String,
    pub kind: SectionKind,
    /// Indices into `Site::pages` of its pages, in its order.
    pub pages: Vec<usize>,
    pub paging: Paging,
    /// The title of a list without an `_index.md`: `Articles`, or `Past events`.
    pub generated_title: &'static str,
    /// Index into `Site::sections` of the archive of its past events.
    pub archive: Option<usize>,
    /// Whether it is the archive of another section's past events.
    pub is_archive: bool,
}

impl Section {
    /// Its list's default template.
    pub fn template(&self) -> &'static str {
        Self::template_of(Some(self.kind))
    }

    /// The default template of the list of a section of `kind` (articles by default).
    pub fn template_of(kind: Option<SectionKind>) -> &'static str {
        match kind.unwrap_or_default() {
            SectionKind::Articles => "articles.html",
            SectionKind::Pages | SectionKind::Services => "section.html",
            SectionKind::People => "people.html",
            SectionKind::Testimonials => "testimonials.html",
            SectionKind::Events => "events.html",
        }
    }
}

/// Where the archive of a section of events is, below it.
const ARCHIVE_PATH: &str = "past/";

/// How a list is cut into pages: at most `per_page` entries each, all on one without it. Page
/// `n` of a list at `PATH` is at `PATH` (n = 1) or `PATH/page/n/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paging {
    pub per_page: Option<usize>,
}

impl Paging {
    /// How many pages a list of `entries` fills; an empty list still has its first page.
    pub fn count(self, entries: usize) -> usize {
        match self.per_page {
            Some(per_page) => entries.div_ceil(per_page).max(1),
            None => 1,
        }
    }

    /// The entries on page `number` (from 1).
    pub fn slice<T>(self, entries: &[T], number: usize) -> &[T] {
        let Some(per_page) = self.per_page else {
            return entries;
        };
        let start = (number - 1).saturating_mul(per_page).min(entries.len());
        let end = start.saturating_add(per_page).min(entries.len());
        &entries[start..end]
    }

    /// The URL path of page `number` of a list at `path`.
    pub fn path(path: &str, number: usize) -> String {
        if number <= 1 {
            path.to_string()
        } else {
            format!("{path}page/{number}/")
        }
    }
}

/// Which section each page belongs to, before the pages are made: their kind and template
/// depend on it.
pub struct Membership {
    pub sections: Vec<Section>,
    /// By index into the sources: the section of each page that belongs to one.
    pub of_page: Vec<Option<usize>>,
}

impl Membership {
    /// The sections of these published sources (paths as `url_path` made them), and where
    /// each page belongs. The sections' pages are filled in by `order`.
    pub fn find(sources: &[SourcePage], paths: &[String]) -> Membership {
        let mut by_folder: AHashMap<&str, usize> = AHashMap::new();
        let mut sections = Vec::new();
        for (index, source) in sources.iter().enumerate() {
            if source.kind != SourceKind::Section {
                continue;
            }
            let folder = source.source.trim_end_matches("_index.md");
            by_folder.insert(folder, sections.len());
            let front = &source.front;
            sections.push(Section {
                page: Some(index),
                path: paths[index].clone(),
                kind: front
                    .kind
                    .as_ref()
                    .map(|kind| *kind.get_ref())
                    .unwrap_or_default(),
                pages: Vec::new(),
                paging: Paging {
                    per_page: front
                        .paginate_by
                        .as_ref()
                        .and_then(|count| usize::try_from(*count.get_ref()).ok())
                        .filter(|&count| count > 0),
                },
                generated_title: "",
                archive: None,
                is_archive: false,
            });
        }
        // Every site has its list of articles, even before the first is written.
        if !by_folder.contains_key(ARTICLES_PATH) {
            by_folder.insert(ARTICLES_PATH, sections.len());
            sections.push(Section {
                page: None,
                path: ARTICLES_PATH.to_string(),
                kind: SectionKind::Articles,
                pages: Vec::new(),
                paging: Paging::default(),
                generated_title: "Articles",
                archive: None,
                is_archive: false,
            });
        }
        let of_page = sources
            .par_iter()
            .map(|source| match source.kind {
                SourceKind::Home | SourceKind::Section => None,
                SourceKind::Article | SourceKind::Page => nearest(&by_folder, &source.source),
            })
            .collect();
        Membership { sections, of_page }
    }

    /// The kind a source's page has: an article when its section holds articles.
    pub fn kind_of(&self, index: usize, source: &SourcePage) -> SourceKind {
        match self.section_kind(index) {
            Some(SectionKind::Articles) => SourceKind::Article,
            _ => source.kind,
        }
    }

    /// The kind of the section a page belongs to.
    pub fn section_kind(&self, index: usize) -> Option<SectionKind> {
        self.of_page[index].map(|section| self.sections[section].kind)
    }

    /// Each section's pages, in the section's order; past events (by `today`) in an archive
    /// section of their own, below their section.
    pub fn into_sections(
        self,
        pages: &[Page],
        sources: &[SourcePage],
        today: Date,
    ) -> Vec<Section> {
        let mut sections = self.sections;
        for (index, section) in self.of_page.iter().enumerate() {
            if let Some(section) = section {
                sections[*section].pages.push(index);
            }
        }
        add_archives(&mut sections, pages, today);
        sections.par_iter_mut().for_each(|section| {
            let sort_by = section
                .page
                .and_then(|page| sources[page].front.sort_by.as_ref())
                .map(|sort_by| *sort_by.get_ref());
            sort(&mut section.pages, pages, sort_by, section.kind);
            if section.is_archive {
                section.pages.reverse();
            }
        });
        sections
    }
}

/// Moves each section of events' past events into an archive after it.
fn add_archives(sections: &mut Vec<Section>, pages: &[Page], today: Date) {
    for index in 0..sections.len() {
        if sections[index].kind != SectionKind::Events {
            continue;
        }
        let is_past = |page: &usize| match &pages[*page].details {
            Details::Event(event) => event.is_past(today),
            _ => false,
        };
        let (past, upcoming) = sections[index].pages.iter().partition(|page| is_past(page));
        sections[index].pages = upcoming;
        sections[index].archive = Some(sections.len());
        let section = &sections[index];
        let archive = Section {
            page: None,
            path: format!("{}{ARCHIVE_PATH}", section.path),
            kind: SectionKind::Events,
            pages: past,
            paging: section.paging,
            generated_title: "Past events",
            archive: None,
            is_archive: true,
        };
        sections.push(archive);
    }
}

/// The section of the nearest folder above `source` that is one.
fn nearest(by_folder: &AHashMap<&str, usize>, source: &str) -> Option<usize> {
    source
        .rmatch_indices('/')
        .find_map(|(slash, _)| by_folder.get(&source[..=slash]).copied())
}

/// Sorts a section's pages by `sort_by`, or its kind's order: articles newest first, other
/// pages by weight. Ties fall to the next key, and at last to the source, which is unique.
fn sort(indices: &mut [usize], pages: &[Page], sort_by: Option<SortBy>, kind: SectionKind) {
    let page = |index: &usize| &pages[*index];
    let sort_by = match (sort_by, kind) {
        (Some(sort_by), _) => sort_by,
        (None, SectionKind::Articles) => SortBy::Date,
        (None, SectionKind::Events) => {
            // Soonest first; the archive turns it round.
            let start = |index: &usize| match &page(index).details {
                Details::Event(event) => Some(event.start.timestamp()),
                _ => None,
            };
            indices.sort_unstable_by_key(|index| (start(index), &page(index).source));
            return;
        }
        (None, _) => SortBy::Weight,
    };
    match sort_by {
        SortBy::Date => indices.sort_unstable_by_key(|index| {
            let page = page(index);
            (Reverse(page.date), page.weight, &page.title, &page.source)
        }),
        SortBy::Weight => indices.sort_unstable_by_key(|index| {
            let page = page(index);
            (page.weight, &page.title, &page.source)
        }),
        SortBy::Title => indices.sort_by_cached_key(|index| {
            let page = page(index);
            (page.title.to_lowercase(), page.source.clone())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_cut_into_pages_of_at_most_per_page_entries() {
        let entries: Vec<usize> = (1..=7).collect();
        let paging = Paging { per_page: Some(3) };
        assert_eq!(paging.count(entries.len()), 3);
        assert_eq!(paging.slice(&entries, 1), [1, 2, 3]);
        assert_eq!(paging.slice(&entries, 3), [7]);
        assert_eq!(paging.count(0), 1);
        assert!(paging.slice(&entries, 4).is_empty());
        let whole = Paging::default();
        assert_eq!(whole.count(entries.len()), 1);
        assert_eq!(whole.slice(&entries, 1), &entries[..]);
    }

    #[test]
    fn the_first_page_of_a_list_is_the_list_itself() {
        assert_eq!(Paging::path("articles/", 1), "articles/");
        assert_eq!(Paging::path("articles/", 2), "articles/page/2/");
    }

    #[test]
    fn a_page_belongs_to_the_nearest_section_above_it() {
        let by_folder: AHashMap<&str, usize> = [("articles/", 0), ("articles/2020/", 1)]
            .into_iter()
            .collect();
        assert_eq!(nearest(&by_folder, "articles/a.md"), Some(0));
        assert_eq!(nearest(&by_folder, "articles/2020/a.md"), Some(1));
        assert_eq!(nearest(&by_folder, "articles/2021/a.md"), Some(0));
        assert_eq!(nearest(&by_folder, "privacy.md"), None);
    }
}
