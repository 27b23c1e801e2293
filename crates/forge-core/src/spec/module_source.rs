//! Where a module's files come from: a local folder, or a git repository
//! pinned by ref (Terraform's `git::URL//SUBDIR?ref=REF` syntax), cloned
//! with the `git` command into `.forge/modules/` and locked to a commit in
//! `.forge-modules.lock` next to the stack.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A `git::` source, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitSource {
    /// The source as written.
    pub text: String,
    /// The repository URL (`https://host/repo.git`, `file:///abs/repo`).
    pub url: String,
    /// The folder inside the repository (`//path`), empty for its root.
    pub subdir: String,
    /// `?ref=`: a tag, branch or commit; `None` for the default branch.
    pub reference: Option<String>,
}

/// What kind of source a module's `source` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceKind {
    /// A folder relative to the file that uses it.
    Local,
    /// A git repository.
    Git(GitSource),
}

impl SourceKind {
    /// Classifies a `source:` as written.
    pub(crate) fn parse(text: &str) -> SourceKind {
        let Some(rest) = text.strip_prefix("git::") else {
            return SourceKind::Local;
        };
        let (rest, reference) = match rest.rsplit_once("?ref=") {
            Some((r, reference)) => (r, Some(reference.to_string())),
            None => (rest, None),
        };
        // `//` after the scheme's separates the repository from a folder.
        let scheme_end = rest.find("://").map_or(0, |i| i + 3);
        let (url, subdir) = match rest[scheme_end..].find("//") {
            Some(i) => (
                &rest[..scheme_end + i],
                rest[scheme_end + i + 2..].trim_matches('/'),
            ),
            None => (rest, ""),
        };
        SourceKind::Git(GitSource {
            text: text.to_string(),
            url: url.to_string(),
            subdir: subdir.to_string(),
            reference,
        })
    }
}

/// Why a source could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchError {
    /// What went wrong (git's own message included).
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// The lock file's name, next to the stack.
pub const LOCK_FILE: &str = ".forge-modules.lock";
/// Where checkouts are cached, under the stack's folder.
const CACHE_DIR: &str = ".forge/modules";

/// `.forge-modules.lock`: the commit each git source resolved to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleLock {
    /// By source, as written.
    #[serde(default)]
    pub modules: BTreeMap<String, LockedSource>,
}

/// The lock file of the stack at `stack` (a folder or a file); empty when
/// there is none or it does not parse.
pub fn read_module_lock(stack: &Path) -> ModuleLock {
    let dir = if stack.is_file() {
        stack.parent().unwrap_or(Path::new("."))
    } else {
        stack
    };
    std::fs::read_to_string(dir.join(LOCK_FILE))
        .ok()
        .and_then(|text| serde_yaml::from_str(&text).ok())
        .unwrap_or_default()
}

/// One locked git source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedSource {
    /// The repository URL.
    pub url: String,
    /// The folder in the repository (empty: its root).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subdir: String,
    /// The ref as written (`None`: the default branch).
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The commit it resolved to.
    pub commit: String,
}

/// Fetches remote module sources for one stack, through its lock file.
#[derive(Debug)]
pub(crate) struct ModuleSources {
    /// The stack's folder (the cache and the lock file live there).
    root: PathBuf,
    /// The lock as read (or as being rebuilt, when updating).
    lock: Option<ModuleLock>,
    /// Re-resolve every source, ignoring the lock (`forge modules update`).
    update: bool,
    /// Whether `lock` changed and must be written.
    dirty: bool,
}

impl ModuleSources {
    /// The fetcher of the stack at `stack` (a folder or a file).
    pub(crate) fn new(stack: &Path, update: bool) -> Self {
        let root = if stack.is_file() {
            stack.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            stack.to_path_buf()
        };
        ModuleSources {
            root,
            lock: None,
            update,
            dirty: false,
        }
    }

