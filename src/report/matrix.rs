//! The compatibility matrix (premise × endpoint × room type) and the orders its rows and
//! columns follow, shared by the Markdown and HTML reports.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{RunReport, Verdict};
use crate::api::{Endpoint, RoomType};

/// Premises and failure kinds of `report` in the order of the premise model the run used;
/// names the model does not know follow in order of first appearance.
pub(crate) fn premise_order(report: &RunReport) -> Vec<String> {
    let present = |p: &String| report.cases.iter().any(|c| &c.premise == p);
    let mut order: Vec<String> = report
        .premise_order
        .iter()
        .filter(|p| present(p))
        .cloned()
        .collect();
    for case in &report.cases {
        if !order.iter().any(|p| case.premise == *p) {
            order.push(case.premise.to_string());
        }
    }
    order
}

/// Endpoints of `report`, in display order.
pub(crate) fn endpoint_order(report: &RunReport) -> Vec<Endpoint> {
    Endpoint::ALL
        .into_iter()
        .filter(|e| report.cases.iter().any(|c| c.endpoint == *e))
        .collect()
}

/// The room-type columns of each endpoint: the four room types, then `-` (no room resolved).
/// The omnichannel column `l` is shown only when a case of the report resolves such a room.
pub(crate) const ROOM_COLUMNS: [&str; 5] = ["c", "p", "d", "l", "-"];

/// The room-type columns `report` shows: [`ROOM_COLUMNS`], without `l` when no case has it.
fn room_columns(report: &RunReport) -> Vec<&'static str> {
    let omnichannel = RoomType::Omnichannel.code();
    let has_omnichannel = report
        .cases
        .iter()
        .any(|c| c.room_type == Some(RoomType::Omnichannel));
    ROOM_COLUMNS
        .into_iter()
        .filter(|t| has_omnichannel || *t != omnichannel)
        .collect()
}

/// The compatibility matrix: premises × (endpoint × room type), counting cases.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Matrix {
    /// Column heads, endpoint-major.
    pub(crate) columns: Vec<MatrixColumn>,
    /// One row per premise or failure kind, in model order.
    pub(crate) rows: Vec<MatrixRow>,
}

/// A column of the matrix.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MatrixColumn {
    /// Endpoint name.
    pub(crate) endpoint: String,
    /// `c`, `p`, `d`, `l` or `-`.
    pub(crate) room_type: String,
}

/// A row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MatrixRow {
    /// Premise or failure kind.
    pub(crate) premise: String,
    /// One cell per column.
    pub(crate) cells: Vec<MatrixCell>,
}

/// The cases of one premise × endpoint × room type.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct MatrixCell {
    /// Passed (pass or flaky).
    pub(crate) passed: usize,
    /// Cases that ran (everything but skipped).
    pub(crate) total: usize,
    /// Cases that fail the gate (fail, error, unexpected pass; non-strict when strict).
    pub(crate) failed: usize,
    /// Cases whose contract held with an exact detail that differs.
    pub(crate) non_strict: usize,
    /// Expected failures.
    pub(crate) expected_fail: usize,
    /// Skipped cases.
    pub(crate) skipped: usize,
    /// `none`, `skipped`, `failed`, `expected-fail`, `non-strict` or `passed`: the cell's
    /// state.
    pub(crate) state: &'static str,
    /// The cell as text: `passed/total`, with ❌ when any failed, `·` when no case is there.
    pub(crate) text: String,
}

impl Matrix {
    /// The matrix of `report`.
    pub(crate) fn of(report: &RunReport) -> Matrix {
        let shown = room_columns(report);
        let columns: Vec<MatrixColumn> = endpoint_order(report)
            .into_iter()
            .flat_map(|endpoint| {
                shown.iter().map(move |t| MatrixColumn {
                    endpoint: endpoint.name().to_owned(),
                    room_type: (*t).to_owned(),
                })
            })
            .collect();
        let mut cells: BTreeMap<(&str, &str, &str), MatrixCell> = BTreeMap::new();
        for case in &report.cases {
            let room = case.room_type.map_or("-", RoomType::code);
            let cell = cells
                .entry((case.premise.as_str(), case.endpoint.name(), room))
                .or_default();
            match case.verdict {
                Verdict::Skipped => cell.skipped += 1,
                v => {
                    cell.total += 1;
                    if matches!(v, Verdict::Pass | Verdict::Flaky | Verdict::NonStrict) {
                        cell.passed += 1;
                    }
                    if v.fails_gate(report.run.strict) {
                        cell.failed += 1;
                    }
                    if v == Verdict::NonStrict {
                        cell.non_strict += 1;
                    }
                    if v == Verdict::ExpectedFail {
                        cell.expected_fail += 1;
                    }
                }
            }
        }
        let rows = premise_order(report)
            .into_iter()
            .map(|premise| {
                let cells = columns
                    .iter()
                    .map(|col| {
                        let key = (
                            premise.as_str(),
                            col.endpoint.as_str(),
                            col.room_type.as_str(),
                        );
                        finish_cell(cells.get(&key).cloned().unwrap_or_default())
                    })
                    .collect();
                MatrixRow { premise, cells }
            })
            .collect();
        Matrix { columns, rows }
    }
}

fn finish_cell(mut cell: MatrixCell) -> MatrixCell {
    let (state, text) = if cell.total == 0 && cell.skipped == 0 {
        ("none", "·".to_owned())
    } else if cell.total == 0 {
        ("skipped", "⏭️".to_owned())
    } else if cell.failed > 0 {
        ("failed", format!("{}/{} ❌", cell.passed, cell.total))
    } else if cell.expected_fail > 0 {
        (
            "expected-fail",
            format!("{}/{} 🟡", cell.passed, cell.total),
        )
    } else if cell.non_strict > 0 {
        ("non-strict", format!("{}/{} 🔶", cell.passed, cell.total))
    } else {
        ("passed", format!("{}/{}", cell.passed, cell.total))
    };
    cell.state = state;
    cell.text = text;
    cell
}
