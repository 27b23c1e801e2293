//! YAML with positions: parsing spec files with marked-yaml, turning spans
//! into [`SourcePos`], and YAML scalars into [`Value`]s.

use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use crate::limits::{MAX_FILE_BYTES, MAX_YAML_DEPTH};
use crate::value::Value;
use marked_yaml::loader::{LoadError, LoaderOptions};
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, Node, Span};
use std::path::{Path, PathBuf};

/// Every file read while loading a stack, indexed by marked-yaml's source id.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    files: Vec<SourceFile>,
}

#[derive(Debug)]
struct SourceFile {
    path: PathBuf,
    text: String,
    /// Whether diagnostics may quote the file's lines: only once it is
    /// known to be what forge expected (a spec, a var file). A file that is
    /// not (a secret an include pointed at, a stray YAML file) is reported
    /// by path and position only, so its contents never reach a log.
    quotable: bool,
}

/// What a file read by the loader is expected to hold.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    /// A spec file: a mapping with at least one of these top-level keys
    /// (or an empty one).
    Spec(&'static [&'static str]),
    /// A `--var-file`: any mapping.
    Vars,
}

impl Expect {
    fn accepts(self, map: &MarkedMappingNode) -> bool {
        match self {
            Expect::Spec(keys) => map.is_empty() || map.keys().any(|k| keys.contains(&k.as_str())),
            Expect::Vars => true,
        }
    }
}

impl Sources {
    /// The files read, with their text, in the order they were read.
    pub(crate) fn into_files(self) -> Vec<(PathBuf, String)> {
        self.files.into_iter().map(|f| (f.path, f.text)).collect()
    }

    /// The position a span starts at.
    pub(crate) fn pos(&self, span: &Span) -> SourcePos {
        match span.start() {
            Some(m) => SourcePos {
                file: self
                    .files
                    .get(m.source())
                    .map(|f| f.path.clone())
                    .unwrap_or_default(),
                line: m.line(),
                column: m.column(),
            },
            None => SourcePos::default(),
        }
    }

    /// The source line a span starts on, trimmed: the diagnostic snippet.
    /// None for a file whose contents must not be quoted.
    pub(crate) fn line_text(&self, span: &Span) -> Option<String> {
        let m = span.start()?;
        let file = self.files.get(m.source()).filter(|f| f.quotable)?;
        file.text
            .lines()
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

    /// Reads and parses a YAML file whose top level must be a mapping of
    /// the kind `expect` describes. Files over [`MAX_FILE_BYTES`] are
    /// refused before they are read.
    pub(crate) fn parse_file(
        &mut self,
        path: &Path,
        expect: Expect,
        diags: &mut Diagnostics,
    ) -> Option<MarkedMappingNode> {
        let at_start = || SourcePos {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
        };
        let text = match read_bounded(path) {
            Ok(t) => t,
            Err(ReadError::TooLarge) => {
                diags.push(
                    Diagnostic::at(
                        at_start(),
                        format!(
                            "{} is larger than {} MiB, the most forge reads from one file",
                            path.display(),
                            MAX_FILE_BYTES / (1024 * 1024)
                        ),
                    )
                    .with_hint(
                        "split the stack into several files of its folder; a spec file is a few KiB",
                    ),
                );
                return None;
            }
            Err(ReadError::Io(e)) => {
                diags.push(Diagnostic::at(
                    at_start(),
                    format!("cannot read {}: {e}", path.display()),
                ));
                return None;
            }
        };
        self.parse_text(path, text, expect, diags)
    }

    /// Parses YAML text as if read from `path`.
    pub(crate) fn parse_text(
        &mut self,
        path: &Path,
        text: String,
        expect: Expect,
        diags: &mut Diagnostics,
    ) -> Option<MarkedMappingNode> {
        // Editors on Windows save UTF-8 with a byte order mark; it is not
        // part of the first key.
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        };
        let id = self.files.len();
        // Checked first, on the event stream: marked-yaml recurses once per
        // nesting level (a deep file would overflow the stack) and reads
        // only the first document of a stream.
        let structure = check_structure(&text);
        self.files.push(SourceFile {
            path: path.to_path_buf(),
            text,
            quotable: false,
        });
        if let Err(problem) = structure {
            diags.push(problem.diagnostic(path));
            return None;
        }
        let text = &self.files[id].text;
        let options = LoaderOptions::default()
            .error_on_duplicate_keys(true)
            .prevent_coercion(true);
        // marked-yaml asserts on some malformed event streams; a panic there
        // must become a syntax error, never abort the loader.
        let parsed =
            std::panic::catch_unwind(|| marked_yaml::parse_yaml_with_options(id, text, options));
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
            Ok(Node::Mapping(m)) if expect.accepts(&m) => {
                self.files[id].quotable = true;
                Some(m)
            }
            Ok(Node::Mapping(_)) => {
                diags.push(
                    Diagnostic::at(
                        SourcePos {
                            file: path.to_path_buf(),
                            line: 1,
                            column: 1,
                        },
                        "not a forge spec file: none of its top-level keys is a forge key",
                    )
                    .with_hint(
                        "a spec file has keys like stack, region, vars, resources; check the path (a stack folder's every top-level *.yaml / *.yml file is part of the stack)",
                    ),
                );
                None
            }
            Ok(other) => {
                diags.push(Diagnostic::at(
                    self.pos(other.span()),
                    "a spec file must be a YAML mapping (`key: value` lines)",
                ));
                None
            }
            Err(e) => {
                let quotable =
                    matches!(&e, LoadError::DuplicateKey(_)) && self.accepted(id, expect);
                diags.push(self.load_error(path, e, quotable));
                None
            }
        }
    }

    /// Whether the file parses (ignoring duplicate keys) as what `expect`
    /// describes, so its lines may be quoted in the duplicate-key error.
    fn accepted(&self, id: usize, expect: Expect) -> bool {
        let options = LoaderOptions::default().prevent_coercion(true);
        let text = &self.files[id].text;
        matches!(
            std::panic::catch_unwind(|| marked_yaml::parse_yaml_with_options(id, text, options)),
            Ok(Ok(Node::Mapping(m))) if expect.accepts(&m)
        )
    }

    /// A parse error of the last file read. `quotable`: the file is known
    /// to be a forge file, so its line and key names may be shown.
    fn load_error(&self, path: &Path, e: LoadError, quotable: bool) -> Diagnostic {
        let at = |m: &marked_yaml::Marker| SourcePos {
            file: path.to_path_buf(),
            line: m.line(),
            column: m.column(),
        };
        let line = |m: &marked_yaml::Marker| {
            self.files
                .last()
                .filter(|_| quotable)
                .and_then(|f| f.text.lines().nth(m.line().saturating_sub(1)))
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
                let message = if quotable {
                    format!(
                        "duplicate key `{}` (first defined on {first})",
                        inner.key.as_str()
                    )
                } else {
                    format!("duplicate key (first defined on {first})")
                };
                (m, message, None)
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

enum ReadError {
    TooLarge,
    Io(std::io::Error),
}

/// Reads a file as UTF-8, refusing one over [`MAX_FILE_BYTES`] without
/// reading more than that (a device or a FIFO never ends).
fn read_bounded(path: &Path) -> Result<String, ReadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is not UTF-8 text",
        ))
    })
}