    fn lock(&mut self) -> Result<&mut ModuleLock, FetchError> {
        if self.lock.is_none() {
            let path = self.root.join(LOCK_FILE);
            let lock = match std::fs::read_to_string(&path) {
                Err(_) => ModuleLock::default(),
                Ok(_) if self.update => ModuleLock::default(),
                Ok(text) => serde_yaml::from_str(&text).map_err(|e| FetchError {
                    message: format!("{} is not a forge module lock file: {e}", path.display()),
                    hint: "fix it, or delete it and run `forge modules update` to write it again"
                        .into(),
                })?,
            };
            self.lock = Some(lock);
        }
        Ok(self.lock.get_or_insert_with(ModuleLock::default))
    }

    /// The local folder holding `source`'s files: the locked commit's
    /// checkout, or (for a new source, or when updating) the ref's
    /// current commit, then recorded in the lock.
    pub(crate) fn fetch(&mut self, source: &GitSource) -> Result<PathBuf, FetchError> {
        let lock = self.lock()?;
        let locked = lock.modules.get(&source.text).cloned();
        let stale = lock
            .modules
            .iter()
            .find(|(_, l)| {
                l.url == source.url && l.subdir == source.subdir && l.reference != source.reference
            })
            .map(|(k, l)| (k.clone(), l.clone()));
        let commit = match (locked, stale) {
            (Some(l), _) => l.commit,
            (None, Some((_, old))) => {
                return Err(FetchError {
                    message: format!(
                        "its ref changed from `{}` to `{}` since {} locked commit {}",
                        old.reference.as_deref().unwrap_or("(default branch)"),
                        source.reference.as_deref().unwrap_or("(default branch)"),
                        LOCK_FILE,
                        old.commit
                    ),
                    hint:
                        "run `forge modules update` to resolve the new ref and update the lock file"
                            .into(),
                });
            }
            (None, None) => {
                let commit = self.resolve(source)?;
                let lock = self.lock()?;
                lock.modules.insert(
                    source.text.clone(),
                    LockedSource {
                        url: source.url.clone(),
                        subdir: source.subdir.clone(),
                        reference: source.reference.clone(),
                        commit: commit.clone(),
                    },
                );
                self.dirty = true;
                commit
            }
        };
        let dir = self.checkout(source, &commit)?;
        Ok(if source.subdir.is_empty() {
            dir
        } else {
            dir.join(&source.subdir)
        })
    }

    /// Writes the lock file if a source was added or re-resolved.
    pub(crate) fn save(&mut self) -> Result<(), FetchError> {
        let (true, Some(lock)) = (self.dirty, &self.lock) else {
            return Ok(());
        };
        let path = self.root.join(LOCK_FILE);
        let text = format!(
            "# forge module lock: the commit each git module source resolved to.\n# Written by forge; `forge modules update` re-resolves the refs.\n{}",
            serde_yaml::to_string(lock).unwrap_or_default()
        );
        std::fs::write(&path, text).map_err(|e| FetchError {
            message: format!("cannot write {}: {e}", path.display()),
            hint: "check the stack folder's permissions".into(),
        })?;
        self.dirty = false;
        Ok(())
    }

