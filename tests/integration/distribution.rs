//! The files that ship rc-conform to other people's CI, checked against the binary they
//! drive: the GitHub Action (`action.yml`), the workflows, the Rocket.Chat compose file and the
//! Dockerfile. Every flag the action passes to `rc-conform` and every `RC_CONFORM_*` variable
//! it or the compose file sets must be one that `rc-conform run --help` lists; credentials
//! must travel in the environment only; the container must run as a non-root user.
//!
//! None of these files can run here (no Docker engine, no GitHub); this is what can be known
//! about them without running them.

use std::collections::BTreeSet;
use std::process::Command;

use camino::Utf8PathBuf;
use serde_json::Value;

fn root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_saphyr::from_str::<Value>(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `rc-conform run --help`, as the binary prints it.
fn run_help() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rc-conform"))
        .args(["run", "--help"])
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

/// Every `--flag` (long option) in `text`.
fn long_flags(text: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for (at, _) in text.match_indices("--") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '-') {
            continue;
        }
        let name: String = text[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name.starts_with(|c: char| c.is_ascii_lowercase()) {
            flags.insert(format!("--{name}"));
        }
    }
    flags
}

/// Every `RC_CONFORM_*` variable named in `text`.
fn rc_conform_variables(text: &str) -> BTreeSet<String> {
    text.match_indices("RC_CONFORM_")
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect::<String>()
        })
        .collect()
}

/// The `run:` scripts of a list of steps.
fn scripts(steps: &Value) -> Vec<&str> {
    steps
        .as_array()
        .map(|steps| steps.iter().filter_map(|s| s["run"].as_str()).collect())
        .unwrap_or_default()
}

/// The flags the action hands to `rc-conform`: those on the lines that call it or that build
/// its flag list.
fn flags_passed_to_rc_conform(script: &str) -> BTreeSet<String> {
    script
        .lines()
        .filter(|l| l.contains("rc-conform run") || l.contains("flags+=("))
        .flat_map(long_flags)
        .collect()
}

#[test]
fn every_flag_and_variable_of_the_action_is_one_the_binary_knows() {
    let help = run_help();
    let known_flags = long_flags(&help);
    let action = yaml("action.yml");
    let steps = &action["runs"]["steps"];
    let passed: BTreeSet<String> = scripts(steps)
        .into_iter()
        .flat_map(flags_passed_to_rc_conform)
        .collect();
    let unknown: Vec<&String> = passed.difference(&known_flags).collect();
    assert!(
        unknown.is_empty(),
        "flags `run --help` does not list: {unknown:?}"
    );
    assert!(
        passed.contains("--filter") && passed.contains("--partition"),
        "{passed:?}"
    );

    let variables = rc_conform_variables(&read("action.yml"));
    for credential in ["ADMIN_USER", "ADMIN_PASSWORD", "ADMIN_TOKEN", "ADMIN_ID"] {
        assert!(variables.contains(&format!("RC_CONFORM_{credential}")));
    }
    for variable in &variables {
        assert!(
            help.contains(&format!("[env: {variable}")),
            "{variable} is not a variable of `rc-conform run`"
        );
    }
}

/// The action caches the binary by a hash of what it is built from, which includes the suite
/// build.rs compiles in; otherwise an edited case would run with a stale binary.
#[test]
fn the_action_cache_key_covers_the_built_in_suite() {
    let action = yaml("action.yml");
    let key_script = scripts(&action["runs"]["steps"])
        .into_iter()
        .find(|s| s.contains("key="))
        .expect("a step computing the cache key");
    let hashed: Vec<&str> = key_script
        .lines()
        .find(|l| l.contains("find "))
        .expect("the find of the hashed files")
        .split_whitespace()
        .collect();
    let build_script = read("build.rs");
    for input in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src",
        "cases",
        "specs",
    ] {
        assert!(hashed.contains(&input), "the cache key leaves out {input}");
    }
    for root in ["\"cases\"", "\"specs\""] {
        assert!(build_script.contains(root), "build.rs embeds {root}");
    }
    assert!(
        !key_script.contains("RC_CONFORM_CASES")
            && !read("action.yml").contains("RC_CONFORM_SPECS"),
        "the action runs the built-in suite"
    );
}

