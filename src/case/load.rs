//! The loader: case files on disk → a [`Suite`], or every problem of every file at once.
//!
//! A case file is read from its compiled form when the binary carries one, else parsed as
//! the project parses YAML (the sibling `yaml`). The loader resolves every name, so later
//! stages get cases that cannot refer to anything undefined. It never contacts a server.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};

use super::diagnostic::Diagnostic;
use super::model::{Case, Origin, Suite, Version, VersionRange};
use super::raw::{CASE_FILE_SUFFIXES, RawFile, Spanned};
use super::resolve::Resolver;
use super::yaml::parse_yaml;
use crate::built_in::Source;

/// The names a case may use, taken from the specs: premises, schema ids and roles.
#[derive(Debug, Clone, Default)]
pub struct KnownNames {
    /// Premise and failure-kind names of the premise model.
    pub premises: BTreeSet<String>,
    /// Schema ids of the schema registry (`channels.invite/200`).
    pub schemas: BTreeSet<String>,
    /// Role ids a setup may grant or assign.
    pub roles: BTreeSet<String>,
    /// Features a case may require, each with the first release that has it.
    pub features: BTreeMap<String, Option<Version>>,
}

/// Every problem found while loading a suite.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in the case files", .0.len())]
pub struct LoadErrors(pub Vec<Diagnostic>);

/// Loads every `*.yaml`/`*.yml` file below `dir`, in path order.
pub fn load_suite(dir: &Utf8Path, known: &KnownNames) -> Result<Suite, LoadErrors> {
    load_suite_from(&Source::Dir(dir.to_owned()), known)
}

/// Loads every `*.yaml`/`*.yml` file below `source` (a directory or the built-in cases), in
/// path order; diagnostics name each file by [`Source::path`]. File by file: a file's parsed
/// form is let go as soon as its cases are resolved, so a suite of any size loads in the
/// memory of its cases.
pub fn load_suite_from(source: &Source, known: &KnownNames) -> Result<Suite, LoadErrors> {
    let (texts, unread) = read_files(source)?;
    with_unread(source.clone(), unread, load_files(&texts, known))
}

/// Reads and parses every case file below `source`, without resolving any name: the part of
/// loading that needs no specs, so a run of the built-in suite does it while the specs load.
/// Every file's parsed form is held until [`ParsedSuite::resolve`], so this is for a small
/// suite; [`load_suite_from`] loads one of any size. A directory that cannot be listed is an
/// error now; a file that cannot be read or parsed is told, in file order with every other
/// problem, when the suite is resolved.
pub fn parse_suite_from(source: &Source) -> Result<ParsedSuite, LoadErrors> {
    let (texts, unread) = read_files(source)?;
    Ok(ParsedSuite {
        source: source.clone(),
        files: crate::parallel::in_parallel(&texts, parse_file),
        unread,
    })
}

/// Every case file below `source`, read, in path order; and those that could not be read.
fn read_files(source: &Source) -> Result<(Vec<FileText<'static>>, Vec<Diagnostic>), LoadErrors> {
    let problem = |file: Utf8PathBuf, message: String| {
        LoadErrors(vec![Diagnostic::new(file, None, 0, 0, "", message)])
    };
    if let Source::Dir(dir) = source
        && !dir.is_dir()
    {
        return Err(problem(
            dir.clone(),
            "the case directory does not exist or is not a directory".to_owned(),
        ));
    }
    let names = source.files(true, &CASE_FILE_SUFFIXES).map_err(|e| {
        problem(
            source.root().to_owned(),
            format!("cannot list the case directory: {e}"),
        )
    })?;
    let mut texts = Vec::new();
    let mut unread = Vec::new();
    for name in &names {
        let file = source.path(name.as_str());
        let compiled = source.compiled(name.as_str());
        match source.read(name.as_str()) {
            Ok(text) => texts.push(FileText {
                file,
                text,
                compiled,
            }),
            Err(e) => unread.push(Diagnostic::new(
                file,
                None,
                0,
                0,
                "",
                format!("cannot read: {e}"),
            )),
        }
    }
    Ok((texts, unread))
}

/// The suite, or every problem: the files that could not be read first, then the rest.
fn with_unread(
    source: Source,
    mut unread: Vec<Diagnostic>,
    loaded: Result<Suite, LoadErrors>,
) -> Result<Suite, LoadErrors> {
    let mut suite = loaded.unwrap_or_else(|e| {
        unread.extend(e.0);
        Suite::default()
    });
    if unread.is_empty() {
        suite.source = Some(source);
        Ok(suite)
    } else {
        Err(LoadErrors(unread))
    }
}

/// Case files read and parsed, their names not resolved yet ([`parse_suite_from`]).
pub struct ParsedSuite {
    source: Source,
    files: Vec<ParsedFile>,
    unread: Vec<Diagnostic>,
}

