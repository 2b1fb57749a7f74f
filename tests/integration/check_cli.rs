//! `rc-conform check` end to end, through the binary: each test copies the repository's
//! `cases/` (and, for the doc findings, `specs/`) into a temporary directory, changes one
//! thing, runs `rc-conform check --specs … --cases …` and holds the exit code and output
//! against the documented behaviour (exit 0 ok, 1 findings, 2 bad input).
//!
//! A broken case file must be reported with its path, line and column, the field path and
//! what was expected; the fixtures for that live in `tests/fixtures/broken-cases/`.

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

// ---- broken case files: exit 2 with file, line, column, field path and what was expected

#[test]
fn bad_yaml_syntax_names_file_line_column_and_field_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("bad-yaml-syntax");
    workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &spot(&file, "{ roomId: $town, userId: $guest ]"),
            "cases[0].call.body",
            "mismatched bracket '{' closed by ']'",
        ))
        .stderr(problems(1));
}

#[test]
fn unknown_key_names_the_key_and_the_keys_expected_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("unknown-key");
    let assert = workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &spot(&file, "sucess"),
            "cases[0].call.expect.sucess",
            "unknown field `sucess`, expected one of status, success, errorType, error, absent, fields, schema, members_after, room_delta",
        ))
        .stderr(problems(1));
    snapshot_stderr("unknown_key_stderr", &workspace, &assert);
}

#[test]
fn wrong_type_names_the_field_and_the_type_expected_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("wrong-type");
    workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &spot(&file, "abc"),
            "cases[0].call.expect.status",
            "expected an HTTP status: a number such as 200 or 400",
        ))
        .stderr(problems(1));
}

#[test]
fn missing_field_points_at_the_mapping_that_lacks_it_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("missing-field");
    // The call mapping starts at its first key, `as:`; that is where `expect` is missing.
    workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &spot(&file, "as: member"),
            "cases[0].call",
            "missing field `expect`",
        ))
        .stderr(problems(1));
}

#[test]
fn duplicate_case_id_names_both_places_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("duplicate-case-id");
    let id = "channels.invite/room/archived";
    let first = spot(
        &workspace.case_file("channels.invite/failures.yaml"),
        &format!("id: {id}"),
    );
    let assert = workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &spot(&file, id),
            "cases[0].id",
            &format!(
                "duplicate case id `{id}`: already used at {}",
                first.location()
            ),
        ))
        .stderr(problems(1));
    snapshot_stderr("duplicate_case_id_stderr", &workspace, &assert);
}

#[test]
fn undefined_user_in_members_names_the_users_defined_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("undefined-user-in-members");
    workspace.check().code(2).stderr(diagnostic(
        &spot(&file, "mallory"),
        "cases[0].setup.rooms.town.members[1]",
        "undefined user `mallory`: expected one of member, guest, admin, bot",
    ));
}

#[test]
fn an_undefined_member_does_not_make_its_room_undefined_too() {
    let workspace = Workspace::new();
    workspace.add_fixture("undefined-user-in-members");
    // `town` is defined; only its member `mallory` is not. `$town` in the body is fine.
    workspace
        .check()
        .code(2)
        .stderr(predicate::str::contains("undefined reference `$town`").not())
        .stderr(problems(1));
}

#[test]
fn undefined_reference_in_body_names_the_reference_and_the_names_defined_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("undefined-reference-in-body");
    // The loader knows positions down to the body's value, not inside it: it points at the
    // body's `{`, on the line of `$nobody`.
    let body = spot(&file, "{ roomId: $town, userId: $nobody }");
    assert_eq!(body.line, spot(&file, "$nobody").line);
    workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &body,
            "cases[0].call.body.userId",
            "undefined reference `$nobody`: expected a user or room of the setup (member, guest, town, admin, bot, general); write `$$nobody` for a literal",
        ))
        .stderr(problems(1));
}

