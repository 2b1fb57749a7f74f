//! The registry of doc-derived JSON Schemas in `specs/schemas/`.
//!
//! This module owns loading those files (draft 2020-12 only, each checked against the
//! meta-schema, each named by an `$id` of the form `rc-conform:<id>`), resolving their
//! cross-`$ref`s offline, compiling one validator per id, and turning validation errors into
//! [`Violation`]s: a JSON pointer into the instance, one into the schema, and a masked message
//! that says what was expected without echoing the instance's values (bodies may carry tokens).
//! It must not fetch anything over the network or from outside the schema directory, must not
//! assert `format` (an annotation in 2020-12), and knows nothing of cases, servers or docs pages.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use camino::{Utf8Path, Utf8PathBuf};
use jsonschema::{ValidationError, Validator};
use serde::Serialize;
use serde_json::Value;

use crate::built_in::{Source, SourceError};

/// The only `$schema` a file in the registry may declare.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The URI scheme of every schema `$id` (`rc-conform:channels.invite/200`).
pub const ID_PREFIX: &str = "rc-conform:";

/// One way an instance fails a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// JSON pointer to the failing part of the instance, e.g. `/channel/usernames`; `""` for
    /// the root.
    pub instance_pointer: String,
    /// JSON pointer to the failing keyword in the schema, e.g.
    /// `/properties/channel/properties/usernames/type`.
    pub schema_pointer: String,
    /// What was expected, with instance values masked, e.g. `is not of type "array"` or
    /// `"roomId" is a required property`.
    pub message: String,
}

impl Violation {
    fn from_error(error: &ValidationError<'_>) -> Violation {
        Violation {
            instance_pointer: error.instance_path().as_str().to_owned(),
            schema_pointer: error.schema_path().as_str().to_owned(),
            message: masked_message(error),
        }
    }

    /// Whether [`Violation::message`] reads as a predicate of the failing value (`is not of
    /// type "array"`) rather than a sentence of its own (`"roomId" is a required property`).
    fn is_predicate(&self) -> bool {
        ["is ", "has ", "does "]
            .iter()
            .any(|start| self.message.starts_with(start))
    }
}

/// Renders `/channel/usernames is not of type "array"`, or `(root): "roomId" is a required
/// property` when the message is a sentence of its own.
impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = if self.instance_pointer.is_empty() {
            "(root)"
        } else {
            self.instance_pointer.as_str()
        };
        if self.is_predicate() {
            write!(f, "{subject} {}", self.message)
        } else {
            write!(f, "{subject}: {}", self.message)
        }
    }
}

/// Placeholder handed to the masked renderer; it never occurs in a real message.
const MASK: &str = "\u{0}";

/// The error's message with every instance value masked. Messages that begin with the value
/// (`<value> is not of type "array"`) lose that subject; elsewhere it reads "the value".
fn masked_message(error: &ValidationError<'_>) -> String {
    let text = error.masked_with(MASK).to_string();
    match text.strip_prefix(MASK) {
        Some(rest) => rest.trim_start().replace(MASK, "the value"),
        None => text.replace(MASK, "the value"),
    }
}