#[test]
fn the_action_keeps_credentials_off_command_lines_and_inputs_out_of_scripts() {
    let action = yaml("action.yml");
    let inputs = action["inputs"].as_object().expect("inputs");
    for name in [
        "target",
        "admin-user",
        "admin-password",
        "admin-token",
        "admin-id",
    ] {
        assert!(inputs.contains_key(name), "input {name}");
    }
    for name in [
        "version",
        "filter",
        "partition",
        "expectations",
        "strict",
        "args",
    ] {
        assert!(inputs.contains_key(name), "input {name}");
    }
    assert_eq!(inputs["report-dir"]["default"], "rc-conform-report");
    let outputs = action["outputs"].as_object().expect("outputs");
    assert!(outputs.contains_key("exit-code") && outputs.contains_key("report-dir"));
    assert_eq!(action["runs"]["using"], "composite");

    let text = read("action.yml");
    for name in inputs.keys() {
        assert!(
            text.contains(&format!("inputs.{name} }}}}")),
            "input {name} is declared but never used"
        );
    }
    for script in scripts(&action["runs"]["steps"]) {
        // Expressions in a script are pasted into it before bash reads it (injection).
        assert!(
            !script.contains("${{"),
            "an expression inside a script:\n{script}"
        );
        for flag in [
            "--admin-password",
            "--admin-token",
            "--admin-user",
            "--admin-id",
        ] {
            assert!(
                !script.contains(flag),
                "{flag} on a command line:\n{script}"
            );
        }
    }
}

#[test]
fn the_action_reports_even_when_the_run_fails() {
    let action = yaml("action.yml");
    let steps = action["runs"]["steps"].as_array().expect("steps");
    let uses = |prefix: &str| {
        steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
            .unwrap_or_else(|| panic!("a step using {prefix}"))
    };
    assert_eq!(uses("actions/upload-artifact@v4")["if"], "always()");
    let summary = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("GITHUB_STEP_SUMMARY"))
        })
        .expect("a step writing the job summary");
    assert_eq!(summary["if"], "always()");
    let last = steps.last().expect("a last step");
    assert_eq!(last["if"], "always()");
    assert!(last["run"].as_str().is_some_and(|r| r.starts_with("exit ")));
}

