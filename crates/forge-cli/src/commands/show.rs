//! `forge show PLANFILE`: a saved plan for people (as `forge plan` shows
//! it), as markdown for a pull-request comment (`--format markdown`), as forge's JSON, or in Terraform's JSON plan representation
//! (`--json-format terraform`) for tools written for Terraform plans.

use super::EXIT_OK;
use crate::cli::{JsonFormat, PlanFormat};
use crate::output;
use anyhow::Context;
use forge_cli::render::{render_plan, render_plan_markdown};
use forge_engine::Plan;
use std::path::Path;

/// Which JSON `--json` / `--json-format` ask for (`None`: for people).
/// `--json-format` alone implies `--json`.
pub fn json_kind(json: bool, format: Option<JsonFormat>) -> Option<JsonFormat> {
    match (json, format) {
        (_, Some(format)) => Some(format),
        (true, None) => Some(JsonFormat::Forge),
        (false, None) => None,
    }
}

/// The plan's JSON text in `format`.
pub fn json_text(plan: &Plan, format: JsonFormat) -> String {
    match format {
        JsonFormat::Forge => plan.to_json_string(),
        JsonFormat::Terraform => forge_aws::terraform::to_terraform_json_string(plan),
    }
}

/// The plan as text for people: the terminal's rendering or markdown.
pub fn text(plan: &Plan, format: PlanFormat) -> String {
    match format {
        PlanFormat::Human => render_plan(plan, output::color()),
        PlanFormat::Markdown => render_plan_markdown(plan),
    }
}

/// Runs `forge show`.
pub fn run(path: &Path, json: Option<JsonFormat>, format: PlanFormat) -> anyhow::Result<u8> {
    // `Plan::load` checks the marker, the format version and the digest:
    // a hand-edited plan is refused here as it is by `forge apply`.
    let plan = Plan::load(path).with_context(|| format!("reading plan {}", path.display()))?;
    match json {
        Some(format) => println!("{}", json_text(&plan, format)),
        None => print!("{}", text(&plan, format)),
    }
    Ok(EXIT_OK)
}
