//! The built-in suite's fingerprint: the first 12 hex digits of the SHA-256 of every file's
//! repository path and text, in path order, each followed by a zero byte. `build.rs` hashes
//! the repository's files with it (`built_in::FINGERPRINT`); the library's test hashes the
//! files the binary carries with it, and the two must agree.

use sha2::{Digest, Sha256};

/// The fingerprint of `(repository path, text)` pairs, in the order given.
pub(crate) fn fingerprint<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut hash = Sha256::new();
    for (path, text) in files {
        hash.update(path.as_bytes());
        hash.update([0]);
        hash.update(text);
        hash.update([0]);
    }
    hash.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}
