//! The reference writer: 4-space indentation, functions then properties sorted by name, one
//! empty line, then children ordered by ZIndex.

use super::ident::{escape_name, is_signature_char};
use super::{Block, Function};
use crate::json::lo_cmp;

const INDENT: &str = "    ";

/// Writes a block the way the reference does (LF newlines, 4-space indentation).
pub fn write(block: &Block) -> String {
    write_with_newline(block, "\n")
}

/// Like [`write`] with another line terminator (`"\r\n"` is what pac writes on Windows); it
/// also ends every line inside block scalars.
pub fn write_with_newline(block: &Block, newline: &str) -> String {
    let mut writer = Writer {
        out: String::new(),
        newline,
    };
    writer.block(block, 0);
    writer.out
}

/// `Name As Type[.Variant]` with each part escaped (without YAML quoting).
pub fn control_header(name: &str, type_name: &str, variant: Option<&str>) -> String {
    let mut header = format!("{} As {}", escape_name(name), escape_name(type_name));
    if let Some(variant) = variant.filter(|v| !v.is_empty()) {
        header.push('.');
        header.push_str(&escape_name(variant));
    }
    header
}

/// Why the writer cannot spell `block` (or a control or property inside it) as text the reader
/// reads back, or `None` when it can. Every control header needs a name and a type (the
/// escaped empty name `''` is no identifier), and the names in headers and property keys must
/// stay on their line. Apps built by Studio never hit this; crafted or damaged ones can.
pub fn unwritable(block: &Block) -> Option<String> {
    let breaks_line = |text: &str| text.contains(['\n', '\r']);
    // A stack, not recursion: the tree comes from input.
    let mut pending: Vec<(&Block, Option<&str>)> = vec![(block, None)];
    while let Some((control, parent)) = pending.pop() {
        let name = &control.name;
        if name.is_empty() {
            return Some(match parent {
                Some(parent) => {
                    format!("a control in '{}' has an empty name", parent.escape_debug())
                }
                None => "a control has an empty name".to_string(),
            });
        }
        if control.type_name.is_empty() {
            return Some(format!(
                "control '{}' has no type (an empty template name)",
                name.escape_debug()
            ));
        }
        let header = [
            Some(name.as_str()),
            Some(control.type_name.as_str()),
            control.variant.as_deref(),
        ];
        if header.into_iter().flatten().any(breaks_line) {
            return Some(format!(
                "control '{}' has a line break in its name, type or variant",
                name.escape_debug()
            ));
        }
        if let Some(property) = control.properties.iter().find(|p| breaks_line(&p.name)) {
            return Some(format!(
                "control '{}' has a line break in the property name '{}'",
                name.escape_debug(),
                property.name.escape_debug()
            ));
        }
        for function in &control.functions {
            let mut names = std::iter::once(&function.name)
                .chain(function.params.iter().flat_map(|(param, ty)| [param, ty]));
            if let Some(bad) = names.find(|n| !is_signature_name(n)) {
                return Some(format!(
                    "control '{}': function '{}' has a name, parameter or type '{}' that is not \
                     made of letters, digits, marks and connectors only",
                    name.escape_debug(),
                    function.name.escape_debug(),
                    bad.escape_debug()
                ));
            }
        }
        pending.extend(
            control
                .children
                .iter()
                .map(|child| (child, Some(name.as_str()))),
        );
    }
    None
}

/// A function, parameter or type name in a function signature. The reader takes only bare
/// names there, runs of [`is_signature_char`], which may start with a digit or a mark where
/// [`escape_name`] (and so the reference) quotes; quoting them would make the signature
/// unreadable, so such names stay bare. Other names cannot be spelled at all (see
/// [`unwritable`]) and keep the reference's escaping.
fn signature_name(name: &str) -> String {
    if is_signature_name(name) {
        name.to_string()
    } else {
        escape_name(name)
    }
}

fn is_signature_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_signature_char)
}

