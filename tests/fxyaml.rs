//! `.fx.yaml` reader and writer against the reference output (golden files and real unpacked
//! trees from ../shared/corpus), the spec's examples and error tables, and garbage input.

use std::path::{Path, PathBuf};

use msapp_merge::Error;
use msapp_merge::fxyaml::{
    Block, Function, Property, escape_name, parse, parse_component, write, write_with_newline,
};

fn corpus_dir(sub: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(sub);
    assert!(
        dir.is_dir(),
        "corpus folder {} is missing: these tests need the shared corpus next to the crate (../shared)",
        dir.display()
    );
    dir
}

fn fx_yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            fx_yaml_files(&path, out);
        } else if path.to_string_lossy().ends_with(".fx.yaml") {
            out.push(path);
        }
    }
}

fn golden_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    fx_yaml_files(&corpus_dir("golden"), &mut files);
    assert_eq!(files.len(), 7, "expected the 7 golden files");
    files
}

fn pair_tree_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let pairs = corpus_dir("pairs");
    for pair in std::fs::read_dir(&pairs).unwrap() {
        let tree = pair.unwrap().path().join("tree");
        if tree.is_dir() {
            fx_yaml_files(&tree, &mut files);
        }
    }
    // Defines.fx.yaml at a tree's root is not a control file.
    files.retain(|f| f.file_name().is_some_and(|n| n != "Defines.fx.yaml"));
    assert!(
        !files.is_empty(),
        "no .fx.yaml files under {}",
        pairs.display()
    );
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().replace("\r\n", "\n")
}

fn is_component_file(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "Components")
}

fn parse_file(path: &Path, text: &str) -> Block {
    let name = path.display().to_string();
    let parsed = if is_component_file(path) {
        parse_component(text, &name)
    } else {
        parse(text, &name)
    };
    let parsed = parsed.unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed.warnings.is_empty(), "{name}: {:?}", parsed.warnings);
    parsed.block
}

#[test]
fn golden_files_are_rewritten_exactly() {
    for path in golden_files() {
        let text = read(&path);
        let block = parse_file(&path, &text);
        assert_eq!(write(&block).trim(), text.trim(), "{}", path.display());
    }
}

#[test]
fn unpacked_trees_are_rewritten_byte_for_byte() {
    for path in pair_tree_files() {
        let text = read(&path);
        let block = parse_file(&path, &text);
        assert_eq!(write(&block), text, "{}", path.display());
    }
}

#[test]
fn crlf_files_read_like_lf_files() {
    for path in golden_files().into_iter().chain(pair_tree_files()) {
        let text = read(&path);
        let lf = parse_file(&path, &text);
        let crlf = parse_file(&path, &text.replace('\n', "\r\n"));
        let cr = parse_file(&path, &format!("\u{FEFF}{}", text.replace('\n', "\r")));
        assert_eq!(lf, crlf, "{}", path.display());
        assert_eq!(lf, cr, "{}", path.display());
        assert_eq!(
            write_with_newline(&lf, "\r\n"),
            write(&lf).replace('\n', "\r\n")
        );
    }
}

fn block(name: &str, type_name: &str, variant: Option<&str>) -> Block {
    Block {
        name: name.into(),
        type_name: type_name.into(),
        variant: variant.map(Into::into),
        ..Block::default()
    }
}

fn with_props(mut b: Block, props: &[(&str, &str)]) -> Block {
    b.properties = props
        .iter()
        .map(|(n, f)| Property {
            name: (*n).into(),
            formula: (*f).into(),
            line: 0,
        })
        .collect();
    b
}

