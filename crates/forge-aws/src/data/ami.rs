//! `aws.ec2.ami`: the most recent image matching owners and EC2 filters
//! (Terraform's `aws_ami` with `most_recent = true`). One DescribeImages
//! per lookup: every lookup has filters of its own.

use super::ec2_match::{Filter, sdk_filters};
use super::{Answers, Lookup, Reading, declare_lookup};
use crate::kind::Computed;
use async_trait::async_trait;
use forge_derive::Fields;
use forge_engine::DataError;

/// Arguments and attributes of `aws.ec2.ami`.
#[derive(Clone, Fields)]
pub(crate) struct AmiFields {
    /// Owners: account ids, self, amazon, aws-marketplace.
    pub owners: Option<Vec<String>>,
    /// EC2 filters (`{name: name, values: ["al2023-ami-*-x86_64"]}`).
    pub filters: Option<Vec<Filter>>,
    /// Take the newest of several matches (true); false: exactly one must match.
    #[field(default = true)]
    pub most_recent: Option<bool>,
    /// The image's name.
    pub image_name: Computed<String>,
    /// When it was made (ISO 8601).
    pub creation_date: Computed<String>,
    /// x86_64, arm64, ...
    pub architecture: Computed<String>,
    /// The owning account.
    pub owner_id: Computed<String>,
    /// The root device's name.
    pub root_device_name: Computed<String>,
}

declare_lookup!(Ami: "aws.ec2.ami", AmiFields, "The most recent AMI matching owners and filters.");

#[async_trait]
impl Lookup for Ami {
    async fn read(cx: &Reading<'_>, batch: &[AmiFields]) -> Answers<Self> {
        let client = cx.ec2().await?;
        let mut out = Vec::new();
        for args in batch {
            let answer = client
                .describe_images()
                .set_owners(args.owners.clone())
                .set_filters(args.filters.as_deref().map(sdk_filters))
                .send()
                .await
                .map_err(|e| crate::error::sdk_error("ec2", e))?;
            let mut images = answer.images.unwrap_or_default();
            // ISO 8601 timestamps sort as text.
            images.sort_by(|a, b| b.creation_date().cmp(&a.creation_date()));
            let most_recent = args.most_recent.unwrap_or(true);
            out.push(match images.as_slice() {
                [] => Err(DataError::NotFound(
                    "AMI matching the owners and filters".into(),
                )),
                [_, _, ..] if !most_recent => Err(DataError::TooMany {
                    count: images.len(),
                    what: "AMIs matching the owners and filters (set most_recent)".into(),
                }),
                [image, ..] => {
                    let mut f = args.clone();
                    f.image_name = image.name().map(str::to_string);
                    f.creation_date = image.creation_date().map(str::to_string);
                    f.architecture = image.architecture().map(|a| a.as_str().to_string());
                    f.owner_id = image.owner_id().map(str::to_string);
                    f.root_device_name = image.root_device_name().map(str::to_string);
                    Ok((image.image_id().unwrap_or_default().to_string(), f))
                }
            });
        }
        Ok(out)
    }
}
