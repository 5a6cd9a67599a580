//! A tracker's history: snapshots (paged, and downsampled for the chart), manual snapshots, and
//! roles (class history). Tables hold 30,000+ rows per tracker: nothing here loads them all.

use super::time::to_db;
use super::AppState;
use chrono::{DateTime, Utc};
use tt_core::model::trackers::{ManualSnapshotInput, RoleInput, SeriesPoint, Snapshot, TrackerRole, TrackerSnapshotPage};
use tt_core::validate::Invalid;

/// What can go wrong with a tracker's history (its own type: trackers use this module, not the
/// other way round).
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("There is no tracker with id {0}.")]
    NotFound(i64),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Most snapshots one page may hold, and points the chart gets.
pub const MAX_PAGE: i64 = 500;
pub const CHART_POINTS: i64 = 500;

#[derive(Debug, sqlx::FromRow)]
struct SnapshotRow {
    id: i64,
    tracker_id: i64,
    polled_at: DateTime<Utc>,
    uploaded_bytes: i64,
    downloaded_bytes: i64,
    ratio: Option<f64>,
    buffer_bytes: Option<i64>,
    seeding_count: Option<i64>,
    leeching_count: Option<i64>,
    seed_bonus: Option<f64>,
    hit_and_runs: Option<i64>,
    required_ratio: Option<f64>,
    warned: bool,
    freeleech_tokens: Option<i64>,
    share_score: Option<f64>,
    username: Option<String>,
    group_name: Option<String>,
    is_manual: bool,
}

impl From<SnapshotRow> for Snapshot {
    fn from(r: SnapshotRow) -> Self {
        Snapshot {
            id: r.id,
            tracker_id: r.tracker_id,
            polled_at: r.polled_at,
            uploaded_bytes: r.uploaded_bytes,
            downloaded_bytes: r.downloaded_bytes,
            ratio: r.ratio,
            buffer_bytes: r.buffer_bytes,
            seeding_count: r.seeding_count,
            leeching_count: r.leeching_count,
            seed_bonus: r.seed_bonus,
            hit_and_runs: r.hit_and_runs,
            required_ratio: r.required_ratio,
            warned: r.warned,
            freeleech_tokens: r.freeleech_tokens,
            share_score: r.share_score,
            username: r.username,
            group_name: r.group_name,
            is_manual: r.is_manual,
        }
    }
}

const COLUMNS: &str = "id, tracker_id, polled_at, uploaded_bytes, downloaded_bytes, ratio, buffer_bytes, seeding_count, leeching_count,
    seed_bonus, hit_and_runs, required_ratio, warned, freeleech_tokens, share_score, username, group_name, is_manual";

async fn ensure_tracker(state: &AppState, id: i64) -> Result<(), SnapshotError> {
    let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM trackers WHERE id = $1").bind(id).fetch_optional(&state.db).await?;
    found.map(|_| ()).ok_or(SnapshotError::NotFound(id))
}

pub async fn latest(state: &AppState, tracker_id: i64) -> Result<Option<Snapshot>, SnapshotError> {
    let row = sqlx::query_as::<_, SnapshotRow>(&format!(
        "SELECT {COLUMNS} FROM tracker_snapshots WHERE tracker_id = $1 ORDER BY polled_at DESC, id DESC LIMIT 1"
    ))
    .bind(tracker_id)
    .fetch_optional(&state.db)
    .await?;
    Ok(row.map(Snapshot::from))
}

