//! Merging grant groups: fewer permission changes, so fewer waits for them to take effect.
//!
//! The plan groups cases by the exact grant set their setups state. Two grant groups can run
//! as one when their grants do not contradict each other (no permission with two role lists)
//! and the premise model predicts, for every case of both, the very same outcome under the
//! union of the grants as under the case's own: the same decision, answer, memberships and
//! the same grants the actor holds at the permission check. The last one matters beyond the
//! answer: a case whose actor would hold one more grant could pass on a server that ignores
//! the rule the case is about, so such a case is never merged. The group of the server's own
//! permissions is left alone (it needs no change and no wait).

use super::plan::{Group, Plan};
use super::predicted::Predicted;
use crate::case::{Case, Version};
use crate::spec::predict::predict_case_granted;

/// A permission and the complete role list it gets.
type Grant = (String, Vec<String>);

/// Merges the grant groups of `plan` where the model says no verdict changes (see the module
/// documentation); the group without grants stays first. Each case's prediction under its own
/// grants is read from `predicted` (made for this plan), not made again for every candidate.
pub fn merge(plan: &mut Plan<'_>, version: &Version, predicted: &Predicted) {
    let groups = std::mem::take(&mut plan.groups);
    let mut merged: Vec<Group> = Vec::new();
    for group in groups {
        if group.grants.is_empty() {
            merged.insert(0, group);
            continue;
        }
        let into = merged.iter().position(|m| {
            if m.grants.is_empty() {
                return false;
            }
            let Some(union) = union(&m.grants, &group.grants) else {
                return false;
            };
            m.members
                .iter()
                .chain(&group.members)
                .all(|&i| unchanged(predicted, plan.cases[i].case, version, &union))
        });
        match into {
            Some(i) => {
                let target = &mut merged[i];
                target.grants = union(&target.grants, &group.grants).unwrap_or_default();
                target.members.extend(group.members);
                target.members.sort_unstable();
                target.sets += group.sets;
            }
            None => merged.push(group),
        }
    }
    plan.groups = merged;
}

/// The union of two grant lists, sorted; `None` when a permission gets two role lists.
fn union(a: &[Grant], b: &[Grant]) -> Option<Vec<Grant>> {
    let mut all: Vec<Grant> = a.to_vec();
    for (permission, roles) in b {
        match all.iter().find(|(p, _)| p == permission) {
            Some((_, have)) if have == roles => {}
            Some(_) => return None,
            None => all.push((permission.clone(), roles.clone())),
        }
    }
    all.sort();
    Some(all)
}

/// Whether the model predicts the same for `case` under `grants` as under its own grants.
fn unchanged(predicted: &Predicted, case: &Case, version: &Version, grants: &[Grant]) -> bool {
    *predicted.case(case, version)
        == *predict_case_granted(predicted.model(), case, version, grants)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::run::plan::plan;
    use crate::spec::Specs;

    /// The repository's specs and cases, loaded from the checkout.
    pub(crate) fn loaded() -> (Specs, crate::case::Suite) {
        let root = camino::Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let specs = Specs::load(&root.join("specs")).expect("specs");
        let suite = specs.load_cases(&root.join("cases")).expect("cases");
        (specs, suite)
    }

    #[test]
    fn merged_groups_keep_every_prediction_and_are_fewer() {
        let (specs, suite) = loaded();
        for version in ["6.6.0", "7.4.0", "8.5.0", "9.0.0"] {
            let version = Version::parse(version).expect("version");
            let mut planned = plan(&suite, None, None, &version);
            let before = planned
                .groups
                .iter()
                .filter(|g| !g.grants.is_empty())
                .count();
            let predicted = Predicted::of(&planned, &specs.model, &version);
            merge(&mut planned, &version, &predicted);
            let after = planned
                .groups
                .iter()
                .filter(|g| !g.grants.is_empty())
                .count();
            assert!(
                after < before,
                "{version}: {before} grant groups, {after} merged"
            );
            assert!(
                planned.groups[0].grants.is_empty(),
                "the server's own first"
            );
            for group in &planned.groups {
                for &i in &group.members {
                    let case = planned.cases[i].case;
                    assert!(
                        unchanged(&predicted, case, &version, &group.grants),
                        "{} would change under {:?}",
                        case.id,
                        group.grants
                    );
                }
            }
        }
    }

    #[test]
    fn a_case_whose_outcome_a_merged_grant_changes_is_never_merged() {
        let (specs, suite) = loaded();
        let version = Version::parse("8.5.0").expect("version");
        // A plain member refused for lack of add-user-to-joined-room would be allowed under
        // add-user-to-any-c-room: [admin, user]; a member allowed by the joined-room grant
        // would hold one more grant under it. Neither group may absorb the other.
        let ids = [
            "channels.invite/no-grant/member",
            "channels.invite/any-c-room/member",
            "channels.invite/joined-room/global-role-grant",
        ];
        let filter = crate::run::plan::Filter::exactly(ids);
        let mut planned = plan(&suite, Some(&filter), None, &version);
        let predicted = Predicted::of(&planned, &specs.model, &version);
        let case = |id: &str| {
            planned
                .cases
                .iter()
                .find(|p| p.case.id.as_str() == id)
                .map(|p| p.case.clone())
                .expect("the case is in the suite")
        };
        let any_c = vec![(
            "add-user-to-any-c-room".to_owned(),
            vec!["admin".to_owned(), "user".to_owned()],
        )];
        assert!(!unchanged(&predicted, &case(ids[0]), &version, &any_c));
        let groups_before = planned.groups.len();
        merge(&mut planned, &version, &predicted);
        assert_eq!(planned.groups.len(), groups_before, "{:#?}", planned.groups);
    }
}