/// A structural problem found before building the node tree.
#[derive(Debug)]
enum Structure {
    /// Mappings and lists nested deeper than [`MAX_YAML_DEPTH`].
    TooDeep { line: usize, column: usize },
    /// A second document (`---`) in the stream.
    SecondDocument { line: usize, column: usize },
}

impl Structure {
    fn diagnostic(&self, path: &Path) -> Diagnostic {
        let at = |line: usize, column: usize| SourcePos {
            file: path.to_path_buf(),
            line,
            column,
        };
        match *self {
            Structure::TooDeep { line, column } => Diagnostic::at(
                at(line, column),
                format!("YAML nested more than {MAX_YAML_DEPTH} levels deep"),
            )
            .with_hint("flatten the structure; spec fields nest a few levels, not dozens"),
            Structure::SecondDocument { line, column } => Diagnostic::at(
                at(line, column),
                "a second YAML document starts here; a spec file holds exactly one",
            )
            .with_hint(
                "remove the `---` line (forge would ignore everything after it); to split a stack, use several files of its folder or `include:`",
            ),
        }
    }
}

/// Walks the YAML event stream (an iterative parser, no recursion) and
/// finds a nesting deeper than [`MAX_YAML_DEPTH`] or a second document.
/// Syntax errors are left to marked-yaml, which reports the same ones.
fn check_structure(text: &str) -> Result<(), Structure> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    let mut documents = 0usize;
    loop {
        let Ok((event, mark)) = parser.next_token() else {
            return Ok(());
        };
        let (line, column) = (mark.line(), mark.col() + 1);
        match event {
            Event::StreamEnd => return Ok(()),
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    // The parser marks the event after the `---`; point
                    // at the marker line itself.
                    let (line, column) = second_document_start(text).unwrap_or((line, column));
                    return Err(Structure::SecondDocument { line, column });
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                depth += 1;
                if depth > MAX_YAML_DEPTH {
                    return Err(Structure::TooDeep { line, column });
                }
            }
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
}

