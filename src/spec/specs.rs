//! The specs a run and `check` share, loaded once: the premise model, the schema registry
//! and the client compatibility profiles, and the names a case file may use. Loading only;
//! nothing here judges.

use std::sync::Arc;

use camino::Utf8Path;

use super::premise::{PremiseModel, PremiseModelError};
use super::schemas::{SchemaError, SchemaRegistry};
use crate::built_in::Source;
use crate::case::{KnownNames, LoadErrors, Suite, load_suite, load_suite_from, parse_suite_from};
use crate::clients::{ClientProfiles, ClientsError};
use crate::parallel::joined;

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
    ///
    /// The three are independent and each takes a millisecond or two, on the critical path of
    /// every run: the premise model and the client profiles load on a thread of their own
    /// while the schemas load on this one. The first error in that order (model, schemas,
    /// clients) is the one returned, as when they loaded one after the other.
    pub fn load_from(specs: &Source) -> Result<Specs, SpecsError> {
        let (model, schemas, clients) = std::thread::scope(|scope| {
            let model = scope.spawn(|| Self::load_model(specs));
            let clients = scope.spawn(|| ClientProfiles::load_from(specs));
            let schemas = SchemaRegistry::load_from(&specs.join("schemas"));
            (joined(model), schemas, joined(clients))
        });
        Ok(Specs {
            model: Arc::new(model?),
            schemas: Arc::new(schemas?),
            clients: Arc::new(clients?),
            source: specs.clone(),
        })
    }

    /// The specs and the suite that a run or `check` loads before anything else: the outer
    /// error is the specs', told first; the inner one the cases'. The built-in case files are
    /// read and parsed while the specs load, and their names resolved after; a directory's
    /// files load one by one after the specs ([`Specs::load_cases_from`]), so that their
    /// parsed forms, however many, are never all held at once.
    pub fn load_with_cases(
        specs: &Source,
        cases: &Source,
    ) -> Result<Result<(Specs, Suite), LoadErrors>, SpecsError> {
        if !cases.is_built_in() {
            let specs = Self::load_from(specs)?;
            return Ok(specs.load_cases_from(cases).map(|suite| (specs, suite)));
        }
        let (specs, parsed) = std::thread::scope(|scope| {
            let parsed = scope.spawn(|| parse_suite_from(cases));
            (Self::load_from(specs), joined(parsed))
        });
        let specs = specs?;
        Ok(parsed
            .and_then(|parsed| parsed.resolve(&specs.known_names()))
            .map(|suite| (specs, suite)))
    }

    /// The premise model, `premises.yaml` of `specs`.
    fn load_model(specs: &Source) -> Result<PremiseModel, PremiseModelError> {
        let path = specs.path("premises.yaml");
        let text = specs
            .read("premises.yaml")
            .map_err(|source| PremiseModelError::Read {
                path: path.to_string(),
                source,
            })?;
        PremiseModel::parse_with(&path, &text, specs.compiled("premises.yaml"))
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
