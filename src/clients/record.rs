//! A client profile's result in a run, as report.json stores it (`clients: [{name, source,
//! status, details, …}]`): `ok` when every need of every use held, `broken` with the requests
//! and answers that break it, `not-run` with the reason. Data and its summary only.

use serde::{Deserialize, Serialize};

use super::profile::{Profile, Use};
use crate::api::Endpoint;
use crate::evidence::Exchange;

/// How a client fared against the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientStatus {
    /// Every need held.
    Ok,
    /// A need did not hold: the target breaks the client.
    Broken,
    /// Not evaluated (filtered, another shard's, interrupted, a setup that failed).
    NotRun,
}

impl ClientStatus {
    /// As report.json spells it.
    pub fn name(self) -> &'static str {
        match self {
            ClientStatus::Ok => "ok",
            ClientStatus::Broken => "broken",
            ClientStatus::NotRun => "not-run",
        }
    }

    /// An emoji for Markdown.
    pub fn mark(self) -> &'static str {
        match self {
            ClientStatus::Ok => "✅",
            ClientStatus::Broken => "❌",
            ClientStatus::NotRun => "⏭️",
        }
    }
}

/// One client's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The profile's id.
    pub id: String,
    /// The client's name.
    pub name: String,
    /// Where its requests were read.
    pub source: String,
    /// Which versions of the client the profile describes.
    pub version: String,
    /// ok, broken or not-run.
    pub status: ClientStatus,
    /// What broke it (each unmet need), why it did not run, or what held.
    pub details: String,
    /// Each use of an endpoint, with its evidence when it did not hold.
    pub uses: Vec<UseRecord>,
}

/// One use's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UseRecord {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// The request in words (`channels.invite {roomId, userIds}, one call for 2 users`).
    pub request: String,
    /// ok, broken or not-run.
    pub status: ClientStatus,
    /// The needs that did not hold.
    #[serde(default)]
    pub unmet: Vec<String>,
    /// Why it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The requests and answers (redacted), kept when the use did not hold or did not run.
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
}

impl UseRecord {
    /// A use that was not evaluated.
    pub fn not_run(of: &Use, reason: Option<String>, exchanges: Vec<Exchange>) -> UseRecord {
        UseRecord {
            endpoint: of.endpoint,
            request: of.request_text(),
            status: ClientStatus::NotRun,
            unmet: Vec::new(),
            reason,
            exchanges,
        }
    }
}

impl ClientRecord {
    /// A client not evaluated, for `reason`.
    pub fn not_run(profile: &Profile, reason: &str) -> ClientRecord {
        let uses = profile
            .uses
            .iter()
            .map(|u| UseRecord::not_run(u, None, Vec::new()))
            .collect();
        ClientRecord {
            status: ClientStatus::NotRun,
            details: reason.to_owned(),
            ..ClientRecord::of(profile, uses)
        }
    }

    /// A client's result from its uses': broken when one broke, else not-run when one did
    /// not run, else ok.
    pub fn of(profile: &Profile, uses: Vec<UseRecord>) -> ClientRecord {
        let has = |s: ClientStatus| uses.iter().any(|u| u.status == s);
        let status = if has(ClientStatus::Broken) {
            ClientStatus::Broken
        } else if has(ClientStatus::NotRun) {
            ClientStatus::NotRun
        } else {
            ClientStatus::Ok
        };
        let details = match status {
            ClientStatus::Broken => uses
                .iter()
                .filter(|u| u.status == ClientStatus::Broken)
                .map(|u| format!("{}: {}", u.request, u.unmet.join("; ")))
                .collect::<Vec<_>>()
                .join(" | "),
            ClientStatus::NotRun => uses
                .iter()
                .filter(|u| u.status == ClientStatus::NotRun)
                .map(|u| {
                    let why = u.reason.as_deref().unwrap_or("not run");
                    format!("{}: {why}", u.request)
                })
                .collect::<Vec<_>>()
                .join(" | "),
            ClientStatus::Ok => format!(
                "every need held: {}",
                uses.iter()
                    .map(|u| u.request.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        ClientRecord {
            id: profile.id.clone(),
            name: profile.name.clone(),
            source: profile.source.clone(),
            version: profile.version.clone(),
            status,
            details,
            uses,
        }
    }

    /// Whether the client was evaluated (ok or broken).
    pub fn evaluated(&self) -> bool {
        self.status != ClientStatus::NotRun
    }
}