/// Everything that can go wrong while loading the registry or validating against it.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The schema directory could not be listed, or a schema file could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A schema file is not JSON.
    #[error("{path}:{line}:{column}: not valid JSON: {source}")]
    Json {
        /// The file.
        path: Utf8PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A schema does not declare draft 2020-12.
    #[error("{path}: \"$schema\" is {found}; every schema here must declare \"{DRAFT_2020_12}\"")]
    NotDraft202012 {
        /// The file.
        path: Utf8PathBuf,
        /// What the file declares (`missing` when absent).
        found: String,
    },
    /// A schema is not a valid draft 2020-12 schema.
    #[error("{path}: not a valid draft 2020-12 schema: {}", first_of(violations))]
    MetaSchema {
        /// The file.
        path: Utf8PathBuf,
        /// Where the schema breaks the meta-schema (pointers into the schema file).
        violations: Vec<Violation>,
    },
    /// A schema has no usable `$id`.
    #[error(
        "{path}: \"$id\" must be a string \"{ID_PREFIX}<id>\" with a non-empty <id>; found {found}"
    )]
    BadId {
        /// The file.
        path: Utf8PathBuf,
        /// What the file declares (`missing` when absent).
        found: String,
    },
    /// A schema file is not named after its id.
    #[error("{path}: holds schema \"{id}\", so it must be named {expected}")]
    FileName {
        /// The file.
        path: Utf8PathBuf,
        /// The id the file declares.
        id: String,
        /// The file name it should have (`/` in the id becomes `.`).
        expected: String,
    },
    /// Two files declare the same id.
    #[error("{second}: declares \"{id}\", which {first} already declares")]
    DuplicateId {
        /// The id.
        id: String,
        /// The file read first.
        first: Utf8PathBuf,
        /// The file read second.
        second: Utf8PathBuf,
    },
    /// A `$ref` points at a resource no file in the directory defines.
    #[error(
        "{path}: \"$ref\": \"{reference}\" resolves to {resolved}, which no schema in this directory defines (references are never fetched; use an absolute \"{ID_PREFIX}<id>\" of a file here)"
    )]
    DanglingRef {
        /// The file holding the reference.
        path: Utf8PathBuf,
        /// The reference as written.
        reference: String,
        /// The absolute URI it resolves to (or why it does not resolve).
        resolved: String,
    },
    /// The schema set as a whole could not be registered.
    #[error("{dir}: cannot register the schemas: {message}")]
    Registry {
        /// The directory.
        dir: Utf8PathBuf,
        /// The registry's error.
        message: String,
    },
    /// A schema could not be compiled into a validator.
    #[error("{path}: cannot compile schema \"{id}\": {message}")]
    Compile {
        /// The file.
        path: Utf8PathBuf,
        /// The schema id.
        id: String,
        /// The compiler's error.
        message: String,
    },
    /// A schema id that the registry does not hold.
    #[error("unknown schema id \"{id}\"; known ids: {}", known.join(", "))]
    UnknownId {
        /// The id asked for.
        id: String,
        /// Every id the registry holds.
        known: Vec<String>,
    },
}

