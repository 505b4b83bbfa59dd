//! XML canonical form of .NET `XDocument.Parse(s).ToString()` (with `\n` newlines): used for
//! `pkgs/*.xml` files and by the checksum for template and WADL payloads.

use crate::error::Result;

/// Pretty-prints `xml` the way .NET's `XDocument.ToString()` does, with LF newlines.
pub fn canonical(xml: &str) -> Result<String> {
    let _ = xml;
    todo!("xml::canonical")
}
