//! Server functions: the HTTP API under /api (documented in docs/api.md).
//! Each is thin: it checks the session, decodes input, calls a domain module, and maps the
//! domain's error to an `AppError` once, here.

pub mod auth;
pub mod backup;
pub mod clients;
pub mod locations;
pub mod notifications;
pub mod settings;
pub mod tags;
pub mod trackers;

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::domain::auth::{session, AuthError};
    use crate::domain::secrets::SecretError;
    use crate::domain::AppState;
    use crate::error::{AppError, ErrorKind};
    use leptos::prelude::*;

    /// The application state provided to every request.
    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| AppError::internal("server state missing from the request context"))
    }

    /// The session token of the current request, if any.
    pub fn session_token() -> Option<String> {
        use_context::<http::request::Parts>().and_then(|parts| session::token_from_headers(&parts.headers))
    }

    /// Refuses the call unless it carries a live session. Returns the state and the token.
    pub async fn require_auth() -> Result<(AppState, String), AppError> {
        let state = state()?;
        let token = session_token().ok_or_else(AppError::unauthenticated)?;
        if !crate::domain::auth::session_is_valid(&state, &token).await? {
            return Err(AppError::unauthenticated());
        }
        Ok((state, token))
    }

    pub fn set_cookie(value: String) {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                opts.append_header(http::header::SET_COOKIE, v);
            }
        }
    }

    /// Logs the cause of an internal failure on the server (never with secrets: domain errors
    /// carry no secret values) and returns a message for the person. The raw cause (paths, SQL)
    /// stays in the log, which the reference finds; the browser gets only the context.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> AppError {
        let reference = format!("{:08x}", rand::random::<u32>());
        tracing::error!(reference, "{context}: {err}");
        AppError::internal(internal_message(context, &reference))
    }

    /// A server-side problem the person can act on (a full disk, a storage path the server may
    /// not use): a 500 whose sentence is shown, logged under a reference like any server fault.
    pub fn server_problem(sentence: impl std::fmt::Display) -> AppError {
        let reference = format!("{:08x}", rand::random::<u32>());
        let sentence = sentence.to_string();
        tracing::warn!(reference, "{sentence}");
        let mut chars = sentence.trim_end_matches('.').chars();
        let sentence: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        AppError::internal(format!("{sentence}. (Server log reference {reference}.)"))
    }

    pub(crate) fn internal_message(context: &str, reference: &str) -> String {
        let mut chars = context.chars();
        let context: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        format!("{context} on the server. The details are in the server log (reference {reference}).")
    }

    impl From<AuthError> for AppError {
        fn from(e: AuthError) -> Self {
            match &e {
                AuthError::AlreadySetUp => AppError::new(ErrorKind::Conflict, e.to_string()),
                AuthError::NotSetUp => AppError::new(ErrorKind::Conflict, e.to_string()),
                AuthError::BadNewPassword(_) => AppError::invalid("new_password", e.to_string()),
                AuthError::WrongCredentials => AppError::new(ErrorKind::WrongCredentials, e.to_string()),
                AuthError::Locked { .. } => AppError::new(ErrorKind::Locked, e.to_string()),
                AuthError::Unauthenticated => AppError::unauthenticated(),
                AuthError::Totp(_) => AppError::invalid("code", e.to_string()),
                AuthError::Secret(s) => secret_error(s),
                AuthError::Db(db) => internal("database error", db),
                AuthError::Internal(m) => internal("internal error", m),
            }
        }
    }

    fn secret_error(e: &SecretError) -> AppError {
        match e {
            SecretError::Locked => AppError::new(ErrorKind::Conflict, e.to_string()),
            _ => internal("secret handling failed", e),
        }
    }

    impl From<SecretError> for AppError {
        fn from(e: SecretError) -> Self {
            secret_error(&e)
        }
    }

    impl From<crate::validate::Invalid> for AppError {
        fn from(e: crate::validate::Invalid) -> Self {
            AppError::invalid(e.field, e.message)
        }
    }

    impl From<crate::domain::settings::SettingsError> for AppError {
        fn from(e: crate::domain::settings::SettingsError) -> Self {
            use crate::domain::settings::SettingsError as E;
            match e {
                E::Invalid(i) => i.into(),
                E::Secret(s) => s.into(),
                E::Db(db) => db.into(),
            }
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(e: sqlx::Error) -> Self {
            internal("database error", e)
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod error_tests {
    #[test]
    fn unexpected_failures_reach_the_browser_without_their_cause() {
        let e = super::ssr::internal("database error", "error returned from database: (code: 1) no such table: /srv/tt/secret.db");
        assert_eq!(e.kind, crate::error::ErrorKind::Internal);
        assert!(e.message.starts_with("Database error on the server. The details are in the server log (reference "), "{}", e.message);
        assert!(!e.message.contains("no such table") && !e.message.contains("/srv"), "{}", e.message);
    }
}

/// docs/api.md documents every server function: each `endpoint = "…"` declared in this folder
/// appears there as `/api/…`.
#[cfg(all(test, feature = "ssr"))]
mod docs_tests {
    #[test]
    fn every_endpoint_is_documented() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let docs = std::fs::read_to_string(root.join("../docs/api.md")).expect("docs/api.md");
        let mut endpoints = Vec::new();
        for entry in std::fs::read_dir(root.join("src/api")).expect("src/api") {
            let path = entry.expect("entry").path();
            if path.ends_with("mod.rs") {
                continue; // this test's own text
            }
            let source = std::fs::read_to_string(path).expect("source");
            for part in source.split("endpoint = \"").skip(1) {
                endpoints.push(part.split('"').next().unwrap_or_default().to_string());
            }
        }
        assert!(endpoints.len() > 40, "found only {} endpoints", endpoints.len());
        let missing: Vec<&String> = endpoints.iter().filter(|e| !docs.contains(&format!("/api/{e}"))).collect();
        assert!(missing.is_empty(), "not in docs/api.md: {missing:?}");
    }
}
