//! Coverage of the premise model: which situations the model distinguishes, which of them
//! the cases exercise, and the matrix `check` prints.
//!
//! The required cells are computed from the model, never listed by hand: for each endpoint,
//! its room type × actor membership × each single grant (or none), every other room type it
//! does not find, every failure kind it answers, and every room and invitee kind of the
//! model (a team's main room, a discussion, an omnichannel room, a banned invitee, a
//! federated-looking name).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use super::predict::{ActorMembership, Decision, Placement, Prediction};
use super::premise::{PremiseModel, Scope};
use crate::api::{Endpoint, RoomType};

/// A situation the model distinguishes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cell {
    /// The call reached the permission check.
    Authorization {
        /// The endpoint.
        endpoint: Endpoint,
        /// The room's type.
        room_type: RoomType,
        /// Whether the actor is a member.
        membership: ActorMembership,
        /// The grants the actor holds, `+`-joined, or `none`.
        grants: String,
    },
    /// The call failed before the permission check.
    Failure {
        /// The endpoint.
        endpoint: Endpoint,
        /// The room type, for failures that depend on it.
        room_type: Option<RoomType>,
        /// The failure kind.
        kind: String,
    },
    /// The call met a room or invitee kind of the model (`room_kinds`, `invitee_kinds`).
    Kind {
        /// The endpoint.
        endpoint: Endpoint,
        /// The kind's name.
        kind: String,
    },
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Authorization {
                endpoint,
                room_type,
                membership,
                grants,
            } => {
                let m = match membership {
                    ActorMembership::Member => "member",
                    ActorMembership::NonMember => "non-member",
                };
                write!(
                    f,
                    "{endpoint} · room type {room_type} · {m} · grants: {grants}"
                )
            }
            Cell::Failure {
                endpoint,
                room_type: Some(t),
                kind,
            } => write!(f, "{endpoint} · room type {t} · {kind}"),
            Cell::Failure {
                endpoint,
                room_type: None,
                kind,
            } => write!(f, "{endpoint} · {kind}"),
            Cell::Kind { endpoint, kind } => write!(f, "{endpoint} · meets {kind}"),
        }
    }
}

/// The cell a call falls in, by where the model places it.
pub fn cell_of(endpoint: Endpoint, placement: &Placement) -> Cell {
    match (&placement.authorization, placement.room_type) {
        (Some((membership, grants)), Some(room_type)) => Cell::Authorization {
            endpoint,
            room_type,
            membership: *membership,
            grants: if grants.is_empty() {
                "none".to_owned()
            } else {
                grants.iter().cloned().collect::<Vec<_>>().join("+")
            },
        },
        _ => {
            let kind = placement.decision.name().to_owned();
            let typed = matches!(kind.as_str(), "room-type-mismatch" | "direct-room");
            Cell::Failure {
                endpoint,
                room_type: if typed { placement.room_type } else { None },
                kind,
            }
        }
    }
}

/// Every cell the model requires a case for.
pub fn required_cells(model: &PremiseModel) -> Vec<Cell> {
    let mut grants: Vec<(String, bool)> = Vec::new();
    for p in &model.premises {
        grants.push((format!("{}(global-role)", p.permission), false));
        if p.scope == Scope::Room {
            grants.push((format!("{}(room-role)", p.permission), true));
        }
    }
    grants.push(("none".to_owned(), false));
    let mut cells = Vec::new();
    for endpoint in Endpoint::ALL {
        let Some(em) = model.endpoints.get(&endpoint) else {
            continue;
        };
        for &room_type in &em.room_types {
            for membership in [ActorMembership::Member, ActorMembership::NonMember] {
                for (grant, needs_membership) in &grants {
                    if *needs_membership && membership == ActorMembership::NonMember {
                        continue;
                    }
                    cells.push(Cell::Authorization {
                        endpoint,
                        room_type,
                        membership,
                        grants: grant.clone(),
                    });
                }
            }
        }
        for room_type in RoomType::ALL {
            if !em.room_types.contains(&room_type) && !em.also_finds.contains(&room_type) {
                let kind = if room_type == RoomType::Direct {
                    "direct-room"
                } else {
                    "room-type-mismatch"
                };
                cells.push(Cell::Failure {
                    endpoint,
                    room_type: Some(room_type),
                    kind: kind.to_owned(),
                });
            }
        }
        for kind in em.answers.keys() {
            if !matches!(
                kind.as_str(),
                "success" | "room-type-mismatch" | "direct-room" | "not-allowed"
            ) {
                cells.push(Cell::Failure {
                    endpoint,
                    room_type: None,
                    kind: kind.clone(),
                });
            }
        }
        for kind in model.kind_names() {
            cells.push(Cell::Kind { endpoint, kind });
        }
    }
    cells
}

