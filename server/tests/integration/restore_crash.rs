//! A restore killed inside its transaction (SIGKILL of the real server process) leaves the
//! database exactly as it was. The debug binary's hold point (`TT_TEST_HOLD_RESTORE`) stops the
//! restore after it has wiped the tables and written its first tracker snapshots, so the kill
//! lands inside the transaction every time.

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// Multi-threaded: the loop below blocks on the server's log lines while the request runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(debug_assertions), ignore = "the restore's hold point exists in debug builds only")]
async fn a_restore_killed_midway_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    // 1. An instance with some history.
    let backup = {
        let srv = TestServer::start(&dir).await;
        srv.setup(PASSWORD).await;
        app::domain::sample::fill(&srv.state).await.unwrap();
        let res = srv.client.post(format!("{}/api/backup/export", srv.url)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap().to_vec();
        // Change the data, so a finished restore would be visible.
        sqlx::query("DELETE FROM tracker_snapshots WHERE id % 2 = 0").execute(&srv.state.db).await.unwrap();
        sqlx::query("UPDATE trackers SET name = 'changed after the backup'").execute(&srv.state.db).await.unwrap();
        srv.state.db.close().await;
        bytes
    };

    // 2. The real binary on that data dir.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracker-tracker"))
        .arg("serve")
        .env("TT_DATA_DIR", dir.path())
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "tracker-tracker")
        .env("RUST_LOG", "info")
        .env("TT_TEST_HOLD_RESTORE", "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let start = Instant::now();
    loop {
        if client.get(format!("{url}/api/auth/status")).send().await.is_ok() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The sample instance has two-factor login on.
    let code = app::domain::auth::totp::code_at(app::domain::sample::SECRETS[7], chrono::Utc::now().timestamp() as u64).unwrap();
    let r = client.post(format!("{url}/api/auth/login")).json(&serde_json::json!({"password": PASSWORD, "code": code})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let before = digest(dir.path(), &["backup_history"]).await;

    // 3. Start the restore, and kill the process once it is inside the transaction.
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(backup).file_name("b.json")).text("current_password", PASSWORD);
    let restore = tokio::spawn(client.post(format!("{url}/api/backup/restore")).multipart(form).send());
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut inside = false;
    while Instant::now() < deadline {
        match lines_rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if line.contains("restore: held inside its transaction") => {
                eprintln!("server: {line}");
                inside = true;
                break;
            }
            Ok(line) => {
                eprintln!("server: {line}");
                assert!(!line.contains("restore committed"), "the restore finished before it could be killed");
            }
            Err(_) if restore.is_finished() => break,
            Err(_) => {}
        }
    }
    if !inside {
        let answer = restore.await.unwrap().unwrap();
        panic!("the restore never reached its hold point: {} {}", answer.status(), answer.text().await.unwrap_or_default());
    }
    child.kill().unwrap();
    let _ = child.wait();
    while let Ok(line) = lines_rx.try_recv() {
        assert!(!line.contains("restore committed"), "the restore finished before it was killed");
    }
    // The client saw the connection drop.
    assert!(restore.await.unwrap().is_err());

    // 4. SQLite rolls the interrupted transaction back when the database is next opened.
    assert_eq!(digest(dir.path(), &["backup_history"]).await, before, "the database changed");
    let db = raw_db(dir.path()).await;
    let (name,): (String,) = sqlx::query_as("SELECT name FROM trackers WHERE id = 1").fetch_one(&db).await.unwrap();
    assert_eq!(name, "changed after the backup");
    // The only trace is the pre-restore backup, kept as an undo point.
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT trigger_kind, status FROM backup_history").fetch_all(&db).await.unwrap();
    assert_eq!(rows, vec![("pre_restore".to_string(), "completed".to_string())]);
}
