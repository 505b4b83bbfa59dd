//! Controls added on both sides.
//!
//! Both branches number a new control from the same counters, so two makers who each add one
//! give them the same `ControlUniqueId` and publish order. The model merge keeps ours' numbers
//! and gives theirs' clashing controls the next free ones above everything the three sides
//! hold, in name order (`merge::tree::merge_entropy`). The fast path makes the same choice
//! before it merges anything: it renumbers those controls in theirs' entries, after which
//! nothing clashes and the entries merge as usual.
//!
//! What the fast path sees is the entries a side changed; every other entry is the base's own.
//! A new control whose number is above everything in the base cannot clash with those; one
//! whose number is the base's (a renamed control keeps its id) must have taken it over from a
//! control of the same entries. Anything else sends the merge to the model.

use sha2::{Digest as _, Sha256};
use std::collections::{BTreeSet, HashMap, HashSet};

use super::{Decided, LAST_ID, Plan, Side, Sides, Source, Which, entry_key, fallback};
use crate::json::{self, Json};
use crate::merge::checksum_cache::Digest;
use crate::merge::tree::raised_id_counter;
use crate::source::controls::integer_id;
use crate::source::unpack::control_folder;

/// A control as the app-wide uniqueness rules see it.
#[derive(Debug, Clone)]
pub(super) struct Identity {
    pub name: String,
    /// `ControlUniqueId` when it is an integer: the ids both sides number from one counter.
    pub id: Option<i64>,
    /// Any other `ControlUniqueId` (GUIDs), never renumbered.
    pub other_id: Option<String>,
    pub publish: Option<Json>,
    /// A screen, the App or a component definition: Studio numbers every one's publish order
    /// 0, so only the controls inside them keep theirs apart.
    pub top: bool,
}

impl Identity {
    pub fn distinct_publish(&self) -> Option<&Json> {
        self.publish.as_ref().filter(|_| !self.top)
    }
}

/// Every control of a `Controls\*.json`-like document, its top parent first.
pub(super) fn identities(doc: &Json, out: &mut Vec<Identity>) {
    fn walk(control: &Json, top: bool, out: &mut Vec<Identity>) {
        let Some(object) = control.as_object() else {
            return;
        };
        let raw_id = object.get("ControlUniqueId");
        let id = raw_id.and_then(Json::as_str).and_then(integer_id);
        let other_id = raw_id.filter(|_| id.is_none()).map(|raw| match raw {
            Json::String(s) => s.to_ascii_lowercase(),
            other => json::to_compact_string(other),
        });
        out.push(Identity {
            name: object
                .get("Name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            id,
            other_id,
            publish: object.get("PublishOrderIndex").cloned(),
            top,
        });
        for child in object
            .get("Children")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            walk(child, false, out);
        }
    }
    if let Some(top) = doc.get("TopParent") {
        walk(top, true, out);
    }
}

/// The largest id and publish order in one entry, folded as the model merge folds its
/// entropy (ids from 0, publish orders from -1).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Maxima {
    id: f64,
    publish: f64,
}

impl Maxima {
    const NONE: Maxima = Maxima {
        id: 0.0,
        publish: -1.0,
    };

    fn of(doc: &Json) -> Maxima {
        let mut all = Vec::new();
        identities(doc, &mut all);
        all.iter().fold(Maxima::NONE, |m, c| Maxima {
            id: c.id.map_or(m.id, |id| m.id.max(id as f64)),
            publish: c
                .publish
                .as_ref()
                .and_then(Json::as_f64)
                .map_or(m.publish, |p| m.publish.max(p)),
        })
    }

    fn max(self, other: Maxima) -> Maxima {
        Maxima {
            id: self.id.max(other.id),
            publish: self.publish.max(other.publish),
        }
    }

    fn to_digest(self) -> Digest {
        let mut d = [0u8; 32];
        d[..8].copy_from_slice(&self.id.to_le_bytes());
        d[8..16].copy_from_slice(&self.publish.to_le_bytes());
        d
    }

