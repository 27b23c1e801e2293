//! Files a stack reads stay inside its root (the enclosing git work tree,
//! else the stack folder) unless `allow_outside_root` is set, symlinks
//! included; a file that is not a forge spec is never quoted.

use forge_core::Diagnostics;
use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, Stack, load_stack};
use std::path::Path;

const HEAD: &str = "stack: s\nregion: us-east-1\n";
const SECRET: &str = "hunter2-do-not-print";

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

fn load(stack: &Path, allow: bool) -> Result<Stack, Diagnostics> {
    let opts = LoadOptions {
        allow_outside_root: allow,
        ..Default::default()
    };
    load_stack(stack, &opts, &network_schemas())
}

/// `<tmp>/outside/secret.yaml`, and a repository `<tmp>/repo` (with
/// `.git`) holding `stacks/app/main.yaml` and `_envcommon/tags.yaml`.
fn layout(include: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    write(root, "outside/secret.yaml", &format!("region: {SECRET}\n"));
    write(root, "outside/creds.yaml", &format!("password: {SECRET}\n"));
    std::fs::create_dir_all(root.join("repo/.git")).unwrap_or_else(|e| panic!("{e}"));
    write(root, "repo/_envcommon/tags.yaml", "tags: {Team: core}\n");
    write(
        root,
        "repo/stacks/app/main.yaml",
        &format!("include: [{include}]\n{HEAD}"),
    );
    dir
}

fn never_quotes_the_secret(err: &Diagnostics) {
    assert!(!err.to_string().contains(SECRET), "{err}");
}

#[test]
fn includes_inside_the_repository_work() {
    let dir = layout("../../_envcommon/tags.yaml");
    let stack = load(&dir.path().join("repo/stacks/app"), false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.tags.get("Team").map(String::as_str), Some("core"));
}

#[test]
fn includes_outside_the_repository_are_refused() {
    for include in [
        "../../../outside/secret.yaml",
        "../../../outside/missing.yaml",
        "/etc/passwd",
        "../../../../../../../../../../../etc/passwd",
    ] {
        let dir = layout(include);
        let err = load(&dir.path().join("repo/stacks/app"), false)
            .err()
            .unwrap_or_else(|| panic!("{include}: loaded"));
        assert_eq!(err.0.len(), 1, "{err}");
        assert!(
            err.0[0].message.contains("is outside the stack's root"),
            "{err}"
        );
        assert!(
            err.0[0]
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("--allow-outside-root")),
            "{err}"
        );
        never_quotes_the_secret(&err);
    }
}

#[test]
fn without_a_repository_the_root_is_the_stack_folder() {
    let dir = layout("../../_envcommon/tags.yaml");
    std::fs::remove_dir(dir.path().join("repo/.git")).unwrap_or_else(|e| panic!("{e}"));
    let err = load(&dir.path().join("repo/stacks/app"), false)
        .err()
        .unwrap_or_default();
    assert!(
        err.0[0].message.contains("outside the stack's root"),
        "{err}"
    );
    assert!(load(&dir.path().join("repo/stacks/app"), true).is_ok());
}

#[test]
fn allowing_outside_reads_the_file_but_never_quotes_a_non_spec() {
    // A spec outside the root is read when allowed.
    let dir = layout("../../../outside/secret.yaml");
    let stack = load(&dir.path().join("repo/stacks/app"), true);
    // `region` from the stack file wins over the include's.
    assert_eq!(stack.map(|s| s.region).ok().as_deref(), Some("us-east-1"));
    // A credentials file is reported by path and position only.
    let dir = layout("../../../outside/creds.yaml");
    let err = load(&dir.path().join("repo/stacks/app"), true)
        .err()
        .unwrap_or_default();
    assert!(err.0[0].message.contains("not a forge spec file"), "{err}");
    assert!(err.0[0].snippet.is_none(), "{err}");
    never_quotes_the_secret(&err);
    // Not YAML at all (a passwd-like file): a syntax error, unquoted.
    write(
        dir.path(),
        "outside/creds.yaml",
        &format!("root:x:0:0:{SECRET}:/root:/bin/bash\n[{SECRET}\n"),
    );
    let err = load(&dir.path().join("repo/stacks/app"), true)
        .err()
        .unwrap_or_default();
    assert!(!err.is_empty());
    assert!(err.0.iter().all(|d| d.snippet.is_none()), "{err}");
    never_quotes_the_secret(&err);
}

#[cfg(unix)]
#[test]
fn symlinks_leading_outside_are_refused() {
    let dir = layout("link.yaml");
    let app = dir.path().join("repo/stacks/app");
    // An include that is a symlink out of the repository.
    std::os::unix::fs::symlink(
        dir.path().join("outside/secret.yaml"),
        app.join("link.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let err = load(&app, false).err().unwrap_or_default();
    assert!(
        err.0
            .iter()
            .any(|d| d.message.contains("outside the stack's root")),
        "{err}"
    );
    never_quotes_the_secret(&err);
    // A stack file that is one (the folder reads every top-level *.yaml).
    std::fs::remove_file(app.join("link.yaml")).unwrap_or_else(|e| panic!("{e}"));
    write(&app, "main.yaml", HEAD);
    std::os::unix::fs::symlink(dir.path().join("outside/creds.yaml"), app.join("z.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = load(&app, false).err().unwrap_or_default();
    assert!(
        err.0
            .iter()
            .any(|d| d.message.contains("leads outside the stack's root")),
        "{err}"
    );
    never_quotes_the_secret(&err);
}
