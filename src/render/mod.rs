//! Text renderings of an app for people: what `git diff`, `git log -p`, `git blame` and
//! `git log -S` show for an `.msapp` (see [`textconv`]).
//!
//! The rendering is for reading and searching, never for rebuilding the app: volatile data
//! (entropy, editor state, timestamps, checksums) is left out and big blobs appear as a size and
//! a hash, so a diff shows exactly the changes a maker made, one fact per line.

mod flatten;
pub mod store;
pub mod textconv;

pub use store::RenderStore;
pub use textconv::{cannot_show, render, render_with, textconv, textconv_path, textconv_with};

/// The version of textconv's text, which the configured textconv command names (see
/// [`crate::git::config::textconv_args`]); bumped whenever a release changes the text of any
/// app. 2: `ControlTemplates.json` is no longer listed.
pub const TEXT_VERSION: u32 = 2;

/// How `textconv` writes controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextFormat {
    /// The `pac canvas unpack` `.fx.yaml` files, byte for byte.
    #[default]
    FxYaml,
    /// Studio's own YAML view (`Src/*.pa.yaml`), rendered from the controls (apps of any age).
    PaYaml,
}

impl TextFormat {
    pub const SUPPORTED: &[&str] = &["fx-yaml", "pa-yaml"];

    pub fn as_str(self) -> &'static str {
        match self {
            TextFormat::FxYaml => "fx-yaml",
            TextFormat::PaYaml => "pa-yaml",
        }
    }

    pub fn parse(s: &str) -> Option<TextFormat> {
        match s {
            "fx-yaml" => Some(TextFormat::FxYaml),
            "pa-yaml" => Some(TextFormat::PaYaml),
            _ => None,
        }
    }
}
