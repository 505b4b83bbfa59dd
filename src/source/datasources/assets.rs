//! `References\Resources.json`, `Assets\**` and the logo <-> `Assets/`.
//!
//! Local media files are renamed after their resource (`Assets/Images/<Name>.<ext>`) and their
//! resource entries are dropped: pack regenerates them from the files, with the original msapp
//! file names, root paths and order restored from Entropy. Only `Uri` resources are written
//! (`Assets/<Name>.json`), plus collision notes for resources renamed because their names differ
//! only in case (`Assets/<Kind>/<File>.json`).
//!
//! A local resource that regeneration would not reproduce exactly (extra fields, a missing or
//! shared file, an unusual path, kind or schema) is kept whole in `Assets/<Name>.json` instead of
//! being dropped as the reference does, and its file keeps its msapp path.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::json::{Json, Object};
use crate::model::{EntryData, MsApp};
use crate::source::names::{
    escape_filename, escaped_path, extension, unescape_filename, without_extension,
};
use crate::source::{Entropy, SourceTree, Warnings};

use super::util::{
    eq_ignore_case, fold_case, is_hidden, ordinal_cmp, parse_tree_object, str_member,
};
use super::{
    ASSETS_DIR, ENTROPY_OLD_LOGO, ENTROPY_RESOURCE_FILE_NAMES, ENTROPY_RESOURCE_INDICES,
    ENTROPY_RESOURCE_ROOT_PATHS,
};

pub const ENTRY: &str = "References\\Resources.json";
const MSAPP_PREFIX: &str = "Assets\\";
const LOCAL_FILE: &str = "LocalFile";
const RESOURCE_TYPE: &str = "ResourceInfo";
const STANDARD_KEYS: [&str; 10] = [
    "Name",
    "FileName",
    "ResourceKind",
    "Path",
    "Content",
    "Schema",
    "Type",
    "IsSampleData",
    "IsWritable",
    "RootPath",
];

/// What a media file extension means to Studio: `Content`, `Schema` and the `Assets\` folder.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MediaKind {
    content: &'static str,
    schema: &'static str,
    folder: &'static str,
}

fn media_kind(file_name: &str) -> Option<MediaKind> {
    let (_, ext) = file_name.rsplit_once('.')?;
    let kind = |content, schema, folder| {
        Some(MediaKind {
            content,
            schema,
            folder,
        })
    };
    match ext.to_ascii_lowercase().as_str() {
        "gif" | "jpg" | "png" | "bmp" | "jpeg" | "tiff" | "tif" | "svg" => {
            kind("Image", "i", "Images")
        }
        "mp3" | "wav" | "wma" => kind("Audio", "m", "Audio"),
        "mp4" | "wmv" => kind("Video", "m", "Video"),
        "pdf" => kind("Pdf", "o", "Pdf"),
        _ => None,
    }
}

/// Whether an msapp entry is an asset file (first segment `Assets`, any case).
pub fn is_asset_entry(name: &str) -> bool {
    name.len() > MSAPP_PREFIX.len()
        && name
            .get(..MSAPP_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(MSAPP_PREFIX))
}

/// The msapp entry of the app logo, `Resources\<PublishInfo.LogoFileName>`, if it exists.
pub fn logo_entry_name(app: &MsApp, publish_info: Option<&Object>) -> Option<String> {
    let old = publish_info
        .and_then(|p| str_member(p, "LogoFileName"))
        .filter(|n| !n.is_empty())?;
    let name = format!("Resources\\{old}");
    app.entries
        .iter()
        .any(|e| e.name == name && matches!(e.data, EntryData::Bytes(_)))
        .then_some(name)
}

/// The key of Entropy `ResourcesJsonIndices`: `<Content>-<Name>`.
fn order_key(resource: &Object) -> String {
    format!(
        "{}-{}",
        str_member(resource, "Content").unwrap_or("Unknown"),
        str_member(resource, "Name").unwrap_or_default()
    )
}

// ---------------------------------------------------------------------------------------------
// Unpack

struct AssetFile<'a> {
    /// Path below `Assets\`, split on `\`.
    segments: Vec<String>,
    bytes: &'a [u8],
    claimed: bool,
}

