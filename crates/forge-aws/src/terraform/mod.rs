//! Terraform interoperability: the mapping table between forge kinds and
//! terraform-provider-aws types ([`table`]), and forge plans written in
//! Terraform's JSON plan representation ([`plan_json`]) for the policy and
//! cost tools that read Terraform plans. See `docs/terraform.md`.

pub mod app_shapes;
pub mod migrate;
pub mod plan_json;
pub mod shape;
pub mod sub_resources;
pub mod table;

pub use plan_json::{to_terraform_json, to_terraform_json_string};
pub use table::{Fold, KindRow, TABLE};
