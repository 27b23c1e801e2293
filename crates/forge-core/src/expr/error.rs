//! Errors from parsing and evaluating expressions.

/// What kind of expression problem this is (the loader maps each to a
/// diagnostic class).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprErrorKind {
    /// The text is not valid HCL expression syntax.
    Syntax,
    /// A function that does not exist.
    UnknownFunction,
    /// A function called with the wrong number or type of arguments, or
    /// arguments it rejects.
    FunctionArgs,
    /// A name that is not in scope (`vars.x` undeclared, `each` outside
    /// for_each, an undefined resource).
    Undefined,
    /// A resource reference where only load-time values are allowed.
    NotKnownAtLoad,
    /// Any other evaluation failure (type mismatch, missing key, ...).
    Eval,
}

/// An expression problem, without position (the caller knows where the
/// expression was written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    /// The class of problem.
    pub kind: ExprErrorKind,
    /// One sentence.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
    /// 1-based column inside the expression source, for syntax errors.
    pub column: Option<usize>,
}

impl ExprError {
    /// An error of `kind`.
    pub fn new(kind: ExprErrorKind, message: impl Into<String>) -> Self {
        ExprError {
            kind,
            message: message.into(),
            hint: None,
            column: None,
        }
    }

    /// An evaluation error.
    pub fn eval(message: impl Into<String>) -> Self {
        Self::new(ExprErrorKind::Eval, message)
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