impl ParsedSuite {
    /// Resolves every case's names against `known`: the suite, or every problem of every
    /// file (those that could not be read first, then the rest in file order).
    pub fn resolve(self, known: &KnownNames) -> Result<Suite, LoadErrors> {
        // Each file's parsed form is taken by the thread that resolves it (resolving consumes it).
        let slots: Vec<std::sync::Mutex<Option<ParsedFile>>> = self
            .files
            .into_iter()
            .map(|p| std::sync::Mutex::new(Some(p)))
            .collect();
        let loaded = crate::parallel::in_parallel(&slots, |slot| {
            let taken = slot.lock().map(|mut p| p.take()).ok().flatten();
            taken.map(|p| resolve_file(p, known))
        });
        let loaded = loaded.into_iter().flatten().collect();
        with_unread(self.source, self.unread, collect(loaded))
    }
}

/// Loads cases from in-memory `(path, text)` pairs; the paths are used in diagnostics.
///
/// Files are parsed and resolved in parallel (each one alone); duplicate ids across files are
/// then found in file order, so the cases and the diagnostics come out in the same order as
/// from a one-by-one load.
pub fn load_texts(
    texts: &[(Utf8PathBuf, String)],
    known: &KnownNames,
) -> Result<Suite, LoadErrors> {
    let texts: Vec<FileText<'_>> = texts
        .iter()
        .map(|(file, text)| FileText {
            file: file.clone(),
            text: Cow::Borrowed(text),
            compiled: None,
        })
        .collect();
    load_files(&texts, known)
}

/// One case file to load: its path as diagnostics name it, its YAML (borrowed where it can be:
/// the built-in texts and the caller's), and, for a file compiled into the binary, its
/// compiled form (read instead of the YAML: the same [`RawFile`]).
struct FileText<'a> {
    file: Utf8PathBuf,
    text: Cow<'a, str>,
    compiled: Option<&'static str>,
}

