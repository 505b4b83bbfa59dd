//! What a bug looks like from outside. Git reads a merge driver's exit code: 0 is a clean
//! merge, 1 to 128 a conflict (it takes `%A` as the result), above 128 a failed driver (the
//! merge stops and the work tree keeps what it had). A panic therefore exits with
//! [`INTERNAL_ERROR_EXIT`], like a driver killed by a signal, never 0; and every write is atomic
//! and comes last, so a panic never leaves a truncated `%A` behind.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe, Location, PanicHookInfo};
use std::process::ExitCode;

/// Exit code of a command that hit a bug: above 128, so git treats the driver as failed rather
/// than taking `%A` as a resolution.
pub const INTERNAL_ERROR_EXIT: u8 = 129;

/// The one line printed for a panic.
pub fn panic_line(payload: &(dyn Any + Send), location: Option<&Location<'_>>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = location
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!(
        "msapp-merge: internal error (a bug in msapp-merge): {message}{at}; every file is as it was before this command or completely written, none half-written"
    )
}

/// Replaces the default hook (several lines and a backtrace hint) with [`panic_line`].
pub fn install_hook() {
    panic::set_hook(Box::new(|info: &PanicHookInfo<'_>| {
        eprintln!("{}", panic_line(info.payload(), info.location()));
    }));
}

/// Runs a command; a panic becomes [`INTERNAL_ERROR_EXIT`] after the hook has printed it.
pub fn guarded(command: impl FnOnce() -> ExitCode) -> ExitCode {
    panic::catch_unwind(AssertUnwindSafe(command))
        .unwrap_or_else(|_| ExitCode::from(INTERNAL_ERROR_EXIT))
}
