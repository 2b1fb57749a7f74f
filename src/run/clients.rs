//! The `clients` stage: after the cases, every client compatibility profile of
//! `specs/clients.yaml` is evaluated against the target, and each client gets its
//! [`ClientRecord`]: `ok`, `broken` (with the requests and answers that break it) or `not-run`
//! (with the reason).
//!
//! The stage needs one room per endpoint (`rcc-<run>-cl-c` and `rcc-<run>-cl-p`, created by the
//! admin, who invites as its owner) and invitees: every use invites users no other use
//! invites, so that each use's invitees are new to the room and its `au` messages are its own.
//! The invitees are the run's pool users (plain users, which the cases are done with), and
//! users `rcc-<run>-cl-u<i>` for those the pool lacks. What it creates is written to the ledger
//! first and removed by the run's cleanup like every case fixture. It sends the client's
//! requests (counted as calls) and reads what the needs ask for afterwards. The profiles run
//! `--jobs` at a time, each client's uses one after another.
//!
//! Whether it runs at all: not in a `--filter` run or in a part other than `hash:1/N` unless
//! `--clients` asks, never after an interrupt or a run that stopped (each client is then
//! `not-run` with the reason); with `--no-clients` the run has no client records at all.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::lanes::in_lanes;
use super::prepare::Prepared;
use super::provision::ProvisionError;
use super::{ClientSelection, RunError};
use crate::api::Endpoint;
use crate::clients::needs::{Answer, Scene, unmet_by_answer, unmet_by_messages};
use crate::clients::{ClientRecord, ClientStatus, Invitee, Profile, Use, UseRecord, bodies};
use crate::target::api::{Api, Session};
use crate::target::{Exchange, Purpose, Request, RequestBody};

/// Messages read back for an added-message need (the room has one per invitee of the stage).
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

/// The room of one endpoint: its name and its id, or why it could not be created.
type ClientRoom = (String, Result<String, (String, Vec<Exchange>)>);

/// What every profile's evaluation shares.
struct Bench {
    api: Api,
    admin: Session,
    invitees: Vec<Invitee>,
    /// The room of each endpoint some use invites to.
    rooms: BTreeMap<Endpoint, ClientRoom>,
}