#[test]
fn undefined_room_in_members_after_names_the_rooms_defined_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("undefined-room-in-members-after");
    // The position is that of the room's entry `{ excludes: … }`, on the line of `attic`.
    let entry = spot(&file, "{ excludes: [guest] }");
    assert_eq!(entry.line, spot(&file, "attic").line);
    workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &entry,
            "cases[0].call.expect.members_after.attic",
            "undefined room `attic`: expected one of town, general",
        ))
        .stderr(problems(1));
}

#[test]
fn unknown_premise_names_the_premises_of_the_model_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("unknown-premise");
    workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &spot(&file, "add-user-to-any-room"),
            "cases[0].premise",
            "unknown premise `add-user-to-any-room`: expected one of add-user-to-any-c-room, add-user-to-any-p-room, add-user-to-joined-room,",
        ))
        .stderr(problems(1));
}

#[test]
fn unknown_schema_id_names_the_schema_ids_and_exits_2() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("unknown-schema-id");
    workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &spot(&file, "invite/418"),
            "cases[0].call.expect.schema",
            "unknown schema id `invite/418`: expected one of channels.invite/200,",
        ))
        .stderr(predicate::str::contains("invite/400, invite/401"))
        .stderr(problems(1));
}

#[test]
fn no_and_yes_are_not_booleans_and_exit_2() {
    for (fixture, context, value, field) in [
        (
            "non-strict-boolean-no",
            "archived: NO",
            "NO",
            "cases[0].setup.rooms.town.archived",
        ),
        (
            "non-strict-boolean-yes",
            "success: yes",
            "yes",
            "cases[0].call.expect.success",
        ),
    ] {
        let workspace = Workspace::new();
        let file = workspace.add_fixture(fixture);
        workspace
            .check()
            .code(2)
            .stderr(diagnostic(
                &spot_within(&file, context, value),
                field,
                "invalid boolean (strict mode expects true/false)",
            ))
            .stderr(problems(1));
    }
}

#[test]
fn problems_in_two_files_are_both_reported_in_one_run() {
    let workspace = Workspace::new();
    let channels = "channels.invite/premises.yaml";
    let groups = "groups.invite/failures.yaml";
    workspace.edit(
        channels,
        "fields: { /channel/t: c }",
        "fieldz: { /channel/t: c }",
    );
    workspace.edit(
        groups,
        "premise: room-param-malformed",
        "premise: room-param-mangled",
    );
    let unknown_key = spot(&workspace.case_file(channels), "fieldz");
    let unknown_premise = spot(&workspace.case_file(groups), "room-param-mangled");
    workspace
        .check()
        .code(2)
        .stderr(diagnostic(
            &unknown_key,
            &format!("cases[{}].call.expect.fieldz", case_index_at(&unknown_key)),
            "unknown field `fieldz`, expected one of",
        ))
        .stderr(diagnostic(
            &unknown_premise,
            &format!("cases[{}].premise", case_index_at(&unknown_premise)),
            "unknown premise `room-param-mangled`: expected one of",
        ))
        .stderr(problems(2));
}

#[test]
fn diagnostic_location_is_printed_once() {
    let workspace = Workspace::new();
    let file = workspace.add_fixture("wrong-type");
    let at = spot(&file, "abc");
    // The arrow line ends with `path:line:column`, not `path:line:column:line:column`.
    workspace
        .check()
        .code(2)
        .stderr(a_line_with(&[&format!("--> {}", at.location())]))
        .stderr(
            predicate::str::contains(format!("{}:{}:{}", at.location(), at.line, at.column)).not(),
        );
}

// ---- findings: exit 1

#[test]
fn removing_the_only_case_of_a_cell_reports_it_uncovered_and_exits_1() {
    let workspace = Workspace::new();
    workspace.remove_case(
        "groups.invite/failures.yaml",
        "groups.invite/room/direct-room",
    );
    let assert = workspace
        .check()
        .code(1)
        .stdout(predicate::str::contains(
            "UNCOVERED groups.invite · room type d · direct-room",
        ))
        .stdout(predicate::str::contains("check FAILED"));
    let (covered, required) = coverage(&stdout_of(&assert));
    assert_eq!(covered + 1, required, "exactly one cell is uncovered");
}

