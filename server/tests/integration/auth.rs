//! Login, lockout, TOTP and sealed secrets, through the real HTTP API and a real SQLite file.

use crate::common::*;
use app::domain::auth::totp;
use app::domain::secrets::purpose;
use serde_json::json;

#[tokio::test]
async fn setup_login_logout_and_unauthenticated_calls() {
    let dir = tempfile::tempdir().unwrap();
    // The one real login: production key-derivation costs.
    let mut srv = TestServer::start_production(&dir).await;

    let status: serde_json::Value = srv.get("auth/status").await.unwrap();
    assert_eq!(status["set_up"], false);

    // Bad input is refused with a message and changes nothing.
    let err = srv.call::<()>("auth/setup", json!({"password": "short", "confirm": "short"})).await.unwrap_err();
    assert_eq!(err.status, 400);
    assert!(err.message.contains("at least 10"), "{}", err.message);
    let err = srv.call::<()>("auth/setup", json!({"password": PASSWORD, "confirm": "something else"})).await.unwrap_err();
    assert!(err.message.contains("do not match"));
    let status: serde_json::Value = srv.get("auth/status").await.unwrap();
    assert_eq!(status["set_up"], false);

    srv.setup(PASSWORD).await;
    let status: serde_json::Value = srv.get("auth/status").await.unwrap();
    assert_eq!(status["logged_in"], true, "setup logs the person in");

    // Setup cannot run twice.
    let err = srv.call::<()>("auth/setup", json!({"password": "another long password", "confirm": "another long password"})).await.unwrap_err();
    assert_eq!(err.status, 409);

    // The password hash is Argon2id PHC with at least the OWASP minimum.
    let db = raw_db(&srv.data_dir).await;
    let (phc,): (String,) = sqlx::query_as("SELECT password_hash FROM instance").fetch_one(&db).await.unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");

    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    let err = srv.get::<serde_json::Value>("security/overview").await.unwrap_err();
    assert_eq!(err.status, 401);
    assert_eq!(err.kind, "unauthenticated");

    // Another browser without a cookie is refused too.
    srv.fresh_client();
    assert_eq!(srv.get::<serde_json::Value>("security/overview").await.unwrap_err().status, 401);
    srv.login(PASSWORD, None).await.unwrap();
    let overview: serde_json::Value = srv.get("security/overview").await.unwrap();
    assert_eq!(overview["totp_enabled"], false);

    // Sessions are stored as hashes only.
    let cookie_tokens: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM sessions").fetch_all(&db).await.unwrap();
    assert!(cookie_tokens.iter().all(|(h,)| h.len() == 64));
}

/// A set-up instance that locks after three failures, seen from a browser that is not logged in.
async fn logged_out_with_lockout_after_three(dir: &tempfile::TempDir) -> TestServer {
    let mut srv = TestServer::start(dir).await;
    srv.setup(PASSWORD).await;
    let _: () = srv
        .call("security/settings", json!({"input": {"session_timeout_minutes": 60, "lockout_threshold": 3, "lockout_minutes": 10}}))
        .await
        .unwrap();
    srv.fresh_client();
    srv
}

#[tokio::test]
async fn lockout_after_repeated_failures_and_reset_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = logged_out_with_lockout_after_three(&dir).await;

    // Two failures, then a success resets the counter.
    for _ in 0..2 {
        let e = srv.login("wrong password!", None).await.unwrap_err();
        assert_eq!(e.kind, "wrong_credentials");
        assert_eq!(e.message, "Incorrect password or code.");
    }
    let db = raw_db(&srv.data_dir).await;
    let (n,): (i64,) = sqlx::query_as("SELECT failed_login_attempts FROM instance").fetch_one(&db).await.unwrap();
    assert_eq!(n, 2);
    srv.login(PASSWORD, None).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT failed_login_attempts FROM instance").fetch_one(&db).await.unwrap();
    assert_eq!(n, 0);

    // Three failures lock the login, even for the right password.
    srv.fresh_client();
    for i in 0..3 {
        let e = srv.login("wrong password!", None).await.unwrap_err();
        if i < 2 {
            assert_eq!(e.kind, "wrong_credentials");
        } else {
            assert_eq!(e.kind, "locked");
            assert_eq!(e.status, 429);
        }
    }
    let e = srv.login(PASSWORD, None).await.unwrap_err();
    assert_eq!(e.kind, "locked", "{}", e.message);
    assert!(e.message.contains("locked"));
    let (until,): (Option<String>,) = sqlx::query_as("SELECT locked_until FROM instance").fetch_one(&db).await.unwrap();
    assert!(until.is_some());

    // Once the lock has passed, the right password works again.
    sqlx::query("UPDATE instance SET locked_until = '2000-01-01T00:00:00.000Z'").execute(&db).await.unwrap();
    srv.login(PASSWORD, None).await.unwrap();
}

