//! `Properties.LocalConnectionReferences` (a double-encoded JSON map of connections) <->
//! `Connections/Connections.json`, with each connection's volatile `connectionInstanceId` kept in
//! Entropy `LocalConnectionIDReferences` as JSON text.

use crate::error::{Error, Result};
use crate::json::{self, Json, Object};
use crate::source::{Entropy, SourceTree, Warnings};

use super::util::{eq_ignore_case, file_name, parse_tree_object, str_member};
use super::{CONNECTIONS_DIR, ENTROPY_CONNECTION_IDS};

pub const PROPERTY: &str = "LocalConnectionReferences";
const INSTANCE_ID: &str = "connectionInstanceId";
const FILE_NAME: &str = "Connections.json";

pub fn unpack(
    properties: &mut Object,
    entropy: &mut Entropy,
    tree: &mut SourceTree,
    warnings: &mut Warnings,
) {
    entropy.map_mut(ENTROPY_CONNECTION_IDS);
    let Some(Json::String(text)) = properties.get(PROPERTY) else {
        return;
    };
    if text.is_empty() {
        return;
    }
    let mut connections = match json::parse(text) {
        Ok(Json::Object(map)) if map.iter().all(|(_, c)| c.as_object().is_some()) => map,
        _ => {
            // Left in the manifest as the string it is, so pack gives it back unchanged.
            warnings.push(format!(
                "Properties.{PROPERTY} is not a JSON map of connections; kept as text in CanvasManifest.json"
            ));
            return;
        }
    };
    for (key, connection) in connections.0.iter_mut() {
        if let Some(instance_id) = connection
            .as_object_mut()
            .and_then(|c| c.remove(INSTANCE_ID))
        {
            let text = json::to_compact_string(&instance_id);
            entropy.map_set(ENTROPY_CONNECTION_IDS, key, Json::String(text));
        }
    }
    properties.remove(PROPERTY);
    tree.insert_json(
        format!("{CONNECTIONS_DIR}/{FILE_NAME}"),
        &Json::Object(connections),
    );
}

/// Whether a `Connections/` file is the connections map (the rest are datasets).
pub fn is_connections_file(path: &str) -> bool {
    eq_ignore_case(file_name(path), FILE_NAME) && path.matches('/').count() == 1
}

/// The connections map rebuilt from `Connections/Connections.json`, instance ids restored, or
/// `None` when the file does not exist (the property then stays as the manifest has it).
pub fn pack(tree: &SourceTree, entropy: &Entropy) -> Result<Option<Object>> {
    let Some((path, bytes)) = tree
        .under(CONNECTIONS_DIR)
        .find(|(p, _)| is_connections_file(p))
    else {
        return Ok(None);
    };
    let mut connections = parse_tree_object(path, bytes)?;
    for (key, connection) in connections.0.iter_mut() {
        let Some(connection) = connection.as_object_mut() else {
            return Err(Error::bad_input(
                path,
                format!("connection `{key}` is not an object"),
            ));
        };
        if str_member(connection, "id") != Some(key.as_str()) {
            return Err(Error::invalid(
                path,
                format!("document consistency error: connection `{key}` has a different `id`"),
            ));
        }
        if let Some(text) = entropy
            .map_get(ENTROPY_CONNECTION_IDS, key)
            .and_then(Json::as_str)
        {
            let instance_id = json::parse(text).map_err(|e| {
                Error::bad_input(
                    "Entropy/Entropy.json",
                    format!("LocalConnectionIDReferences[{key}] is not JSON text: {e}"),
                )
            })?;
            connection.remove(INSTANCE_ID);
            connection.0.push((INSTANCE_ID.to_string(), instance_id));
        }
    }
    Ok(Some(connections))
}

/// The data-source names a connection claims (`dataSources`), for the consistency check.
pub fn claimed_data_sources(connections: &Object) -> impl Iterator<Item = (&str, &str)> {
    connections.iter().flat_map(|(key, connection)| {
        connection
            .get("dataSources")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .map(move |name| (key, name))
    })
}
