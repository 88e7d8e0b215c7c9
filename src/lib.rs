//! aimsite: the static site generator behind the Aim to Win website.
//!
//! The build is a pipeline, one module per stage:
//! `config`, `content`, `templates::load` (load) → `site`, `markdown`, `templates`, `deploy`
//! (render, in memory, each page as soon as its Markdown is ready) → `output` (write). `build`
//! runs the pipeline.

pub use error::Error;

pub mod assets;
pub mod build;
pub mod check;
pub mod config;
pub mod content;
pub mod data;
pub mod date;
pub mod deploy;
pub mod diagnostics;
pub mod error;
pub mod feature;
pub mod features;
pub mod html;
pub mod markdown;
pub mod memo;
pub mod output;
pub mod scaffold;
pub mod serve;
pub mod site;
pub mod templates;
pub mod theme;
