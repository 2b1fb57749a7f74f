//! Broken case files: exit 2 with file, line, column, field path and what was expected.

use super::*;

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
