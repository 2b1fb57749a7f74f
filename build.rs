//! Compiles the suite into the library: every file under `cases/` and `specs/` becomes an
//! entry `(path, text)` of a static table (`$OUT_DIR/built_in_files.rs`, included by
//! `src/built_in.rs`), so `rc-conform` runs from any directory without a checkout.
//!
//! The texts are `include_str!`s of the repository's files, so editing a file rebuilds the
//! crate; the directories are watched too, so adding or removing a file does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

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
    let mut table = String::from("&[\n");
    for (relative, absolute) in &files {
        writeln!(table, "    ({relative:?}, include_str!({absolute:?})),").expect("a String");
    }
    table.push(']');
    std::fs::write(out.join("built_in_files.rs"), table).expect("OUT_DIR is writable");
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
