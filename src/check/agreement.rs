//! Holding a case against the premise model: at one version of each line the model knows,
//! every call's expectation must equal the model's prediction, field by field.

use std::sync::Arc;

use crate::case::{Case, Expectation, MessageExpectation, Version};
use crate::spec::coverage::Coverage;
use crate::spec::predict::{Decision, Prediction, predict_case, version_of};
use crate::spec::premise::{Answer, PremiseModel};

/// A case whose expectation differs from the model's prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The case.
    pub case_id: String,
    /// Where the call (or case) is written.
    pub origin: String,
    /// Which field, e.g. `calls[0].expect.errorType`.
    pub field: String,
    /// What the case says.
    pub case_says: String,
    /// What the model predicts.
    pub model_says: String,
}

/// Compares each call of `case` with the model at every version point the model
/// distinguishes within the case's range (the default version and each threshold), using the
/// expectation that applies there, and records coverage at the case's first version.
pub fn hold_against_model(
    model: &PremiseModel,
    case: &Case,
    coverage: &mut Coverage,
) -> Vec<Disagreement> {
    let mut out = Vec::new();
    let points = version_points(model, case);
    for (n, version) in points.iter().enumerate() {
        let predictions = predict_case(model, case, version);
        let at = if points.len() > 1 {
            format!(" at server version {version}")
        } else {
            String::new()
        };
        let mut push = |origin: &str, field: String, case_says: String, model_says: String| {
            out.push(Disagreement {
                case_id: case.id.to_string(),
                origin: origin.to_owned(),
                field,
                case_says,
                model_says: format!("{model_says}{at}"),
            });
        };
        if n == 0
            && let Some(first) = predictions.first()
            && case.premise != first.placement.decision.name()
        {
            push(
                &case.origin.to_string(),
                "premise".into(),
                case.premise.to_string(),
                describe(&first.placement.decision),
            );
        }
        for (i, (call, prediction)) in case.calls.iter().zip(&predictions).enumerate() {
            if n == 0 {
                coverage.record(&case.id, case.endpoint, prediction);
            }
            let which = match call
                .alternatives
                .iter()
                .position(|a| a.versions.contains(version))
            {
                Some(j) => format!("alternatives[{j}].expect"),
                None => "expect".to_owned(),
            };
            for (field, says, predicted) in compare(call.expectation_for(Some(version)), prediction)
            {
                push(
                    &call.origin.to_string(),
                    format!("calls[{i}].{which}.{field}"),
                    says,
                    predicted,
                );
            }
        }
    }
    out
}

/// [`hold_against_model`] for every case of a suite, spread over the machine's cores: the
/// disagreements in case order, and the coverage of the model, the same as one by one.
pub fn hold_all_against_model(
    model: &PremiseModel,
    cases: &[Arc<Case>],
) -> (Coverage, Vec<Disagreement>) {
    // Contiguous runs of cases, each with its own coverage, absorbed in order afterwards.
    let runs: Vec<&[Arc<Case>]> = cases.chunks(RUN).collect();
    let held = crate::parallel::in_parallel(&runs, |run| {
        let mut coverage = Coverage::new(model);
        let mut disagreements = Vec::new();
        for case in *run {
            disagreements.extend(hold_against_model(model, case, &mut coverage));
        }
        (coverage, disagreements)
    });
    let mut coverage = Coverage::new(model);
    let mut disagreements = Vec::new();
    for (part, found) in held {
        coverage.absorb(part);
        disagreements.extend(found);
    }
    (coverage, disagreements)
}

/// Cases per unit of parallel work in [`hold_all_against_model`].
const RUN: usize = 256;

/// The versions at which `case` is held against the model: the model's default version and
/// every version threshold it knows, kept when inside the case's range (the range's own
/// lower bound stands in when the default lies below it).
pub fn version_points(model: &PremiseModel, case: &Case) -> Vec<Version> {
    let mut points: Vec<Version> = model
        .lines
        .iter()
        .map(crate::spec::lines::Line::emulated)
        .chain(case.versions.since.clone())
        .filter(|v| case.versions.contains(v))
        .collect();
    for alt in case.calls.iter().flat_map(|c| &c.alternatives) {
        if let Some(since) = &alt.versions.since
            && case.versions.contains(since)
        {
            points.push(since.clone());
        }
    }
    points.sort();
    points.dedup();
    if points.is_empty() {
        points.push(version_of(model, case.versions.since.as_ref()));
    }
    points
}

