//! Compiles the suite into the library: every file under `cases/` and `specs/` becomes an
//! entry `(path, text)` of a static table (`$OUT_DIR/built_in_files.rs`, included by
//! `src/built_in.rs`), so `rc-conform` runs from any directory without a checkout.
//!
//! The texts are `include_str!`s of the repository's files, so editing a file rebuilds the
//! crate; the directories are watched too, so adding or removing a file does.
//!
//! The files a run reads whole are also compiled (`$OUT_DIR/built_in_compiled.rs`): their YAML
//! is read here and written as JSON, which the loaders read back at run time in a fraction of
//! the YAML's parsing time. Each case file is read into the loader's own types
//! (`src/case/raw.rs`, included below), positions kept; `specs/premises.yaml` and
//! `specs/clients.yaml` as plain data. A file that does not load is left out: the binary then
//! reads its YAML and reports its problem.
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

/// The spec files compiled, as plain data: every run reads them whole.
const COMPILED_SPECS: [&str; 2] = ["specs/clients.yaml", "specs/premises.yaml"];

/// The table of compiled files: `(repository path, include_str!(its JSON))`, in path order,
/// for every file [`compile`] compiles.
fn compiled(files: &[(String, String)], out: &Path) -> String {
    let dir = out.join("compiled");
    std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
    let mut table = String::from("&[\n");
    for (index, (relative, absolute)) in files.iter().enumerate() {
        let Some(json) = compile(relative, absolute) else {
            continue;
        };
        let path = dir.join(format!("{index}.json"));
        std::fs::write(&path, json).expect("OUT_DIR is writable");
        let path = path.to_str().expect("a UTF-8 OUT_DIR");
        writeln!(table, "    ({relative:?}, include_str!({path:?})),").expect("a String");
    }
    table.push(']');
    table
}

/// The JSON form of the file at `relative` (read from `absolute`): a case file in the loader's
/// types, one of [`COMPILED_SPECS`] as plain data; `None` for any other file and for one whose
/// YAML does not load.
fn compile(relative: &str, absolute: &str) -> Option<String> {
    let is_case = relative.starts_with("cases/")
        && raw::CASE_FILE_SUFFIXES
            .iter()
            .any(|suffix| relative.ends_with(suffix));
    if !is_case && !COMPILED_SPECS.contains(&relative) {
        return None;
    }
    let text = std::fs::read_to_string(absolute).unwrap_or_else(|e| panic!("{absolute}: {e}"));
    if is_case {
        let parsed = raw::from_yaml::<raw::RawFile>(&text).ok()?;
        Some(serde_json::to_string(&parsed).expect("a case file serializes"))
    } else {
        Some(raw::from_yaml::<serde_json::Value>(&text).ok()?.to_string())
    }
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
