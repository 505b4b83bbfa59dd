//! Hostile and broken inputs, table-driven, through the real binary: each input is handed to
//! `merge` (as ours, theirs and base), `unpack`, `merge-file` and `textconv`; every refusal must
//! exit 2 with one line naming the file and the problem, and leave every file of the user's
//! byte-identical (no temp file left behind either); textconv must exit 0 on everything.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

use msapp_merge::container::{self, Limits};
use msapp_merge::synthetic::synthetic_app;

// ---- building hostile archives ----

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip entry written by hand, for archives no zip library writes.
#[derive(Clone)]
struct Raw {
    name: Vec<u8>,
    data: Vec<u8>,
    method: u16,
    flags: u16,
    made_by: u16,
    external: u32,
    /// What the headers claim the entry inflates to.
    declared: Option<u32>,
    /// The CRC-32 the headers claim (by default that of `data`, right for stored entries).
    crc: Option<u32>,
}

fn raw(name: &str, data: &[u8]) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        data: data.to_vec(),
        method: 0,
        flags: 0,
        made_by: 20,
        external: 0,
        declared: None,
        crc: None,
    }
}

/// An entry deflated (as stored blocks) from `content`, whose headers claim `declared` bytes
/// and the CRC-32 `crc` once inflated.
fn deflated(name: &str, deflate: Vec<u8>, declared: usize, crc: u32) -> Raw {
    Raw {
        method: 8,
        declared: Some(declared as u32),
        crc: Some(crc),
        ..raw(name, &deflate)
    }
}

fn craft(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let mut common = Vec::new();
        common.extend_from_slice(&20u16.to_le_bytes());
        common.extend_from_slice(&e.flags.to_le_bytes());
        common.extend_from_slice(&e.method.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());
        common.extend_from_slice(&0x21u16.to_le_bytes());
        common.extend_from_slice(&e.crc.unwrap_or_else(|| crc32(&e.data)).to_le_bytes());
        common.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        common.extend_from_slice(&e.declared.unwrap_or(e.data.len() as u32).to_le_bytes());
        common.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&e.made_by.to_le_bytes());
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0; 6]);
        central.extend_from_slice(&e.external.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&e.name);
    }
    let cd_offset = out.len() as u32;
    let count = (entries.len() as u16).to_le_bytes();
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count);
    out.extend_from_slice(&count);
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0; 2]);
    out
}

/// The entries of a small valid app, stored uncompressed, so single entries can be made hostile.
fn app_entries() -> Vec<Raw> {
    let bytes = synthetic_app(1, 2, &[]).unwrap();
    container::read_archive(&bytes, "synthetic", &Limits::default())
        .unwrap()
        .entries
        .into_iter()
        .map(|e| raw(&e.name, &e.data))
        .collect()
}

/// A valid app plus one more entry.
fn app_plus(extra: Raw) -> Vec<u8> {
    let mut entries = app_entries();
    entries.push(extra);
    craft(&entries)
}

/// A valid app with one entry's content replaced.
fn app_with_entry(name: &str, data: Vec<u8>) -> Vec<u8> {
    let mut entries = app_entries();
    let entry = entries
        .iter_mut()
        .find(|e| e.name == name.as_bytes())
        .unwrap_or_else(|| panic!("no entry {name}"));
    entry.data = data;
    craft(&entries)
}

/// The screen's control entry (the one holding the labels).
fn control_entry() -> (String, Vec<u8>) {
    let entries = app_entries();
    let e = entries
        .iter()
        .find(|e| e.name.starts_with(b"Controls\\") && find_all(&e.data, b"Label 1 of").len() == 1)
        .unwrap();
    (String::from_utf8(e.name.clone()).unwrap(), e.data.clone())
}

/// The screen's control entry with `text` as a formula of its first label.
fn app_with_formula(text: &str) -> Vec<u8> {
    let (name, data) = control_entry();
    let s = String::from_utf8(data).unwrap();
    let needle = "\"\\\"Label 1 of screen 1\\\"\"";
    assert!(s.contains(needle), "fixture changed: {s}");
    let mut quoted = String::new();
    msapp_merge::json::write_string_literal(&mut quoted, text);
    app_with_entry(&name, s.replacen(needle, &quoted, 1).into_bytes())
}

