//! Download clients and tag groups through the real HTTP API and a real SQLite file.

use crate::common::*;
use serde_json::{json, Value};

fn client(name: &str) -> Value {
    json!({
        "id": null,
        "config": {
            "name": name, "client_type": "qbittorrent", "host": "10.0.0.2", "port": 8080, "use_tls": false,
            "poll_interval_seconds": 300, "is_default": false, "cross_seed_tags": ["cross-seed"], "enabled": true
        },
        "username": {"value": "qb-admin-name"},
        "password": {"value": "Qb-Pa55word-Secret"}
    })
}

async fn count(db: &sqlx::SqlitePool, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(db).await.unwrap();
    n
}

#[tokio::test]
async fn clients_need_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    assert_eq!(srv.get::<Value>("clients/list").await.unwrap_err().status, 401);
    assert_eq!(srv.call::<Value>("clients/save", json!({"input": client("A")})).await.unwrap_err().status, 401);
    assert_eq!(srv.call::<()>("clients/delete", json!({"id": 1})).await.unwrap_err().status, 401);
    assert_eq!(srv.get::<Value>("tag-groups/list").await.unwrap_err().status, 401);
}

#[tokio::test]
async fn create_edit_default_delete_with_sealed_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let db = raw_db(&srv.data_dir).await;

    let a: Value = srv.call("clients/save", json!({"input": client("Seedbox")})).await.unwrap();
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["has_username"], true);
    assert_eq!(a["has_password"], true);
    assert_eq!(a["config"]["cross_seed_tags"], json!(["cross-seed"]));

    // Ciphertext in the database; never in any answer.
    let (u, p): (String, String) =
        sqlx::query_as("SELECT username_enc, password_enc FROM download_clients WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
    assert!(u.starts_with("tt1:") && !u.contains("qb-admin-name"));
    assert!(p.starts_with("tt1:") && !p.contains("Qb-Pa55word-Secret"));
    let list = srv.client.get(format!("{}/api/clients/list", srv.url)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("Seedbox"));
    for secret in ["qb-admin-name", "Qb-Pa55word-Secret", &u, &p] {
        assert!(!list.contains(secret), "the list leaks {secret}");
    }

    // Edit keeping the credentials; then make a second client the default.
    let mut edit = client("Seedbox renamed");
    edit["id"] = json!(id);
    edit["username"] = json!({});
    edit["password"] = json!({"clear": true});
    edit["config"]["is_default"] = json!(true);
    let e: Value = srv.call("clients/save", json!({"input": edit})).await.unwrap();
    assert_eq!((e["has_username"].as_bool(), e["has_password"].as_bool()), (Some(true), Some(false)));
    let (u2,): (String,) = sqlx::query_as("SELECT username_enc FROM download_clients WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
    assert_eq!(u2, u, "kept as is");
    let mut b = client("Home");
    b["config"]["is_default"] = json!(true);
    let b: Value = srv.call("clients/save", json!({"input": b})).await.unwrap();
    let list: Vec<Value> = srv.get("clients/list").await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|c| c["config"]["is_default"] == true).count(), 1);
    assert_eq!(list[0]["id"], b["id"]);

    // Runtime state shows up; snapshots page; delete cascades.
    sqlx::query(
        "INSERT INTO client_runtime (client_id, last_polled_at, last_error) VALUES ($1, '2026-02-01T10:00:00.000Z', 'HTTP 403 from qBittorrent')",
    )
    .bind(id)
    .execute(&db)
    .await
    .unwrap();
    for day in 1..=3 {
        sqlx::query("INSERT INTO client_snapshots (client_id, polled_at, seeding_count, leeching_count, upload_speed_bps, download_speed_bps) VALUES ($1, $2, 10, 0, 1, 2)")
            .bind(id)
            .bind(format!("2026-02-0{day}T00:00:00Z"))
            .execute(&db)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO client_uptime_buckets (client_id, bucket_start, checks_total, checks_ok) VALUES ($1, '2026-02-01T00:00:00.000Z', 12, 12)",
    )
    .bind(id)
    .execute(&db)
    .await
    .unwrap();
    let list: Vec<Value> = srv.get("clients/list").await.unwrap();
    let seedbox = list.iter().find(|c| c["id"] == id).unwrap();
    assert_eq!(seedbox["last_error"], "HTTP 403 from qBittorrent");
    assert_eq!(seedbox["last_polled_at"], "2026-02-01T10:00:00Z");
    let page: Value = srv.get(&format!("clients/snapshots?client_id={id}&limit=2")).await.unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["polled_at"], "2026-02-03T00:00:00Z");

    let _: () = srv.call("clients/delete", json!({"id": id})).await.unwrap();
    for table in ["client_snapshots", "client_uptime_buckets", "client_runtime"] {
        assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM {table} WHERE client_id = {id}")).await, 0, "{table}");
    }
    let e = srv.call::<()>("clients/delete", json!({"id": id})).await.unwrap_err();
    assert_eq!((e.status, e.kind.as_str()), (404, "not_found"));
}