/// Creates the invitees the pool lacks and the rooms, then evaluates the profiles `jobs` at a
/// time.
async fn evaluate_all(run: &Prepared<'_>, profiles: &[Profile]) -> Vec<ClientRecord> {
    run.api.client().next_stage();
    let (firsts, needed) = first_invitees(profiles);
    let invitees = match invitees(run, needed).await {
        Ok(invitees) => invitees,
        Err(e) => {
            let reason = format!("not evaluated: creating the invitees failed: {e}");
            return profiles
                .iter()
                .map(|p| ClientRecord::not_run(p, &reason))
                .collect();
        }
    };
    let mut rooms = BTreeMap::new();
    for endpoint in profiles.iter().flat_map(|p| &p.uses).map(|u| u.endpoint) {
        if let std::collections::btree_map::Entry::Vacant(slot) = rooms.entry(endpoint) {
            slot.insert(room(run, endpoint).await);
        }
    }
    let bench = Arc::new(Bench {
        api: run.api.clone(),
        admin: run.preflight.admin.clone(),
        invitees,
        rooms,
    });
    run.api.client().next_stage();
    let first_lane = run.plan.cases.len() + 1;
    let items = profiles
        .iter()
        .zip(firsts)
        .enumerate()
        .map(|(i, (p, firsts))| (first_lane + i, (p.clone(), firsts)))
        .collect();
    let mut done = in_lanes(
        items,
        run.options.jobs,
        Some(run.interrupt),
        |(profile, firsts)| {
            let bench = bench.clone();
            async move { bench.profile(&profile, &firsts).await }
        },
    )
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

/// Where each use's invitees start among the invitees of its endpoint's room (each use its
/// own), per profile and use; and how many invitees the most invited room needs.
fn first_invitees(profiles: &[Profile]) -> (Vec<Vec<usize>>, usize) {
    let mut next: BTreeMap<Endpoint, usize> = BTreeMap::new();
    let firsts = profiles
        .iter()
        .map(|p| {
            p.uses
                .iter()
                .map(|u| {
                    let first = next.entry(u.endpoint).or_default();
                    let at = *first;
                    *first += u.invitees;
                    at
                })
                .collect()
        })
        .collect();
    (firsts, next.into_values().max().unwrap_or(0))
}

/// `needed` invitees: the pool's plain users first, then users of the stage's own.
async fn invitees(run: &Prepared<'_>, needed: usize) -> Result<Vec<Invitee>, ProvisionError> {
    let plain = ["user".to_owned()];
    let mut invitees: Vec<Invitee> = run
        .provisioner
        .pool
        .iter()
        .flat_map(|pool| pool.with_roles(&plain))
        .take(needed)
        .map(|u| Invitee {
            id: u.id.clone(),
            username: u.username.clone(),
        })
        .collect();
    for i in invitees.len()..needed {
        let username = format!("rcc-{}-cl-u{i}", run.run_id);
        let user = run
            .provisioner
            .create_user(&username, &plain, false)
            .await?;
        invitees.push(Invitee {
            id: user.id,
            username: user.username,
        });
    }
    Ok(invitees)
}

/// Creates the room of `endpoint` as the admin (ledger first): its name and id.
async fn room(run: &Prepared<'_>, endpoint: Endpoint) -> ClientRoom {
    let room_type = endpoint.room_type();
    let name = format!("rcc-{}-cl-{}", run.run_id, room_type.code());
    let admin = (&run.preflight.admin, run.preflight.admin_username.as_str());
    let created = run
        .provisioner
        .channel_or_group(admin, room_type, &name, &[], false)
        .await;
    let id = created.map_err(|e| (e.to_string(), e.exchange().cloned().into_iter().collect()));
    (name, id)
}

impl Bench {
    /// One client: its uses one after another, each with its invitees from `firsts`.
    async fn profile(&self, profile: &Profile, firsts: &[usize]) -> ClientRecord {
        let mut uses = Vec::new();
        for (one, &first) in profile.uses.iter().zip(firsts) {
            uses.push(self.one_use(one, first).await);
        }
        ClientRecord::of(profile, uses)
    }

    /// One use: the client's requests in its endpoint's room, inviting the invitees from
    /// `first` on, the needs held against the answers and, when they all held, against what
    /// is read afterwards.
    async fn one_use(&self, of: &Use, first: usize) -> UseRecord {
        let (name, room_id) = match self.rooms.get(&of.endpoint) {
            Some((name, Ok(id))) => (name.as_str(), id.as_str()),
            Some((_, Err((e, evidence)))) => {
                let reason = Some(format!("setup failed: {e}"));
                return UseRecord::not_run(of, reason, evidence.clone());
            }
            None => return UseRecord::not_run(of, Some("setup failed: no room".into()), vec![]),
        };
        let end = (first + of.invitees).min(self.invitees.len());
        let invitees = &self.invitees[first.min(end)..end];
        let usernames: Vec<String> = invitees.iter().map(|u| u.username.clone()).collect();
        let scene = Scene {
            room_id,
            room_name: name,
            inviter_id: &self.admin.user_id,
            invitees: &usernames,
        };
        let mut exchanges = Vec::new();
        let mut unmet = Vec::new();
        for (i, body) in bodies(of, room_id, name, invitees).into_iter().enumerate() {
            let (exchange, answer) = self.send(of, body).await;
            exchanges.push(exchange);
            unmet.extend(unmet_by_answer(&of.needs, &answer, &scene, i + 1));
        }
        if let (Some(kind), true) = (&of.needs.added_message, unmet.is_empty()) {
            let room_type = of.endpoint.room_type();
            match self
                .api
                .messages(&self.admin, room_type, room_id, MESSAGES_READ)
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
