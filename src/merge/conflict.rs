//! Conflicts and notes as data: the merge never prints. Rendering decides how they look.

use std::fmt;

/// What kind of disagreement a conflict is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// Both sides changed the same thing differently.
    BothChanged,
    /// Both sides added something with the same name and different content.
    BothAdded,
    /// One side deleted what the other changed.
    DeletedAndChanged,
    /// Both sides moved the same control to different parents.
    BothMoved,
    /// Both sides reordered the same siblings (or screens) incompatibly.
    Order,
    /// A conflicting change in a file the rules never merge automatically
    /// (`DataSources/`, `pkgs/`, `Connections/`, `CanvasManifest.json`).
    Refused,
}

impl fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConflictKind::BothChanged => "changed on both sides",
            ConflictKind::BothAdded => "added on both sides with different content",
            ConflictKind::DeletedAndChanged => "deleted on one side, changed on the other",
            ConflictKind::BothMoved => "moved to different places on both sides",
            ConflictKind::Order => "reordered differently on both sides",
            ConflictKind::Refused => "changed on both sides (never merged automatically)",
        })
    }
}

/// One conflict: where, what, and the three versions (as short text; `None` = absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// Where, the way makers name things: `Screen1/Label1.Text`, `DataSources/Accounts.json`,
    /// `CanvasManifest.json: Properties.DocumentLayoutWidth`.
    pub at: String,
    pub kind: ConflictKind,
    pub base: Option<String>,
    pub ours: Option<String>,
    pub theirs: Option<String>,
}

/// A change the merge decided on its own that a reviewer should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub at: String,
    pub message: String,
}