#[tokio::test]
async fn bad_client_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let a: Value = srv.call("clients/save", json!({"input": client("Seedbox")})).await.unwrap();
    let before: Vec<Value> = srv.get("clients/list").await.unwrap();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", json!(""), "Name is required"),
        ("name", json!("x".repeat(101)), "at most 100"),
        ("port", json!(0), "Port"),
        ("port", json!(70000), "Port"),
        ("host", json!("http://seedbox/"), "Host"),
        ("client_type", json!("utorrent"), "Client type"),
    ];
    for (field, value, message) in cases {
        let mut c = client("Seedbox");
        c["id"] = a["id"].clone();
        c["config"][field] = value;
        let e = srv.call::<Value>("clients/save", json!({"input": c})).await.unwrap_err();
        assert_eq!(e.status, 400, "{field}");
        assert_eq!(e.kind, "invalid");
        assert!(e.message.contains(message), "{field}: {}", e.message);
    }
    let after: Vec<Value> = srv.get("clients/list").await.unwrap();
    assert_eq!(before, after);
    let e = srv.call::<Value>("clients/save", json!({"input": {"id": 999, "config": client("x")["config"]}})).await.unwrap_err();
    assert_eq!(e.status, 404);
}

#[tokio::test]
async fn tag_groups_save_members_together() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let db = raw_db(&srv.data_dir).await;
    let group = |id: Value, name: &str, members: Value| json!({"input": {"id": id, "config": {"name": name, "emoji": "🎬", "chart_type": "pie", "description": null, "sort_order": 0, "count_unmatched": true}, "members": members}});
    let g: Value = srv
        .call(
            "tag-groups/save",
            group(
                Value::Null,
                "Media",
                json!([{"tag": "movies", "label": "Movies", "color": "#FF0000", "sort_order": 0}, {"tag": "tv", "color": "#00f", "sort_order": 1}]),
            ),
        )
        .await
        .unwrap();
    let id = g["id"].clone();
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    assert_eq!(g["members"][0][1]["color"], "#ff0000");

    let g2: Value =
        srv.call("tag-groups/save", group(id.clone(), "Media!", json!([{"tag": "music", "color": "#123456", "sort_order": 0}]))).await.unwrap();
    assert_eq!(g2["members"].as_array().unwrap().len(), 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tag_group_members").await, 1);

    let e =
        srv.call::<Value>("tag-groups/save", group(id.clone(), "Media", json!([{"tag": "x", "color": "red", "sort_order": 0}]))).await.unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.message.contains("colour like #3b82f6"), "{}", e.message);
    let e = srv.call::<Value>("tag-groups/save", group(id.clone(), "", json!([]))).await.unwrap_err();
    assert!(e.message.contains("Name is required"));
    let list: Vec<Value> = srv.get("tag-groups/list").await.unwrap();
    assert_eq!(list, vec![g2]);

    let _: () = srv.call("tag-groups/delete", json!({"id": id})).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tag_group_members").await, 0);
    assert_eq!(srv.call::<()>("tag-groups/delete", json!({"id": id})).await.unwrap_err().status, 404);
}
