//! Why a command could not do its work, and the documented exit code of each reason.
//!
//! Every command returns a [`CliError`] instead of printing and exiting on its own; the one
//! place that prints an error (with its file-and-line diagnostics where it has them) and maps
//! it to an exit code is [`CliError::report`].

use camino::Utf8PathBuf;

use crate::case::LoadErrors;
use crate::check::CheckError;
use crate::exit::Exit;
use crate::expectations::ExpectationsError;
use crate::reference::ReferenceError;
use crate::report::merge::MergeError;
use crate::report::render::RenderError;
use crate::run::RunError;
use crate::run::ledger::LedgerError;
use crate::spec::SpecsError;
use crate::spec::premise::PremiseModelError;
use crate::target::api::ApiError;

/// Why a command stopped.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A flag's value is unusable.
    #[error(transparent)]
    Args(#[from] super::ArgsError),
    /// The specs could not be loaded.
    #[error(transparent)]
    Specs(#[from] SpecsError),
    /// Case files failed to load.
    #[error("{} problem(s) in the case files; nothing was sent to any server", .0.0.len())]
    Cases(LoadErrors),
    /// Case files failed to load for `check`.
    #[error("{} problem(s) in the case files; nothing was checked", .0.0.len())]
    CheckCases(LoadErrors),
    /// `check` could not run.
    #[error(transparent)]
    Check(CheckError),
    /// The expectations file is unusable.
    #[error("{0}; nothing was sent to any server")]
    Expectations(#[from] ExpectationsError),
    /// The expectations file to update is unusable.
    #[error("{0}; the file was not changed")]
    ExpectationsUnchanged(ExpectationsError),
    /// A report could not be read.
    #[error("cannot read the report {path}: {source}")]
    ReadReport {
        /// The file.
        path: Utf8PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: Utf8PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The report directory cannot be written; nothing was sent.
    #[error("--report-dir {path} is not usable: {source}; nothing was sent to any server")]
    ReportDir {
        /// The directory.
        path: Utf8PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The report files could not be written.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Partial reports cannot be merged.
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// A ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The ledger does not say which target it is for.
    #[error("the ledger names no target; give --target")]
    NoTargetInLedger,
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The embedded reference server could not start for a run.
    #[error("the embedded reference server did not start: {0}")]
    Reference(#[from] ReferenceError),
    /// `serve` could not start the reference server.
    #[error("the reference server did not start: {0}")]
    Serve(#[source] ReferenceError),
    /// The target is unusable; nothing was created.
    #[error("the target is not usable, nothing was created: {0}")]
    Run(#[from] RunError),
    /// `cases export` wrote nothing.
    #[error(transparent)]
    Export(#[from] crate::built_in::ExportError),
    /// `cleanup --stale-lock` could not delete the lock.
    #[error("cannot delete the run lock on {target}: {source}")]
    StaleLock {
        /// The target.
        target: String,
        /// The answer.
        source: ApiError,
    },
    /// The admin could not log in for cleanup.
    #[error("cannot log in to {target}: {source}")]
    Login {
        /// The target.
        target: String,
        /// The answer.
        source: ApiError,
    },
}

impl CliError {
    /// The documented exit code of this error.
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Run(RunError::Client(_)) => Exit::BadInput,
            CliError::Run(_) | CliError::Login { .. } => Exit::TargetUnusable,
            // A version or deviation the embedded server cannot take is bad input.
            CliError::Reference(
                ReferenceError::InvalidVersion { .. }
                | ReferenceError::UnknownDeviation { .. }
                | ReferenceError::UnknownEndpoint { .. },
            ) => Exit::BadInput,
            CliError::Reference(_) => Exit::TargetUnusable,
            CliError::StaleLock { .. } => Exit::Leftovers,
            _ => Exit::BadInput,
        }
    }

    /// Prints the error (diagnostics with their file, line and snippet first) to stderr and
    /// gives its exit code.
    pub fn report(&self) -> Exit {
        let renderer = annotate_snippets::Renderer::styled();
        let diagnostics = match self {
            CliError::Cases(errors) | CliError::CheckCases(errors) => &errors.0[..],
            CliError::Expectations(ExpectationsError::Invalid(problems))
            | CliError::ExpectationsUnchanged(ExpectationsError::Invalid(problems)) => {
                &problems[..]
            }
            _ => &[],
        };
        for d in diagnostics {
            anstream::eprintln!("{}\n", d.render(&renderer));
        }
        anstream::eprintln!("error: {self}");
        if let Some(hint) = self.hint() {
            anstream::eprintln!("hint: {hint}");
        }
        self.exit()
    }
}

impl CliError {
    /// What to try when the error is about where the suite is read from.
    fn hint(&self) -> Option<&'static str> {
        match self {
            CliError::Specs(SpecsError::Model(PremiseModelError::Read { .. }))
            | CliError::Check(CheckError::Specs(SpecsError::Model(PremiseModelError::Read {
                ..
            }))) => Some(
                "--specs (RC_CONFORM_SPECS) names a directory holding premises.yaml and schemas/; without it the specs built into rc-conform are used",
            ),
            CliError::Cases(LoadErrors(d)) | CliError::CheckCases(LoadErrors(d))
                if d.iter().any(|d| d.message.contains("does not exist")) =>
            {
                Some(
                    "--cases (RC_CONFORM_CASES) names a directory of case files; without it the cases built into rc-conform run (`rc-conform cases export DIR` writes them out)",
                )
            }
            _ => None,
        }
    }
}

impl From<CheckError> for CliError {
    fn from(e: CheckError) -> Self {
        match e {
            CheckError::Load(errors) => CliError::CheckCases(errors),
            other => CliError::Check(other),
        }
    }
}

impl From<LoadErrors> for CliError {
    fn from(e: LoadErrors) -> Self {
        CliError::Cases(e)
    }
}
