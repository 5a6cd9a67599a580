//! "Test connection": list the bucket or folder, write a probe object, read it back, delete it;
//! the first step that fails says what is wrong (DNS, connection, TLS, credentials, missing
//! bucket or folder, permission). Works on the form as typed (a new secret, or the stored one),
//! before anything is saved.

use super::location;
use super::remote::{Remote, RemoteError};
use super::LocationError;
use crate::AppState;
use tt_core::model::locations::{ConnectionTest, LocationInput, TestStep};

/// The probe's name: never one of this app's backup names, so nothing else ever matches it.
fn probe_name() -> String {
    format!(".tracker-tracker-probe-{:016x}", rand::random::<u64>())
}

pub async fn test_connection(state: &AppState, input: &LocationInput) -> Result<ConnectionTest, LocationError> {
    let (settings, sealed) = location::prepare(state, input).await?;
    let remote = location::client_for(state, &settings.target, sealed.as_deref())?;
    Ok(run(&remote).await)
}

/// The steps, on a client already made.
pub async fn run(remote: &Remote) -> ConnectionTest {
    let mut steps = Vec::new();
    let done = |steps: Vec<TestStep>, failed: Option<RemoteError>| match failed {
        None => ConnectionTest {
            ok: true,
            message: format!("Connected to {}: listed it, wrote a test object, read it back and deleted it.", remote.place()),
            problem: None,
            steps,
        },
        Some(e) => ConnectionTest { ok: false, message: e.to_string(), problem: Some(e.problem()), steps },
    };
    let step = |steps: &mut Vec<TestStep>, step: &str, result: &Result<(), RemoteError>| {
        steps.push(TestStep {
            step: step.to_string(),
            ok: result.is_ok(),
            message: match result {
                Ok(()) => "done".to_string(),
                Err(e) => e.to_string(),
            },
        });
    };
    let listed = remote.list().await.map(|_| ());
    step(&mut steps, "List the backups there", &listed);
    if let Err(e) = listed {
        return done(steps, Some(e));
    }
    let key = remote.key(&probe_name());
    let content = format!("Tracker Tracker connection test {:032x}\n", rand::random::<u128>()).into_bytes();
    let written = remote.put_bytes(&key, content.clone()).await;
    step(&mut steps, "Write a test object", &written);
    if let Err(e) = written {
        return done(steps, Some(e));
    }
    let read = match remote.read_bytes(&key).await {
        Ok(b) if b[..] == content[..] => Ok(()),
        Ok(b) => {
            use sha2::{Digest, Sha256};
            Err(RemoteError::Corrupted {
                place: remote.place().to_string(),
                expected: hex::encode(Sha256::digest(&content)),
                found: hex::encode(Sha256::digest(&b)),
                size: b.len() as u64,
            })
        }
        Err(e) => Err(e),
    };
    step(&mut steps, "Read it back", &read);
    let deleted = remote.delete(&key).await;
    step(&mut steps, "Delete it", &deleted);
    match (read, deleted) {
        (Err(e), _) | (Ok(()), Err(e)) => done(steps, Some(e)),
        (Ok(()), Ok(())) => done(steps, None),
    }
}

/// A test that could not even start (no secret stored, a bad setting): the same shape.
pub fn not_started(e: &LocationError) -> Option<ConnectionTest> {
    match e {
        LocationError::Remote(r) => Some(ConnectionTest { ok: false, message: r.to_string(), problem: Some(r.problem()), steps: Vec::new() }),
        _ => None,
    }
}
