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
/// spelling compares equal to what KMS reports (several services name KMS
/// keys).
pub fn key_id_of(text: &str) -> &str {
    match text.strip_prefix("arn:") {
        Some(rest) => rest.rsplit_once(":key/").map(|(_, id)| id).unwrap_or(text),
        None => text,
    }
}

/// The ARN recorded in the prior state or, for a state written without
/// one, the live object's (`live` reads it back).
pub async fn recorded_or_live<Fut>(
    recorded: &Option<String>,
    live: impl FnOnce() -> Fut,
) -> Result<String, forge_engine::ProviderError>
where
    Fut: std::future::Future<Output = Result<Option<String>, forge_engine::ProviderError>>,
{
    match recorded {
        Some(arn) => Ok(arn.clone()),
        None => Ok(live().await?.unwrap_or_default()),
    }
}
