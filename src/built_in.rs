//! The suite compiled into the binary, and where a run or `check` reads its files from.
//!
//! `build.rs` turns every file under the repository's `cases/` and `specs/` into an entry of
//! [`FILES`], keyed by its repository path (`cases/channels.invite/rooms.yaml`). A [`Source`]
//! is either that table under one root or a directory given with `--cases`/`--specs`; the
//! loaders read both the same way, and a built-in file keeps its repository path in every
//! diagnostic and report (a file of `rc-conform cases export DIR` sits at `DIR/<that path>`).

use std::borrow::Cow;
use std::io;

use camino::{Utf8Path, Utf8PathBuf};

/// Every file of the built-in suite: its repository path (`/`-separated) and its text, in
/// path order.
pub static FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/built_in_files.rs"));

/// The built-in files a run reads whole, each in its compiled form, written from its YAML at
/// build time: a case file as its own parsed structure, with every position the loader's
/// diagnostics need; `specs/premises.yaml` and `specs/clients.yaml` as the plain JSON of their
/// data. Keyed by repository path, in path order; a file whose YAML does not load is left
/// out, and its YAML is read (and its problem told) at run time.
static COMPILED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/built_in_compiled.rs"));

/// The compiled form of the built-in file at the repository path `path`, if it has one.
pub fn compiled(path: &str) -> Option<&'static str> {
    COMPILED
        .binary_search_by(|(p, _)| (*p).cmp(path))
        .ok()
        .map(|i| COMPILED[i].1)
}

/// The root of the built-in cases.
pub const CASES: &str = "cases";
/// The root of the built-in specs.
pub const SPECS: &str = "specs";

/// Where one part of the suite (the cases or the specs) is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The files compiled into the binary below this root (`cases`, `specs/schemas`).
    BuiltIn(Utf8PathBuf),
    /// A directory on disk.
    Dir(Utf8PathBuf),
}

impl Source {
    /// The built-in cases.
    pub fn built_in_cases() -> Source {
        Source::BuiltIn(CASES.into())
    }

    /// The built-in specs.
    pub fn built_in_specs() -> Source {
        Source::BuiltIn(SPECS.into())
    }

    /// `dir` when given, else the built-in root `root`.
    pub fn dir_or_built_in(dir: Option<&Utf8Path>, root: &str) -> Source {
        dir.map_or_else(
            || Source::BuiltIn(root.into()),
            |dir| Source::Dir(dir.to_owned()),
        )
    }

    /// A subdirectory of this source.
    pub fn join(&self, sub: &str) -> Source {
        match self {
            Source::BuiltIn(root) => Source::BuiltIn(root.join(sub)),
            Source::Dir(dir) => Source::Dir(dir.join(sub)),
        }
    }

    /// The path of the file `name` of this source, as diagnostics and reports name it.
    pub fn path(&self, name: &str) -> Utf8PathBuf {
        match self {
            Source::BuiltIn(root) | Source::Dir(root) => root.join(name),
        }
    }

    /// The directory itself, as diagnostics name it.
    pub fn root(&self) -> &Utf8Path {
        match self {
            Source::BuiltIn(root) | Source::Dir(root) => root,
        }
    }

    /// Whether this is the built-in suite.
    pub fn is_built_in(&self) -> bool {
        matches!(self, Source::BuiltIn(_))
    }

    /// The text of the file `name`.
    pub fn read(&self, name: &str) -> io::Result<Cow<'static, str>> {
        match self {
            Source::BuiltIn(root) => {
                let path = root.join(name);
                FILES
                    .iter()
                    .find(|(p, _)| *p == path.as_str())
                    .map(|(_, text)| Cow::Borrowed(*text))
                    .ok_or_else(|| not_built_in(&path))
            }
            Source::Dir(dir) => fs_err::read_to_string(dir.join(name)).map(Cow::Owned),
        }
    }

    /// The compiled form of the file `name`, when this is the built-in suite and the file has
    /// one (see [`compiled`]).
    pub fn compiled(&self, name: &str) -> Option<&'static str> {
        match self {
            Source::BuiltIn(root) => compiled(root.join(name).as_str()),
            Source::Dir(_) => None,
        }
    }

    /// Whether the file `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        match self {
            Source::BuiltIn(root) => {
                let path = root.join(name);
                FILES.iter().any(|(p, _)| *p == path.as_str())
            }
            Source::Dir(dir) => dir.join(name).is_file(),
        }
    }

    /// The files directly in this directory (`recursive`: and below it) whose name ends with
    /// one of `suffixes`, as paths relative to it, sorted. A missing directory is an error.
    pub fn files(&self, recursive: bool, suffixes: &[&str]) -> io::Result<Vec<Utf8PathBuf>> {
        let wanted = |name: &str| suffixes.iter().any(|s| name.ends_with(s));
        let mut found = Vec::new();
        match self {
            Source::BuiltIn(root) => {
                let mut any = false;
                for (path, _) in FILES {
                    let Ok(rest) = Utf8Path::new(path).strip_prefix(root) else {
                        continue;
                    };
                    any = true;
                    if (recursive || rest.components().count() == 1) && wanted(rest.as_str()) {
                        found.push(rest.to_owned());
                    }
                }
                if !any {
                    return Err(not_built_in(root));
                }
            }
            Source::Dir(dir) => {
                let walk = walkdir::WalkDir::new(dir)
                    .min_depth(1)
                    .max_depth(if recursive { usize::MAX } else { 1 });
                for entry in walk {
                    let entry = entry.map_err(io::Error::other)?;
                    let Some(path) = Utf8Path::from_path(entry.path()) else {
                        let name = entry.path().to_string_lossy().into_owned();
                        return Err(io::Error::other(format!("not a UTF-8 file name: {name}")));
                    };
                    if entry.file_type().is_file()
                        && let Ok(rest) = path.strip_prefix(dir)
                        && wanted(rest.as_str())
                    {
                        found.push(rest.to_owned());
                    }
                }
            }
        }
        found.sort();
        Ok(found)
    }

    /// [`Source::files`] directly in this directory, a failure named as one to list the
    /// `what` directory (`docs`, `schema`).
    pub fn list(
        &self,
        suffixes: &[&str],
        what: &'static str,
    ) -> Result<Vec<Utf8PathBuf>, SourceError> {
        self.files(false, suffixes)
            .map_err(|source| SourceError::ReadDir {
                dir: self.root().to_owned(),
                what,
                source,
            })
    }

    /// [`Source::read`], a failure naming the file's path.
    pub fn read_text(&self, name: &str) -> Result<Cow<'static, str>, SourceError> {
        self.read(name).map_err(|source| SourceError::Read {
            path: self.path(name),
            source,
        })
    }

    /// What a report names as the source: `built-in` or the directory.
    pub fn describe(&self) -> String {
        match self {
            Source::BuiltIn(_) => "built-in".to_owned(),
            Source::Dir(dir) => dir.to_string(),
        }
    }
}

