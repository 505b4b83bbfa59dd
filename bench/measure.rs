//! Running one command as a child process and measuring it: wall time, CPU time and peak
//! resident memory. Peak memory is only knowable per process, which is why every figure of
//! the bench (the floors too) is a separate process.

use std::process::Command;
use std::time::{Duration, Instant};

/// One run of one command.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    pub cpu: Duration,
    /// Peak resident set size in bytes; `None` where the OS does not report it.
    pub peak_rss: Option<u64>,
    pub exit_code: Option<i32>,
}

/// Several runs of the same command, summarized.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub runs: usize,
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
    pub cpu_median: Duration,
    pub peak_rss: Option<u64>,
}

impl Stats {
    pub fn of(samples: &[Sample]) -> Option<Stats> {
        let mut walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        let mut cpus: Vec<Duration> = samples.iter().map(|s| s.cpu).collect();
        walls.sort();
        cpus.sort();
        let mut rss: Vec<u64> = samples.iter().filter_map(|s| s.peak_rss).collect();
        rss.sort_unstable();
        Some(Stats {
            runs: samples.len(),
            median: median(&walls)?,
            min: *walls.first()?,
            max: *walls.last()?,
            cpu_median: median(&cpus)?,
            peak_rss: median(&rss),
        })
    }
}

fn median<T: Copy>(sorted: &[T]) -> Option<T> {
    sorted.get(sorted.len() / 2).copied()
}

#[cfg(unix)]
pub fn run(cmd: &mut Command) -> std::io::Result<Sample> {
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; zero is a valid value for every field.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, not yet reaped (std only reaps in wait/try_wait);
        // status and usage point to live locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let wall = start.elapsed();
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    // Linux reports ru_maxrss in KiB, macOS in bytes.
    let unit: u64 = if cfg!(target_os = "macos") { 1 } else { 1024 };
    let exit_code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Ok(Sample {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        peak_rss: u64::try_from(usage.ru_maxrss).ok().map(|kb| kb * unit),
        exit_code,
    })
}

#[cfg(not(unix))]
pub fn run(cmd: &mut Command) -> std::io::Result<Sample> {
    let start = Instant::now();
    let status = cmd.status()?;
    let wall = start.elapsed();
    Ok(Sample {
        wall,
        cpu: wall,
        peak_rss: None,
        exit_code: status.code(),
    })
}
