//! The `clients` stage: after the cases, every client compatibility profile of
//! `specs/clients.yaml` is evaluated against the target, and each client gets its
//! [`ClientRecord`]: `ok`, `broken` (with the requests and answers that break it) or `not-run`
//! (with the reason).
//!
//! The stage creates its invitees (users `rcc-<run>-cl-u<i>`) and one room per use
//! (`rcc-<run>-cl-<client>-<n>`, created by the admin, who invites as its owner), each written
//! to the ledger first and removed by the run's cleanup like every case fixture; it sends the
//! client's requests (counted as calls) and reads what the needs ask for afterwards. The
//! profiles run `--jobs` at a time, each client's uses one after another.
//!
//! Whether it runs at all: not in a `--filter` run or in a part other than `hash:1/N` unless
//! `--clients` asks, never after an interrupt or a run that stopped (each client is then
//! `not-run` with the reason); with `--no-clients` the run has no client records at all.

use std::sync::Arc;

use serde_json::Value;

use super::lanes::in_lanes;
use super::ledger::{Entry, Ledger};
use super::prepare::Prepared;
use super::provision::ProvisionError;
use super::{ClientSelection, RunError};
use crate::clients::needs::{Answer, Scene, unmet_by_answer, unmet_by_messages};
use crate::clients::{ClientRecord, ClientStatus, Invitee, Profile, Use, UseRecord, bodies};
use crate::target::api::{Api, Session};
use crate::target::{Exchange, Purpose, Request, RequestBody};

/// Messages read back for an added-message need (a new room has few).
const MESSAGES_READ: usize = 50;

/// Evaluates every profile, or says why not (the run tells its observers once the cases'
/// records are out).
pub(super) async fn evaluate(
    run: &Prepared<'_>,
    executed: &Result<(), RunError>,
) -> Vec<ClientRecord> {
    let profiles = &run.specs.clients.profiles;
    if profiles.is_empty() || run.options.clients == ClientSelection::Never {
        return Vec::new();
    }
    match why_not(run, executed) {
        Some(reason) => profiles
            .iter()
            .map(|p| ClientRecord::not_run(p, &reason))
            .collect(),
        None => evaluate_all(run, profiles).await,
    }
}

/// Why the profiles are not evaluated in this run, if they are not.
fn why_not(run: &Prepared<'_>, executed: &Result<(), RunError>) -> Option<String> {
    let options = run.options;
    let partition = options.partition.filter(|p| p.index != 1);
    let chosen = match options.clients {
        ClientSelection::Always | ClientSelection::Never => None,
        ClientSelection::Auto if options.filter.is_some() => Some(
            "not evaluated: a --filter run evaluates no client profile (--clients asks for them)"
                .to_owned(),
        ),
        ClientSelection::Auto => partition.map(|p| {
            format!(
                "not evaluated in this part: partition hash:1/{} evaluates the client profiles",
                p.count
            )
        }),
    };
    if chosen.is_some() {
        return chosen;
    }
    if run.interrupt.is_set() {
        return Some("not evaluated: the run was interrupted".to_owned());
    }
    executed
        .as_ref()
        .err()
        .map(|e| format!("not evaluated: the run stopped: {e}"))
}

/// What every profile's evaluation shares.
struct Bench {
    api: Api,
    admin: Session,
    admin_username: String,
    ledger: Ledger,
    run_id: String,
    invitees: Vec<Invitee>,
}

/// Creates the invitees, then evaluates the profiles `jobs` at a time.
async fn evaluate_all(run: &Prepared<'_>, profiles: &[Profile]) -> Vec<ClientRecord> {
    run.api.client().next_stage();
    let invitees = match create_invitees(run).await {
        Ok(invitees) => invitees,
        Err(e) => {
            let reason = format!("not evaluated: creating the invitees failed: {e}");
            return profiles
                .iter()
                .map(|p| ClientRecord::not_run(p, &reason))
                .collect();
        }
    };
    let bench = Arc::new(Bench {
        api: run.api.clone(),
        admin: run.preflight.admin.clone(),
        admin_username: run.preflight.admin_username.clone(),
        ledger: run.ledger.clone(),
        run_id: run.run_id.clone(),
        invitees,
    });
    run.api.client().next_stage();
    let first_lane = run.plan.cases.len() + 1;
    let items = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (first_lane + i, p.clone()))
        .collect();
    let mut done = in_lanes(items, run.options.jobs, Some(run.interrupt), |profile| {
        let bench = bench.clone();
        async move { bench.profile(&profile).await }
    })
    .await;
    let _ = run.ledger.flush();
    profiles
        .iter()
        .enumerate()
        .map(|(i, p)| match done.remove(&i) {
            Some(Ok(record)) => record,
            Some(Err(panic)) => ClientRecord::not_run(
                p,
                &format!("not evaluated: the evaluation panicked: {panic}"),
            ),
            None => ClientRecord::not_run(p, "not evaluated: the run was interrupted"),
        })
        .collect()
}

