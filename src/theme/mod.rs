//! The built-in theme: the templates and static files every site starts from. A file of the
//! same name in the site's `templates/` or `static/` replaces one; `aimsite init` writes them
//! into a new site. Features bring theirs in their own folders (`src/features/`).

use crate::assets::BuiltInStatic;
use crate::templates::BuiltInTemplate;

pub const TEMPLATES: &[BuiltInTemplate] = &[
    ("base.html", include_str!("templates/base.html")),
    ("home.html", include_str!("templates/home.html")),
    ("article.html", include_str!("templates/article.html")),
    ("page.html", include_str!("templates/page.html")),
    ("articles.html", include_str!("templates/articles.html")),
    ("section.html", include_str!("templates/section.html")),
    ("events.html", include_str!("templates/events.html")),
    ("event.html", include_str!("templates/event.html")),
    ("people.html", include_str!("templates/people.html")),
    ("person.html", include_str!("templates/person.html")),
    (
        "testimonials.html",
        include_str!("templates/testimonials.html"),
    ),
    (
        "testimonial.html",
        include_str!("templates/testimonial.html"),
    ),
    ("tag.html", include_str!("templates/tag.html")),
    ("tags.html", include_str!("templates/tags.html")),
    ("404.html", include_str!("templates/404.html")),
    ("atom.xml", include_str!("templates/atom.xml")),
    ("sitemap.xml", include_str!("templates/sitemap.xml")),
    ("robots.txt", include_str!("templates/robots.txt")),
    ("redirect.html", include_str!("templates/redirect.html")),
    (
        "partials/article-list.html",
        include_str!("templates/partials/article-list.html"),
    ),
    (
        "partials/call-to-action.html",
        include_str!("templates/partials/call-to-action.html"),
    ),
    (
        "partials/testimonial.html",
        include_str!("templates/partials/testimonial.html"),
    ),
    (
        "partials/list-intro.html",
        include_str!("templates/partials/list-intro.html"),
    ),
    (
        "partials/pagination.html",
        include_str!("templates/partials/pagination.html"),
    ),
];

pub const STATIC: &[BuiltInStatic] = &[
    ("style.css", include_bytes!("static/style.css")),
    ("favicon.svg", include_bytes!("static/favicon.svg")),
];
