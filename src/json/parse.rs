use super::Json;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

pub fn parse(text: &str) -> Result<Json, JsonError> {
    let _ = text;
    todo!()
}

/// UTF-8 bytes, BOM tolerated.
pub fn parse_bytes(bytes: &[u8]) -> Result<Json, JsonError> {
    let _ = bytes;
    todo!()
}
