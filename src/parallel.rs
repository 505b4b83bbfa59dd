//! Two pieces of independent work on the two cores a command usually has.

use std::thread;

/// Stack of the threads started here: deep documents are walked recursively, and a stack
/// overflow aborts the process, which no error handling can turn into a message (address
/// space only, until used).
const STACK: usize = 64 << 20;

/// A builder for a helper thread, with the stack the walks need.
pub fn worker() -> thread::Builder {
    thread::Builder::new().stack_size(STACK)
}

/// Runs `other` on a new thread while `here` runs on this one, and returns both results. A
/// panic in either is the caller's panic. When no thread can be had, `other` runs here too.
pub fn join<A, B>(other: impl Fn() -> A + Sync, here: impl FnOnce() -> B) -> (A, B)
where
    A: Send,
{
    thread::scope(|scope| {
        let spawned = worker().spawn_scoped(scope, &other);
        let here = here();
        let other = match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload)),
            Err(_) => other(),
        };
        (other, here)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_results_come_back_and_panics_propagate() {
        let data = [1, 2, 3];
        let (sum, len) = join(|| data.iter().sum::<i32>(), || data.len());
        assert_eq!((sum, len), (6, 3));
        let caught = std::panic::catch_unwind(|| join(|| panic!("worker"), || 1));
        assert!(caught.is_err());
    }
}
