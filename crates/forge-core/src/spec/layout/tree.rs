//! The YAML of one file as a tree that remembers what the formatter must
//! keep: each entry's comments and blank lines, the style of its scalars,
//! and the source text of what is kept verbatim (flow collections, block
//! scalars).
//!
//! yaml-rust2's events carry a start mark only, and the marks of block
//! collections are imprecise, so positions are taken from scalars (whose
//! marks are exact) and the ends of scalars are found by scanning the text.

use super::LayoutError;
use std::collections::{BTreeMap, BTreeSet};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A blank line or a comment line between entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Trivia {
    Blank,
    /// A comment line: its column in the source and its text from `#`.
    Comment {
        col: usize,
        text: String,
    },
}

/// A comment at the end of a content line: the spaces before it and its
/// text from `#`.
#[derive(Debug, Clone)]
pub(super) struct EndComment {
    pub gap: usize,
    pub text: String,
}

#[derive(Debug)]
pub(super) enum Body {
    /// A plain or quoted scalar, re-written from its value.
    Scalar {
        value: String,
        style: TScalarStyle,
    },
    /// A `|` or `>` scalar: its header and its body lines without their
    /// indentation (None for a blank line).
    Block {
        header: String,
        lines: Vec<Option<String>>,
        /// Extra indentation of the body beyond the parent's, kept when the
        /// header gives it explicitly (`|2`).
        explicit: Option<usize>,
    },
    /// `{...}` or `[...]`, kept as written: its lines, and the column of
    /// its first character in the source.
    Flow {
        lines: Vec<String>,
        col: usize,
    },
    Map(Vec<Entry>),
    Seq(Vec<Item>),
}

#[derive(Debug)]
pub(super) struct Entry {
    /// The key's value and how it was written.
    pub key: String,
    pub key_style: TScalarStyle,
    /// The line and column of the key in the source.
    pub line: usize,
    pub col: usize,
    pub value: Body,
    pub leading: Vec<Trivia>,
    pub comment: Option<EndComment>,
}

#[derive(Debug)]
pub(super) struct Item {
    pub line: usize,
    /// The column of its dash in the source.
    pub col: usize,
    pub value: Body,
    pub leading: Vec<Trivia>,
    pub comment: Option<EndComment>,
}

/// A parsed file: its top-level mapping (None when the document is not a
/// mapping), the trivia after the last entry, and whether it opened with
/// an explicit `---`.
#[derive(Debug)]
pub(super) struct Tree {
    pub root: Option<Vec<Entry>>,
    pub trailer: Vec<Trivia>,
    pub explicit_start: bool,
    /// The source's indentation step (the smallest indentation of a key),
    /// to carry a comment's depth into the layout's step.
    pub unit: usize,
}

struct Events(Vec<(Event, Marker)>);

impl MarkedEventReceiver for Events {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        self.0.push((ev, mark));
    }
}

/// The source, addressable by char index and by (1-based) line.
struct Src {
    chars: Vec<char>,
    /// Char index of the start of each line (line n at `starts[n - 1]`).
    starts: Vec<usize>,
}

impl Src {
    fn new(text: &str) -> Src {
        let chars: Vec<char> = text.chars().collect();
        let mut starts = vec![0];
        for (i, c) in chars.iter().enumerate() {
            if *c == '\n' {
                starts.push(i + 1);
            }
        }
        Src { chars, starts }
    }

    fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Line `n` (1-based) without its newline.
    fn line(&self, n: usize) -> &[char] {
        let Some(&start) = self.starts.get(n.wrapping_sub(1)) else {
            return &[];
        };
        let mut end = self.starts.get(n).map_or(self.chars.len(), |s| s - 1);
        if end > start && self.chars.get(end - 1) == Some(&'\r') {
            end -= 1;
        }
        self.chars.get(start..end).unwrap_or(&[])
    }

    fn line_of(&self, index: usize) -> usize {
        self.starts.partition_point(|&s| s <= index)
    }

    fn col_of(&self, index: usize) -> usize {
        index
            - self
                .starts
                .get(self.line_of(index) - 1)
                .copied()
                .unwrap_or(0)
    }

    fn indent(&self, n: usize) -> usize {
        self.line(n).iter().take_while(|c| **c == ' ').count()
    }

    fn is_blank(&self, n: usize) -> bool {
        self.line(n).iter().all(|c| c.is_whitespace())
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to.min(self.chars.len()))
            .unwrap_or(&[])
            .iter()
            .collect()
    }
}

