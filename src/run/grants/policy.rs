//! Where each elevation a plan needs goes, decided once the run lock is held and the
//! permissions are read: to a run-scoped role that stands in for the built-in role (on a
//! target with custom roles, given to the run's fixture users only), to the built-in role
//! itself (only with `--allow-global-grants` or on the embedded server), or nowhere, and the
//! cases that need it are skipped with the reason.
//!
//! A case setup's `permissions` give a permission's complete role list; the roles in it that
//! the server's list lacks are what the case adds. Removing a role from a list narrows what
//! that role may do for the group's calls and needs no stand-in. This module is pure: it
//! decides, and [`super::RunGrants`] acts.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use super::Grant;
use crate::case::{Auth, Case, UserRef};
use crate::spec::premise::{PremiseModel, Scope};
use crate::target::api::roles::RoleScope;

/// The permission fixture users get for the run when the rate limiter is bypassed.
pub(crate) const BYPASS: &str = "api-bypass-rate-limit";

/// What the target and the flags allow.
#[derive(Debug, Clone)]
pub(crate) struct Allowed<'a> {
    /// The target offers custom roles.
    pub(crate) custom_roles: bool,
    /// Built-in roles may gain permissions (`--allow-global-grants`, the embedded server).
    pub(crate) global: bool,
    /// The admin's global roles (a call made as the admin has them).
    pub(crate) admin_roles: &'a [String],
    /// The run id (run-scoped role names carry it).
    pub(crate) run_id: &'a str,
}

/// A run-scoped role to create: its name and scope, and the built-in role it stands in for
/// (`None`: the rate-limit bypass).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedRole {
    /// Its name: `rcc-<run id>-as-<built-in role>`, or `rcc-<run id>-bypass`.
    pub(crate) name: String,
    /// Its scope.
    pub(crate) scope: RoleScope,
    /// The built-in role it stands in for.
    pub(crate) stands_for: Option<String>,
}

/// The decision for a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Per group (in the order given): the complete role lists to apply, run-scoped roles
    /// named by their names (their ids replace them once created).
    pub(crate) groups: Vec<Vec<Grant>>,
    /// Cases to skip.
    pub(crate) skipped: Vec<Skipped>,
    /// The run-scoped roles to create.
    pub(crate) roles: Vec<PlannedRole>,
}

/// A permission a case adds to a built-in role.
type Addition<'a> = (&'a str, &'a str);

/// A group of the plan as the decision reads it: its grant lists and its cases (by plan
/// index).
#[derive(Debug, Clone)]
pub(crate) struct GroupInput<'a> {
    /// Permission → the complete role list the group's cases state.
    pub(crate) grants: Vec<Grant>,
    /// The cases, with their index in the plan.
    pub(crate) members: Vec<(usize, &'a Case)>,
}

/// A case that cannot run: its plan index, why, and the built-in grants it needs
/// (permission, role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    /// Index in the plan.
    pub(crate) index: usize,
    /// The skip reason the report gives.
    pub(crate) reason: String,
    /// Each grant to a built-in role it needs: (permission, role).
    pub(crate) needs: Vec<(String, String)>,
}

