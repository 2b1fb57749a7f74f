//! `check` at scale: the whole `check` (files read, parsed and resolved, held against the
//! premise model, coverage, doc examples) over the repository's cases plus 10,000 generated
//! ones, then its two big stages alone. Prints the times and the process's peak memory:
//! `cargo bench --bench check_scale`.

#[macro_use]
mod support;

use std::time::Instant;

use camino::{Utf8Path, Utf8PathBuf};
use rc_conform::case::load_texts;
use rc_conform::check::{CheckPaths, hold_all_against_model, run_check};
use rc_conform::spec::Specs;

const CASES: usize = 10_000;

/// One generated case; the shapes cycle through grants, room types, auth and failures.
fn case(i: usize) -> String {
    let (endpoint, t, schema) = if i.is_multiple_of(2) {
        ("channels.invite", "c", "channels.invite/200")
    } else {
        ("groups.invite", "p", "groups.invite/200")
    };
    match i % 4 {
        0 | 1 => format!(
            "  - id: gen/{i}\n    title: generated {i}\n    endpoint: {endpoint}\n    premise: add-user-to-joined-room\n    source: generated\n    until: \"9.0.0\"\n    setup:\n      users: {{ mod: {{}}, guest: {{}} }}\n      rooms: {{ r: {{ type: {t}, members: [mod], moderators: [mod] }} }}\n    call:\n      as: mod\n      body: {{ roomId: $r, userIds: [$guest, unknown-{i}] }}\n      expect:\n        status: 200\n        success: true\n        schema: {schema}\n        members_after: {{ r: {{ includes: [guest] }} }}\n        room_delta: {{ r: {{ usersCount: 1, msgs: 1 }} }}\n"
        ),
        2 => format!(
            "  - id: gen/{i}\n    title: generated {i}\n    endpoint: {endpoint}\n    premise: not-allowed\n    source: generated\n    until: \"9.0.0\"\n    setup:\n      users: {{ member: {{}}, guest: {{}} }}\n      rooms: {{ r: {{ type: {t}, members: [member] }} }}\n    call:\n      as: member\n      body: {{ roomId: $r, userId: $guest }}\n      expect:\n        status: 400\n        success: false\n        errorType: error-not-allowed\n        error: 'Not allowed [error-not-allowed]'\n        schema: invite/400\n"
        ),
        _ => format!(
            "  - id: gen/{i}\n    title: generated {i}\n    endpoint: {endpoint}\n    premise: room-not-found\n    source: generated\n    until: \"9.0.0\"\n    setup:\n      users: {{ guest: {{}} }}\n    call:\n      as: admin\n      body: {{ roomId: nowhere-{i}, userId: $guest }}\n      expect:\n        status: 400\n        success: false\n        errorType: error-room-not-found\n        schema: invite/400\n"
        ),
    }
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Writes the repository's case files and `texts` (the generated files) into `dir`.
fn write_cases(root: &Utf8Path, dir: &Utf8Path, texts: &[(Utf8PathBuf, String)]) {
    for entry in walkdir::WalkDir::new(root.join("cases")) {
        let entry = entry.expect("walk cases/");
        let relative = entry
            .path()
            .strip_prefix(root.join("cases"))
            .expect("below cases/");
        let to = dir.as_std_path().join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("case directory");
        } else {
            std::fs::copy(entry.path(), &to).expect("copy a case file");
        }
    }
    for (file, text) in texts {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().expect("a parent")).expect("gen/");
        std::fs::write(&to, text).expect("write a generated file");
    }
}

fn main() {
    let mut out = String::new();
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let baseline = peak_memory_kib().unwrap_or(0);
    // 100 files of 100 cases each, as a large suite would be laid out.
    let texts: Vec<(Utf8PathBuf, String)> = (0..CASES / 100)
        .map(|f| {
            (
                Utf8PathBuf::from(format!("gen/{f:03}.yaml")),
                format!(
                    "cases:\n{}",
                    (f * 100..f * 100 + 100).map(case).collect::<String>()
                ),
            )
        })
        .collect();
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    // RC_CONFORM_BENCH_CASES=DIR keeps the case directory there, to time `rc-conform check
    // --cases DIR` as a whole process afterwards.
    let temp = tempfile::tempdir().expect("a temporary directory");
    let kept = std::env::var("RC_CONFORM_BENCH_CASES")
        .ok()
        .map(Utf8PathBuf::from);
    let cases_dir = kept
        .as_deref()
        .unwrap_or_else(|| Utf8Path::from_path(temp.path()).expect("a UTF-8 path"));
    write_cases(&root, cases_dir, &texts);

    // The whole `check`, as `rc-conform check --cases DIR --specs specs` runs it.
    let started = Instant::now();
    let report = run_check(&CheckPaths::dirs(&root.join("specs"), cases_dir)).expect("check");
    let whole = started.elapsed();
    assert!(
        report.disagreements.is_empty(),
        "the cases must agree with the model"
    );
    let peak = peak_memory_kib();
    let checked = report.cases;
    drop(report);

    // Its two big stages alone, over the generated cases only.
    let specs = Specs::load(&root.join("specs")).expect("specs load");
    let started = Instant::now();
    let suite = load_texts(&texts, &specs.known_names()).expect("generated cases load");
    let load = started.elapsed();
    let started = Instant::now();
    let (_, disagreements) = hold_all_against_model(&specs.model, &suite.cases);
    let model = started.elapsed();
    assert!(
        disagreements.is_empty(),
        "generated cases must agree with the model"
    );

    line!(
        out,
        "check over the repository's cases and {} generated ones ({:.1} MiB of YAML in {} files):",
        suite.cases.len(),
        bytes as f64 / 1048576.0,
        texts.len()
    );
    line!(
        out,
        "  whole check, load included: {:>6.0} ms  ({:.1} µs/case, {checked} cases)",
        whole.as_secs_f64() * 1e3,
        whole.as_secs_f64() * 1e6 / checked as f64
    );
    line!(
        out,
        "  of which load and resolve:  {:>6.0} ms  ({:.1} µs/case, generated cases, in memory)",
        load.as_secs_f64() * 1e3,
        load.as_secs_f64() * 1e6 / CASES as f64
    );
    line!(
        out,
        "  hold against the model:     {:>6.0} ms  ({:.1} µs/case, every version point)",
        model.as_secs_f64() * 1e3,
        model.as_secs_f64() * 1e6 / CASES as f64
    );
    if let Some(peak) = peak {
        line!(
            out,
            "  peak memory (VmHWM) after the whole check: {:.1} MiB  (before: {:.1} MiB)",
            peak as f64 / 1024.0,
            baseline as f64 / 1024.0
        );
    }
    support::publish("check_scale", &out);
}
