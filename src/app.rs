//! High-level operations on files: what the commands do, minus argument parsing and printing.

use std::path::Path;

use crate::checksum;
use crate::container::{self, Limits};
use crate::error::{Error, Result};
use crate::fsio;
use crate::json;
use crate::model::{EntryData, MsApp};
use crate::source::transforms::DefaultSource;
use crate::source::unpack::UnpackOptions;
use crate::source::{self, SourceTree, Warnings};

/// Reads and parses an `.msapp` file.
pub fn load_msapp(path: &Path) -> Result<MsApp> {
    let bytes = fsio::read_file(path)?;
    parse_msapp(&bytes, &path.display().to_string())
}

pub fn parse_msapp(bytes: &[u8], label: &str) -> Result<MsApp> {
    let archive = container::read_archive(bytes, label, &Limits::default())?;
    MsApp::from_archive_deferring(archive, label, |_| false)
}

/// [`parse_msapp`] with control entries and `References\DataSources.json` left as bytes,
/// parsed by unpack where it splits them: for callers that only unpack the app (with
/// `skip_client_checksum`, or the checksum reads the bytes instead).
pub fn parse_msapp_for_unpack(bytes: &[u8], label: &str) -> Result<MsApp> {
    let archive = container::read_archive(bytes, label, &Limits::default())?;
    MsApp::from_archive_deferring(archive, label, |name| {
        source::unpack::control_folder(name).is_some() || source::datasources::reads_unparsed(name)
    })
}

/// Serializes an app: JSON entries compact, names as stored, deterministic bytes.
pub fn msapp_bytes(app: &MsApp) -> Result<Vec<u8>> {
    let entries: Vec<(String, Vec<u8>)> = app
        .entries
        .iter()
        .map(|e| {
            let data = match &e.data {
                EntryData::Json(j) => json::to_compact_string(j).into_bytes(),
                EntryData::Bytes(b) => b.clone(),
            };
            (e.name.clone(), data)
        })
        .collect();
    container::write_archive(&entries)
}

/// Default values of the app's controls, from what the app itself carries.
pub fn defaults_of_app(app: &MsApp) -> Result<Box<dyn DefaultSource>> {
    source::defaults::from_app(app)
}

pub fn defaults_of_tree(tree: &SourceTree) -> Result<Box<dyn DefaultSource>> {
    source::defaults::from_tree(tree)
}

pub fn unpack_app(
    app: &MsApp,
    label: &str,
    opts: &UnpackOptions,
) -> Result<(SourceTree, Warnings)> {
    let defaults = defaults_of_app(app)?;
    source::unpack::unpack(app, defaults.as_ref(), opts, label)
}

/// [`unpack_app`] of an app read by [`parse_msapp_for_unpack`] and not needed afterwards (see
/// [`source::unpack::unpack_owned`]).
pub fn unpack_app_owned(
    app: MsApp,
    label: &str,
    opts: &UnpackOptions,
) -> Result<(SourceTree, Warnings)> {
    let defaults = defaults_of_app(&app)?;
    source::unpack::unpack_owned(app, defaults.as_ref(), opts, label)
}

pub fn pack_tree(tree: &SourceTree) -> Result<(MsApp, Warnings)> {
    source::pack::pack(tree, &defaults_of_tree)
}

/// Unpacks and proves the tree packs back to the same content, so nothing is lost.
pub fn unpack_verified(
    app: &MsApp,
    label: &str,
    opts: &UnpackOptions,
) -> Result<(SourceTree, Warnings)> {
    let (tree, warnings) = unpack_app(app, label, opts)?;
    let before = recorded_checksum(&tree, opts).unwrap_or_else(|| checksum::compute(app));
    prove_round_trip(&tree, &before, label)?;
    Ok((tree, warnings))
}

/// [`unpack_verified`] of an app's bytes: read as unpack reads them (the control entries and
/// the data sources parsed one at a time as they are split), and let go before the tree is
/// packed again for the proof, so that the app and its repacked copy are never held at once.
pub fn unpack_verified_bytes(
    bytes: &[u8],
    label: &str,
    opts: &UnpackOptions,
) -> Result<(SourceTree, Warnings)> {
    let app = parse_msapp_for_unpack(bytes, label)?;
    let (tree, warnings) = unpack_app(&app, label, opts)?;
    let before = recorded_checksum(&tree, opts).unwrap_or_else(|| checksum::compute(&app));
    drop(app);
    prove_round_trip(&tree, &before, label)?;
    Ok((tree, warnings))
}