fn not_built_in(path: &Utf8Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{path} is not part of the built-in suite"),
    )
}

/// The first 12 hex digits of the SHA-256 of the built-in suite (every path and text, in
/// path order, each followed by a zero byte): the identity of the suite a binary carries,
/// named in reports beside the tool's version. Hashed by `build.rs`, once per build.
pub const FINGERPRINT: &str = include!(concat!(env!("OUT_DIR"), "/built_in_fingerprint.rs"));

/// How a report names the suite that ran: `built-in (rc-conform 0.1.0, suite 1a2b3c4d5e6f)`,
/// or the cases directory, with the specs named when they come from elsewhere.
pub fn describe_suite(cases: Option<&Source>, specs: &Source) -> String {
    let built_in = || {
        format!(
            "built-in (rc-conform {}, suite {})",
            env!("CARGO_PKG_VERSION"),
            FINGERPRINT
        )
    };
    let name = |source: &Source| match source {
        Source::BuiltIn(_) => built_in(),
        Source::Dir(dir) => dir.to_string(),
    };
    match (cases, specs) {
        (Some(Source::BuiltIn(_)), Source::BuiltIn(_)) => built_in(),
        (Some(cases), specs) => format!("{} with the specs {}", name(cases), name(specs)),
        (None, specs) => format!("cases in memory with the specs {}", name(specs)),
    }
}

/// A directory of a [`Source`] that could not be listed, or a file of it that could not be
/// read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The directory could not be listed.
    #[error("{dir}: cannot list the {what} directory: {source}")]
    ReadDir {
        /// The directory.
        dir: Utf8PathBuf,
        /// What the directory holds (`docs`, `schema`).
        what: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A file could not be read (or is not UTF-8).
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: Utf8PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// Why `cases export` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The directory holds files already and `--force` was not given.
    #[error("{0} is not empty: export into a new or empty directory, or pass --force to overwrite")]
    NotEmpty(Utf8PathBuf),
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Writes the built-in suite into `dir` (`dir/cases/…`, `dir/specs/…`) and returns the
/// files written. A directory that holds anything is refused unless `force`, which
/// overwrites the suite's files and leaves every other file as it is.
pub fn export(dir: &Utf8Path, force: bool) -> Result<Vec<Utf8PathBuf>, ExportError> {
    if !force && dir.is_dir() && fs_err::read_dir(dir)?.next().is_some() {
        return Err(ExportError::NotEmpty(dir.to_owned()));
    }
    let mut written = Vec::with_capacity(FILES.len());
    for (path, text) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(&target, text)?;
        written.push(target);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_is_the_hash_of_the_files_the_binary_carries() {
        let carried = FILES.iter().map(|(path, text)| (*path, text.as_bytes()));
        assert_eq!(FINGERPRINT, crate::fingerprint::fingerprint(carried));
    }

    #[test]
    fn the_table_holds_the_repository_suite() {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
        for (path, text) in FILES {
            let on_disk = std::fs::read_to_string(root.join(path)).unwrap_or_default();
            assert_eq!(on_disk, *text, "{path} differs from the built-in copy");
        }
        let cases = Source::built_in_cases().files(true, &[".yaml"]);
        assert!(cases.is_ok_and(|c| c.len() >= 2), "case files are built in");
        assert!(Source::built_in_specs().exists("premises.yaml"));
    }

    #[test]
    fn built_in_listings_keep_to_their_directory() {
        let schemas = Source::built_in_specs().join("schemas");
        let direct = schemas.files(false, &[".json"]).unwrap_or_default();
        assert!(!direct.is_empty() && direct.iter().all(|p| !p.as_str().contains('/')));
        let specs_top = Source::built_in_specs()
            .files(false, &[".json"])
            .unwrap_or_default();
        assert!(
            specs_top.iter().all(|p| !p.starts_with("schemas")),
            "{specs_top:?}"
        );
        assert!(
            Source::BuiltIn("nothing".into())
                .files(true, &[""])
                .is_err()
        );
        assert!(Source::built_in_specs().read("no-such-file").is_err());
        assert_eq!(
            schemas.path("invite.400.json"),
            Utf8Path::new("specs/schemas/invite.400.json")
        );
    }
}
