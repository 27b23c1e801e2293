//! Saved plans on the command line: stamping a plan with the spec it was
//! made from (`forge plan -out FILE`), recognizing a plan file by its
//! content, refusing flags that contradict it, and checking that the spec
//! on disk is still the one it was made from (`forge apply FILE`).

use crate::cli::StackArgs;
use crate::{context, output};
use anyhow::{Context, anyhow, bail};
use forge_core::Value;
use forge_core::spec::Stack;
use forge_engine::plan::seal::{SpecInputs, SpecStamp, is_plan_text};
use forge_engine::{EngineError, Plan};
use std::path::{Path, PathBuf};

/// Whether `path` is a saved plan: a file whose content is a forge plan (a
/// JSON object with the plan marker), whatever its name. A folder is a
/// stack, and so is any other file (a YAML spec).
pub fn is_plan_file(path: &Path) -> bool {
    if !path.is_file() {
        return false;
    }
    // Only a JSON object can be a plan: look at the first byte before
    // reading a whole file.
    let starts_like_json = std::fs::File::open(path).is_ok_and(|f| {
        use std::io::Read;
        std::io::BufReader::new(f)
            .bytes()
            .map_while(Result::ok)
            .find(|b| !b.is_ascii_whitespace())
            == Some(b'{')
    });
    starts_like_json && std::fs::read_to_string(path).is_ok_and(|text| is_plan_text(&text))
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

/// The inputs `args` load a stack with, paths made absolute.
fn inputs_of(args: &StackArgs) -> anyhow::Result<SpecInputs> {
    let options = context::load_options(args)
        .map_err(|d| anyhow!("{}", output::render_diagnostics(&d).trim_end()))?;
    Ok(SpecInputs {
        path: absolute(&args.stack)?,
        environment: args.env.clone(),
        vars: options.vars,
        hashed_vars: Default::default(),
        var_files: args
            .var_files
            .iter()
            .map(|f| absolute(f))
            .collect::<anyhow::Result<_>>()?,
        region: args.region.clone(),
    })
}

/// Every file loading with `inputs` reads: spec files, includes, var files
/// (by convention and given).
fn files_of(inputs: &SpecInputs) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = forge_core::spec::spec_sources(&inputs.path)
        .into_iter()
        .map(|(path, text)| (path, text.into_bytes()))
        .collect();
    let by_convention =
        forge_core::spec::convention_var_files(&inputs.path, inputs.environment.as_deref());
    for f in by_convention.iter().chain(&inputs.var_files) {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        files.push((f.clone(), bytes));
    }
    Ok(files)
}

/// The stamp of `stack`, loaded with `args`, for a plan about to be saved.
pub fn stamp(args: &StackArgs, stack: &Stack) -> anyhow::Result<SpecStamp> {
    let mut inputs = inputs_of(args)?;
    // A saved plan may be kept as a CI artifact: a sensitive `--var` is
    // kept as its hash, and `forge apply FILE` is given it again.
    inputs.hash_vars(|name| stack.vars.get(name).is_some_and(Value::is_sensitive));
    let files = files_of(&inputs)?;
    Ok(SpecStamp::compute(inputs, &files, &stack.vars))
}