struct Builder<'a> {
    src: &'a Src,
    events: Vec<(Event, Marker)>,
    pos: usize,
    /// Lines that hold content (so a `#` or a blank there is not trivia).
    content: BTreeSet<usize>,
}

/// Parses `text` into a [`Tree`].
pub(super) fn parse(text: &str) -> Result<Tree, LayoutError> {
    let src = Src::new(text);
    let mut events = Events(Vec::new());
    Parser::new_from_str(text)
        .load(&mut events, true)
        .map_err(|e| LayoutError::Syntax {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
    let docs = events
        .0
        .iter()
        .filter(|(e, _)| matches!(e, Event::DocumentStart))
        .count();
    if docs > 1 {
        return Err(LayoutError::Unsupported {
            line: 1,
            what: "more than one YAML document".into(),
        });
    }
    let mut b = Builder {
        src: &src,
        events: events.0,
        pos: 0,
        content: BTreeSet::new(),
    };
    let mut root = None;
    while let Some((ev, _)) = b.events.get(b.pos) {
        match ev {
            Event::MappingStart(..)
            | Event::SequenceStart(..)
            | Event::Scalar(..)
            | Event::Alias(_) => {
                let body = b.node(0)?;
                if let Body::Map(entries) = body {
                    root = Some(entries);
                }
            }
            _ => b.pos += 1,
        }
    }
    let explicit_start = (1..=src.line_count())
        .find(|&n| !src.is_blank(n) && src.line(n).first() != Some(&'#'))
        .is_some_and(|n| src.line(n).starts_with(&['-', '-', '-']));
    let (mut root, trailer) = attach_trivia(&src, &b.content, root);
    if let Some(entries) = root.as_mut() {
        drop_edge_blanks(entries);
    }
    let unit = root
        .as_deref()
        .map(smallest_indent)
        .filter(|u| *u > 0)
        .unwrap_or(2);
    Ok(Tree {
        root,
        trailer,
        explicit_start,
        unit,
    })
}

impl Builder<'_> {
    fn next(&mut self) -> Option<(Event, Marker)> {
        let e = self.events.get(self.pos).cloned();
        self.pos += 1;
        e
    }

    /// The node whose first event is next; `min_indent` is the column its
    /// continuation lines must pass (its parent's column + 1).
    fn node(&mut self, min_indent: usize) -> Result<Body, LayoutError> {
        let Some((ev, mark)) = self.next() else {
            return Ok(Body::Scalar {
                value: String::new(),
                style: TScalarStyle::Plain,
            });
        };
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                unsupported_marks(anchor, tag.is_some(), &mark)?;
                self.scalar(value, style, &mark, min_indent)
            }
            Event::MappingStart(anchor, ref tag) | Event::SequenceStart(anchor, ref tag) => {
                unsupported_marks(anchor, tag.is_some(), &mark)?;
                let is_map = matches!(ev, Event::MappingStart(..));
                match self.src.chars.get(mark.index()) {
                    Some('{') | Some('[') => self.flow(&mark),
                    _ if is_map => self.block_map(),
                    _ => self.block_seq(),
                }
            }
            Event::Alias(_) => Err(LayoutError::Unsupported {
                line: mark.line(),
                what: "a YAML alias (`*name`)".into(),
            }),
            _ => Err(LayoutError::Unsupported {
                line: mark.line(),
                what: "an unexpected YAML event".into(),
            }),
        }
    }

    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        mark: &Marker,
        min_indent: usize,
    ) -> Result<Body, LayoutError> {
        match style {
            TScalarStyle::Literal | TScalarStyle::Folded => self.block_scalar(mark),
            TScalarStyle::Plain if value.is_empty() => Ok(Body::Scalar { value, style }),
            _ => {
                let end = self.scalar_end(&value, style, mark.index(), min_indent);
                self.mark_content(
                    mark.line(),
                    self.src.line_of(end.saturating_sub(1).max(mark.index())),
                );
                Ok(Body::Scalar { value, style })
            }
        }
    }

    /// The char index just past a plain or quoted scalar starting at `at`.
    fn scalar_end(&self, value: &str, style: TScalarStyle, at: usize, min_indent: usize) -> usize {
        let chars = &self.src.chars;
        match style {
            TScalarStyle::DoubleQuoted => {
                let mut i = at + 1;
                while let Some(c) = chars.get(i) {
                    match c {
                        '\\' => i += 2,
                        '"' => return i + 1,
                        _ => i += 1,
                    }
                }
                i
            }
            TScalarStyle::SingleQuoted => {
                let mut i = at + 1;
                while let Some(c) = chars.get(i) {
                    if *c == '\'' {
                        if chars.get(i + 1) == Some(&'\'') {
                            i += 2;
                            continue;
                        }
                        return i + 1;
                    }
                    i += 1;
                }
                i
            }
            _ => {
                let n = value.chars().count();
                if chars
                    .get(at..at + n)
                    .is_some_and(|s| s.iter().copied().eq(value.chars()))
                {
                    return at + n;
                }
                // A plain scalar folded over several lines: its continuation
                // lines are the indented, non-comment lines that follow.
                let mut line = self.src.line_of(at);
                while line < self.src.line_count() {
                    let next = line + 1;
                    let text = self.src.line(next);
                    let first = text.iter().find(|c| **c != ' ');
                    if self.src.is_blank(next)
                        || first == Some(&'#')
                        || self.src.indent(next) < min_indent
                    {
                        break;
                    }
                    line = next;
                }
                self.src.starts.get(line).map_or(chars.len(), |s| s - 1)
            }
        }
    }

    fn block_scalar(&mut self, mark: &Marker) -> Result<Body, LayoutError> {
        // The mark is the start of the body; the header (`|`, `>-`, `|2`)
        // ends the nearest line above that is not blank.
        let mut header_line = mark.line().saturating_sub(1);
        while header_line > 1 && self.src.is_blank(header_line) {
            header_line -= 1;
        }
        let line = self.src.line(header_line);
        let text: String = line.iter().collect();
        let code = text.split(" #").next().unwrap_or("").trim_end();
        let header = code
            .rsplit(' ')
            .next()
            .filter(|h| h.starts_with('|') || h.starts_with('>'))
            .ok_or_else(|| LayoutError::Unsupported {
                line: mark.line(),
                what: "a block scalar whose header is not at the end of its line".into(),
            })?
            .to_string();
        let explicit = header
            .chars()
            .find(|c| c.is_ascii_digit())
            .and_then(|c| c.to_digit(10))
            .map(|d| d as usize);
        let body_col = mark.col();
        let mut lines = Vec::new();
        let mut last = header_line;
        let mut n = header_line + 1;
        while n <= self.src.line_count() {
            if self.src.is_blank(n) {
                lines.push(None);
            } else if self.src.indent(n) >= body_col.max(1) {
                let l = self.src.line(n);
                lines.push(Some(l.get(body_col..).unwrap_or(&[]).iter().collect()));
                last = n;
            } else {
                break;
            }
            n += 1;
        }
        // Blank lines after the body belong to what follows.
        lines.truncate(last - header_line);
        self.mark_content(header_line, last);
        Ok(Body::Block {
            header,
            lines,
            explicit,
        })
    }

    fn flow(&mut self, start: &Marker) -> Result<Body, LayoutError> {
        let mut depth = 1usize;
        let mut end = start.index();
        while depth > 0 {
            let Some((ev, mark)) = self.next() else { break };
            match ev {
                Event::MappingStart(anchor, ref tag) | Event::SequenceStart(anchor, ref tag) => {
                    unsupported_marks(anchor, tag.is_some(), &mark)?;
                    depth += 1;
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    depth -= 1;
                    end = mark.index();
                }
                Event::Scalar(_, _, anchor, ref tag) => {
                    unsupported_marks(anchor, tag.is_some(), &mark)?
                }
                Event::Alias(_) => {
                    return Err(LayoutError::Unsupported {
                        line: mark.line(),
                        what: "a YAML alias (`*name`)".into(),
                    });
                }
                _ => {}
            }
        }
        let text = self.src.text(start.index(), end + 1);
        self.mark_content(start.line(), self.src.line_of(end));
        Ok(Body::Flow {
            lines: text.split('\n').map(str::to_string).collect(),
            col: self.src.col_of(start.index()),
        })
    }

    fn block_map(&mut self) -> Result<Body, LayoutError> {
        let mut entries = Vec::new();
        while let Some((ev, mark)) = self.next() {
            let (key, key_style) = match ev {
                Event::MappingEnd => break,
                Event::Scalar(value, style, anchor, tag) => {
                    unsupported_marks(anchor, tag.is_some(), &mark)?;
                    if matches!(style, TScalarStyle::Literal | TScalarStyle::Folded) {
                        return Err(complex_key(&mark));
                    }
                    (value, style)
                }
                _ => return Err(complex_key(&mark)),
            };
            let key_end = self.scalar_end(&key, key_style, mark.index(), 0);
            self.mark_content(mark.line(), mark.line());
            let value = self.node(mark.col() + 1)?;
            let comment = self.end_comment(&value, mark.line(), key_end);
            entries.push(Entry {
                key,
                key_style,
                line: mark.line(),
                col: mark.col(),
                value,
                leading: Vec::new(),
                comment,
            });
        }
        Ok(Body::Map(entries))
    }

    fn block_seq(&mut self) -> Result<Body, LayoutError> {
        let mut items = Vec::new();
        while let Some((ev, mark)) = self.events.get(self.pos).cloned() {
            if matches!(ev, Event::SequenceEnd) {
                self.pos += 1;
                break;
            }
            // The item's own position: its first scalar's line (a dash on a
            // line of its own is not content).
            let first = self.first_scalar_line().unwrap_or(mark.line());
            let dash_col = self.dash_col(first);
            let value = self.node(dash_col + 1)?;
            let comment = match &value {
                Body::Map(_) | Body::Seq(_) => None,
                _ => self.end_comment(
                    &value,
                    first,
                    self.src.starts.get(first - 1).copied().unwrap_or(0) + dash_col + 1,
                ),
            };
            items.push(Item {
                line: first,
                col: dash_col,
                value,
                leading: Vec::new(),
                comment,
            });
        }
        Ok(Body::Seq(items))
    }

    fn first_scalar_line(&self) -> Option<usize> {
        self.events
            .get(self.pos..)?
            .iter()
            .find_map(|(e, m)| match e {
                Event::Scalar(..) => Some(m.line()),
                Event::MappingStart(..) | Event::SequenceStart(..)
                    if matches!(self.src.chars.get(m.index()), Some('{') | Some('[')) =>
                {
                    Some(m.line())
                }
                _ => None,
            })
    }

    fn dash_col(&self, line: usize) -> usize {
        self.src
            .line(line)
            .iter()
            .position(|c| *c == '-')
            .unwrap_or(0)
    }

    /// The comment after the inline part of a value: on the key's line for
    /// a nested block, else after the scalar or flow collection.
    fn end_comment(&self, value: &Body, key_line: usize, key_end: usize) -> Option<EndComment> {
        let (line, from) = match value {
            Body::Map(_) | Body::Seq(_) | Body::Block { .. } => (key_line, key_end),
            Body::Scalar {
                value,
                style: TScalarStyle::Plain,
            } if value.is_empty() => (key_line, key_end),
            Body::Flow { .. } | Body::Scalar { .. } => {
                let (ev_end, _) = self.last_end();
                (self.src.line_of(ev_end.max(1) - 1), ev_end)
            }
        };
        let text = self.src.line(line);
        let start = self.src.starts.get(line - 1).copied().unwrap_or(0);
        let rest = text.get(from.saturating_sub(start)..).unwrap_or(&[]);
        let rest: String = rest.iter().collect();
        // Past the key's colon (for a key-only line) and the block header.
        let key_only = matches!(value, Body::Map(_) | Body::Seq(_) | Body::Block { .. })
            || matches!(value, Body::Scalar { value, style: TScalarStyle::Plain } if value.is_empty());
        let rest = match value {
            _ if key_only => {
                let after = rest
                    .trim_start()
                    .strip_prefix(':')
                    .unwrap_or(rest.trim_start())
                    .to_string();
                match value {
                    Body::Block { header, .. } => after
                        .trim_start()
                        .strip_prefix(header.as_str())
                        .unwrap_or(&after)
                        .to_string(),
                    _ => after,
                }
            }
            _ => rest,
        };
        let trimmed = rest.trim_start();
        trimmed.starts_with('#').then(|| EndComment {
            gap: rest.len() - trimmed.len(),
            text: trimmed.trim_end().to_string(),
        })
    }

    /// Where the last node read ended (char index just past it).
    fn last_end(&self) -> (usize, usize) {
        let Some((ev, mark)) = self.events.get(self.pos.saturating_sub(1)) else {
            return (0, 0);
        };
        match ev {
            Event::Scalar(value, style, ..) => (self.scalar_end(value, *style, mark.index(), 0), 0),
            Event::MappingEnd | Event::SequenceEnd => (mark.index() + 1, 0),
            _ => (mark.index(), 0),
        }
    }

    fn mark_content(&mut self, from: usize, to: usize) {
        for n in from..=to.max(from) {
            self.content.insert(n);
        }
    }
}

