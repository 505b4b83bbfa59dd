//! Property tests of the merge primitives: the merge laws for text, sequences and JSON, and a
//! differential test of the text merge against the real `git merge-file`.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::process::Command;

use msapp_merge::json::{Json, Number, Object};
use msapp_merge::merge::{
    ConflictStyle, JsonConflict, JsonConflictKind, JsonMergeOptions, Labels, Policy,
    TextMergeOptions, merge_json, merge_sequence, merge_text,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Text: differential against `git merge-file`.

/// Lines from a tiny vocabulary, so that alignments are ambiguous and conflicts are frequent;
/// includes CRLF lines, non-ASCII text and lines that look like conflict markers.
fn vocabulary_line() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["a", "b", "c", "x", "", "{", "}", "  a"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["a\r", "b\r", "é ü", "<<<<<<<", "=======", ">>>>>>> x", "|||"])
            .prop_map(str::to_owned),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Insert(usize, String),
    Replace(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), vocabulary_line()).prop_map(|(i, l)| Edit::Insert(i, l)),
        (any::<usize>(), vocabulary_line()).prop_map(|(i, l)| Edit::Replace(i, l)),
    ]
}

fn apply(base: &[String], edits: &[Edit]) -> Vec<String> {
    let mut lines = base.to_vec();
    for edit in edits {
        match edit {
            Edit::Delete(i) if !lines.is_empty() => {
                lines.remove(i % lines.len());
            }
            Edit::Insert(i, l) => lines.insert(i % (lines.len() + 1), l.clone()),
            Edit::Replace(i, l) if !lines.is_empty() => {
                let at = i % lines.len();
                lines[at] = l.clone();
            }
            _ => {}
        }
    }
    lines
}

/// Joins lines; most texts end with a newline, some do not.
fn render(lines: &[String], final_newline: bool) -> String {
    let mut text = lines.join("\n");
    if final_newline && !lines.is_empty() {
        text.push('\n');
    }
    text
}

#[derive(Debug, Clone)]
struct TextCase {
    base: String,
    ours: String,
    theirs: String,
    labels: Labels,
    marker_size: usize,
}

fn text_case() -> impl Strategy<Value = TextCase> {
    let side = || {
        (
            prop::collection::vec(edit(), 0..4),
            prop::bool::weighted(0.85),
        )
    };
    let label =
        || prop::sample::select(vec!["ours", "HEAD", "feature/x", "", "a b", "main~1:f.txt"]);
    (
        prop::collection::vec(vocabulary_line(), 0..12),
        prop::bool::weighted(0.85),
        side(),
        side(),
        (label(), label(), label()),
        prop::sample::select(vec![7usize, 7, 7, 3, 10]),
    )
        .prop_map(
            |(
                base,
                base_nl,
                (ours_edits, ours_nl),
                (theirs_edits, theirs_nl),
                labels,
                marker_size,
            )| {
                TextCase {
                    base: render(&base, base_nl),
                    ours: render(&apply(&base, &ours_edits), ours_nl),
                    theirs: render(&apply(&base, &theirs_edits), theirs_nl),
                    labels: Labels {
                        base: labels.0.into(),
                        ours: labels.1.into(),
                        theirs: labels.2.into(),
                    },
                    marker_size,
                }
            },
        )
}

