//! Tag groups: a group and its member tags are saved together; saving replaces the member list
//! in one transaction.

use super::AppState;
use tt_core::model::tags::{TagGroupConfig, TagGroupInput, TagGroupView, TagMember};
use tt_core::validate::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("There is no tag group with id {0}.")]
    NotFound(i64),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

#[derive(Debug, sqlx::FromRow)]
struct GroupRow {
    id: i64,
    name: String,
    emoji: Option<String>,
    chart_type: String,
    description: Option<String>,
    sort_order: i64,
    count_unmatched: bool,
}

#[derive(Debug, sqlx::FromRow)]
struct MemberRow {
    id: i64,
    group_id: i64,
    tag: String,
    label: Option<String>,
    color: String,
    sort_order: i64,
}

impl GroupRow {
    fn into_view(self, members: Vec<(i64, TagMember)>) -> TagGroupView {
        TagGroupView {
            id: self.id,
            config: TagGroupConfig {
                name: self.name,
                emoji: self.emoji,
                chart_type: self.chart_type,
                description: self.description,
                sort_order: self.sort_order,
                count_unmatched: self.count_unmatched,
            },
            members,
        }
    }
}

impl MemberRow {
    fn into_member(self) -> (i64, TagMember) {
        (self.id, TagMember { tag: self.tag, label: self.label, color: self.color, sort_order: self.sort_order })
    }
}

const GROUP_COLUMNS: &str = "id, name, emoji, chart_type, description, sort_order, count_unmatched";
const MEMBER_COLUMNS: &str = "id, group_id, tag, label, color, sort_order";

/// All groups in display order, each with its members in display order.
pub async fn list(state: &AppState) -> Result<Vec<TagGroupView>, TagError> {
    let groups =
        sqlx::query_as::<_, GroupRow>(&format!("SELECT {GROUP_COLUMNS} FROM tag_groups ORDER BY sort_order, name, id")).fetch_all(&state.db).await?;
    let members = sqlx::query_as::<_, MemberRow>(&format!("SELECT {MEMBER_COLUMNS} FROM tag_group_members ORDER BY group_id, sort_order, tag, id"))
        .fetch_all(&state.db)
        .await?;
    let mut by_group: std::collections::HashMap<i64, Vec<(i64, TagMember)>> = std::collections::HashMap::new();
    for m in members {
        by_group.entry(m.group_id).or_default().push(m.into_member());
    }
    Ok(groups
        .into_iter()
        .map(|g| {
            let members = by_group.remove(&g.id).unwrap_or_default();
            g.into_view(members)
        })
        .collect())
}

