//! Login password hashing: Argon2id, PHC string; in production the OWASP minimum parameters
//! (m = 19 MiB, t = 2, p = 1: `secrets::LOGIN_HASH_KDF`).

use crate::secrets::KdfParams;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Checks a new password against the rules; returns the message to show when it fails.
pub fn check_new(password: &str, confirm: &str) -> Result<(), String> {
    tt_core::validate::password_rules(password, confirm)
}

pub fn hash(password: &str, costs: KdfParams) -> Result<String, argon2::password_hash::Error> {
    let params = Params::new(costs.memory_kib, costs.iterations, costs.parallelism, None)?;
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Verifies against a stored PHC string (parameters are read from the string itself).
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_phc_with_owasp_parameters() {
        let phc = hash("a long enough password", crate::secrets::LOGIN_HASH_KDF).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("a long enough password", &phc));
        assert!(!verify("another password", &phc));
        assert!(!verify("x", "not a phc string"));
    }

    #[test]
    fn new_password_rules() {
        assert!(check_new("short", "short").is_err());
        assert!(check_new("          ", "          ").is_err());
        assert!(check_new("long enough one", "long enough two").is_err());
        assert!(check_new(&"x".repeat(1025), &"x".repeat(1025)).is_err());
        assert!(check_new("long enough one", "long enough one").is_ok());
    }
}