/// Decides where the additions of each group's grants go. `groups` are the grant lists and
/// member cases of the plan's groups; `before` the server's lists.
pub(crate) fn decide(
    groups: &[GroupInput<'_>],
    before: &IndexMap<String, Vec<String>>,
    model: &PremiseModel,
    allowed: &Allowed<'_>,
) -> Decision {
    let mut decision = Decision::default();
    let mut stand_ins: BTreeMap<String, RoleScope> = BTreeMap::new();
    for GroupInput { grants, members } in groups {
        let held = |p: &str, r: &str| before.get(p).is_some_and(|l| l.iter().any(|x| x == r));
        let added: Vec<Addition<'_>> = grants
            .iter()
            .flat_map(|(p, list)| list.iter().map(move |r| (p.as_str(), r.as_str())))
            .filter(|(p, r)| !held(p, r))
            .collect();
        let mut mirrored: BTreeSet<Addition<'_>> = BTreeSet::new();
        let mut global: BTreeSet<Addition<'_>> = BTreeSet::new();
        for &(index, case) in members {
            // Only the case's own additions decide for it: a merged group also holds other
            // cases' grants, which the premise model predicts leave its outcome unchanged
            // (run/grouping) and which those cases decide for.
            let own = |p: &str, r: &str| {
                case.setup
                    .permissions
                    .get(p)
                    .is_some_and(|list| list.iter().any(|x| x == r))
            };
            let verdicts: Vec<(Addition<'_>, Result<RoleScope, String>)> = added
                .iter()
                .filter(|&&(p, r)| own(p, r))
                .map(|&(p, r)| ((p, r), stand_in(case, p, r, model, allowed)))
                .collect();
            let refused: Vec<(&str, &str, &String)> = verdicts
                .iter()
                .filter_map(|((p, r), v)| v.as_ref().err().map(|why| (*p, *r, why)))
                .collect();
            if !refused.is_empty() && !allowed.global {
                decision.skipped.push(Skipped {
                    index,
                    reason: skip_reason(&refused),
                    needs: refused
                        .iter()
                        .map(|(p, r, _)| ((*p).to_owned(), (*r).to_owned()))
                        .collect(),
                });
                continue;
            }
            for (addition, verdict) in verdicts {
                match verdict {
                    Ok(scope) => {
                        stand_ins.insert(addition.1.to_owned(), scope);
                        mirrored.insert(addition);
                    }
                    Err(_) => {
                        global.insert(addition);
                    }
                }
            }
        }
        decision.groups.push(
            grants
                .iter()
                .map(|(p, list)| {
                    (
                        p.clone(),
                        translate(p, list, &held, &mirrored, &global, allowed),
                    )
                })
                .collect(),
        );
    }
    decision.roles = stand_ins
        .into_iter()
        .map(|(role, scope)| PlannedRole {
            name: stand_in_name(allowed.run_id, &role),
            scope,
            stands_for: Some(role),
        })
        .collect();
    decision
}

/// The list applied for `permission`: the roles the server already lists stay, an addition
/// becomes its stand-in and/or the built-in role, as decided.
fn translate(
    permission: &str,
    list: &[String],
    held: &dyn Fn(&str, &str) -> bool,
    mirrored: &BTreeSet<Addition<'_>>,
    global: &BTreeSet<Addition<'_>>,
    allowed: &Allowed<'_>,
) -> Vec<String> {
    let mut out = Vec::new();
    for role in list {
        let addition = (permission, role.as_str());
        if held(permission, role) {
            out.push(role.clone());
            continue;
        }
        if mirrored.contains(&addition) {
            out.push(stand_in_name(allowed.run_id, role));
        }
        if global.contains(&addition) {
            out.push(role.clone());
        }
    }
    out
}

/// The name of the run-scoped role that stands in for `role`.
pub(crate) fn stand_in_name(run_id: &str, role: &str) -> String {
    format!("rcc-{run_id}-as-{role}")
}

/// The name of the run-scoped role that carries the rate-limit bypass.
pub(crate) fn bypass_name(run_id: &str) -> String {
    format!("rcc-{run_id}-bypass")
}

fn skip_reason(refused: &[(&str, &str, &String)]) -> String {
    let needs: Vec<String> = refused
        .iter()
        .map(|(p, r, why)| format!("`{p}` granted to the built-in role `{r}` ({why})"))
        .collect();
    format!(
        "needs {}; a permission added to a built-in role reaches every user of the server that holds it, which only --allow-global-grants (RC_CONFORM_ALLOW_GLOBAL_GRANTS) permits",
        needs.join(" and ")
    )
}

/// Whether a run-scoped role can stand in for built-in `role` gaining `permission` in
/// `case`, and its scope; else why not.
fn stand_in(
    case: &Case,
    permission: &str,
    role: &str,
    model: &PremiseModel,
    allowed: &Allowed<'_>,
) -> Result<RoleScope, String> {
    if !allowed.custom_roles {
        return Err(
            "the target offers no custom roles to hold it for the fixture users alone".into(),
        );
    }
    let actors: Vec<&UserRef> = case
        .calls
        .iter()
        .filter_map(|c| match &c.auth {
            Auth::As(user) => Some(user),
            _ => None,
        })
        .filter(|u| !matches!(u, UserRef::Fixture(_)))
        .collect();
    if model.roles.global.iter().any(|r| r == role) {
        let holder = actors.iter().find(|u| match u {
            UserRef::Admin => allowed.admin_roles.iter().any(|r| r == role),
            UserRef::Bot => role == "bot",
            UserRef::Fixture(_) => false,
        });
        return match holder {
            Some(u) => Err(format!(
                "a call is made as `{}`, which holds it and is no fixture user",
                u.name()
            )),
            None => Ok(RoleScope::Users),
        };
    }
    if model.roles.room.iter().any(|r| r == role) {
        let room_scoped = model
            .premises
            .iter()
            .any(|p| p.permission == permission && p.scope == Scope::Room);
        if !room_scoped {
            return Err(format!(
                "`{permission}` is checked without a room, where room roles do not count"
            ));
        }
        let holder = actors.iter().find(|u| {
            case.setup
                .rooms
                .values()
                .any(|room| room.room_roles_of(u).contains(&role))
        });
        return match holder {
            Some(u) => Err(format!(
                "a call is made as `{}`, which holds it in a room of the case and is no fixture user",
                u.name()
            )),
            None => Ok(RoleScope::Subscriptions),
        };
    }
    Err("it is no role the premise model knows".into())
}
