//! Three-way merge of ordered lists of unique keys: screen order, children order, z-order.
//!
//! **Membership** is merged as a set: a key added on either side is present; a base key
//! removed on either side is absent ([`merge_sequence_with`] lets the caller decide instead,
//! e.g. to keep an element that one side deleted and the other modified).
//!
//! **Order of the surviving base keys** is merged pair by pair: for two keys, a side that
//! swapped them relative to base wins; when neither did, base's order stays (both sides cannot
//! swap a pair in opposite ways, since each swap is measured against base). So when only one
//! side reordered, its order is taken whole, and independent moves on both sides are both
//! kept. The pairwise choices can form a cycle (ours swaps `a,b`, theirs swaps `b,c` in
//! `a,b,c`): no order honours every move. Each such cycle is one [`SequenceConflict`]; its
//! keys are placed as one block in the favoured side's order (ours by default), and every
//! key outside a cycle still gets its merged position.
//!
//! **Added keys** follow their anchor: the nearest preceding key on the adding side that
//! survives from base (or the start). Several additions at one anchor keep their side's
//! order, ours' before theirs'. A key added by both sides goes where ours put it.
//!
//! Duplicate keys in an input list are ignored after their first occurrence.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceMerge<K> {
    pub items: Vec<K>,
    pub conflicts: Vec<SequenceConflict<K>>,
}

/// Keys whose relative order the two sides changed in incompatible ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceConflict<K> {
    /// The keys, in the order the merge placed them.
    pub items: Vec<K>,
    /// The same keys in each side's order (a side may lack some of them when membership was
    /// decided by the caller).
    pub base: Vec<K>,
    pub ours: Vec<K>,
    pub theirs: Vec<K>,
}

/// Whose order a conflicting block takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Favor {
    #[default]
    Ours,
    Theirs,
}

/// Merges membership as a set and order as described in the module docs.
pub fn merge_sequence<K: Eq + Hash + Clone>(
    base: &[K],
    ours: &[K],
    theirs: &[K],
) -> SequenceMerge<K> {
    let (in_ours, in_theirs): (HashSet<&K>, HashSet<&K>) =
        (ours.iter().collect(), theirs.iter().collect());
    let in_base: HashSet<&K> = base.iter().collect();
    let keep = |k: &K| match in_base.contains(k) {
        true => in_ours.contains(k) && in_theirs.contains(k),
        false => true,
    };
    merge_sequence_with(base, ours, theirs, keep, Favor::Ours)
}

/// Like [`merge_sequence`], but `keep` decides which keys are in the result (it is asked once
/// about every key found in any list) and `favor` says whose order a conflicting block takes.
pub fn merge_sequence_with<K, F>(
    base: &[K],
    ours: &[K],
    theirs: &[K],
    mut keep: F,
    favor: Favor,
) -> SequenceMerge<K>
where
    K: Eq + Hash + Clone,
    F: FnMut(&K) -> bool,
{
    let base = Side::new(base);
    let ours = Side::new(ours);
    let theirs = Side::new(theirs);

    let mut members: HashSet<&K> = HashSet::new();
    for key in base.keys.iter().chain(&ours.keys).chain(&theirs.keys) {
        if !members.contains(key) && keep(key) {
            members.insert(key);
        }
    }
    let skeleton: Vec<&K> = base
        .keys
        .iter()
        .copied()
        .filter(|k| members.contains(k))
        .collect();
    let (skeleton, conflicts) = order_skeleton(&skeleton, &base, &ours, &theirs, favor);

    let survivors: HashSet<&K> = skeleton.iter().copied().collect();
    let mut additions: HashMap<Option<&K>, Vec<&K>> = HashMap::new();
    let mut placed: HashSet<&K> = HashSet::new();
    for side in [&ours, &theirs] {
        let mut anchor = None;
        for &key in &side.keys {
            if survivors.contains(key) {
                anchor = Some(key);
            } else if members.contains(key) && !base.has(key) && placed.insert(key) {
                additions.entry(anchor).or_default().push(key);
            }
        }
    }

    let mut items = Vec::with_capacity(members.len());
    let anchors = std::iter::once(None).chain(skeleton.into_iter().map(Some));
    for anchor in anchors {
        if let Some(key) = anchor {
            items.push(key.clone());
        }
        if let Some(added) = additions.remove(&anchor) {
            items.extend(added.into_iter().cloned());
        }
    }
    SequenceMerge { items, conflicts }
}