/// §2.10 E3: header escaping and YAML quoting.
#[test]
fn e3_header_quoting() {
    let rows: &[(&str, &str, Option<&str>, &str)] = &[
        (
            "Bob's Label",
            "label",
            Some(""),
            "\"'Bob''s Label' As label\":",
        ),
        (
            "Say \"Hi\"",
            "label",
            Some(""),
            "\"'Say \\\"Hi\\\"' As label\":",
        ),
        ("1stLabel", "label", None, "\"'1stLabel' As label\":"),
        ("my-label", "label", None, "\"'my-label' As label\":"),
        ("Étiquette1", "label", None, "Étiquette1 As label:"),
        (
            "Icon1",
            "icon",
            Some("ChevronRight"),
            "Icon1 As icon.ChevronRight:",
        ),
        (
            "Gallery1",
            "gallery",
            Some("BrowseLayout_Vertical_TwoTextOneImageVariant_ver5.0"),
            "\"Gallery1 As gallery.'BrowseLayout_Vertical_TwoTextOneImageVariant_ver5.0'\":",
        ),
        (
            "Home Screen",
            "screen",
            Some("tabletLayout_Email_ver3.0"),
            "\"'Home Screen' As screen.'tabletLayout_Email_ver3.0'\":",
        ),
        (
            "06c8b692-98f2-49b9-a79d-424d968505c4",
            "TestCase",
            None,
            "\"'06c8b692-98f2-49b9-a79d-424d968505c4' As TestCase\":",
        ),
    ];
    for (name, type_name, variant, header) in rows {
        let b = block(name, type_name, *variant);
        let text = write(&b);
        assert_eq!(text, format!("{header}\n\n"), "{name}");
        let back = parse(&text, "e3.fx.yaml").unwrap().block;
        assert_eq!(
            (back.name.as_str(), back.type_name.as_str()),
            (*name, *type_name)
        );
        assert_eq!(back.variant.as_deref(), variant.filter(|v| !v.is_empty()));
    }
}

const E4_ROWS: &[(&str, &str, &[&str])] = &[
    ("A_colon", "\"Start:\"", &["A_colon: |-", "    =\"Start:\""]),
    (
        "B_hash",
        "ColorValue(\"#FF0000\")",
        &["B_hash: |-", "    =ColorValue(\"#FF0000\")"],
    ),
    (
        "C_crlf",
        "If(x,\r\n    1,\r\n    2)",
        &["C_crlf: |-", "    =If(x,", "        1,", "        2)"],
    ),
    (
        "D_onetrailing",
        "Set(a, 1);\n",
        &["D_onetrailing: |", "    =Set(a, 1);"],
    ),
    (
        "E_twotrailing",
        "Set(a, 1);\r\n\r\n",
        &["E_twotrailing: |+", "    =Set(a, 1);", "    "],
    ),
    (
        "F_leadingnl",
        "\r\nIf(x, 1, 2)",
        &["F_leadingnl: |-", "    =", "    If(x, 1, 2)"],
    ),
    ("G_empty", "", &["G_empty: ="]),
    ("H_spaces", "  1 + 2  ", &["H_spaces: =  1 + 2  "]),
    (
        "I_blankinside",
        "Set(a, 1);\r\n\r\nSet(b, 2)",
        &[
            "I_blankinside: |-",
            "    =Set(a, 1);",
            "    ",
            "    Set(b, 2)",
        ],
    ),
    (
        "J_quote",
        "\"He said \"\"hi\"\"\"",
        &["J_quote: =\"He said \"\"hi\"\"\""],
    ),
    ("K_record", "{a: 1}", &["K_record: |-", "    ={a: 1}"]),
    ("L_comment", "1 // note", &["L_comment: =1 // note"]),
    ("M_cr", "a\rb", &["M_cr: |-", "    =a", "    b"]),
    (
        "N_trailingws",
        "1\n  ",
        &["N_trailingws: |-", "    =1", "      "],
    ),
];

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// §2.10 E4: single-line vs block scalars, and reading them back.
#[test]
fn e4_property_forms() {
    // Given in reverse order: the writer sorts.
    let props: Vec<(&str, &str)> = E4_ROWS.iter().rev().map(|(n, f, _)| (*n, *f)).collect();
    let b = with_props(block("Label1", "label", None), &props);
    let mut expected = String::from("Label1 As label:\n");
    for (_, _, lines) in E4_ROWS {
        for line in *lines {
            expected.push_str(&format!("    {line}\n"));
        }
    }
    expected.push('\n');
    let text = write(&b);
    assert_eq!(text, expected);

    let back = parse(&text, "e4.fx.yaml").unwrap().block;
    assert_eq!(back.properties.len(), E4_ROWS.len());
    for ((name, formula, _), read) in E4_ROWS.iter().zip(&back.properties) {
        assert_eq!(read.name, *name);
        assert_eq!(read.formula, normalize(formula), "{name}");
    }
}

