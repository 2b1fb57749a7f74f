//! What the benchmarks share: printing their figures and keeping them under `reports/bench/`.

/// Appends one formatted line to `$out`.
#[allow(unused_macros)] // the suite benchmark builds its tables otherwise
macro_rules! line {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

/// Prints `out` and writes it to `reports/bench/<name>.md`.
pub(crate) fn publish(name: &str, out: &str) {
    print!("{out}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/bench");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}.md")), out);
    }
}
