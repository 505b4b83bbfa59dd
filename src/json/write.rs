use super::Json;

/// The reference's normalized form: keys sorted with `lo_cmp` (stable), 2-space indentation,
/// `": "`, LF newlines, no trailing newline, .NET number format, relaxed escaping.
pub fn to_normalized_string(v: &Json) -> String {
    let _ = v;
    todo!()
}
/// Like [`to_normalized_string`] but keeps key order.
pub fn to_indented_string(v: &Json) -> String {
    let _ = v;
    todo!()
}
/// Compact, key order kept.
pub fn to_compact_string(v: &Json) -> String {
    let _ = v;
    todo!()
}
/// Appends `s` as a JSON string literal with .NET relaxed escaping.
pub fn write_string_literal(out: &mut String, s: &str) {
    let _ = (out, s);
    todo!()
}
