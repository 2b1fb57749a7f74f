//! Property-based fuzzing of the two places that take untrusted input: the case loader (any
//! text, and real case files with random edits) and the judge (any status and body a target
//! may send). Neither may panic. Bounded by proptest's case count so CI stays fast; run longer
//! with e.g. `PROPTEST_CASES=200000 cargo test --release --test fuzz`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use camino::Utf8PathBuf;
use proptest::prelude::*;
use rc_conform::case::{Suite, load_texts};
use rc_conform::run::judge::{Observed, judge};
use rc_conform::spec::Specs;
use serde_json::Value;

fn specs() -> &'static Specs {
    static SPECS: OnceLock<Specs> = OnceLock::new();
    SPECS.get_or_init(|| {
        Specs::load(&Utf8PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/specs"
        )))
        .expect("specs load")
    })
}

fn real_files() -> &'static Vec<String> {
    static FILES: OnceLock<Vec<String>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/cases");
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    })
}

fn suite() -> &'static Suite {
    static SUITE: OnceLock<Suite> = OnceLock::new();
    SUITE.get_or_init(|| {
        specs()
            .load_cases(&Utf8PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/cases"
            )))
            .expect("cases load")
    })
}

fn load(text: String) {
    let texts = vec![(Utf8PathBuf::from("fuzz.yaml"), text)];
    if let Err(errors) = load_texts(&texts, &specs().known_names()) {
        assert!(!errors.0.is_empty());
        for d in &errors.0 {
            // Every diagnostic renders without panicking and names the file.
            let rendered = d.render(&annotate_snippets::Renderer::plain());
            assert!(rendered.contains("fuzz.yaml"), "{rendered}");
        }
    }
}

/// A JSON value of bounded depth and size.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("success"),
            Just("error"),
            Just("errorType"),
            Just("channel"),
            Just("group")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("success".to_owned()),
                    Just("error".to_owned()),
                    Just("errorType".to_owned()),
                    Just("channel".to_owned()),
                    Just("group".to_owned()),
                    Just("details".to_owned()),
                    ".{0,8}".prop_map(String::from)
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_loader_never_panics_on_arbitrary_text(text in "(?s).{0,400}") {
        load(text);
    }

    #[test]
    fn the_loader_never_panics_on_edited_case_files(file in 0usize..64, edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, "[ -~\n]{0,6}"), 1..6)) {
        let files = real_files();
        let mut text = files[file % files.len()].clone();
        for (at, kind, insert) in edits {
            let mut pos = at.index(text.len() + 1);
            while !text.is_char_boundary(pos) { pos -= 1; }
            match kind {
                0 => text.insert_str(pos, &insert),
                1 => { let end = (pos + insert.len()).min(text.len()); let mut end = end; while !text.is_char_boundary(end) { end -= 1; } text.replace_range(pos..end, ""); }
                2 => text.insert_str(pos, "\n  - "),
                _ => text.insert_str(pos, ": "),
            }
        }
        load(text);
    }

    #[test]
    fn the_judge_never_panics_on_what_a_target_sends(case in 0usize..512, status in prop::option::of(100u16..600), body in prop::option::of(json()), raw in ".{0,64}", members in prop::collection::vec("[a-zA-Z0-9]{0,17}", 0..4)) {
        let suite = suite();
        let case = &suite.cases[case % suite.cases.len()];
        let ids: BTreeMap<_, _> = case.setup.users.keys().map(|n| (rc_conform::case::UserRef::Fixture(n.clone()), format!("id-{n}"))).collect();
        for call in &case.calls {
            let mut observed = Observed { status, body: body.clone(), raw_body: raw.clone(), transport_error: status.is_none().then(|| "connection reset".to_owned()), ..Observed::default() };
            for room in call.expect.members_after.keys() {
                observed.members_after.insert(room.clone(), members.clone());
            }
            let j = judge(&call.expect, &observed, &ids, &specs().schemas);
            // A mismatching status is always reported.
            if status.is_some_and(|s| s != call.expect.status) {
                prop_assert!(!j.passed());
            }
        }
    }
}