/// `\r\n` and lone `\r` become `\n`.
pub fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The child sort key: the `ZIndex` formula as a number, -1 when missing or not a finite number.
pub fn zindex_key(block: &Block) -> f64 {
    block
        .properties
        .iter()
        .find(|p| p.name == "ZIndex")
        .and_then(|p| parse_dotnet_double(&p.formula))
        .unwrap_or(-1.0)
}

/// `double.TryParse` with the invariant culture (`NumberStyles.Float | AllowThousands`);
/// `None` for anything that is not a finite number.
fn parse_dotnet_double(text: &str) -> Option<f64> {
    let is_white = |c: char| c == ' ' || ('\t'..='\r').contains(&c);
    let text = text
        .trim_start_matches(is_white)
        .trim_end_matches(|c| is_white(c) || c == '\0');
    let mut chars = text.chars().peekable();
    let mut number = String::new();
    match chars.peek() {
        Some('-') => {
            number.push('-');
            chars.next();
        }
        Some('+') => {
            chars.next();
        }
        _ => {}
    }
    let mut has_digits = false;
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            number.push(c);
            has_digits = true;
        } else if c != ',' || !has_digits {
            break;
        }
        chars.next();
    }
    if chars.peek() == Some(&'.') {
        chars.next();
        number.push('.');
        while let Some(&c) = chars.peek().filter(|c| c.is_ascii_digit()) {
            number.push(c);
            has_digits = true;
            chars.next();
        }
    }
    if !has_digits {
        return None;
    }
    let rest: String = chars.collect();
    if !rest.is_empty() {
        let exponent = rest.strip_prefix(['e', 'E'])?;
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        number.push('e');
        number.push_str(exponent);
    }
    number.parse::<f64>().ok().filter(|v| v.is_finite())
}

struct Writer<'a> {
    out: String,
    newline: &'a str,
}

