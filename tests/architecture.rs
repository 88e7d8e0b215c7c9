//! The shape of the crate, read from its sources: the modules depend on each other one way only
//! (no circle), and the pipeline never names a feature. ARCHITECTURE.md states both.
//!
//! A module's dependencies are the `crate::NAME` paths in its files (in `use` lines or written
//! inline); `super::` stays within a module. A feature is a folder below `src/features/`, and
//! counts as a module of its own (`features::consent`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stages and what they share: none may name a feature.
const PIPELINE: &[&str] = &[
    "assets",
    "config",
    "content",
    "date",
    "deploy",
    "diagnostics",
    "error",
    "feature",
    "html",
    "markdown",
    "memo",
    "output",
    "site",
    "templates",
    "theme",
];

fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("an entry of src/").path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The module a file belongs to: `src/site.rs` is `site`, `src/templates/context.rs` is
/// `templates`, `src/features/consent/checks.rs` is `features::consent`.
fn module_of(relative: &Path) -> String {
    let parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [features, feature, ..] if features == "features" => format!("features::{feature}"),
        [module, ..] => module.clone(),
        [] => String::new(),
    }
}

/// The module a `crate::` path names: `crate::features::consent::FEATURE` names
/// `features::consent`, `crate::site::Site` names `site`.
fn module_named(path: &str) -> String {
    let mut parts = path.split("::");
    match (parts.next(), parts.next()) {
        (Some("features"), Some(feature)) if !feature.is_empty() => format!("features::{feature}"),
        (Some(module), _) => module.to_string(),
        _ => String::new(),
    }
}

/// Every module's dependencies on other modules of the crate. Test modules (`#[cfg(test)]` to
/// the end of a file) are left out: a test may use anything.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("below src/");
        let module = module_of(relative);
        if module == "main" || module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let edges = graph.entry(module.clone()).or_default();
        for path in crate_paths(code) {
            let named = module_named(&path);
            if !named.is_empty() && named != module {
                edges.insert(named);
            }
        }
    }
    graph
}

/// The paths after each `crate::` in the code, with `use crate::{a, b::c}` groups expanded to
/// their first segments.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            paths.extend(
                group[..end]
                    .split(',')
                    .map(|item| item.trim().to_string())
                    .filter(|item| !item.is_empty()),
            );
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            paths.push(rest[..end].to_string());
        }
    }
    paths
}

/// A circle of modules, if there is one, found by depth-first search.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == module) {
            let mut circle = path[start..].to_vec();
            circle.push(module.to_string());
            return Some(circle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(module.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_module_graph_has_no_circle() {
    let graph = dependencies();
    assert!(graph.contains_key("build") && graph.contains_key("features::consent"));
    if let Some(circle) = find_circle(&graph) {
        panic!("the modules form a circle: {}", circle.join(" → "));
    }
}

#[test]
fn the_pipeline_names_no_feature() {
    let graph = dependencies();
    for module in PIPELINE {
        let edges = graph
            .get(*module)
            .unwrap_or_else(|| panic!("no module `{module}` in src/"));
        let features: Vec<&String> = edges
            .iter()
            .filter(|named| named.starts_with("features"))
            .collect();
        assert!(features.is_empty(), "`{module}` names {features:?}");
    }
    // Only the composition root lists the features.
    let naming: Vec<&String> = graph
        .iter()
        .filter(|(module, edges)| {
            !module.starts_with("features")
                && edges.iter().any(|named| named.starts_with("features"))
        })
        .map(|(module, _)| module)
        .collect();
    assert_eq!(naming, ["build"]);
}

#[test]
fn the_reader_finds_circles_and_paths() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(module, edges)| {
        let edges = edges.into_iter().map(str::to_string).collect();
        (module.to_string(), edges)
    })
    .collect();
    assert_eq!(find_circle(&graph).expect("a circle"), ["a", "b", "c", "a"]);
    assert_eq!(
        crate_paths(
            "use crate::{site::Site, diagnostics};\nlet x = crate::features::consent::FEATURE;"
        ),
        ["site::Site", "diagnostics", "features::consent::FEATURE"]
    );
    assert_eq!(
        module_named("features::consent::FEATURE"),
        "features::consent"
    );
    assert_eq!(
        module_of(Path::new("features/contact/mod.rs")),
        "features::contact"
    );
    assert_eq!(module_of(Path::new("templates/context.rs")), "templates");
}