fn describe(decision: &Decision) -> String {
    match decision {
        Decision::Premise(p) => format!("success through premise `{p}`"),
        Decision::Failure(k) => format!("failure `{k}`"),
    }
}

fn show<T: std::fmt::Debug>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or("(not stated)".to_owned(), |v| format!("{v:?}"))
}

/// A difference: `(field, what the case says, what the model predicts)`.
type Difference = (String, String, String);

/// Field-by-field differences between an expectation and a prediction.
fn compare(expect: &Expectation, p: &Prediction) -> Vec<Difference> {
    let why = format!(" ({})", describe(&p.placement.decision));
    let mut out = compare_answer(expect, &p.answer, &why);
    for (k, answer) in p.together.iter().enumerate() {
        let why = format!(" (the answer to concurrent body {})", k + 2);
        out.extend(
            compare_answer(expect, answer, &why)
                .into_iter()
                .map(|(field, says, model)| (format!("{field} (body {})", k + 2), says, model)),
        );
    }
    out.extend(compare_effects(expect, p, &why));
    out.extend(compare_messages(expect, p, &why));
    if expect.answer_room.is_some() && p.answer.status != 200 {
        out.push((
            "answer_room".into(),
            "the room object of a 200 answer".into(),
            format!("no 200 answer{why}"),
        ));
    }
    out
}

/// The differences in the recorded system messages: per room, the same messages in any
/// order (an invite adds its users concurrently).
fn compare_messages(expect: &Expectation, p: &Prediction, why: &str) -> Vec<Difference> {
    let mut out = Vec::new();
    for (room, wanted) in &expect.messages_after {
        let predicted: Vec<&MessageExpectation> = if p.room.as_ref() == Some(room) {
            p.messages.iter().collect()
        } else {
            Vec::new()
        };
        let mut left = predicted.clone();
        let mut same = wanted.len() == predicted.len();
        for m in wanted {
            match left.iter().position(|q| *q == m) {
                Some(i) => {
                    left.remove(i);
                }
                None => same = false,
            }
        }
        if !same {
            out.push((
                format!("messages_after.{}", room.name()),
                show_messages(wanted.iter()),
                format!("{}{why}", show_messages(predicted.into_iter())),
            ));
        }
    }
    out
}

/// Messages as `[au by admin naming bob, …]`.
fn show_messages<'a>(messages: impl Iterator<Item = &'a MessageExpectation>) -> String {
    let shown: Vec<String> = messages
        .map(|m| format!("{} by {} naming {}", m.t, m.by.name(), m.user.name()))
        .collect();
    format!("[{}]", shown.join(", "))
}

/// The differences in the answer: status, `success`, `errorType`, `error`, absent keys,
/// `details` and schema.
fn compare_answer(expect: &Expectation, a: &Answer, why: &str) -> Vec<Difference> {
    let mut out = Vec::new();
    if expect.status != a.status {
        out.push((
            "status".into(),
            expect.status.to_string(),
            format!("{}{why}", a.status),
        ));
    }
    // A whole body, when the model gives one, says whether `success` is there at all.
    let success = match &a.body {
        Some(body) => body.get("success").and_then(serde_json::Value::as_bool),
        None => Some(a.status == 200),
    };
    if expect.success.is_some() && expect.success != success {
        out.push((
            "success".into(),
            show(&expect.success),
            format!(
                "{}{why}",
                success.map_or_else(|| "no `success` key".to_owned(), |s| s.to_string())
            ),
        ));
    }
    let predicted_type = stated(a.error_type.as_ref(), a, "errorType");
    if expect.error_type != predicted_type {
        out.push((
            "errorType".into(),
            show(&expect.error_type),
            format!("{}{why}", show(&predicted_type)),
        ));
    }
    let predicted_error = stated(a.error.as_ref(), a, "error");
    if let Some(error) = &expect.error
        && predicted_error.as_ref() != Some(error)
        && a.error_template.is_none()
    {
        out.push((
            "error".into(),
            format!("{error:?}"),
            format!("{}{why}", show(&predicted_error)),
        ));
    }
    for key in &a.absent {
        if !expect.absent.contains(key) {
            out.push((
                "absent".into(),
                format!("{:?}", expect.absent),
                format!("must list `{key}`{why}"),
            ));
        }
    }
    if let Some(details) = &a.details
        && let Some(method) = expect.fields.get("/details/method")
        && details.get("method") != Some(method)
    {
        out.push((
            "fields./details/method".into(),
            method.to_string(),
            format!("{details}{why}"),
        ));
    }
    if expect.schema.as_deref() != Some(a.schema.as_str()) {
        out.push((
            "schema".into(),
            show(&expect.schema),
            format!("{:?}{why}", a.schema),
        ));
    }
    out
}