/// [`load_texts`] of files that may come with their compiled form.
fn load_files(texts: &[FileText<'_>], known: &KnownNames) -> Result<Suite, LoadErrors> {
    collect(crate::parallel::in_parallel(texts, |t| {
        resolve_file(parse_file(t), known)
    }))
}

/// The files' cases in file order, or every problem; the duplicate ids across files are
/// found here, in file order.
fn collect(loaded: Vec<FileLoad>) -> Result<Suite, LoadErrors> {
    let files: Vec<Utf8PathBuf> = loaded.iter().map(|l| l.file.clone()).collect();
    let mut diagnostics = Vec::new();
    let mut cases: Vec<Arc<Case>> = Vec::new();
    let mut first_seen: BTreeMap<String, Origin> = BTreeMap::new();
    for file in loaded {
        let text = file.source;
        diagnostics.extend(file.problems);
        for resolved in file.cases {
            let (index, case, id_at) = match resolved {
                Resolved::Case { index, case, id_at } => (index, case, id_at),
                Resolved::Failed(problems) => {
                    diagnostics.extend(problems);
                    continue;
                }
            };
            let id = case.id.to_string();
            if let Some(previous) = first_seen.get(&id) {
                diagnostics.push(Diagnostic::new(
                    id_at.file,
                    Some(text.clone()),
                    id_at.line,
                    id_at.column,
                    format!("cases[{index}].id"),
                    format!("duplicate case id `{id}`: already used at {previous}"),
                ));
            } else {
                first_seen.insert(id, case.origin.clone());
                cases.push(case);
            }
        }
    }
    if diagnostics.is_empty() {
        Ok(Suite {
            files,
            cases,
            source: None,
        })
    } else {
        Err(LoadErrors(diagnostics))
    }
}

/// One file parsed and resolved on its own: its path and YAML, its file-level problems, then
/// each case in order.
struct FileLoad {
    file: Utf8PathBuf,
    source: Arc<str>,
    problems: Vec<Diagnostic>,
    cases: Vec<Resolved>,
}

/// One case of a file: resolved (with where its id is written), or its problems.
enum Resolved {
    Case {
        index: usize,
        case: Arc<Case>,
        id_at: Origin,
    },
    Failed(Vec<Diagnostic>),
}

/// One case file parsed, names not resolved: its path, its YAML (for diagnostics), and its
/// parsed structure or the one problem that stopped the parse.
struct ParsedFile {
    file: Utf8PathBuf,
    source: Arc<str>,
    raw: Result<RawFile, Box<Diagnostic>>,
}

fn parse_file(text: &FileText<'_>) -> ParsedFile {
    let file = text.file.clone();
    let source: Arc<str> = Arc::from(text.text.as_ref());
    // A compiled form was written from this very YAML at build time; were it ever unreadable,
    // the YAML is read instead (the same cases, only slower).
    let compiled = text
        .compiled
        .and_then(|json| super::raw::from_compiled(json).ok());
    let raw = compiled.map_or_else(|| parse_yaml(&file, &source), Ok);
    ParsedFile { file, source, raw }
}

fn resolve_file(parsed: ParsedFile, known: &KnownNames) -> FileLoad {
    let ParsedFile { file, source, raw } = parsed;
    let mut load = FileLoad {
        file: file.clone(),
        source: source.clone(),
        problems: Vec::new(),
        cases: Vec::new(),
    };
    let raw = match raw {
        Ok(raw) => raw,
        Err(d) => {
            load.problems.push(*d);
            return load;
        }
    };
    if raw.cases.is_empty() {
        load.problems.push(Diagnostic::new(
            file.clone(),
            Some(source.clone()),
            1,
            1,
            "cases",
            "expected at least one case",
        ));
    }
    load.cases.reserve_exact(raw.cases.len());
    let mut resolver = Resolver::new(&file, source, known);
    for (index, raw_case) in raw.cases.into_iter().enumerate() {
        let id_at = resolver.origin(&raw_case.value.id.referenced);
        let resolved = match resolver.case(index, raw_case) {
            Some(case) => Resolved::Case {
                index,
                case: Arc::new(case),
                id_at,
            },
            None => Resolved::Failed(std::mem::take(&mut resolver.diagnostics)),
        };
        load.cases.push(resolved);
    }
    load
}

/// Parses a `since`/`until` version field.
pub(super) fn version_range(
    resolver: &mut Resolver<'_>,
    field: &str,
    since: Option<Spanned<String>>,
    until: Option<Spanned<String>>,
) -> VersionRange {
    let mut parse = |name: &str, value: Option<Spanned<String>>| {
        let value = value?;
        let parsed = Version::parse(&value.value);
        if parsed.is_none() {
            let at = resolver.origin(&value.referenced);
            resolver.report(
                &at,
                format!("{field}.{name}"),
                format!(
                    "`{}` is not a version: expected a quoted string like \"8.1.0\"",
                    value.value
                ),
            );
        }
        parsed
    };
    let since = parse("since", since);
    let until = parse("until", until);
    VersionRange { since, until }
}

#[cfg(test)]
mod tests {
    use serde_saphyr::Location;

    use super::*;
    use crate::built_in::{Source, compiled};
    use crate::spec::Specs;

    /// The built-in case files as `(path, YAML)`, listed and read as the loader lists and
    /// reads them.
    fn built_in_yaml() -> Vec<(Utf8PathBuf, String)> {
        let source = Source::built_in_cases();
        let names = source.files(true, &CASE_FILE_SUFFIXES).expect("listed");
        names
            .iter()
            .map(|name| {
                let text = source.read(name.as_str()).expect("a built-in file reads");
                (source.path(name.as_str()), text.into_owned())
            })
            .collect()
    }

    #[test]
    fn every_built_in_case_file_has_a_compiled_form_that_reads() {
        let files = built_in_yaml();
        assert!(files.len() >= 30, "the built-in suite has its case files");
        for (path, _) in &files {
            let json =
                compiled(path.as_str()).unwrap_or_else(|| panic!("{path}: no compiled form"));
            if let Err(e) = super::super::raw::from_compiled(json) {
                panic!("{path}: the compiled form does not read: {e}");
            }
        }
        assert_eq!(compiled("cases/no-such-file.yaml"), None);
    }

    #[test]
    fn the_compiled_suite_is_the_suite_its_yaml_gives() {
        let specs = Specs::load_from(&Source::built_in_specs()).expect("built-in specs");
        let compiled = specs
            .load_cases_from(&Source::built_in_cases())
            .expect("the built-in cases load");
        let from_yaml =
            load_texts(&built_in_yaml(), &specs.known_names()).expect("their YAML loads");
        assert_eq!(compiled.cases.len(), from_yaml.cases.len());
        for (a, b) in compiled.cases.iter().zip(&from_yaml.cases) {
            // Every field, the positions of the case and of everything it refers to included.
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "case {}", b.id);
        }
    }

    #[test]
    fn a_compiled_form_keeps_the_positions_diagnostics_point_at() {
        for (path, yaml) in built_in_yaml() {
            let parsed: RawFile =
                super::super::raw::from_yaml(&yaml).expect("a built-in file parses");
            let json = serde_json::to_string(&parsed).expect("serializes");
            let back = super::super::raw::from_compiled(&json).expect("reads back");
            let at = |l: &Location| (l.line(), l.column());
            for (before, after) in parsed.cases.iter().zip(&back.cases) {
                assert_eq!(at(&before.referenced), at(&after.referenced), "{path}");
                assert_eq!(at(&before.defined), at(&after.defined), "{path}");
                let (id, id_back) = (&before.value.id, &after.value.id);
                assert_eq!(at(&id.referenced), at(&id_back.referenced), "{path}");
                assert!(id.referenced.line() > 1, "{path}: a real position");
            }
        }
    }
}
