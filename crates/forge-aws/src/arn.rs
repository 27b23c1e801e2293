//! ARN pieces shared by every service: the partition of a region.

/// The partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// A KMS key id from a key id or key ARN (`arn:...:key/<id>`), so either
/// spelling in a spec compares equal to what KMS reports.
pub fn key_id_of(text: &str) -> &str {
    match text.strip_prefix("arn:") {
        Some(rest) => rest.rsplit_once(":key/").map(|(_, id)| id).unwrap_or(text),
        None => text,
    }
}
