//! Pack: resources regenerated from the media files, original names, root paths and order
//! restored from Entropy, the logo set aside.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::json::{Json, Object};
use crate::source::names::{escape_filename, extension, unescape_filename, without_extension};
use crate::source::{Entropy, SourceTree, Warnings};

use super::super::util::{eq_ignore_case, is_hidden, parse_tree_object, str_member};
use super::super::{
    ASSETS_DIR, ENTROPY_OLD_LOGO, ENTROPY_RESOURCE_FILE_NAMES, ENTROPY_RESOURCE_INDICES,
    ENTROPY_RESOURCE_ROOT_PATHS,
};
use super::{
    LOCAL_FILE, MSAPP_PREFIX, MediaKind, RESOURCE_TYPE, is_asset_entry, media_kind, order_key,
};

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
    let segments: Vec<String> = logo_name.split(['\\', '/']).map(str::to_string).collect();
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
