//! Checking resources' `precondition` / `postcondition` rules (and
//! outputs' preconditions): at plan, each one whose values are known
//! (a failure is a plan problem, so nothing is applied); at apply,
//! preconditions again right before the resource's call (they may have
//! been unknown at plan) and postconditions right after it, reading
//! `self`. A failed check fails that resource's step, so the resources
//! that depend on it are skipped.

use forge_core::spec::{Checked, Condition, Instance, ResourceValues, Stack};
use forge_core::{Attrs, Diagnostic};

/// When a check runs: at plan a condition not known yet is left for
/// apply; at apply it must be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    Plan,
    Apply,
}

/// Checks `conditions` of `instance` (`post` with the object's
/// attributes). `Err` holds every failure, rendered with its position.
pub(crate) fn check(
    stack: &Stack,
    instance: &Instance,
    values: &dyn ResourceValues,
    post: Option<&Attrs>,
    when: When,
) -> Result<(), String> {
    let (kind, conditions) = match post {
        Some(_) => ("postcondition", &instance.conditions.post),
        None => ("precondition", &instance.conditions.pre),
    };
    let owner = instance.address.to_string();
    run(
        stack,
        conditions,
        (kind, &owner),
        Some(instance),
        values,
        post,
        when,
    )
}

/// Checks an output's preconditions.
pub(crate) fn check_output(
    stack: &Stack,
    name: &str,
    conditions: &[Condition],
    values: &dyn ResourceValues,
    when: When,
) -> Result<(), String> {
    let owner = format!("output `{name}`");
    run(
        stack,
        conditions,
        ("precondition", &owner),
        None,
        values,
        None,
        when,
    )
}

fn run(
    stack: &Stack,
    conditions: &[Condition],
    (kind, owner): (&str, &str),
    instance: Option<&Instance>,
    values: &dyn ResourceValues,
    post: Option<&Attrs>,
    when: When,
) -> Result<(), String> {
    let mut failures: Vec<Diagnostic> = Vec::new();
    for c in conditions {
        match stack.check_condition(c, (kind, owner), instance, values, post) {
            Checked::Passed => {}
            Checked::Unknown if when == When::Plan => {}
            Checked::Unknown => {
                let pos = c
                    .pos
                    .as_ref()
                    .map(|p| format!("{}:{}:{}: ", p.file.display(), p.line, p.column));
                failures.push(Diagnostic::general(format!(
                    "{}{kind} of {owner} could not be decided: the values it reads are still unknown",
                    pos.unwrap_or_default()
                )));
            }
            Checked::Failed(d) => failures.push(d),
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    Err(failures
        .iter()
        .map(|d| {
            let text = d.to_string();
            text.strip_prefix("error: ").unwrap_or(&text).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n"))
}
