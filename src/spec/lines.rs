//! Version lines: the generations of Rocket.Chat's invite routes that the premise model's
//! facts were established for (`specs/premises.yaml`, `lines`).
//!
//! A target is judged on the line its reported version falls in. An exact answer is judged
//! only on the lines it is established for; elsewhere (another line, a version outside every
//! line, an unknown version) only the contract is judged and the answer is recorded. This
//! module owns the lines and the question "which line, and is this answer established on
//! it"; it judges nothing itself.

use serde::{Deserialize, Serialize};

use super::premise::{Answer, EndpointModel, PremiseModel};
use crate::case::{Version, VersionRange};

/// The name of a version line, as the model spells it (`8.x`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(transparent)]
pub struct LineId(pub String);

impl std::fmt::Display for LineId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A version line: one generation of the invite routes and where its facts come from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// The line's name.
    pub id: LineId,
    /// First version of the line.
    pub since: String,
    /// First version after the line, if any.
    #[serde(default)]
    pub until: Option<String>,
    /// The version the embedded reference server runs to stand for the line.
    pub emulate: String,
    /// The Rocket.Chat sources the line's facts were read from.
    pub routes: String,
    /// Whether the routes validate closed request bodies (the typed routes).
    #[serde(default)]
    pub typed_bodies: bool,
    /// Whether the answer to a body that does not parse as a JSON object is established for
    /// the line (the router's body parsing was read).
    pub unparsed_bodies: bool,
}

impl Line {
    /// The versions of the line.
    pub fn range(&self) -> VersionRange {
        VersionRange {
            since: Version::parse(&self.since),
            until: self.until.as_deref().and_then(Version::parse),
        }
    }

    /// The version the embedded server runs for the line.
    pub fn emulated(&self) -> Version {
        Version::parse(&self.emulate).unwrap_or_else(|| Version(vec![0, 0, 0]))
    }
}

impl PremiseModel {
    /// The line named `id`.
    pub fn line(&self, id: &LineId) -> Option<&Line> {
        self.lines.iter().find(|l| &l.id == id)
    }

    /// The line `version` falls in, if any.
    pub fn line_of(&self, version: &Version) -> Option<&Line> {
        self.lines.iter().find(|l| l.range().contains(version))
    }

    /// The line whose behaviour the model predicts at `version`: the line it falls in, else
    /// the nearest one (the oldest below the first line, the newest above the last).
    pub fn behaviour_at(&self, version: &Version) -> Option<&Line> {
        self.line_of(version).or_else(|| {
            let first = self.lines.first()?;
            if first.range().since.as_ref().is_some_and(|s| version < s) {
                Some(first)
            } else {
                self.lines.last()
            }
        })
    }

    /// The lines an answer of `endpoint` is established for.
    pub fn established<'m>(
        &'m self,
        endpoint: &'m EndpointModel,
        answer: &'m Answer,
    ) -> &'m [LineId] {
        answer
            .established
            .as_deref()
            .unwrap_or(endpoint.established.as_slice())
    }
}

/// Checks the lines of `model`: versions parse, each line emulates a version of its own, the
/// default line exists, and every line an endpoint or answer names exists.
pub(super) fn consistency(model: &PremiseModel) -> Result<(), String> {
    for line in &model.lines {
        for v in [Some(&line.since), line.until.as_ref(), Some(&line.emulate)]
            .into_iter()
            .flatten()
        {
            Version::parse(v).ok_or_else(|| format!("line {}: `{v}` is not a version", line.id))?;
        }
        if !line.range().contains(&line.emulated()) {
            return Err(format!(
                "line {} emulates {}, which is outside the line",
                line.id, line.emulate
            ));
        }
    }
    let known = |id: &LineId| model.lines.iter().any(|l| &l.id == id);
    if !known(&model.default_line) {
        return Err(format!(
            "default_line `{}` is not a line",
            model.default_line
        ));
    }
    for (endpoint, em) in &model.endpoints {
        let named = em.established.iter().chain(
            em.answers
                .values()
                .flat_map(|a| a.established.iter().flatten().chain(a.on.keys())),
        );
        for id in named {
            if !known(id) {
                return Err(format!("{endpoint} names the unknown line `{id}`"));
            }
        }
    }
    Ok(())
}