/// `YamlTest.NewLinesRoundtrip` values of the reference: write, then read back.
#[test]
fn newline_round_trips() {
    let values = [
        "  1",
        "  1\n2\n3",
        "  1\r2\r3",
        "12 + \r\n\r\n34",
        "abc\r\ndef",
        "abc\rdef",
        "\"brows_4.0\"",
        "a # b",
        "x",
        "1\n2",
        "1\n\n2",
        "1\r\r2",
        "1\r\n\r\n2",
        "1\r\n\r2",
        "1\n\r\n2",
        "1\n\r2",
        "1\n2\n",
        "1\n2\r3\r\n",
        "1 \n2 \n",
        "1\n 2 \n ",
        "1\n2 \n ",
        "Hi #There",
        "abc\ndef",
        "Patched({a : b})",
        "\n",
        "\n\n\n",
        "a\n\n",
        " \n \n",
        "\tx\n\ty",
    ];
    for value in values {
        let b = with_props(block("S", "screen", None), &[("Foo", value)]);
        let text = write(&b);
        let back = parse(&text, "nl.fx.yaml")
            .unwrap_or_else(|e| panic!("{value:?}: {e}\n{text}"))
            .block;
        assert_eq!(
            back.properties[0].formula,
            normalize(value),
            "{value:?}\n{text}"
        );
        assert_eq!(write(&back), text);
    }
}

/// `YamlTest.Write1`: nested layout and a `|-` block.
#[test]
fn nested_layout() {
    let child = with_props(block("Obj2", "label", None), &[("P2a", "A")]);
    let mut b = with_props(
        block("Obj1", "screen", None),
        &[("P1b", "B"), ("P1a", "A#B"), ("P1c", "C")],
    );
    b.children.push(child);
    assert_eq!(
        write(&b),
        "Obj1 As screen:\n    P1a: |-\n        =A#B\n    P1b: =B\n    P1c: =C\n\n    Obj2 As label:\n        P2a: =A\n\n"
    );
}

/// §2.10 E5: children by ZIndex, stable among equal keys, -1 for missing or non-numeric.
#[test]
fn e5_child_order() {
    let children = [
        ("C", Some("2")),
        ("A", Some("1")),
        ("NoZ", None),
        ("B", Some("1")),
        ("Formula", Some("Max(1,2)")),
        ("Dec", Some("1.5")),
    ];
    let mut screen = block("Screen1", "screen", None);
    for (name, z) in children {
        let props: Vec<(&str, &str)> = z.map(|z| vec![("ZIndex", z)]).unwrap_or_default();
        screen
            .children
            .push(with_props(block(name, "label", None), &props));
    }
    let text = write(&screen);
    let headers: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" As label"))
        .map(str::trim)
        .collect();
    assert_eq!(
        headers,
        [
            "NoZ As label:",
            "Formula As label:",
            "A As label:",
            "B As label:",
            "Dec As label:",
            "C As label:"
        ]
    );
    assert!(text.contains("    NoZ As label:\n\n    Formula As label:\n"));
    assert!(text.ends_with("    C As label:\n        ZIndex: =2\n\n"));
}