fn smallest_indent(entries: &[Entry]) -> usize {
    let mut min = usize::MAX;
    for e in entries {
        if e.col > 0 {
            min = min.min(e.col);
        }
        let nested = match &e.value {
            Body::Map(children) => smallest_indent(children),
            _ => usize::MAX,
        };
        min = min.min(nested);
    }
    if min == usize::MAX { 0 } else { min }
}

fn complex_key(mark: &Marker) -> LayoutError {
    LayoutError::Unsupported {
        line: mark.line(),
        what: "a key that is not a plain or quoted scalar".into(),
    }
}

fn unsupported_marks(anchor: usize, tagged: bool, mark: &Marker) -> Result<(), LayoutError> {
    if anchor != 0 {
        return Err(LayoutError::Unsupported {
            line: mark.line(),
            what: "a YAML anchor (`&name`)".into(),
        });
    }
    if tagged {
        return Err(LayoutError::Unsupported {
            line: mark.line(),
            what: "a YAML tag (`!tag`)".into(),
        });
    }
    Ok(())
}

/// Gives every blank and comment line to the entry or item that follows it
/// (the outermost one starting on that line); what follows the last one is
/// the file's trailer.
fn attach_trivia(
    src: &Src,
    content: &BTreeSet<usize>,
    root: Option<Vec<Entry>>,
) -> (Option<Vec<Entry>>, Vec<Trivia>) {
    let mut anchors = BTreeSet::new();
    if let Some(entries) = &root {
        collect_anchor_lines(entries, &mut anchors);
    }
    let mut by_anchor: BTreeMap<usize, Vec<Trivia>> = BTreeMap::new();
    let mut trailer = Vec::new();
    for n in 1..=src.line_count() {
        if content.contains(&n) {
            continue;
        }
        let line = src.line(n);
        let trivia = if src.is_blank(n) {
            Trivia::Blank
        } else {
            let col = line.iter().take_while(|c| c.is_whitespace()).count();
            if line.get(col) != Some(&'#') {
                continue; // `---`, a dash on its own line
            }
            Trivia::Comment {
                col,
                text: line
                    .get(col..)
                    .unwrap_or(&[])
                    .iter()
                    .collect::<String>()
                    .trim_end()
                    .to_string(),
            }
        };
        match anchors.range(n + 1..).next() {
            Some(a) => by_anchor.entry(*a).or_default().push(trivia),
            None => trailer.push(trivia),
        }
    }
    let mut root = root;
    if let Some(entries) = root.as_mut() {
        let mut taken = BTreeSet::new();
        give_trivia(entries, &mut by_anchor, &mut taken);
    }
    (root, trailer)
}

