use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthStatus {
    pub set_up: bool,
    pub logged_in: bool,
    /// The login form asks for a code.
    pub totp_required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityOverview {
    pub totp_enabled: bool,
    pub backup_codes_left: usize,
    pub settings: SecuritySettings,
}

/// Session and lockout settings (Settings → Security).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecuritySettings {
    pub session_timeout_minutes: i64,
    pub lockout_threshold: i64,
    pub lockout_minutes: i64,
}

impl SecuritySettings {
    pub fn validate(&self) -> Result<(), crate::validate::Invalid> {
        use crate::validate::int_range;
        int_range("session_timeout_minutes", "Session timeout (minutes)", self.session_timeout_minutes, 5, 43_200)?;
        int_range("lockout_threshold", "Failed attempts before lockout", self.lockout_threshold, 1, 100)?;
        int_range("lockout_minutes", "Lockout duration (minutes)", self.lockout_minutes, 1, 1_440)?;
        Ok(())
    }
}

/// Shown once while enrolling two-factor login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    pub otpauth_uri: String,
    pub secret_base32: String,
    pub qr_svg: String,
}
