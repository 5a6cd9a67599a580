//! Reading the backups of the **original** Tracker Tracker (the Node.js app,
//! jordanlambrecht/tracker-tracker, versions 1.7 to 2.8.9): plain `.json` payloads and the
//! encrypted `.ttbak` envelope. This crate knows those files and nothing of this app; the
//! server and the browser (wasm32) use it to recognise, decrypt and read them.
//!
//! Parameters, all fixed by the original and none stored in its files:
//! - KDF ([`kdf`]): scrypt, N = 2^14, r = 8, p = 1, 32-byte key; the salt is used as its
//!   64 ASCII hex characters (not the 32 bytes they spell) and is checked to be exactly 64
//!   hex characters before anything is derived;
//! - cipher ([`gcm`]): AES-256-GCM, 12-byte IV, 16-byte tag, no AAD, sealed as
//!   `base64(iv ‖ tag ‖ ciphertext)` (standard alphabet, padded);
//! - instance secrets ([`secrets`]): key = scrypt(login password, `settings.encryptionSalt`);
//! - envelope ([`envelope`]): key = scrypt(backup password ≤ 128 characters,
//!   envelope `encryptionSalt`), one GCM message over the whole payload, decrypted
//!   streaming, with the tag verified before the plaintext may be trusted.
//!
//! Modules, one concern each: [`error`], [`sniff`] (the first bytes), [`envelope`] (the
//! `.ttbak`), [`secrets`] (one instance secret), [`records`] (typed sections and fields),
//! [`read`] (the streaming record reader), and, behind the `writer` feature, [`writer`]
//! (original-format files for tests).

#![forbid(unsafe_code)]

pub mod envelope;
pub mod error;
pub mod gcm;
pub mod kdf;
pub mod read;
pub mod records;
pub mod secrets;
pub mod sniff;
#[cfg(feature = "writer")]
pub mod writer;

pub use envelope::{decrypt, Decrypted, EnvelopeDecryptor, EnvelopeHeader};
pub use error::{Error, Location, Result};
pub use read::{read, read_with_progress, CountMismatch, ReadReport, Sink};
pub use records::{Record, Section};
pub use secrets::{BackupCodes, InstanceKey};
pub use sniff::{sniff, Sniffed};