pub async fn get(state: &AppState, id: i64) -> Result<TagGroupView, TagError> {
    let group = sqlx::query_as::<_, GroupRow>(&format!("SELECT {GROUP_COLUMNS} FROM tag_groups WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or(TagError::NotFound(id))?;
    let members =
        sqlx::query_as::<_, MemberRow>(&format!("SELECT {MEMBER_COLUMNS} FROM tag_group_members WHERE group_id = $1 ORDER BY sort_order, tag, id"))
            .bind(id)
            .fetch_all(&state.db)
            .await?;
    Ok(group.into_view(members.into_iter().map(MemberRow::into_member).collect()))
}

/// Creates (id None) or updates a group and replaces its members, in one transaction.
/// Input is checked first: a refused value changes nothing.
pub async fn save(state: &AppState, input: &TagGroupInput) -> Result<TagGroupView, TagError> {
    let input = input.validate()?;
    let c = &input.config;
    let mut tx = state.db.begin().await?;
    let id = match input.id {
        Some(id) => {
            let done = sqlx::query(
                "UPDATE tag_groups SET name = $1, emoji = $2, chart_type = $3, description = $4, sort_order = $5, count_unmatched = $6
                 WHERE id = $7",
            )
            .bind(&c.name)
            .bind(&c.emoji)
            .bind(&c.chart_type)
            .bind(&c.description)
            .bind(c.sort_order)
            .bind(i64::from(c.count_unmatched))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(TagError::NotFound(id));
            }
            sqlx::query("DELETE FROM tag_group_members WHERE group_id = $1").bind(id).execute(&mut *tx).await?;
            id
        }
        None => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO tag_groups (name, emoji, chart_type, description, sort_order, count_unmatched)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&c.name)
            .bind(&c.emoji)
            .bind(&c.chart_type)
            .bind(&c.description)
            .bind(c.sort_order)
            .bind(i64::from(c.count_unmatched))
            .fetch_one(&mut *tx)
            .await?;
            id
        }
    };
    for m in &input.members {
        sqlx::query("INSERT INTO tag_group_members (group_id, tag, label, color, sort_order) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(&m.tag)
            .bind(&m.label)
            .bind(&m.color)
            .bind(m.sort_order)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    get(state, id).await
}

/// Deletes a group and its members.
pub async fn delete(state: &AppState, id: i64) -> Result<(), TagError> {
    let done = sqlx::query("DELETE FROM tag_groups WHERE id = $1").bind(id).execute(&state.db).await?;
    if done.rows_affected() == 0 {
        return Err(TagError::NotFound(id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn member(tag: &str, color: &str, sort_order: i64) -> TagMember {
        TagMember { tag: tag.into(), label: None, color: color.into(), sort_order }
    }

    fn input(name: &str, members: Vec<TagMember>) -> TagGroupInput {
        TagGroupInput {
            id: None,
            config: TagGroupConfig {
                name: name.into(),
                emoji: Some("🎬".into()),
                chart_type: "bar".into(),
                description: None,
                sort_order: 0,
                count_unmatched: false,
            },
            members,
        }
    }

    async fn member_count(state: &AppState) -> i64 {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tag_group_members").fetch_one(&state.db).await.unwrap();
        n
    }

    #[tokio::test]
    async fn save_replaces_members_and_delete_cascades() {
        let (state, _dir) = testing::state().await;
        let g = save(&state, &input("Media", vec![member("movies", "#FF0000", 1), member("tv", "#00ff00", 0)])).await.unwrap();
        assert_eq!(g.members.iter().map(|(_, m)| m.tag.as_str()).collect::<Vec<_>>(), ["tv", "movies"]);
        assert_eq!(g.members[1].1.color, "#ff0000", "colours are stored lower-case");

        let mut edit = input("Media 2", vec![member("music", "#123", 0)]);
        edit.id = Some(g.id);
        let g2 = save(&state, &edit).await.unwrap();
        assert_eq!(g2.config.name, "Media 2");
        assert_eq!(g2.members.len(), 1);
        assert_eq!(member_count(&state).await, 1);

        save(&state, &input("Other", vec![member("a", "#000000", 0)])).await.unwrap();
        assert_eq!(list(&state).await.unwrap().len(), 2);
        delete(&state, g.id).await.unwrap();
        assert_eq!(member_count(&state).await, 1);
        assert!(matches!(delete(&state, g.id).await, Err(TagError::NotFound(_))));
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_changes_nothing() {
        let (state, _dir) = testing::state().await;
        let g = save(&state, &input("Media", vec![member("movies", "#ff0000", 0)])).await.unwrap();
        let bad: Vec<(TagGroupInput, &str)> = vec![
            (input("", vec![]), "name"),
            (input(&"x".repeat(101), vec![]), "name"),
            (input("ok", vec![member("a", "red", 0)]), "color"),
            (input("ok", vec![member("a", "#12345", 0)]), "color"),
            (input("ok", vec![member("a", "#000", 0), member(" a ", "#111", 1)]), "tag"),
            (input("ok", vec![member("", "#000", 0)]), "tag"),
        ];
        for (mut i, field) in bad {
            i.id = Some(g.id);
            match save(&state, &i).await {
                Err(TagError::Invalid(e)) => assert_eq!(e.field, field, "{}", e.message),
                other => panic!("expected Invalid({field}), got {other:?}"),
            }
        }
        assert_eq!(list(&state).await.unwrap(), vec![g]);
        let mut missing = input("x", vec![]);
        missing.id = Some(4242);
        assert!(matches!(save(&state, &missing).await, Err(TagError::NotFound(4242))));
    }
}
