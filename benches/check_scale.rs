//! `check` at scale: 10,000 generated cases loaded, held against the premise model and
//! measured for coverage. Prints the time of each stage and the process's peak memory:
//! `cargo bench --bench check_scale`.

#[macro_use]
mod support;

use std::time::Instant;

use camino::Utf8PathBuf;
use rc_conform::case::load_texts;
use rc_conform::check::hold_against_model;
use rc_conform::spec::Specs;
use rc_conform::spec::coverage::Coverage;

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

fn main() {
    let mut out = String::new();
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let specs = Specs::load(&root.join("specs")).expect("specs load");
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

    let started = Instant::now();
    let suite = load_texts(&texts, &specs.known_names()).expect("generated cases load");
    let load = started.elapsed();

    let started = Instant::now();
    let mut coverage = Coverage::new(&specs.model);
    let disagreements: usize = suite
        .cases
        .iter()
        .map(|c| hold_against_model(&specs.model, c, &mut coverage).len())
        .sum();
    let model = started.elapsed();
    assert_eq!(
        disagreements, 0,
        "generated cases must agree with the model"
    );

    line!(
        out,
        "check over {} generated cases ({:.1} MiB of YAML in {} files):",
        suite.cases.len(),
        bytes as f64 / 1048576.0,
        texts.len()
    );
    line!(
        out,
        "  load and resolve:        {:>8.0} ms  ({:.1} µs/case)",
        load.as_secs_f64() * 1e3,
        load.as_secs_f64() * 1e6 / CASES as f64
    );
    line!(
        out,
        "  hold against the model:  {:>8.0} ms  ({:.1} µs/case, every version point)",
        model.as_secs_f64() * 1e3,
        model.as_secs_f64() * 1e6 / CASES as f64
    );
    if let Some(peak) = peak_memory_kib() {
        line!(
            out,
            "  peak memory (VmHWM):     {:>8.1} MiB  (before loading: {:.1} MiB)",
            peak as f64 / 1024.0,
            baseline as f64 / 1024.0
        );
    }
    support::publish("check_scale", &out);
}
