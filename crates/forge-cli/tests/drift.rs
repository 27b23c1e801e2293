//! Snapshots of the human rendering of drift: the report of one stack,
//! the preview `forge refresh` shows, and the many-stack table.
//!
//! The drifted report is the one forge-engine's drift test pins as JSON
//! (`drift__drift_json.snap`): that snapshot is this test's input, so the
//! engine pins the data and this crate pins how it reads.

#![allow(clippy::unwrap_used)]

use forge_cli::render::{render_drift, render_refresh_preview, render_summary, verdict};
use forge_engine::{
    DeletedResource, DriftError, DriftOutcome, DriftReport, DriftSummary, PendingChange, StackDrift,
};

/// The report forge-engine's drift test pins (the body of its snapshot).
fn drifted() -> DriftReport {
    let snap = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../forge-engine/tests/snapshots/drift__drift_json.snap"
    ))
    .unwrap();
    // `---`, the metadata, `---`, then the snapshot.
    let body = snap.splitn(3, "---\n").nth(2).unwrap();
    serde_json::from_str(body).unwrap()
}

/// An empty report of stack `test`, checked at a fixed time.
fn report() -> DriftReport {
    let mut r = DriftReport::new("test", None);
    r.checked_at = "2030-01-01T00:00:00Z".parse().unwrap();
    r.state_lineage = Some("[lineage]".into());
    r
}

#[test]
fn clean() {
    let mut r = report();
    r.resources_checked = 4;
    r.finish();
    insta::assert_snapshot!("clean_human", render_drift(&r, false));
}

#[test]
fn drift_and_its_refresh_preview() {
    let r = drifted();
    assert_eq!(r.outcome, DriftOutcome::Drift);
    let text = render_drift(&r, false);
    assert!(!text.contains("swordfish") && !text.contains("hunter2"));
    insta::assert_snapshot!("drift_human", text);
    insta::assert_snapshot!(
        "refresh_preview",
        render_refresh_preview(&r, false).unwrap()
    );
    // Colour only when asked.
    assert!(render_drift(&r, true).contains("\u{1b}["));
    // Nothing to record: no preview.
    assert!(render_refresh_preview(&report(), false).is_none());
}

#[test]
fn the_verdict_counts_pending_spec_changes_and_errors() {
    let mut r = report();
    r.resources_checked = 4;
    r.pending_spec_changes.push(PendingChange {
        address: "web".into(),
        kind: "fake.thing".into(),
        action: "update".into(),
        fields: Vec::new(),
    });
    r.finish();
    assert_eq!(
        verdict(&r),
        "No drift: 4 resources match the state (1 spec change not applied yet)."
    );
    for message in ["ExpiredToken", "HTTP 500"] {
        r.errors.push(DriftError {
            kind: Some("fake.versioned".into()),
            region: None,
            address: None,
            message: message.into(),
        });
    }
    r.finish();
    assert!(render_drift(&r, false).ends_with(
        "Error: the drift check is incomplete (2 errors); this is not a \"no drift\" result.\n"
    ));
}

#[test]
fn summary_table() {
    let at = "2030-01-01T00:00:00Z".parse().unwrap();
    let mut ok = DriftReport::new("a", Some("dev".into()));
    ok.checked_at = at;
    let mut drifted = DriftReport::new("b", Some("prod".into()));
    drifted.deleted.push(DeletedResource {
        address: "x".into(),
        kind: "fake.thing".into(),
        region: "eu-west-1".into(),
        id: "x-1".into(),
        in_spec: true,
    });
    drifted.finish();
    drifted.checked_at = at;
    let with_error = DriftSummary::new(
        at,
        vec![
            StackDrift::checked("specs/b".into(), Some("prod".into()), 1.25, drifted),
            StackDrift::failed("specs/c".into(), None, 0.1, "2 errors in the spec".into()),
            StackDrift::checked("specs/a".into(), Some("dev".into()), 0.5, ok),
        ],
    );
    insta::assert_snapshot!("summary_table", render_summary(&with_error));
}
