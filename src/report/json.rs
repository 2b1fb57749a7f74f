//! `report.json`: the [`RunReport`] as versioned JSON (format described by
//! specs/report.schema.json).

use camino::Utf8Path;

use super::model::RunReport;

/// Writes `report.json` into `dir`.
pub fn write(dir: &Utf8Path, report: &RunReport) -> std::io::Result<()> {
    fs_err::create_dir_all(dir)?;
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    fs_err::write(dir.join("report.json"), text + "\n")
}

/// Reads a `report.json`.
pub fn read(path: &Utf8Path) -> std::io::Result<RunReport> {
    let text = fs_err::read_to_string(path)?;
    serde_json::from_str(&text)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{path}: {e}")))
}
