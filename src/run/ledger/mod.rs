//! The ledger: an append-only JSON-lines file of every object a run creates on the target
//! and every permission it changes (with the exact previous role list), each line written
//! *before* the change is made (the id a created object got may follow later). One file
//! records one run ([`Ledger::start`]); the runner reads its entries back from memory.
//!
//! Every line reaches the kernel before the change it announces, which is what a crash or a
//! kill of this process needs. The lines that guard server-wide state (permission changes, and
//! with them every line before, the run's first line among them) and the run's last line also
//! go to the disk ([`Ledger::record_durable`]): their sync runs on a blocking thread while the
//! run goes on, and the caller awaits it ([`Durable`]) right before the change they guard, so
//! the disk's latency overlaps other work instead of stalling one of the runtime's workers.
//!
//! Undoing walks the entries in reverse. The file holds ids and names only, never a password
//! or token: cleanup logs in again with the admin credentials it is given.

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use crate::api::RoomType;
use crate::target::api::roles::RoleScope;

/// One thing the run did (or was about to do) on the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "kebab-case")]
pub enum Entry {
    /// The run started: its id and target.
    Run {
        /// The run id every name carries.
        run_id: String,
        /// The target URL (no credentials).
        target: String,
    },
    /// A user is being created with this username; `id` follows once known.
    User {
        /// The username (carries the run id).
        username: String,
    },
    /// The id the server gave a created user (it may come a few lines later: see
    /// [`Ledger::record_later`]).
    UserId {
        /// The username.
        username: String,
        /// The id.
        id: String,
    },
    /// A room is being created.
    Room {
        /// The name (carries the run id); direct rooms use the creator's username.
        name: String,
        /// Its type.
        room_type: RoomType,
        /// Username of a member that may delete it (groups can only be deleted by members).
        deleter: String,
    },
    /// The id the server gave a created room (it may come a few lines later: see
    /// [`Ledger::record_later`]).
    RoomId {
        /// The name.
        name: String,
        /// The id.
        id: String,
    },
    /// A team is being created (its main room goes with it when it is deleted).
    Team {
        /// The team's name (carries the run id), also its main room's.
        name: String,
        /// Username of a member that may delete it.
        deleter: String,
    },
    /// The id the server gave a created team.
    TeamId {
        /// The name.
        name: String,
        /// The id.
        id: String,
    },
    /// A permission's role list is about to change; `previous` is what to restore.
    Permission {
        /// Permission id.
        id: String,
        /// The role list before the change.
        previous: Vec<String>,
    },
    /// A permission was restored; earlier entries for it need no undo.
    PermissionRestored {
        /// Permission id.
        id: String,
    },
    /// The room of this name is gone (or was never ours); earlier entries need no undo.
    Removed {
        /// The name.
        name: String,
    },
    /// A run-scoped role is being created (on a target with custom roles); `id` follows.
    Role {
        /// The name (carries the run id).
        name: String,
        /// Its scope.
        scope: RoleScope,
    },
    /// The id the server gave a created role.
    RoleId {
        /// The name.
        name: String,
        /// The id.
        id: String,
    },
    /// A room the run did not create (`general`) is about to get system messages that name
    /// the run's fixture users; cleanup deletes the messages that name them.
    RoomMessages {
        /// The room's id.
        room_id: String,
        /// Its type.
        room_type: RoomType,
    },
    /// Everything before this line was undone.
    Cleaned,
}

