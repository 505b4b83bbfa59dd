//! File names in the source tree (placeholder until the data-side branch lands).

pub fn escape_filename(name: &str) -> String {
    name.to_string()
}

pub fn unescape_filename(name: &str) -> String {
    name.to_string()
}

pub fn truncate_name_if_too_long(name: &str) -> String {
    name.to_string()
}