fn first_of(violations: &[Violation]) -> String {
    match violations {
        [] => "no details".to_owned(),
        [only] => only.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

/// A schema, where it came from, and its validator once compiled (or why it does not
/// compile).
struct Entry {
    path: Utf8PathBuf,
    schema: Value,
    validator: OnceLock<Result<Validator, String>>,
}

/// The doc-derived schemas of one directory, compiled and addressable by id.
///
/// The schemas of a directory are compiled as they load, so that one that does not compile
/// stops the load, naming its file. The built-in schemas, which the test suite compiles
/// (`the_built_in_schemas_compile`), are compiled when first used or by
/// [`SchemaRegistry::compile_all`] on a thread of the caller's: the first compilation builds
/// the meta-schema's validator, 2 ms of processor time that need not delay a run's start.
pub struct SchemaRegistry {
    dir: Utf8PathBuf,
    entries: BTreeMap<String, Entry>,
    registry: jsonschema::Registry<'static>,
}

impl fmt::Debug for SchemaRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaRegistry")
            .field("dir", &self.dir)
            .field("ids", &self.entries.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A parsed, checked schema file before compilation.
struct SchemaFile {
    path: Utf8PathBuf,
    id: String,
    value: Value,
}

impl SchemaRegistry {
    /// Loads every `*.json` file of `dir` (not recursing): each must declare draft 2020-12,
    /// pass the meta-schema, carry an `$id` `rc-conform:<id>` and be named `<id>.json` with `/`
    /// written as `.`. All are registered together so `$ref`s between them resolve offline; a
    /// `$ref` to anything else fails here, naming the file. Other files (`README.md`) are
    /// ignored.
    pub fn load(dir: &Utf8Path) -> Result<SchemaRegistry, SchemaError> {
        Self::load_from(&Source::Dir(dir.to_owned()))
    }

    /// [`SchemaRegistry::load`] from a directory or the built-in specs (`specs/schemas`).
    pub fn load_from(source: &Source) -> Result<SchemaRegistry, SchemaError> {
        let dir = source.root();
        let files = read_schema_files(source)?;
        check_refs(&files)?;

        let registry = jsonschema::Registry::new()
            .extend(
                files
                    .iter()
                    .map(|file| (format!("{ID_PREFIX}{}", file.id), file.value.clone())),
            )
            .and_then(|builder| builder.prepare())
            .map_err(|error| SchemaError::Registry {
                dir: dir.to_owned(),
                message: error.to_string(),
            })?;
        let entries = files
            .into_iter()
            .map(|file| {
                let entry = Entry {
                    path: file.path,
                    schema: file.value,
                    validator: OnceLock::new(),
                };
                (file.id, entry)
            })
            .collect();
        let registry = SchemaRegistry {
            dir: dir.to_owned(),
            entries,
            registry,
        };
        if !source.is_built_in() {
            registry.compile_all()?;
        }
        Ok(registry)
    }

    /// Compiles every schema not compiled yet; the first that does not compile is the error.
    pub fn compile_all(&self) -> Result<(), SchemaError> {
        for id in self.entries.keys() {
            self.validator(id)?;
        }
        Ok(())
    }

    /// The validator of schema `id`, compiled on first use.
    fn validator(&self, id: &str) -> Result<&Validator, SchemaError> {
        let entry = self.entries.get(id).ok_or_else(|| SchemaError::UnknownId {
            id: id.to_owned(),
            known: self.entries.keys().cloned().collect(),
        })?;
        let compiled = entry.validator.get_or_init(|| {
            jsonschema::draft202012::options()
                .offline()
                .should_validate_formats(false)
                .with_registry(&self.registry)
                .build(&entry.schema)
                .map_err(|error| error.to_string())
        });
        compiled.as_ref().map_err(|message| SchemaError::Compile {
            path: entry.path.clone(),
            id: id.to_owned(),
            message: message.clone(),
        })
    }

    /// The directory the schemas were loaded from.
    pub fn dir(&self) -> &Utf8Path {
        &self.dir
    }

    /// Every schema id (the part after `rc-conform:`), in sorted order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Whether the registry holds a schema with this id.
    pub fn contains(&self, id: &str) -> bool {
        self.entries.contains_key(id)
    }

    /// The file a schema was loaded from, for diagnostics.
    pub fn source(&self, id: &str) -> Option<&Utf8Path> {
        self.entries.get(id).map(|entry| entry.path.as_path())
    }

    /// Validates `instance` against schema `id` and returns every violation (empty when the
    /// instance is valid). An id the registry does not hold is an error, never "valid".
    pub fn validate(&self, id: &str, instance: &Value) -> Result<Vec<Violation>, SchemaError> {
        let validator = self.validator(id)?;
        // The valid case (nearly every answer) answers without collecting errors.
        if validator.is_valid(instance) {
            return Ok(Vec::new());
        }
        Ok(validator
            .iter_errors(instance)
            .map(|error| Violation::from_error(&error))
            .collect())
    }
}

/// Reads, parses and checks every `*.json` of `dir`, sorted by file name.
fn read_schema_files(dir: &Source) -> Result<Vec<SchemaFile>, SchemaError> {
    let names = dir.list(&[".json"], "schema")?;
    let mut files: Vec<SchemaFile> = Vec::with_capacity(names.len());
    let mut seen: BTreeMap<String, Utf8PathBuf> = BTreeMap::new();
    for name in names {
        let path = dir.path(name.as_str());
        let text = dir.read_text(name.as_str())?;
        let file = read_schema_file(path, &text, !dir.is_built_in())?;
        if let Some(first) = seen.get(&file.id) {
            return Err(SchemaError::DuplicateId {
                id: file.id,
                first: first.clone(),
                second: file.path,
            });
        }
        seen.insert(file.id.clone(), file.path.clone());
        files.push(file);
    }
    Ok(files)
}

/// Reads and checks one schema file: against the meta-schema too when `meta` (the built-in
/// files are held to it by the test suite, and compiling checks it again).
fn read_schema_file(path: Utf8PathBuf, text: &str, meta: bool) -> Result<SchemaFile, SchemaError> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(source) => {
            return Err(SchemaError::Json {
                line: source.line(),
                column: source.column(),
                path,
                source,
            });
        }
    };

    match value.get("$schema") {
        Some(Value::String(draft)) if draft.trim_end_matches('#') == DRAFT_2020_12 => {}
        other => {
            return Err(SchemaError::NotDraft202012 {
                path,
                found: describe_found(other),
            });
        }
    }

    let violations: Vec<Violation> = if meta {
        jsonschema::draft202012::meta::validator()
            .iter_errors(&value)
            .map(|error| Violation::from_error(&error))
            .collect()
    } else {
        Vec::new()
    };
    if !violations.is_empty() {
        return Err(SchemaError::MetaSchema { path, violations });
    }

    let id = match value.get("$id") {
        Some(Value::String(full)) => match full.strip_prefix(ID_PREFIX) {
            Some(id) if !id.is_empty() && !id.contains('#') => id.to_owned(),
            _ => {
                return Err(SchemaError::BadId {
                    path,
                    found: format!("\"{full}\""),
                });
            }
        },
        other => {
            return Err(SchemaError::BadId {
                path,
                found: describe_found(other),
            });
        }
    };

    let expected = format!("{}.json", id.replace('/', "."));
    if path.file_name() != Some(expected.as_str()) {
        return Err(SchemaError::FileName { path, id, expected });
    }
    Ok(SchemaFile { path, id, value })
}

fn describe_found(value: Option<&Value>) -> String {
    match value {
        None => "missing".to_owned(),
        Some(Value::String(text)) => format!("\"{text}\""),
        Some(_) => "not a string".to_owned(),
    }
}

/// Checks that every `$ref` / `$dynamicRef` of every file resolves to a resource of the set,
/// so a dangling reference is reported against the file that holds it. (The registry would
/// refuse it too, but without naming the file.) Pointers inside a resource are checked by the
/// compiler, which names the file being compiled.
fn check_refs(files: &[SchemaFile]) -> Result<(), SchemaError> {
    let known: BTreeSet<String> = files
        .iter()
        .map(|file| format!("{ID_PREFIX}{}", file.id))
        .collect();
    for file in files {
        let base = format!("{ID_PREFIX}{}", file.id);
        let mut refs = Vec::new();
        collect_refs(&file.value, &mut refs);
        for reference in refs {
            let dangling = |resolved: String| SchemaError::DanglingRef {
                path: file.path.clone(),
                reference: reference.to_owned(),
                resolved,
            };
            let base_uri = jsonschema::uri::from_str(&base)
                .map_err(|error| dangling(format!("nothing ({error})")))?;
            let target = jsonschema::uri::resolve_against(&base_uri.borrow(), reference)
                .map_err(|error| dangling(format!("nothing ({error})")))?;
            let target = target.as_str();
            let resource = target.split_once('#').map_or(target, |(head, _)| head);
            if !known.contains(resource) {
                return Err(dangling(format!("\"{resource}\"")));
            }
        }
    }
    Ok(())
}

/// Collects the string values of `$ref` and `$dynamicRef` keywords anywhere in `value`.
fn collect_refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref" | "$dynamicRef", Value::String(reference)) => out.push(reference),
                    _ => collect_refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
