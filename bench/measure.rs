//! Running one command as a child process and measuring it: wall time, CPU time and peak
//! resident memory. Peak memory is only knowable per process, which is why every figure of
//! the bench (the floors too) is a separate process.
//!
//! The bench does not spawn the measured command itself. On Linux a process's `ru_maxrss`
//! starts from the high-water mark of the memory it replaced at exec, which for a child of
//! the bench is the bench's own (hundreds of MB once it has generated the large apps), so a
//! tiny command would report the bench's peak. Instead the bench re-executes itself with
//! [`MEASURED_FLAG`]: that fresh, small process spawns the command, reaps it with `wait4`
//! and prints the figures on stdout. The command's peak then starts from the intermediary's
//! few MB.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The hidden first argument that turns the bench binary into the measuring intermediary:
/// `BENCH --run-measured -- PROGRAM ARGS...`.
pub const MEASURED_FLAG: &str = "--run-measured";

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

/// Measures `cmd` (program, arguments, working directory and environment are taken from it;
/// its stdio settings are not) through the intermediary. The command's stdin and stdout are
/// null; its stderr goes to `stderr`.
#[cfg(unix)]
pub fn run(cmd: &Command, stderr: &Path) -> io::Result<Sample> {
    let me = std::env::current_exe()?;
    let mut wrapper = Command::new(me);
    wrapper
        .arg(MEASURED_FLAG)
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        wrapper.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => wrapper.env(key, v),
            None => wrapper.env_remove(key),
        };
    }
    let output = wrapper
        .stdin(Stdio::null())
        .stderr(File::create(stderr)?)
        .output()?;
    let report = String::from_utf8_lossy(&output.stdout);
    parse_report(report.trim()).ok_or_else(|| {
        io::Error::other(format!(
            "the measuring intermediary failed ({}): {}",
            output.status,
            std::fs::read_to_string(stderr)
                .unwrap_or_default()
                .lines()
                .last()
                .unwrap_or("")
        ))
    })
}

/// Without `wait4` there is no peak memory to protect, so the command runs directly.
#[cfg(not(unix))]
pub fn run(cmd: &Command, stderr: &Path) -> io::Result<Sample> {
    let mut direct = Command::new(cmd.get_program());
    direct.args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        direct.current_dir(dir);
    }
    let start = Instant::now();
    let status = direct
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(stderr)?)
        .status()?;
    let wall = start.elapsed();
    Ok(Sample {
        wall,
        cpu: wall,
        peak_rss: None,
        exit_code: status.code(),
    })
}

/// The report line of the intermediary: wall and CPU nanoseconds, peak RSS in bytes, then
/// the exit code or `-` when a signal ended the command.
fn format_report(s: &Sample) -> String {
    format!(
        "{} {} {} {}",
        s.wall.as_nanos(),
        s.cpu.as_nanos(),
        s.peak_rss.unwrap_or(0),
        s.exit_code
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into())
    )
}

fn parse_report(line: &str) -> Option<Sample> {
    let mut fields = line.split_whitespace();
    let mut number = || fields.next()?.parse::<u64>().ok();
    let wall = Duration::from_nanos(number()?);
    let cpu = Duration::from_nanos(number()?);
    let rss = number()?;
    let exit_code = match fields.next()? {
        "-" => None,
        code => Some(code.parse().ok()?),
    };
    Some(Sample {
        wall,
        cpu,
        peak_rss: (rss > 0).then_some(rss),
        exit_code,
    })
}

/// The intermediary's `main`: `args` are what follows [`MEASURED_FLAG`].
pub fn measured_main(args: &[OsString]) -> ExitCode {
    let command = match args {
        [dash, program, rest @ ..] if dash == "--" => (program, rest),
        _ => {
            eprintln!("usage: {MEASURED_FLAG} -- PROGRAM [ARGS...]");
            return ExitCode::from(2);
        }
    };
    let mut cmd = Command::new(command.0);
    cmd.args(command.1)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    match spawn_and_wait(&mut cmd) {
        Ok(sample) => {
            println!("{}", format_report(&sample));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{MEASURED_FLAG}: {}: {e}", command.0.to_string_lossy());
            ExitCode::from(2)
        }
    }
}

#[cfg(unix)]
fn spawn_and_wait(cmd: &mut Command) -> io::Result<Sample> {
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
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
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
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
fn spawn_and_wait(cmd: &mut Command) -> io::Result<Sample> {
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
