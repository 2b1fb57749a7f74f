//! Why a setup could not be provisioned, and the evidence a failure carries.

use crate::run::ledger::LedgerError;
use crate::target::Exchange;
use crate::target::api::ApiError;

/// Why a setup could not be provisioned.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The target refused or failed a provisioning call.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The ledger could not be written: nothing further is created.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The setup needs something the target does not have.
    #[error("{0}")]
    Unsupported(String),
    /// The target refused a fixture it may legitimately not offer (an omnichannel room when
    /// no agent is available): the case is skipped.
    #[error("{what}: {source}")]
    Unavailable {
        /// What could not be set up.
        what: String,
        /// The refusal.
        source: ApiError,
    },
}

impl ProvisionError {
    /// The failing exchange, if there was one.
    pub fn exchange(&self) -> Option<&Exchange> {
        match self {
            ProvisionError::Api(e) | ProvisionError::Unavailable { source: e, .. } => {
                Some(e.exchange())
            }
            _ => None,
        }
    }

    /// The endpoint the target lacks (`POST /api/v1/channels.addLeader`), when that is why.
    pub fn missing_endpoint(&self) -> Option<String> {
        match self {
            ProvisionError::Api(e) | ProvisionError::Unavailable { source: e, .. } => {
                e.missing_endpoint()
            }
            _ => None,
        }
    }
}