pub fn unpack(
    app: &MsApp,
    publish_info: Option<&mut Object>,
    entropy: &mut Entropy,
    tree: &mut SourceTree,
    warnings: &mut Warnings,
) -> Result<()> {
    for field in [
        ENTROPY_RESOURCE_ROOT_PATHS,
        ENTROPY_RESOURCE_FILE_NAMES,
        ENTROPY_RESOURCE_INDICES,
    ] {
        entropy.map_mut(field);
    }
    let mut written = TreePaths::default();
    unpack_logo(app, publish_info, entropy, tree, &mut written)?;

    let mut files: Vec<AssetFile> = Vec::new();
    for entry in app.entries.iter().filter(|e| is_asset_entry(&e.name)) {
        let EntryData::Bytes(bytes) = &entry.data else {
            return Err(Error::bad_input(
                &entry.name,
                "asset files must be kept as bytes",
            ));
        };
        let remainder = entry.name.get(MSAPP_PREFIX.len()..).unwrap_or_default();
        files.push(AssetFile {
            segments: remainder.split('\\').map(str::to_string).collect(),
            bytes,
            claimed: false,
        });
    }
    let file_index: HashMap<String, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.segments.join("\\"), i))
        .collect();

    let mut resources = read_resources(app)?;
    let sharded = shard_local_resources(
        &mut resources,
        &mut files,
        &file_index,
        entropy,
        tree,
        &mut written,
        warnings,
    )?;

    for (index, resource) in resources.iter().enumerate() {
        if let Json::Object(resource) = resource {
            let key = order_key(resource);
            let indices = entropy.map_mut(ENTROPY_RESOURCE_INDICES);
            if !indices.keys().any(|k| eq_ignore_case(k, &key)) {
                indices.insert(key, Json::from_i64(index as i64));
            }
        }
    }

    for (resource, sharded) in resources.iter().zip(sharded) {
        match resource {
            Json::Object(r) if !sharded => {
                let name = str_member(r, "Name").unwrap_or_default();
                let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
                let path = written.claim_free(
                    &format!("{ASSETS_DIR}/{}", escape_filename(base)),
                    ".json",
                    warnings,
                );
                tree.insert_json(path, resource);
            }
            Json::Object(_) => {}
            _ => warnings.push(format!(
                "{ENTRY}: a resource entry that is not an object was dropped"
            )),
        }
    }

    for file in files {
        let path = format!(
            "{ASSETS_DIR}/{}",
            escaped_path(file.segments.iter().map(String::as_str))
        );
        if !file.claimed {
            warnings.push(format!(
                "asset Assets\\{} is not referenced by {ENTRY}; pack will add a resource for it",
                file.segments.join("\\")
            ));
        }
        written.claim(&path)?;
        tree.insert(path, file.bytes.to_vec());
    }
    Ok(())
}

fn unpack_logo(
    app: &MsApp,
    publish_info: Option<&mut Object>,
    entropy: &mut Entropy,
    tree: &mut SourceTree,
    written: &mut TreePaths,
) -> Result<()> {
    let Some(publish_info) = publish_info else {
        return Ok(());
    };
    let Some(entry_name) = logo_entry_name(app, Some(publish_info)) else {
        return Ok(());
    };
    let Some(EntryData::Bytes(bytes)) = app
        .entries
        .iter()
        .find(|e| e.name == entry_name)
        .map(|e| &e.data)
    else {
        return Ok(());
    };
    let old = entry_name
        .get("Resources\\".len()..)
        .unwrap_or_default()
        .to_string();
    let new = format!("logo{}", extension(&old));
    let path = format!("{ASSETS_DIR}/{}", escape_filename(&new));
    written.claim(&path)?;
    tree.insert(path, bytes.clone());
    entropy.set(ENTROPY_OLD_LOGO, Json::String(old));
    publish_info.insert("LogoFileName", Json::String(new));
    Ok(())
}

fn read_resources(app: &MsApp) -> Result<Vec<Json>> {
    let Some(doc) = app.json(ENTRY) else {
        return Ok(Vec::new());
    };
    let Json::Object(top) = doc else {
        return Err(Error::bad_input(ENTRY, "expected a JSON object"));
    };
    match top.get("Resources") {
        Some(Json::Array(items)) => Ok(items.clone()),
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(_) => Err(Error::bad_input(ENTRY, "`Resources` is not an array")),
    }
}