/// The workflows parse, and each use of this repository's action passes only its inputs.
#[test]
fn workflows_use_the_action_with_its_own_inputs() {
    let action = yaml("action.yml");
    let inputs = action["inputs"].as_object().expect("inputs");
    let dir = root().join(".github/workflows");
    let mut local_uses = 0;
    for entry in std::fs::read_dir(&dir).expect("workflows") {
        let path = entry.expect("entry").path();
        let name = format!(
            ".github/workflows/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let workflow = yaml(&name);
        let jobs = workflow["jobs"].as_object().expect("jobs");
        assert!(!jobs.is_empty(), "{name}");
        for job in jobs.values() {
            for step in job["steps"].as_array().into_iter().flatten() {
                if step["uses"] != "./" {
                    continue;
                }
                local_uses += 1;
                for key in step["with"].as_object().into_iter().flatten().map(|w| w.0) {
                    assert!(inputs.contains_key(key), "{name}: `{key}` is no input");
                }
            }
        }
    }
    assert!(local_uses > 0, "some workflow runs the action");
}

/// The matrix runs one released version of each line the premise model knows.
#[test]
fn the_matrix_covers_every_version_line() {
    let premises = yaml("specs/premises.yaml");
    let lines: BTreeSet<&str> = premises["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    let workflow = yaml(".github/workflows/rocketchat-matrix.yml");
    let include = workflow["jobs"]["conformance"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("matrix include");
    let mut covered = BTreeSet::new();
    for entry in include {
        let line = entry["line"].as_str().expect("line");
        let version = entry["rocketchat"].as_str().expect("version");
        let major = line.trim_end_matches(".x");
        assert!(
            version.starts_with(&format!("{major}.")),
            "{version} is not {line}"
        );
        assert_eq!(version.split('.').count(), 3, "{version}: a released x.y.z");
        covered.insert(line);
    }
    assert_eq!(covered, lines);
}

#[test]
fn the_compose_file_starts_rocket_chat_and_runs_the_suite_once_it_is_healthy() {
    let compose = yaml("deploy/rocketchat/compose.yaml");
    let services = &compose["services"];
    assert!(
        services["mongo"]["command"]
            .to_string()
            .contains("--replSet")
    );
    let rc = &services["rocketchat"];
    assert!(
        rc["image"]
            .as_str()
            .expect("image")
            .contains("${RC_VERSION")
    );
    let env = rc["environment"].as_object().expect("environment");
    assert_eq!(env["TEST_MODE"], "true");
    assert_eq!(env["OVERWRITE_SETTING_Show_Setup_Wizard"], "completed");
    for key in ["ADMIN_USERNAME", "ADMIN_PASS", "ADMIN_EMAIL", "MONGO_URL"] {
        assert!(env.contains_key(key), "{key}");
    }
    assert!(rc["healthcheck"]["test"].to_string().contains("/api/info"));

    let runner = &services["rc-conform"];
    assert_eq!(
        runner["depends_on"]["rocketchat"]["condition"],
        "service_healthy"
    );
    let context = runner["build"]["context"].as_str().expect("context");
    let dockerfile = runner["build"]["dockerfile"].as_str().expect("dockerfile");
    assert!(
        root()
            .join("deploy/rocketchat")
            .join(context)
            .join(dockerfile)
            .is_file()
    );
    let help = run_help();
    for variable in rc_conform_variables(&read("deploy/rocketchat/compose.yaml")) {
        assert!(help.contains(&format!("[env: {variable}")), "{variable}");
    }
}

/// The stages of a Dockerfile: each `FROM` line with the instructions after it.
fn stages(dockerfile: &str) -> Vec<(String, Vec<String>)> {
    let mut stages: Vec<(String, Vec<String>)> = Vec::new();
    let lines = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    for line in lines {
        if line.starts_with("FROM ") {
            stages.push((line.to_owned(), Vec::new()));
        } else if let Some((_, body)) = stages.last_mut() {
            body.push(line.to_owned());
        }
    }
    stages
}

/// Whether a stage runs as a user other than root: its last `USER`, or else its base image.
fn runs_as_non_root(from: &str, body: &[String]) -> bool {
    let user = body.iter().rev().find_map(|l| l.strip_prefix("USER "));
    match user.map(str::trim) {
        Some(user) => !["root", "0", "root:root", "0:0"].contains(&user),
        None => from
            .split_whitespace()
            .nth(1)
            .is_some_and(|image| image.ends_with(":nonroot")),
    }
}

#[test]
fn the_image_runs_rc_conform_as_a_non_root_user() {
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("--release --locked"));
    let stages = stages(&dockerfile);
    let (from, last) = stages.last().expect("a stage");
    assert!(
        last.iter().any(|l| l == r#"ENTRYPOINT ["rc-conform"]"#),
        "{last:?}"
    );
    assert!(last.iter().any(|l| l == "WORKDIR /work"), "{last:?}");
    // Every stage meant to be run (the default one and `--target ci`) is non-root.
    for (from, body) in &stages {
        if body.iter().any(|l| l.starts_with("ENTRYPOINT")) {
            assert!(runs_as_non_root(from, body), "{from} runs as root");
        }
    }
    assert!(runs_as_non_root(from, last));
    // The suite is compiled into the binary (build.rs): the build context must hold it, and
    // no runtime stage needs a copy of it.
    for (from, body) in &stages[1..] {
        assert!(
            !body
                .iter()
                .any(|l| l.starts_with("COPY") && (l.contains("cases") || l.contains("specs"))),
            "{from} copies the suite, which the binary carries"
        );
    }
    let ignored = read(".dockerignore");
    for dir in ["cases", "specs", "src", "tests", "benches"] {
        assert!(
            !ignored
                .lines()
                .any(|l| l.trim().trim_start_matches('/') == dir),
            "{dir} is left out of the build context"
        );
    }
}
