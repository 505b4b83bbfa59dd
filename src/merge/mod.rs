//! Three-way merge primitives: text (git's line merge), lossless JSON values, and ordered key
//! lists. They are pure: no I/O, no printing; disagreements come back as data.
//!
//! The app-level merge (controls, properties, data sources...) is built on these.

pub mod app;
pub mod conflict;
pub mod controls;
pub mod file;
pub mod json;
pub mod report;
pub mod sequence;
pub mod statements;
pub mod test_files;
pub mod text;
pub mod tree;

pub use json::{JsonConflict, JsonConflictKind, JsonMerge, JsonMergeOptions, Policy, merge_json};
pub use sequence::{Favor, SequenceConflict, SequenceMerge, merge_sequence, merge_sequence_with};
pub use text::{ConflictStyle, Labels, TextMerge, TextMergeOptions, merge_text};
