//! The one error type that crosses the network. Domain modules have their own `thiserror` enums;
//! each is mapped to an `AppError` once, at the server-function boundary (see `domain::*::into_app`
//! implementations in `api/`), with a message a person can act on.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Not logged in (or the session expired).
    Unauthenticated,
    /// Input was refused; `field` names the form field when there is one.
    Invalid,
    /// A password or code was wrong.
    WrongCredentials,
    /// A state-changing request sent by a page of another site (refused before it runs).
    Forbidden,
    /// Too many failed logins.
    Locked,
    NotFound,
    /// The request conflicts with the current state (e.g. setup already done).
    Conflict,
    /// An upload over the configured size limit.
    TooLarge,
    /// An outside service (a notification target's server) failed or could not be reached.
    Upstream,
    /// Something failed on the server; the message says what.
    Internal,
    /// The browser could not reach the server or read its answer.
    Network,
}

impl ErrorKind {
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Invalid => 400,
            ErrorKind::WrongCredentials | ErrorKind::Forbidden => 403,
            ErrorKind::Locked => 429,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::TooLarge => 413,
            ErrorKind::Upstream => 502,
            ErrorKind::Internal | ErrorKind::Network => 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    /// The input field the message is about, for inline form errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let err = AppError { kind, message: message.into(), field: None };
        err.set_http_status();
        err
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut err = AppError::new(ErrorKind::Invalid, message);
        err.field = Some(field.into());
        err
    }

    pub fn unauthenticated() -> Self {
        AppError::new(ErrorKind::Unauthenticated, "You are not logged in, or your session has expired. Log in again.")
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AppError::new(ErrorKind::Internal, message)
    }

    /// On the server, answer with a matching HTTP status so API clients (curl) see 400/401/…,
    /// not a bare 500. Outside a request (tests, jobs) this does nothing.
    fn set_http_status(&self) {
        #[cfg(feature = "ssr")]
        if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(code) = http::StatusCode::from_u16(self.kind.http_status()) {
                opts.set_status(code);
            }
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let (kind, message) = match value {
            ServerFnErrorErr::Request(e) => {
                (ErrorKind::Network, format!("Could not reach the Tracker Tracker server ({e}). Check that it is running."))
            }
            // On the server, a body that cannot be decoded is the caller's mistake (400); in the
            // browser it is the server's answer that could not be read.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(e) => (ErrorKind::Invalid, format!("The request could not be read: {e}")),
            #[cfg(not(feature = "ssr"))]
            ServerFnErrorErr::Deserialization(e) => (ErrorKind::Network, format!("The server's answer could not be read ({e}).")),
            ServerFnErrorErr::Response(e) => (ErrorKind::Network, format!("The server's answer could not be read ({e}).")),
            ServerFnErrorErr::Args(e) => (ErrorKind::Invalid, format!("The request was malformed: {e}")),
            ServerFnErrorErr::MissingArg(e) => (ErrorKind::Invalid, format!("A required field is missing: {e}")),
            ServerFnErrorErr::Serialization(e) => (ErrorKind::Internal, format!("Could not encode the request: {e}")),
            ServerFnErrorErr::ServerError(e) => (ErrorKind::Internal, e),
            ServerFnErrorErr::MiddlewareError(e) => (ErrorKind::Internal, e),
            ServerFnErrorErr::Registration(e) => (ErrorKind::Internal, format!("Server function not registered: {e}")),
            ServerFnErrorErr::UnsupportedRequestMethod(e) => (ErrorKind::Invalid, format!("Unsupported request: {e}")),
        };
        // Through `new`, so a request that could not be decoded answers 400, not 500.
        AppError::new(kind, message)
    }
}

pub type AppResult<T> = Result<T, AppError>;