#[test]
fn an_expectation_the_model_contradicts_names_case_field_and_prediction_and_exits_1() {
    let workspace = Workspace::new();
    let file = "channels.invite/failures.yaml";
    let id = "channels.invite/users/no-user-parameter";
    workspace.edit_case(
        file,
        id,
        "errorType: error-users-params-not-provided",
        "errorType: error-invalid-user",
    );
    workspace
        .check()
        .code(1)
        .stdout(a_line_with(&[
            "DISAGREES",
            &workspace.case_file(file).display().to_string(),
            &format!("case `{id}`"),
            "expect.errorType",
            "the case says \"error-invalid-user\"",
            "the model predicts \"error-users-params-not-provided\"",
        ]))
        .stdout(every_line_with(
            "DISAGREES",
            &[&format!("case `{id}`"), ".expect.errorType:"],
        ))
        .stdout(predicate::str::contains("check FAILED"));
}

// ---- the repository as it is: exit 0

#[test]
fn the_repository_passes_with_every_cell_covered_and_the_known_doc_finding() {
    let assert = check(&repo("specs"), &repo("cases"), &repo(""))
        .code(0)
        .stdout(predicate::str::contains("| premise / failure |"))
        .stdout(a_line_with(&[
            "FINDING",
            "channels.invite.txt",
            "/channel/usernames",
            "channels.invite/200",
        ]))
        .stdout(predicate::str::contains("NEW FINDING").not())
        .stdout(predicate::str::contains("check PASSED"));
    let (covered, required) = coverage(&stdout_of(&assert));
    assert!(required > 0, "the model requires no cell");
    assert_eq!(covered, required);
}

// ---- documentation findings against specs/doc-findings.yaml: exit 1

#[test]
fn an_unacknowledged_doc_finding_fails_check_and_exits_1() {
    let workspace = Workspace::with_own_specs();
    write(&workspace.specs.join("doc-findings.yaml"), "findings: []\n");
    workspace
        .check()
        .code(1)
        .stdout(a_line_with(&[
            "NEW FINDING",
            "channels.invite.txt",
            "/channel/usernames",
            "channels.invite/200",
        ]))
        .stdout(predicate::str::contains("check FAILED"));
}

#[test]
fn a_stale_doc_finding_acknowledgement_fails_check_and_exits_1() {
    let workspace = Workspace::with_own_specs();
    let path = workspace.specs.join("doc-findings.yaml");
    let mut text = read(&path);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(
        "  - page: groups.invite.txt\n    schema: groups.invite/200\n    pointer: /group/bogus\n    reason: a finding that never occurs\n",
    );
    write(&path, &text);
    workspace
        .check()
        .code(1)
        .stdout(a_line_with(&[
            "STALE",
            "groups.invite.txt groups.invite/200 /group/bogus",
        ]))
        .stdout(predicate::str::contains("NEW FINDING").not())
        .stdout(predicate::str::contains("check FAILED"));
}

/// The README carries `check`'s coverage matrix; it must be the one `check` prints now.
#[test]
fn the_readme_coverage_matrix_is_the_one_check_prints() {
    let dir = tempfile::tempdir().expect("temp dir");
    let assert = check(&repo("specs"), &repo("cases"), dir.path()).code(0);
    let stdout = stdout_of(&assert);
    let start = stdout
        .find("| premise / failure |")
        .expect("the matrix in check's output");
    let printed =
        &stdout[start..start + stdout[start..].find("\n\n").expect("the matrix ends") + 1];
    let readme = read(&repo("README.md"));
    let (open, close) = ("<!-- check-matrix:start -->\n", "<!-- check-matrix:end -->");
    let a = readme
        .find(open)
        .expect("README has the check-matrix start marker")
        + open.len();
    let b = readme
        .find(close)
        .expect("README has the check-matrix end marker");
    assert_eq!(
        &readme[a..b],
        printed,
        "README.md's coverage matrix is stale; paste `rc-conform check`'s matrix between the markers"
    );
}