/// One input list without duplicates, with each key's position.
struct Side<'a, K> {
    keys: Vec<&'a K>,
    position: HashMap<&'a K, usize>,
}

impl<'a, K: Eq + Hash> Side<'a, K> {
    fn new(list: &'a [K]) -> Self {
        let mut position = HashMap::with_capacity(list.len());
        let mut keys = Vec::with_capacity(list.len());
        for key in list {
            if !position.contains_key(key) {
                position.insert(key, keys.len());
                keys.push(key);
            }
        }
        Side { keys, position }
    }
    fn has(&self, key: &K) -> bool {
        self.position.contains_key(key)
    }
    fn pos(&self, key: &K) -> Option<usize> {
        self.position.get(key).copied()
    }
    /// The given keys in this side's order (keys it lacks are left out).
    fn restrict(&self, keys: &[&'a K]) -> Vec<&'a K> {
        let wanted: HashSet<&K> = keys.iter().copied().collect();
        self.keys
            .iter()
            .copied()
            .filter(|k| wanted.contains(k))
            .collect()
    }
}

/// Orders the surviving base keys (given in base order) by the pairwise rule.
fn order_skeleton<'a, K: Eq + Hash + Clone>(
    skeleton: &[&'a K],
    base: &Side<'a, K>,
    ours: &Side<'a, K>,
    theirs: &Side<'a, K>,
    favor: Favor,
) -> (Vec<&'a K>, Vec<SequenceConflict<K>>) {
    let in_ours = ours.restrict(skeleton);
    let in_theirs = theirs.restrict(skeleton);
    if in_ours.len() == skeleton.len() && in_theirs.len() == skeleton.len() {
        // Fast paths, O(n): at most one side reordered, or both the same way.
        if in_ours == skeleton {
            return (in_theirs, Vec::new());
        }
        if in_theirs == skeleton || in_ours == in_theirs {
            return (in_ours, Vec::new());
        }
    }

    // wins[i]: how many keys skeleton[i] precedes in the merged pairwise order.
    let n = skeleton.len();
    let ours_pos: Vec<Option<usize>> = skeleton.iter().map(|k| ours.pos(k)).collect();
    let theirs_pos: Vec<Option<usize>> = skeleton.iter().map(|k| theirs.pos(k)).collect();
    let swapped = |pos: &[Option<usize>], i: usize, j: usize| match (pos.get(i), pos.get(j)) {
        (Some(Some(a)), Some(Some(b))) => a > b,
        _ => false,
    };
    let mut wins = vec![0usize; n];
    for i in 0..n {
        for j in i + 1..n {
            // Base puts i before j.
            let winner = match swapped(&ours_pos, i, j) || swapped(&theirs_pos, i, j) {
                true => j,
                false => i,
            };
            if let Some(w) = wins.get_mut(winner) {
                *w += 1;
            }
        }
    }

    // Sorting by wins gives the cycles (strongly connected parts of the pairwise order) as
    // consecutive runs, in merged order: a key of an earlier run beats every key of a later
    // one, so it has strictly more wins. A prefix of k keys ends a run exactly when its keys
    // beat all n - k others.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(wins.get(i).copied().unwrap_or(0)), i));
    let favored_pos = |i: &usize| {
        let (first, second) = match favor {
            Favor::Ours => (&ours_pos, &theirs_pos),
            Favor::Theirs => (&theirs_pos, &ours_pos),
        };
        let at = |pos: &Vec<Option<usize>>| pos.get(*i).copied().flatten().unwrap_or(usize::MAX);
        (at(first), at(second), *i)
    };

    let mut merged = Vec::with_capacity(n);
    let mut conflicts = Vec::new();
    let (mut run_start, mut wins_so_far) = (0usize, 0usize);
    for (k, &i) in order.iter().enumerate() {
        wins_so_far += wins.get(i).copied().unwrap_or(0);
        let len = k + 1;
        if wins_so_far != len * (len - 1) / 2 + len * (n - len) {
            continue;
        }
        let mut run: Vec<usize> = order.get(run_start..len).unwrap_or_default().to_vec();
        run_start = len;
        if run.len() > 1 {
            run.sort_by_key(favored_pos);
            let keys: Vec<&K> = run
                .iter()
                .filter_map(|&i| skeleton.get(i).copied())
                .collect();
            let owned = |keys: Vec<&K>| keys.into_iter().cloned().collect::<Vec<K>>();
            conflicts.push(SequenceConflict {
                items: owned(keys.clone()),
                base: owned(base.restrict(&keys)),
                ours: owned(ours.restrict(&keys)),
                theirs: owned(theirs.restrict(&keys)),
            });
        }
        merged.extend(run.iter().filter_map(|&i| skeleton.get(i).copied()));
    }
    (merged, conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(base: &str, ours: &str, theirs: &str) -> (String, usize) {
        let chars = |s: &str| s.chars().collect::<Vec<char>>();
        let m = merge_sequence(&chars(base), &chars(ours), &chars(theirs));
        (m.items.into_iter().collect(), m.conflicts.len())
    }

    #[test]
    fn membership_is_a_three_way_set_merge() {
        assert_eq!(merge("abc", "abcd", "bc"), ("bcd".into(), 0));
        assert_eq!(merge("abc", "ac", "abce"), ("ace".into(), 0));
        assert_eq!(merge("", "x", "y"), ("xy".into(), 0));
        assert_eq!(merge("", "x", "x"), ("x".into(), 0));
    }

    #[test]
    fn one_sided_reorder_is_taken() {
        assert_eq!(merge("abcd", "dcba", "abcd"), ("dcba".into(), 0));
        assert_eq!(merge("abcd", "abcd", "bdac"), ("bdac".into(), 0));
        // A reorder on one side and removals/additions on the other.
        assert_eq!(merge("abcd", "dcba", "abcxd"), ("dcxba".into(), 0));
    }

    #[test]
    fn independent_moves_on_both_sides_are_kept() {
        // Ours moves a to the end, theirs moves d before b.
        assert_eq!(merge("abcde", "bcdea", "adbce"), ("dbcea".into(), 0));
    }

    #[test]
    fn crossing_moves_conflict_and_take_ours_order_for_the_block() {
        let m = merge_sequence(
            &['a', 'b', 'c', 'z'],
            &['b', 'a', 'c', 'z'],
            &['a', 'c', 'b', 'z'],
        );
        assert_eq!(m.items, vec!['b', 'a', 'c', 'z']);
        assert_eq!(
            m.conflicts,
            vec![SequenceConflict {
                items: vec!['b', 'a', 'c'],
                base: vec!['a', 'b', 'c'],
                ours: vec!['b', 'a', 'c'],
                theirs: vec!['a', 'c', 'b'],
            }]
        );
        let m = merge_sequence_with(
            &['a', 'b', 'c'],
            &['b', 'a', 'c'],
            &['a', 'c', 'b'],
            |_| true,
            Favor::Theirs,
        );
        assert_eq!(m.items, vec!['a', 'c', 'b']);
    }

    #[test]
    fn additions_follow_their_anchor_ours_first() {
        assert_eq!(merge("ab", "axb", "ayb"), ("axyb".into(), 0));
        assert_eq!(merge("ab", "xab", "aby"), ("xaby".into(), 0));
        // The anchor was removed by the other side: fall back to an earlier survivor.
        assert_eq!(merge("abc", "abxc", "ac"), ("axc".into(), 0));
    }

    #[test]
    fn caller_decided_membership() {
        let m = merge_sequence_with(&['a', 'b'], &['a', 'b'], &['a'], |_| true, Favor::Ours);
        assert_eq!(m.items, vec!['a', 'b']);
    }

    #[test]
    fn duplicates_are_ignored_after_the_first() {
        assert_eq!(merge("aab", "abb", "ab"), ("ab".into(), 0));
    }
}
