//! rc-conform runs from any directory: the suite (cases and specs) is compiled into the
//! binary, `--cases`/`--specs` point at a directory to use instead, and `cases export DIR`
//! writes the built-in suite out. Each test runs the built binary outside the checkout (`/`
//! or a fresh temporary directory) with every `RC_CONFORM_*` variable removed, as an
//! installed binary (`cargo install --path .`) would run on a user's machine.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The binary, started in `dir` with a clean environment.
fn binary_in(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(dir).env("NO_COLOR", "1");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("RC_CONFORM_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("JSON")
}

/// Case id → verdict of a report.
fn verdicts(report: &Value) -> BTreeMap<String, String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| (c["id"].to_string(), c["verdict"].to_string()))
        .collect()
}

/// The one report directory `reports/<run-id>/` below `dir`.
fn only_report_dir(dir: &Path) -> std::path::PathBuf {
    let runs: Vec<_> = std::fs::read_dir(dir.join("reports"))
        .expect("a reports directory")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

#[test]
fn run_from_the_root_directory_uses_the_built_in_suite() {
    let reports = tempdir();
    let out = output(
        binary_in(Path::new("/"))
            .args(["run", "-q", "--report-dir"])
            .arg(reports.path()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = report(reports.path());
    let suite = report["run"]["suite"].as_str().expect("suite");
    assert!(
        suite.starts_with(&format!(
            "built-in (rc-conform {}, suite ",
            env!("CARGO_PKG_VERSION")
        )),
        "{suite}"
    );
    assert_eq!(report["run"]["cases_commit"], Value::Null);
    assert!(report["cases"].as_array().is_some_and(|c| c.len() > 100));
    // Locations name the built-in files by their repository paths.
    let location = report["cases"][0]["location"].as_str().expect("location");
    assert!(location.starts_with("cases/"), "{location}");
}

#[test]
fn run_and_check_in_an_empty_directory() {
    let dir = tempdir();
    let out = output(binary_in(dir.path()).args(["run", "-q"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = only_report_dir(dir.path());
    for file in ["report.json", "junit.xml", "summary.md", "report.html"] {
        assert!(run.join(file).is_file(), "{file}");
    }
    let summary = std::fs::read_to_string(run.join("summary.md")).expect("summary.md");
    assert!(
        summary.contains("- **cases:** built-in (rc-conform "),
        "{summary}"
    );

    let out = output(binary_in(dir.path()).arg("check"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("check PASSED"));
}

#[test]
fn an_exported_suite_runs_and_checks_as_the_built_in_one() {
    let dir = tempdir();
    let out = output(binary_in(dir.path()).args(["cases", "export", "suite"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "cases/channels.invite/rooms.yaml",
        "specs/premises.yaml",
        "specs/docs/groups.invite.txt",
    ] {
        let exported = std::fs::read_to_string(dir.path().join("suite").join(file));
        let original = std::fs::read_to_string(root.join(file)).expect("in the checkout");
        assert_eq!(exported.ok().as_deref(), Some(original.as_str()), "{file}");
    }

    let out = output(binary_in(dir.path()).args([
        "check",
        "--cases",
        "suite/cases",
        "--specs",
        "suite/specs",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let run = |name: &str, extra: &[&str]| {
        let out = output(
            binary_in(dir.path())
                .args(["run", "-q", "--report-dir", name])
                .args(extra),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        report(&dir.path().join(name))
    };
    let built_in = run("built-in", &[]);
    let exported = run(
        "exported",
        &["--cases", "suite/cases", "--specs", "suite/specs"],
    );
    assert_eq!(verdicts(&exported), verdicts(&built_in));
    assert_eq!(
        exported["run"]["suite"],
        "suite/cases with the specs suite/specs"
    );
    let location = exported["cases"][0]["location"].as_str().expect("location");
    assert!(location.starts_with("suite/cases/"), "{location}");
}

#[test]
fn export_refuses_a_directory_that_holds_anything_unless_forced() {
    let dir = tempdir();
    std::fs::write(dir.path().join("notes.txt"), "mine").expect("a file");
    let out = output(binary_in(dir.path()).args(["cases", "export", "."]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--force"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("cases").exists(), "nothing was written");

    let edited = dir.path().join("specs/premises.yaml");
    let out = output(binary_in(dir.path()).args(["cases", "export", ".", "--force"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(edited.is_file() && dir.path().join("cases/groups.invite/rooms.yaml").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt"))
            .ok()
            .as_deref(),
        Some("mine")
    );
}

#[test]
fn own_cases_run_alone_and_a_wrong_directory_names_the_flag() {
    let dir = tempdir();
    let out = output(binary_in(dir.path()).args(["cases", "export", "suite"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // An implementer's own suite: one file of the exported cases, edited into a new id.
    let mine = dir.path().join("mine");
    std::fs::create_dir_all(&mine).expect("mine");
    let rooms = std::fs::read_to_string(dir.path().join("suite/cases/channels.invite/rooms.yaml"))
        .expect("exported");
    std::fs::write(
        mine.join("rooms.yaml"),
        rooms.replace("channels.invite/room/", "mine/room/"),
    )
    .expect("written");
    let out =
        output(binary_in(dir.path()).args(["run", "-q", "--cases", "mine", "--report-dir", "r"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ids = verdicts(&report(&dir.path().join("r")));
    assert!(
        !ids.is_empty() && ids.keys().all(|id| id.starts_with("\"mine/room/")),
        "{ids:?}"
    );

    let out = output(binary_in(dir.path()).args(["run", "--cases", "no-such-dir"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("hint: --cases"),
        "{}",
        text(&out)
    );
    let out = output(binary_in(dir.path()).args(["check", "--specs", "no-such-dir"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("hint: --specs"),
        "{}",
        text(&out)
    );
}

#[test]
fn reports_go_to_the_temporary_directory_where_the_working_directory_takes_none() {
    let dir = tempdir();
    let temp = tempdir();
    // `reports` cannot be a directory here (as in a directory the user may not write).
    std::fs::write(dir.path().join("reports"), "a file").expect("a file");
    let out = output(
        binary_in(dir.path())
            .args(["run", "-q", "--filter", "channels.invite/room/"])
            .env("TMPDIR", temp.path()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the reports go to"), "{}", text(&out));
    let home = temp.path().join("rc-conform");
    let run = only_report_dir(&home);
    assert!(run.join("report.json").is_file() && run.join("ledger.jsonl").is_file());
}

/// The commands of `rc-conform --help`'s three uses: each line that starts with `rc-conform`,
/// without its `# comment`, by use.
fn help_uses(help: &str) -> Vec<(String, Vec<String>)> {
    let mut uses: Vec<(String, Vec<String>)> = Vec::new();
    let start = help
        .find("Three uses")
        .expect("--help shows the three uses");
    for line in help[start..].lines().skip(1) {
        if line.starts_with("Exit codes") {
            break;
        }
        if !line.is_empty() && !line.starts_with(' ') {
            uses.push((line.trim().to_owned(), Vec::new()));
        } else if let (Some(command), Some((_, commands))) =
            (line.trim().strip_prefix("rc-conform "), uses.last_mut())
        {
            let command = command.split("  #").next().unwrap_or(command).trim_end();
            commands.push(format!("rc-conform {command}"));
        }
    }
    uses
}

#[test]
fn help_shows_the_three_uses_of_the_readme_first_screen() {
    let out = output(binary_in(Path::new("/")).arg("--help"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let uses = help_uses(&String::from_utf8_lossy(&out.stdout));
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let first_screen = &readme[..readme.find("\n## Install").expect("an Install section")];
    let headings: Vec<&str> = first_screen
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .collect();
    let names: Vec<&str> = uses.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names, headings,
        "the uses of --help and the README's first screen"
    );
    for (name, commands) in &uses {
        assert!(!commands.is_empty(), "{name}: no command");
        for command in commands {
            assert!(
                first_screen
                    .lines()
                    .any(|l| l.split("  #").next().map(str::trim_end) == Some(command)),
                "`{command}` ({name}) is not in the README's first screen"
            );
            // Each flag is one the subcommand has.
            let words: Vec<&str> = command.split_whitespace().collect();
            let sub: Vec<&str> = words[1..]
                .iter()
                .take_while(|w| !w.starts_with('-'))
                .copied()
                .collect();
            let sub = &sub[..sub
                .len()
                .min(if sub.first() == Some(&"cases") { 2 } else { 1 })];
            let help = output(binary_in(Path::new("/")).args(sub).arg("--help"));
            let help = String::from_utf8_lossy(&help.stdout).into_owned();
            for flag in words.iter().filter(|w| w.starts_with("--")) {
                let listed = help.match_indices(flag).any(|(at, _)| {
                    help[at + flag.len()..]
                        .chars()
                        .next()
                        .is_some_and(|c| !c.is_alphanumeric() && c != '-')
                });
                assert!(
                    listed,
                    "`{flag}` is no flag of `rc-conform {}`",
                    sub.join(" ")
                );
            }
        }
    }
}

/// Every file of the repository cites public sources only: nothing names a folder beside the
/// checkout (the notes the project was started from) or a search index, which its users do not
/// have. The patterns are assembled here so that this file does not match itself.
#[test]
fn no_file_cites_a_sibling_folder() {
    let patterns = [
        ["shared", "/reference"].concat(),
        ["../", "shared/"].concat(),
        ["/work/", "shared"].concat(),
        ["rocketchat-server-", "semantics"].concat(),
        ["rocketchat-invite-", "behaviour"].concat(),
        ["semantics ", "§"].concat(),
        ["behaviour ", "§"].concat(),
        ["search-index ", "file"].concat(),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let roots = [
        "README.md",
        "docs",
        "specs",
        "cases",
        "src",
        "tests",
        "benches",
        "action.yml",
        "Dockerfile",
        "deploy",
        ".github",
        ".ci",
        "build.rs",
        "Cargo.toml",
    ];
    let mut found = Vec::new();
    for start in roots {
        for entry in walkdir::WalkDir::new(root.join(start))
            .into_iter()
            .flatten()
        {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue; // a directory or a binary file
            };
            for (n, line) in text.lines().enumerate() {
                if patterns.iter().any(|p| line.contains(p.as_str())) {
                    let path = entry.path().strip_prefix(root).unwrap_or(entry.path());
                    found.push(format!("{}:{}: {line}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "cite the public source (a RocketChat/Rocket.Chat path and commit, an issue or pull \
         request number) instead:\n{}",
        found.join("\n")
    );
}