/// Which cases cover which cells, and what is missing.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Every required cell with the ids of the cases that cover it.
    pub required: BTreeMap<Cell, Vec<String>>,
    /// Cells the cases reach that are not required (e.g. several grants at once).
    pub extra: BTreeMap<Cell, Vec<String>>,
    /// Count of calls per (decision, endpoint, room type) for the matrix.
    pub matrix: BTreeMap<(String, Endpoint, Option<RoomType>), usize>,
    /// Every (cell, case id) already listed in `required` or `extra`: a lookup instead of a
    /// scan of the cell's ids, which made recording quadratic in the number of cases.
    listed: HashSet<(Cell, String)>,
}

impl Coverage {
    /// A coverage with every required cell and nothing covered yet.
    pub fn new(model: &PremiseModel) -> Coverage {
        Coverage {
            required: required_cells(model)
                .into_iter()
                .map(|c| (c, Vec::new()))
                .collect(),
            ..Coverage::default()
        }
    }

    /// Records that `case_id`'s call landed in `prediction`'s cell.
    pub fn record(&mut self, case_id: &str, endpoint: Endpoint, prediction: &Prediction) {
        let kinds = prediction.placement.kinds.iter().map(|kind| Cell::Kind {
            endpoint,
            kind: kind.clone(),
        });
        for cell in std::iter::once(cell_of(endpoint, &prediction.placement)).chain(kinds) {
            let key = (cell, case_id.to_owned());
            if self.listed.contains(&key) {
                continue;
            }
            let (cell, id) = key;
            let ids = match self.required.get_mut(&cell) {
                Some(ids) => ids,
                None => self.extra.entry(cell.clone()).or_default(),
            };
            ids.push(id.clone());
            self.listed.insert((cell, id));
        }
        let decision = match &prediction.placement.decision {
            Decision::Premise(p) => p.clone(),
            Decision::Failure(k) => k.clone(),
        };
        *self
            .matrix
            .entry((decision, endpoint, prediction.placement.room_type))
            .or_default() += 1;
    }

    /// Adds what `later` recorded, as if its records had come after this coverage's own: the
    /// coverage of a suite is the coverage of its parts, absorbed in order.
    pub fn absorb(&mut self, later: Coverage) {
        let required = later.required.into_iter().map(|c| (true, c));
        let extra = later.extra.into_iter().map(|c| (false, c));
        for (is_required, (cell, ids)) in required.chain(extra) {
            for id in ids {
                let key = (cell.clone(), id);
                if self.listed.contains(&key) {
                    continue;
                }
                let list = if is_required {
                    self.required.entry(key.0.clone()).or_default()
                } else {
                    self.extra.entry(key.0.clone()).or_default()
                };
                list.push(key.1.clone());
                self.listed.insert(key);
            }
        }
        for (row, count) in later.matrix {
            *self.matrix.entry(row).or_default() += count;
        }
    }

    /// Required cells no case covers.
    pub fn uncovered(&self) -> Vec<&Cell> {
        self.required
            .iter()
            .filter(|(_, ids)| ids.is_empty())
            .map(|(c, _)| c)
            .collect()
    }

    /// Covered share of the required cells, 0.0–1.0.
    pub fn ratio(&self) -> f64 {
        if self.required.is_empty() {
            return 1.0;
        }
        let covered = self.required.values().filter(|ids| !ids.is_empty()).count();
        covered as f64 / self.required.len() as f64
    }

