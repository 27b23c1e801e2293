//! `forge stacks DIR [--changed-since GIT_REF] [--json]`: the stacks under
//! a folder, their environments and dependencies, and the order to run
//! them in (levels), as a table or as JSON for a CI matrix.
//!
//! `--changed-since REF` keeps the stacks with a file changed since REF
//! (`git diff --name-only REF`, plus untracked files): a file under the
//! stack's folder, or a file it includes from elsewhere — and then every
//! stack that depends on a kept one, directly or not, since a change to a
//! stack can change the outputs the stacks after it read.

use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::{StackArgs, StacksArgs};
use crate::{context, output};
use anyhow::{Context, bail};
use forge_core::spec::{StackTree, spec_sources, stack_tree};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `forge stacks`.
pub fn run(args: &StacksArgs) -> anyhow::Result<u8> {
    let opts = context::load_options(&StackArgs {
        stack: args.dir.clone(),
        env: None,
        vars: Vec::new(),
        var_files: Vec::new(),
        region: None,
    })
    .unwrap_or_default();
    let tree = match stack_tree(&args.dir, &opts) {
        Ok(tree) => tree,
        Err(diags) => {
            eprint!("{}", output::render_diagnostics(&diags));
            return Ok(EXIT_ERROR);
        }
    };
    let (selected, changed) = match &args.changed_since {
        None => ((0..tree.stacks.len()).collect(), None),
        Some(git_ref) => {
            let files = changed_files(&args.dir, git_ref)?;
            let direct = changed_stacks(&tree, &files);
            (tree.with_dependents(&direct), Some(direct))
        }
    };
    if args.json {
        let listing = listing(&tree, &selected, changed.as_deref(), args);
        println!("{}", serde_json::to_string_pretty(&listing)?);
    } else {
        print!("{}", table(&tree, &selected));
    }
    Ok(EXIT_OK)
}

/// A path as shown: without a leading `./`.
pub(super) fn shown(path: &Path) -> String {
    let text = path.display().to_string();
    match text.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => text,
    }
}

fn listing(
    tree: &StackTree,
    selected: &[usize],
    changed: Option<&[usize]>,
    args: &StacksArgs,
) -> serde_json::Value {
    let stacks: Vec<serde_json::Value> = selected
        .iter()
        .map(|&i| {
            let s = &tree.stacks[i];
            let dependencies: Vec<serde_json::Value> = s
                .dependencies
                .iter()
                .map(|d| {
                    json!({
                        "name": d.name,
                        "path": shown(&d.path),
                        "environment": d.environment,
                        "in_tree": tree.find(&d.path).is_some(),
                    })
                })
                .collect();
            let mut entry = json!({
                "path": shown(&s.path),
                "level": s.level,
                "environments": s.environments,
                "dependencies": dependencies,
                "depends_on": s.depends_on.iter().map(|&d| shown(&tree.stacks[d].path)).collect::<Vec<_>>(),
            });
            if let Some(changed) = changed {
                entry["changed"] = json!(changed.contains(&i));
            }
            entry
        })
        .collect();
    let levels: Vec<Vec<String>> = tree
        .levels()
        .into_iter()
        .map(|level| {
            level
                .into_iter()
                .filter(|i| selected.contains(i))
                .map(|i| shown(&tree.stacks[i].path))
                .collect::<Vec<_>>()
        })
        .filter(|level| !level.is_empty())
        .collect();
    // One entry per stack and environment: a GitHub Actions
    // `strategy.matrix.include`, or one Kubernetes Job each.
    let runs: Vec<serde_json::Value> = selected
        .iter()
        .flat_map(|&i| {
            let s = &tree.stacks[i];
            let envs: Vec<Option<&String>> = if s.environments.is_empty() {
                vec![None]
            } else {
                s.environments.iter().map(Some).collect()
            };
            envs.into_iter().map(
                move |env| json!({"stack": shown(&s.path), "environment": env, "level": s.level}),
            )
        })
        .collect();
    json!({
        "dir": shown(&args.dir),
        "changed_since": args.changed_since,
        "stacks": stacks,
        "levels": levels,
        "runs": runs,
    })
}

