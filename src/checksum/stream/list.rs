//! The members of the objects in a document's top-level list, each value either as it is or
//! as its checksum digest, without building a tree. textconv shows `DataSources.json` this
//! way: one line per data source, whose schemas (tens of megabytes in big apps) appear as
//! digests only, so holding them as a tree cost more memory than all the screens.

use sha2::Digest as _;

use super::{Document, Kind, Scratch, TapeWalk, Token, tokenize};
use crate::checksum::Walker;
use crate::json::{self, Json, JsonError, Number, Object};

/// One member value of a list item.
#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    /// A number, boolean, null, or a string the caller asked to see.
    Inline(Json),
    /// Anything else: the checksum value of `{list_key: [{key: value}]}`, the value alone
    /// in the place it has in the document (the checksum recognises JSON and XML held in
    /// strings by that path).
    Digest(Vec<u8>),
}

/// The members of one list item in document order (duplicates kept); `None` when the item is
/// not an object.
pub type ListItem = Option<Vec<(String, Member)>>;

/// The items of the list held by the first member `list_key` of the top-level object, or
/// `None` when the document is not an object holding such a list. `inline(key, len)` says
/// whether a string of `len` bytes (decoded) under `key` is wanted as it is. The document
/// must parse as [`json::parse_bytes`] parses it; its error is returned otherwise.
pub fn list_members(
    bytes: &[u8],
    list_key: &str,
    inline: &dyn Fn(&str, usize) -> bool,
) -> Result<Option<Vec<ListItem>>, JsonError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(body)
        .ok()
        .map(|t| t.strip_prefix('\u{feff}').unwrap_or(t));
    let mut scratch = Scratch::take();
    let items = match text {
        Some(text) if tokenize(text, json::MAX_DEPTH, &mut scratch).is_ok() => {
            let mut reader = ListReader {
                walk_members: std::mem::take(&mut scratch.members),
                decoded: std::mem::take(&mut scratch.decoded),
                list_key,
                inline,
            };
            let items = reader.list(&scratch.document(text));
            scratch.members = reader.walk_members;
            scratch.decoded = reader.decoded;
            Some(items)
        }
        _ => None,
    };
    scratch.give_back();
    match items {
        Some(items) => Ok(items),
        // The tree parser words the error (and gives the same items, were the two parsers
        // ever to disagree).
        None => json::parse_bytes(bytes).map(|doc| list_members_of_tree(doc, list_key, inline)),
    }
}

/// [`list_members`] of a parsed document.
pub fn list_members_of_tree(
    doc: Json,
    list_key: &str,
    inline: &dyn Fn(&str, usize) -> bool,
) -> Option<Vec<ListItem>> {
    let Json::Object(mut top) = doc else {
        return None;
    };
    let Some(Json::Array(items)) = top.remove(list_key) else {
        return None;
    };
    let items = items.into_iter().map(|item| match item {
        Json::Object(members) => Some(
            members
                .0
                .into_iter()
                .map(|(key, value)| {
                    let member = match value {
                        Json::String(s) if inline(&key, s.len()) => Member::Inline(Json::String(s)),
                        Json::Null | Json::Bool(_) | Json::Number(_) => Member::Inline(value),
                        value => Member::Digest(wrapped_member_value(list_key, &key, value)),
                    };
                    (key, member)
                })
                .collect(),
        ),
        _ => None,
    });
    Some(items.collect())
}

/// The checksum value of `{list_key: [{key: value}]}`: a member's value hashed in the place it
/// has in a list item (the checksum recognises JSON and XML held in strings by that path).
pub fn wrapped_member_value(list_key: &str, key: &str, value: Json) -> Vec<u8> {
    let item = Object(vec![(key.to_string(), value)]);
    let mut doc = Object::new();
    doc.insert(list_key, Json::Array(vec![Json::Object(item)]));
    super::super::json_value(&Json::Object(doc))
}

struct ListReader<'a> {
    /// The walk's stack of object members, lent to each digest's walk.
    walk_members: Vec<u32>,
    /// String values with escapes, decoded one at a time.
    decoded: String,
    list_key: &'a str,
    inline: &'a dyn Fn(&str, usize) -> bool,
}

impl ListReader<'_> {
    fn list(&mut self, doc: &Document) -> Option<Vec<ListItem>> {
        let top = doc.token(0).filter(|t| t.kind == Kind::Object)?;
        let list_at = members(doc, 0, top)
            .find(|&(key, _)| doc.key(key) == self.list_key)
            .map(|(_, value)| value)?;
        let list = doc.token(list_at).filter(|t| t.kind == Kind::Array)?;
        let mut items = Vec::new();
        let mut at = list_at + 1;
        while at < list.end as usize {
            items.push(self.item(doc, at));
            at = doc.next(at);
        }
        Some(items)
    }

    fn item(&mut self, doc: &Document, at: usize) -> ListItem {
        let item = doc.token(at).filter(|t| t.kind == Kind::Object)?;
        let mut out = Vec::new();
        for (key_at, value_at) in members(doc, at, item) {
            let key = doc.key(key_at);
            let Some(value) = doc.token(value_at) else {
                continue;
            };
            let member = match value.kind {
                Kind::Null => Member::Inline(Json::Null),
                Kind::True => Member::Inline(Json::Bool(true)),
                Kind::False => Member::Inline(Json::Bool(false)),
                Kind::Number => {
                    Member::Inline(Json::Number(Number::from_valid_lexeme(doc.str_of(value))))
                }
                Kind::Plain | Kind::Escaped | Kind::EscapedKey => {
                    let text = doc.string(value, &mut self.decoded);
                    if (self.inline)(key, text.len()) {
                        Member::Inline(Json::String(text.to_string()))
                    } else {
                        Member::Digest(self.wrapped_value(doc, key, value_at))
                    }
                }
                Kind::Array | Kind::Object => {
                    Member::Digest(self.wrapped_value(doc, key, value_at))
                }
            };
            out.push((key.to_string(), member));
        }
        Some(out)
    }

    /// The checksum value of `{list_key: [{key: value}]}`, hashed as the tree walk hashes it.
    fn wrapped_value(&mut self, doc: &Document, key: &str, at: usize) -> Vec<u8> {
        let mut walk = TapeWalk {
            walker: Walker::new(),
            members: std::mem::take(&mut self.walk_members),
        };
        let w = &mut walk.walker;
        // The enclosing object, list and item, each one level deeper, as the walk would go.
        w.hash.update(b"{");
        w.property_name(self.list_key);
        w.push(self.list_key);
        w.hash.update(b"[");
        w.hash.update(b"{");
        w.depth = 3;
        walk.member(doc, &mut self.decoded, key, at);
        let w = &mut walk.walker;
        w.hash.update(b"}");
        w.hash.update(b"]");
        w.pop();
        w.hash.update(b"}");
        self.walk_members = walk.members;
        walk.walker.finish()
    }
}

/// `(key, value)` tape positions of the members of the object at `at`.
fn members<'d>(
    doc: &'d Document<'d>,
    at: usize,
    object: Token,
) -> impl Iterator<Item = (u32, usize)> + 'd {
    let end = object.end as usize;
    let mut key = at + 1;
    std::iter::from_fn(move || {
        if key >= end {
            return None;
        }
        let found = (key as u32, key + 1);
        key = doc.next(key + 1);
        Some(found)
    })
}
