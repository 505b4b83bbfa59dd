//! Small process-wide memos for work that a merge repeats on identical input: the same
//! templates and theme are read by every unpack and pack of one merge (three sides, the
//! merged tree, the re-read merged app), and the same template XML is pretty-printed each time.
//!
//! Entries are keyed by a SHA-256 digest of exactly what the computation reads, so a hit is the
//! same input and gives the same value. A memo holds a few entries, least recently used first
//! out, so a long process (tests, fuzzing) stays bounded. Failures are not remembered.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

pub type Key = [u8; 32];

/// Feeds a digest with unambiguous framing: every variable-length part carries its length.
#[derive(Default)]
pub struct KeyBuilder(Sha256);

impl KeyBuilder {
    pub fn new(domain: &str) -> KeyBuilder {
        let mut builder = KeyBuilder::default();
        builder.text(domain);
        builder
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    pub fn tag(&mut self, tag: u8) -> &mut Self {
        self.0.update([tag]);
        self
    }

    pub fn finish(&mut self) -> Key {
        std::mem::take(&mut self.0).finalize().into()
    }
}

struct Slot<V> {
    key: Key,
    weight: usize,
    /// Filled once by whichever caller got there first; `None` when that computation failed.
    value: OnceLock<Option<V>>,
}

/// At most `max_entries` values whose weights (e.g. bytes) sum to at most `max_weight`
/// (the newest entry is always kept, whatever its weight).
pub struct Memo<V> {
    slots: Mutex<VecDeque<Arc<Slot<V>>>>,
    max_entries: usize,
    max_weight: usize,
}

impl<V: Clone> Memo<V> {
    pub const fn new(max_entries: usize, max_weight: usize) -> Memo<V> {
        Memo {
            slots: Mutex::new(VecDeque::new()),
            max_entries,
            max_weight,
        }
    }

    /// The value for `key`, computed by `compute` unless an earlier (or concurrent) call with
    /// the same key already did: concurrent callers wait for the first one instead of repeating
    /// its work. `weight` is what the entry counts against `max_weight`.
    pub fn get_or_try<E>(
        &self,
        key: Key,
        weight: usize,
        compute: impl Fn() -> Result<V, E>,
    ) -> Result<V, E> {
        let slot = self.slot(key, weight);
        let mut failure = None;
        let value = slot.value.get_or_init(|| match compute() {
            Ok(value) => Some(value),
            Err(e) => {
                failure = Some(e);
                None
            }
        });
        if let Some(value) = value {
            return Ok(value.clone());
        }
        self.forget(&slot);
        match failure {
            Some(e) => Err(e),
            // Another caller's computation failed: fail (or not) on our own.
            None => compute(),
        }
    }

    fn slot(&self, key: Key, weight: usize) -> Arc<Slot<V>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = slots.iter().position(|s| s.key == key)
            && let Some(found) = slots.remove(at)
        {
            slots.push_front(found.clone());
            return found;
        }
        let slot = Arc::new(Slot {
            key,
            weight,
            value: OnceLock::new(),
        });
        slots.push_front(slot.clone());
        let mut total: usize = slots.iter().map(|s| s.weight).sum();
        while slots.len() > 1 && (slots.len() > self.max_entries || total > self.max_weight) {
            if let Some(evicted) = slots.pop_back() {
                total -= evicted.weight;
            }
        }
        slot
    }

    fn forget(&self, slot: &Arc<Slot<V>>) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|s| !Arc::ptr_eq(s, slot));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(s: &str) -> Key {
        KeyBuilder::new("test").text(s).finish()
    }

    #[test]
    fn computes_once_per_key() {
        let memo: Memo<String> = Memo::new(4, usize::MAX);
        let runs = AtomicUsize::new(0);
        let get = |s: &str| {
            memo.get_or_try::<()>(key(s), 1, || {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(s.to_uppercase())
            })
        };
        assert_eq!(get("a"), Ok("A".to_string()));
        assert_eq!(get("a"), Ok("A".to_string()));
        assert_eq!(get("b"), Ok("B".to_string()));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn failures_are_not_kept() {
        let memo: Memo<u32> = Memo::new(4, usize::MAX);
        assert_eq!(memo.get_or_try(key("x"), 1, || Err("no")), Err("no"));
        assert_eq!(memo.len(), 0);
        assert_eq!(memo.get_or_try::<()>(key("x"), 1, || Ok(7)), Ok(7));
        assert_eq!(memo.get_or_try::<()>(key("x"), 1, || Ok(8)), Ok(7));
    }

    #[test]
    fn bounded_by_entries_and_weight() {
        let memo: Memo<u32> = Memo::new(3, 10);
        for i in 0..10 {
            memo.get_or_try::<()>(key(&i.to_string()), 1, || Ok(i))
                .unwrap();
        }
        assert_eq!(memo.len(), 3);
        // The most recently used entries stay.
        assert_eq!(memo.get_or_try::<()>(key("9"), 1, || Ok(99)), Ok(9));
        memo.get_or_try::<()>(key("heavy"), 9, || Ok(0)).unwrap();
        assert_eq!(memo.len(), 2);
        memo.get_or_try::<()>(key("heavier"), 50, || Ok(0)).unwrap();
        assert_eq!(memo.len(), 1);
    }

    #[test]
    fn concurrent_callers_share_one_computation() {
        let memo: Memo<u32> = Memo::new(4, usize::MAX);
        let runs = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let v = memo.get_or_try::<()>(key("shared"), 1, || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        Ok(5)
                    });
                    assert_eq!(v, Ok(5));
                });
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn framing_keeps_keys_apart() {
        let ab_c = KeyBuilder::new("t").text("ab").text("c").finish();
        let a_bc = KeyBuilder::new("t").text("a").text("bc").finish();
        assert_ne!(ab_c, a_bc);
        assert_ne!(KeyBuilder::new("t").finish(), KeyBuilder::new("u").finish());
    }
}
