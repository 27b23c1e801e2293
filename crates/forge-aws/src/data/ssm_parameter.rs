//! `aws.ssm.parameter`: a Parameter Store parameter's value. Lookups are
//! batched ten names to a GetParameters call (the API's cap), one series
//! with decryption and one without. A SecureString's value is sensitive
//! (masked in plans and output); a String's is not.

use super::{Found, Lookup};
use crate::AwsClients;
use crate::kind::Computed;
use async_trait::async_trait;
use forge_core::Attrs;
use forge_derive::Fields;
use forge_engine::{DataError, ProviderError};
use std::collections::BTreeMap;

/// Names per GetParameters request.
const NAMES_PER_GET: usize = 10;

/// Arguments and attributes of `aws.ssm.parameter`.
#[derive(Clone, Fields)]
pub(crate) struct ParameterFields {
    /// The parameter's name, e.g. /app/db/url.
    pub name: String,
    /// Decrypt a SecureString's value.
    #[field(default = true)]
    pub with_decryption: Option<bool>,
    /// The value (sensitive for a SecureString).
    pub value: Computed<String>,
    /// String, StringList or SecureString.
    pub parameter_type: Computed<String>,
    /// The value's version.
    pub version: Computed<i64>,
    /// The parameter's ARN.
    pub arn: Computed<String>,
}

/// `aws.ssm.parameter`.
pub(crate) struct Parameter;

#[async_trait]
impl Lookup for Parameter {
    const TYPE: &'static str = "aws.ssm.parameter";
    const DESCRIPTION: &'static str =
        "A Parameter Store parameter's value (sensitive for a SecureString).";
    type Fields = ParameterFields;

    async fn read(
        clients: &AwsClients,
        region: &str,
        batch: &[Self::Fields],
    ) -> Result<Vec<Found<Self::Fields>>, ProviderError> {
        let client = clients.client(region, aws_sdk_ssm::Client::new).await?;
        let mut found: BTreeMap<(bool, String), aws_sdk_ssm::types::Parameter> = BTreeMap::new();
        for decrypt in [true, false] {
            let mut names: Vec<String> = batch
                .iter()
                .filter(|a| a.with_decryption.unwrap_or(true) == decrypt)
                .map(|a| a.name.clone())
                .collect();
            names.sort();
            names.dedup();
            for chunk in names.chunks(NAMES_PER_GET) {
                let out = client
                    .get_parameters()
                    .set_names(Some(chunk.to_vec()))
                    .with_decryption(decrypt)
                    .send()
                    .await
                    .map_err(|e| crate::error::sdk_error("ssm", e))?;
                for p in out.parameters.unwrap_or_default() {
                    // GetParameters answers a name by its name, or an ARN by its ARN.
                    let key = p.name().unwrap_or_default().to_string();
                    found.insert((decrypt, key), p);
                }
            }
        }
        Ok(batch
            .iter()
            .map(|args| {
                let decrypt = args.with_decryption.unwrap_or(true);
                let Some(p) = found.get(&(decrypt, args.name.clone())) else {
                    return Err(DataError::NotFound(format!(
                        "SSM parameter `{}`",
                        args.name
                    )));
                };
                let mut f = args.clone();
                f.value = p.value().map(str::to_string);
                f.parameter_type = p.r#type().map(|t| t.as_str().to_string());
                f.version = Some(p.version());
                f.arn = p.arn().map(str::to_string);
                Ok((args.name.clone(), f))
            })
            .collect())
    }

    fn finish(fields: &Self::Fields, attrs: &mut Attrs) {
        if fields.parameter_type.as_deref() == Some("SecureString")
            && let Some(v) = attrs.get_mut("value")
        {
            *v = v.clone().sensitive();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::Value;
    use forge_core::fields::Fields;

    #[test]
    fn only_a_secure_string_value_is_sensitive() {
        for (kind, sensitive) in [("SecureString", true), ("String", false)] {
            let f = ParameterFields {
                name: "/p".into(),
                with_decryption: Some(true),
                value: Some("v".into()),
                parameter_type: Some(kind.into()),
                version: Some(1),
                arn: None,
            };
            let mut attrs = f.to_attrs();
            Parameter::finish(&f, &mut attrs);
            assert_eq!(
                attrs.get("value").map(Value::is_sensitive),
                Some(sensitive),
                "{kind}"
            );
        }
    }
}