/// Renames the files of regenerable local resources and records what pack needs in Entropy.
/// Returns, per resource, whether it was sharded (and so is not written as a JSON file).
fn shard_local_resources(
    resources: &mut [Json],
    files: &mut [AssetFile],
    file_index: &HashMap<String, usize>,
    entropy: &mut Entropy,
    tree: &mut SourceTree,
    written: &mut TreePaths,
    warnings: &mut Warnings,
) -> Result<Vec<bool>> {
    let mut sharded = vec![false; resources.len()];
    let mut local: Vec<usize> = (0..resources.len())
        .filter(|&i| {
            resources[i]
                .as_object()
                .is_some_and(|r| str_member(r, "ResourceKind") == Some(LOCAL_FILE))
        })
        .collect();
    let name_of = |r: &Json| {
        r.get("Name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    local.sort_by(|&a, &b| ordinal_cmp(&name_of(&resources[a]), &name_of(&resources[b])));
    let all_names: HashSet<String> = local
        .iter()
        .map(|&i| fold_case(&name_of(&resources[i])))
        .collect();
    let mut used_names: HashSet<String> = HashSet::new();
    let mut first_with_name: HashMap<String, String> = HashMap::new();

    for index in local {
        let Some(resource) = resources[index].as_object_mut() else {
            continue;
        };
        let Some((kind, file)) =
            regenerable(resource, file_index).filter(|(_, f)| !files[*f].claimed)
        else {
            warnings.push(format!(
                "local resource `{}` cannot be regenerated from its file; kept whole in {ASSETS_DIR}/",
                name_of(&Json::Object(resource.clone()))
            ));
            continue;
        };
        let original = str_member(resource, "Name").unwrap_or_default().to_string();
        let mut name = original.clone();
        if used_names.contains(&fold_case(&name)) {
            let mut counter = 1;
            while all_names.contains(&fold_case(&format!("{original}_{counter}")))
                || used_names.contains(&fold_case(&format!("{original}_{counter}")))
            {
                counter += 1;
            }
            name = format!("{original}_{counter}");
            let colliding = first_with_name
                .get(&fold_case(&original))
                .cloned()
                .unwrap_or_default();
            warnings.push(format!(
                "Asset named {original} collides with {colliding}, unpacking as {name}"
            ));
        }
        used_names.insert(fold_case(&name));
        first_with_name
            .entry(fold_case(&original))
            .or_insert_with(|| original.clone());

        let file_name = files[file].segments.last().cloned().unwrap_or_default();
        let new_file_name = format!("{name}{}", extension(&file_name));
        let root_path = resource.remove("RootPath").unwrap_or(Json::Null);
        if entropy
            .map_get(ENTROPY_RESOURCE_ROOT_PATHS, &original)
            .is_none()
        {
            entropy.map_set(ENTROPY_RESOURCE_ROOT_PATHS, &original, root_path);
        }
        let msapp_file_name = resource.get("FileName").cloned().unwrap_or(Json::Null);
        entropy.map_set(ENTROPY_RESOURCE_FILE_NAMES, &name, msapp_file_name);
        resource.insert("Name", Json::String(name.clone()));
        resource.insert("FileName", Json::String(new_file_name.clone()));
        resource.insert(
            "Path",
            Json::String(format!("{MSAPP_PREFIX}{}\\{new_file_name}", kind.folder)),
        );

        files[file].segments = vec![kind.folder.to_string(), new_file_name.clone()];
        files[file].claimed = true;
        sharded[index] = true;

        if name != original {
            let note_name = format!("{new_file_name}.json");
            let mut note = Object::new();
            note.insert("NewFileName", Json::String(new_file_name.clone()));
            note.insert("OriginalName", Json::String(original.clone()));
            note.insert(
                "Path",
                Json::String(format!("{}/{}", kind.folder, escape_filename(&note_name))),
            );
            let path = format!(
                "{ASSETS_DIR}/{}",
                escaped_path([kind.folder, note_name.as_str()])
            );
            written.claim(&path)?;
            tree.insert_json(path, &Json::Object(note));
        }
    }
    Ok(sharded)
}

/// The media kind and file of a local resource if pack would regenerate exactly this entry.
fn regenerable(
    resource: &Object,
    file_index: &HashMap<String, usize>,
) -> Option<(MediaKind, usize)> {
    if resource.keys().any(|k| !STANDARD_KEYS.contains(&k)) {
        return None;
    }
    let mut seen = HashSet::new();
    if !resource.keys().all(|k| seen.insert(k)) {
        return None;
    }
    str_member(resource, "Name")?;
    let file_name = str_member(resource, "FileName")?;
    let kind = media_kind(file_name)?;
    let expected_path = format!("{MSAPP_PREFIX}{}\\{file_name}", kind.folder);
    let plain = str_member(resource, "Content") == Some(kind.content)
        && str_member(resource, "Schema") == Some(kind.schema)
        && str_member(resource, "Type") == Some(RESOURCE_TYPE)
        && resource.get("IsSampleData").and_then(Json::as_bool) == Some(false)
        && resource.get("IsWritable").and_then(Json::as_bool) == Some(false)
        && matches!(
            resource.get("RootPath"),
            None | Some(Json::Null) | Some(Json::String(_))
        )
        && str_member(resource, "Path") == Some(expected_path.as_str());
    if !plain {
        return None;
    }
    let file = *file_index.get(expected_path.get(MSAPP_PREFIX.len()..)?)?;
    Some((kind, file))
}

/// Tree paths already written, compared case-insensitively (the tree may land on a
/// case-insensitive file system).
#[derive(Default)]
struct TreePaths(HashSet<String>);

impl TreePaths {
    fn claim(&mut self, path: &str) -> Result<()> {
        if self.0.insert(fold_case(path)) {
            Ok(())
        } else {
            Err(Error::bad_input(
                ENTRY,
                format!("two assets would be written to {path}"),
            ))
        }
    }

    /// `<base><ext>`, or `<base>_1<ext>`, `<base>_2<ext>`... when taken.
    fn claim_free(&mut self, base: &str, ext: &str, warnings: &mut Warnings) -> String {
        let mut candidate = format!("{base}{ext}");
        let mut counter = 0;
        while !self.0.insert(fold_case(&candidate)) {
            counter += 1;
            candidate = format!("{base}_{counter}{ext}");
        }
        if counter > 0 {
            warnings.push(format!(
                "resource file {base}{ext} already exists, writing {candidate}"
            ));
        }
        candidate
    }
}

// ---------------------------------------------------------------------------------------------
// Pack

/// The asset side of a packed app.
pub struct PackedAssets {
    /// `Resources\<logo>` and its bytes.
    pub logo: Option<(String, Vec<u8>)>,
    /// `References\Resources.json`.
    pub resources: Json,
    /// `Assets\...` entries.
    pub files: Vec<(String, Vec<u8>)>,
}

struct TreeAsset {
    segments: Vec<String>,
    bytes: Vec<u8>,
}

struct Resource {
    value: Object,
    /// Index into the tree assets for regenerated local resources.
    file: Option<usize>,
}

pub fn pack(
    tree: &SourceTree,
    entropy: &Entropy,
    publish_info: Option<&mut Object>,
    warnings: &mut Warnings,
) -> Result<PackedAssets> {
    let mut resources: Vec<Resource> = Vec::new();
    let mut assets: Vec<TreeAsset> = Vec::new();
    let mut notes: HashMap<String, Json> = HashMap::new();
    for (path, bytes) in tree.under(ASSETS_DIR) {
        if is_hidden(path) {
            warnings.push(format!("ignored hidden file {path}"));
            continue;
        }
        let relative = path.get(ASSETS_DIR.len() + 1..).unwrap_or_default();
        let segments: Vec<String> = relative.split('/').map(unescape_filename).collect();
        let on_disk_name = relative.rsplit('/').next().unwrap_or(relative);
        let is_json = extension(on_disk_name) == ".json";
        if segments.len() == 1 && is_json {
            resources.push(Resource {
                value: parse_tree_object(path, bytes)?,
                file: None,
            });
        } else if is_json && !extension(without_extension(on_disk_name)).is_empty() {
            let note = parse_tree_object(path, bytes)?;
            let Some(new_file_name) = str_member(&note, "NewFileName") else {
                return Err(Error::bad_input(
                    path,
                    "asset collision note without `NewFileName`",
                ));
            };
            let original = note.get("OriginalName").cloned().unwrap_or(Json::Null);
            if notes.insert(new_file_name.to_string(), original).is_some() {
                return Err(Error::invalid(
                    path,
                    format!("a second collision note for {new_file_name}"),
                ));
            }
        } else if is_json {
            warnings.push(format!(
                "ignored {path}: neither a resource nor a collision note"
            ));
        } else {
            assets.push(TreeAsset {
                segments,
                bytes: bytes.to_vec(),
            });
        }
    }

    let logo = take_logo(&mut assets, entropy, publish_info, warnings);

    let verbatim_paths: HashSet<Vec<String>> = resources
        .iter()
        .filter(|r| str_member(&r.value, "ResourceKind") == Some(LOCAL_FILE))
        .filter_map(|r| str_member(&r.value, "Path"))
        .filter_map(|p| p.get(MSAPP_PREFIX.len()..).filter(|_| is_asset_entry(p)))
        .map(|rest| rest.split('\\').map(str::to_string).collect())
        .collect();
    let mut passthrough: Vec<usize> = Vec::new();
    for (index, asset) in assets.iter().enumerate() {
        if verbatim_paths.contains(&asset.segments) {
            passthrough.push(index);
            continue;
        }
        let file_name = asset
            .segments
            .last()
            .map(String::as_str)
            .unwrap_or_default();
        let Some(kind) = media_kind(file_name) else {
            warnings.push(format!(
                "Assets/{} is not an image, audio, video or PDF file; packed without a resource entry",
                asset.segments.join("/")
            ));
            passthrough.push(index);
            continue;
        };
        resources.push(Resource {
            value: generated_resource(&asset.segments, kind),
            file: Some(index),
        });
    }

    let mut resources = order_resources(resources, entropy);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut next_number = highest_numbered_file_name(entropy);
    for resource in &mut resources {
        let Some(asset) = resource.file.and_then(|i| assets.get(i)) else {
            continue;
        };
        let file_name = asset.segments.last().cloned().unwrap_or_default();
        let name = str_member(&resource.value, "Name")
            .unwrap_or_default()
            .to_string();
        let msapp_file_name = match original_file_name(entropy, &name) {
            Some(original) => original,
            None => {
                next_number += 1;
                format!("{next_number:04}{}", extension(&file_name))
            }
        };
        if let Some(original) = notes.get(&file_name) {
            resource.value.insert("Name", original.clone());
        }
        let folder = media_kind(&file_name).map(|k| k.folder).unwrap_or_default();
        let msapp_path = format!("{MSAPP_PREFIX}{folder}\\{msapp_file_name}");
        resource
            .value
            .insert("Path", Json::String(msapp_path.clone()));
        resource
            .value
            .insert("FileName", Json::String(msapp_file_name));
        let root_path = str_member(&resource.value, "Name")
            .and_then(|n| entropy.map_get(ENTROPY_RESOURCE_ROOT_PATHS, n))
            .cloned()
            .unwrap_or_else(|| Json::str(""));
        if !root_path.is_null() {
            resource.value.insert("RootPath", root_path);
        }
        files.push((msapp_path, asset.bytes.clone()));
    }
    for index in passthrough {
        if let Some(asset) = assets.get(index) {
            files.push((
                format!("{MSAPP_PREFIX}{}", asset.segments.join("\\")),
                asset.bytes.clone(),
            ));
        }
    }
    let mut seen = HashSet::new();
    if let Some((name, _)) = files.iter().find(|(name, _)| !seen.insert(name.as_str())) {
        return Err(Error::invalid(
            ASSETS_DIR,
            format!("two assets would be packed as {name}"),
        ));
    }

    let mut doc = Object::new();
    doc.insert(
        "Resources",
        Json::Array(
            resources
                .into_iter()
                .map(|r| Json::Object(r.value))
                .collect(),
        ),
    );
    Ok(PackedAssets {
        logo,
        resources: Json::Object(doc),
        files,
    })
}

/// Sets the logo aside and restores its msapp name into `PublishInfo.LogoFileName`.
fn take_logo(
    assets: &mut Vec<TreeAsset>,
    entropy: &Entropy,
    publish_info: Option<&mut Object>,
    warnings: &mut Warnings,
) -> Option<(String, Vec<u8>)> {
    let publish_info = publish_info?;
    let logo_name = str_member(publish_info, "LogoFileName")
        .filter(|n| !n.is_empty())?
        .to_string();
    let segments: Vec<String> = logo_name.split('\\').map(str::to_string).collect();
    let Some(position) = assets.iter().position(|a| a.segments == segments) else {
        warnings.push(format!(
            "logo file Assets/{logo_name} not found; PublishInfo.LogoFileName kept as is"
        ));
        return None;
    };
    let asset = assets.remove(position);
    let msapp_name = match entropy.get(ENTROPY_OLD_LOGO).and_then(Json::as_str) {
        Some(old) => old.to_string(),
        None => escape_filename(segments.last().map(String::as_str).unwrap_or_default()),
    };
    publish_info.insert("LogoFileName", Json::String(msapp_name.clone()));
    Some((format!("Resources\\{msapp_name}"), asset.bytes))
}

fn generated_resource(segments: &[String], kind: MediaKind) -> Object {
    let file_name = segments.last().map(String::as_str).unwrap_or_default();
    let mut resource = Object::new();
    resource.insert("Name", Json::str(without_extension(file_name)));
    resource.insert("Content", Json::str(kind.content));
    resource.insert("Schema", Json::str(kind.schema));
    resource.insert("ResourceKind", Json::str(LOCAL_FILE));
    resource.insert(
        "Path",
        Json::String(format!("{MSAPP_PREFIX}{}", segments.join("\\"))),
    );
    resource.insert("FileName", Json::str(file_name));
    resource.insert("Type", Json::str(RESOURCE_TYPE));
    resource.insert("IsSampleData", Json::Bool(false));
    resource.insert("IsWritable", Json::Bool(false));
    resource
}

/// Resources in their Entropy order (`ResourcesJsonIndices`), the rest after them.
fn order_resources(resources: Vec<Resource>, entropy: &Entropy) -> Vec<Resource> {
    let Some(indices) = entropy
        .get(ENTROPY_RESOURCE_INDICES)
        .and_then(Json::as_object)
        .filter(|o| !o.is_empty())
    else {
        return resources;
    };
    let mut keyed: Vec<(&str, f64)> = indices
        .iter()
        .filter_map(|(k, v)| v.as_f64().map(|v| (k, v)))
        .collect();
    keyed.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut slots: Vec<Option<Resource>> = resources.into_iter().map(Some).collect();
    let mut ordered = Vec::with_capacity(slots.len());
    for (key, _) in keyed {
        let exact = slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|r| order_key(&r.value) == key));
        let by_name = || {
            let name = key.split_once('-').map(|(_, n)| n)?;
            let mut matching = slots.iter().enumerate().filter(|(_, s)| {
                s.as_ref()
                    .is_some_and(|r| str_member(&r.value, "Name") == Some(name))
            });
            let (index, _) = matching.next()?;
            matching.next().is_none().then_some(index)
        };
        if let Some(resource) = exact
            .or_else(by_name)
            .and_then(|i| slots.get_mut(i))
            .and_then(Option::take)
        {
            ordered.push(resource);
        }
    }
    ordered.extend(slots.into_iter().flatten());
    ordered
}

