//! YAML with positions: parsing spec files with marked-yaml, turning spans
//! into [`SourcePos`], and YAML scalars into [`Value`]s.

use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use crate::value::Value;
use marked_yaml::loader::{LoadError, LoaderOptions};
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, Node, Span};
use std::path::{Path, PathBuf};

/// Every file read while loading a stack, indexed by marked-yaml's source id.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    files: Vec<(PathBuf, String)>,
}

impl Sources {
    /// The files read, with their text, in the order they were read.
    pub(crate) fn into_files(self) -> Vec<(PathBuf, String)> {
        self.files
    }

    /// The position a span starts at.
    pub(crate) fn pos(&self, span: &Span) -> SourcePos {
        match span.start() {
            Some(m) => SourcePos {
                file: self
                    .files
                    .get(m.source())
                    .map(|f| f.0.clone())
                    .unwrap_or_default(),
                line: m.line(),
                column: m.column(),
            },
            None => SourcePos::default(),
        }
    }

    /// The source line a span starts on, trimmed: the diagnostic snippet.
    pub(crate) fn line_text(&self, span: &Span) -> Option<String> {
        let m = span.start()?;
        let text = &self.files.get(m.source())?.1;
        text.lines()
            .nth(m.line().checked_sub(1)?)
            .map(|l| l.trim().to_string())
    }

    /// A diagnostic at a node, with its line as the snippet.
    pub(crate) fn diag(&self, span: &Span, message: impl Into<String>) -> Diagnostic {
        let d = Diagnostic::at(self.pos(span), message);
        match self.line_text(span) {
            Some(line) if !line.is_empty() => d.with_snippet(line),
            _ => d,
        }
    }

    /// Reads and parses a YAML file whose top level must be a mapping.
    pub(crate) fn parse_file(
        &mut self,
        path: &Path,
        diags: &mut Diagnostics,
    ) -> Option<MarkedMappingNode> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::at(
                    SourcePos {
                        file: path.to_path_buf(),
                        line: 1,
                        column: 1,
                    },
                    format!("cannot read {}: {e}", path.display()),
                ));
                return None;
            }
        };
        self.parse_text(path, text, diags)
    }

    /// Parses YAML text as if read from `path`.
    pub(crate) fn parse_text(
        &mut self,
        path: &Path,
        text: String,
        diags: &mut Diagnostics,
    ) -> Option<MarkedMappingNode> {
        let id = self.files.len();
        let options = LoaderOptions::default()
            .error_on_duplicate_keys(true)
            .prevent_coercion(true);
        // marked-yaml asserts on some malformed event streams; a panic there
        // must become a syntax error, never abort the loader.
        let parsed =
            std::panic::catch_unwind(|| marked_yaml::parse_yaml_with_options(id, &text, options));
        self.files.push((path.to_path_buf(), text));
        let result = match parsed {
            Ok(r) => r,
            Err(_) => {
                diags.push(Diagnostic::at(
                    SourcePos {
                        file: path.to_path_buf(),
                        line: 1,
                        column: 1,
                    },
                    "YAML syntax error: the document structure is not supported",
                ));
                return None;
            }
        };
        match result {
            Ok(Node::Mapping(m)) => Some(m),
            Ok(other) => {
                diags.push(self.diag(
                    other.span(),
                    "a spec file must be a YAML mapping (`key: value` lines)",
                ));
                None
            }
            Err(e) => {
                diags.push(self.load_error(path, e));
                None
            }
        }
    }

    fn load_error(&self, path: &Path, e: LoadError) -> Diagnostic {
        let at = |m: &marked_yaml::Marker| SourcePos {
            file: path.to_path_buf(),
            line: m.line(),
            column: m.column(),
        };
        let line = |m: &marked_yaml::Marker| {
            self.files
                .last()
                .and_then(|f| f.1.lines().nth(m.line().saturating_sub(1)))
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
        };
        let (marker, message, hint) = match &e {
            LoadError::ScanError(m, se) => (
                *m,
                format!("YAML syntax error: {}", scan_message(&se.to_string())),
                None,
            ),
            LoadError::TopLevelMustBeMapping(m) => {
                (*m, "a spec file must be a YAML mapping".to_string(), None)
            }
            LoadError::TopLevelMustBeSequence(m) => {
                (*m, "unexpected top-level sequence".to_string(), None)
            }
            LoadError::UnexpectedAnchor(m) => (
                *m,
                "YAML anchors and aliases are not supported".to_string(),
                Some("use `include:` to share settings between files".to_string()),
            ),
            LoadError::MappingKeyMustBeScalar(m) => {
                (*m, "mapping keys must be plain strings".to_string(), None)
            }
            LoadError::UnexpectedTag(m) => (
                *m,
                "YAML tags (`!name`) are not supported".to_string(),
                None,
            ),
            LoadError::DuplicateKey(inner) => {
                let m = inner
                    .key
                    .span()
                    .start()
                    .copied()
                    .unwrap_or_else(|| marked_yaml::Marker::new(0, 0, 1, 1));
                let first = inner
                    .prev_key
                    .span()
                    .start()
                    .map(|p| format!("line {}", p.line()))
                    .unwrap_or_default();
                (
                    m,
                    format!(
                        "duplicate key `{}` (first defined on {first})",
                        inner.key.as_str()
                    ),
                    None,
                )
            }
        };
        let mut d = Diagnostic::at(at(&marker), message);
        if let Some(l) = line(&marker) {
            d = d.with_snippet(l);
        }
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        d
    }
}

