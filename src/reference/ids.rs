//! Identifiers and secrets the way Meteor makes them.
//!
//! Owns the random generation of document ids (17 characters from Meteor's unambiguous
//! alphabet), login tokens, and the SHA-256 password digest the 2FA password fallback compares.
//! It must not store anything.

use rand::Rng;
use sha2::{Digest, Sha256};

/// Meteor `Random.id()` alphabet (no 0, 1, I, O, U, V, l).
const ID_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";
/// Meteor `Random.secret()` alphabet (URL-safe base64).
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A fresh 17-character document id.
pub(crate) fn document_id() -> String {
    random_string(ID_ALPHABET, 17)
}

/// A fresh 43-character login token.
pub(crate) fn login_token() -> String {
    random_string(SECRET_ALPHABET, 43)
}

/// Lowercase hex SHA-256 of a password, as clients send it in `X-2FA-Code`.
pub(crate) fn password_digest(password: &str) -> String {
    Sha256::digest(password.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_use_the_meteor_alphabet() {
        let id = document_id();
        assert_eq!(id.len(), 17);
        assert!(id.bytes().all(|b| ID_ALPHABET.contains(&b)));
        assert_eq!(login_token().len(), 43);
    }

    #[test]
    fn digest_is_lowercase_hex_sha256() {
        assert_eq!(
            password_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
