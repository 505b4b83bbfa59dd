//! Container tests: every corpus app reads and round-trips; hostile archives are refused with
//! a clear one-line message and never panic.

use std::path::PathBuf;

use msapp_merge::container::{ArchiveWriter, Limits, list_entries, read_archive, write_archive};

fn corpus_apps() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut apps: Vec<PathBuf> = std::fs::read_dir(root.join("apps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "msapp"))
        .collect();
    for pair in std::fs::read_dir(root.join("pairs")).unwrap() {
        let app = pair.unwrap().path().join("app.msapp");
        if app.exists() {
            apps.push(app);
        }
    }
    apps.sort();
    assert!(apps.len() >= 30, "corpus not found: {apps:?}");
    apps
}

fn entries_of(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    read_archive(bytes, "test", &Limits::default())
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.name, e.data))
        .collect()
}

fn error_of(bytes: &[u8], limits: &Limits) -> String {
    let err = read_archive(bytes, "app.msapp", limits).expect_err("archive should be refused");
    let text = err.to_string();
    assert!(!text.contains('\n'), "error is not one line: {text}");
    assert!(
        text.starts_with("app.msapp: "),
        "error does not name the file: {text}"
    );
    // list_entries applies the same checks, so it must refuse too (unless only inflating fails).
    text
}

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

/// A hand-made zip entry, for archives the zip crate refuses to write.
#[derive(Clone)]
struct RawEntry {
    name: Vec<u8>,
    data: Vec<u8>,
    method: u16,
    flags: u16,
    made_by: u16,
    external: u32,
    declared_size: Option<u32>,
}

impl RawEntry {
    fn stored(name: &str, data: &[u8]) -> Self {
        RawEntry {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            method: 0,
            flags: 0,
            made_by: 20,
            external: 0,
            declared_size: None,
        }
    }
}

fn craft_zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let crc = crc32(&e.data);
        let size = e.declared_size.unwrap_or(e.data.len() as u32);
        let mut common = Vec::new();
        common.extend_from_slice(&20u16.to_le_bytes()); // version needed
        common.extend_from_slice(&e.flags.to_le_bytes());
        common.extend_from_slice(&e.method.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // time
        common.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
        common.extend_from_slice(&crc.to_le_bytes());
        common.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra length

        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&e.made_by.to_le_bytes());
        central.extend_from_slice(&common);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&e.external.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&e.name);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn assert_refused(bytes: &[u8], expected: &[&str]) -> String {
    let text = error_of(bytes, &Limits::default());
    for word in expected {
        assert!(text.contains(word), "expected {word:?} in: {text}");
    }
    let listed = list_entries(bytes, "app.msapp", &Limits::default());
    assert!(
        listed.is_err(),
        "list_entries accepted what read_archive refused: {text}"
    );
    text
}