/// §2.10 E6: property-name escaping; the order is the .NET culture order (`lo_cmp`), which
/// puts `_` before letters and compares letters case-insensitively first.
#[test]
fn e6_property_names() {
    let b = with_props(
        block("Comp1", "label", None),
        &[
            ("Foo Bar", "1"),
            ("It's", "2"),
            ("x", "3"),
            ("Width", "4"),
            ("_y", "5"),
            ("ZIndex", "6"),
        ],
    );
    assert_eq!(
        write(&b),
        "Comp1 As label:\n    _y: =5\n    'Foo Bar': =1\n    'It''s': =2\n    Width: =4\n    x: =3\n    ZIndex: =6\n\n"
    );
    let back = parse(&write(&b), "e6.fx.yaml").unwrap().block;
    let names: Vec<&str> = back.properties.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["_y", "Foo Bar", "It's", "Width", "x", "ZIndex"]);
}

#[test]
fn component_functions() {
    let mut comp = with_props(
        block("Component1", "CanvasComponent", None),
        &[("ZIndex", "1")],
    );
    comp.functions = vec![
        Function {
            name: "Zeta".into(),
            params: vec![],
            metadata: vec![("ThisProperty".into(), "1".into())],
            line: 0,
        },
        Function {
            name: "ValidateDates".into(),
            params: vec![
                ("StartDate".into(), "DateTime".into()),
                ("EndDate".into(), "DateTime".into()),
            ],
            metadata: vec![
                ("StartDate".into(), "Now()".into()),
                ("EndDate".into(), "Now()".into()),
                ("ThisProperty".into(), "a:\nb".into()),
            ],
            line: 0,
        },
    ];
    let text = write(&comp);
    assert_eq!(
        text,
        "Component1 As CanvasComponent:\n    ValidateDates(StartDate As DateTime, EndDate As DateTime):\n        StartDate:\n            Default: =Now()\n        EndDate:\n            Default: =Now()\n        ThisProperty:\n            Default: |-\n                =a:\n                b\n    Zeta():\n        ThisProperty:\n            Default: =1\n    ZIndex: =1\n\n"
    );
    let back = parse_component(&text, "c.fx.yaml").unwrap().block;
    assert_eq!(back.functions.len(), 2);
    assert_eq!(back.functions[0].params, comp.functions[1].params);
    assert_eq!(back.functions[0].metadata, comp.functions[1].metadata);
    assert_eq!(back.functions[1].name, "Zeta");
    assert_eq!(write(&back), text);
}

fn syntax_error(text: &str) -> (usize, usize, String) {
    match parse(text, "expr.fx.yaml") {
        Err(Error::Syntax { at, message }) => {
            assert_eq!(at.file, "expr.fx.yaml");
            (at.line, at.column, message)
        }
        Err(other) => panic!("{text:?}: unexpected error kind {other}"),
        Ok(parsed) => panic!("{text:?}: parsed: {parsed:?}"),
    }
}

const COMMENT_ERROR: &str =
    "# comments are not supported. Use // within a property to add comments.";