/// The msapp file name recorded for a resource (case-insensitive, as the reference's map is).
fn original_file_name(entropy: &Entropy, name: &str) -> Option<String> {
    let names = entropy.get(ENTROPY_RESOURCE_FILE_NAMES)?.as_object()?;
    let found = names.get(name).or_else(|| {
        names
            .iter()
            .find(|(k, _)| eq_ignore_case(k, name))
            .map(|(_, v)| v)
    })?;
    found.as_str().map(str::to_string)
}

/// New assets are numbered after the largest numeric msapp file name known (`0007.png` -> 7).
fn highest_numbered_file_name(entropy: &Entropy) -> i64 {
    entropy
        .get(ENTROPY_RESOURCE_FILE_NAMES)
        .and_then(Json::as_object)
        .map(|names| {
            names
                .iter()
                .filter_map(|(_, v)| v.as_str())
                .filter_map(|v| without_extension(v).trim().parse::<i32>().ok())
                .map(i64::from)
                .fold(0, i64::max)
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_kinds() {
        assert_eq!(media_kind("a.PNG").map(|k| k.folder), Some("Images"));
        assert_eq!(media_kind("a.b.wav").map(|k| k.content), Some("Audio"));
        assert_eq!(media_kind("a.wmv").map(|k| k.schema), Some("m"));
        assert_eq!(media_kind("doc.pdf").map(|k| k.schema), Some("o"));
        assert_eq!(media_kind(".svg").map(|k| k.content), Some("Image"));
        assert_eq!(media_kind("png"), None);
        assert_eq!(media_kind("x.DS_Store"), None);
    }

    #[test]
    fn asset_entries() {
        assert!(is_asset_entry("Assets\\Images\\a.png"));
        assert!(is_asset_entry("assets\\a"));
        assert!(!is_asset_entry("Assets\\"));
        assert!(!is_asset_entry("Assets/Images/a.png"));
        assert!(!is_asset_entry("Résumé"));
    }
}
