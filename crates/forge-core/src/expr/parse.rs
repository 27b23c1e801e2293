//! Parsing YAML strings that contain `${ ... }` into hcl-rs syntax trees.

use super::error::{ExprError, ExprErrorKind};
use hcl::template::Element;
use std::str::FromStr;

/// A parsed template string.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// The whole string is one `${expr}`: the value keeps the expression's
    /// type (a list stays a list).
    Expr(hcl::Expression),
    /// Literal text around interpolations (or directives): the value is a
    /// string.
    Template(hcl::Template),
}

/// Whether a YAML string is a template (contains `${`). Strings without it
/// are literal text, even if they contain `%{`.
pub fn is_template(text: &str) -> bool {
    text.contains("${")
}

/// Parses a template string.
pub fn parse(source: &str) -> Result<Parsed, ExprError> {
    let template = hcl::Template::from_str(source).map_err(syntax_error)?;
    if let [Element::Interpolation(interp)] = template.elements() {
        return Ok(Parsed::Expr(interp.expr.clone()));
    }
    Ok(Parsed::Template(template))
}

pub(crate) fn syntax_error(err: hcl::Error) -> ExprError {
    match err {
        hcl::Error::Parse(pe) => {
            let mut e = ExprError::new(
                ExprErrorKind::Syntax,
                format!("invalid expression: {}", pe.message()),
            )
            .with_hint(format!(
                "expressions use HCL syntax (e.g. `${{vpc.id}}`, `${{cidrsubnet(vars.cidr, 8, 1)}}`); error at column {}; write `$${{` for a literal `${{`",
                pe.location().column()
            ));
            e.column = Some(pe.location().column());
            e
        }
        other => ExprError::new(
            ExprErrorKind::Syntax,
            format!("invalid expression: {other}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_interpolation_is_an_expression() {
        assert!(matches!(parse("${vpc.id}"), Ok(Parsed::Expr(_))));
        assert!(matches!(parse(" ${vpc.id}"), Ok(Parsed::Template(_))));
        assert!(matches!(parse("a-${x}"), Ok(Parsed::Template(_))));
    }

    #[test]
    fn escapes_and_errors() {
        assert!(matches!(parse("$${x}"), Ok(Parsed::Template(_))));
        let err = parse("${ a + }").err();
        assert_eq!(
            err.map(|e| (e.kind, e.column)),
            Some((ExprErrorKind::Syntax, Some(8)))
        );
        assert!(!is_template("50%{x}"));
    }
}
