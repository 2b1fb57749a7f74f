//! The cross-run lock: permission grants are global, so two runs against one server must not
//! change them at the same time. A run holds the lock while it runs its cases: a private group
//! named [`LOCK_NAME`], created by the admin. Creating it fails while another run holds it, so
//! a run waits (polling) until it is gone or the wait times out.
//!
//! The holder keeps a heartbeat in the group's topic (`channels.setTopic`'s twin
//! `groups.setTopic`): its run id, host, ledger and a beat counter, renewed every quarter of
//! `--lock-stale-after`. A waiter that sees the topic unchanged for that long, or the holder's
//! ledger gone or finished on its own host, knows the lock was left by a run that is gone: it
//! stops at once and names the command that clears it, instead of waiting for the timeout.
//!
//! The group is written to the ledger before it is created, so `cleanup --ledger` removes the
//! lock of a crashed run; a run never removes a lock it did not create.

use std::time::{Duration, Instant};

use camino::Utf8PathBuf;

use super::ledger::{Entry, Ledger, LedgerError, Undo, pending_undo};
use crate::api::RoomType;
use crate::target::Purpose;
use crate::target::api::{Api, ApiError, Session};

/// The name of the lock group.
pub const LOCK_NAME: &str = "rc-conform-lock";

/// Who takes the lock: what its heartbeat says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The run id.
    pub run_id: String,
    /// The host the run runs on.
    pub host: String,
    /// Its ledger (absolute path on that host).
    pub ledger: String,
}

impl Holder {
    /// The holder of this process's run `run_id` with `ledger`.
    pub fn this_process(run_id: &str, ledger: &camino::Utf8Path) -> Holder {
        let ledger = std::path::absolute(ledger)
            .ok()
            .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
            .unwrap_or_else(|| ledger.to_owned());
        Holder {
            run_id: run_id.to_owned(),
            host: host_name(),
            ledger: ledger.to_string(),
        }
    }

    /// The topic of beat `n`.
    fn topic(&self, n: u64) -> String {
        format!(
            "rc-conform run {} on {}; ledger {}; beat {n}",
            self.run_id, self.host, self.ledger
        )
    }

    /// The holder a topic names, if it is a heartbeat.
    fn parse(topic: &str) -> Option<Holder> {
        let rest = topic.strip_prefix("rc-conform run ")?;
        let (run_id, rest) = rest.split_once(" on ")?;
        let (host, rest) = rest.split_once("; ledger ")?;
        let (ledger, _) = rest.rsplit_once("; beat ")?;
        Some(Holder {
            run_id: run_id.to_owned(),
            host: host.to_owned(),
            ledger: ledger.to_owned(),
        })
    }
}

/// This host's name, as well as the platform tells it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run held it for the whole wait.
    #[error(
        "another rc-conform run holds the lock (private group `{LOCK_NAME}`) and did not release it within {0:?}; if no run is active, a crashed run left it: finish that run's cleanup (`rc-conform cleanup --ledger …`) or `rc-conform cleanup --stale-lock`"
    )]
    Timeout(Duration),
    /// The lock was left by a run that is gone.
    #[error(
        "the run lock (private group `{LOCK_NAME}`) was left by a run that is gone ({why}); no run holds it: {clear}"
    )]
    Stale {
        /// How the waiter knows.
        why: String,
        /// The command that clears it.
        clear: String,
    },
    /// Creating the group failed otherwise.
    #[error("taking the run lock: {0}")]
    Api(#[from] ApiError),
    /// The ledger could not be written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// How a run takes the lock.
#[derive(Debug, Clone)]
pub struct Taking<'a> {
    /// The run taking it.
    pub holder: &'a Holder,
    /// The target's URL (for the commands named in a stale lock's error).
    pub target: &'a str,
    /// The longest wait.
    pub timeout: Duration,
    /// A heartbeat unchanged this long is a stale lock's.
    pub stale_after: Duration,
}