/// `git merge-file -p` with an isolated configuration: its output and exit status (the number
/// of conflicts, capped at 127).
fn git_merge_file(dir: &Path, case: &TextCase, style: ConflictStyle) -> (Vec<u8>, i32) {
    for (name, text) in [
        ("base", &case.base),
        ("ours", &case.ours),
        ("theirs", &case.theirs),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let empty_config = dir.join("empty.gitconfig");
    std::fs::write(&empty_config, "").unwrap();
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", &empty_config)
        .env("HOME", dir)
        .args(["merge-file", "-p"]);
    match style {
        ConflictStyle::Merge => {}
        ConflictStyle::Diff3 => {
            cmd.arg("--diff3");
        }
        ConflictStyle::Zdiff3 => {
            cmd.arg("--zdiff3");
        }
    }
    cmd.arg(format!("--marker-size={}", case.marker_size))
        .args([
            "-L",
            &case.labels.ours,
            "-L",
            &case.labels.base,
            "-L",
            &case.labels.theirs,
        ])
        .args(["ours", "base", "theirs"]);
    let out = cmd.output().expect("git runs");
    (out.stdout, out.status.code().expect("git exits normally"))
}

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn differential(style: ConflictStyle) {
    if !git_available() {
        eprintln!("git not found: differential text-merge test skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(case in text_case())| {
        let opts = TextMergeOptions { labels: case.labels.clone(), marker_size: case.marker_size, style };
        let ours = merge_text(&case.base, &case.ours, &case.theirs, &opts).unwrap();
        let (git_text, git_status) = git_merge_file(dir.path(), &case, style);
        prop_assert_eq!(String::from_utf8(git_text).unwrap(), ours.text.clone());
        prop_assert_eq!(git_status, ours.conflicts as i32);
        prop_assert_eq!(ours.clean, ours.conflicts == 0);
    });
}

/// Hand-picked cases where libgit2's wrapper and `git merge-file` part ways unless handled.
#[test]
fn text_merge_matches_git_merge_file_on_tricky_cases() {
    if !git_available() {
        eprintln!("git not found: differential text-merge test skipped");
        return;
    }
    let cases = [
        // Conflicts separated only by lines without letters or digits are joined (ALNUM level).
        (
            "a\n{\n}\n{\n}\nb\n",
            "A\n{\n}\n{\n}\nB\n",
            "X\n{\n}\n{\n}\nY\n",
        ),
        // Empty sides keep their labels.
        ("", "o\n", "t\n"),
        ("b\n", "", "t\n"),
        ("b\n", "o\n", ""),
        // Content that looks like the (bare) markers of an empty side.
        ("b\n", "", "<<<<<<<\n>>>>>>>\n|||||||\nt\n"),
        ("", "<<<<<<<\n", ">>>>>>>\n"),
        // CRLF and missing final newlines.
        ("a\r\nb\r\n", "A\r\nb\r\n", "B\r\nb\r\n"),
        ("a\nb", "a\nB", "a\nC"),
        ("a", "a\n", "b"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (base, ours, theirs) in cases {
        for style in [
            ConflictStyle::Merge,
            ConflictStyle::Diff3,
            ConflictStyle::Zdiff3,
        ] {
            for marker_size in [7, 3] {
                let case = TextCase {
                    base: base.into(),
                    ours: ours.into(),
                    theirs: theirs.into(),
                    labels: Labels {
                        base: "B".into(),
                        ours: "O".into(),
                        theirs: "T".into(),
                    },
                    marker_size,
                };
                let opts = TextMergeOptions {
                    labels: case.labels.clone(),
                    marker_size,
                    style,
                };
                let merged = merge_text(base, ours, theirs, &opts).unwrap();
                let (git_text, git_status) = git_merge_file(dir.path(), &case, style);
                assert_eq!(
                    (String::from_utf8(git_text).unwrap(), git_status),
                    (merged.text, merged.conflicts as i32),
                    "{case:?} {style:?}"
                );
            }
        }
    }
}

#[test]
fn text_merge_matches_git_merge_file_in_merge_style() {
    differential(ConflictStyle::Merge);
}

#[test]
fn text_merge_matches_git_merge_file_in_diff3_style() {
    differential(ConflictStyle::Diff3);
}

#[test]
fn text_merge_matches_git_merge_file_in_zdiff3_style() {
    differential(ConflictStyle::Zdiff3);
}

fn any_style() -> impl Strategy<Value = ConflictStyle> {
    prop::sample::select(vec![
        ConflictStyle::Merge,
        ConflictStyle::Diff3,
        ConflictStyle::Zdiff3,
    ])
}

/// Arbitrary UTF-8 (NUL, CR, lone CR, markers included) built from line-ish pieces.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        prop::collection::vec(
            prop_oneof![vocabulary_line(), "[\\x00\\r<=>|a-c]{0,9}"],
            0..6
        )
        .prop_map(|l| l.join("\n")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn text_merge_laws(b in any_text(), x in any_text(), style in any_style()) {
        let opts = TextMergeOptions { style, ..TextMergeOptions::default() };
        for (ours, theirs) in [(&x, &b), (&b, &x), (&x, &x)] {
            let m = merge_text(&b, ours, theirs, &opts).unwrap();
            prop_assert_eq!(&m.text, &x);
            prop_assert!(m.clean);
            prop_assert_eq!(m.conflicts, 0);
        }
    }

    #[test]
    fn text_merge_never_fails_on_arbitrary_text(
        b in any_text(), o in any_text(), t in any_text(), style in any_style(), marker_size in 0usize..12,
    ) {
        let opts = TextMergeOptions { style, marker_size, ..TextMergeOptions::default() };
        let m = merge_text(&b, &o, &t, &opts).unwrap();
        prop_assert_eq!(m.clean, m.conflicts == 0);
        // Deterministic.
        prop_assert_eq!(merge_text(&b, &o, &t, &opts).unwrap(), m);
    }
}

// ---------------------------------------------------------------------------------------------
// Sequences.

fn unique_list() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::btree_set(0u8..14, 0..10)
        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
        .prop_shuffle()
}

/// A list and a second one derived from it (removals, additions, moves) or drawn afresh.
fn related_lists() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, Vec<u8>)> {
    let derived = |base: Vec<u8>| {
        (
            Just(base.clone()),
            prop::collection::vec((any::<u8>(), 0u8..20, any::<usize>()), 0..4),
        )
            .prop_map(|(mut list, ops)| {
                for (kind, key, at) in ops {
                    match kind % 3 {
                        0 if !list.is_empty() => {
                            list.remove(at % list.len());
                        }
                        1 if !list.contains(&key) => list.insert(at % (list.len() + 1), key),
                        _ if !list.is_empty() => {
                            let moved = list.remove(at % list.len());
                            list.insert((at / 7) % (list.len() + 1), moved);
                        }
                        _ => {}
                    }
                }
                list
            })
    };
    unique_list().prop_flat_map(move |base| {
        let side = prop_oneof![3 => derived(base.clone()), 1 => unique_list()];
        (Just(base.clone()), side.clone(), side)
    })
}