#[tokio::test]
async fn bad_security_settings_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    for (t, th, m, field) in [(1, 5, 15, "session"), (60, 0, 15, "attempts"), (60, 5, 0, "Lockout duration"), (60, 5, 100000, "Lockout duration")] {
        let e = srv
            .call::<()>("security/settings", json!({"input": {"session_timeout_minutes": t, "lockout_threshold": th, "lockout_minutes": m}}))
            .await
            .unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.to_lowercase().contains(&field.to_lowercase()), "{}", e.message);
    }
    let o: serde_json::Value = srv.get("security/overview").await.unwrap();
    assert_eq!(o["settings"]["lockout_threshold"], 5);
    assert_eq!(o["settings"]["session_timeout_minutes"], 1440);
}

pub(crate) fn now_code(secret: &str, offset_steps: i64) -> String {
    let t = (chrono::Utc::now().timestamp() + offset_steps * 30).max(0) as u64;
    totp::code_at(secret, t).unwrap()
}

/// Sets up 2FA with the current code; returns the secret (what the authenticator holds).
pub(crate) async fn turn_on_totp(srv: &TestServer) -> String {
    let enrol: serde_json::Value = srv.call("security/totp/begin", json!({"password": PASSWORD})).await.unwrap();
    let secret = enrol["secret_base32"].as_str().unwrap().to_string();
    let _: Vec<String> = srv.call("security/totp/confirm", json!({"code": now_code(&secret, 0)})).await.unwrap();
    secret
}

#[tokio::test]
async fn totp_enrolment_login_with_code_backup_codes_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;

    let enrol: serde_json::Value = srv.call("security/totp/begin", json!({"password": PASSWORD})).await.unwrap();
    let secret = enrol["secret_base32"].as_str().unwrap().to_string();
    assert!(enrol["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/"));
    assert!(enrol["qr_svg"].as_str().unwrap().contains("<svg"));

    let e = srv.call::<Vec<String>>("security/totp/confirm", json!({"code": "000000"})).await;
    if let Err(e) = &e {
        assert_eq!(e.status, 400);
    }
    let codes: Vec<String> = srv.call("security/totp/confirm", json!({"code": now_code(&secret, 0)})).await.unwrap();
    assert_eq!(codes.len(), 10);

    // The secret and the codes are ciphertext in the database.
    let db = raw_db(&srv.data_dir).await;
    let (sealed, sealed_codes): (String, String) =
        sqlx::query_as("SELECT totp_secret_enc, totp_backup_codes_enc FROM app_settings").fetch_one(&db).await.unwrap();
    assert!(sealed.starts_with("tt1:") && !sealed.contains(&secret));
    assert!(!sealed_codes.contains(&codes[0]) && !sealed_codes.contains(&codes[0][..5]));

    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    let status: serde_json::Value = srv.get("auth/status").await.unwrap();
    assert_eq!(status["totp_required"], true);

    // Password alone, or a wrong code, is refused with the same message.
    let e = srv.login(PASSWORD, None).await.unwrap_err();
    assert_eq!(e.message, "Incorrect password or code.");
    let e = srv.login(PASSWORD, Some("123456")).await.unwrap_err();
    assert_eq!(e.message, "Incorrect password or code.");

    // The code confirmed at enrolment cannot be replayed; the next step's code works once.
    let next = now_code(&secret, 1);
    srv.login(PASSWORD, Some(&next)).await.unwrap();
    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    assert!(srv.login(PASSWORD, Some(&next)).await.is_err(), "a used code is refused");

    // A backup code works once.
    srv.login(PASSWORD, Some(&codes[3].to_uppercase())).await.unwrap();
    let o: serde_json::Value = srv.get("security/overview").await.unwrap();
    assert_eq!(o["backup_codes_left"], 9);
    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    assert!(srv.login(PASSWORD, Some(&codes[3])).await.is_err());
    srv.login(PASSWORD, Some(&codes[4])).await.unwrap();

    // Turning it off needs the password.
    let e = srv.call::<()>("security/totp/disable", json!({"password": "not the password"})).await.unwrap_err();
    assert_eq!(e.kind, "wrong_credentials");
    let _: () = srv.call("security/totp/disable", json!({"password": PASSWORD})).await.unwrap();
    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    srv.login(PASSWORD, None).await.unwrap();
    srv.fresh_client();
}

