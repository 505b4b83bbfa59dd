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

mod pack;
mod unpack;

use crate::json::Object;
use crate::model::{Entry, EntryData, MsApp, same_entry_name};

use super::util::str_member;

pub use pack::pack;
pub use unpack::unpack;

pub const ENTRY: &str = "References\\Resources.json";
pub(super) const MSAPP_PREFIX: &str = "Assets\\";
pub(super) const LOCAL_FILE: &str = "LocalFile";
pub(super) const RESOURCE_TYPE: &str = "ResourceInfo";
pub(super) const STANDARD_KEYS: [&str; 10] = [
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
pub(super) struct MediaKind {
    pub content: &'static str,
    pub schema: &'static str,
    pub folder: &'static str,
}

pub(super) fn media_kind(file_name: &str) -> Option<MediaKind> {
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

/// Whether an msapp entry is an asset file (first segment `Assets`, any case, either
/// separator).
pub fn is_asset_entry(name: &str) -> bool {
    asset_segments(name).is_some()
}

/// The path of an asset entry below `Assets\`, split into segments.
pub(super) fn asset_segments(name: &str) -> Option<Vec<String>> {
    let (first, rest) = name.split_once(['\\', '/'])?;
    (first.eq_ignore_ascii_case("Assets") && !rest.is_empty())
        .then(|| rest.split(['\\', '/']).map(str::to_string).collect())
}

/// The msapp entry of the app logo, `Resources\<PublishInfo.LogoFileName>`, if it exists.
pub fn logo_entry_name(app: &MsApp, publish_info: Option<&Object>) -> Option<String> {
    logo_entry(app, publish_info).map(|e| e.name.clone())
}

/// The logo entry; an exact name match first, then any spelling Studio would accept.
pub(super) fn logo_entry<'a>(app: &'a MsApp, publish_info: Option<&Object>) -> Option<&'a Entry> {
    let logo = publish_info
        .and_then(|p| str_member(p, "LogoFileName"))
        .filter(|n| !n.is_empty())?;
    let name = format!("Resources\\{logo}");
    let exact = app.entries.iter().find(|e| e.name == name);
    exact.or_else(|| app.entries.iter().find(|e| same_entry_name(&e.name, &name)))
}

/// An entry's bytes (JSON entries, which only a hostile app puts here, compactly written).
pub(super) fn entry_bytes(entry: &Entry) -> Vec<u8> {
    match &entry.data {
        EntryData::Bytes(bytes) => bytes.clone(),
        EntryData::Json(value) => crate::json::to_compact_string(value).into_bytes(),
    }
}

/// The key of Entropy `ResourcesJsonIndices`: `<Content>-<Name>`.
pub(super) fn order_key(resource: &Object) -> String {
    format!(
        "{}-{}",
        str_member(resource, "Content").unwrap_or("Unknown"),
        str_member(resource, "Name").unwrap_or_default()
    )
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
        assert!(is_asset_entry("Assets/Images/a.png"));
        assert!(!is_asset_entry("Assets\\"));
        assert!(!is_asset_entry("Assets"));
        assert!(!is_asset_entry("AssetsX\\a"));
        assert!(!is_asset_entry("Résumé"));
    }
}