fn position(list: &[u8], key: u8) -> Option<usize> {
    list.iter().position(|k| *k == key)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sequence_merge_laws((b, x, _) in related_lists()) {
        for (ours, theirs) in [(&x, &b), (&b, &x), (&x, &x)] {
            let m = merge_sequence(&b, ours, theirs);
            prop_assert_eq!(&m.items, &x);
            prop_assert!(m.conflicts.is_empty());
        }
    }

    #[test]
    fn sequence_merge_membership_and_pairwise_order((b, o, t) in related_lists()) {
        let m = merge_sequence(&b, &o, &t);
        prop_assert_eq!(merge_sequence(&b, &o, &t), m.clone(), "deterministic");

        let items: BTreeSet<u8> = m.items.iter().copied().collect();
        prop_assert_eq!(items.len(), m.items.len(), "unique keys");
        let expected: BTreeSet<u8> = b.iter().chain(&o).chain(&t).copied().filter(|k| {
            if b.contains(k) { o.contains(k) && t.contains(k) } else { true }
        }).collect();
        prop_assert_eq!(&items, &expected);

        // Outside conflicts, every pair of surviving base keys is ordered as the side that
        // swapped it says, else as in base.
        let in_conflict: HashSet<u8> = m.conflicts.iter().flat_map(|c| c.items.iter().copied()).collect();
        for (i, &x) in b.iter().enumerate() {
            for &y in b.iter().skip(i + 1) {
                let (Some(mx), Some(my)) = (position(&m.items, x), position(&m.items, y)) else { continue };
                if in_conflict.contains(&x) && in_conflict.contains(&y) {
                    continue;
                }
                let swapped = |side: &[u8]| position(side, x) > position(side, y);
                prop_assert_eq!(mx > my, swapped(&o) || swapped(&t), "pair {} {}", x, y);
            }
        }

        // Swapping the sides changes at most where concurrent additions and conflict blocks go.
        let swapped = merge_sequence(&b, &t, &o);
        prop_assert_eq!(swapped.items.iter().copied().collect::<BTreeSet<u8>>(), items);
        prop_assert_eq!(swapped.conflicts.len(), m.conflicts.len());
        for (c, s) in m.conflicts.iter().zip(&swapped.conflicts) {
            prop_assert_eq!((&c.base, &c.ours, &c.theirs), (&s.base, &s.theirs, &s.ours));
        }
    }

    #[test]
    fn sequence_merge_tolerates_duplicates(
        b in prop::collection::vec(0u8..5, 0..8),
        o in prop::collection::vec(0u8..5, 0..8),
        t in prop::collection::vec(0u8..5, 0..8),
    ) {
        let m = merge_sequence(&b, &o, &t);
        let unique: BTreeSet<u8> = m.items.iter().copied().collect();
        prop_assert_eq!(unique.len(), m.items.len());
    }
}

