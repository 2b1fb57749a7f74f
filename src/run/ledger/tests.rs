//! Tests of the parent module.

use super::*;

fn temp_ledger() -> (tempfile::TempDir, Utf8PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = Utf8PathBuf::from_path_buf(dir.path().join("ledger.jsonl")).expect("UTF-8");
    (dir, path)
}

fn run_line(run_id: &str) -> Entry {
    Entry::Run {
        run_id: run_id.into(),
        target: "http://127.0.0.1:3000".into(),
    }
}

#[test]
fn a_new_run_replaces_a_ledger_whose_work_is_done() {
    let (_dir, path) = temp_ledger();
    for last in [Entry::Cleaned, run_line("old")] {
        let old = Ledger::start(&path).expect("ledger").ledger;
        old.record_all(&[run_line("old"), last]).expect("write");
        let started = Ledger::start(&path).expect("start");
        assert_eq!(started.set_aside, None);
        assert_eq!(Ledger::read(&path).expect("read"), vec![]);
        assert_eq!(started.ledger.entries().expect("entries"), vec![]);
    }
}

#[test]
fn a_new_run_sets_aside_a_ledger_with_work_left_and_never_undoes_it() {
    let (_dir, path) = temp_ledger();
    let old = Ledger::start(&path).expect("ledger").ledger;
    let user = Entry::User {
        username: "rcc-old-001-alice".into(),
    };
    old.record_all(&[run_line("old"), user.clone()])
        .expect("write");
    let started = Ledger::start(&path).expect("start");
    let aside = path.with_file_name("ledger-old.jsonl");
    assert_eq!(started.set_aside.as_ref(), Some(&aside));
    assert_eq!(
        Ledger::read(&aside).expect("read"),
        vec![run_line("old"), user]
    );
    started.ledger.record(&run_line("new")).expect("write");
    let entries = started.ledger.entries().expect("entries");
    assert_eq!(entries, vec![run_line("new")]);
    assert!(pending_undo(&entries).is_empty());
}

#[test]
fn a_line_recorded_later_goes_out_before_the_next_write_and_keeps_its_place() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::start(&path).expect("ledger").ledger;
    let room = |name: &str| Entry::Room {
        name: name.into(),
        room_type: RoomType::Public,
        deleter: "alice".into(),
    };
    let id = |name: &str| Entry::RoomId {
        name: name.into(),
        id: format!("id-{name}"),
    };
    ledger.record(&room("a")).expect("write");
    ledger.record_later(&id("a")).expect("queue");
    assert_eq!(Ledger::read(&path).expect("read"), vec![room("a")]);
    ledger.record(&room("b")).expect("write");
    assert_eq!(
        Ledger::read(&path).expect("read"),
        vec![room("a"), id("a"), room("b")]
    );
    ledger.record_later(&id("b")).expect("queue");
    assert_eq!(
        ledger.entries().expect("entries"),
        vec![room("a"), id("a"), room("b"), id("b")]
    );
    ledger.flush().expect("nothing left to write");
    assert_eq!(Ledger::read(&path).expect("read").len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_lines_are_written_at_once_and_synced_when_awaited() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::start(&path).expect("ledger").ledger;
    let id = Entry::UserId {
        username: "rcc-r-001-alice".into(),
        id: "u1".into(),
    };
    ledger.record_later(&id).expect("queue");
    let durable = ledger.record_durable(&[run_line("r")]).expect("write");
    // In the kernel before the sync is awaited, the waiting line first.
    assert_eq!(
        Ledger::read(&path).expect("read"),
        vec![id.clone(), run_line("r")]
    );
    durable.wait().await.expect("synced");
    assert_eq!(ledger.entries().expect("entries"), vec![id, run_line("r")]);
}

#[test]
fn durable_lines_sync_inline_without_a_runtime() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::start(&path).expect("ledger").ledger;
    let durable = ledger.record_durable(&[Entry::Cleaned]).expect("write");
    assert!(durable.sync.is_none(), "synced before returning");
    assert_eq!(Ledger::read(&path).expect("read"), vec![Entry::Cleaned]);
}

#[test]
fn undo_is_reverse_order_and_skips_restored_permissions() {
    let entries = vec![
        Entry::Run {
            run_id: "r".into(),
            target: "t".into(),
        },
        Entry::Permission {
            id: "p1".into(),
            previous: vec!["admin".into()],
        },
        Entry::User {
            username: "u1".into(),
        },
        Entry::UserId {
            username: "u1".into(),
            id: "ID1".into(),
        },
        Entry::Room {
            name: "room".into(),
            room_type: RoomType::Private,
            deleter: "u1".into(),
        },
        Entry::Permission {
            id: "p2".into(),
            previous: vec![],
        },
        Entry::PermissionRestored { id: "p2".into() },
    ];
    let undo = pending_undo(&entries);
    assert_eq!(
        undo,
        vec![
            Undo::Room {
                name: "room".into(),
                id: None,
                room_type: RoomType::Private,
                deleter: "u1".into()
            },
            Undo::User {
                username: "u1".into(),
                id: Some("ID1".into())
            },
            Undo::Permission {
                id: "p1".into(),
                previous: vec!["admin".into()]
            },
        ]
    );
}

#[test]
fn a_removed_room_needs_no_undo() {
    let entries = vec![
        Entry::Room {
            name: "lock".into(),
            room_type: RoomType::Private,
            deleter: String::new(),
        },
        Entry::Removed {
            name: "lock".into(),
        },
        Entry::Room {
            name: "lock".into(),
            room_type: RoomType::Private,
            deleter: String::new(),
        },
        Entry::RoomId {
            name: "lock".into(),
            id: "L".into(),
        },
    ];
    assert_eq!(
        pending_undo(&entries),
        vec![Undo::Room {
            name: "lock".into(),
            id: Some("L".into()),
            room_type: RoomType::Private,
            deleter: String::new()
        }]
    );
}

#[test]
fn nothing_is_pending_after_cleaned() {
    let entries = vec![
        Entry::User {
            username: "u".into(),
        },
        Entry::Cleaned,
    ];
    assert!(pending_undo(&entries).is_empty());
}

#[test]
fn a_permission_changed_twice_is_restored_to_its_first_value() {
    let entries = vec![
        Entry::Permission {
            id: "p".into(),
            previous: vec!["a".into()],
        },
        Entry::Permission {
            id: "p".into(),
            previous: vec!["a".into(), "b".into()],
        },
    ];
    assert_eq!(
        pending_undo(&entries),
        vec![Undo::Permission {
            id: "p".into(),
            previous: vec!["a".into()]
        }]
    );
}
