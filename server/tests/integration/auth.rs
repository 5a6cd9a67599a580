//! Login, lockout, TOTP and sealed secrets, through the real HTTP API and a real SQLite file.

use crate::common::*;
use app::domain::auth::totp;
use app::domain::secrets::purpose;
use serde_json::json;

#[tokio::test]
async fn setup_login_logout_and_unauthenticated_calls() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = TestServer::start(&dir).await;

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

#[tokio::test]
async fn lockout_after_repeated_failures_and_reset_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let _: () = srv
        .call("security/settings", json!({"input": {"session_timeout_minutes": 60, "lockout_threshold": 3, "lockout_minutes": 10}}))
        .await
        .unwrap();
    srv.fresh_client();

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
    sqlx::query("UPDATE instance SET locked_until = '2000-01-01T00:00:00Z'").execute(&db).await.unwrap();
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

fn now_code(secret: &str, offset_steps: i64) -> String {
    let t = (chrono::Utc::now().timestamp() + offset_steps * 30).max(0) as u64;
    totp::code_at(secret, t).unwrap()
}

#[tokio::test]
async fn totp_enrolment_login_with_code_backup_codes_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;

    let enrol: serde_json::Value = srv.call("security/totp/begin", json!({})).await.unwrap();
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
    let enrol: serde_json::Value = srv.call("security/totp/begin", json!({})).await.unwrap();
    let secret = enrol["secret_base32"].as_str().unwrap().to_string();
    let _: Vec<String> = srv.call("security/totp/confirm", json!({"code": now_code(&secret, 0)})).await.unwrap();

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
