//! Tag groups: list, create/update (with their members), delete.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr::*;
#[cfg(feature = "ssr")]
use crate::domain::tags as domain;

pub use crate::model::tags::{TagGroupConfig, TagGroupInput, TagGroupView, TagMember, CHART_TYPES};

#[cfg(feature = "ssr")]
impl From<domain::TagError> for AppError {
    fn from(e: domain::TagError) -> Self {
        use crate::error::ErrorKind;
        use domain::TagError as E;
        match e {
            E::NotFound(_) => AppError::new(ErrorKind::NotFound, e.to_string()),
            E::Invalid(i) => i.into(),
            E::Db(db) => db.into(),
        }
    }
}

/// All tag groups in display order, each with its members.
#[server(prefix = "/api", endpoint = "tag-groups/list", input = GetUrl)]
pub async fn list_tag_groups() -> Result<Vec<TagGroupView>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::list(&state).await?)
}

/// Creates (`input.id` null) or updates a group; its member list replaces the stored one.
#[server(prefix = "/api", endpoint = "tag-groups/save", input = Json)]
pub async fn save_tag_group(input: TagGroupInput) -> Result<TagGroupView, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::save(&state, &input).await?)
}

#[server(prefix = "/api", endpoint = "tag-groups/delete", input = Json)]
pub async fn delete_tag_group(id: i64) -> Result<(), AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::delete(&state, id).await?)
}