/// The users the profiles invite (as many as the most demanding use needs).
async fn create_invitees(run: &Prepared<'_>) -> Result<Vec<Invitee>, ProvisionError> {
    let mut invitees = Vec::new();
    for i in 0..run.specs.clients.invitees() {
        let username = format!("rcc-{}-cl-u{i}", run.run_id);
        let user = run
            .provisioner
            .create_user(&username, &["user".to_owned()], false)
            .await?;
        invitees.push(Invitee {
            id: user.id,
            username: user.username,
        });
    }
    Ok(invitees)
}

impl Bench {
    /// One client: its uses one after another.
    async fn profile(&self, profile: &Profile) -> ClientRecord {
        let mut uses = Vec::new();
        for (n, one) in profile.uses.iter().enumerate() {
            uses.push(self.one_use(profile, n, one).await);
        }
        ClientRecord::of(profile, uses)
    }

    /// One use: its room, the client's requests, the needs held against the answers and,
    /// when they all held, against what is read afterwards.
    async fn one_use(&self, profile: &Profile, n: usize, of: &Use) -> UseRecord {
        let name = format!("rcc-{}-cl-{}-{n}", self.run_id, profile.id);
        let room_id = match self.room(&name, of).await {
            Ok(id) => id,
            Err(e) => {
                let evidence = e.exchange().cloned().into_iter().collect();
                return UseRecord::not_run(of, Some(format!("setup failed: {e}")), evidence);
            }
        };
        let invitees = &self.invitees[..of.invitees.min(self.invitees.len())];
        let usernames: Vec<String> = invitees.iter().map(|u| u.username.clone()).collect();
        let scene = Scene {
            room_id: &room_id,
            room_name: &name,
            inviter_id: &self.admin.user_id,
            invitees: &usernames,
        };
        let mut exchanges = Vec::new();
        let mut unmet = Vec::new();
        for (i, body) in bodies(of, &room_id, &name, invitees)
            .into_iter()
            .enumerate()
        {
            let (exchange, answer) = self.send(of, body).await;
            exchanges.push(exchange);
            unmet.extend(unmet_by_answer(&of.needs, &answer, &scene, i + 1));
        }
        if let (Some(kind), true) = (&of.needs.added_message, unmet.is_empty()) {
            let room_type = of.endpoint.room_type();
            match self
                .api
                .messages(&self.admin, room_type, &room_id, MESSAGES_READ)
                .await
            {
                Ok((exchange, messages)) => {
                    exchanges.push(exchange);
                    unmet.extend(unmet_by_messages(kind, &messages, &scene));
                }
                Err(e) => {
                    exchanges.push(e.exchange().clone());
                    let reason = format!("the need `added_message` could not be checked: {e}");
                    return UseRecord::not_run(of, Some(reason), exchanges);
                }
            }
        }
        let status = if unmet.is_empty() {
            ClientStatus::Ok
        } else {
            ClientStatus::Broken
        };
        UseRecord {
            endpoint: of.endpoint,
            request: of.request_text(),
            status,
            unmet,
            reason: None,
            exchanges: if status == ClientStatus::Ok {
                Vec::new()
            } else {
                exchanges
            },
        }
    }

    /// Creates the use's room as the admin (ledger first); its id.
    async fn room(&self, name: &str, of: &Use) -> Result<String, ProvisionError> {
        let room_type = of.endpoint.room_type();
        self.ledger.record(&Entry::Room {
            name: name.to_owned(),
            room_type,
            deleter: self.admin_username.clone(),
        })?;
        let id = self
            .api
            .create_room(&self.admin, room_type, name, &[], false)
            .await?;
        self.ledger.record_later(&Entry::RoomId {
            name: name.to_owned(),
            id: id.clone(),
        })?;
        Ok(id)
    }

    /// Sends one of the client's requests as the admin: the exchange and what came back.
    async fn send(&self, of: &Use, body: Value) -> (Exchange, Answer) {
        let request = Request {
            method: reqwest::Method::POST,
            path: of.endpoint.path().to_owned(),
            auth: self.admin.auth(),
            body: RequestBody::Json(body),
            headers: Vec::new(),
            purpose: Purpose::Call,
        };
        let (exchange, outcome) = self.api.client().send(&request).await;
        let answer = match outcome {
            Ok(response) => Answer {
                status: Some(response.status),
                body: response.json,
                transport_error: None,
            },
            Err(e) => Answer {
                transport_error: Some(e.to_string()),
                ..Answer::default()
            },
        };
        (exchange, answer)
    }
}