/// yaml-rust's scan errors read "<description> at byte N line L column C";
/// the position is reported separately, so keep the description.
fn scan_message(full: &str) -> String {
    match full.find(" at byte ").or_else(|| full.find(" at line ")) {
        Some(i) => full[..i].to_string(),
        None => full.to_string(),
    }
}

/// A scalar as a value: plain scalars may be null, bools or numbers;
/// quoted ones are always strings.
pub(crate) fn scalar_value(s: &MarkedScalarNode) -> Value {
    let text = s.as_str();
    if !s.may_coerce() {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::int(i);
    }
    let numeric = text
        .starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.')
        && text.chars().any(|c| c.is_ascii_digit());
    if numeric
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

/// A whole node as a value (templates are not evaluated: callers that
/// allow expressions use the config converter instead).
pub(crate) fn node_value(node: &Node) -> Value {
    match node {
        Node::Scalar(s) => scalar_value(s),
        Node::Sequence(seq) => Value::List(seq.iter().map(node_value).collect()),
        Node::Mapping(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.as_str().to_string(), node_value(v)))
                .collect(),
        ),
    }
}

/// The YAML kind of a node, for messages.
pub(crate) fn node_kind(node: &Node) -> &'static str {
    match node {
        Node::Scalar(s) => scalar_value(s).type_name(),
        Node::Sequence(_) => "list",
        Node::Mapping(_) => "map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Option<MarkedMappingNode>, Diagnostics) {
        let mut sources = Sources::default();
        let mut diags = Diagnostics::default();
        let node = sources.parse_text(Path::new("t.yaml"), text.to_string(), &mut diags);
        (node, diags)
    }

    #[test]
    fn scalars_follow_yaml_core_schema() {
        let (node, _) =
            parse("a: 1\nb: '1'\nc: true\nd: \"true\"\ne: ~\nf: 1.5\ng: x\nh: 1e3\ni: .inf\n");
        let v = node.map(|m| node_value(&Node::Mapping(m)));
        let v = v.unwrap_or_default();
        assert_eq!(v.get("a"), Some(&Value::int(1)));
        assert_eq!(v.get("b"), Some(&Value::from("1")));
        assert_eq!(v.get("c"), Some(&Value::Bool(true)));
        assert_eq!(v.get("d"), Some(&Value::from("true")));
        assert_eq!(v.get("e"), Some(&Value::Null));
        assert_eq!(v.get("f").and_then(Value::as_f64), Some(1.5));
        assert_eq!(v.get("g"), Some(&Value::from("x")));
        assert_eq!(v.get("h").and_then(Value::as_f64), Some(1000.0));
        assert_eq!(v.get("i"), Some(&Value::from(".inf")));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let (node, diags) = parse("a: 1\nb: [1, 2\n");
        assert!(node.is_none());
        assert_eq!(diags.0.len(), 1);
        assert!(
            diags.0[0].message.starts_with("YAML syntax error"),
            "{}",
            diags.0[0].message
        );
        let (_, diags) = parse("a: 1\na: 2\n");
        assert_eq!(
            diags.0[0].message,
            "duplicate key `a` (first defined on line 1)"
        );
        assert_eq!(diags.0[0].pos.as_ref().map(|p| p.line), Some(2));
    }
}
