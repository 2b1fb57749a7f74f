//! The specs a run and `check` share, loaded once: the premise model and the schema
//! registry, and the names a case file may use. Loading only; nothing here judges.

use std::sync::Arc;

use camino::Utf8Path;

use super::premise::{PremiseModel, PremiseModelError};
use super::schemas::{SchemaError, SchemaRegistry};
use crate::case::{KnownNames, LoadErrors, Suite, load_suite};

/// Why the specs could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecsError {
    /// The premise model is unreadable or inconsistent.
    #[error(transparent)]
    Model(#[from] PremiseModelError),
    /// The schemas could not be loaded.
    #[error(transparent)]
    Schemas(#[from] SchemaError),
}

/// The specs `check` and the runner share, loaded once.
#[derive(Debug)]
pub struct Specs {
    /// The premise model, shared with work that runs beside a run's stages.
    pub model: Arc<PremiseModel>,
    /// The schema registry, shared with concurrent cases.
    pub schemas: Arc<SchemaRegistry>,
}

impl Specs {
    /// Loads `premises.yaml` and `schemas/` from the specs directory.
    pub fn load(specs: &Utf8Path) -> Result<Specs, SpecsError> {
        let model = Arc::new(PremiseModel::load(&specs.join("premises.yaml"))?);
        let schemas = Arc::new(SchemaRegistry::load(&specs.join("schemas"))?);
        Ok(Specs { model, schemas })
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
}
