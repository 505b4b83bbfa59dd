use super::Block;

/// Writes a block the way the reference does (LF newlines, 4-space indentation).
pub fn write(block: &Block) -> String {
    let _ = block;
    todo!()
}