impl Writer<'_> {
    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str(INDENT);
        }
    }

    fn end_line(&mut self) {
        self.out.push_str(self.newline);
    }

    /// A mapping key line; keys holding a quote are wrapped in YAML double quotes.
    fn start_object(&mut self, key: &str, level: usize) {
        self.indent(level);
        if key.contains(['\'', '"']) {
            self.out.push('"');
            self.out.push_str(&key.replace('"', "\\\""));
            self.out.push('"');
        } else {
            self.out.push_str(key);
        }
        self.out.push(':');
        self.end_line();
    }

    fn block(&mut self, block: &Block, level: usize) {
        let header = control_header(&block.name, &block.type_name, block.variant.as_deref());
        self.start_object(&header, level);

        let mut functions: Vec<&Function> = block.functions.iter().collect();
        functions.sort_by(|a, b| lo_cmp(&a.name, &b.name));
        for function in functions {
            self.function(function, level + 1);
        }

        let mut properties: Vec<_> = block.properties.iter().collect();
        properties.sort_by(|a, b| lo_cmp(&a.name, &b.name));
        for property in properties {
            self.property(&escape_name(&property.name), &property.formula, level + 1);
        }
        self.end_line();

        let mut children: Vec<(f64, &Block)> =
            block.children.iter().map(|c| (zindex_key(c), c)).collect();
        // Stable, and -0 equals 0 as in .NET's double comparer.
        children.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        for (_, child) in children {
            self.block(child, level + 1);
        }
    }

    fn function(&mut self, function: &Function, level: usize) {
        let params: Vec<String> = function
            .params
            .iter()
            .map(|(name, type_name)| {
                format!("{} As {}", signature_name(name), signature_name(type_name))
            })
            .collect();
        let signature = format!("{}({})", signature_name(&function.name), params.join(", "));
        self.start_object(&signature, level);
        for (name, default) in &function.metadata {
            self.start_object(name, level + 1);
            self.property("Default", default, level + 2);
        }
    }

    fn property(&mut self, name: &str, formula: &str, level: usize) {
        let formula = normalize_newlines(formula);
        self.indent(level);
        self.out.push_str(name);
        if !formula.contains(['#', '\n', ':']) {
            self.out.push_str(": =");
            self.out.push_str(&formula);
            self.end_line();
            return;
        }
        let trailing_newlines = formula.chars().rev().take_while(|&c| c == '\n').count();
        self.out.push_str(match trailing_newlines {
            0 => ": |-",
            1 => ": |",
            _ => ": |+",
        });
        self.end_line();
        // Lines of `=formula`; the piece after the last `\n` is empty when the formula ends
        // with a newline and then writes nothing.
        let text = format!("={formula}");
        let mut lines = text.split('\n').peekable();
        while let Some(line) = lines.next() {
            let is_last = lines.peek().is_none();
            if is_last && line.is_empty() {
                break;
            }
            self.indent(level + 1);
            self.out.push_str(line);
            if !is_last || trailing_newlines == 0 {
                self.end_line();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotnet_double_parsing() {
        let cases: &[(&str, Option<f64>)] = &[
            ("1", Some(1.0)),
            ("1.5", Some(1.5)),
            (" 2 ", Some(2.0)),
            ("-3", Some(-3.0)),
            ("+4", Some(4.0)),
            ("1,000", Some(1000.0)),
            (",1", None),
            ("1.", Some(1.0)),
            (".5", Some(0.5)),
            (".", None),
            ("1e3", Some(1000.0)),
            ("1E+2", Some(100.0)),
            ("1e", None),
            ("1e400", None),
            ("NaN", None),
            ("Infinity", None),
            ("inf", None),
            ("Max(1,2)", None),
            ("", None),
            ("1\0", Some(1.0)),
            ("1 2", None),
            ("0x10", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_dotnet_double(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn headers() {
        assert_eq!(
            control_header("Icon1", "icon", Some("ChevronRight")),
            "Icon1 As icon.ChevronRight"
        );
        assert_eq!(
            control_header("Label1", "label", Some("")),
            "Label1 As label"
        );
        assert_eq!(control_header("Label1", "label", None), "Label1 As label");
    }

    #[test]
    fn unwritable_trees_are_named() {
        let control = |name: &str, type_name: &str| Block {
            name: name.into(),
            type_name: type_name.into(),
            ..Block::default()
        };
        let mut screen = control("Screen1", "screen");
        screen.children.push(control("Label1", "label"));
        assert_eq!(unwritable(&screen), None);
        // An empty property name is spelled `''` and reads back.
        screen.properties.push(crate::fxyaml::Property {
            name: String::new(),
            ..Default::default()
        });
        assert_eq!(unwritable(&screen), None);

        let mut deep = screen.clone();
        deep.children[0].children.push(control("Icon1", ""));
        assert_eq!(
            unwritable(&deep).as_deref(),
            Some("control 'Icon1' has no type (an empty template name)")
        );
        for (name, type_name) in [("", "label"), ("a\rb", "label"), ("a", "la\nbel")] {
            let mut bad = screen.clone();
            bad.children.push(control(name, type_name));
            assert!(unwritable(&bad).is_some(), "{name:?} {type_name:?}");
            let text = write(&bad);
            assert!(crate::fxyaml::parse(&text, "t").is_err(), "{text}");
        }

        let function = |params: &[(&str, &str)]| Function {
            name: "F".into(),
            params: params
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            metadata: vec![("ThisProperty".into(), "1".into())],
            ..Function::default()
        };
        let mut component = control("Component1", "CanvasComponent");
        component.functions.push(function(&[("1st", "Number")]));
        assert_eq!(unwritable(&component), None);
        for bad in [("my param", "Number"), ("p", "Date-Time"), ("", "Number")] {
            let mut component = component.clone();
            component.functions.push(function(&[bad]));
            assert!(unwritable(&component).is_some(), "{bad:?}");
            let text = write(&component);
            assert!(
                crate::fxyaml::parse_component(&text, "t").is_err(),
                "{text}"
            );
        }
    }
}
