//! Unpack: local media renamed after their resources, Uri resources and collision notes
//! written as JSON, the logo moved to `Assets/logo.<ext>`.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::json::{Json, Object};
use crate::model::MsApp;
use crate::source::names::{escape_filename, escaped_path, extension};
use crate::source::{Entropy, SourceTree, Warnings};

use super::super::util::{eq_ignore_case, fold_case, ordinal_cmp, str_member};
use super::super::{
    ASSETS_DIR, ENTROPY_OLD_LOGO, ENTROPY_RESOURCE_FILE_NAMES, ENTROPY_RESOURCE_INDICES,
    ENTROPY_RESOURCE_ROOT_PATHS,
};
use super::{
    ENTRY, LOCAL_FILE, MSAPP_PREFIX, MediaKind, RESOURCE_TYPE, STANDARD_KEYS, asset_segments,
    entry_bytes, logo_entry, media_kind, order_key,
};

struct AssetFile {
    /// Path below `Assets\`, split on `\`.
    segments: Vec<String>,
    bytes: Vec<u8>,
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
    for entry in &app.entries {
        let Some(segments) = asset_segments(&entry.name) else {
            continue;
        };
        if segments.len() == 1 && extension(&segments[0]) == ".json" {
            // The tree keeps resource entries there.
            return Err(Error::bad_input(
                &entry.name,
                "a JSON file directly in Assets\\ cannot be unpacked",
            ));
        }
        files.push(AssetFile {
            segments,
            bytes: entry_bytes(entry),
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

    // Files of resources kept whole stay where their entry points.
    for (resource, _) in resources.iter().zip(&sharded).filter(|(_, s)| !**s) {
        let owned = resource
            .get("Path")
            .and_then(Json::as_str)
            .and_then(asset_segments)
            .and_then(|segments| file_index.get(&segments.join("\\")));
        if let Some(&file) = owned {
            files[file].claimed = true;
        }
    }

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
        tree.insert(path, file.bytes);
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
    let Some(entry) = logo_entry(app, Some(publish_info)) else {
        return Ok(());
    };
    let old = str_member(publish_info, "LogoFileName")
        .unwrap_or_default()
        .to_string();
    let new = format!("logo{}", extension(&old));
    let path = format!("{ASSETS_DIR}/{}", escape_filename(&new));
    written.claim(&path)?;
    tree.insert(path, entry_bytes(entry));
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
