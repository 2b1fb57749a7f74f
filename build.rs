//! Compiles the suite into the library: every file under `cases/` and `specs/` becomes an
//! entry `(path, text)` of a static table (`$OUT_DIR/built_in_files.rs`, included by
//! `src/built_in.rs`), so `rc-conform` runs from any directory without a checkout.
//!
//! The texts are `include_str!`s of the repository's files, so editing a file rebuilds the
//! crate; the directories are watched too, so adding or removing a file does.
//!
//! Each case file is also compiled (`$OUT_DIR/built_in_compiled.rs`): its YAML is read here,
//! into the loader's own types (`src/case/raw.rs`, included below), and written as JSON, which
//! the loader reads back at run time in a fraction of the YAML's parsing time. A file that
//! does not load is left out: the binary then reads its YAML and reports its problem.
//!
//! The spec files that every run reads whole, `specs/premises.yaml` and `specs/clients.yaml`,
//! are compiled the same way (`$OUT_DIR/built_in_compiled_specs.rs`), as plain JSON of their
//! YAML: their loaders read the JSON at run time instead of parsing YAML (a millisecond and a
//! half of every run's loading).
//!
//! The suite's fingerprint (`$OUT_DIR/built_in_fingerprint.rs`) is hashed here too, once per
//! build: the files do not change after it, and a run names the suite in every report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[allow(dead_code, unreachable_pub)]
#[path = "src/api.rs"]
mod api;
#[path = "src/fingerprint.rs"]
mod fingerprint;
#[allow(dead_code)]
#[path = "src/case/raw.rs"]
mod raw;

/// The directories compiled in, relative to the manifest.
const ROOTS: [&str; 2] = ["cases", "specs"];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let mut files = Vec::new();
    for root in ROOTS {
        println!("cargo::rerun-if-changed={root}");
        collect(&manifest, &manifest.join(root), &mut files);
    }
    files.sort();
    println!("cargo::rerun-if-changed=src/case/raw.rs");
    println!("cargo::rerun-if-changed=src/api.rs");
    let mut table = String::from("&[\n");
    for (relative, absolute) in &files {
        writeln!(table, "    ({relative:?}, include_str!({absolute:?})),").expect("a String");
    }
    table.push(']');
    std::fs::write(out.join("built_in_files.rs"), table).expect("OUT_DIR is writable");
    std::fs::write(out.join("built_in_compiled.rs"), compiled(&files, &out))
        .expect("OUT_DIR is writable");
    std::fs::write(
        out.join("built_in_compiled_specs.rs"),
        compiled_specs(&files, &out),
    )
    .expect("OUT_DIR is writable");
    std::fs::write(
        out.join("built_in_fingerprint.rs"),
        format!("{:?}", fingerprint(&files)),
    )
    .expect("OUT_DIR is writable");
}

/// `built_in::FINGERPRINT`: the suite's files, as the binary will carry them, hashed.
fn fingerprint(files: &[(String, String)]) -> String {
    let texts: Vec<(&str, Vec<u8>)> = files
        .iter()
        .map(|(relative, absolute)| {
            let text = std::fs::read(absolute).unwrap_or_else(|e| panic!("{absolute}: {e}"));
            (relative.as_str(), text)
        })
        .collect();
    fingerprint::fingerprint(texts.iter().map(|(p, t)| (*p, t.as_slice())))
}

/// The table of compiled case files: `(repository path, include_str!(its JSON))`, in path
/// order, for every case file whose YAML loads into the loader's types.
fn compiled(files: &[(String, String)], out: &Path) -> String {
    let dir = out.join("compiled");
    std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
    let mut table = String::from("&[\n");
    let cases = files.iter().filter(|(relative, _)| {
        relative.starts_with("cases/")
            && raw::CASE_FILE_SUFFIXES
                .iter()
                .any(|suffix| relative.ends_with(suffix))
    });
    for (index, (relative, absolute)) in cases.enumerate() {
        let text = std::fs::read_to_string(absolute).unwrap_or_else(|e| panic!("{absolute}: {e}"));
        let Ok(parsed) = raw::from_yaml::<raw::RawFile>(&text) else {
            continue;
        };
        let json = serde_json::to_string(&parsed).expect("a case file serializes");
        let path = dir.join(format!("{index}.json"));
        std::fs::write(&path, json).expect("OUT_DIR is writable");
        let path = path.to_str().expect("a UTF-8 OUT_DIR");
        writeln!(table, "    ({relative:?}, include_str!({path:?})),").expect("a String");
    }
    table.push(']');
    table
}

/// The spec files compiled to JSON, read whole by every run.
const COMPILED_SPECS: [&str; 2] = ["specs/clients.yaml", "specs/premises.yaml"];

/// The table of compiled spec files: `(repository path, include_str!(its JSON))`, in path
/// order, for each of [`COMPILED_SPECS`] whose YAML reads as plain data (the binary reads the
/// YAML of any other, and tells its problem).
fn compiled_specs(files: &[(String, String)], out: &Path) -> String {
    let dir = out.join("compiled-specs");
    std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
    let mut table = String::from("&[\n");
    let specs = files
        .iter()
        .filter(|(relative, _)| COMPILED_SPECS.contains(&relative.as_str()));
    for (index, (relative, absolute)) in specs.enumerate() {
        let text = std::fs::read_to_string(absolute).unwrap_or_else(|e| panic!("{absolute}: {e}"));
        let Ok(value) = raw::from_yaml::<serde_json::Value>(&text) else {
            continue;
        };
        let path = dir.join(format!("{index}.json"));
        std::fs::write(&path, value.to_string()).expect("OUT_DIR is writable");
        let path = path.to_str().expect("a UTF-8 OUT_DIR");
        writeln!(table, "    ({relative:?}, include_str!({path:?})),").expect("a String");
    }
    table.push(']');
    table
}

/// Every file below `dir` (hidden files and directories skipped), as its path relative to
/// the manifest with `/` separators, and its absolute path.
fn collect(manifest: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(manifest, &path, files);
            continue;
        }
        let relative = path
            .strip_prefix(manifest)
            .expect("below the manifest")
            .components()
            .map(|c| {
                c.as_os_str()
                    .to_str()
                    .expect("UTF-8 file names in the suite")
            })
            .collect::<Vec<_>>()
            .join("/");
        let absolute = path.to_str().expect("a UTF-8 checkout path").to_owned();
        files.push((relative, absolute));
    }
}
