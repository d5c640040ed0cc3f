//! What the benches read about their own process and host from Linux (the peak resident
//! set size, the load average) and from their environment (the sizes to run). Shared with the fetch bench of connector-kingoftime
//! (included by path).

/// The process's peak resident set size in kB, as Linux reports it (VmHWM).
pub(crate) fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `/proc/loadavg` as it reads (1, 5 and 15-minute averages, tasks, last pid).
pub(crate) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|load| load.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

/// The employee counts listed in the environment variable `name` (`10000,100000`), or
/// 10,000, 100,000 and 1,000,000.
pub(crate) fn sizes(name: &str) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|s| s.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000])
}