// ---------------------------------------------------------------------------------------------
// JSON.

/// A tiny deterministic generator, so that one proptest seed drives a whole tree mutation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const KEYS: [&str; 5] = ["a", "b", "c", "d", "e"];
const NAMES: [&str; 6] = ["n1", "n2", "n3", "n4", "n5", "n6"];

fn leaf(rng: &mut Rng) -> Json {
    match rng.below(6) {
        0 => Json::Null,
        1 => Json::Bool(rng.below(2) == 0),
        2 => Json::from_i64(rng.below(3) as i64),
        3 => Json::Number(Number::from_raw("1.0").unwrap()),
        4 => Json::str(["x", "y", "é"][rng.below(3) as usize]),
        _ => Json::Array(vec![Json::from_i64(rng.below(2) as i64)]),
    }
}

fn keyed_element(rng: &mut Rng, name: &str) -> Json {
    let mut o = Object::new();
    o.insert("Name", Json::str(name));
    o.insert("v", leaf(rng));
    Json::Object(o)
}

fn value(rng: &mut Rng, depth: u32) -> Json {
    match rng.below(if depth == 0 { 1 } else { 4 }) {
        0 => leaf(rng),
        1 => {
            let mut names: Vec<&str> = NAMES
                .iter()
                .copied()
                .filter(|_| rng.below(2) == 0)
                .collect();
            names.sort_by_key(|_| rng.next());
            Json::Array(names.into_iter().map(|n| keyed_element(rng, n)).collect())
        }
        _ => {
            let mut o = Object::new();
            for key in KEYS {
                if rng.below(2) == 0 {
                    o.0.push((key.to_owned(), value(rng, depth - 1)));
                }
            }
            if rng.below(12) == 0 {
                // A duplicate key now and then.
                o.0.push(("a".to_owned(), leaf(rng)));
            }
            Json::Object(o)
        }
    }
}

