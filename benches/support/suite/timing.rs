//! Timing: wall and processor time of a stretch, and the medians and ranges the tables quote.
#![allow(dead_code)] // shared by the suite and latency benchmarks; each uses part of it

use std::time::{Duration, Instant};

/// The processor time of this process so far, every thread's (Linux: each thread's
/// `schedstat`, in nanoseconds), or zero where it cannot be read.
fn process_cpu() -> Duration {
    let threads = std::fs::read_dir("/proc/self/task").into_iter().flatten();
    let nanos = threads
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// Wall and processor time of one timed stretch.
#[derive(Clone, Copy, Default)]
pub(crate) struct Took {
    /// Wall time.
    pub(crate) wall: Duration,
    /// This process's processor time (zero where only wall time is measured).
    pub(crate) cpu: Duration,
}

/// Starts timing a stretch: its [`Took`] once `end` is called.
pub(crate) struct Timer(Instant, Duration);

impl Timer {
    /// Starts now.
    pub(crate) fn start() -> Timer {
        Timer(Instant::now(), process_cpu())
    }

    /// The stretch since the start.
    pub(crate) fn end(self) -> Took {
        Took {
            wall: self.0.elapsed(),
            cpu: process_cpu().saturating_sub(self.1),
        }
    }
}

/// The median of `values` (the upper one of an even count), or zero for none.
pub(crate) fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.into_iter().collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// The smallest and largest of `values`.
pub(crate) fn range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(r), hi.max(r)))
}

/// Milliseconds, for the tables.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Paired runs per setting: `RC_CONFORM_BENCH_RUNS`, else `default`.
pub(crate) fn runs(default: usize) -> usize {
    std::env::var("RC_CONFORM_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}