/// One page, newest first.
pub async fn page(state: &AppState, tracker_id: i64, offset: i64, limit: i64) -> Result<TrackerSnapshotPage, SnapshotError> {
    ensure_tracker(state, tracker_id).await?;
    let limit = limit.clamp(1, MAX_PAGE);
    let offset = offset.max(0);
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM tracker_snapshots WHERE tracker_id = $1").bind(tracker_id).fetch_one(&state.db).await?;
    let rows = sqlx::query_as::<_, SnapshotRow>(&format!(
        "SELECT {COLUMNS} FROM tracker_snapshots WHERE tracker_id = $1 ORDER BY polled_at DESC, id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(tracker_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db)
    .await?;
    Ok(TrackerSnapshotPage { snapshots: rows.into_iter().map(Snapshot::from).collect(), total, offset, limit })
}

/// At most `CHART_POINTS` evenly spaced snapshots over the whole history (first and last
/// included), chosen by the database.
pub async fn series(state: &AppState, tracker_id: i64) -> Result<Vec<SeriesPoint>, SnapshotError> {
    ensure_tracker(state, tracker_id).await?;
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM tracker_snapshots WHERE tracker_id = $1").bind(tracker_id).fetch_one(&state.db).await?;
    let step = ((total + CHART_POINTS - 1) / CHART_POINTS).max(1);
    let rows: Vec<(DateTime<Utc>, i64, i64)> = sqlx::query_as(
        "SELECT polled_at, uploaded_bytes, downloaded_bytes FROM (
            SELECT polled_at, uploaded_bytes, downloaded_bytes, ROW_NUMBER() OVER (ORDER BY polled_at, id) AS rn
            FROM tracker_snapshots WHERE tracker_id = $1) numbered
         WHERE (rn - 1) % $2 = 0 OR rn = $3 ORDER BY rn",
    )
    .bind(tracker_id)
    .bind(step)
    .bind(total)
    .fetch_all(&state.db)
    .await?;
    Ok(rows.into_iter().map(|(at, uploaded_bytes, downloaded_bytes)| SeriesPoint { at, uploaded_bytes, downloaded_bytes }).collect())
}

pub async fn add_manual(state: &AppState, input: &ManualSnapshotInput) -> Result<Snapshot, SnapshotError> {
    let mut s = input.to_snapshot(state.now())?;
    s.polled_at = super::time::db_precision(s.polled_at);
    ensure_tracker(state, s.tracker_id).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO tracker_snapshots (tracker_id, polled_at, uploaded_bytes, downloaded_bytes, ratio, buffer_bytes, seeding_count,
            leeching_count, seed_bonus, hit_and_runs, required_ratio, warned, freeleech_tokens, username, group_name, is_manual)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1) RETURNING id",
    )
    .bind(s.tracker_id)
    .bind(to_db(s.polled_at))
    .bind(s.uploaded_bytes)
    .bind(s.downloaded_bytes)
    .bind(s.ratio)
    .bind(s.buffer_bytes)
    .bind(s.seeding_count)
    .bind(s.leeching_count)
    .bind(s.seed_bonus)
    .bind(s.hit_and_runs)
    .bind(s.required_ratio)
    .bind(s.warned)
    .bind(s.freeleech_tokens)
    .bind(&s.username)
    .bind(&s.group_name)
    .fetch_one(&state.db)
    .await?;
    Ok(Snapshot { id, ..s })
}

pub async fn delete(state: &AppState, id: i64) -> Result<(), SnapshotError> {
    let done = sqlx::query("DELETE FROM tracker_snapshots WHERE id = $1").bind(id).execute(&state.db).await?;
    if done.rows_affected() == 0 {
        return Err(tt_core::validate::invalid("id", format!("There is no snapshot with id {id}.")).into());
    }
    Ok(())
}

pub async fn roles(state: &AppState, tracker_id: i64) -> Result<Vec<TrackerRole>, SnapshotError> {
    ensure_tracker(state, tracker_id).await?;
    type RoleRow = (i64, i64, String, DateTime<Utc>, Option<String>);
    let rows: Vec<RoleRow> =
        sqlx::query_as("SELECT id, tracker_id, role_name, achieved_at, notes FROM tracker_roles WHERE tracker_id = $1 ORDER BY achieved_at, id")
            .bind(tracker_id)
            .fetch_all(&state.db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, tracker_id, role_name, achieved_at, notes)| TrackerRole { id, tracker_id, role_name, achieved_at, notes })
        .collect())
}