/// §3.3 lexer table: (input, line, column, message) as the reference reports them for the
/// one-line inputs.
const LEXER_ROWS: &[(&str, usize, usize, &str)] = &[
    (
        "Foo: 12",
        1,
        6,
        "Expected either '=' for a single line expression or '|' to begin a multiline expression",
    ),
    ("Foo: =x #comment", 1, 7, COMMENT_ERROR),
    ("Foo: # x", 1, 6, COMMENT_ERROR),
    ("Foo: | # c\n  =1", 1, 8, COMMENT_ERROR),
    (
        "Foo: |x",
        1,
        7,
        "Content for | escape must start on next line.",
    ),
    (
        "Foo: >",
        1,
        7,
        "> is not a supported multiline escape. Use |",
    ),
    (
        "Foo: |\nBar: =next",
        2,
        7,
        "Can't have empty multiline expressions.",
    ),
    (
        "Foo: |\n  abc",
        2,
        7,
        "Property value must start with an '='",
    ),
    (
        "Foo: \"x\"",
        1,
        6,
        "Quote is not a supported escape sequence. Use = or |",
    ),
    ("Foo:=1", 1, 5, "Must have at least 1 space after colon."),
    (
        "Foo",
        1,
        4,
        "Missing ':'. If this is a multiline property, use |",
    ),
    (
        "Foo:\n  val",
        2,
        6,
        "Missing ':'. If this is a multiline property, use |",
    ),
    ("\"Foo: =1", 1, 9, "Missing closing \"."),
    ("'Foo: ", 1, 7, "Missing closing ' in Property"),
    (
        "Scr'een1 As screen:",
        1,
        20,
        "Missing closing ' in TypeNode",
    ),
    (
        "fun'c1(P As String, Q As String):",
        1,
        34,
        "Missing closing ' in Function Node",
    ),
    (
        "---",
        1,
        1,
        "--- markers are not supported. Only a single document per file.",
    ),
    (
        "- x",
        1,
        1,
        "--- markers are not supported. Only a single document per file.",
    ),
    ("\tFoo: =1", 1, 1, "Use spaces, not tabs."),
    (
        "Foo: =1\nFoo: =2",
        2,
        6,
        "Property 'Foo' was already defined on line 1.",
    ),
    (
        "A:\n    B: =1\n  C: =2",
        3,
        3,
        "Property indent must align exactly with a previous indent level.",
    ),
    (
        "A:\n    B: =1\n      C: =2",
        3,
        7,
        "Property should be at same indent level",
    ),
];

/// Each row inside a control (one line down, four columns right), where the reader reaches it.
/// A bare `A:` key becomes a child control header there, since the parser would otherwise
/// reject it as a function signature before the lexer reaches the next line.
#[test]
fn lexer_error_table_inside_a_control() {
    for (input, line, column, message) in LEXER_ROWS {
        let indented: Vec<String> = input
            .split('\n')
            .map(|l| match l.strip_suffix(':') {
                Some(key) if !key.contains([' ', '\'']) => format!("    {key} As label:"),
                _ => format!("    {l}"),
            })
            .collect();
        let text = format!("Screen1 As screen:\n{}", indented.join("\n"));
        let message = message.replace("on line 1.", "on line 2.");
        assert_eq!(
            syntax_error(&text),
            (line + 1, column + 4, message),
            "{input:?}"
        );
    }
}

/// Rows whose error comes with the first token are reported as such at the top level too.
#[test]
fn lexer_error_table_at_top_level() {
    for (input, line, column, message) in LEXER_ROWS {
        if input.contains('\n') && !input.starts_with("Foo: |") {
            continue;
        }
        assert_eq!(
            syntax_error(input),
            (*line, *column, message.to_string()),
            "{input:?}"
        );
    }
    assert_eq!(
        parse("Comp'1 As CanvasComponent:", "c.fx.yaml")
            .err()
            .map(|e| e.to_string()),
        Some("c.fx.yaml:1:27: Missing closing ' in TypeNode".to_string())
    );
    assert_eq!(
        parse_component("Comp'1 As CanvasComponent:", "c.fx.yaml")
            .err()
            .map(|e| e.to_string()),
        Some("c.fx.yaml:1:27: Missing closing ' in Component".to_string())
    );
}