fn table(tree: &StackTree, selected: &[usize]) -> String {
    let rows: Vec<[String; 4]> = selected
        .iter()
        .map(|&i| {
            let s = &tree.stacks[i];
            let on: Vec<String> = s
                .dependencies
                .iter()
                .map(|d| {
                    let mut text = shown(&d.path);
                    if let Some(env) = &d.environment {
                        text.push_str(&format!(" ({env})"));
                    }
                    if tree.find(&d.path).is_none() {
                        text.push_str(" [outside]");
                    }
                    text
                })
                .collect();
            [
                s.level.to_string(),
                shown(&s.path),
                if s.environments.is_empty() {
                    "-".into()
                } else {
                    s.environments.join(", ")
                },
                if on.is_empty() {
                    "-".into()
                } else {
                    on.join(", ")
                },
            ]
        })
        .collect();
    let head = ["LEVEL", "STACK", "ENVIRONMENTS", "DEPENDS ON"];
    let mut widths = head.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let text: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", text.join("  ").trim_end())
    };
    let mut out = line(head);
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3]]));
    }
    out
}

/// The files changed since `git_ref` in the repository holding `dir`
/// (absolute, canonical where they still exist), untracked ones included.
fn changed_files(dir: &Path, git_ref: &str) -> anyhow::Result<Vec<PathBuf>> {
    let git = |args: &[&str]| -> anyhow::Result<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .context("running git (needed by --changed-since)")?;
        if !out.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
    let mut names = git(&["diff", "--name-only", git_ref, "--"])?;
    names.push_str(&git(&[
        "ls-files",
        "--others",
        "--exclude-standard",
        "--full-name",
    ])?);
    Ok(names
        .lines()
        .filter(|l| !l.is_empty())
        .map(|name| resolve(&top.join(name)))
        .collect())
}

/// `path` canonical; a deleted file by its canonical folder.
fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (path.parent().map(Path::canonicalize), path.file_name()) {
        (Some(Ok(parent)), Some(name)) => parent.join(name),
        _ => path.to_path_buf(),
    }
}

/// The stacks with a changed file: under their folder, or included.
fn changed_stacks(tree: &StackTree, files: &[PathBuf]) -> Vec<usize> {
    tree.stacks
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            let folder = resolve(&s.path);
            let includes: BTreeSet<PathBuf> = spec_sources(&s.path)
                .into_iter()
                .map(|(file, _)| resolve(&file))
                .collect();
            files
                .iter()
                .any(|f| f.starts_with(&folder) || includes.contains(f))
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(dir: &str, changed_since: Option<&str>) -> StacksArgs {
        StacksArgs {
            dir: PathBuf::from(dir),
            changed_since: changed_since.map(str::to_string),
            json: true,
        }
    }

    /// The fixture of tests/tests/stack_deps.rs, from this crate's folder
    /// (where unit tests run).
    const TREE: &str = "../../tests/fixtures/stack-tree";

    #[test]
    fn the_listing_of_a_tree_is_pinned() {
        let tree =
            stack_tree(Path::new(TREE), &Default::default()).unwrap_or_else(|e| panic!("{e}"));
        let all: Vec<usize> = (0..tree.stacks.len()).collect();
        insta::assert_snapshot!(
            serde_json::to_string_pretty(&listing(&tree, &all, None, &args(TREE, None)))
                .unwrap_or_default()
        );
        insta::assert_snapshot!("table", table(&tree, &all));
    }

    #[test]
    fn changed_files_select_their_stacks_and_the_stacks_after_them() {
        let tree =
            stack_tree(Path::new(TREE), &Default::default()).unwrap_or_else(|e| panic!("{e}"));
        let network = resolve(&Path::new(TREE).join("network/main.yaml"));
        let direct = changed_stacks(&tree, &[network]);
        let names = |ix: &[usize]| -> Vec<String> {
            ix.iter().map(|&i| shown(&tree.stacks[i].path)).collect()
        };
        assert_eq!(names(&direct), [format!("{TREE}/network")]);
        let selected = tree.with_dependents(&direct);
        assert_eq!(
            names(&selected),
            [format!("{TREE}/network"), format!("{TREE}/app")]
        );
        let json = listing(&tree, &selected, Some(&direct), &args(TREE, Some("main")));
        assert_eq!(json["stacks"][1]["changed"], serde_json::json!(false));
        assert_eq!(json["levels"].as_array().map(Vec::len), Some(2));
        // A file outside every stack selects none.
        let readme = resolve(&Path::new(TREE).join("README.md"));
        assert!(changed_stacks(&tree, &[readme]).is_empty());
    }
}
