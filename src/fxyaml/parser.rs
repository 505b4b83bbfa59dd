//! Builds the control tree from lexer tokens: control headers, properties, component function
//! blocks. Stops at the first error, like the reference.

use super::ident::{
    is_control_start, is_regex_space, is_signature_char, parse_control_def, unescape_name,
};
use super::lexer::{Lexer, Token};
use super::{Block, Function, Property, Warning};
use crate::error::{Error, Result};

/// What a file parses to.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub block: Block,
    pub warnings: Vec<Warning>,
}

/// Parses one `.fx.yaml` file; `file` names it in errors (`file:line:column: message`).
pub fn parse(text: &str, file: &str) -> Result<Parsed> {
    Parser {
        lexer: Lexer::new(text, false),
        file,
        depth: 0,
    }
    .parse_file()
}

/// Like [`parse`] for component definition files (`Src/Components`, `pkgs/Components`), which
/// only changes the wording of one error message.
pub fn parse_component(text: &str, file: &str) -> Result<Parsed> {
    Parser {
        lexer: Lexer::new(text, true),
        file,
        depth: 0,
    }
    .parse_file()
}

/// Deeper control nesting is refused rather than risking the stack; real apps stay far below.
const MAX_DEPTH: usize = 200;

struct Parser<'a> {
    lexer: Lexer,
    file: &'a str,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, line: usize, column: usize, message: impl Into<String>) -> Error {
        Error::syntax(self.file, line, column, message)
    }

    /// An error about a token, at the token's position.
    fn token_error(&self, token: &Token, message: impl Into<String>) -> Error {
        let (line, column) = match token {
            Token::StartObj { line, column, .. }
            | Token::Property { line, column, .. }
            | Token::Error { line, column, .. } => (*line, *column),
            // The reference has no position for these; the start of the file is the most useful.
            Token::EndObj | Token::EndOfFile => (1, 1),
        };
        self.error(line, column, message)
    }

    fn parse_file(mut self) -> Result<Parsed> {
        let first = self.lexer.next_token();
        if let Token::Error {
            message,
            line,
            column,
        } = &first
        {
            return Err(self.error(*line, *column, message.clone()));
        }
        let block = self.parse_control(first)?;
        let mut warnings = Vec::new();
        if let Some((line, column)) = self.lexer.first_comment {
            warnings.push(Warning {
                line,
                column,
                message: "Yaml comments don't roundtrip.".to_string(),
            });
        }
        // The reference stops reading here, silently dropping anything that follows.
        let rest = self.lexer.next_token();
        match &rest {
            Token::EndOfFile => {}
            Token::StartObj { key, line, column }
            | Token::Property {
                key, line, column, ..
            } => {
                warnings.push(Warning {
                    line: *line,
                    column: *column,
                    message: format!("Only the first top-level block is read; '{key}' and everything after it is ignored."),
                });
            }
            Token::Error { line, column, .. } => warnings.push(Warning {
                line: *line,
                column: *column,
                message: "Only the first top-level block is read; the text after it is ignored."
                    .to_string(),
            }),
            Token::EndObj => {}
        }
        Ok(Parsed { block, warnings })
    }

    fn parse_control(&mut self, header: Token) -> Result<Block> {
        let Token::StartObj { key, line, column } = &header else {
            return Err(self.token_error(&header, format!("Unexpected token {header}")));
        };
        let Some((name, type_name, variant)) = parse_control_def(key) else {
            return Err(self.error(*line, *column, "Can't parse control definition"));
        };
        // The reference reads `Name As .Variant` as a control without a type, and `" As x"`
        // as one without a name, then writes the empty part as `''`, which nothing reads: no
        // app has such a control.
        if name.is_empty() {
            return Err(self.error(*line, *column, "Control name can't be empty."));
        }
        if type_name.is_empty() {
            return Err(self.error(*line, *column, "Control type can't be empty."));
        }
        let mut block = Block {
            name,
            type_name,
            variant,
            line: *line,
            column: *column,
            ..Block::default()
        };
        loop {
            let token = self.lexer.next_token();
            match &token {
                Token::EndObj => return Ok(block),
                Token::Property {
                    key,
                    value,
                    line,
                    column,
                } => {
                    if key.is_empty() {
                        // The reference crashes on an empty property name.
                        return Err(self.error(*line, *column, "Property name can't be empty."));
                    }
                    let Some(name) = unescape_name(key) else {
                        return Err(self.error(
                            *line,
                            *column,
                            format!("Unmatched escape delimeter in {key}"),
                        ));
                    };
                    block.properties.push(Property {
                        name,
                        formula: value.clone(),
                        line: *line,
                    });
                }
                Token::StartObj { key, line, column } => {
                    if is_control_start(key) {
                        if self.depth >= MAX_DEPTH {
                            return Err(self.error(
                                *line,
                                *column,
                                format!("Controls are nested more than {MAX_DEPTH} levels deep."),
                            ));
                        }
                        self.depth += 1;
                        let child = self.parse_control(token);
                        self.depth -= 1;
                        block.children.push(child?);
                    } else {
                        block.functions.push(self.parse_function(&token)?);
                    }
                }
                Token::Error {
                    message,
                    line,
                    column,
                } => return Err(self.error(*line, *column, message.clone())),
                Token::EndOfFile => {
                    return Err(self.token_error(&token, format!("Unexpected yaml token: {token}")));
                }
            }
        }
    }

    /// `Name(Param As Type, ...)` followed by one metadata block per parameter and `ThisProperty`.
    fn parse_function(&mut self, header: &Token) -> Result<Function> {
        let Token::StartObj { key, line, column } = header else {
            return Err(self.token_error(header, format!("Unexpected yaml token: {header}")));
        };
        let Some((name, params)) = parse_signature(key) else {
            return Err(self.error(*line, *column, "Can't parse Function definition"));
        };
        let Some(params) = params else {
            return Err(self.error(*line, *column, "Missing closing ')' in function definition"));
        };
        let mut function = Function {
            name,
            params,
            metadata: Vec::new(),
            line: *line,
        };
        loop {
            let token = self.lexer.next_token();
            match &token {
                Token::EndObj => return Ok(function),
                Token::StartObj { key, .. } => {
                    let default = self.parse_metadata_block()?;
                    function.metadata.push((key.clone(), default));
                }
                Token::Error {
                    message,
                    line,
                    column,
                } => return Err(self.error(*line, *column, message.clone())),
                Token::Property { .. } | Token::EndOfFile => {
                    return Err(self.token_error(&token, format!("Unexpected yaml token: {token}")));
                }
            }
        }
    }

    /// The `Default` formula of one metadata block (empty when the block has none).
    fn parse_metadata_block(&mut self) -> Result<String> {
        let mut default = String::new();
        loop {
            let token = self.lexer.next_token();
            match &token {
                Token::EndObj => return Ok(default),
                Token::Property { key, value, .. } if key == "Default" => default = value.clone(),
                Token::Property { .. } => {
                    return Err(self.token_error(
                        &token,
                        format!("Unexpected key in function definition: {token}"),
                    ));
                }
                Token::Error {
                    message,
                    line,
                    column,
                } => return Err(self.error(*line, *column, message.clone())),
                Token::StartObj { .. } | Token::EndOfFile => {
                    return Err(self.token_error(&token, format!("Unexpected yaml token: {token}")));
                }
            }
        }
    }
}