/// Refuses the flags of `forge apply FILE` that contradict the saved plan:
/// a saved plan is applied exactly as it was made, so `-e`, `--region`,
/// `--var`, `--var-file` and a stack path may only repeat what it was made
/// with, and `-destroy` needs a destroy plan.
pub fn check_flags(
    file: &Path,
    plan: &Plan,
    stamp: &SpecStamp,
    args: &StackArgs,
    stack: Option<&Path>,
    destroy: bool,
) -> anyhow::Result<()> {
    let file = file.display();
    let env_text = |e: &Option<String>| match e {
        Some(e) => format!("environment `{e}`"),
        None => "no environment".to_string(),
    };
    if let Some(env) = &args.env
        && plan.environment.as_ref() != Some(env)
    {
        bail!(
            "-e {env} contradicts the saved plan {file}, which was made for {}: a saved plan is applied \
             exactly as it was made\n  hint: make a plan for {env} with `forge plan -e {env} -out FILE`, \
             or drop -e",
            env_text(&plan.environment)
        );
    }
    if let Some(region) = &args.region
        && region != &plan.config.region
    {
        bail!(
            "--region {region} contradicts the saved plan {file}, which was made for region {}\n  \
             hint: make a new plan with `--region {region} -out FILE`, or drop --region",
            plan.config.region
        );
    }
    let given = inputs_of(args)?;
    if !stamp.inputs.same_vars(&given.vars) {
        bail!(
            "--var cannot change the saved plan {file}: its variables were fixed when it was made\n  \
             hint: pass them to `forge plan ... -out FILE`, then apply that file with the same --var \
             values (a sensitive one is checked against the hash the plan keeps), or without --var"
        );
    }
    if !args.var_files.is_empty() && given.var_files != stamp.inputs.var_files {
        bail!(
            "--var-file cannot change the saved plan {file}: its variables were fixed when it was made\n  \
             hint: pass it to `forge plan ... -out FILE`, then apply that file without --var-file"
        );
    }
    if let Some(stack) = stack {
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same(stack, &stamp.inputs.path) {
            bail!(
                "the saved plan {file} was made for the stack {}, not {}\n  hint: apply it without a \
                 stack path, or make a plan for {} with `forge plan {} -out FILE`",
                stamp.inputs.path.display(),
                stack.display(),
                stack.display(),
                stack.display()
            );
        }
    }
    if destroy && !plan.destroy {
        bail!(
            "-destroy contradicts the saved plan {file}, which is not a destroy plan\n  hint: make one \
             with `forge plan -destroy -out FILE`"
        );
    }
    Ok(())
}

/// Loads the spec `stamp` names again, as it was loaded for the plan, and
/// checks it is unchanged: same files, includes, var files and values.
/// Returns it: the values of the plan's sensitive vars come from it.
/// A sensitive `--var` of the plan (kept as a hash) is taken from `like`'s
/// `--var`, or else from the other sources (`FORGE_VAR_*`, var files).
pub fn verify_spec(stamp: &SpecStamp, like: &StackArgs) -> Result<Stack, EngineError> {
    let inputs = &stamp.inputs;
    let changed = |detail: String| EngineError::SpecChanged { detail };
    let given = inputs_of(like).map_err(|e| changed(format!("{e:#}")))?.vars;
    // The other options (those that do not shape the spec) are this run's.
    let mut args = like.clone();
    args.stack = inputs.path.clone();
    args.env = inputs.environment.clone();
    let mut not_given = Vec::new();
    args.vars = inputs
        .vars
        .iter()
        .filter_map(|(k, v)| {
            if !inputs.hashed_vars.contains(k) {
                return Some(format!("{k}={v}"));
            }
            match given.iter().rev().find(|(n, _)| n == k) {
                Some((_, value)) => Some(format!("{k}={value}")),
                None => {
                    not_given.push(k.as_str());
                    None
                }
            }
        })
        .collect();
    args.var_files = inputs.var_files.clone();
    args.region = inputs.region.clone();
    let stack = context::load_stack(&args, &context::registry(), context::VarsNeeded::All)
        .map_err(|d| {
            let problems = output::render_diagnostics(&d);
            if not_given.is_empty() {
                changed(format!(
                    "{} no longer loads:\n{}",
                    inputs.path.display(),
                    problems.trim_end()
                ))
            } else {
                EngineError::PlanSecrets {
                    detail: format!(
                        "{}\n  hint: the plan was made with the sensitive --var {}, whose value a saved \
                         plan does not keep: give it again (--var NAME=VALUE or FORGE_VAR_NAME)",
                        problems.trim_end(),
                        not_given.join(", ")
                    ),
                }
            }
        })?;
    let files = files_of(inputs).map_err(|e| changed(format!("{e:#}")))?;
    let now = SpecStamp::compute(inputs.clone(), &files, &stack.vars);
    if now.digest != stamp.digest && !not_given.is_empty() {
        return Err(EngineError::PlanSecrets {
            detail: format!(
                "the values of {} are not the ones the plan was made with\n  hint: the plan was made \
                 with the sensitive --var {}, whose value a saved plan does not keep: give it again \
                 (--var NAME=VALUE or FORGE_VAR_NAME)",
                not_given.join(", "),
                not_given.join(", ")
            ),
        });
    }
    if now.digest != stamp.digest {
        return Err(changed(format!(
            "the files, includes or variable values of {} differ from when the plan was made \
             (a sensitive value counts: give the same secrets as when planning)",
            inputs.path.display()
        )));
    }
    Ok(stack)
}