#[test]
fn every_corpus_app_reads() {
    for app in corpus_apps() {
        let bytes = std::fs::read(&app).unwrap();
        let archive = read_archive(&bytes, &app.display().to_string(), &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", app.display()));
        assert!(
            archive.entries.iter().any(|e| e.name == "Header.json"),
            "{}",
            app.display()
        );
        assert!(
            archive.entries.iter().any(|e| e.name.contains('\\')),
            "{}: backslash names not kept",
            app.display()
        );
    }
}

#[test]
fn list_entries_matches_content() {
    for app in corpus_apps() {
        let bytes = std::fs::read(&app).unwrap();
        let listed = list_entries(&bytes, "t", &Limits::default()).unwrap();
        let read = read_archive(&bytes, "t", &Limits::default()).unwrap();
        assert_eq!(listed.len(), read.entries.len());
        for (info, entry) in listed.iter().zip(&read.entries) {
            assert_eq!(info.name, entry.name);
            assert_eq!(info.uncompressed_size, entry.data.len() as u64);
            // The bitwise CRC is slow in debug builds; small entries are enough to check.
            if entry.data.len() < 256 << 10 {
                assert_eq!(info.crc32, crc32(&entry.data), "{}", info.name);
            }
            assert!(info.compressed_size > 0 || entry.data.is_empty());
        }
    }
}

#[test]
fn write_then_read_keeps_names_and_bytes() {
    for app in corpus_apps() {
        let bytes = std::fs::read(&app).unwrap();
        let entries = entries_of(&bytes);
        let written = write_archive(&entries).unwrap();
        assert_eq!(entries_of(&written), entries, "{}", app.display());
        if bytes.len() < 200_000 {
            let again = write_archive(&entries).unwrap();
            assert_eq!(again, written, "{}: not deterministic", app.display());
        }
    }
}

#[test]
fn written_zip_looks_like_studio() {
    let entries = vec![
        (
            "Header.json".to_string(),
            b"{\"DocVersion\":\"1.3\"}".to_vec(),
        ),
        ("Controls\\1.json".to_string(), vec![b'x'; 5000]),
        ("Assets\\Images\\Grüße.png".to_string(), vec![1, 2, 3]),
        ("empty.txt".to_string(), Vec::new()),
    ];
    let zip = write_archive(&entries).unwrap();
    // Walk the central directory by hand: made by MS-DOS 2.0, Deflate, fixed DOS timestamp,
    // no extra fields, UTF-8 flag only on the non-ASCII name.
    let mut pos = zip
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
        .unwrap();
    let u16_at = |p: usize| u16::from_le_bytes([zip[p], zip[p + 1]]);
    let u32_at = |p: usize| u32::from_le_bytes([zip[p], zip[p + 1], zip[p + 2], zip[p + 3]]);
    for (name, _) in &entries {
        assert_eq!(u32_at(pos), 0x0201_4b50);
        let made_by = u16_at(pos + 4);
        assert_eq!(made_by >> 8, 0, "{name}: made by system");
        let flags = u16_at(pos + 8);
        assert_eq!(flags & 0x800 != 0, !name.is_ascii(), "{name}: UTF-8 flag");
        assert_eq!(flags & !0x800, 0, "{name}: flags");
        assert_eq!(u16_at(pos + 10), 8, "{name}: method");
        assert_eq!(u16_at(pos + 12), 0, "{name}: time");
        assert_eq!(u16_at(pos + 14), 0x21, "{name}: date");
        let name_len = u16_at(pos + 28) as usize;
        assert_eq!(u16_at(pos + 30), 0, "{name}: extra fields");
        assert_eq!(u32_at(pos + 38), 0, "{name}: external attributes");
        assert_eq!(&zip[pos + 46..pos + 46 + name_len], name.as_bytes());
        pos += 46 + name_len + u16_at(pos + 30) as usize + u16_at(pos + 32) as usize;
    }
}

/// Big archives deflate on two cores: the bytes are those one writer gives.
#[test]
fn big_archives_are_the_bytes_one_writer_gives() {
    let app = corpus_apps()
        .into_iter()
        .find(|p| p.ends_with("EmptyLocalDBRefsHashMismatchProperties.msapp"))
        .unwrap();
    let entries = entries_of(&std::fs::read(app).unwrap());
    assert!(entries.iter().map(|(_, d)| d.len()).sum::<usize>() > 4 << 20);
    let mut one = ArchiveWriter::new();
    for (name, data) in &entries {
        one.add(name, data).unwrap();
    }
    let written = write_archive(&entries).unwrap();
    assert!(written == one.finish().unwrap());
    assert_eq!(entries_of(&written), entries);
}

#[test]
fn raw_copy_keeps_entries() {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/apps/MyWeather.msapp"),
    )
    .unwrap();
    let entries = entries_of(&bytes);
    let mut writer = ArchiveWriter::new();
    for (i, (name, data)) in entries.iter().enumerate() {
        if i % 2 == 0 {
            writer.copy_raw_from(&bytes, name).unwrap();
        } else {
            writer.add(name, data).unwrap();
        }
    }
    let out = writer.finish().unwrap();
    assert_eq!(entries_of(&out), entries);
    // Raw copies keep the compressed bytes: sizes and CRCs are the source's.
    let before = list_entries(&bytes, "a", &Limits::default()).unwrap();
    let after = list_entries(&out, "b", &Limits::default()).unwrap();
    for (i, (a, b)) in before.iter().zip(&after).enumerate() {
        assert_eq!(a.crc32, b.crc32);
        if i % 2 == 0 {
            assert_eq!(a.compressed_size, b.compressed_size, "{}", a.name);
        }
    }
    let mut writer = ArchiveWriter::new();
    let err = writer
        .copy_raw_from(&bytes, "NoSuch.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("NoSuch.json"), "{err}");
}

#[test]
fn writer_refuses_names_the_reader_refuses() {
    let mut writer = ArchiveWriter::new();
    writer.add("Controls\\1.json", b"{}").unwrap();
    assert!(
        writer
            .add("controls/1.json", b"{}")
            .unwrap_err()
            .to_string()
            .contains("duplicate")
    );
    assert!(writer.add("Controls\\1.json", b"{}").is_err());
    assert!(writer.add("..\\x", b"").is_err());
    assert!(writer.add("/abs", b"").is_err());
}

#[test]
fn empty_and_random_bytes_are_not_zips() {
    assert_refused(b"", &["not a zip archive"]);
    let mut seed = 0x1234_5678_u32;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 24) as u8
        })
        .collect();
    assert_refused(&random, &["not a zip archive"]);
    assert_refused(b"{\"json\": true}", &["not a zip archive"]);
}

