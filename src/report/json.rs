//! `report.json`: the [`RunReport`] as versioned JSON (format described by
//! specs/report.schema.json).

use std::io::Write as _;

use camino::Utf8Path;

use super::model::RunReport;

/// Writes the JSON report into the file at `path` (a run's `report.json`), serialized
/// straight into the file (through a buffer) rather than into a string first.
pub fn write(path: &Utf8Path, report: &RunReport) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::with_capacity(64 * 1024, fs_err::File::create(path)?);
    serde_json::to_writer_pretty(&mut file, report).map_err(std::io::Error::other)?;
    file.write_all(b"\n")?;
    file.flush()
}

/// Reads a `report.json`.
pub fn read(path: &Utf8Path) -> std::io::Result<RunReport> {
    let text = fs_err::read_to_string(path)?;
    serde_json::from_str(&text)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{path}: {e}")))
}
