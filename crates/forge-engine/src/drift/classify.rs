//! Differences that are not drift: the engine's own rules, and helpers
//! providers use in [`crate::Provider::classify_change`].

use crate::ignore::is_ignored;
use crate::provider::Provider;
use forge_core::{Attrs, Value};

/// Why the difference at `path` is not drift, if it is not: covered by the
/// resource's `lifecycle.ignore_changes`, an `aws:` tag (AWS adds and owns
/// them; providers normally strip them already), or explained by the
/// provider.
pub fn classify(
    provider: &dyn Provider,
    ignore_changes: &[String],
    path: &str,
    (recorded, live): (&Value, &Value),
    object: &Attrs,
) -> Option<String> {
    if is_ignored(ignore_changes, path) {
        return Some("covered by lifecycle.ignore_changes".into());
    }
    if path.starts_with("tags.aws:") {
        return Some("tag managed by AWS (aws: prefix)".into());
    }
    provider.classify_change(path, recorded, live, object)
}

/// Whether `live` is an automatic minor (or patch) upgrade of `recorded`
/// within the major version `desired` pins: `desired` `"15"`, recorded
/// `"15.4"`, live `"15.5"`. For engines (Aurora PostgreSQL, Redis) where
/// AWS applies minor upgrades by itself when the spec asks for the major
/// only.
pub fn is_minor_upgrade_within(desired_major: &str, recorded: &str, live: &str) -> bool {
    let major = |v: &str| v.split('.').next().unwrap_or_default().to_string();
    let parts = |v: &str| -> Vec<u64> { v.split('.').map_while(|p| p.parse().ok()).collect() };
    let pinned_major_only = !desired_major.contains('.');
    pinned_major_only
        && major(recorded) == desired_major
        && major(live) == desired_major
        && parts(live) > parts(recorded)
}

/// [`is_minor_upgrade_within`] for a recorded and a live version with the
/// major taken from the recorded one: what a provider can check when the
/// spec's pin is not at hand (the state records the version AWS chose).
pub fn is_minor_upgrade(recorded: &Value, live: &Value) -> bool {
    match (recorded.as_str(), live.as_str()) {
        (Some(r), Some(l)) => {
            let major = r.split('.').next().unwrap_or_default();
            is_minor_upgrade_within(major, r, l)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_upgrades_within_the_pinned_major() {
        assert!(is_minor_upgrade_within("15", "15.4", "15.5"));
        assert!(is_minor_upgrade_within("7", "7.0.7", "7.1"));
        assert!(!is_minor_upgrade_within("15", "15.5", "15.4"), "downgrade");
        assert!(!is_minor_upgrade_within("15", "15.4", "16.1"), "major");
        assert!(
            !is_minor_upgrade_within("15.4", "15.4", "15.5"),
            "minor pinned"
        );
        assert!(is_minor_upgrade(&"13.9".into(), &"13.12".into()));
        assert!(!is_minor_upgrade(&"13.9".into(), &Value::Null));
    }
}