/// A deflate stream of stored blocks: valid Deflate and Deflate64 alike.
fn stored_deflate(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunks = data.chunks(0xFFFF).peekable();
    if chunks.peek().is_none() {
        return vec![1, 0, 0, 0xFF, 0xFF];
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// Header.json with one more member nested `depth` levels deep (counting the header object).
fn nested_json(depth: usize) -> Vec<u8> {
    let header = app_entries()
        .into_iter()
        .find(|e| e.name == b"Header.json")
        .unwrap()
        .data;
    let header = String::from_utf8(header).unwrap();
    let deep = format!(
        "{{\"Deep\":{}1{},",
        "[".repeat(depth - 1),
        "]".repeat(depth - 1)
    );
    header.replacen('{', &deep, 1).into_bytes()
}

// ---- the table ----

/// What must happen to an input.
#[derive(Clone, Copy)]
enum Expect {
    /// Refused: exit 2, one line with every fragment.
    Refused(&'static [&'static str]),
    /// Read like any app (merge exits 0 or 1, unpack 0).
    Accepted,
    /// Refused as ours or theirs of a merge, read everywhere else (history may hold what
    /// both sides have since fixed; unpack shows the app as it is).
    RefusedAsSide(&'static [&'static str]),
    /// Refused wherever it is read; as the base of a merge whose sides both dropped the bad
    /// entry, it is never read (entries are compared by their stored CRC and size first).
    RefusedUnlessUnread(&'static [&'static str]),
}

impl Expect {
    fn for_merge(&self, side: Side) -> Expect {
        match (*self, side) {
            (Expect::RefusedAsSide(_) | Expect::RefusedUnlessUnread(_), Side::Base) => {
                Expect::Accepted
            }
            (Expect::RefusedUnlessUnread(f), _) => Expect::Refused(f),
            (other, _) => other,
        }
    }

    fn outside_merge(&self) -> Expect {
        match *self {
            Expect::RefusedAsSide(_) => Expect::Accepted,
            Expect::RefusedUnlessUnread(f) => Expect::Refused(f),
            other => other,
        }
    }
}

struct Case {
    name: &'static str,
    bytes: fn() -> Vec<u8>,
    expect: Expect,
}