/// (parameter name, type name) pairs of a signature.
type Params = Vec<(String, String)>;

/// Splits a function signature. `None`: no `name(`; `Some((name, None))`: the parameter list
/// is not closed properly.
fn parse_signature(key: &str) -> Option<(String, Option<Params>)> {
    let name_len = signature_word_len(key);
    if name_len == 0 {
        return None;
    }
    let name = key.get(..name_len)?;
    let mut rest = key.get(name_len..)?.strip_prefix('(')?;
    let mut params = Vec::new();
    while let Some((param, type_name, len)) = parse_param(rest) {
        params.push((param.to_string(), type_name.to_string()));
        rest = rest
            .get(len..)
            .unwrap_or_default()
            .trim_start_matches([',', ' ']);
    }
    Some((name.to_string(), (rest == ")").then_some(params)))
}

/// `param\s+As\s+type` at the start of `text`, with the byte length it spans.
fn parse_param(text: &str) -> Option<(&str, &str, usize)> {
    let param_len = signature_word_len(text);
    if param_len == 0 {
        return None;
    }
    let after_param = text.get(param_len..)?;
    let after_space = after_param.trim_start_matches(is_regex_space);
    if after_space.len() == after_param.len() {
        return None;
    }
    let after_as = after_space.strip_prefix("As")?;
    let type_start = after_as.trim_start_matches(is_regex_space);
    if type_start.len() == after_as.len() {
        return None;
    }
    let type_len = signature_word_len(type_start);
    if type_len == 0 {
        return None;
    }
    let consumed = text.len() - type_start.len() + type_len;
    Some((
        text.get(..param_len)?,
        type_start.get(..type_len)?,
        consumed,
    ))
}

fn signature_word_len(text: &str) -> usize {
    text.find(|c: char| !is_signature_char(c))
        .unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let params = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            parse_signature("ValidateDates(StartDate As DateTime, EndDate As DateTime)"),
            Some((
                "ValidateDates".into(),
                Some(params(&[
                    ("StartDate", "DateTime"),
                    ("EndDate", "DateTime")
                ]))
            ))
        );
        assert_eq!(parse_signature("F()"), Some(("F".into(), Some(vec![]))));
        assert_eq!(
            parse_signature("F(a   As\tNumber,,  b As Text)"),
            Some(("F".into(), Some(params(&[("a", "Number"), ("b", "Text")]))))
        );
        assert_eq!(parse_signature("F(a As Number"), Some(("F".into(), None)));
        assert_eq!(parse_signature("F(a as Number)"), Some(("F".into(), None)));
        assert_eq!(parse_signature("F (a As Number)"), None);
        assert_eq!(parse_signature("Fill"), None);
        assert_eq!(parse_signature(""), None);
        assert_eq!(parse_signature("(x)"), None);
    }
}