/// Why the ledger could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// File I/O failed.
    #[error("ledger {path}: {source}")]
    Io {
        /// The file.
        path: Utf8PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not a ledger entry.
    #[error("ledger {path}:{line}: not a ledger entry: {message}")]
    Parse {
        /// The file.
        path: Utf8PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// An open ledger; appends are serialised and written one write at a time.
#[derive(Debug, Clone)]
pub struct Ledger {
    path: Utf8PathBuf,
    file: Arc<Mutex<Open>>,
}

/// The file, the lines that may wait for the next write (see [`Ledger::record_later`]), and
/// every entry of the file (so that reading the ledger back needs no parsing).
#[derive(Debug)]
struct Open {
    file: std::fs::File,
    pending: String,
    entries: Vec<Entry>,
}

/// Lines on their way to the disk ([`Ledger::record_durable`]). Awaiting it returns once the
/// file, those lines included, is synced.
#[must_use = "the lines are on disk only once it is awaited: await it before the change they guard"]
#[derive(Debug)]
pub struct Durable {
    path: Utf8PathBuf,
    /// The sync running on a blocking thread (none when it ran inline).
    sync: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Durable {
    /// Waits until the lines are on disk.
    pub async fn wait(self) -> Result<(), LedgerError> {
        let Some(sync) = self.sync else {
            return Ok(());
        };
        let synced = sync.await.unwrap_or_else(|e| Err(std::io::Error::other(e)));
        synced.map_err(|source| LedgerError::Io {
            path: self.path,
            source,
        })
    }
}

/// A new run's ledger, and where an earlier run's ledger went if it still had work to undo.
#[derive(Debug)]
pub struct Started {
    /// The new ledger.
    pub ledger: Ledger,
    /// The earlier ledger at the same path, moved aside because something it records is not
    /// undone yet (`rc-conform cleanup --ledger` finishes it; this run never touches it).
    pub set_aside: Option<Utf8PathBuf>,
}

impl Ledger {
    /// Opens the existing ledger at `path` to append to it, its entries read.
    pub fn open(path: &Utf8Path) -> Result<Ledger, LedgerError> {
        Ledger::with_file(path, Ledger::read(path)?, false)
    }

    /// Starts a run's ledger at `path`, which then records this run alone. A ledger already
    /// there is replaced when everything it records was undone; otherwise it is moved aside
    /// (to `ledger-<its run id>.jsonl`), so that neither its work left to undo nor the file's
    /// growth run after run falls on this run.
    pub fn start(path: &Utf8Path) -> Result<Started, LedgerError> {
        let mut set_aside = None;
        if path.exists() {
            let entries = Ledger::read(path)?;
            if !pending_undo(&entries).is_empty() {
                let run_id = run_of(&entries).map_or("unknown", |(run_id, _)| run_id);
                let aside = path.with_file_name(format!("ledger-{run_id}.jsonl"));
                std::fs::rename(path, &aside).map_err(|source| LedgerError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                set_aside = Some(aside);
            }
        }
        Ok(Started {
            ledger: Ledger::with_file(path, Vec::new(), true)?,
            set_aside,
        })
    }

    fn with_file(path: &Utf8Path, entries: Vec<Entry>, fresh: bool) -> Result<Ledger, LedgerError> {
        let io = |source| LedgerError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(!fresh)
            .write(true)
            .truncate(fresh)
            .open(path)
            .map_err(io)?;
        Ok(Ledger {
            path: path.to_owned(),
            file: Arc::new(Mutex::new(Open {
                file,
                pending: String::new(),
                entries,
            })),
        })
    }

    /// The file.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    /// Appends `entry` (unbuffered: it is in the kernel when this returns).
    pub fn record(&self, entry: &Entry) -> Result<(), LedgerError> {
        self.record_all(std::slice::from_ref(entry))
    }

    /// Appends `entries` in one write, after any lines still waiting.
    pub fn record_all(&self, entries: &[Entry]) -> Result<(), LedgerError> {
        self.write(entries).map(drop)
    }

    /// Appends `entries` in one write, as [`Ledger::record_all`], and starts syncing the file
    /// to disk on a blocking thread (inline when there is no runtime). Await the [`Durable`]
    /// right before the change the entries guard.
    pub fn record_durable(&self, entries: &[Entry]) -> Result<Durable, LedgerError> {
        let file = self
            .write(entries)?
            .file
            .try_clone()
            .map_err(|e| self.io(e))?;
        let sync = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => Some(runtime.spawn_blocking(move || file.sync_data())),
            Err(_) => {
                file.sync_data().map_err(|e| self.io(e))?;
                None
            }
        };
        Ok(Durable {
            path: self.path.clone(),
            sync,
        })
    }

    /// Writes the waiting lines and `entries`; the ledger stays locked while the caller holds
    /// what this returns.
    fn write(&self, entries: &[Entry]) -> Result<std::sync::MutexGuard<'_, Open>, LedgerError> {
        let mut text = String::new();
        for entry in entries {
            self.line(entry, &mut text)?;
        }
        let mut open = self.lock()?;
        let mut out = std::mem::take(&mut open.pending);
        out.push_str(&text);
        if !out.is_empty() {
            open.file
                .write_all(out.as_bytes())
                .map_err(|e| self.io(e))?;
            open.entries.extend_from_slice(entries);
        }
        Ok(open)
    }

    /// Queues `entry` to go out with the next write ([`Ledger::record_all`],
    /// [`Ledger::flush`], [`Ledger::entries`]) instead of a write of its own: for lines that
    /// only spare cleanup a lookup, such as the id a created object got (a crash before the
    /// next write leaves cleanup to find the object by its name, as it would had the answer
    /// been lost).
    pub fn record_later(&self, entry: &Entry) -> Result<(), LedgerError> {
        let mut text = String::new();
        self.line(entry, &mut text)?;
        let mut open = self.lock()?;
        open.pending.push_str(&text);
        open.entries.push(entry.clone());
        Ok(())
    }

    /// Writes the lines still waiting.
    pub fn flush(&self) -> Result<(), LedgerError> {
        self.record_all(&[])
    }

    /// Every entry of this ledger (the waiting lines are written first), as written: kept in
    /// memory, not read back.
    pub fn entries(&self) -> Result<Vec<Entry>, LedgerError> {
        self.read_with(<[Entry]>::to_vec)
    }

    /// `f` of every entry of this ledger (the waiting lines are written first), read in place
    /// rather than copied.
    pub fn read_with<T>(&self, f: impl FnOnce(&[Entry]) -> T) -> Result<T, LedgerError> {
        Ok(f(&self.write(&[])?.entries))
    }

    fn line(&self, entry: &Entry, out: &mut String) -> Result<(), LedgerError> {
        out.push_str(&serde_json::to_string(entry).map_err(|e| self.io(std::io::Error::other(e)))?);
        out.push('\n');
        Ok(())
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Open>, LedgerError> {
        self.file
            .lock()
            .map_err(|_| self.io(std::io::Error::other("ledger lock poisoned")))
    }

    fn io(&self, source: std::io::Error) -> LedgerError {
        LedgerError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Reads every entry of the ledger at `path`.
    pub fn read(path: &Utf8Path) -> Result<Vec<Entry>, LedgerError> {
        let text = std::fs::read_to_string(path).map_err(|source| LedgerError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            // A crash can cut the last line short; it was never acted upon past its write.
            match serde_json::from_str(line) {
                Ok(e) => entries.push(e),
                Err(_) if i + 1 == text.lines().count() => {}
                Err(e) => {
                    return Err(LedgerError::Parse {
                        path: path.to_owned(),
                        line: i + 1,
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(entries)
    }
}

/// The run id and target of the run `entries` record (their `Run` line).
pub fn run_of(entries: &[Entry]) -> Option<(&str, &str)> {
    entries.iter().find_map(|e| match e {
        Entry::Run { run_id, target } => Some((run_id.as_str(), target.as_str())),
        _ => None,
    })
}

mod undo;

pub use undo::{Undo, pending_undo};

#[cfg(test)]
mod tests;