/// An edit of `v`: `None` deletes it.
fn mutate(v: &Json, rng: &mut Rng, depth: u32) -> Option<Json> {
    match rng.below(10) {
        0 => return None,
        1 => return Some(value(rng, depth.min(2))),
        _ => {}
    }
    match v {
        Json::Object(o) => {
            let mut out = Object::new();
            for (k, child) in &o.0 {
                if let Some(c) = if rng.below(3) == 0 {
                    mutate(child, rng, depth + 1)
                } else {
                    Some(child.clone())
                } {
                    out.0.push((k.clone(), c));
                }
            }
            if rng.below(3) == 0 {
                let key = KEYS[rng.below(KEYS.len() as u64) as usize];
                if !out.contains_key(key) {
                    out.0.push((key.to_owned(), value(rng, 1)));
                }
            }
            Some(Json::Object(out))
        }
        Json::Array(items) if items.iter().all(|e| e.get("Name").is_some()) => {
            let mut items: Vec<Json> = items
                .iter()
                .filter_map(|e| {
                    if rng.below(4) == 0 {
                        mutate_element(e, rng)
                    } else {
                        Some(e.clone())
                    }
                })
                .collect();
            if rng.below(3) == 0 && !items.is_empty() {
                let moved = items.remove(rng.below(items.len() as u64) as usize);
                items.insert(rng.below(items.len() as u64 + 1) as usize, moved);
            }
            if rng.below(3) == 0 {
                let name = NAMES[rng.below(NAMES.len() as u64) as usize];
                if !items
                    .iter()
                    .any(|e| e.get("Name").and_then(Json::as_str) == Some(name))
                {
                    let at = rng.below(items.len() as u64 + 1) as usize;
                    items.insert(at, keyed_element(rng, name));
                }
            }
            Some(Json::Array(items))
        }
        _ => Some(v.clone()),
    }
}

fn mutate_element(e: &Json, rng: &mut Rng) -> Option<Json> {
    let name = e.get("Name")?.as_str()?;
    (rng.below(2) == 0).then(|| keyed_element(rng, name))
}

#[derive(Debug, Clone)]
struct JsonCase {
    base: Option<Json>,
    ours: Option<Json>,
    theirs: Option<Json>,
}

fn json_case() -> impl Strategy<Value = JsonCase> {
    (any::<u64>(), 0u8..20).prop_map(|(seed, absent)| {
        let mut rng = Rng(seed | 1);
        let base = value(&mut rng, 3);
        let ours = mutate(&base, &mut rng, 0);
        let theirs = mutate(&base, &mut rng, 0);
        JsonCase {
            base: (absent != 0).then_some(base),
            ours,
            theirs,
        }
    })
}

fn options() -> impl Strategy<Value = JsonMergeOptions> {
    (
        prop::sample::select(vec![
            Policy::Strict,
            Policy::PreferOurs,
            Policy::PreferTheirs,
        ]),
        any::<bool>(),
    )
        .prop_map(|(policy, keyed)| JsonMergeOptions {
            policy,
            array_keys: if keyed {
                vec!["Id".to_owned(), "Name".to_owned()]
            } else {
                Vec::new()
            },
        })
}

/// Object keys sorted; with keyed arrays, elements sorted by name: equal values modulo the
/// order of concurrent additions.
fn canonical(v: &Json, keyed: bool) -> Json {
    match v {
        Json::Object(o) => {
            let mut members: Vec<(String, Json)> =
                o.0.iter()
                    .map(|(k, v)| (k.clone(), canonical(v, keyed)))
                    .collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(Object(members))
        }
        Json::Array(items) => {
            let mut items: Vec<Json> = items.iter().map(|e| canonical(e, keyed)).collect();
            if keyed {
                items.sort_by_key(|e| e.get("Name").and_then(Json::as_str).map(str::to_owned));
            }
            Json::Array(items)
        }
        other => other.clone(),
    }
}

fn mirrored(c: &JsonConflict) -> JsonConflict {
    JsonConflict {
        ours: c.theirs.clone(),
        theirs: c.ours.clone(),
        ..c.clone()
    }
}