    fn from_digest(d: &Digest) -> Option<Maxima> {
        let id = f64::from_le_bytes(d.get(..8)?.try_into().ok()?);
        let publish = f64::from_le_bytes(d.get(8..16)?.try_into().ok()?);
        Some(Maxima { id, publish })
    }
}

/// The cache key of a fact of an entry (not its checksum value, which the bare fingerprint
/// keys): the fingerprint under the fact's name.
fn fact_key(fact: &str, fingerprint: &Digest) -> Digest {
    let mut h = Sha256::new();
    h.update(b"msapp-merge ");
    h.update(fact.as_bytes());
    h.update(b"\0");
    h.update(fingerprint);
    h.finalize().into()
}

/// The highest id and publish order of an entry's controls.
const MAXIMA: &str = "control maxima 1";
/// The digest of the set of an entry's control names.
const NAMES: &str = "control names 1";

/// The set of control names, as one digest (order and repeats do not count).
fn names_digest<'n>(names: impl Iterator<Item = &'n str>) -> Digest {
    let set: BTreeSet<&str> = names.collect();
    let mut h = Sha256::new();
    for name in set {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
    }
    h.finalize().into()
}

/// Theirs' entries rewritten with the new numbers of their added controls.
#[derive(Debug, Default)]
pub(super) struct Renumbered {
    /// Entry key -> rewritten bytes.
    pub entries: HashMap<String, Vec<u8>>,
    /// Entry key -> new entry name, for entries named after a top control's id.
    pub renamed: HashMap<String, String>,
    /// The largest id given out (0 when none), for `LastControlUniqueId`.
    pub max_id: i64,
}