fn cases() -> Vec<Case> {
    use Expect::*;
    vec![
        Case {
            name: "zero-byte file",
            bytes: Vec::new,
            expect: Refused(&["empty file"]),
        },
        Case {
            name: "wrong magic (text)",
            bytes: || b"this is not a zip at all\n".to_vec(),
            expect: Refused(&["not a zip archive"]),
        },
        Case {
            name: "wrong magic (PNG)",
            bytes: || b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            expect: Refused(&["not a zip archive"]),
        },
        Case {
            name: "only the end record",
            bytes: || craft(&[]),
            expect: Refused(&["Header.json"]),
        },
        Case {
            name: "truncated to half",
            bytes: || {
                let b = synthetic_app(1, 2, &[]).unwrap();
                b[..b.len() / 2].to_vec()
            },
            expect: Refused(&["truncated or corrupt zip"]),
        },
        Case {
            name: "truncated by one byte",
            bytes: || {
                let b = synthetic_app(1, 2, &[]).unwrap();
                b[..b.len() - 1].to_vec()
            },
            expect: Refused(&["truncated or corrupt zip"]),
        },
        Case {
            name: "encrypted entry",
            bytes: || {
                let mut e = raw("Assets\\secret.txt", b"xxxxxxxxxxxxxxxx");
                e.flags = 1;
                app_plus(e)
            },
            expect: Refused(&["entry Assets\\secret.txt is encrypted"]),
        },
        Case {
            name: "unsupported method (bzip2)",
            bytes: || {
                let mut e = raw("Assets\\a.txt", b"BZh91AY&SY");
                e.method = 12;
                app_plus(e)
            },
            expect: Refused(&["Assets\\a.txt", "unsupported compression method"]),
        },
        Case {
            name: "unsupported method (LZMA)",
            bytes: || {
                let mut e = raw("Assets\\a.txt", b"\x09\x14\x05\x00]\0\0\x80\0");
                e.method = 14;
                app_plus(e)
            },
            expect: Refused(&["Assets\\a.txt", "unsupported compression method"]),
        },
        Case {
            name: "Deflate64 entry",
            bytes: || {
                let (name, data) = control_entry();
                let mut entries = app_entries();
                let e = entries
                    .iter_mut()
                    .find(|e| e.name == name.as_bytes())
                    .unwrap();
                e.data = stored_deflate(&data);
                e.method = 9;
                e.declared = Some(data.len() as u32);
                // The CRC is of the inflated bytes.
                let mut zip = craft(&entries);
                let crc = crc32(&data).to_le_bytes();
                let old = crc32(&stored_deflate(&data)).to_le_bytes();
                for at in find_all(&zip, &old) {
                    zip[at..at + 4].copy_from_slice(&crc);
                }
                zip
            },
            expect: Accepted,
        },
        Case {
            name: "zip bomb (one entry declares 2 GiB)",
            bytes: || {
                let mut e = raw("Assets\\bomb.bin", &stored_deflate(&[0; 1024]));
                e.method = 8;
                e.declared = Some(u32::MAX);
                app_plus(e)
            },
            expect: Refused(&["Assets\\bomb.bin", "zip bomb"]),
        },
        Case {
            name: "zip bomb (ratio)",
            bytes: || {
                let mut e = raw("Assets\\bomb.bin", &[0x03, 0x00]);
                e.method = 8;
                e.declared = Some(64 << 20);
                app_plus(e)
            },
            expect: Refused(&["Assets\\bomb.bin", "compression ratio", "zip bomb"]),
        },
        Case {
            name: "zip bomb (total of many entries)",
            bytes: || {
                let mut entries = app_entries();
                // Each within the per-entry and ratio limits; together over 2 GiB.
                for i in 0..4 {
                    let mut e = raw(&format!("Assets\\part{i}.bin"), &[0u8; 700 << 10]);
                    e.declared = Some(600 << 20);
                    entries.push(e);
                }
                craft(&entries)
            },
            expect: Refused(&["in total once inflated", "zip bomb"]),
        },
        Case {
            name: "entry lies about its size",
            bytes: || {
                let mut e = raw("Assets\\a.txt", b"0123456789");
                e.declared = Some(4);
                app_plus(e)
            },
            expect: RefusedUnlessUnread(&["Assets\\a.txt", "stored as 10 bytes but declares 4"]),
        },
        Case {
            name: "deflated entry inflates to more than it declares",
            bytes: || {
                let text = b"0123456789";
                app_plus(deflated(
                    "Assets\\a.txt",
                    stored_deflate(text),
                    4,
                    crc32(text),
                ))
            },
            expect: RefusedUnlessUnread(&[
                "Assets\\a.txt",
                "inflates to more than 4 bytes but declares 4",
            ]),
        },
        Case {
            name: "deflated entry inflates to less than it declares",
            bytes: || {
                let text = b"0123456789";
                app_plus(deflated(
                    "Assets\\a.txt",
                    stored_deflate(text),
                    20,
                    crc32(text),
                ))
            },
            expect: RefusedUnlessUnread(&["Assets\\a.txt", "inflates to 10 bytes but declares 20"]),
        },
        Case {
            name: "deflated entry with a wrong CRC-32",
            bytes: || {
                let text = b"0123456789";
                app_plus(deflated(
                    "Assets\\a.txt",
                    stored_deflate(text),
                    10,
                    crc32(text) ^ 1,
                ))
            },
            expect: RefusedUnlessUnread(&["Assets\\a.txt", "CRC-32 does not match"]),
        },
        Case {
            name: "deflate stream cut short",
            bytes: || {
                let text = b"0123456789";
                let mut stream = stored_deflate(text);
                stream.truncate(stream.len() - 3);
                app_plus(deflated("Assets\\a.txt", stream, 10, crc32(text)))
            },
            expect: RefusedUnlessUnread(&["Assets\\a.txt", "deflate stream ends early"]),
        },
        Case {
            name: "corrupt deflate stream",
            bytes: || {
                // Block type 3 does not exist.
                app_plus(deflated("Assets\\a.txt", vec![0x07, 0, 0, 0], 10, 0))
            },
            expect: RefusedUnlessUnread(&["Assets\\a.txt", "truncated or corrupt zip"]),
        },
        Case {
            name: "too many entries",
            bytes: || {
                let mut entries = app_entries();
                for i in 0..20_001 {
                    entries.push(raw(&format!("Assets\\{i}"), b""));
                }
                craft(&entries)
            },
            expect: Refused(&["entries, more than the limit"]),
        },
        Case {
            name: "path traversal (..)",
            bytes: || app_plus(raw("Assets\\..\\..\\evil.txt", b"x")),
            expect: Refused(&["entry Assets\\..\\..\\evil.txt: ", "`..`"]),
        },
        Case {
            name: "path traversal (../ with slashes)",
            bytes: || app_plus(raw("../../../../tmp/evil.txt", b"x")),
            expect: Refused(&["`..`"]),
        },
        Case {
            name: "absolute path",
            bytes: || app_plus(raw("/etc/evil", b"x")),
            expect: Refused(&["absolute entry name"]),
        },
        Case {
            name: "absolute path (backslash)",
            bytes: || app_plus(raw("\\Windows\\evil", b"x")),
            expect: Refused(&["absolute entry name"]),
        },
        Case {
            name: "UNC path",
            bytes: || app_plus(raw("\\\\server\\share\\evil", b"x")),
            expect: Refused(&["absolute entry name"]),
        },
        Case {
            name: "drive letter",
            bytes: || app_plus(raw("C:\\evil.txt", b"x")),
            expect: Refused(&["drive letter"]),
        },
        Case {
            name: "drive-relative path",
            bytes: || app_plus(raw("c:evil.txt", b"x")),
            expect: Refused(&["drive letter"]),
        },
        Case {
            name: "NUL in a name",
            bytes: || app_plus(raw("Assets\\a\0.txt", b"x")),
            expect: Refused(&["entry Assets\\a\\u{0}.txt: ", "control characters"]),
        },
        Case {
            name: "duplicate names",
            bytes: || {
                let mut entries = app_entries();
                let first = entries[0].clone();
                entries.push(first);
                craft(&entries)
            },
            expect: Refused(&["duplicate entry name"]),
        },
        Case {
            name: "case-colliding names",
            bytes: || app_plus(raw("HEADER.JSON", b"{}")),
            expect: Refused(&["differ only in case"]),
        },
        Case {
            name: "separator-colliding names",
            bytes: || {
                let (name, data) = control_entry();
                app_plus(raw(&name.replace('\\', "/"), &data))
            },
            expect: Refused(&["differ only in case or separator"]),
        },
        Case {
            name: "symlink entry",
            bytes: || {
                let mut e = raw("Assets\\link", b"/etc/passwd");
                e.made_by = 3 << 8 | 20;
                e.external = 0o120_777 << 16;
                app_plus(e)
            },
            expect: Refused(&["entry Assets\\link is a symbolic link"]),
        },
        Case {
            name: "invalid UTF-8 in JSON",
            bytes: || app_with_entry("Header.json", b"{\"DocVersion\":\"\xff\xfe\"}".to_vec()),
            expect: Refused(&["Header.json", "UTF-8"]),
        },
        Case {
            name: "JSON with a BOM",
            bytes: || {
                let mut entries = app_entries();
                let e = entries
                    .iter_mut()
                    .find(|e| e.name == b"Header.json")
                    .unwrap();
                let mut data = b"\xef\xbb\xbf".to_vec();
                data.extend_from_slice(&e.data);
                e.data = data;
                craft(&entries)
            },
            expect: Accepted,
        },
        Case {
            name: "JSON with CRLF and tabs",
            bytes: || {
                let (name, data) = control_entry();
                let value = msapp_merge::json::parse_bytes(&data).unwrap();
                let text = msapp_merge::json::to_indented_string(&value)
                    .replace('\n', "\r\n")
                    .replace("  ", "\t");
                app_with_entry(&name, text.into_bytes())
            },
            expect: Accepted,
        },
        Case {
            name: "JSON cut short",
            bytes: || {
                let (name, data) = control_entry();
                app_with_entry(&name, data[..data.len() / 2].to_vec())
            },
            expect: Refused(&["Controls\\"]),
        },
        Case {
            name: "JSON nested at the depth limit",
            bytes: || {
                app_with_entry(
                    "Header.json",
                    nested_json(msapp_merge::json::MAX_ENTRY_DEPTH),
                )
            },
            expect: Accepted,
        },
        Case {
            name: "JSON nested one level too deep",
            bytes: || {
                app_with_entry(
                    "Header.json",
                    nested_json(msapp_merge::json::MAX_ENTRY_DEPTH + 1),
                )
            },
            expect: Refused(&["Header.json", "nesting deeper than 480 levels"]),
        },
        Case {
            name: "JSON nested too deep",
            bytes: || app_with_entry("Header.json", nested_json(100_000)),
            expect: Refused(&["Header.json", "nesting deeper than"]),
        },
        Case {
            name: "formula with CRLF, tabs and a BOM",
            bytes: || app_with_formula("\u{feff}If(true,\r\n\t\"a\",\r\n\t\"b\")"),
            expect: Accepted,
        },
        Case {
            name: "formula holding conflict markers",
            bytes: || app_with_formula("<<<<<<< HEAD\n\"a\"\n=======\n\"b\"\n>>>>>>> x"),
            expect: RefusedAsSide(&["conflict markers", "Src/Screen1.fx.yaml:"]),
        },
        Case {
            name: "enormous formula (8 MiB)",
            bytes: || app_with_formula(&format!("\"{}\"", "x".repeat(8 << 20))),
            expect: Accepted,
        },
        Case {
            name: "formula of 100,000 lines",
            bytes: || app_with_formula(&"1+\n".repeat(100_000)),
            expect: Accepted,
        },
    ]
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

// ---- running them ----

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_msapp-merge"))
}

