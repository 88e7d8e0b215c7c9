//! `data/`: TOML, JSON and CSV files that templates read as `data.NAME`, each under its path
//! without the extension (`data/team.toml` is `data.team`, `data/offices/uk.json` is
//! `data.offices.uk`). A CSV file is a list of rows, each a map from its header's names to text.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::content::{files_below, read_source, source_folder};
use crate::diagnostics::{Diagnostic, Diagnostics, from_toml_error};

pub const DATA_DIR: &str = "data";

/// The data files of the site at `root`, as one map; empty without `data/`.
pub fn load(root: &Path) -> Result<Value, Diagnostics> {
    let mut problems = Diagnostics::default();
    let mut data = Map::new();
    let dir = match source_folder(root, DATA_DIR) {
        Ok(Some(dir)) => dir,
        Ok(None) => return Ok(Value::Object(data)),
        Err(problem) => {
            problems.push(*problem);
            return Err(problems);
        }
    };
    // Which file gave each name, to name both when two give the same.
    let mut owners: Vec<(Vec<String>, PathBuf)> = Vec::new();
    for entry in files_below(&dir) {
        let path = match entry {
            Ok(path) => path,
            Err(problem) => {
                problems.push(*problem);
                continue;
            }
        };
        let relative = path.strip_prefix(&dir).unwrap_or(&path);
        let display_path = Path::new(DATA_DIR).join(relative);
        let Some(format) = Format::of(&path) else {
            problems.push(
                Diagnostic::error(&display_path, "a data file must be TOML, JSON or CSV")
                    .with_help("name it `.toml`, `.json` or `.csv`, or move it out of data/"),
            );
            continue;
        };
        let name: Vec<String> = relative
            .with_extension("")
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        // One name may not be both a value and a map of others: `team.toml` beside `team/`.
        let clashes = |owner: &[String]| owner.starts_with(&name) || name.starts_with(owner);
        if let Some((_, first)) = owners.iter().find(|(owner, _)| clashes(owner)) {
            problems.push(
                Diagnostic::error(
                    &display_path,
                    format!(
                        "`{}` and `{}` would both be in `data.{}`",
                        first.display(),
                        display_path.display(),
                        name.join(".")
                    ),
                )
                .with_help("rename one of them"),
            );
            continue;
        }
        match read(&path, &display_path, format) {
            Ok(value) => {
                insert(&mut data, &name, value);
                owners.push((name, display_path));
            }
            Err(problem) => problems.push(*problem),
        }
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(Value::Object(data))
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Toml,
    Json,
    Csv,
}

impl Format {
    fn of(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// `data.a.b.c = value`, making the maps on the way (`load` has made sure that no name is both
/// a value and a map).
fn insert(data: &mut Map<String, Value>, name: &[String], value: Value) {
    let Some((last, folders)) = name.split_last() else {
        return;
    };
    let mut map = data;
    for folder in folders {
        let entry = map
            .entry(folder.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(inner) = entry else {
            return;
        };
        map = inner;
    }
    map.entry(last.clone()).or_insert(value);
}

fn read(path: &Path, display_path: &Path, format: Format) -> Result<Value, Box<Diagnostic>> {
    let bytes = read_source(path).map_err(|error| Box::new(error.diagnostic(display_path)))?;
    let text = String::from_utf8(bytes)
        .map_err(|error| Box::new(crate::content::not_utf8(display_path, &error)))?;
    match format {
        Format::Toml => toml::from_str::<toml::Table>(&text)
            .map(|table| from_toml(toml::Value::Table(table)))
            .map_err(|error| Box::new(from_toml_error(&error, display_path, &text, 0))),
        Format::Json => serde_json::from_str(&text).map_err(|error| {
            Box::new(
                Diagnostic::error(display_path, format!("invalid JSON: {error}"))
                    .at_location(error.line().max(1), error.column().max(1))
                    .with_help(
                        "fix the JSON at this place; a validator such as `jq . FILE` shows it too",
                    ),
            )
        }),
        Format::Csv => from_csv(&text, display_path),
    }
}

/// TOML as JSON values: dates and times become their text (`2026-12-02`), as written.
fn from_toml(value: toml::Value) -> Value {
    match value {
        toml::Value::String(text) => Value::String(text),
        toml::Value::Integer(number) => Value::from(number),
        toml::Value::Float(number) => Value::from(number),
        toml::Value::Boolean(yes) => Value::Bool(yes),
        toml::Value::Datetime(date) => Value::String(date.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(from_toml).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(key, value)| (key, from_toml(value)))
                .collect(),
        ),
    }
}

/// A CSV file with a header row: a list of maps from each column's name to the row's text.
fn from_csv(text: &str, display_path: &Path) -> Result<Value, Box<Diagnostic>> {
    let located = |error: csv::Error, help: &str| {
        let mut diagnostic = Diagnostic::error(display_path, format!("invalid CSV: {error}"));
        if let Some(position) = error.position() {
            diagnostic = diagnostic.at_location(usize::try_from(position.line()).unwrap_or(1), 1);
        }
        Box::new(diagnostic.with_help(help.to_string()))
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| located(error, "the first row names the columns"))?
        .clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| {
            located(
                error,
                "every row needs as many fields as the header row names; quote a field that holds a comma",
            )
        })?;
        let row: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(name, field)| (name.to_string(), Value::String(field.to_string())))
            .collect();
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_dates_become_their_text() {
        let table: toml::Table = toml::from_str("day = 2026-12-02\nn = 3").unwrap();
        let value = from_toml(toml::Value::Table(table));
        assert_eq!(value["day"], "2026-12-02");
        assert_eq!(value["n"], 3);
    }

    #[test]
    fn csv_rows_are_maps_by_the_header() {
        let value = from_csv(
            "name,role\nAda,Coach\n\"Lee, J.\",Founder\n",
            Path::new("x.csv"),
        )
        .unwrap();
        assert_eq!(value[1]["name"], "Lee, J.");
        assert_eq!(value[0]["role"], "Coach");
        let problem = from_csv("name,role\nAda\n", Path::new("x.csv")).unwrap_err();
        assert_eq!(problem.location.map(|location| location.line), Some(2));
    }

    #[test]
    fn nested_names_make_nested_maps() {
        let mut data = Map::new();
        insert(&mut data, &["offices".into(), "uk".into()], Value::from(1));
        insert(&mut data, &["offices".into(), "fr".into()], Value::from(2));
        assert_eq!(Value::Object(data)["offices"]["fr"], 2);
    }
}
