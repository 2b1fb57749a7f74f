//! Findings (exit 1), documentation findings against `specs/doc-findings.yaml` (exit 1),
//! and the repository as it is (exit 0).

use super::*;

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