/// A held lock; its heartbeat stops when it is released or dropped.
#[derive(Debug)]
pub struct RunLock {
    room_id: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

/// Takes the lock, waiting up to `taking.timeout` or until it is found stale; `waiting` is
/// called once when it has to wait.
pub async fn acquire(
    api: &Api,
    admin: &Session,
    ledger: &Ledger,
    taking: &Taking<'_>,
    waiting: &(dyn Fn() + Sync),
) -> Result<RunLock, LockError> {
    let started = Instant::now();
    let mut watch = Watch::default();
    loop {
        ledger.record(&Entry::Room {
            name: LOCK_NAME.to_owned(),
            room_type: RoomType::Private,
            deleter: String::new(),
        })?;
        match api
            .create_room(admin, RoomType::Private, LOCK_NAME, &[], false)
            .await
        {
            Ok(room_id) => {
                ledger.record(&Entry::RoomId {
                    name: LOCK_NAME.to_owned(),
                    id: room_id.clone(),
                })?;
                let heartbeat = start_heartbeat(api, admin, &room_id, taking).await;
                return Ok(RunLock { room_id, heartbeat });
            }
            Err(ApiError::Refused { message, .. }) if message.contains("duplicate") => {
                // Not ours: make sure cleanup never deletes it.
                ledger.record(&Entry::Removed {
                    name: LOCK_NAME.to_owned(),
                })?;
                if started.elapsed() >= taking.timeout {
                    return Err(LockError::Timeout(taking.timeout));
                }
                if watch.polls == 0 {
                    waiting();
                }
                watch.look(api, admin, taking).await?;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => {
                ledger.record(&Entry::Removed {
                    name: LOCK_NAME.to_owned(),
                })?;
                return Err(e.into());
            }
        }
    }
}

/// Writes the first beat, then keeps beating on a task of its own.
async fn start_heartbeat(
    api: &Api,
    admin: &Session,
    room_id: &str,
    taking: &Taking<'_>,
) -> tokio::task::JoinHandle<()> {
    let interval = (taking.stale_after / 4).max(Duration::from_millis(200));
    let (api, admin, room_id, holder) = (
        api.clone(),
        admin.clone(),
        room_id.to_owned(),
        taking.holder.clone(),
    );
    let beat = move |n: u64| {
        let (api, admin, room_id, topic) =
            (api.clone(), admin.clone(), room_id.clone(), holder.topic(n));
        async move {
            if let Err(e) = api
                .set_topic(
                    &admin,
                    RoomType::Private,
                    &room_id,
                    &topic,
                    Purpose::Provision,
                )
                .await
            {
                tracing::warn!("the run lock's heartbeat could not be written: {e}");
            }
        }
    };
    beat(0).await;
    tokio::spawn(async move {
        for n in 1.. {
            tokio::time::sleep(interval).await;
            beat(n).await;
        }
    })
}

/// What a waiter has seen of the lock's heartbeat.
#[derive(Debug, Default)]
struct Watch {
    polls: u64,
    topic: Option<Option<String>>,
    since: Option<Instant>,
}

impl Watch {
    /// Looks at the lock's heartbeat once: an error when it shows the lock is stale.
    async fn look(
        &mut self,
        api: &Api,
        admin: &Session,
        taking: &Taking<'_>,
    ) -> Result<(), LockError> {
        self.polls += 1;
        // A target that cannot list rooms leaves the timeout alone to decide.
        let Ok(Some(topic)) = api.listed_topic(admin, LOCK_NAME).await else {
            return Ok(());
        };
        let holder = topic.as_deref().and_then(Holder::parse);
        if let Some(holder) = &holder
            && let Some(why) = gone_here(holder)
        {
            return Err(stale(why, Some(holder), taking));
        }
        let now = Instant::now();
        if self.topic.as_ref() != Some(&topic) {
            self.topic = Some(topic);
            self.since = Some(now);
            return Ok(());
        }
        let silent = self.since.map_or(Duration::ZERO, |s| now - s);
        if silent >= taking.stale_after {
            let why = match &holder {
                Some(h) => format!(
                    "run {} on {} has not renewed its heartbeat for {} s",
                    h.run_id,
                    h.host,
                    silent.as_secs()
                ),
                None => format!(
                    "it carries no heartbeat, and nothing changed for {} s",
                    silent.as_secs()
                ),
            };
            return Err(stale(why, holder.as_ref(), taking));
        }
        Ok(())
    }
}

/// Why a holder on this host is gone, by its ledger: the file is missing, or it no longer
/// holds the lock (released, or everything undone).
fn gone_here(holder: &Holder) -> Option<String> {
    if holder.host != host_name() {
        return None;
    }
    let path = camino::Utf8Path::new(&holder.ledger);
    if !path.exists() {
        return Some(format!(
            "run {}'s ledger {} is gone",
            holder.run_id, holder.ledger
        ));
    }
    let entries = Ledger::read(path).ok()?;
    let holds = pending_undo(&entries)
        .iter()
        .any(|u| matches!(u, Undo::Room { name, .. } if name == LOCK_NAME));
    (!holds).then(|| {
        format!(
            "run {}'s ledger {} shows the lock released",
            holder.run_id, holder.ledger
        )
    })
}

/// The stale-lock error, with the command that clears it.
fn stale(why: String, holder: Option<&Holder>, taking: &Taking<'_>) -> LockError {
    let target = taking.target;
    let by_lock =
        format!("`rc-conform cleanup --stale-lock --target {target}` deletes the lock alone");
    let clear = match holder {
        Some(h) if camino::Utf8Path::new(&h.ledger).exists() || h.host != host_name() => format!(
            "finish that run's cleanup with `rc-conform cleanup --ledger {} --target {target}` (on {}, where its ledger is), which removes the lock too; without its ledger, {by_lock}",
            h.ledger, h.host
        ),
        _ => format!("{by_lock} (check first that no run is active)"),
    };
    LockError::Stale { why, clear }
}

impl RunLock {
    /// Releases the lock.
    pub async fn release(
        self,
        api: &Api,
        admin: &Session,
        ledger: &Ledger,
    ) -> Result<(), LockError> {
        self.heartbeat.abort();
        api.delete_room(admin, RoomType::Private, &self.room_id)
            .await?;
        ledger.record(&Entry::Removed {
            name: LOCK_NAME.to_owned(),
        })?;
        Ok(())
    }
}

/// Deletes the lock group whoever left it (`rc-conform cleanup --stale-lock`): whether one
/// was found.
pub async fn clear_stale(api: &Api, admin: &Session) -> Result<bool, ApiError> {
    let rooms = api.rooms_named(admin, LOCK_NAME).await?;
    let mut found = false;
    for room in rooms.iter().filter(|r| r.name == LOCK_NAME) {
        api.delete_room(admin, RoomType::Private, &room.id).await?;
        found = true;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_topic_names_its_holder() {
        let holder = Holder {
            run_id: "abc234".into(),
            host: "ci-runner-7".into(),
            ledger: "/work/reports/abc234/ledger.jsonl".into(),
        };
        assert_eq!(Holder::parse(&holder.topic(12)), Some(holder));
        assert_eq!(Holder::parse("some topic"), None);
    }
}
