//! The `.fx.yaml` dialect written by `pac canvas unpack`: a strict YAML subset holding one
//! control tree per file (`Name As type.variant:` headers, `Prop: =formula` lines).
//!
//! The reader accepts what the reference reader accepts, except a header without a name or
//! type (which no writer can spell back), and reports the first error with its line and
//! column; the writer is byte-exact with the reference (LF newlines). [`unwritable`] tells
//! which control trees the writer cannot spell so that the reader reads them back.

mod ident;
mod lexer;
mod parser;
mod writer;

pub use ident::{escape_name, unescape_name};
pub use parser::{Parsed, parse, parse_component};
pub use writer::{
    control_header, normalize_newlines, unwritable, write, write_with_newline, zindex_key,
};

/// One control (or top parent) block: `Name As Type[.Variant]:`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    pub name: String,
    pub type_name: String,
    pub variant: Option<String>,
    /// Property lines in file order (the writer sorts them).
    pub properties: Vec<Property>,
    /// Component function blocks (component definitions only).
    pub functions: Vec<Function>,
    /// Child controls in file order (the writer sorts them by ZIndex, stably).
    pub children: Vec<Block>,
    /// 1-based line of the header in the file it was read from (0 when built in memory).
    pub line: usize,
    /// 1-based column of the header key.
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Property {
    pub name: String,
    /// The formula without the leading `=`; newlines are `\n`.
    pub formula: String,
    pub line: usize,
}

/// `Func(Param1 As Type1, ...)` with one metadata block per parameter and `ThisProperty`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Function {
    pub name: String,
    /// (parameter name, type name) in declaration order.
    pub params: Vec<(String, String)>,
    /// (block name: a parameter name or `ThisProperty`, `Default` formula) in file order.
    pub metadata: Vec<(String, String)>,
    pub line: usize,
}

/// A warning that does not stop reading (comments are dropped: PA2010 in the reference).
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub line: usize,
    pub column: usize,
    pub message: String,
}
