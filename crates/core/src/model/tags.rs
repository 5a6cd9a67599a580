//! Tag groups: how torrents' client tags are grouped into charts.

use crate::validate::{self, Checked};
use serde::{Deserialize, Serialize};

pub const CHART_TYPES: [&str; 3] = ["bar", "pie", "line"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagGroupConfig {
    pub name: String,
    #[serde(default)]
    pub emoji: Option<String>,
    pub chart_type: String,
    #[serde(default)]
    pub description: Option<String>,
    pub sort_order: i64,
    pub count_unmatched: bool,
}

impl TagGroupConfig {
    pub fn validate(&self) -> Checked<TagGroupConfig> {
        let emoji = validate::optional_text("emoji", "Emoji", self.emoji.as_deref(), 16)?;
        Ok(TagGroupConfig {
            name: validate::text("name", "Name", &self.name, 1, 100)?,
            emoji,
            chart_type: validate::one_of("chart_type", "Chart type", &self.chart_type, &CHART_TYPES)?,
            description: validate::optional_text("description", "Description", self.description.as_deref(), 1000)?,
            sort_order: validate::int_range("sort_order", "Sort order", self.sort_order, -1_000_000, 1_000_000)?,
            count_unmatched: self.count_unmatched,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagMember {
    pub tag: String,
    #[serde(default)]
    pub label: Option<String>,
    pub color: String,
    pub sort_order: i64,
}

impl TagMember {
    pub fn validate(&self) -> Checked<TagMember> {
        Ok(TagMember {
            tag: validate::text("tag", "Tag", &self.tag, 1, 100)?,
            label: validate::optional_text("label", "Label", self.label.as_deref(), 100)?,
            color: validate::hex_color("color", "Colour", &self.color)?,
            sort_order: validate::int_range("sort_order", "Sort order", self.sort_order, -1_000_000, 1_000_000)?,
        })
    }
}

/// Create or update a group with its members (the members list replaces the stored one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagGroupInput {
    pub id: Option<i64>,
    pub config: TagGroupConfig,
    pub members: Vec<TagMember>,
}

impl TagGroupInput {
    pub fn validate(&self) -> Checked<TagGroupInput> {
        let config = self.config.validate()?;
        let mut members: Vec<TagMember> = Vec::with_capacity(self.members.len());
        for m in &self.members {
            let m = m.validate()?;
            if members.iter().any(|x| x.tag == m.tag) {
                return Err(validate::invalid("tag", format!("The tag {:?} is listed twice.", m.tag)));
            }
            members.push(m);
        }
        if members.len() > 200 {
            return Err(validate::invalid("members", "A group can have at most 200 tags."));
        }
        Ok(TagGroupInput { id: self.id, config, members })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagGroupView {
    pub id: i64,
    pub config: TagGroupConfig,
    /// (member id, member)
    pub members: Vec<(i64, TagMember)>,
}