impl Sides<'_> {
    /// Controls are unique app-wide by name, id and publish order. Two sides that added the
    /// same name (or a GUID) need the model merge; numbers both sides gave out are settled
    /// here, as the model merge settles them.
    pub(super) fn settle_added<'p>(&self, plan: &'p Plan) -> Decided<Renumbered> {
        let [ours_keys, theirs_keys] = &plan.controls_changed;
        if ours_keys.is_empty() || theirs_keys.is_empty() {
            return Ok(Renumbered::default());
        }
        // The controls of `keys` on `side`, and the entry each one is in.
        let of = |side: &Side<'_>, keys: &'p [String]| -> Decided<(Vec<Identity>, Vec<&'p str>)> {
            let (mut all, mut entries) = (Vec::new(), Vec::new());
            for key in keys {
                if let Some(i) = side.find(key) {
                    all.extend(side.top_facts(i)?.identities.iter().cloned());
                    entries.resize(all.len(), key.as_str());
                }
            }
            Ok((all, entries))
        };
        // Theirs first: when theirs added nothing there is nothing to settle, and ours' entries
        // need not be read at all (the common case: properties edited on both sides).
        let (theirs_now, theirs_entries) = of(&self.theirs, theirs_keys)?;
        if self.theirs_added_nothing(theirs_keys, &theirs_now, &theirs_entries)? {
            return Ok(Renumbered::default());
        }
        let (ours_now, _) = of(&self.ours, ours_keys)?;
        let (ours_before, _) = of(&self.base, ours_keys)?;
        let (theirs_before, _) = of(&self.base, theirs_keys)?;
        let names =
            |all: &[Identity]| -> HashSet<String> { all.iter().map(|c| c.name.clone()).collect() };
        let (ours_had, theirs_had) = (names(&ours_before), names(&theirs_before));
        let theirs_names = names(&theirs_now);
        let ours_added: HashSet<&str> = ours_now
            .iter()
            .filter(|c| !ours_had.contains(&c.name))
            .map(|c| c.name.as_str())
            .collect();
        let theirs_added: Vec<&Identity> = theirs_now
            .iter()
            .filter(|c| !theirs_had.contains(&c.name))
            .collect();
        let ours_other_ids: HashSet<&str> = ours_now
            .iter()
            .filter(|c| ours_added.contains(c.name.as_str()))
            .filter_map(|c| c.other_id.as_deref())
            .collect();
        for c in &theirs_added {
            if ours_added.contains(c.name.as_str()) {
                return Err(fallback(format!(
                    "both sides added controls with the same name {}",
                    c.name
                )));
            }
            if let Some(guid) = c.other_id.as_deref().filter(|g| ours_other_ids.contains(g)) {
                return Err(fallback(format!(
                    "both sides added controls with the same id {guid}"
                )));
            }
        }
        if theirs_added.is_empty() {
            return Ok(Renumbered::default());
        }

        // What the merged app holds besides theirs' new controls, as far as these entries
        // tell: ours' controls that theirs did not delete, theirs' other controls.
        let theirs_deleted: HashSet<&str> = theirs_had
            .iter()
            .filter(|n| !theirs_names.contains(*n))
            .map(String::as_str)
            .collect();
        let kept = ours_now
            .iter()
            .filter(|c| {
                ours_added.contains(c.name.as_str()) || !theirs_deleted.contains(c.name.as_str())
            })
            .chain(theirs_now.iter().filter(|c| theirs_had.contains(&c.name)));
        let mut ids_taken: HashSet<i64> = HashSet::new();
        let mut publish_taken: HashSet<String> = HashSet::new();
        for c in kept {
            ids_taken.extend(c.id);
            if let Some(p) = c.distinct_publish() {
                publish_taken.insert(json::to_compact_string(p));
            }
        }

        let base_max = self.base_maxima()?;
        let taken_over_ids: HashSet<i64> = theirs_before.iter().filter_map(|c| c.id).collect();
        let taken_over_publish: HashSet<String> = theirs_before
            .iter()
            .filter_map(|c| c.distinct_publish().map(json::to_compact_string))
            .collect();
        let mut sorted = theirs_added;
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        let mut new_ids: HashMap<&str, i64> = HashMap::new();
        let mut new_publish: HashMap<&str, i64> = HashMap::new();
        // The next free id and publish order, once a clash needs them.
        let mut next: Option<(i64, i64)> = None;
        for c in &sorted {
            if let Some(id) = c.id
                && (id as f64) <= base_max.id
                && !taken_over_ids.contains(&id)
            {
                return Err(fallback(format!(
                    "theirs' new control {} has an old id ({id})",
                    c.name
                )));
            }
            if let Some(p) = c.distinct_publish()
                && p.as_f64().is_none_or(|v| v <= base_max.publish)
                && !taken_over_publish.contains(&json::to_compact_string(p))
            {
                return Err(fallback(format!(
                    "theirs' new control {} has an old publish order",
                    c.name
                )));
            }
            let id_clash = c.id.is_some_and(|id| ids_taken.contains(&id));
            let publish_clash = c
                .distinct_publish()
                .is_some_and(|p| publish_taken.contains(&json::to_compact_string(p)));
            // A number theirs took over from a base control that ours' changes also hold:
            // the same control renamed on both sides, which the model merge reports.
            let taken_over =
                c.id.is_some_and(|id| id_clash && taken_over_ids.contains(&id))
                    || c.distinct_publish().is_some_and(|p| {
                        publish_clash && taken_over_publish.contains(&json::to_compact_string(p))
                    });
            if taken_over {
                return Err(fallback(format!(
                    "theirs' renamed control {} clashes with ours' changes",
                    c.name
                )));
            }
            if !(id_clash || publish_clash) {
                continue;
            }
            if next.is_none() {
                let m = self.changed_maxima()?.max(base_max);
                next = Some((m.id as i64 + 1, m.publish as i64 + 1));
            }
            let Some((next_id, next_publish)) = next.as_mut() else {
                continue;
            };
            if id_clash {
                new_ids.insert(c.name.as_str(), *next_id);
                *next_id += 1;
            }
            if publish_clash {
                new_publish.insert(c.name.as_str(), *next_publish);
                publish_taken.insert(next_publish.to_string());
                *next_publish += 1;
            }
        }
        if new_ids.is_empty() && new_publish.is_empty() {
            return Ok(Renumbered::default());
        }
        // Only the entries holding a renumbered control are rewritten.
        let rewritten: BTreeSet<&str> = theirs_now
            .iter()
            .zip(&theirs_entries)
            .filter(|(c, _)| {
                new_ids.contains_key(c.name.as_str()) || new_publish.contains_key(c.name.as_str())
            })
            .map(|(_, key)| *key)
            .collect();
        self.rewrite_theirs(&rewritten, &new_ids, &new_publish)
    }

    /// Whether each of theirs' changed entries names the same controls as the base's: then
    /// theirs added no control. The base's names come from the cache when this content was
    /// read before; a `false` only means "not known".
    fn theirs_added_nothing(
        &self,
        keys: &[String],
        theirs_now: &[Identity],
        entries: &[&str],
    ) -> Decided<bool> {
        for key in keys {
            let now = names_digest(
                theirs_now
                    .iter()
                    .zip(entries)
                    .filter(|(_, k)| **k == key.as_str())
                    .map(|(c, _)| c.name.as_str()),
            );
            if let Some(f) = self
                .theirs
                .find(key)
                .and_then(|i| self.theirs.stored.fingerprint(i))
            {
                self.cache.record(fact_key(NAMES, &f), now);
            }
            let Some(index) = self.base.find(key) else {
                return Ok(false);
            };
            let cache_key = self
                .base
                .stored
                .fingerprint(index)
                .map(|f| fact_key(NAMES, &f));
            let before = match cache_key.and_then(|k| self.cache.get(&k)) {
                Some(digest) => digest,
                None => {
                    let facts = self.base.top_facts(index)?;
                    let digest = names_digest(facts.identities.iter().map(|c| c.name.as_str()));
                    if let Some(k) = cache_key {
                        self.cache.record(k, digest);
                    }
                    digest
                }
            };
            if before != now {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Theirs' entries with the new numbers in place.
    fn rewrite_theirs(
        &self,
        keys: &BTreeSet<&str>,
        new_ids: &HashMap<&str, i64>,
        new_publish: &HashMap<&str, i64>,
    ) -> Decided<Renumbered> {
        let mut out = Renumbered {
            max_id: new_ids.values().copied().max().unwrap_or(0),
            ..Renumbered::default()
        };
        for &key in keys {
            let Some(index) = self.theirs.find(key) else {
                continue;
            };
            let mut doc = Json::clone(&*self.theirs.json_once(index)?);
            let top_name = doc
                .get("TopParent")
                .and_then(|t| t.get("Name"))
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(top) = doc.get_mut("TopParent")
                && renumber(top, new_ids, new_publish)
            {
                // Pack names an entry after its top control's id, and so does Studio.
                if let Some(id) = new_ids.get(top_name.as_str()) {
                    let name = self.theirs.name(index);
                    let folder = name
                        .rfind(['\\', '/'])
                        .and_then(|i| name.get(..=i))
                        .unwrap_or_default();
                    out.renamed
                        .insert(key.to_string(), format!("{folder}{id}.json"));
                }
                out.entries
                    .insert(key.to_string(), json::to_compact_string(&doc).into_bytes());
            }
        }
        Ok(out)
    }

    /// The maxima over every control entry of the base.
    fn base_maxima(&self) -> Decided<Maxima> {
        let mut m = Maxima::NONE;
        for index in 0..self.base.stored.entries.len() {
            if control_folder(self.base.name(index)).is_some() {
                m = m.max(self.entry_maxima(&self.base, index)?);
            }
        }
        Ok(m)
    }

    /// The maxima over the control entries of ours and theirs that are not the base's.
    fn changed_maxima(&self) -> Decided<Maxima> {
        let mut m = Maxima::NONE;
        for side in [&self.ours, &self.theirs] {
            for index in 0..side.stored.entries.len() {
                let name = side.name(index);
                if control_folder(name).is_none() {
                    continue;
                }
                let same_as_base = self.base.find(&super::entry_key(name)).is_some_and(|b| {
                    crate::container::StoredArchive::stored_alike(
                        (&self.base.stored, b),
                        (&side.stored, index),
                    )
                });
                if !same_as_base {
                    m = m.max(self.entry_maxima(side, index)?);
                }
            }
        }
        Ok(m)
    }

    /// One entry's maxima, from the cache when this content was seen before.
    fn entry_maxima(&self, side: &Side<'_>, index: usize) -> Decided<Maxima> {
        let key = side.stored.fingerprint(index).map(|f| fact_key(MAXIMA, &f));
        if let Some(m) = key
            .and_then(|k| self.cache.get(&k))
            .and_then(|d| Maxima::from_digest(&d))
        {
            return Ok(m);
        }
        // Not kept: most of these entries are read for this alone.
        let m = Maxima::of(&*side.json_once(index)?);
        if let Some(key) = key {
            self.cache.record(key, m.to_digest());
        }
        Ok(m)
    }
}

/// Gives the named controls their new numbers; whether anything changed.
fn renumber(control: &mut Json, ids: &HashMap<&str, i64>, publish: &HashMap<&str, i64>) -> bool {
    let Some(object) = control.as_object_mut() else {
        return false;
    };
    let name = object
        .get("Name")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let mut changed = false;
    if let Some(id) = ids.get(name.as_str()) {
        object.insert("ControlUniqueId", Json::str(id.to_string()));
        changed = true;
    }
    if let Some(p) = publish.get(name.as_str()) {
        object.insert("PublishOrderIndex", Json::from_i64(*p));
        changed = true;
    }
    if let Some(children) = object.get_mut("Children").and_then(Json::as_array_mut) {
        for child in children {
            changed |= renumber(child, ids, publish);
        }
    }
    changed
}

impl Sides<'_> {
    /// Applies theirs' renumbered entries to the plan: an entry only theirs changed is taken
    /// in its rewritten form, one both changed is merged from it (`screens`); the id counter
    /// covers the new ids, as the model merge's does.
    pub(super) fn apply_renumbered(&self, plan: &mut Plan, renumbered: &Renumbered) -> Decided<()> {
        for entry in &mut plan.entries {
            if let Some(bytes) = renumbered.entries.get(&entry.key) {
                match entry.source {
                    Source::Stored(Which::Theirs, _) => {
                        entry.source = Source::Merged(bytes.clone());
                        entry.changed = true;
                        if let Some(name) = renumbered.renamed.get(&entry.key) {
                            entry.key = entry_key(name);
                            entry.name = name.clone();
                        }
                    }
                    Source::Model => {}
                    _ => {
                        return Err(fallback(format!(
                            "{} holds theirs' new controls but is not theirs",
                            entry.name
                        )));
                    }
                }
            } else if entry.key == "properties.json" && renumbered.max_id > 0 {
                let properties = match &entry.source {
                    Source::Stored(which, index) => Json::clone(&*self.side(*which).json(*index)?),
                    Source::Merged(bytes) => json::parse_bytes_nested(bytes, json::MAX_ENTRY_DEPTH)
                        .map_err(|e| fallback(format!("merged {}: {e}", entry.name)))?,
                    _ => continue,
                };
                let mut properties = properties;
                let raised = properties
                    .get(LAST_ID)
                    .and_then(|current| raised_id_counter(current, renumbered.max_id));
                if let (Some(value), Some(object)) = (raised, properties.as_object_mut()) {
                    object.insert(LAST_ID, value);
                    entry.source =
                        Source::Merged(json::to_compact_string(&properties).into_bytes());
                    entry.changed = true;
                }
            }
        }
        let mut keys = HashSet::new();
        if let Some(twice) = plan.entries.iter().find(|e| !keys.insert(e.key.as_str())) {
            return Err(fallback(format!(
                "a renumbered screen's entry {} is taken",
                twice.name
            )));
        }
        Ok(())
    }
}
