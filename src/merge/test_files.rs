//! Test Studio files (`Src/Tests/*.fx.yaml`) merged block by block.
//!
//! A suite's cases are blocks named by a GUID, so two branches that each record a new case
//! add two different blocks at the end of the file: a line merge sees two insertions at one
//! place and reports a conflict. Here the suite's and cases' properties merge one by one, the
//! cases by name. Steps repeat names across cases and are positional, so a case's steps are
//! taken whole from the side that changed them.

use crate::fxyaml::{self, Block};

use super::sequence::merge_sequence;

/// The merged file, or `None` when the sides clash anywhere (the caller then merges lines
/// and reports the conflict).
pub fn merge_test_file(base: Option<&str>, ours: &str, theirs: &str, path: &str) -> Option<String> {
    let read = |text: &str| -> Option<Block> {
        let mut block = fxyaml::parse(text, path).ok()?.block;
        forget_positions(&mut block);
        Some(block)
    };
    let b = match base {
        Some(text) => Some(read(text)?),
        None => None,
    };
    let (o, t) = (read(ours)?, read(theirs)?);
    let merged = merge_block(b.as_ref(), &o, &t, true)?;
    if merged == o {
        return Some(ours.to_string());
    }
    Some(fxyaml::write(&merged))
}

/// Line numbers differ whenever anything above moved; they are not content.
fn forget_positions(block: &mut Block) {
    block.line = 0;
    block.column = 0;
    for p in &mut block.properties {
        p.line = 0;
    }
    for f in &mut block.functions {
        f.line = 0;
    }
    for c in &mut block.children {
        forget_positions(c);
    }
}

/// The usual rule for one value: a side that left it as base's gives way to the other.
fn pick<T: PartialEq + Clone>(b: Option<&T>, o: Option<&T>, t: Option<&T>) -> Option<Option<T>> {
    if o == t || b == t {
        Some(o.cloned())
    } else if b == o {
        Some(t.cloned())
    } else {
        None
    }
}

fn merge_block(b: Option<&Block>, o: &Block, t: &Block, named_children: bool) -> Option<Block> {
    if o == t || b == Some(t) {
        return Some(o.clone());
    }
    if b == Some(o) {
        return Some(t.clone());
    }
    if o.name != t.name
        || o.type_name != t.type_name
        || o.variant != t.variant
        || o.functions != t.functions
    {
        return None;
    }
    let mut merged = Block {
        children: Vec::new(),
        properties: Vec::new(),
        ..o.clone()
    };
    let mut names: Vec<&String> = Vec::new();
    for p in o.properties.iter().chain(&t.properties) {
        if !names.contains(&&p.name) {
            names.push(&p.name);
        }
    }
    for name in names {
        let find = |x: &Block| x.properties.iter().find(|p| &p.name == name).cloned();
        if let Some(p) = pick(
            b.and_then(find).as_ref(),
            find(o).as_ref(),
            find(t).as_ref(),
        )? {
            merged.properties.push(p);
        }
    }
    if !named_children {
        let kids = |x: &Block| x.children.clone();
        merged.children = pick(b.map(kids).as_ref(), Some(&kids(o)), Some(&kids(t)))??;
        return Some(merged);
    }
    let list = |x: &Block| {
        x.children
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    let order = merge_sequence(&b.map(list).unwrap_or_default(), &list(o), &list(t));
    if !order.conflicts.is_empty() {
        return None;
    }
    fn find<'a>(x: Option<&'a Block>, name: &str) -> Option<&'a Block> {
        x?.children.iter().find(|c| c.name == name)
    }
    // Every case in any version: kept, merged, or deleted on one side and untouched on the other.
    for name in list(o)
        .iter()
        .chain(&list(t))
        .chain(b.map(list).iter().flatten())
    {
        let (bc, oc, tc) = (find(b, name), find(Some(o), name), find(Some(t), name));
        let kept = match (oc, tc) {
            (Some(oc), Some(tc)) => Some(merge_block(bc, oc, tc, false)?),
            (Some(x), None) | (None, Some(x)) if bc.is_none() => Some(x.clone()),
            (Some(x), None) | (None, Some(x)) if bc == Some(x) => None,
            (None, None) => None,
            _ => return None,
        };
        if let Some(c) = kept
            && order.items.contains(name)
            && !merged.children.iter().any(|m| m.name == c.name)
        {
            merged.children.push(c);
        }
    }
    merged
        .children
        .sort_by_key(|c| order.items.iter().position(|n| *n == c.name));
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "\"'s' As TestSuite\":\n    DisplayName: =\"Suite\"\n\n    \"'a' As TestCase\":\n        DisplayName: =\"A\"\n\n        Step1 As TestStep:\n            Value: =Select(Button1)\n";

    fn case(id: &str, value: &str) -> String {
        format!(
            "\n    \"'{id}' As TestCase\":\n        DisplayName: =\"{id}\"\n\n        Step1 As TestStep:\n            Value: ={value}\n"
        )
    }

    fn canonical(text: &str) -> String {
        fxyaml::write(&fxyaml::parse(text, "t").unwrap().block)
    }

    #[test]
    fn cases_added_on_both_sides_are_both_kept() {
        let ours = format!("{BASE}{}", case("b", "Select(B)"));
        let theirs = format!("{BASE}{}", case("c", "Select(C)"));
        let merged = merge_test_file(Some(BASE), &ours, &theirs, "t").unwrap();
        assert_eq!(
            merged,
            canonical(&format!(
                "{BASE}{}{}",
                case("b", "Select(B)"),
                case("c", "Select(C)")
            ))
        );
    }

    #[test]
    fn the_same_step_edited_on_both_sides_is_left_to_the_caller() {
        let ours = BASE.replace("Select(Button1)", "Select(Button2)");
        let theirs = BASE.replace("Select(Button1)", "Select(Button3)");
        assert_eq!(merge_test_file(Some(BASE), &ours, &theirs, "t"), None);
    }

    #[test]
    fn a_case_deleted_on_one_side_and_edited_on_the_other_is_left_to_the_caller() {
        let with_b = format!("{BASE}{}", case("b", "Select(B)"));
        let edited = format!("{BASE}{}", case("b", "Select(B2)"));
        assert_eq!(merge_test_file(Some(&with_b), BASE, &edited, "t"), None);
        let renamed = with_b.replace("DisplayName: =\"Suite\"", "DisplayName: =\"S\"");
        let merged = merge_test_file(Some(&with_b), BASE, &renamed, "t").unwrap();
        assert_eq!(
            merged,
            canonical(&BASE.replace("DisplayName: =\"Suite\"", "DisplayName: =\"S\""))
        );
    }
}