fn collect_anchor_lines(entries: &[Entry], out: &mut BTreeSet<usize>) {
    for e in entries {
        out.insert(e.line);
        collect_body_anchors(&e.value, out);
    }
}

fn collect_body_anchors(body: &Body, out: &mut BTreeSet<usize>) {
    match body {
        Body::Map(entries) => collect_anchor_lines(entries, out),
        Body::Seq(items) => {
            for i in items {
                out.insert(i.line);
                collect_body_anchors(&i.value, out);
            }
        }
        _ => {}
    }
}

fn give_trivia(
    entries: &mut [Entry],
    by: &mut BTreeMap<usize, Vec<Trivia>>,
    taken: &mut BTreeSet<usize>,
) {
    for e in entries {
        if taken.insert(e.line) {
            e.leading = by.remove(&e.line).unwrap_or_default();
        }
        give_body(&mut e.value, by, taken);
    }
}

fn give_body(body: &mut Body, by: &mut BTreeMap<usize, Vec<Trivia>>, taken: &mut BTreeSet<usize>) {
    match body {
        Body::Map(entries) => give_trivia(entries, by, taken),
        Body::Seq(items) => {
            for i in items {
                if taken.insert(i.line) {
                    i.leading = by.remove(&i.line).unwrap_or_default();
                }
                give_body(&mut i.value, by, taken);
            }
        }
        _ => {}
    }
}

/// Blank lines right after a key that opens a block are dropped: they
/// would separate a key from its first entry.
fn drop_edge_blanks(entries: &mut [Entry]) {
    for e in entries {
        match &mut e.value {
            Body::Map(children) => {
                if let Some(first) = children.first_mut() {
                    trim_leading_blanks(&mut first.leading);
                }
                drop_edge_blanks(children);
            }
            Body::Seq(items) => {
                if let Some(first) = items.first_mut() {
                    trim_leading_blanks(&mut first.leading);
                }
                for i in items {
                    if let Body::Map(children) = &mut i.value {
                        drop_edge_blanks(children);
                    }
                }
            }
            _ => {}
        }
    }
}

fn trim_leading_blanks(t: &mut Vec<Trivia>) {
    while t.first() == Some(&Trivia::Blank) {
        t.remove(0);
    }
}
