//! The case format's fields for the invite surface: rooms of a kind (`team`, `parent`, type
//! `l`), removals before the call (`banned`, `unbanned`, `kicked`, `left`), `requires`,
//! `concurrent` bodies, `messages_after` and `answer_room`. Valid uses load with the meaning
//! the runner needs (features implied, versions narrowed); each misuse is reported at its
//! line with its field path, and `specs/case.schema.json` agrees on the shapes.

use camino::Utf8PathBuf;
use rc_conform::case::{Diagnostic, RoomKind, RoomRef, Suite, UserRef, Version, load_texts};
use rc_conform::spec::Specs;
use serde_json::{Value, json};

fn specs() -> Specs {
    Specs::load(&Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs")).expect("specs")
}

/// Loads one case file `cases/wip/surface.yaml` with `text`.
fn load(text: &str) -> Result<Suite, Vec<Diagnostic>> {
    let texts = vec![(Utf8PathBuf::from("cases/wip/surface.yaml"), text.to_owned())];
    load_texts(&texts, &specs().known_names()).map_err(|e| e.0)
}

/// A one-case file with `setup` and `call` (YAML fragments indented for their place).
fn case(setup: &str, call: &str) -> String {
    format!(
        "cases:\n  - id: x/surface\n    title: t\n    endpoint: channels.invite\n    premise: add-user-to-joined-room\n    source: s\n    setup:\n{setup}    call:\n{call}"
    )
}

const CALL: &str = "      as: admin\n      body: { roomId: $town, userId: $guest }\n      expect: { status: 200 }\n";

/// The diagnostics of `text`, as `(line, field, message)`.
fn problems(text: &str) -> Vec<(u64, String, String)> {
    match load(text) {
        Ok(_) => Vec::new(),
        Err(found) => found
            .into_iter()
            .map(|d| (d.line, d.field, d.message))
            .collect(),
    }
}

/// Asserts that `text` has exactly one problem, at `line` and `field`, whose message says
/// `says`.
fn one_problem(text: &str, line: u64, field: &str, says: &str) {
    let found = problems(text);
    assert_eq!(found.len(), 1, "{text}\n{found:#?}");
    let (at, f, message) = &found[0];
    assert_eq!((*at, f.as_str()), (line, field), "{message}");
    assert!(message.contains(says), "{message:?} should say {says:?}");
}

#[test]
fn removals_kinds_and_features_load_with_their_meaning() {
    let setup = "      users: { guest: {}, gone: {}, left: {} }\n      rooms:\n        town: { type: c, members: [guest, gone, left], banned: [guest], kicked: [gone], left: [left] }\n        hq: { type: p, team: true }\n        talk: { type: c, parent: town }\n        desk: { type: l }\n";
    let suite = load(&case(setup, CALL)).unwrap_or_else(|d| panic!("{d:#?}"));
    let case = &suite.cases[0];
    let town = &case.setup.rooms["town"];
    assert_eq!(town.removals.banned, [UserRef::Fixture("guest".into())]);
    assert_eq!(town.members_after_setup(), [UserRef::Admin]);
    assert_eq!(case.setup.rooms["hq"].kind, RoomKind::TeamMain);
    assert_eq!(
        case.setup.rooms["talk"].kind,
        RoomKind::Discussion {
            parent: RoomRef::Fixture("town".into())
        }
    );
    assert!(case.setup.rooms["desk"].members_after_setup().is_empty());
    assert_eq!(
        case.requires,
        ["room-bans", "teams", "discussions", "omnichannel"]
    );
    assert_eq!(
        case.versions.since,
        Version::parse("8.3.0"),
        "bans from 8.3.0"
    );
}

#[test]
fn a_removed_user_must_have_joined_and_is_removed_once() {
    let call = CALL;
    let not_member =
        "      users: { guest: {} }\n      rooms: { town: { type: c, banned: [guest] } }\n";
    one_problem(
        &case(not_member, call),
        9,
        "cases[0].setup.rooms.town.banned[0]",
        "must join the room before it is removed",
    );
    let twice = "      users: { guest: {} }\n      rooms: { town: { type: c, members: [guest], kicked: [guest], left: [guest] } }\n";
    one_problem(
        &case(twice, call),
        9,
        "cases[0].setup.rooms.town.left[0]",
        "is removed twice",
    );
    let creator = "      users: { boss: {}, guest: {} }\n      rooms: { town: { type: c, creator: boss, members: [guest], kicked: [boss] } }\n";
    one_problem(
        &case(creator, call),
        9,
        "cases[0].setup.rooms.town.kicked[0]",
        "the creator cannot be removed",
    );
}

#[test]
fn teams_and_discussions_are_checked_against_their_types_and_order() {
    let call = CALL;
    let direct_team = "      users: { guest: {}, bob: {} }\n      rooms:\n        town: { type: c }\n        chat: { type: d, members: [bob], team: true }\n";
    one_problem(
        &case(direct_team, call),
        11,
        "cases[0].setup.rooms.chat.team",
        "a channel (type c) or a group (type p)",
    );
    let later_parent = "      users: { guest: {} }\n      rooms:\n        talk: { type: c, parent: town }\n        town: { type: c }\n";
    one_problem(
        &case(later_parent, call),
        10,
        "cases[0].setup.rooms.talk.parent",
        "not a room declared before this one",
    );
    let other_type = "      users: { guest: {} }\n      rooms:\n        town: { type: c }\n        talk: { type: p, parent: town }\n";
    one_problem(
        &case(other_type, call),
        11,
        "cases[0].setup.rooms.talk.parent",
        "a discussion has its parent's type",
    );
    let both = "      users: { guest: {} }\n      rooms:\n        town: { type: c }\n        talk: { type: c, parent: town, team: true }\n";
    one_problem(
        &case(both, call),
        11,
        "cases[0].setup.rooms.talk",
        "not both",
    );
}

#[test]
fn an_omnichannel_room_takes_nothing_a_visitor_does_not_set_up() {
    let setup = "      users: { guest: {} }\n      rooms:\n        town: { type: c }\n        desk: { type: l, members: [guest] }\n";
    one_problem(
        &case(setup, CALL),
        11,
        "cases[0].setup.rooms.desk",
        "opened by a livechat visitor",
    );
}

#[test]
fn requires_names_a_feature_and_must_leave_a_version_to_run_on() {
    let setup = "      users: { guest: {} }\n      rooms: { town: { type: c } }\n";
    let unknown =
        case(setup, CALL).replace("    source: s\n", "    source: s\n    requires: [bans]\n");
    one_problem(
        &unknown,
        7,
        "cases[0].requires[0]",
        "unknown feature `bans`",
    );
    let stated = case(setup, CALL).replace(
        "    source: s\n",
        "    source: s\n    requires: [room-bans]\n",
    );
    let suite = load(&stated).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(suite.cases[0].requires, ["room-bans"]);
    assert_eq!(suite.cases[0].versions.since, Version::parse("8.3.0"));
    let too_old = case(setup, CALL).replace(
        "    source: s\n",
        "    source: s\n    until: \"8.0.0\"\n    requires: [room-bans]\n",
    );
    one_problem(&too_old, 2, "cases[0].until", "applies only below 8.0.0");
}

#[test]
fn concurrent_bodies_replace_the_body_and_are_two_or_more() {
    let setup = "      users: { guest: {}, other: {} }\n      rooms: { town: { type: c } }\n";
    let call = "      as: admin\n      concurrent:\n        - { roomId: $town, userId: $guest }\n        - { roomId: $town, userId: $other }\n      expect: { status: 200 }\n";
    let suite = load(&case(setup, call)).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(suite.cases[0].calls[0].bodies().count(), 2);
    let one = "      as: admin\n      concurrent:\n        - { roomId: $town, userId: $guest }\n      expect: { status: 200 }\n";
    one_problem(
        &case(setup, one),
        13,
        "cases[0].call.concurrent",
        "two or more bodies",
    );
    let with_body = "      as: admin\n      body: { roomId: $town }\n      concurrent:\n        - { roomId: $town, userId: $guest }\n        - { roomId: $town, userId: $other }\n      expect: { status: 200 }\n";
    one_problem(
        &case(setup, with_body),
        14,
        "cases[0].call.concurrent",
        "instead of `body` or `raw`",
    );
    let undefined = "      as: admin\n      concurrent:\n        - { roomId: $town, userId: $guest }\n        - { roomId: $town, userId: $nobody }\n      expect: { status: 200 }\n";
    let found = problems(&case(setup, undefined));
    assert!(
        found
            .iter()
            .any(|(_, f, m)| f == "cases[0].call.concurrent[1].userId" && m.contains("$nobody")),
        "{found:#?}"
    );
}

#[test]
fn messages_and_the_answer_room_name_users_and_rooms_of_the_case() {
    let setup = "      users: { guest: {} }\n      rooms: { town: { type: c } }\n";
    let expect = |e: &str| {
        format!(
            "      as: admin\n      body: {{ roomId: $town, userId: $guest }}\n      expect:\n{e}"
        )
    };
    let good = expect(
        "        status: 200\n        answer_room: town\n        messages_after: { town: [{ t: au, by: admin, user: guest }] }\n",
    );
    let suite = load(&case(setup, &good)).unwrap_or_else(|d| panic!("{d:#?}"));
    let e = &suite.cases[0].calls[0].expect;
    assert_eq!(e.answer_room, Some(RoomRef::Fixture("town".into())));
    assert_eq!(
        e.messages_after[&RoomRef::Fixture("town".into())][0].by,
        UserRef::Admin
    );
    let refusal = expect("        status: 400\n        answer_room: town\n");
    one_problem(
        &case(setup, &refusal),
        15,
        "cases[0].call.expect.answer_room",
        "the expectation's status must be 200",
    );
    let nobody = expect(
        "        status: 200\n        messages_after: { town: [{ t: au, by: admin, user: nobody }] }\n",
    );
    one_problem(
        &case(setup, &nobody),
        15,
        "cases[0].call.expect.messages_after.town[0].user",
        "undefined user `nobody`",
    );
    let no_room = expect("        status: 200\n        answer_room: hall\n");
    one_problem(
        &case(setup, &no_room),
        15,
        "cases[0].call.expect.answer_room",
        "undefined room `hall`",
    );
}

fn validator() -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/case.schema.json");
    let text = std::fs::read_to_string(&path).expect("case.schema.json");
    let schema: Value = serde_json::from_str(&text).expect("JSON");
    jsonschema::draft202012::new(&schema).expect("a schema")
}