pub async fn add_role(state: &AppState, input: &RoleInput) -> Result<TrackerRole, SnapshotError> {
    let mut role = TrackerRole {
        id: 0,
        tracker_id: input.tracker_id,
        role_name: input.role_name.trim().to_string(),
        achieved_at: super::time::db_precision(input.achieved_at),
        notes: input.notes.clone().filter(|n| !n.trim().is_empty()),
    };
    role.validate()?;
    ensure_tracker(state, role.tracker_id).await?;
    let (id,): (i64,) = sqlx::query_as("INSERT INTO tracker_roles (tracker_id, role_name, achieved_at, notes) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(role.tracker_id)
        .bind(&role.role_name)
        .bind(to_db(role.achieved_at))
        .bind(&role.notes)
        .fetch_one(&state.db)
        .await?;
    role.id = id;
    Ok(role)
}

pub async fn delete_role(state: &AppState, id: i64) -> Result<(), SnapshotError> {
    sqlx::query("DELETE FROM tracker_roles WHERE id = $1").bind(id).execute(&state.db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::state;

    async fn tracker(s: &AppState) -> i64 {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO trackers (name, base_url, platform, created_at, updated_at) VALUES ('A', 'https://a.example', 'unit3d', 'x', 'x') RETURNING id",
        )
        .fetch_one(&s.db)
        .await
        .unwrap();
        id
    }

    fn manual(tracker_id: i64) -> ManualSnapshotInput {
        ManualSnapshotInput {
            tracker_id,
            polled_at: None,
            uploaded_bytes: 9_007_199_254_740_993,
            downloaded_bytes: 1 << 40,
            seeding_count: Some(3),
            leeching_count: None,
            seed_bonus: Some(10.5),
            hit_and_runs: None,
            freeleech_tokens: None,
            required_ratio: None,
            warned: false,
            username: None,
            group_name: None,
        }
    }

    #[tokio::test]
    async fn manual_snapshots_page_and_chart() {
        let (s, _d) = state().await;
        let t = tracker(&s).await;
        let added = add_manual(&s, &manual(t)).await.unwrap();
        let p = page(&s, t, 0, 10).await.unwrap();
        assert_eq!(p.total, 1);
        assert_eq!(p.snapshots[0], added);
        assert_eq!(p.snapshots[0].uploaded_bytes, 9_007_199_254_740_993, "exact beyond 2^53");
        let mut bad = manual(t);
        bad.seeding_count = Some(-1);
        assert!(matches!(add_manual(&s, &bad).await, Err(SnapshotError::Invalid(_))));
        assert!(matches!(add_manual(&s, &manual(999)).await, Err(SnapshotError::NotFound(999))));
        assert_eq!(page(&s, t, 0, 10).await.unwrap().total, 1);
        // 2,000 rows → at most 500 chart points, first and last included.
        sqlx::query(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
             INSERT INTO tracker_snapshots (tracker_id, polled_at, uploaded_bytes, downloaded_bytes) SELECT $1, '2020-01-01T00:00:00.000Z', x, x FROM n",
        )
        .bind(t)
        .execute(&s.db)
        .await
        .unwrap();
        let points = series(&s, t).await.unwrap();
        assert!(points.len() <= 501 && points.len() >= 400, "{}", points.len());
        assert_eq!(points.first().unwrap().uploaded_bytes, 1);
        assert_eq!(points.last().unwrap().uploaded_bytes, 9_007_199_254_740_993);
        assert_eq!(page(&s, t, 0, 10_000).await.unwrap().snapshots.len(), MAX_PAGE as usize);
    }

    #[tokio::test]
    async fn roles_are_validated() {
        let (s, _d) = state().await;
        let t = tracker(&s).await;
        let r = add_role(&s, &RoleInput { tracker_id: t, role_name: "Power User".into(), achieved_at: Utc::now(), notes: None }).await.unwrap();
        assert_eq!(roles(&s, t).await.unwrap(), vec![r.clone()]);
        assert!(add_role(&s, &RoleInput { tracker_id: t, role_name: " ".into(), achieved_at: Utc::now(), notes: None }).await.is_err());
        delete_role(&s, r.id).await.unwrap();
        assert!(roles(&s, t).await.unwrap().is_empty());
    }
}
