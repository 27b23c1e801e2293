//! Writing a [`Tree`] back out in the canonical layout: two spaces per
//! level, sequences indented under their key, double quotes for quoted
//! scalars, documented key order, comments and single blank lines kept.

use super::order::{Section, rank};
use super::tree::{Body, EndComment, Entry, Item, Tree, Trivia};
use yaml_rust2::scanner::TScalarStyle;

const STEP: usize = 2;

/// The text of `tree` in the canonical layout.
pub(super) fn emit(tree: Tree) -> String {
    let mut out = Out {
        unit: tree.unit,
        ..Out::default()
    };
    if tree.explicit_start {
        out.line(0, "---");
    }
    if let Some(mut entries) = tree.root {
        // A file's opening comment stays on top when its first key moves:
        // everything up to the last blank line before the first entry.
        if let Some(first) = entries.first_mut() {
            let split = first
                .leading
                .iter()
                .rposition(|t| *t == Trivia::Blank)
                .map_or(
                    if first.leading.is_empty() {
                        0
                    } else {
                        first.leading.len()
                    },
                    |i| i + 1,
                );
            let header: Vec<Trivia> = first.leading.drain(..split).collect();
            out.trivia(&header, 0, 0);
        }
        out.map(entries, 0, Section::Top, false);
    }
    out.trivia(&tree.trailer, 0, 0);
    out.finish()
}

#[derive(Default)]
struct Out {
    text: String,
    /// The previous line was blank (or nothing was written yet): a second
    /// blank line is not written.
    blank: bool,
    started: bool,
    /// The source's indentation step.
    unit: usize,
}

impl Out {
    fn line(&mut self, indent: usize, text: &str) {
        self.text.push_str(&" ".repeat(indent));
        self.text.push_str(text);
        self.text.push('\n');
        self.blank = false;
        self.started = true;
    }

    fn blank_line(&mut self) {
        if self.started && !self.blank {
            self.text.push('\n');
            self.blank = true;
        }
    }

    /// Leading blank and comment lines. A comment keeps its depth below the
    /// entry it leads (a commented-out field stays a field's depth).
    fn trivia(&mut self, trivia: &[Trivia], indent: usize, source_col: usize) {
        for t in trivia {
            match t {
                Trivia::Blank => self.blank_line(),
                Trivia::Comment { col, text } => {
                    let deeper = col.saturating_sub(source_col) * STEP / self.unit.max(1);
                    self.line(indent + deeper, text);
                }
            }
        }
    }

    fn finish(mut self) -> String {
        while self.text.ends_with("\n\n") {
            self.text.pop();
        }
        self.text
    }

    /// A block mapping's entries at `indent`. With `inline_first`, the
    /// first entry continues a line already started (`- key: ...`).
    fn map(
        &mut self,
        mut entries: Vec<Entry>,
        indent: usize,
        section: Section,
        inline_first: bool,
    ) {
        entries.sort_by_key(|e| rank(section, &e.key));
        for (i, entry) in entries.into_iter().enumerate() {
            let inline = inline_first && i == 0;
            if !inline {
                self.trivia(&entry.leading, indent, entry.col);
            }
            let key = scalar_text(&entry.key, entry.key_style);
            let child = section.child(&entry.key);
            self.value(
                &format!("{key}:"),
                entry.value,
                entry.comment,
                indent,
                inline,
                child,
            );
        }
    }

    fn seq(&mut self, items: Vec<Item>, indent: usize, section: Section) {
        for item in items {
            self.trivia(&item.leading, indent, item.col);
            self.item(item, indent, section);
        }
    }

    fn item(&mut self, item: Item, indent: usize, section: Section) {
        match item.value {
            Body::Map(entries) => {
                self.text.push_str(&" ".repeat(indent));
                self.text.push_str("- ");
                self.map(entries, indent + STEP, section.item(), true);
            }
            Body::Seq(items) => {
                self.text.push_str(&" ".repeat(indent));
                self.text.push_str("- ");
                let mut items = items.into_iter();
                if let Some(first) = items.next() {
                    self.item_inline(first, indent + STEP, section);
                }
                self.seq(items.collect(), indent + STEP, section);
            }
            value => self.value("-", value, item.comment, indent, false, section),
        }
    }

    /// The first item of a sequence in a sequence, continuing `- `.
    fn item_inline(&mut self, item: Item, indent: usize, section: Section) {
        let len = self.text.len();
        self.item(item, indent, section);
        // `item` wrote its own indentation: drop it after the `- `.
        let written = self.text.split_off(len);
        self.text.push_str(written.trim_start_matches(' '));
    }

    /// `head` (`key:` or `-`) and its value.
    fn value(
        &mut self,
        head: &str,
        value: Body,
        comment: Option<EndComment>,
        indent: usize,
        inline: bool,
        section: Section,
    ) {
        let pad = if inline { 0 } else { indent };
        let end = |c: &Option<EndComment>| {
            c.as_ref()
                .map(|c| format!("{}{}", " ".repeat(c.gap.max(1)), c.text))
                .unwrap_or_default()
        };
        match value {
            Body::Scalar { value, style } => {
                let text = scalar_text(&value, style);
                let sep = if text.is_empty() { "" } else { " " };
                self.line(pad, &format!("{head}{sep}{text}{}", end(&comment)));
            }
            Body::Flow { lines, col } => {
                let mut lines = lines.into_iter();
                let first = lines.next().unwrap_or_default();
                let rest: Vec<String> = lines.collect();
                let start = indent + head.chars().count() + 1;
                if rest.is_empty() {
                    self.line(pad, &format!("{head} {first}{}", end(&comment)));
                } else {
                    self.line(pad, &format!("{head} {first}"));
                    let last = rest.len() - 1;
                    for (i, l) in rest.into_iter().enumerate() {
                        let lead = l.chars().take_while(|c| *c == ' ').count();
                        let shifted = (lead + start).saturating_sub(col);
                        let tail = if i == last {
                            end(&comment)
                        } else {
                            String::new()
                        };
                        self.line(shifted, &format!("{}{tail}", l.trim_start_matches(' ')));
                    }
                }
            }
            Body::Block {
                header,
                lines,
                explicit,
            } => {
                self.line(pad, &format!("{head} {header}{}", end(&comment)));
                let body = indent + explicit.unwrap_or(STEP);
                for l in lines {
                    match l {
                        Some(l) => self.line(body, &l),
                        None => {
                            self.text.push('\n');
                        }
                    }
                }
            }
            Body::Map(entries) => {
                self.line(pad, &format!("{head}{}", end(&comment)));
                self.map(entries, indent + STEP, section, false);
            }
            Body::Seq(items) => {
                self.line(pad, &format!("{head}{}", end(&comment)));
                self.seq(items, indent + STEP, section);
            }
        }
    }
}

/// A scalar as the canonical layout writes it: plain stays plain, quoted
/// becomes double-quoted.
fn scalar_text(value: &str, style: TScalarStyle) -> String {
    match style {
        TScalarStyle::Plain => value.to_string(),
        _ => double_quoted(value),
    }
}

fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
