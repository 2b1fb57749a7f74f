//! The commit of a git checkout, read from its files (no `git` process): what the report
//! names as the commit of the case files.

/// `HEAD` of the checkout holding `dir`: a detached hash, or the branch's hash from its ref
/// file or `packed-refs` (worktrees read shared refs from their `commondir`).
pub(super) fn head_commit(dir: &std::path::Path) -> Option<String> {
    let is_hash = |s: &str| s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let dot_git = dir
        .ancestors()
        .map(|d| d.join(".git"))
        .find(|p| p.exists())?;
    let git_dir = if dot_git.is_file() {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let target = text.trim().strip_prefix("gitdir:")?.trim();
        dot_git.parent()?.join(target)
    } else {
        dot_git
    };
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref:").map(str::trim) else {
        return is_hash(head).then(|| head.to_owned());
    };
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|_| git_dir.clone());
    for base in [&git_dir, &common] {
        if let Ok(hash) = std::fs::read_to_string(base.join(reference)) {
            let hash = hash.trim();
            if is_hash(hash) {
                return Some(hash.to_owned());
            }
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (hash, name) = line.split_once(' ')?;
        (name.trim() == reference && is_hash(hash)).then(|| hash.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::head_commit;

    const HASH: &str = "0123456789abcdef0123456789abcdef01234567";

    fn write(path: &std::path::Path, text: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn head_is_read_from_ref_files_packed_refs_and_detached_heads() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        let cases = root.join("cases/channels.invite");
        std::fs::create_dir_all(&cases).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(head_commit(&cases), None, "no checkout");
        write(&root.join(".git/HEAD"), "ref: refs/heads/main\n");
        write(
            &root.join(".git/packed-refs"),
            &format!("# pack-refs\n{HASH} refs/heads/main\n"),
        );
        assert_eq!(head_commit(&cases).as_deref(), Some(HASH), "packed ref");
        let loose = HASH.replace('0', "f");
        write(&root.join(".git/refs/heads/main"), &format!("{loose}\n"));
        assert_eq!(head_commit(&cases), Some(loose), "a loose ref wins");
        write(&root.join(".git/HEAD"), &format!("{HASH}\n"));
        assert_eq!(head_commit(&cases).as_deref(), Some(HASH), "detached");
    }

    #[test]
    fn the_commit_of_this_checkout_matches_git() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let Ok(out) = std::process::Command::new("git")
            .args(["-C", &here.to_string_lossy(), "rev-parse", "HEAD"])
            .output()
        else {
            return; // no git here: nothing to compare with
        };
        if out.status.success() {
            let expected = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            assert_eq!(head_commit(&here.join("cases")), Some(expected));
        }
    }
}
