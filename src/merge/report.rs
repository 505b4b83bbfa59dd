//! The conflict summary a user reads on stderr after a merge.

use super::conflict::{Conflict, Note};
use super::controls::one_line;
use super::text::Labels;

/// One block per conflict, naming the entity, the kind and each side's value with git's
/// labels; then the notes.
/// `outcome` says what the written file holds at the conflicts.
pub fn render(
    path: &str,
    conflicts: &[Conflict],
    notes: &[Note],
    labels: &Labels,
    outcome: &str,
) -> String {
    let mut out = String::new();
    if !conflicts.is_empty() {
        out.push_str(&format!(
            "msapp-merge: CONFLICT in {path}: {} conflict{} ({outcome})\n",
            conflicts.len(),
            if conflicts.len() == 1 { "" } else { "s" }
        ));
    }
    let width = [
        ("base", &labels.base),
        ("ours", &labels.ours),
        ("theirs", &labels.theirs),
    ]
    .iter()
    .map(|(side, l)| side.len() + l.chars().count() + 4)
    .max()
    .unwrap_or(0);
    for c in conflicts {
        out.push_str(&format!("  {}: {}\n", c.at, c.kind));
        for (side, label, value) in [
            ("base", &labels.base, &c.base),
            ("ours", &labels.ours, &c.ours),
            ("theirs", &labels.theirs, &c.theirs),
        ] {
            let head = format!("{side} ({label}):");
            let shown = match value {
                Some(v) => one_line(v),
                None => "(absent)".to_string(),
            };
            out.push_str(&format!("    {head:<width$} {shown}\n"));
        }
    }
    for n in notes {
        out.push_str(&format!(
            "msapp-merge: note: {path}: {}: {}\n",
            n.at, n.message
        ));
    }
    out
}