#[test]
fn the_case_schema_knows_the_surface_fields_and_their_shapes() {
    let validator = validator();
    let file = |room: Value, call: Value| {
        json!({ "cases": [{ "id": "x/y", "title": "t", "endpoint": "channels.invite",
            "premise": "p", "source": "s", "requires": ["room-bans"],
            "setup": { "users": { "guest": {} }, "rooms": { "town": room } }, "call": call }] })
    };
    let valid = |v: &Value| validator.iter_errors(v).next().is_none();
    let call = json!({ "as": "admin", "concurrent": [{}, {}], "expect": { "status": 200,
        "answer_room": "town", "messages_after": { "town": [{ "t": "au", "by": "admin", "user": "guest" }] } } });
    let room = json!({ "type": "c", "members": ["guest"], "banned": ["guest"], "team": true });
    assert!(valid(&file(room.clone(), call.clone())));
    assert!(valid(&file(json!({ "type": "l" }), call.clone())));
    assert!(valid(&file(
        json!({ "type": "c", "parent": "hall" }),
        call.clone()
    )));
    let mut both = call.clone();
    both["body"] = json!({});
    assert!(!valid(&file(room.clone(), both)), "body and concurrent");
    let mut one = call.clone();
    one["concurrent"] = json!([{}]);
    assert!(!valid(&file(room.clone(), one)), "one concurrent body");
    let mut bad_message = call;
    bad_message["expect"]["messages_after"]["town"][0] = json!({ "t": "au", "by": "admin" });
    assert!(
        !valid(&file(room, bad_message)),
        "a message without its user"
    );
    assert!(!valid(&file(
        json!({ "type": "x" }),
        json!({ "as": "admin", "body": {}, "expect": { "status": 200 } })
    )));
}