/// The checksum of the app that unpack computed and recorded in `Entropy/checksum.json`,
/// which the proof need not compute again; `None` when unpack was told to skip it.
fn recorded_checksum(tree: &SourceTree, opts: &UnpackOptions) -> Option<checksum::Checksums> {
    if opts.skip_client_checksum {
        return None;
    }
    let doc = json::parse_bytes(tree.get("Entropy/checksum.json")?).ok()?;
    let whole = doc.get("ClientStampedChecksum")?.as_str()?.to_string();
    let per_file = doc
        .get("ClientPerFileChecksums")?
        .as_object()?
        .iter()
        .map(|(name, sum)| Some((name.to_string(), sum.as_str()?.to_string())))
        .collect::<Option<Vec<_>>>()?;
    Some(checksum::Checksums { whole, per_file })
}

/// Packs `tree` again and checks it holds the content whose checksum is `before`.
fn prove_round_trip(tree: &SourceTree, before: &checksum::Checksums, label: &str) -> Result<()> {
    let (repacked, _) = pack_tree(tree)?;
    let after = checksum::compute(&repacked);
    if before.whole != after.whole {
        let differing: Vec<String> = diff_files(before, &after);
        return Err(Error::bad_input(
            label,
            format!(
                "unpack would not round-trip (this is a bug in msapp-merge; nothing was written); entries that differ: {}",
                differing.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Entry names whose per-file checksums differ (or that exist on one side only).
pub fn diff_files(a: &checksum::Checksums, b: &checksum::Checksums) -> Vec<String> {
    let mut out = Vec::new();
    for (name, sum) in &a.per_file {
        match b.per_file.iter().find(|(n, _)| n == name) {
            Some((_, other)) if other == sum => {}
            Some(_) => out.push(name.clone()),
            None => out.push(format!("{name} (missing after pack)")),
        }
    }
    for (name, _) in &b.per_file {
        if !a.per_file.iter().any(|(n, _)| n == name) {
            out.push(format!("{name} (added by pack)"));
        }
    }
    out
}

/// `unpack APP DIR`: refuses a non-empty DIR unless `force`.
pub fn unpack_file(
    app_path: &Path,
    dir: &Path,
    force: bool,
    opts: &UnpackOptions,
) -> Result<Warnings> {
    if !force && !fsio::is_empty_dir(dir)? {
        return Err(Error::Refused(format!(
            "{} is not empty; use --force to replace its content",
            dir.display()
        )));
    }
    let bytes = fsio::read_file(app_path)?;
    let (tree, warnings) = unpack_verified_bytes(&bytes, &app_path.display().to_string(), opts)?;
    drop(bytes);
    fsio::write_tree(dir, &tree)?;
    Ok(warnings)
}

/// `pack DIR APP`.
pub fn pack_dir(dir: &Path, app_path: &Path) -> Result<Warnings> {
    let tree = fsio::read_tree(dir)?;
    let (app, warnings) = pack_tree(&tree).map_err(|e| prefix_error(e, dir))?;
    let bytes = msapp_bytes(&app)?;
    fsio::write_atomic(app_path, &bytes)?;
    Ok(warnings)
}

/// Errors from tree files name them relative to the tree; make them relative to the cwd.
fn prefix_error(e: Error, dir: &Path) -> Error {
    let join = |f: &str| dir.join(f).display().to_string();
    match e {
        Error::Syntax { mut at, message } => {
            at.file = join(&at.file);
            Error::Syntax { at, message }
        }
        Error::Invalid { file, message } => Error::Invalid {
            file: join(&file),
            message,
        },
        Error::BadInput { file, message }
            if !file.is_empty() && !Path::new(&file).is_absolute() =>
        {
            Error::BadInput {
                file: join(&file),
                message,
            }
        }
        other => other,
    }
}