#[tokio::test]
async fn secrets_survive_password_change_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let secret = turn_on_totp(&srv).await;

    let db = raw_db(&srv.data_dir).await;
    let read_secret = |state: app::domain::AppState| async move {
        let s = app::domain::settings::load(&state.db).await.unwrap();
        state.keys.open(purpose::TOTP_SECRET, &s.totp_secret_enc.unwrap()).map(|z| z.to_string())
    };

    // Change the password: refused when the current one is wrong, then done.
    let e = srv
        .call::<()>(
            "security/password",
            json!({"current": "wrong wrong wrong", "new_password": "a brand new password", "confirm": "a brand new password"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, "wrong_credentials");
    let _: () = srv
        .call("security/password", json!({"current": PASSWORD, "new_password": "a brand new password", "confirm": "a brand new password"}))
        .await
        .unwrap();
    assert_eq!(read_secret(srv.state.clone()).await.unwrap(), secret, "readable after the password change");
    let (sealed_after,): (String,) = sqlx::query_as("SELECT totp_secret_enc FROM app_settings").fetch_one(&db).await.unwrap();
    drop(srv);

    // Restart with nobody logged in: the server key unlocks the data key.
    let srv2 = TestServer::start_with(settings_for(dir.path())).await;
    assert!(srv2.state.keys.is_unlocked());
    assert_eq!(read_secret(srv2.state.clone()).await.unwrap(), secret, "readable after a restart");
    let (sealed_now,): (String,) = sqlx::query_as("SELECT totp_secret_enc FROM app_settings").fetch_one(&db).await.unwrap();
    assert_eq!(sealed_after, sealed_now, "values are not re-encrypted by a password change or restart");
    drop(srv2);

    // Lose the server key: locked until a login with the (new) password, which re-seals it.
    std::fs::remove_file(dir.path().join("server.key")).unwrap();
    let srv3 = TestServer::start_with(settings_for(dir.path())).await;
    assert!(!srv3.state.keys.is_unlocked());
    assert!(srv3.login(PASSWORD, Some(&now_code(&secret, 1))).await.is_err(), "old password no longer works");
    assert!(!srv3.state.keys.is_unlocked(), "a wrong password unlocks nothing");
    // The right password unlocks the data key first, so the TOTP secret can be read to check the code.
    srv3.login("a brand new password", Some(&now_code(&secret, 1))).await.unwrap();
    assert!(srv3.state.keys.is_unlocked());
    assert_eq!(read_secret(srv3.state.clone()).await.unwrap(), secret);
    assert!(dir.path().join("server.key").exists(), "a new server key was written");
    drop(srv3);
    let srv4 = TestServer::start_with(settings_for(dir.path())).await;
    assert!(srv4.state.keys.is_unlocked(), "and it unlocks the next restart");
}

#[tokio::test]
async fn parallel_wrong_logins_are_counted_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let srv = logged_out_with_lockout_after_three(&dir).await;
    // Twelve guesses at once: they are checked one by one, so the third locks the login and the
    // other nine meet the lock (without the gate all twelve passed the check before any counted).
    let results = futures::future::join_all((0..12).map(|_| srv.login("wrong password!", None))).await;
    let kinds: Vec<String> = results.into_iter().map(|r| r.err().map(|e| e.kind).unwrap_or_else(|| "ok".into())).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "wrong_credentials").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "locked").count(), 10, "{kinds:?}");
    let db = raw_db(&srv.data_dir).await;
    let (until, n): (Option<String>, i64) = sqlx::query_as("SELECT locked_until, failed_login_attempts FROM instance").fetch_one(&db).await.unwrap();
    assert!(until.is_some());
    assert_eq!(n, 0, "the counter starts again after the lock");
    assert_eq!(srv.login(PASSWORD, None).await.unwrap_err().kind, "locked");
}

