//! The cross-run lock: permission grants are global, so two runs against one server must not
//! change them at the same time. A run holds the lock while it runs its cases: a private group
//! named [`LOCK_NAME`], created by the admin. Creating it fails while another run holds it, so
//! a run waits (polling) until it is gone or the wait times out.
//!
//! The group is written to the ledger before it is created, so `cleanup --ledger` removes the
//! lock of a crashed run; a run never removes a lock it did not create.

use std::time::{Duration, Instant};

use super::ledger::{Entry, Ledger, LedgerError};
use crate::api::RoomType;
use crate::target::api::{Api, ApiError, Session};

/// The name of the lock group.
pub const LOCK_NAME: &str = "rc-conform-lock";

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run held it for the whole wait.
    #[error(
        "another rc-conform run holds the lock (private group `{LOCK_NAME}`) and did not release it within {0:?}; if no run is active, a crashed run left it: finish that run's cleanup (`rc-conform cleanup --ledger …`) or delete the group"
    )]
    Timeout(Duration),
    /// Creating the group failed otherwise.
    #[error("taking the run lock: {0}")]
    Api(#[from] ApiError),
    /// The ledger could not be written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// A held lock.
#[derive(Debug)]
pub struct RunLock {
    room_id: String,
}

/// Takes the lock, waiting up to `timeout`; `waiting` is called once when it has to wait.
pub async fn acquire(
    api: &Api,
    admin: &Session,
    ledger: &Ledger,
    timeout: Duration,
    waiting: &(dyn Fn() + Sync),
) -> Result<RunLock, LockError> {
    let started = Instant::now();
    let mut told = false;
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
                return Ok(RunLock { room_id });
            }
            Err(ApiError::Refused { message, .. }) if message.contains("duplicate") => {
                // Not ours: make sure cleanup never deletes it.
                ledger.record(&Entry::Removed {
                    name: LOCK_NAME.to_owned(),
                })?;
                if started.elapsed() >= timeout {
                    return Err(LockError::Timeout(timeout));
                }
                if !told {
                    waiting();
                    told = true;
                }
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

impl RunLock {
    /// Releases the lock.
    pub async fn release(
        self,
        api: &Api,
        admin: &Session,
        ledger: &Ledger,
    ) -> Result<(), LockError> {
        api.delete_room(admin, RoomType::Private, &self.room_id)
            .await?;
        ledger.record(&Entry::Removed {
            name: LOCK_NAME.to_owned(),
        })?;
        Ok(())
    }
}
