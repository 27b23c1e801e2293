//! The line that ends an apply or a destroy: `Apply complete: 3 succeeded,
//! 0 failed, 0 skipped.`, or Terraform's `Destroy complete! Resources: 3
//! destroyed.` (`Destroy failed! ...`, `Destroy interrupted! ...`).

use forge_engine::{ApplyReport, ChangeAction};

/// A one-line summary: `Apply complete: 3 succeeded, 1 failed, 2 skipped.`,
/// or for a destroy Terraform's `Destroy complete! Resources: 3 destroyed.`
pub fn render_apply_summary(report: &ApplyReport) -> String {
    if report.destroy {
        return destroy_summary(report);
    }
    let head = if report.is_success() {
        "Apply complete"
    } else {
        "Apply failed"
    };
    format!(
        "{head}: {} succeeded, {} failed, {} skipped{}.",
        report.succeeded.len(),
        report.failed.len(),
        report.skipped.len(),
        if report.interrupted.is_empty() {
            String::new()
        } else {
            format!(", {} interrupted", report.interrupted.len())
        }
    )
}

fn destroy_summary(report: &ApplyReport) -> String {
    let destroyed = report
        .succeeded
        .iter()
        .filter(|(_, a)| *a == ChangeAction::Delete)
        .count();
    if report.is_success() {
        return format!("Destroy complete! Resources: {destroyed} destroyed.");
    }
    let mut parts = vec![format!("{destroyed} destroyed")];
    for (n, what) in [
        (report.failed.len(), "failed"),
        (report.skipped.len(), "skipped"),
        (report.interrupted.len(), "interrupted"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let head = if report.cancelled.is_some() && report.failed.is_empty() {
        "Destroy interrupted"
    } else {
        "Destroy failed"
    };
    format!("{head}! Resources: {}.", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::Address;
    use forge_engine::{FailedChange, SkippedChange};

    fn addr(a: &str) -> Address {
        Address::single(a)
    }

    #[test]
    fn a_destroy_summarizes_in_terraform_words() {
        let mut r = ApplyReport {
            destroy: true,
            succeeded: vec![
                (addr("a"), ChangeAction::Delete),
                (addr("b"), ChangeAction::Delete),
            ],
            ..Default::default()
        };
        assert_eq!(
            render_apply_summary(&r),
            "Destroy complete! Resources: 2 destroyed."
        );
        r.failed.push(FailedChange {
            address: addr("c"),
            action: ChangeAction::Delete,
            error: "boom".into(),
        });
        assert_eq!(
            render_apply_summary(&r),
            "Destroy failed! Resources: 2 destroyed, 1 failed."
        );
        r.destroy = false;
        assert_eq!(
            render_apply_summary(&r),
            "Apply failed: 2 succeeded, 1 failed, 0 skipped."
        );
    }

    #[test]
    fn an_apply_counts_what_it_did() {
        let mut r = ApplyReport {
            succeeded: vec![(addr("a"), ChangeAction::Create)],
            ..Default::default()
        };
        assert_eq!(
            render_apply_summary(&r),
            "Apply complete: 1 succeeded, 0 failed, 0 skipped."
        );
        r.skipped.push(SkippedChange {
            address: addr("b"),
            action: ChangeAction::Update,
            reason: "a dependency failed".into(),
        });
        r.interrupted.push((addr("c"), ChangeAction::Create));
        assert_eq!(
            render_apply_summary(&r),
            "Apply failed: 1 succeeded, 0 failed, 1 skipped, 1 interrupted."
        );
    }
}