fn run(args: &[&std::ffi::OsStr], cwd: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .env_remove("GIT_DIR")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file below `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                out.insert(path.clone(), b"<dir>".to_vec());
                stack.push(path);
            } else {
                out.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Checks a refusal: exit 2, a single line naming `file` and saying every fragment.
fn assert_refusal(case: &str, what: &str, out: &Output, file: &str, fragments: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{case}: {what}: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{case}: {what}: not one line: {err}");
    let line = lines[0];
    assert!(
        line.starts_with("msapp-merge: error: "),
        "{case}: {what}: {line}"
    );
    assert!(
        line.contains(file),
        "{case}: {what}: does not name {file}: {line}"
    );
    for fragment in fragments {
        assert!(
            line.contains(fragment),
            "{case}: {what}: lacks {fragment:?}: {line}"
        );
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// Where the hostile input goes in a merge.
#[derive(Clone, Copy, Debug)]
enum Side {
    Base,
    Ours,
    Theirs,
}

fn check_merge(case: &Case, hostile: &[u8], side: Side) {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_app(1, 2, &[]).unwrap();
    let ours = synthetic_app(1, 2, &[(1, 1, "\"ours\"")]).unwrap();
    let theirs = synthetic_app(1, 2, &[(1, 2, "\"theirs\"")]).unwrap();
    let (b, o, t) = match side {
        Side::Base => (hostile, &ours[..], &theirs[..]),
        Side::Ours => (&base[..], hostile, &theirs[..]),
        Side::Theirs => (&base[..], &ours[..], hostile),
    };
    let b = write(dir.path(), "base.msapp", b);
    let o = write(dir.path(), "ours.msapp", o);
    let t = write(dir.path(), "theirs.msapp", t);
    let before = snapshot(dir.path());
    let out = run(
        &[
            "merge".as_ref(),
            "--path".as_ref(),
            "Apps/My App.msapp".as_ref(),
            b.as_os_str(),
            o.as_os_str(),
            t.as_os_str(),
        ],
        dir.path(),
    );
    let what = format!("merge with it as {side:?}");
    match case.expect.for_merge(side) {
        Expect::Refused(fragments)
        | Expect::RefusedAsSide(fragments)
        | Expect::RefusedUnlessUnread(fragments) => {
            let side_name = match side {
                Side::Base => "base",
                Side::Ours => "ours",
                Side::Theirs => "theirs",
            };
            assert_refusal(case.name, &what, &out, "Apps/My App.msapp", fragments);
            if matches!(side, Side::Theirs) {
                eprintln!("{:<40} {}", case.name, stderr(&out).trim_end());
            }
            assert!(
                stderr(&out).contains(side_name),
                "{}: {what}: does not say which side: {}",
                case.name,
                stderr(&out)
            );
            assert!(
                snapshot(dir.path()) == before,
                "{}: {what}: files changed",
                case.name
            );
        }
        Expect::Accepted => {
            let code = out.status.code();
            assert!(
                code == Some(0) || code == Some(1),
                "{}: {what}: {code:?} {}",
                case.name,
                stderr(&out)
            );
            // Only ours (the result) may change, and the conflict workspace appear.
            let after = snapshot(dir.path());
            for (path, bytes) in &before {
                if path != &o {
                    assert_eq!(
                        after.get(path),
                        Some(bytes),
                        "{}: {what}: {path:?}",
                        case.name
                    );
                }
            }
            let merged = fs::read(&o).unwrap();
            msapp_merge::app::parse_msapp(&merged, "merged").unwrap();
            for path in after.keys() {
                let name = path.file_name().unwrap().to_string_lossy();
                assert!(
                    !name.starts_with(".msapp-merge-"),
                    "{}: left {path:?}",
                    case.name
                );
            }
        }
    }
}

fn check_unpack(case: &Case, hostile: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let app = write(dir.path(), "app.msapp", hostile);
    // Into a directory that does not exist yet...
    let out = run(
        &["unpack".as_ref(), app.as_os_str(), "fresh".as_ref()],
        dir.path(),
    );
    // ...and over a user's existing tree with --force.
    let existing = dir.path().join("existing");
    fs::create_dir(&existing).unwrap();
    fs::write(existing.join("keep.txt"), b"user's file").unwrap();
    let before = snapshot(dir.path());
    let forced = run(
        &[
            "unpack".as_ref(),
            "--force".as_ref(),
            app.as_os_str(),
            existing.as_os_str(),
        ],
        dir.path(),
    );
    match case.expect.outside_merge() {
        Expect::RefusedAsSide(_) | Expect::RefusedUnlessUnread(_) => unreachable!(),
        Expect::Refused(fragments) => {
            let file = app.display().to_string();
            assert_refusal(case.name, "unpack", &out, &file, fragments);
            assert_refusal(case.name, "unpack --force", &forced, &file, fragments);
            assert!(
                !dir.path().join("fresh").exists(),
                "{}: unpack created the directory",
                case.name
            );
            assert!(
                snapshot(dir.path()) == before,
                "{}: unpack --force changed files",
                case.name
            );
        }
        Expect::Accepted => {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: unpack: {}",
                case.name,
                stderr(&out)
            );
            assert_eq!(
                forced.status.code(),
                Some(0),
                "{}: {}",
                case.name,
                stderr(&forced)
            );
            assert!(!existing.join("keep.txt").exists());
        }
    }
}

fn check_textconv(case: &Case, hostile: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let app = write(dir.path(), "app.msapp", hostile);
    let out = run(&["textconv".as_ref(), app.as_os_str()], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: textconv: {}",
        case.name,
        stderr(&out)
    );
    let text = String::from_utf8(out.stdout).expect("textconv prints UTF-8");
    if let Expect::Refused(_) = case.expect.outside_merge() {
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("msapp-merge: cannot show {}: ", app.display())),
            "{}: textconv: {first}",
            case.name
        );
    }
}

#[test]
fn hostile_apps() {
    let cases = cases();
    let mut counts = BTreeMap::new();
    for case in &cases {
        let hostile = (case.bytes)();
        for side in [Side::Ours, Side::Theirs, Side::Base] {
            if hostile.is_empty() && matches!(side, Side::Base) {
                continue; // an empty base means "no common ancestor": tested below
            }
            check_merge(case, &hostile, side);
        }
        check_unpack(case, &hostile);
        check_textconv(case, &hostile);
        *counts
            .entry(match case.expect {
                Expect::Refused(_) => "refused",
                Expect::RefusedAsSide(_) => "refused as a side of a merge",
                Expect::RefusedUnlessUnread(_) => "refused where read",
                Expect::Accepted => "accepted",
            })
            .or_insert(0) += 1;
    }
    eprintln!("hostile apps: {counts:?}");
}

#[test]
fn empty_base_is_no_common_ancestor() {
    let dir = tempfile::tempdir().unwrap();
    let b = write(dir.path(), "base.msapp", b"");
    let ours = synthetic_app(1, 2, &[]).unwrap();
    let o = write(dir.path(), "ours.msapp", &ours);
    let t = write(dir.path(), "theirs.msapp", &ours);
    let out = run(
        &[
            "merge".as_ref(),
            b.as_os_str(),
            o.as_os_str(),
            t.as_os_str(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read(&o).unwrap(), ours);
}

#[test]
fn missing_input_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let ours = synthetic_app(1, 2, &[]).unwrap();
    let o = write(dir.path(), "ours.msapp", &ours);
    let out = run(
        &[
            "merge".as_ref(),
            "nope.msapp".as_ref(),
            o.as_os_str(),
            o.as_os_str(),
        ],
        dir.path(),
    );
    assert_refusal(
        "missing base",
        "merge",
        &out,
        "nope.msapp",
        &["No such file"],
    );
    assert_eq!(fs::read(&o).unwrap(), ours);
}

// ---- committed trees: merge-file on hostile .fx.yaml ----

const SCREEN: &str =
    "Screen1 As screen:\n\n    Label1 As label:\n        Text: =\"Hello\"\n        X: =40\n\n";

struct TextCase {
    name: &'static str,
    bytes: fn() -> Vec<u8>,
    /// `None`: merged (exit 0 or 1); `Some`: refused with these fragments.
    refused: Option<&'static [&'static str]>,
}

fn text_cases() -> Vec<TextCase> {
    vec![
        TextCase {
            name: "BOM",
            bytes: || format!("\u{feff}{SCREEN}").into_bytes(),
            refused: None,
        },
        TextCase {
            name: "CRLF",
            bytes: || SCREEN.replace('\n', "\r\n").into_bytes(),
            refused: None,
        },
        TextCase {
            name: "tab indentation",
            bytes: || SCREEN.replace("    ", "\t").into_bytes(),
            refused: Some(&["Src/Screen1.fx.yaml:3:1", "tabs"]),
        },
        TextCase {
            name: "conflict markers",
            bytes: || {
                SCREEN
                    .replace(
                        "        Text: =\"Hello\"\n",
                        "<<<<<<< HEAD\n        Text: =\"a\"\n=======\n        Text: =\"b\"\n>>>>>>> x\n",
                    )
                    .into_bytes()
            },
            refused: Some(&["Src/Screen1.fx.yaml:4", "conflict markers"]),
        },
        TextCase {
            name: "invalid UTF-8",
            bytes: || {
                let mut b = SCREEN.as_bytes().to_vec();
                b.extend_from_slice(b"    L2 As label:\n        Text: =\"\xff\"\n");
                b
            },
            refused: Some(&["UTF-8"]),
        },
        TextCase {
            name: "zero bytes",
            bytes: Vec::new,
            refused: None,
        },
        TextCase {
            name: "binary garbage",
            bytes: || (0u8..=255).cycle().take(4096).collect(),
            refused: Some(&[]),
        },
        TextCase {
            name: "controls nested 300 deep",
            bytes: || {
                let mut s = String::from("Screen1 As screen:\n");
                for depth in 1..300 {
                    s.push_str(&format!("{}L{depth} As label:\n", "    ".repeat(depth)));
                }
                s.into_bytes()
            },
            refused: Some(&["nested more than"]),
        },
        TextCase {
            name: "enormous formula",
            bytes: || {
                SCREEN
                    .replace("=\"Hello\"", &format!("=\"{}\"", "y".repeat(8 << 20)))
                    .into_bytes()
            },
            refused: None,
        },
    ]
}

#[test]
fn hostile_fx_yaml_files() {
    let mut counts = BTreeMap::new();
    for case in text_cases() {
        let dir = tempfile::tempdir().unwrap();
        let b = write(dir.path(), "base.fx.yaml", SCREEN.as_bytes());
        let ours = SCREEN.replace("X: =40", "X: =41");
        let o = write(dir.path(), "ours.fx.yaml", ours.as_bytes());
        let t = write(dir.path(), "theirs.fx.yaml", &(case.bytes)());
        let before = snapshot(dir.path());
        let out = run(
            &[
                "merge-file".as_ref(),
                "--kind".as_ref(),
                "fx-yaml".as_ref(),
                "--path".as_ref(),
                "Src/Screen1.fx.yaml".as_ref(),
                b.as_os_str(),
                o.as_os_str(),
                t.as_os_str(),
            ],
            dir.path(),
        );
        match case.refused {
            Some(fragments) => {
                assert_refusal(
                    case.name,
                    "merge-file",
                    &out,
                    "Src/Screen1.fx.yaml",
                    fragments,
                );
                assert!(
                    stderr(&out).contains("in theirs (theirs): "),
                    "{}: which side? {}",
                    case.name,
                    stderr(&out)
                );
                assert!(
                    snapshot(dir.path()) == before,
                    "{}: files changed",
                    case.name
                );
            }
            None => {
                let code = out.status.code();
                assert!(
                    code == Some(0) || code == Some(1),
                    "{}: {code:?} {}",
                    case.name,
                    stderr(&out)
                );
            }
        }
        *counts.entry(case.refused.is_some()).or_insert(0) += 1;
    }
    eprintln!("hostile .fx.yaml (refused?): {counts:?}");
}

// ---- the panic guard ----

#[test]
fn a_panic_exits_above_128_so_git_fails_the_merge() {
    let code = msapp_merge::crash::guarded(|| panic!("forced"));
    assert_eq!(
        code,
        ExitCode::from(msapp_merge::crash::INTERNAL_ERROR_EXIT)
    );
    const { assert!(msapp_merge::crash::INTERNAL_ERROR_EXIT > 128) };
    assert_eq!(
        msapp_merge::crash::guarded(|| ExitCode::from(1)),
        ExitCode::from(1)
    );
}

#[test]
fn a_panic_is_one_line_naming_the_place() {
    let payload: Box<dyn std::any::Any + Send> = Box::new(String::from("index out of\nbounds"));
    let line =
        msapp_merge::crash::panic_line(payload.as_ref(), Some(std::panic::Location::caller()));
    assert!(!line.contains('\n'), "{line}");
    assert!(line.starts_with("msapp-merge: internal error (a bug in msapp-merge): index out of bounds at tests/hostile_inputs.rs:"), "{line}");
    let payload: Box<dyn std::any::Any + Send> = Box::new(42);
    assert!(msapp_merge::crash::panic_line(payload.as_ref(), None).contains("unknown panic"));
}

// ---- atomic writes ----

/// Replacing a file goes through a private temp file; the result must keep the permissions of
/// the file it replaced (an app packed over a shared 0644 file stayed 0600).
#[cfg(unix)]
#[test]
fn atomic_writes_keep_permissions_and_leave_no_temp_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.msapp");
    fs::write(&path, b"old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    msapp_merge::fsio::write_atomic(&path, b"new").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// What git does with a driver that exits like our panic guard: it never records a clean
/// merge, and the work tree keeps our version (git 2.47 fails the merge, 2.39 calls it a
/// conflict).
#[test]
fn git_never_takes_the_crash_exit_code_as_a_clean_merge() {
    let code = msapp_merge::crash::INTERNAL_ERROR_EXIT;
    for git in ["/usr/local/bin/git", "/usr/bin/git", "git"] {
        let Ok(version) = Command::new(git).arg("--version").output() else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            Command::new(git)
                .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c"])
                .arg(format!("merge.crash.driver=exit {code}"))
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", dir.path())
                .output()
                .unwrap()
        };
        let ok = |args: &[&str]| assert!(run(args).status.success(), "{args:?}");
        ok(&["init", "-q", "-b", "main"]);
        fs::write(dir.path().join(".gitattributes"), "*.msapp merge=crash\n").unwrap();
        fs::write(dir.path().join("a.msapp"), "base").unwrap();
        ok(&["add", "."]);
        ok(&["commit", "-qm", "base"]);
        ok(&["checkout", "-qb", "side"]);
        fs::write(dir.path().join("a.msapp"), "theirs").unwrap();
        ok(&["commit", "-qam", "theirs"]);
        ok(&["checkout", "-q", "main"]);
        fs::write(dir.path().join("a.msapp"), "ours").unwrap();
        ok(&["commit", "-qam", "ours"]);
        let merge = run(&["merge", "side"]);
        let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
        assert!(!merge.status.success(), "{version}: {merge:?}");
        let head = run(&["rev-parse", "HEAD^{tree}"]);
        let ours_tree = run(&["rev-parse", "main^{tree}"]);
        assert_eq!(head.stdout, ours_tree.stdout, "{version}: no merge commit");
        // The guard never touches %A, so whatever git does, the file is ours.
        let content = fs::read_to_string(dir.path().join("a.msapp")).unwrap();
        assert_eq!(content, "ours", "{version}");
    }
}
