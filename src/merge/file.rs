//! Per-file drivers for teams who commit the unpacked tree instead of the `.msapp`: one file
//! of the tree merged with the rule its kind calls for.

use std::str::FromStr;

use crate::error::{Error, Result};
use crate::source::SourceTree;

use super::conflict::{Conflict, ConflictKind, Note};
use super::controls::{ControlsMerger, SideControls};
use super::tree::{MergeOptions, TreeMerge, merge_cache, merge_file};

/// Which rule a file of an unpacked tree follows (`merge-file --kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A `.fx.yaml` control file: control- and property-level merge.
    FxYaml,
    /// Editor state, `Entropy.json`: merged key by key; clashes take ours; never a conflict.
    Cache,
    /// `checksum.json`: never a conflict (pack writes a fresh checksum).
    Checksum,
    /// `CanvasManifest.json`, `DataSources/*`, `pkgs/*`, `Connections/*`: non-overlapping
    /// changes merge, conflicting ones are refused.
    Strict,
}

impl FromStr for FileKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fx-yaml" => Ok(FileKind::FxYaml),
            "cache" => Ok(FileKind::Cache),
            "checksum" => Ok(FileKind::Checksum),
            "strict" => Ok(FileKind::Strict),
            other => Err(format!(
                "unknown kind '{other}' (fx-yaml, cache, checksum, strict)"
            )),
        }
    }
}

/// The merged file (with conflict markers for `.fx.yaml` conflicts) and what happened.
pub struct FileMerge {
    pub bytes: Option<Vec<u8>>,
    pub conflicts: Vec<Conflict>,
    pub notes: Vec<Note>,
}

/// Keeps the line endings the file already uses (trees unpacked on Windows use CRLF).
fn match_newlines(reference: &[u8], text: Vec<u8>) -> Vec<u8> {
    let crlf = reference.windows(2).any(|w| w == b"\r\n");
    if !crlf {
        return text;
    }
    let s = String::from_utf8_lossy(&text)
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    s.into_bytes()
}

pub fn merge_one_file(
    kind: FileKind,
    path: &str,
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    opts: &MergeOptions,
) -> Result<FileMerge> {
    let (b, o, t) = (present(base), present(ours), present(theirs));
    let mut out = TreeMerge::default();
    let bytes = match kind {
        FileKind::Checksum => o.or(t).map(<[u8]>::to_vec),
        FileKind::Cache => merge_cache(path, b, o, t, &mut out),
        FileKind::Strict => {
            let bytes = merge_file(path, b, o, t, &mut out);
            for c in &mut out.conflicts {
                if c.kind == ConflictKind::BothChanged {
                    c.kind = ConflictKind::Refused;
                }
            }
            bytes
        }
        FileKind::FxYaml => {
            let labels = &opts.text.labels;
            let side = |bytes: Option<&[u8]>, side: String| -> Result<SideControls> {
                let mut tree = SourceTree::new();
                if let Some(bytes) = bytes {
                    tree.insert(SIDE_FILE, bytes.to_vec());
                }
                // A side committed half-resolved would have its markers buried in formulas.
                if let Some(line) = super::app::markers_in(&tree).first() {
                    let line = line.strip_prefix(SIDE_FILE).unwrap_or(line);
                    return Err(Error::bad_input(
                        format!("{path}{line}"),
                        format!("in {side}: holds unresolved conflict markers; resolve them first"),
                    ));
                }
                SideControls::read(&tree).map_err(|e| relabel(e, path, &side))
            };
            let (bs, os, ts) = (
                side(b, format!("base ({})", labels.base))?,
                side(o, format!("ours ({})", labels.ours))?,
                side(t, format!("theirs ({})", labels.theirs))?,
            );
            let merged = ControlsMerger {
                base: &bs,
                ours: &os,
                theirs: &ts,
                text_opts: &opts.text,
            }
            .merge()?;
            out.conflicts = merged.conflicts;
            out.notes = merged.notes;
            let mut files = merged.files;
            if !out.conflicts.is_empty() {
                files.extend(merged.marked_files);
            }
            files
                .into_iter()
                .find(|(p, _)| p.ends_with(".fx.yaml"))
                .map(|(_, text)| match_newlines(o.or(t).unwrap_or_default(), text))
        }
    };
    Ok(FileMerge {
        bytes,
        conflicts: out.conflicts,
        notes: out.notes,
    })
}

/// Git passes an empty base file when both sides added the file.
fn present(bytes: &[u8]) -> Option<&[u8]> {
    (!bytes.is_empty()).then_some(bytes)
}

/// Where a side's file sits in the one-file tree it is read as.
const SIDE_FILE: &str = "Src/file.fx.yaml";

/// Errors about one side name the file by its path in the repository and say which side it
/// is: git hands the driver three temporary files whose names mean nothing to the user.
fn relabel(e: Error, path: &str, side: &str) -> Error {
    let file = |f: String| if f == SIDE_FILE { path.to_string() } else { f };
    let message = |m: String| format!("in {side}: {m}");
    match e {
        Error::Syntax { mut at, message: m } => {
            at.file = file(at.file);
            Error::Syntax {
                at,
                message: message(m),
            }
        }
        Error::BadInput {
            file: f,
            message: m,
        } => Error::BadInput {
            file: file(f),
            message: message(m),
        },
        Error::Invalid {
            file: f,
            message: m,
        } => Error::Invalid {
            file: file(f),
            message: message(m),
        },
        other => other,
    }
}
