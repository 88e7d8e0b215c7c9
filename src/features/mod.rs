//! The features a site may use, each a folder of its own that plugs into the pipeline through
//! `crate::feature` and depends on the pipeline, never the reverse. `build` lists them.

pub mod consent;
pub mod contact;
pub mod embeds;
pub mod images;
