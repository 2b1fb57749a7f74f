//! `rc-conform cleanup --ledger FILE`: finishes the cleanup of a run that could not (a crash,
//! a kill, a second interrupt) by undoing what its ledger still records. `--stale-lock`
//! deletes a run lock left by a run whose ledger is not at hand.

use camino::Utf8PathBuf;

use super::admin::AccessArgs;
use super::error::CliError;
use super::run::jobs;
use crate::exit::Exit;
use crate::run::AdminCredentials;
use crate::run::ledger::{Ledger, run_of};
use crate::target::api::{Api, Session};
use crate::target::{Client, ClientConfig, Purpose, Redactor};

/// Flags of `rc-conform cleanup`.
#[derive(Debug, Clone, clap::Args)]
pub struct CleanupArgs {
    /// The ledger of the run to finish cleaning up.
    #[arg(long, required_unless_present = "stale_lock")]
    pub ledger: Option<Utf8PathBuf>,
    /// Delete the run lock (private group `rc-conform-lock`) a run that is gone left, without
    /// its ledger (needs --target). Check first that no run is active.
    #[arg(long, requires = "target")]
    pub stale_lock: bool,
    /// Target server root URL (default: the one the ledger names).
    #[arg(long, env = "RC_CONFORM_TARGET")]
    pub target: Option<String>,
    /// How to log in to the target and reach it.
    #[command(flatten)]
    pub access: AccessArgs,
    /// Deletions made at once.
    #[arg(long, default_value_t = 8, value_parser = jobs)]
    pub jobs: usize,
}

/// Runs `rc-conform cleanup`.
pub(super) fn cleanup(args: &CleanupArgs) -> Result<Exit, CliError> {
    let ledger = args.ledger.as_deref().map(Ledger::open).transpose()?;
    let target = match (&args.target, &ledger) {
        (Some(target), _) => target.clone(),
        (None, Some(ledger)) => ledger
            .read_with(|entries| run_of(entries).map(|(_, target)| target.to_owned()))?
            .ok_or(CliError::NoTargetInLedger)?,
        (None, None) => return Err(CliError::NoTargetInLedger),
    };
    let credentials = args
        .access
        .admin
        .credentials()
        .map_err(super::ArgsError::from)?
        .ok_or(super::ArgsError::CleanupWithoutCredentials)?;
    let runtime = tokio::runtime::Runtime::new().map_err(CliError::Runtime)?;
    runtime.block_on(async {
        let config = ClientConfig::new(target.clone()).with_network(&args.access.network.network());
        let client =
            Client::new(config, Redactor::default()).map_err(crate::run::RunError::from)?;
        let api = Api::new(client);
        let admin = match &credentials {
            AdminCredentials::Password { user, password } => api
                .login(user, password, Purpose::Cleanup)
                .await
                .map_err(|source| CliError::Login {
                    target: target.clone(),
                    source,
                })?,
            AdminCredentials::Token { user_id, token } => Session {
                user_id: user_id.clone(),
                token: token.clone(),
            },
        };
        if args.stale_lock {
            let found = crate::run::lock::clear_stale(&api, &admin)
                .await
                .map_err(|source| CliError::StaleLock {
                    target: target.clone(),
                    source,
                })?;
            anstream::println!("run lock: {}", if found { "deleted" } else { "none found" });
        }
        let Some(ledger) = ledger else {
            return Ok(Exit::Ok);
        };
        let record =
            crate::run::cleanup::undo(&api, &admin, &ledger, &Default::default(), args.jobs).await;
        anstream::println!(
            "cleanup of {}: {} step(s) undone",
            record.ledger,
            record.undone
        );
        for e in &record.errors {
            anstream::eprintln!("cleanup: {e}");
        }
        for l in &record.leftovers {
            anstream::eprintln!("left behind: {l}");
        }
        for u in &record.unverified {
            anstream::eprintln!("not verified (the target offers no way to look): {u}");
        }
        Ok(if record.errors.is_empty() && record.leftovers.is_empty() {
            Exit::Ok
        } else {
            Exit::Leftovers
        })
    })
}
