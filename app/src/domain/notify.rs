//! (stub — being written separately) Notification delivery.

use crate::domain::AppState;

pub async fn send_event(_state: &AppState, _event: &str, _title: &str, _message: &str) -> Vec<Result<(), String>> {
    Vec::new()
}