#[test]
fn truncated_apps_are_refused() {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/apps/MyWeather.msapp"),
    )
    .unwrap();
    let len = bytes.len();
    for cut in [
        1,
        2,
        3,
        4,
        30,
        100,
        len / 3,
        len / 2,
        len - 200,
        len - 30,
        len - 22,
        len - 1,
    ] {
        let text = error_of(&bytes[..cut], &Limits::default());
        assert!(
            text.contains("truncated or corrupt zip") || text.contains("not a zip archive"),
            "cut at {cut}: {text}"
        );
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/apps/AppWithLabel.msapp"),
    )
    .unwrap();
    let mut seed = 42u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    for _ in 0..400 {
        let mut damaged = bytes.clone();
        for _ in 0..1 + next() % 4 {
            let at = next() % damaged.len();
            damaged[at] ^= 1 << (next() % 8);
        }
        let _ = read_archive(&damaged, "fuzz", &Limits::default());
        let _ = list_entries(&damaged, "fuzz", &Limits::default());
    }
}

#[test]
fn duplicate_names_are_refused() {
    let zip = craft_zip(&[
        RawEntry::stored("Controls\\1.json", b"{}"),
        RawEntry::stored("Controls\\1.json", b"{\"x\":1}"),
    ]);
    assert_refused(&zip, &["duplicate", "Controls\\1.json"]);
}

#[test]
fn case_and_separator_duplicates_are_refused() {
    let zip = craft_zip(&[
        RawEntry::stored("References\\Templates.json", b"{}"),
        RawEntry::stored("references\\templates.JSON", b"{}"),
    ]);
    assert_refused(
        &zip,
        &[
            "duplicate",
            "References\\Templates.json",
            "references\\templates.JSON",
        ],
    );
    let zip = craft_zip(&[
        RawEntry::stored("Controls\\1.json", b"{}"),
        RawEntry::stored("Controls/1.json", b"{}"),
    ]);
    assert_refused(&zip, &["duplicate", "Controls\\1.json", "Controls/1.json"]);
}

#[test]
fn hostile_names_are_refused() {
    for (name, words) in [
        ("..\\x", &["..", "segment"][..]),
        ("Assets/../../etc/passwd", &["segment"][..]),
        ("/abs", &["absolute"][..]),
        ("\\abs", &["absolute"][..]),
        ("C:\\x", &["absolute"][..]),
        ("a\0b.json", &["control"][..]),
        ("a\u{1}b.json", &["control"][..]),
    ] {
        let zip = craft_zip(&[
            RawEntry::stored("Header.json", b"{}"),
            RawEntry::stored(name, b"x"),
        ]);
        assert_refused(&zip, words);
    }
}

#[test]
fn directories_are_skipped_and_names_kept() {
    let zip = craft_zip(&[
        RawEntry::stored("Controls/", b""),
        RawEntry::stored("Controls\\", b""),
        RawEntry::stored("Controls\\1.json", b"{}"),
        RawEntry::stored("Other/x.txt", b"x"),
    ]);
    let names: Vec<String> = entries_of(&zip).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["Controls\\1.json", "Other/x.txt"]);
}

#[test]
fn symlinks_are_refused() {
    let mut link = RawEntry::stored("Assets\\link", b"/etc/passwd");
    link.made_by = (3 << 8) | 20;
    link.external = 0o120_777 << 16;
    assert_refused(&craft_zip(&[link]), &["symbolic link", "Assets\\link"]);
}

#[test]
fn encrypted_and_unknown_methods_are_refused() {
    let mut secret = RawEntry::stored("Header.json", b"{}");
    secret.flags = 1;
    assert_refused(&craft_zip(&[secret]), &["encrypted"]);
    let mut bzip = RawEntry::stored("Header.json", b"{}");
    bzip.method = 12;
    assert_refused(&craft_zip(&[bzip]), &["unsupported compression method"]);
}

