//! `aws.ssm.parameter`: a Parameter Store parameter's value. Lookups are
//! batched ten names to a GetParameters call (the API's cap), one series
//! with decryption and one without. A SecureString's value is sensitive
//! (masked in plans and output); a String's is not.

use super::{Answers, Lookup, Reading, answer_each, declare_lookup, fetch_named};
use crate::kind::Computed;
use async_trait::async_trait;
use forge_core::Attrs;
use forge_derive::Fields;
use std::collections::BTreeMap;

/// A parameter as GetParameters answers it.
type Sdk = aws_sdk_ssm::types::Parameter;

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

declare_lookup!(Parameter: "aws.ssm.parameter", ParameterFields,
    "A Parameter Store parameter's value (sensitive for a SecureString).");

#[async_trait]
impl Lookup for Parameter {
    async fn read(cx: &Reading<'_>, batch: &[ParameterFields]) -> Answers<Self> {
        let client = &cx.client(aws_sdk_ssm::Client::new).await?;
        let decrypts = |a: &ParameterFields| a.with_decryption.unwrap_or(true);
        let mut found: BTreeMap<(bool, String), Sdk> = BTreeMap::new();
        for decrypt in [true, false] {
            let names = batch.iter().filter(|a| decrypts(a) == decrypt);
            let names = names.map(|a| a.name.clone());
            let got = fetch_named(names, NAMES_PER_GET, |chunk| async move {
                let out = client
                    .get_parameters()
                    .set_names(Some(chunk))
                    .with_decryption(decrypt)
                    .send()
                    .await
                    .map_err(|e| crate::error::sdk_error("ssm", e))?;
                // GetParameters answers a name by its name, or an ARN by its ARN.
                let named = |p: Sdk| (p.name().unwrap_or_default().to_string(), p);
                Ok(out
                    .parameters
                    .unwrap_or_default()
                    .into_iter()
                    .map(named)
                    .collect())
            })
            .await?;
            found.extend(got.into_iter().map(|(name, p)| ((decrypt, name), p)));
        }
        let key = |a: &ParameterFields| (decrypts(a), a.name.clone());
        let missing = |a: &ParameterFields| format!("SSM parameter `{}`", a.name);
        Ok(answer_each(batch, &found, key, missing, |f, p| {
            f.value = p.value().map(str::to_string);
            f.parameter_type = p.r#type().map(|t| t.as_str().to_string());
            f.version = Some(p.version());
            f.arn = p.arn().map(str::to_string);
            f.name.clone()
        }))
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
