//! Positioned diagnostics: every problem in a spec, with file, line, column,
//! the offending text and a hint, reported all at once.

use std::fmt;
use std::path::PathBuf;

/// A position in a spec file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SourcePos {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where it is (absent for problems with no single place, like a cycle
    /// spanning files, where `related` lists the places).
    pub pos: Option<SourcePos>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The offending text, as written.
    pub snippet: Option<String>,
    /// How to fix it ("did you mean `cidr_block`?").
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at a position.
    pub fn at(pos: SourcePos, message: impl Into<String>) -> Self {
        Diagnostic {
            pos: Some(pos),
            message: message.into(),
            snippet: None,
            hint: None,
        }
    }

    /// A diagnostic with no single position.
    pub fn general(message: impl Into<String>) -> Self {
        Diagnostic {
            pos: None,
            message: message.into(),
            snippet: None,
            hint: None,
        }
    }

    /// Adds the offending text.
    pub fn with_snippet(mut self, snippet: impl Into<String>) -> Self {
        self.snippet = Some(snippet.into());
        self
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pos {
            Some(pos) => write!(f, "error: {pos}: {}", self.message)?,
            None => write!(f, "error: {}", self.message)?,
        }
        if let Some(snippet) = &self.snippet {
            write!(f, "\n  | {snippet}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// All problems found in a spec, sorted by position.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Sorts by file, line, column so output is stable.
    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| a.pos.cmp(&b.pos).then_with(|| a.message.cmp(&b.message)));
        self.0.dedup();
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if !self.0.is_empty() {
            write!(
                f,
                "\n{} error{}",
                self.0.len(),
                if self.0.len() == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}