/// A text field of the predicted answer: stated on its own, or in its whole body.
fn stated(field: Option<&String>, a: &Answer, key: &str) -> Option<String> {
    field.cloned().or_else(|| {
        a.body
            .as_ref()
            .and_then(|b| b.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    })
}

/// The differences in the effects: memberships and counter changes.
fn compare_effects(expect: &Expectation, p: &Prediction, why: &str) -> Vec<Difference> {
    let mut out = Vec::new();
    for (room, m) in &expect.members_after {
        let Some(after) = p.members_after.get(room) else {
            continue;
        };
        for u in &m.includes {
            if !after.contains(u) {
                out.push((
                    format!("members_after.{}.includes", room.name()),
                    u.name().to_owned(),
                    format!("`{}` is not a member afterwards{why}", u.name()),
                ));
            }
        }
        for u in &m.excludes {
            if after.contains(u) {
                out.push((
                    format!("members_after.{}.excludes", room.name()),
                    u.name().to_owned(),
                    format!("`{}` is a member afterwards{why}", u.name()),
                ));
            }
        }
    }
    for (room, delta) in &expect.room_delta {
        let added = if p.room.as_ref() == Some(room) {
            p.added.len() as i64
        } else {
            0
        };
        for (name, value) in [("usersCount", delta.users_count), ("msgs", delta.msgs)] {
            if let Some(v) = value
                && v != added
            {
                out.push((
                    format!("room_delta.{}.{name}", room.name()),
                    v.to_string(),
                    format!("{added}{why}"),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{hold_against_model, hold_all_against_model};
    use crate::case::Case;
    use crate::spec::Specs;
    use crate::spec::coverage::Coverage;

    #[test]
    fn held_in_parallel_the_cases_give_the_disagreements_and_coverage_of_one_by_one() {
        let root = camino::Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let specs = Specs::load(&root.join("specs")).expect("specs");
        let suite = specs.load_cases(&root.join("cases")).expect("cases");
        // Several runs' worth of cases; every fifth claims `not-allowed`, so some disagree.
        let cases: Vec<Arc<Case>> = (0..4)
            .flat_map(|copy| {
                suite.cases.iter().enumerate().map(move |(i, c)| {
                    let mut case = Case::clone(c);
                    case.id = format!("{}/copy-{copy}", c.id).into();
                    if i % 5 == 0 {
                        case.premise = "not-allowed".into();
                    }
                    Arc::new(case)
                })
            })
            .collect();
        assert!(cases.len() > 2 * super::RUN);
        let mut one_by_one = Coverage::new(&specs.model);
        let mut expected = Vec::new();
        for case in &cases {
            expected.extend(hold_against_model(&specs.model, case, &mut one_by_one));
        }
        let (coverage, disagreements) = hold_all_against_model(&specs.model, &cases);
        assert!(!expected.is_empty());
        assert_eq!(disagreements, expected);
        assert_eq!(coverage.required, one_by_one.required);
        assert_eq!(coverage.extra, one_by_one.extra);
        assert_eq!(coverage.matrix, one_by_one.matrix);
    }
}