    /// The matrix as a Markdown table: rows are premises and failure kinds, columns are
    /// endpoint × room type (`-` where no room was resolved), cells count the calls.
    pub fn matrix_markdown(&self, rows: &[String]) -> String {
        let mut columns: Vec<(Endpoint, Option<RoomType>)> = Vec::new();
        for e in Endpoint::ALL {
            for t in RoomType::ALL {
                columns.push((e, Some(t)));
            }
            columns.push((e, None));
        }
        let mut out = String::from("| premise / failure |");
        for (e, t) in &columns {
            let t = t.map_or("-".to_owned(), |t| t.to_string());
            out.push_str(&format!(" {e} {t} |"));
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(columns.len()));
        out.push('\n');
        for row in rows {
            out.push_str(&format!("| {row} |"));
            for (e, t) in &columns {
                let n = self
                    .matrix
                    .get(&(row.clone(), *e, *t))
                    .copied()
                    .unwrap_or(0);
                if n == 0 {
                    out.push_str(" · |");
                } else {
                    out.push_str(&format!(" {n} |"));
                }
            }
            out.push('\n');
        }
        out
    }

    /// The required cells as a checklist, one line each.
    pub fn cells_markdown(&self) -> String {
        let mut out = String::new();
        for (cell, ids) in &self.required {
            let mark = if ids.is_empty() { "MISSING" } else { "ok" };
            let first = ids.first().map_or(String::new(), |i| {
                format!(
                    " ({i}{})",
                    if ids.len() > 1 {
                        format!(" +{}", ids.len() - 1)
                    } else {
                        String::new()
                    }
                )
            });
            out.push_str(&format!("- [{mark}] {cell}{first}\n"));
        }
        out
    }

    /// Ids of cases in any cell.
    pub fn covering_cases(&self) -> BTreeSet<&str> {
        self.required
            .values()
            .chain(self.extra.values())
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Specs;

    fn specs() -> Specs {
        let root = camino::Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        Specs::load(&root.join("specs")).expect("specs")
    }

    #[test]
    fn every_room_and_invitee_kind_is_required_for_both_endpoints() {
        let model = specs().model;
        let cells = required_cells(&model);
        for endpoint in Endpoint::ALL {
            for kind in [
                "team-main",
                "discussion",
                "omnichannel",
                "banned",
                "federated",
            ] {
                let cell = Cell::Kind {
                    endpoint,
                    kind: kind.to_owned(),
                };
                assert!(cells.contains(&cell), "{cell}");
            }
            let banned = Cell::Failure {
                endpoint,
                room_type: None,
                kind: "invitee-banned".to_owned(),
            };
            assert!(cells.contains(&banned), "{banned}");
        }
        let omnichannel_mismatch = |endpoint| Cell::Failure {
            endpoint,
            room_type: Some(RoomType::Omnichannel),
            kind: "room-type-mismatch".to_owned(),
        };
        // channels.invite finds omnichannel rooms; groups.invite does not.
        assert!(!cells.contains(&omnichannel_mismatch(Endpoint::ChannelsInvite)));
        assert!(cells.contains(&omnichannel_mismatch(Endpoint::GroupsInvite)));
    }

    #[test]
    fn the_suite_covers_every_kind_and_a_case_less_leaves_its_cell_uncovered() {
        let specs = specs();
        let root = camino::Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let suite = specs.load_cases(&root.join("cases")).expect("cases");
        let cover = |skip: &str| {
            let mut coverage = Coverage::new(&specs.model);
            for case in suite.cases.iter().filter(|c| c.id.as_str() != skip) {
                let at = case
                    .versions
                    .since
                    .clone()
                    .unwrap_or_else(|| crate::case::Version(vec![6, 6, 0]));
                let predicted = crate::spec::predict::predict_case(&specs.model, case, &at);
                for prediction in &predicted {
                    coverage.record(&case.id, case.endpoint, prediction);
                }
            }
            coverage
        };
        assert!(cover("").uncovered().is_empty());
        let without = cover("groups.invite/kinds/omnichannel");
        let missing: Vec<String> = without.uncovered().iter().map(|c| c.to_string()).collect();
        assert_eq!(
            missing,
            [
                "groups.invite · room type l · room-type-mismatch",
                "groups.invite · meets omnichannel"
            ]
        );
    }
}