/// §3.3 parser table.
#[test]
fn parser_error_table() {
    let rows: &[(&str, usize, usize, &str)] = &[
        ("Fill: =1", 1, 1, "Unexpected token Fill=1"),
        ("", 1, 1, "Unexpected token <EndOfFile>"),
        (
            "\n  \n# only a comment\n",
            1,
            1,
            "Unexpected token <EndOfFile>",
        ),
        ("Screen1:", 1, 1, "Can't parse control definition"),
        (
            "Screen1 As screen.a.b:",
            1,
            1,
            "Can't parse control definition",
        ),
        (
            "Screen1 As screen:\n    Fill:\n",
            2,
            5,
            "Can't parse Function definition",
        ),
        (
            "Screen1 As screen:\n    F(a As Number:\n",
            2,
            5,
            "Missing closing ')' in function definition",
        ),
        (
            "C As CanvasComponent:\n    F(a As Number):\n        a:\n            Other: =2\n",
            4,
            13,
            "Unexpected key in function definition: Other=2",
        ),
        (
            "C As CanvasComponent:\n    F():\n        X: =1\n",
            3,
            9,
            "Unexpected yaml token: X=1",
        ),
        (
            "C As CanvasComponent:\n    F():\n        ThisProperty:\n            Nested:\n                Default: =1\n",
            4,
            13,
            "Unexpected yaml token: Nested:",
        ),
        (
            "Screen1 As screen:\n    Label1 As label:\n        X: =1\n    Label1 As label:\n",
            4,
            21,
            "Property 'Label1 As label' was already defined on line 2.",
        ),
        (
            "Screen1 As screen:\n    'a'b: =1\n",
            2,
            5,
            "Unmatched escape delimeter in 'a'b",
        ),
        (
            "Screen1 As screen:\n    : =1\n",
            2,
            5,
            "Property name can't be empty.",
        ),
    ];
    for (input, line, column, message) in rows {
        assert_eq!(
            syntax_error(input),
            (*line, *column, message.to_string()),
            "{input:?}"
        );
    }
}

#[test]
fn errors_render_with_file_line_and_column() {
    let err = parse("S As screen:\n    X: 5\n", "Src/S.fx.yaml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Src/S.fx.yaml:2:8: Expected either '=' for a single line expression or '|' to begin a multiline expression"
    );
}

#[test]
fn tolerated_input() {
    let text = "\u{FEFF}# leading comment\n'My Screen' As screen:\n  \"Quoted\": = 1\n  Blank: =\n\n  Label1 As label:\n     Text: |  \n       =a\n         b\n  Fn(p As Number):\n    p:\n      Default: =0\n";
    let parsed = parse(text, "t.fx.yaml").unwrap();
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!((parsed.warnings[0].line, parsed.warnings[0].column), (1, 1));
    assert_eq!(parsed.warnings[0].message, "Yaml comments don't roundtrip.");
    let b = parsed.block;
    assert_eq!(
        (b.name.as_str(), b.type_name.as_str(), b.line, b.column),
        ("My Screen", "screen", 2, 1)
    );
    assert_eq!(b.properties[0].name, "Quoted");
    assert_eq!(b.properties[0].formula, " 1");
    assert_eq!(b.properties[1].formula, "");
    assert_eq!(b.children[0].properties[0].formula, "a\n  b\n");
    assert_eq!((b.children[0].line, b.children[0].column), (6, 3));
    assert_eq!(b.functions[0].name, "Fn");
    assert_eq!(
        b.functions[0].params,
        vec![("p".to_string(), "Number".to_string())]
    );
    assert_eq!(
        b.functions[0].metadata,
        vec![("p".to_string(), "0".to_string())]
    );
}

#[test]
fn later_top_level_blocks_are_ignored_with_a_warning() {
    let parsed = parse(
        "A As screen:\n    X: =1\n\nB As screen:\n    Y: 2\n",
        "t.fx.yaml",
    )
    .unwrap();
    assert_eq!(parsed.block.name, "A");
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!((parsed.warnings[0].line, parsed.warnings[0].column), (4, 1));
    assert!(
        parsed.warnings[0].message.contains("'B As screen'"),
        "{}",
        parsed.warnings[0].message
    );
}

