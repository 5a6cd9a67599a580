//! One module per page.

pub mod backups;
pub mod clients;
pub mod dashboard;
pub mod general;
pub mod layout;
pub mod login;
pub mod notifications;
pub mod security;
pub mod setup;
pub mod tag_groups;
pub mod tracker_detail;
pub mod trackers;
