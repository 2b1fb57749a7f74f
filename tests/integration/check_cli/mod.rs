//! `rc-conform check` end to end, through the binary: each test copies the repository's
//! `cases/` (and, for the doc findings, `specs/`) into a temporary directory, changes one
//! thing, runs `rc-conform check --specs … --cases …` and holds the exit code and output
//! against the documented behaviour (exit 0 ok, 1 findings, 2 bad input).
//!
//! A broken case file must be reported with its path, line and column, the field path and
//! what was expected; the fixtures for that live in `tests/fixtures/broken-cases/`.

mod broken_cases;
mod findings;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::assert::Assert;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use tempfile::TempDir;

fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).follow_links(true) {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        let target = to.join(entry.path().strip_prefix(from).expect("below the root"));
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
        } else {
            fs::copy(entry.path(), &target).unwrap_or_else(|e| {
                panic!("{} → {}: {e}", entry.path().display(), target.display())
            });
        }
    }
}

/// A place in a file as diagnostics name it: 1-based line and column (in characters).
#[derive(Debug, Clone)]
struct Spot {
    file: PathBuf,
    line: usize,
    column: usize,
}

impl Spot {
    /// `path:line:column`, as the diagnostic's location and the duplicate-id message give it.
    fn location(&self) -> String {
        format!("{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A copy of the repository's case files (and optionally specs) to break.
struct Workspace {
    root: TempDir,
    specs: PathBuf,
}

impl Workspace {
    /// A copy of `cases/`; `check` reads the repository's `specs/`.
    fn new() -> Workspace {
        let root = tempfile::tempdir().expect("a temporary directory");
        copy_tree(&repo("cases"), &root.path().join("cases"));
        Workspace {
            root,
            specs: repo("specs"),
        }
    }

    /// A copy of `cases/` and of `specs/`.
    fn with_own_specs() -> Workspace {
        let mut workspace = Workspace::new();
        workspace.specs = workspace.root.path().join("specs");
        copy_tree(&repo("specs"), &workspace.specs);
        workspace
    }

    fn root(&self) -> &Path {
        self.root.path()
    }

    /// A file below the copied `cases/`.
    fn case_file(&self, relative: &str) -> PathBuf {
        self.root().join("cases").join(relative)
    }

    /// Replaces the one occurrence of `from` in a case file by `to`.
    fn edit(&self, relative: &str, from: &str, to: &str) {
        self.replace_once(relative, |text| 0..text.len(), from, to);
    }

    /// Replaces the one occurrence of `from` within the case `id` of a case file by `to`.
    fn edit_case(&self, relative: &str, id: &str, from: &str, to: &str) {
        self.replace_once(relative, |text| case_block(text, id), from, to);
    }

    fn replace_once(
        &self,
        relative: &str,
        within: impl FnOnce(&str) -> std::ops::Range<usize>,
        from: &str,
        to: &str,
    ) {
        let path = self.case_file(relative);
        let mut text = read(&path);
        let range = within(&text);
        let part = &text[range.clone()];
        assert_eq!(
            part.matches(from).count(),
            1,
            "{relative}: expected exactly one `{from}` in {part}"
        );
        let edited = part.replacen(from, to, 1);
        text.replace_range(range, &edited);
        write(&path, &text);
    }

    /// Deletes the case `id` from a case file.
    fn remove_case(&self, relative: &str, id: &str) {
        let path = self.case_file(relative);
        let mut text = read(&path);
        text.replace_range(case_block(&text, id), "");
        write(&path, &text);
    }

    /// Copies `tests/fixtures/broken-cases/<name>.yaml` to `cases/wip/<name>.yaml`, a new file
    /// that sorts, and so loads, after the repository's own.
    fn add_fixture(&self, name: &str) -> PathBuf {
        let path = self.case_file(&format!("wip/{name}.yaml"));
        write(
            &path,
            &read(&repo(&format!("tests/fixtures/broken-cases/{name}.yaml"))),
        );
        path
    }

    /// Runs `rc-conform check` on the copy.
    fn check(&self) -> Assert {
        check(&self.specs, &self.root().join("cases"), self.root())
    }
}

/// Runs `rc-conform check --specs <specs> --cases <cases>` in `dir`, without colours and
/// without the environment's defaults for the two directories.
fn check(specs: &Path, cases: &Path, dir: &Path) -> Assert {
    cargo_bin_cmd!("rc-conform")
        .current_dir(dir)
        .env_remove("RC_CONFORM_SPECS")
        .env_remove("RC_CONFORM_CASES")
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1")
        .arg("check")
        .arg("--specs")
        .arg(specs)
        .arg("--cases")
        .arg(cases)
        .assert()
}

/// The byte range of the case `id` in a case file's text: from its `  - id:` line up to the
/// next case or the end of the file.
fn case_block(text: &str, id: &str) -> std::ops::Range<usize> {
    let start = text
        .find(&format!("\n  - id: {id}\n"))
        .unwrap_or_else(|| panic!("no case `{id}`"))
        + 1;
    let end = text[start..]
        .match_indices("\n  - id: ")
        .next()
        .map_or(text.len(), |(i, _)| start + i + 1);
    start..end
}

/// Where `needle` stands in `file`, skipping comment lines; it must occur exactly once.
fn spot(file: &Path, needle: &str) -> Spot {
    spot_within(file, needle, needle)
}

/// Where `target` stands within `context`, which must occur exactly once in `file` outside
/// comment lines (e.g. `yes` within `success: yes`).
fn spot_within(file: &Path, context: &str, target: &str) -> Spot {
    let offset = context
        .find(target)
        .unwrap_or_else(|| panic!("`{target}` is not part of `{context}`"));
    let text = read(file);
    let hits: Vec<Spot> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with('#'))
        .flat_map(|(index, line)| {
            line.match_indices(context).map(move |(byte, _)| Spot {
                file: file.to_owned(),
                line: index + 1,
                column: line[..byte + offset].chars().count() + 1,
            })
        })
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{}: expected `{context}` exactly once",
        file.display()
    );
    hits[0].clone()
}

/// The 0-based index of the case a line of a case file belongs to.
fn case_index_at(spot: &Spot) -> usize {
    read(&spot.file)
        .lines()
        .take(spot.line)
        .filter(|line| line.starts_with("  - id: "))
        .count()
        - 1
}

/// A diagnostic: its title line holds the message (or its beginning) and ends with the field
/// path; its location names the file, line and column.
fn diagnostic(at: &Spot, field: &str, message: &str) -> impl Predicate<str> {
    let title = format!(
        "(?m)^error: {}.*\\(field `{}`\\)$",
        regex_escape(message),
        regex_escape(field)
    );
    predicate::str::is_match(title)
        .expect("a valid regex")
        .and(predicate::str::contains(at.location()))
}

/// `check` reports exactly `n` problems and nothing was checked.
fn problems(n: usize) -> impl Predicate<str> {
    predicate::str::contains(format!(
        "error: {n} problem(s) in the case files; nothing was checked"
    ))
}

/// Some line of the text contains every one of `parts`.
fn a_line_with(parts: &[&str]) -> impl Predicate<str> {
    let parts: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
    predicate::function(move |text: &str| {
        text.lines()
            .any(|line| parts.iter().all(|p| line.contains(p.as_str())))
    })
}

/// Every line that contains `marker` also contains every one of `parts`.
fn every_line_with(marker: &str, parts: &[&str]) -> impl Predicate<str> {
    let marker = marker.to_owned();
    let parts: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
    predicate::function(move |text: &str| {
        text.lines()
            .filter(|line| line.contains(marker.as_str()))
            .all(|line| parts.iter().all(|p| line.contains(p.as_str())))
    })
}

fn stdout_of(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr_of(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// `covered` and `required` of the `N of M cells covered` line.
fn coverage(stdout: &str) -> (usize, usize) {
    let line = stdout
        .lines()
        .find(|l| l.contains(" cells covered"))
        .unwrap_or_else(|| panic!("no coverage line in:\n{stdout}"));
    let numbers: Vec<usize> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers[..] {
        [covered, required, ..] => (covered, required),
        _ => panic!("unexpected coverage line: {line}"),
    }
}

/// Snapshots stderr with the temporary directory replaced by `[TMP]`.
fn snapshot_stderr(name: &str, workspace: &Workspace, assert: &Assert) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        &regex_escape(&workspace.root().display().to_string()),
        "[TMP]",
    );
    settings.bind(|| insta::assert_snapshot!(name, stderr_of(assert)));
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escape = c.is_ascii_punctuation().then_some('\\');
            escape.into_iter().chain(std::iter::once(c))
        })
        .collect()
}