#[test]
fn escaped_names_round_trip() {
    for name in [
        "Foo Bar",
        "It's",
        "a:b",
        "#x",
        "Say \"Hi\"",
        "x\\",
        "''",
        " lead",
        "1st",
        "\u{1F600}",
    ] {
        let mut b = with_props(block(name, "label", Some(name)), &[(name, "1")]);
        b.children.push(block(name, name, None));
        let text = write(&b);
        let back = parse(&text, "n.fx.yaml")
            .unwrap_or_else(|e| panic!("{name:?}: {e}\n{text}"))
            .block;
        assert_eq!(back.name, name, "{text}");
        assert_eq!(back.properties[0].name, name, "{text}");
        assert_eq!(back.children[0].type_name, name, "{text}");
        assert_eq!(back.variant.as_deref(), Some(name));
        assert_eq!(escape_name(name).starts_with('\''), text.starts_with('"'));
    }
    // An empty name is written as `''`, which no identifier reader accepts (nor does the
    // reference's); an empty property name does survive.
    assert_eq!(write(&block("", "label", None)), "\"'' As label\":\n\n");
    assert!(parse("\"'' As label\":\n", "n.fx.yaml").is_err());
    let b = with_props(block("S", "screen", None), &[("", "1")]);
    assert_eq!(
        parse(&write(&b), "n.fx.yaml").unwrap().block.properties[0].name,
        ""
    );
}

/// Deterministic pseudo-random numbers (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Whether the writer can express every name: the reader accepts empty control and type names
/// and function or parameter names starting with a digit or mark, which the writer must quote
/// and no reader accepts quoted (the reference behaves the same).
fn representable(b: &Block) -> bool {
    let bare = |name: &str| escape_name(name) == name;
    !b.name.is_empty()
        && !b.type_name.is_empty()
        && b.functions
            .iter()
            .all(|f| bare(&f.name) && f.params.iter().all(|(n, t)| bare(n) && bare(t)))
        && b.children.iter().all(representable)
}

/// Whatever parses must also survive write -> parse -> write unchanged.
fn check_no_panic(text: &str) {
    if let Ok(parsed) = parse(text, "fuzz.fx.yaml") {
        let written = write(&parsed.block);
        match parse(&written, "fuzz.fx.yaml") {
            Ok(again) => assert_eq!(write(&again.block), written, "input {text:?}"),
            Err(e) => assert!(
                !representable(&parsed.block),
                "{e}: input {text:?} written {written:?}"
            ),
        }
    }
    let _ = parse_component(text, "fuzz.fx.yaml");
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet: Vec<char> = "ab As:=|-+>#'\"\\ \t\r\n\0().,_1é\u{FEFF}\u{1F600}\u{300}"
        .chars()
        .collect();
    for _ in 0..3000 {
        let len = rng.below(60);
        let text: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        check_no_panic(&text);
    }
    for _ in 0..500 {
        let len = rng.below(80);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        check_no_panic(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn damaged_real_files_never_panic() {
    let mut rng = Rng(42);
    let inserts: Vec<char> = ":=|#'\" \t\r\n-\0>".chars().collect();
    for path in golden_files().into_iter().chain(pair_tree_files()) {
        let text = read(&path);
        let chars: Vec<char> = text.chars().collect();
        let step = (chars.len() / 200).max(1);
        for cut in (0..=chars.len()).step_by(step) {
            check_no_panic(&chars[..cut].iter().collect::<String>());
        }
        for _ in 0..200 {
            let mut damaged = chars.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(damaged.len() + 1);
                match rng.below(3) {
                    0 => damaged.insert(at, inserts[rng.below(inserts.len())]),
                    1 if at < damaged.len() => {
                        damaged.remove(at);
                    }
                    _ if at < damaged.len() => damaged[at] = inserts[rng.below(inserts.len())],
                    _ => {}
                }
            }
            check_no_panic(&damaged.iter().collect::<String>());
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let nested = |levels: usize| -> String {
        (0..levels)
            .map(|i| format!("{}C{i} As group:\n", " ".repeat(i)))
            .collect()
    };
    assert!(parse(&nested(150), "deep.fx.yaml").is_ok());
    let err = parse(&nested(5000), "deep.fx.yaml").unwrap_err();
    assert!(err.to_string().contains("nested more than"), "{err}");
}
