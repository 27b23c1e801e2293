//! The colours of plan and drift output: one tone per kind of change, the
//! same in both, and nothing at all without colour.

use owo_colors::OwoColorize;

/// What a piece of output says, and so its colour.
#[derive(Clone, Copy)]
pub(crate) enum Tone {
    /// Something added (green).
    Add,
    /// Something changed (yellow).
    Change,
    /// Something removed, or an error (red).
    Remove,
    /// An adoption, an orphan, a note (cyan).
    Note,
    /// Uncoloured.
    Plain,
    /// A headline (bold).
    Bold,
}

/// `text` in `tone`'s colour when `color` is set, else as it is.
pub(crate) fn paint(text: &str, tone: Tone, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    match tone {
        Tone::Add => text.green().to_string(),
        Tone::Change => text.yellow().to_string(),
        Tone::Remove => text.red().to_string(),
        Tone::Note => text.cyan().to_string(),
        Tone::Bold => text.bold().to_string(),
        Tone::Plain => text.to_string(),
    }
}