/// Where the second document of a stream starts: the first `---` line
/// after the first document began (with content or its own `---`), or
/// the first content after a `...` end marker. Markers count only at
/// column 1, as in YAML.
fn second_document_start(text: &str) -> Option<(usize, usize)> {
    let marker = |line: &str, m: &str| {
        line.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
    };
    let (mut content, mut ended) = (false, false);
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if marker(line, "---") {
            if content || ended {
                return Some((i + 1, 1));
            }
            // `---` opening the first document.
            content = true;
            continue;
        }
        if marker(line, "...") {
            ended = true;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') || line.starts_with('%') {
            continue;
        }
        if ended {
            return Some((i + 1, line.len() - trimmed.len() + 1));
        }
        content = true;
    }
    None
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
        let node = sources.parse_text(
            Path::new("t.yaml"),
            text.to_string(),
            Expect::Vars,
            &mut diags,
        );
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

    fn parse_spec(text: &str) -> (Option<MarkedMappingNode>, Diagnostics) {
        let mut sources = Sources::default();
        let mut diags = Diagnostics::default();
        let node = sources.parse_text(
            Path::new("t.yaml"),
            text.to_string(),
            Expect::Spec(crate::spec::TOP_LEVEL_KEYS),
            &mut diags,
        );
        (node, diags)
    }

    fn at(diags: &Diagnostics) -> Option<(usize, usize)> {
        diags.0.first()?.pos.as_ref().map(|p| (p.line, p.column))
    }

    #[test]
    fn a_second_document_is_an_error_at_its_start() {
        let (node, diags) = parse_spec("stack: s\nregion: r\n---\nresources: {}\n");
        assert!(node.is_none());
        assert_eq!(at(&diags), Some((3, 1)), "{diags}");
        assert!(
            diags.0[0].message.contains("second YAML document"),
            "{diags}"
        );
        assert!(
            diags.0[0]
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("---"))
        );
        // After an explicit end marker, without `---`.
        let (_, diags) = parse_spec("stack: s\n...\nregion: r\n");
        assert_eq!(at(&diags), Some((3, 1)), "{diags}");
        // Even an empty second document: whatever follows `---` is dropped.
        let (node, _) = parse_spec("stack: s\n---\n");
        assert!(node.is_none());
        // One document that starts with `---` is fine.
        let (node, diags) = parse_spec("---\nstack: s\n");
        assert!(node.is_some() && diags.is_empty(), "{diags}");
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_key() {
        let (node, diags) = parse_spec("\u{feff}stack: s\nregion: r\n");
        assert!(diags.is_empty(), "{diags}");
        let keys: Vec<String> = node
            .iter()
            .flat_map(|m| m.keys().map(|k| k.as_str().to_string()))
            .collect();
        assert_eq!(keys, ["stack", "region"]);
    }

    #[test]
    fn files_that_are_not_specs_are_never_quoted() {
        let secret = "hunter2-very-secret";
        for text in [
            // Not YAML a spec could be: a syntax error.
            format!("root:x:0:0:{secret}:/root\nkey: [unclosed {secret}\n"),
            // A mapping without any forge key.
            format!("password: {secret}\ntoken: {secret}\n"),
            // A duplicate key in such a mapping.
            format!("{secret}: 1\n{secret}: 2\n"),
            // Not a mapping at all.
            format!("- {secret}\n"),
            format!("{secret}\n"),
        ] {
            let (node, diags) = parse_spec(&text);
            assert!(node.is_none(), "{text}");
            assert!(!diags.is_empty(), "{text}");
            for d in &diags.0 {
                assert!(d.snippet.is_none(), "{d}");
                assert!(!d.to_string().contains(secret), "{d}");
                assert!(d.pos.is_some(), "{d}");
            }
        }
        // A spec file's own mistakes are quoted as before.
        let (_, diags) = parse_spec("stack: a\nstack: b\n");
        assert_eq!(
            diags.0[0].message,
            "duplicate key `stack` (first defined on line 1)"
        );
        assert_eq!(diags.0[0].snippet.as_deref(), Some("stack: b"));
    }

    #[test]
    fn deep_nesting_is_refused_before_building_nodes() {
        let text = format!("stack: s\nvars:\n  v:\n    {}x\n", "- ".repeat(100_000));
        let (node, diags) = parse_spec(&text);
        assert!(node.is_none());
        // The root mapping and `vars` are two levels: the 63rd `- ` is the 65th.
        assert_eq!(
            at(&diags),
            Some((4, 5 + 2 * (MAX_YAML_DEPTH - 2))),
            "{diags}"
        );
        let fine = format!(
            "stack: s\nvars:\n  v:\n    {}x\n",
            "- ".repeat(MAX_YAML_DEPTH - 2)
        );
        let (node, diags) = parse_spec(&fine);
        assert!(node.is_some(), "{diags}");
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
