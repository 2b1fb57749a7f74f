//! The premise model's predictions for every case a run plans, made once, on every core,
//! before anything is sent: the merging of grant groups, the sharing plan and the verdicts
//! read them instead of each predicting again (a few percent of a run's processor time).
//!
//! It owns nothing but the predictions and the version they were made at; a case planned at
//! another version, or not planned, is predicted when asked, as before.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::plan::Plan;
use crate::case::{Case, Version};
use crate::spec::predict::{Prediction, predict_case};
use crate::spec::premise::PremiseModel;

/// Each planned case's predictions at one version, by case id, and the model that made them.
#[derive(Debug)]
pub struct Predicted {
    model: Arc<PremiseModel>,
    version: Version,
    by_id: HashMap<String, Vec<Prediction>>,
}

impl Predicted {
    /// The predictions of every case of `plan` that runs (none skipped), at `version`.
    pub fn of(plan: &Plan<'_>, model: &Arc<PremiseModel>, version: &Version) -> Predicted {
        let cases: Vec<&Case> = plan
            .cases
            .iter()
            .filter(|planned| planned.skip.is_none())
            .map(|planned| planned.case.as_ref())
            .collect();
        let predictions =
            crate::parallel::in_parallel(&cases, |case| predict_case(model, case, version));
        Predicted {
            model: model.clone(),
            version: version.clone(),
            by_id: cases
                .iter()
                .map(|case| case.id.as_str().to_owned())
                .zip(predictions)
                .collect(),
        }
    }

    /// The model that made the predictions (and makes any asked for later).
    pub fn model(&self) -> &PremiseModel {
        &self.model
    }

    /// The predictions of `case` at `version`: the ones made before the run when it was
    /// planned at that version, else made now.
    pub fn case(&self, case: &Case, version: &Version) -> Cow<'_, [Prediction]> {
        match self.by_id.get(case.id.as_str()) {
            Some(made) if self.version == *version => Cow::Borrowed(made),
            _ => Cow::Owned(predict_case(&self.model, case, version)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::grouping::tests::loaded;
    use crate::run::plan::plan;

    #[test]
    fn the_predictions_made_before_the_run_are_the_ones_made_when_asked() {
        let (specs, suite) = loaded();
        let version = Version::parse("8.5.0").expect("version");
        let planned = plan(&suite, None, None, &version);
        let predicted = Predicted::of(&planned, &specs.model, &version);
        assert_eq!(predicted.by_id.len(), planned.selected());
        for case in planned.cases.iter().map(|p| p.case.as_ref()) {
            let fresh = predict_case(&specs.model, case, &version);
            assert_eq!(predicted.case(case, &version), fresh);
        }
        // At another version the case is predicted anew, not read from the run's.
        let other = Version::parse("6.6.0").expect("version");
        let case = planned.cases[0].case.as_ref();
        assert!(matches!(predicted.case(case, &other), Cow::Owned(_)));
        assert_eq!(
            predicted.case(case, &other),
            predict_case(&specs.model, case, &other)
        );
    }
}