#[tokio::test]
async fn totp_set_up_needs_the_password_and_cannot_replace_an_enabled_one() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let e = srv.call::<serde_json::Value>("security/totp/begin", json!({"password": "not the password"})).await.unwrap_err();
    assert_eq!((e.status, e.kind.as_str()), (403, "wrong_credentials"));
    let e = srv.call::<serde_json::Value>("security/totp/begin", json!({})).await.unwrap_err();
    assert_eq!(e.status, 400, "a call without the password is malformed: {e:?}");
    let db = raw_db(&srv.data_dir).await;
    let (pending,): (Option<String>,) = sqlx::query_as("SELECT totp_pending_secret_enc FROM app_settings").fetch_one(&db).await.unwrap();
    assert!(pending.is_none(), "refused calls start nothing");

    let secret = turn_on_totp(&srv).await;
    let (sealed,): (String,) = sqlx::query_as("SELECT totp_secret_enc FROM app_settings").fetch_one(&db).await.unwrap();

    // While it is on, neither a new set-up nor a second confirm can swap the authenticator.
    let e = srv.call::<serde_json::Value>("security/totp/begin", json!({"password": PASSWORD})).await.unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.message.contains("already on"), "{}", e.message);
    let e = srv.call::<Vec<String>>("security/totp/confirm", json!({"code": now_code(&secret, 1)})).await.unwrap_err();
    assert!(e.message.contains("already on"), "{}", e.message);
    let (sealed_now, pending): (String, Option<String>) =
        sqlx::query_as("SELECT totp_secret_enc, totp_pending_secret_enc FROM app_settings").fetch_one(&db).await.unwrap();
    assert_eq!(sealed, sealed_now);
    assert!(pending.is_none());
}

#[tokio::test]
async fn a_totp_code_is_accepted_once_even_by_simultaneous_logins() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let secret = turn_on_totp(&srv).await;
    let code = now_code(&secret, 1);
    let results = futures::future::join_all((0..4).map(|_| srv.login(PASSWORD, Some(&code)))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
}

#[tokio::test]
async fn a_damaged_server_key_file_is_replaced_and_login_works() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    drop(srv);
    let key_path = dir.path().join("server.key");
    std::fs::write(&key_path, b"trunc").unwrap();

    let srv = TestServer::start_with(settings_for(dir.path())).await;
    assert!(!srv.state.keys.is_unlocked(), "a damaged key opens nothing");
    assert_eq!(std::fs::read(&key_path).unwrap().len(), 32, "replaced by a new key");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("server.key.invalid-"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept aside");
    assert_eq!(std::fs::read(aside[0].path()).unwrap(), b"trunc");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    srv.login(PASSWORD, None).await.unwrap();
    assert!(srv.state.keys.is_unlocked());
    drop(srv);
    let srv = TestServer::start_with(settings_for(dir.path())).await;
    assert!(srv.state.keys.is_unlocked(), "the login sealed the data key under the new server key");
}

#[tokio::test]
async fn requests_from_other_sites_are_refused_before_they_run() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let db = raw_db(&srv.data_dir).await;
    let threshold = || async { sqlx::query_as::<_, (i64,)>("SELECT lockout_threshold FROM app_settings").fetch_one(&db).await.unwrap().0 };
    let body = json!({"input": {"session_timeout_minutes": 60, "lockout_threshold": 9, "lockout_minutes": 10}});
    let post = |headers: &[(&'static str, String)]| {
        let mut req = srv.client.post(format!("{}/api/security/settings", srv.url)).json(&body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.send()
    };
    // Another app on the same host (other port), a foreign site, an opaque origin: 403, nothing saved.
    for headers in [
        vec![("origin", "http://127.0.0.1:1".to_string())],
        vec![("origin", "https://evil.example".to_string())],
        vec![("origin", "null".to_string())],
        vec![("sec-fetch-site", "same-site".to_string()), ("origin", srv.url.clone())],
        vec![("sec-fetch-site", "cross-site".to_string())],
    ] {
        let res = post(&headers).await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "{headers:?}");
        let e: serde_json::Value = res.json().await.unwrap();
        assert_eq!(e["kind"], "forbidden");
        assert_eq!(threshold().await, 5, "{headers:?} changed nothing");
    }
    // A form post (text/plain) from another site is refused too, whatever its body.
    let res = srv
        .client
        .post(format!("{}/api/auth/logout", srv.url))
        .header("origin", "http://127.0.0.1:1")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // The instance's own pages (and TT_BASE_URL, behind a proxy) and curl pass.
    for headers in [
        vec![("origin", srv.url.clone())],
        vec![("origin", "https://tt.example".to_string())],
        vec![("sec-fetch-site", "same-origin".to_string()), ("origin", srv.url.clone())],
        vec![],
    ] {
        let res = post(&headers).await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{headers:?}");
    }
    assert_eq!(threshold().await, 9);
    // Reading is not affected.
    let res = srv.client.get(format!("{}/api/auth/status", srv.url)).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn malformed_requests_answer_400() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let e = srv.call::<()>("auth/login", json!({})).await.unwrap_err();
    assert_eq!((e.status, e.kind.as_str()), (400, "invalid"), "{e:?}");
    let res =
        srv.client.post(format!("{}/api/auth/login", srv.url)).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
}
