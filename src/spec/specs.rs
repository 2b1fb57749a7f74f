//! The specs a run and `check` share, loaded once: the premise model, the schema registry
//! and the client compatibility profiles, and the names a case file may use. Loading only;
//! nothing here judges.

use std::sync::Arc;

use camino::Utf8Path;

use super::premise::{PremiseModel, PremiseModelError};
use super::schemas::{SchemaError, SchemaRegistry};
use crate::built_in::Source;
use crate::case::{KnownNames, LoadErrors, Suite, load_suite, load_suite_from};
use crate::clients::{ClientProfiles, ClientsError};

/// Why the specs could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecsError {
    /// The premise model is unreadable or inconsistent.
    #[error(transparent)]
    Model(#[from] PremiseModelError),
    /// The schemas could not be loaded.
    #[error(transparent)]
    Schemas(#[from] SchemaError),
    /// The client profiles are unreadable or invalid.
    #[error(transparent)]
    Clients(#[from] ClientsError),
}

/// The specs `check` and the runner share, loaded once.
#[derive(Debug)]
pub struct Specs {
    /// The premise model, shared with work that runs beside a run's stages.
    pub model: Arc<PremiseModel>,
    /// The schema registry, shared with concurrent cases.
    pub schemas: Arc<SchemaRegistry>,
    /// The client compatibility profiles (none when `clients.yaml` is absent).
    pub clients: Arc<ClientProfiles>,
    /// Where the specs were read from.
    pub source: Source,
}

impl Specs {
    /// Loads the specs of the directory `specs` (see [`Specs::load_from`]).
    pub fn load(specs: &Utf8Path) -> Result<Specs, SpecsError> {
        Self::load_from(&Source::Dir(specs.to_owned()))
    }

    /// The specs built into the binary.
    pub fn built_in() -> Result<Specs, SpecsError> {
        Self::load_from(&Source::built_in_specs())
    }

    /// Loads `premises.yaml`, `schemas/` and `clients.yaml` (checked against
    /// `clients.schema.json`) from a specs directory or the built-in specs.
    pub fn load_from(specs: &Source) -> Result<Specs, SpecsError> {
        let path = specs.path("premises.yaml");
        let text = specs
            .read("premises.yaml")
            .map_err(|source| PremiseModelError::Read {
                path: path.to_string(),
                source,
            })?;
        let model = Arc::new(PremiseModel::parse(&path, &text)?);
        let schemas = Arc::new(SchemaRegistry::load_from(&specs.join("schemas"))?);
        let clients = Arc::new(ClientProfiles::load_from(specs)?);
        Ok(Specs {
            model,
            schemas,
            clients,
            source: specs.clone(),
        })
    }

    /// The names a case file may use.
    pub fn known_names(&self) -> KnownNames {
        KnownNames {
            premises: self.model.premise_names().into_iter().collect(),
            schemas: self.schemas.ids().map(str::to_owned).collect(),
            roles: self
                .model
                .roles
                .global
                .iter()
                .chain(&self.model.roles.room)
                .cloned()
                .collect(),
            features: super::kinds::feature_gates(&self.model),
        }
    }

    /// Loads the case directory with these specs' names.
    pub fn load_cases(&self, dir: &Utf8Path) -> Result<Suite, LoadErrors> {
        load_suite(dir, &self.known_names())
    }

    /// Loads the cases of a directory or the built-in cases with these specs' names.
    pub fn load_cases_from(&self, cases: &Source) -> Result<Suite, LoadErrors> {
        load_suite_from(cases, &self.known_names())
    }
}
