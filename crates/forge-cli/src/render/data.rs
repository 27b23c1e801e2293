//! The data sources of a plan: one `<= read` line each, above the
//! resource changes, as Terraform lists its data reads before the plan.

use super::paint::{Tone, paint};
use forge_core::Value;
use forge_engine::Plan;
use std::fmt::Write;

/// Writes a line per data source of the plan: read now (with its id), or
/// read during apply because its arguments are not known yet.
pub(super) fn render_data_reads(out: &mut String, plan: &Plan, color: bool) {
    let reads = plan.data_reads();
    if reads.is_empty() || plan.destroy {
        return;
    }
    for d in &reads {
        let what = format!(
            "{} ({})",
            forge_core::spec::data_address(&d.address),
            d.kind
        );
        let tail = match &d.values {
            Some(values) => match values.get("id").map(Value::unmarked) {
                Some(Value::String(id)) if !id.is_empty() => format!(" [id={id}]"),
                _ => String::new(),
            },
            None => ": known after apply".into(),
        };
        let _ = writeln!(out, "{} read {what}{tail}", paint(" <=", Tone::Note, color));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::spec::Instance;
    use forge_core::{Address, Attrs};

    #[test]
    fn read_and_deferred_lookups_have_a_line_each() {
        let mut plan = super::super::plan::tests::plan(Vec::new());
        plan.config.data = vec![
            Instance::new(
                Address::single("azs"),
                "aws.ec2.availability_zones",
                "eu-west-1",
            ),
            Instance::new(Address::single("vpc"), "aws.ec2.vpc", "eu-west-1"),
        ];
        plan.config.data_values.insert(
            "azs".into(),
            Value::Map(Attrs::from([("id".to_string(), Value::from("eu-west-1"))])),
        );
        plan.config.data_values.insert("vpc".into(), Value::Unknown);
        let mut out = String::new();
        render_data_reads(&mut out, &plan, false);
        insta::assert_snapshot!(out);
    }
}
