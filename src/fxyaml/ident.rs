//! Power Fx identifier escaping used in headers and property names.

/// Leaves a valid identifier bare, otherwise wraps it in `'...'` doubling inner quotes.
pub fn escape_name(name: &str) -> String {
    let _ = name;
    todo!()
}

/// Reverses [`escape_name`]; `None` for an unmatched `'`.
pub fn unescape_name(name: &str) -> Option<String> {
    let _ = name;
    todo!()
}