#[test]
fn zip_bombs_are_refused_before_inflating() {
    // Declares 4 GiB for 100 bytes.
    let mut bomb = RawEntry::stored("Controls\\1.json", &[0u8; 100]);
    bomb.method = 8;
    bomb.declared_size = Some(u32::MAX);
    assert_refused(&craft_zip(&[bomb]), &["zip bomb", "Controls\\1.json"]);

    // A real high-ratio entry: 8 MiB of zeros deflates ~1000:1.
    let zeros = write_archive(&[("big.bin".to_string(), vec![0u8; 8 << 20])]).unwrap();
    let strict = Limits {
        max_ratio: 100,
        ..Limits::default()
    };
    let text = error_of(&zeros, &strict);
    assert!(
        text.contains("compression ratio") && text.contains("big.bin"),
        "{text}"
    );
    assert!(
        read_archive(
            &zeros,
            "ok",
            &Limits {
                max_ratio: 100_000,
                ..Limits::default()
            }
        )
        .is_ok()
    );

    // Total and count limits.
    let small = craft_zip(&[
        RawEntry::stored("a", &[1; 600]),
        RawEntry::stored("b", &[1; 600]),
    ]);
    let text = error_of(
        &small,
        &Limits {
            max_total_uncompressed: 1000,
            ..Limits::default()
        },
    );
    assert!(text.contains("in total"), "{text}");
    let text = error_of(
        &small,
        &Limits {
            max_entry_uncompressed: 500,
            ..Limits::default()
        },
    );
    assert!(text.contains("limit of 500"), "{text}");
    let text = error_of(
        &small,
        &Limits {
            max_entries: 1,
            ..Limits::default()
        },
    );
    assert!(text.contains("2 entries"), "{text}");
}

#[test]
fn entries_larger_than_declared_are_errors() {
    let mut liar = RawEntry::stored("Header.json", b"{\"much more data than declared\":1}");
    liar.declared_size = Some(3);
    let text = error_of(&craft_zip(&[liar]), &Limits::default());
    assert!(text.contains("truncated or corrupt zip"), "{text}");

    // A deflated entry whose size fields (local and central) were lowered after writing.
    let mut zip = write_archive(&[("x.json".to_string(), vec![b'a'; 10_000])]).unwrap();
    let local = zip
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x03, 0x04])
        .unwrap();
    zip[local + 22..local + 26].copy_from_slice(&100u32.to_le_bytes());
    let central = zip
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
        .unwrap();
    zip[central + 24..central + 28].copy_from_slice(&100u32.to_le_bytes());
    let text = error_of(&zip, &Limits::default());
    assert!(text.contains("truncated or corrupt zip"), "{text}");
}

/// Flips a bit of the CRC-32 the central directory records for `name`.
fn corrupt_crc(zip: &mut [u8], name: &str) {
    let at = (0..zip.len().saturating_sub(46))
        .find(|&i| {
            zip[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] && {
                let len = usize::from(u16::from_le_bytes([zip[i + 28], zip[i + 29]]));
                zip.get(i + 46..i + 46 + len) == Some(name.as_bytes())
            }
        })
        .unwrap_or_else(|| panic!("no central record for {name}"));
    zip[at + 16] ^= 1;
}

#[test]
fn big_archives_inflated_on_two_cores_name_the_first_bad_entry() {
    // Eight 1 MB entries: more than the size from which both cores inflate, so entries 1 and 6
    // fall in different halves.
    let entries: Vec<(String, Vec<u8>)> = (0..8u32)
        .map(|i| {
            let data = (0..1u32 << 20)
                .map(|j| (j.wrapping_mul(2_654_435_761).wrapping_add(i) >> 24) as u8)
                .collect();
            (format!("Assets\\e{i}.bin"), data)
        })
        .collect();
    let zip = write_archive(&entries).unwrap();
    assert_eq!(entries_of(&zip), entries);
    let mut both = zip.clone();
    corrupt_crc(&mut both, "Assets\\e1.bin");
    corrupt_crc(&mut both, "Assets\\e6.bin");
    let text = error_of(&both, &Limits::default());
    assert!(
        text.contains("entry Assets\\e1.bin: its CRC-32 does not match"),
        "{text}"
    );
    let mut late = zip;
    corrupt_crc(&mut late, "Assets\\e6.bin");
    let text = error_of(&late, &Limits::default());
    assert!(
        text.contains("entry Assets\\e6.bin: its CRC-32 does not match"),
        "{text}"
    );
}