    /// The commit `source`'s ref names now, from a fresh clone (kept as
    /// that commit's checkout).
    fn resolve(&self, source: &GitSource) -> Result<String, FetchError> {
        let tmp = self.cache().join(format!(".clone-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        self.clone_into(source, &tmp)?;
        let mut commit = None;
        let candidates: Vec<String> = match &source.reference {
            None => vec!["HEAD".into()],
            Some(r) => vec![format!("{r}^{{commit}}"), format!("origin/{r}^{{commit}}")],
        };
        let mut last = String::new();
        for c in candidates {
            match git(&tmp, &["rev-parse", "--verify", "--quiet", &c]) {
                Ok(out) => {
                    commit = Some(out.trim().to_string());
                    break;
                }
                Err(e) => last = e,
            }
        }
        let Some(commit) = commit else {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(FetchError {
                message: format!(
                    "`{}` names no tag, branch or commit of {} {}",
                    source.reference.as_deref().unwrap_or("HEAD"),
                    source.url,
                    last.trim()
                ),
                hint: "check the `?ref=` of the source".into(),
            });
        };
        let dir = self.commit_dir(source, &commit);
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&tmp);
        } else {
            git(&tmp, &["checkout", "--quiet", "--detach", &commit]).map_err(|e| FetchError {
                message: format!("cannot check out {commit}: {}", e.trim()),
                hint: "check the repository".into(),
            })?;
            if let Some(parent) = dir.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            std::fs::rename(&tmp, &dir).map_err(|e| FetchError {
                message: format!("cannot keep the checkout at {}: {e}", dir.display()),
                hint: "check the stack folder's permissions".into(),
            })?;
        }
        Ok(commit)
    }

    /// The checkout of `commit` (cloned when not cached).
    fn checkout(&self, source: &GitSource, commit: &str) -> Result<PathBuf, FetchError> {
        let dir = self.commit_dir(source, commit);
        if dir.is_dir() {
            return Ok(dir);
        }
        self.clone_into(source, &dir)?;
        git(&dir, &["checkout", "--quiet", "--detach", commit]).map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            FetchError {
                message: format!(
                    "the locked commit {commit} is not in the repository: {}",
                    e.trim()
                ),
                hint: "run `forge modules update` to lock a commit the repository has".into(),
            }
        })?;
        Ok(dir)
    }

    fn cache(&self) -> PathBuf {
        self.root.join(CACHE_DIR)
    }

    /// `.forge/modules/<repo>-<hash of url>/<commit>`.
    fn commit_dir(&self, source: &GitSource, commit: &str) -> PathBuf {
        let name: String = source
            .url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("repo")
            .trim_end_matches(".git")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let hash = hex::encode(&Sha256::digest(source.url.as_bytes())[..6]);
        self.cache().join(format!("{name}-{hash}")).join(commit)
    }

    fn clone_into(&self, source: &GitSource, dir: &Path) -> Result<(), FetchError> {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(|e| FetchError {
                message: format!("cannot create {}: {e}", parent.display()),
                hint: "check the stack folder's permissions".into(),
            })?;
        }
        let out = Command::new("git")
            .args(["clone", "--quiet", "--no-checkout", "--", &source.url])
            .arg(dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .map_err(|e| FetchError {
                message: format!("cannot run git: {e}"),
                hint: "git sources need the `git` command on PATH".into(),
            })?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(dir);
            return Err(FetchError {
                message: format!(
                    "git clone {} failed: {}",
                    source.url,
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
                hint: "check the URL, the network and your git credentials".into(),
            });
        }
        Ok(())
    }
}

/// Runs `git ARGS` in `dir`: its output, or its error message.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sources_parse_as_terraform_writes_them() {
        let SourceKind::Git(g) =
            SourceKind::parse("git::https://host/org/repo.git//modules/net?ref=v1.2")
        else {
            panic!("not git");
        };
        assert_eq!(g.url, "https://host/org/repo.git");
        assert_eq!(g.subdir, "modules/net");
        assert_eq!(g.reference.as_deref(), Some("v1.2"));
        let SourceKind::Git(g) = SourceKind::parse("git::file:///abs/repo//sub") else {
            panic!("not git");
        };
        assert_eq!(
            (g.url.as_str(), g.subdir.as_str(), g.reference),
            ("file:///abs/repo", "sub", None)
        );
        let SourceKind::Git(g) = SourceKind::parse("git::file:///abs/repo?ref=main") else {
            panic!("not git");
        };
        assert_eq!(
            (g.url.as_str(), g.subdir.as_str()),
            ("file:///abs/repo", "")
        );
        assert_eq!(SourceKind::parse("../modules/net"), SourceKind::Local);
    }
}