fn sorted_debug(conflicts: &[JsonConflict]) -> Vec<String> {
    let mut v: Vec<String> = conflicts.iter().map(|c| format!("{c:?}")).collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn json_merge_laws(case in json_case(), opts in options()) {
        let b = case.base.as_ref();
        let x = case.ours.as_ref();
        for (ours, theirs) in [(x, b), (b, x), (x, x)] {
            let m = merge_json(b, ours, theirs, &opts);
            prop_assert_eq!(m.value.as_ref(), x);
            prop_assert!(m.conflicts.is_empty());
        }
    }

    #[test]
    fn json_merge_is_symmetric(case in json_case(), opts in options()) {
        let (b, o, t) = (case.base.as_ref(), case.ours.as_ref(), case.theirs.as_ref());
        let m = merge_json(b, o, t, &opts);
        prop_assert_eq!(&merge_json(b, o, t, &opts), &m, "deterministic");
        let swapped = merge_json(b, t, o, &opts);
        let mirrored: Vec<JsonConflict> = swapped.conflicts.iter().map(mirrored).collect();
        prop_assert_eq!(sorted_debug(&m.conflicts), sorted_debug(&mirrored));
        let keyed = !opts.array_keys.is_empty();
        if m.conflicts.is_empty() {
            prop_assert_eq!(
                m.value.as_ref().map(|v| canonical(v, keyed)),
                swapped.value.as_ref().map(|v| canonical(v, keyed))
            );
        }
    }

    #[test]
    fn json_prefer_theirs_mirrors_prefer_ours(case in json_case()) {
        let (b, o, t) = (case.base.as_ref(), case.ours.as_ref(), case.theirs.as_ref());
        let ours_first = JsonMergeOptions { policy: Policy::PreferOurs, array_keys: Vec::new() };
        let theirs_first = JsonMergeOptions { policy: Policy::PreferTheirs, array_keys: Vec::new() };
        let a = merge_json(b, o, t, &theirs_first);
        let z = merge_json(b, t, o, &ours_first);
        prop_assert_eq!(a.value.as_ref().map(|v| canonical(v, false)), z.value.as_ref().map(|v| canonical(v, false)));
        prop_assert!(a.is_clean() && z.is_clean());
    }

    #[test]
    fn json_conflicts_do_not_depend_on_the_policy(case in json_case(), keyed in any::<bool>()) {
        let (b, o, t) = (case.base.as_ref(), case.ours.as_ref(), case.theirs.as_ref());
        let array_keys = if keyed { vec!["Name".to_owned()] } else { Vec::new() };
        let conflicts = |policy| {
            let opts = JsonMergeOptions { policy, array_keys: array_keys.clone() };
            merge_json(b, o, t, &opts)
                .conflicts
                .into_iter()
                .map(|c| JsonConflict { resolved: false, ..c })
                .collect::<Vec<_>>()
        };
        let strict = conflicts(Policy::Strict);
        prop_assert_eq!(&conflicts(Policy::PreferOurs), &strict);
        prop_assert_eq!(&conflicts(Policy::PreferTheirs), &strict);
    }

    #[test]
    fn json_strict_conflicts_hold_ours(case in json_case(), keyed in any::<bool>()) {
        let opts = JsonMergeOptions {
            policy: Policy::Strict,
            array_keys: if keyed { vec!["Name".to_owned()] } else { Vec::new() },
        };
        let m = merge_json(case.base.as_ref(), case.ours.as_ref(), case.theirs.as_ref(), &opts);
        prop_assert_eq!(m.is_clean(), m.conflicts.is_empty());
        if let Some(root) = m.conflicts.iter().find(|c| c.path.is_empty() && c.kind == JsonConflictKind::Value) {
            prop_assert_eq!(&m.value, &root.ours);
        }
        // Each conflict really is a three-way disagreement.
        for c in &m.conflicts {
            prop_assert!(c.ours != c.theirs && c.base != c.ours && c.base != c.theirs, "{:?}", c);
        }
    }
}
