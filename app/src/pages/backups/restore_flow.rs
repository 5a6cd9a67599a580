//! The restore flow's state and its transitions, in plain Rust. The restore section holds one
//! `RwSignal<RestoreFlow>`, reads it through memos and calls these methods; what needs the
//! browser (focus, file reading, requests) stays in the component, and the methods return what
//! it has to do next. The source itself (upload or stored backup) is the page's `restore_source`
//! signal, because the History section chooses it too.

use super::Source;
use crate::api::backup::RestoreStoredBackup;
use crate::api::locations::RestoreFromLocation;
use crate::backup_format::FileKind;
use crate::browser::Preview;
use crate::components::FormError;
use crate::model::backup::{RestoreReport, TotpChoice, TotpFate};
use crate::rules;
use leptos::prelude::*;

/// Where an uploaded file is in its preview. A stored backup is read on the server and stays at
/// `Choose`.
// One value in the page's state: boxing the preview would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) enum Step {
    #[default]
    Choose,
    NeedPassword,
    /// Decrypting in the browser; the fraction done.
    Decrypting(f64),
    Ready(Preview),
}

/// Which app made the chosen upload, known once its first bytes were read: it decides how a
/// .ttbak is decrypted and what the preview says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MadeBy {
    ThisApp,
    /// The original Tracker Tracker (the Node.js app).
    Original,
}

/// A dry run or a restore in flight (one at a time: the buttons wait for it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Request {
    pub dry_run: bool,
    /// How much of the upload is sent (0 to 1); None for a stored backup, which is not uploaded.
    pub upload: Option<f64>,
    /// Whether the answer moves the focus (not for a re-check after the two-factor choice
    /// changed: the focus stays on that choice).
    pub move_focus: bool,
}

impl Request {
    pub fn label(self) -> &'static str {
        if self.dry_run {
            "Checking the backup…"
        } else {
            "Restoring…"
        }
    }
}

/// What the component does once a dry run or a restore answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// The dry-run report is shown; `focus`: it takes the focus.
    Checked { focus: bool },
    /// The restore is done: its result takes the focus and the page reloads what it shows.
    Restored,
    /// The error is shown; the id of the element that takes the focus.
    Failed(&'static str),
}

/// Everything the restore section shows, but the text typed in its fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct RestoreFlow {
    pub step: Step,
    /// Which app made the upload; None until its first bytes were read (and for a stored backup).
    pub made_by: Option<MadeBy>,
    /// The last dry run's report: what "Restore now" does.
    pub dry_run: Option<RestoreReport>,
    /// The finished restore's report (with its undo point).
    pub result: Option<RestoreReport>,
    pub request: Option<Request>,
    pub error: Option<FormError>,
    /// A short sentence for screen readers after each step (the result itself takes the focus).
    pub announce: String,
    /// What to do about two-factor login; sent with the dry run and the restore.
    pub totp_choice: TotpChoice,
    /// An undo repeats the 2FA choice of the restore it undoes (taken: the earlier 2FA comes
    /// back); taken by the next [`RestoreFlow::chosen`].
    undo_choice: Option<TotpChoice>,
}

/// The id of the element that shows an error about no field shown now.
pub(super) const ERROR_ID: &str = "restore-error";

impl RestoreFlow {
    /// A source was chosen (a file picked, or a stored backup from the History): what belonged
    /// to the previous one goes. A request in flight keeps running (its answer still lands),
    /// but its upload bar goes until it reports again.
    pub fn chosen(&mut self) {
        let request = self.request.map(|r| Request { upload: None, ..r });
        let totp_choice = self.undo_choice.take().unwrap_or_default();
        *self = RestoreFlow { request, totp_choice, ..RestoreFlow::default() };
    }

    /// The chosen file is a .ttbak (of this app or of the original): its password opens the
    /// preview.
    pub fn needs_password(&mut self, made_by: MadeBy) {
        self.made_by = Some(made_by);
        self.step = Step::NeedPassword;
    }

    /// Starts decrypting the preview with `password`, or refuses an empty one.
    pub fn begin_decrypt(&mut self, password: &str) -> Result<(), FormError> {
        self.error = None;
        if password.is_empty() {
            return Err(FormError::at("backup_password", "Enter the backup password of this file."));
        }
        self.step = Step::Decrypting(0.0);
        Ok(())
    }

    pub fn decrypting(&mut self, fraction: f64) {
        self.step = Step::Decrypting(fraction);
    }

    /// The person cancelled the decryption: the password form comes back, as it was.
    pub fn decrypt_cancelled(&mut self) {
        if matches!(self.step, Step::Decrypting(_)) {
            self.step = Step::NeedPassword;
        }
    }

    /// Decrypting failed (a wrong password, a damaged file): the password form comes back with
    /// the error. Returns the id of the element that takes the focus.
    pub fn decrypt_failed(&mut self, e: FormError, source: Option<&Source>) -> &'static str {
        self.step = Step::NeedPassword;
        self.fail(e, source)
    }

    /// The preview was read (a plain file) or decrypted and checked (a .ttbak).
    pub fn previewed(&mut self, preview: Preview) {
        let made_by = match preview {
            Preview::Native(_) => MadeBy::ThisApp,
            Preview::Original(_) => MadeBy::Original,
        };
        self.announce = match (made_by, preview.kind()) {
            (MadeBy::ThisApp, FileKind::Plain) => "The backup was read: what it holds is shown below.",
            (MadeBy::ThisApp, FileKind::Encrypted) => "The backup was decrypted and checked: what it holds is shown below.",
            (MadeBy::Original, FileKind::Plain) => "A backup of the original Tracker Tracker was read: what its manifest says is shown below.",
            (MadeBy::Original, FileKind::Encrypted) => {
                "A backup of the original Tracker Tracker was decrypted and checked: what its manifest says is shown below."
            }
        }
        .into();
        self.made_by = Some(made_by);
        self.step = Step::Ready(preview);
    }

    /// The upload was made by the original app (its secrets are sealed under that app's
    /// login password, which the page then asks about).
    pub fn made_by_original(&self) -> bool {
        self.made_by == Some(MadeBy::Original)
    }

    /// Shows an error. Returns the id of the element that takes the focus: its field when one
    /// is shown now, else the general error.
    pub fn fail(&mut self, e: FormError, source: Option<&Source>) -> &'static str {
        self.error = Some(e);
        self.announce.clear();
        self.error_input(source).unwrap_or(ERROR_ID)
    }

    /// Starts a dry run or a restore from `source`, or refuses it before anything is sent: no
    /// current password, or a file larger than the upload limit.
    pub fn begin(&mut self, source: &Source, dry_run: bool, move_focus: bool, current_password: &str, upload_limit: u64) -> Result<(), FormError> {
        self.error = None;
        if current_password.is_empty() {
            return Err(FormError::at("current_password", "Enter your current login password."));
        }
        let upload = match source {
            Source::Upload(p) => {
                // A file's size is a whole number of bytes; `as` saturates, it cannot wrap.
                let size = p.size as u64;
                if rules::over_upload_limit(size, upload_limit) {
                    return Err(FormError::general(rules::TooLargeForUpload::File { size, limit: upload_limit }.to_string()));
                }
                Some(0.0)
            }
            Source::Stored { .. } | Source::Remote { .. } => None,
        };
        self.request = Some(Request { dry_run, upload, move_focus });
        Ok(())
    }

    pub fn uploaded(&mut self, fraction: f64) {
        if let Some(r) = &mut self.request {
            r.upload = Some(fraction);
        }
    }

    /// The request in flight answered. None when none was in flight (nothing to show).
    pub fn finished(&mut self, outcome: Result<RestoreReport, FormError>, source: Option<&Source>) -> Option<Answer> {
        let request = self.request.take()?;
        Some(match outcome {
            Ok(report) if request.dry_run => {
                self.dry_run = Some(report);
                self.announce = if request.move_focus {
                    "Dry run done: nothing changed yet. What the restore will do is shown below."
                } else {
                    "Checked again with the two-factor choice: the report below is up to date."
                }
                .into();
                Answer::Checked { focus: request.move_focus }
            }
            Ok(report) => {
                self.dry_run = None;
                self.result = Some(report);
                self.announce = "Restore complete.".into();
                Answer::Restored
            }
            Err(e) => Answer::Failed(self.fail(e, source)),
        })
    }

    /// The two-factor choice changed. Returns whether to check again (a dry run without moving
    /// the focus), so that the report always says what "Restore now" will do.
    pub fn choose_totp(&mut self, choice: TotpChoice) -> bool {
        self.totp_choice = choice;
        self.dry_run.as_ref().is_some_and(|r| r.totp.choice != choice) && self.request.is_none()
    }

    /// "Undo this restore": the next source chosen (the pre-restore copy) starts with the
    /// two-factor choice of the restore it undoes.
    pub fn undo(&mut self, choice: TotpChoice) {
        self.undo_choice = Some(choice);
    }

    /// The input next to which the error is shown, when the error is about a field shown now.
    pub fn error_input(&self, source: Option<&Source>) -> Option<&'static str> {
        let field = self.error.as_ref()?.field.as_deref()?;
        match (field, source) {
            ("current_password", Some(_)) => Some("restore-current-password"),
            ("source_password", Some(_)) => Some("restore-source-password"),
            ("backup_password", Some(Source::Upload(_))) if self.step == Step::NeedPassword => Some("preview-password"),
            ("backup_password", Some(Source::Stored { encrypted: true, .. } | Source::Remote { encrypted: true, .. })) => {
                Some("restore-backup-password")
            }
            _ => None,
        }
    }

    /// Whether the page warns that the backup comes from another instance than `ours`: from the
    /// preview, else from the dry run (a stored backup has no preview).
    pub fn comes_from_another_instance(&self, ours: Option<&str>) -> bool {
        let from_file = match &self.step {
            Step::Ready(p) => p.instance_url(),
            _ => self.dry_run.as_ref().and_then(|d| d.header.instance_url.as_deref()),
        };
        rules::from_another_instance(from_file, ours)
    }

    /// Whether "Check (dry run)" can be pressed: nothing in flight, and an upload previewed.
    pub fn can_check(&self, source: Option<&Source>) -> bool {
        self.request.is_none()
            && match source {
                Some(Source::Upload(_)) => matches!(self.step, Step::Ready(_)),
                Some(Source::Stored { .. } | Source::Remote { .. }) => true,
                None => false,
            }
    }

    /// What taking the backup's two-factor login would do, when that differs from keeping this
    /// instance's: then the page asks (it always warns when the next login would need another
    /// authenticator than the one in use now).
    pub fn take_fate(&self) -> Option<TotpFate> {
        let t = &self.dry_run.as_ref()?.totp;
        let take = if t.choice == TotpChoice::TakeBackup { t.fate } else { t.fate_other_choice };
        let turns_off = t.enabled_now && matches!(take, TotpFate::TurnedOff | TotpFate::TurnedOffNotCarried);
        (take.needs_backup_authenticator() || turns_off).then_some(take)
    }

    /// The report was made with the two-factor choice shown (else "Restore now" waits for the
    /// re-check).
    pub fn report_current(&self) -> bool {
        self.dry_run.as_ref().is_some_and(|r| r.totp.choice == self.totp_choice)
    }
}

/// The text typed in the restore's fields (bound to the inputs, hence signals of their own).
#[derive(Clone, Copy)]
pub(super) struct RestoreInputs {
    pub backup_password: RwSignal<String>,
    pub current_password: RwSignal<String>,
    pub source_password: RwSignal<String>,
    /// "RESTORE", typed to confirm.
    pub confirm: RwSignal<String>,
}

impl RestoreInputs {
    pub fn new() -> Self {
        RestoreInputs {
            backup_password: RwSignal::new(String::new()),
            current_password: RwSignal::new(String::new()),
            source_password: RwSignal::new(String::new()),
            confirm: RwSignal::new(String::new()),
        }
    }

    /// Another source was chosen: its backup password and the confirmation start empty (the
    /// login passwords stay, they are the same for every source).
    pub fn chosen(&self) {
        self.confirm.set(String::new());
        self.backup_password.set(String::new());
    }

    /// The form fields of an upload (the file is sent beside them).
    pub fn upload_fields(&self, dry_run: bool, totp: TotpChoice) -> Vec<(&'static str, String)> {
        vec![
            ("current_password", self.current_password.get_untracked()),
            ("backup_password", self.backup_password.get_untracked()),
            ("source_password", self.source_password.get_untracked()),
            ("totp", totp.key().to_string()),
            ("dry_run", dry_run.to_string()),
        ]
    }

    /// The request for a stored backup; optional passwords left empty are not sent.
    pub fn stored_request(&self, id: i64, dry_run: bool, totp: TotpChoice) -> RestoreStoredBackup {
        RestoreStoredBackup {
            id,
            current_password: self.current_password.get_untracked(),
            backup_password: Some(self.backup_password.get_untracked()).filter(|p| !p.is_empty()),
            source_password: Some(self.source_password.get_untracked()).filter(|p| !p.is_empty()),
            totp: Some(totp.key().to_string()),
            dry_run,
        }
    }

    /// The request for a backup in a location (downloaded there by the server, not uploaded).
    pub fn location_request(&self, location_id: i64, key: String, dry_run: bool, totp: TotpChoice) -> RestoreFromLocation {
        RestoreFromLocation {
            location_id,
            key,
            current_password: self.current_password.get_untracked(),
            backup_password: Some(self.backup_password.get_untracked()).filter(|p| !p.is_empty()),
            source_password: Some(self.source_password.get_untracked()).filter(|p| !p.is_empty()),
            totp: Some(totp.key().to_string()),
            dry_run,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup_format::{Counts, Header};
    use crate::browser::{NativePreview, Picked};
    use crate::model::backup::{PreRestoreBackup, TotpReport};
    use tt_preview::Detected;

    fn header(url: Option<&str>) -> Header {
        let created = chrono::DateTime::parse_from_rfc3339("2026-11-24T03:00:00Z").expect("a valid time").with_timezone(&chrono::Utc);
        Header::new(created, url.map(String::from), Counts::default())
    }

    fn preview(kind: FileKind, url: Option<&str>) -> Preview {
        Preview::Native(NativePreview { kind, header: header(url), chunks_verified: None, timing: None })
    }

    /// A preview of the original app's backup, from the start of such a file.
    fn original(kind: FileKind, url: Option<&str>) -> Preview {
        let url = url.map(|u| format!(r#""instanceUrl":"{u}","#)).unwrap_or_default();
        let start = format!(
            r#"{{"manifest":{{"version":1,"appVersion":"2.8.9",{url}"createdAt":"2026-04-10T03:00:00.123Z","encrypted":false,"counts":{{"trackers":3}}}},"settings":{{"#
        );
        let Ok(Detected::OriginalPlain(mut p)) = tt_preview::original::detect(start.as_bytes(), false) else {
            panic!("the start of an original backup")
        };
        if kind == FileKind::Encrypted {
            p.kind = kind;
            p.decrypted_bytes = Some(4096);
        }
        Preview::Original(p)
    }

    fn report(dry_run: bool, choice: TotpChoice, fate: TotpFate, fate_other_choice: TotpFate, enabled_now: bool) -> RestoreReport {
        RestoreReport {
            dry_run,
            header: header(Some("https://other.example")),
            restored: Vec::new(),
            secrets_kept: 0,
            secrets_cleared: 0,
            cleared: Vec::new(),
            totp_disabled: false,
            totp: TotpReport {
                enabled_now,
                enabled_in_backup: true,
                choice,
                fate,
                fate_other_choice,
                summary: String::new(),
                backup_codes: String::new(),
            },
            settings_changes: Vec::new(),
            disappearing: Vec::new(),
            appearing: Vec::new(),
            same_key: false,
            instance_url_differs: true,
            warnings: Vec::new(),
            pre_restore_backup: (!dry_run).then(|| PreRestoreBackup { id: 7, file_name: "pre.json".into(), encrypted: false }),
            original: None,
        }
    }

    fn unchanged(dry_run: bool) -> RestoreReport {
        report(dry_run, TotpChoice::KeepCurrent, TotpFate::Unchanged, TotpFate::Unchanged, false)
    }

    fn upload(size: f64) -> Source {
        Source::Upload(Picked { name: "backup.json".into(), size })
    }

    fn stored(encrypted: bool) -> Source {
        Source::Stored { id: 3, name: "tracker-tracker-backup-20261124T030000Z.ttbak".into(), encrypted }
    }

    #[test]
    fn an_upload_is_checked_only_once_previewed() {
        let src = upload(100.0);
        let mut flow = RestoreFlow::default();
        flow.chosen();
        assert!(!flow.can_check(Some(&src)));
        flow.previewed(preview(FileKind::Plain, None));
        assert_eq!(flow.announce, "The backup was read: what it holds is shown below.");
        assert!(flow.can_check(Some(&src)));
        assert!(!flow.can_check(None));
        // A stored backup has no preview to wait for.
        assert!(RestoreFlow::default().can_check(Some(&stored(false))));
    }

    #[test]
    fn an_encrypted_preview_asks_for_its_password_first() {
        let src = upload(100.0);
        let mut flow = RestoreFlow::default();
        flow.needs_password(MadeBy::ThisApp);
        let empty = flow.begin_decrypt("").unwrap_err();
        assert_eq!(flow.fail(empty, Some(&src)), "preview-password");
        assert_eq!(flow.step, Step::NeedPassword);
        flow.begin_decrypt("secret password").expect("a password was typed");
        assert_eq!(flow.error, None, "a new attempt clears the old error");
        flow.decrypting(0.5);
        assert_eq!(flow.step, Step::Decrypting(0.5));
        let wrong = FormError::at("backup_password", "The backup password is wrong, or the file is damaged.");
        assert_eq!(flow.decrypt_failed(wrong, Some(&src)), "preview-password");
        assert_eq!(flow.step, Step::NeedPassword);
        flow.previewed(preview(FileKind::Encrypted, None));
        assert_eq!(flow.announce, "The backup was decrypted and checked: what it holds is shown below.");
        assert!(matches!(flow.step, Step::Ready(_)));
    }

    #[test]
    fn errors_sit_next_to_the_field_shown() {
        let mut flow = RestoreFlow::default();
        let at = |f: &str| FormError::at(f, "x");
        assert_eq!(flow.fail(at("current_password"), Some(&stored(false))), "restore-current-password");
        assert_eq!(flow.fail(at("source_password"), Some(&upload(1.0))), "restore-source-password");
        // A stored plain backup shows no backup-password field; an encrypted one does.
        assert_eq!(flow.fail(at("backup_password"), Some(&stored(false))), ERROR_ID);
        assert_eq!(flow.fail(at("backup_password"), Some(&stored(true))), "restore-backup-password");
        // An upload shows its password field only while it asks for it.
        assert_eq!(flow.fail(at("backup_password"), Some(&upload(1.0))), ERROR_ID);
        assert_eq!(flow.fail(FormError::general("x"), Some(&upload(1.0))), ERROR_ID);
        assert_eq!(flow.fail(at("current_password"), None), ERROR_ID);
        assert!(flow.announce.is_empty(), "an error clears the last announcement");
    }

    #[test]
    fn a_backup_in_a_location_is_checked_on_the_server_whatever_its_size() {
        let remote = |encrypted| Source::Remote {
            location_id: 1,
            location_name: "B2".into(),
            key: "tt/tracker-tracker-backup-20261201T030000Z.ttbak".into(),
            name: "tracker-tracker-backup-20261201T030000Z.ttbak".into(),
            encrypted,
        };
        let mut flow = RestoreFlow::default();
        assert!(flow.can_check(Some(&remote(true))), "no preview in the browser: the server reads it");
        // The upload limit is for uploads: the location's object is downloaded by the server.
        flow.begin(&remote(true), true, true, "pw", 1).expect("no size check for a remote backup");
        assert_eq!(flow.request.map(|r| r.upload), Some(None));
        assert!(!flow.can_check(Some(&remote(true))), "one request at a time");
        let at = |f: &str| FormError::at(f, "x");
        assert_eq!(flow.fail(at("backup_password"), Some(&remote(true))), "restore-backup-password");
        assert_eq!(flow.fail(at("backup_password"), Some(&remote(false))), ERROR_ID);
    }

    #[test]
    fn a_request_needs_the_current_password_and_a_file_within_the_limit() {
        let mut flow = RestoreFlow::default();
        let e = flow.begin(&upload(10.0), true, true, "", 100).unwrap_err();
        assert_eq!(e, FormError::at("current_password", "Enter your current login password."));
        assert_eq!(flow.request, None);
        let e = flow.begin(&upload(2048.0), true, true, "pw", 1024).unwrap_err();
        assert_eq!(e.field, None);
        assert_eq!(e.message, rules::TooLargeForUpload::File { size: 2048, limit: 1024 }.to_string());
        assert_eq!(flow.request, None);
        flow.begin(&upload(1024.0), true, true, "pw", 1024).expect("at the limit is allowed");
        assert_eq!(flow.request, Some(Request { dry_run: true, upload: Some(0.0), move_focus: true }));
        flow.uploaded(0.25);
        assert_eq!(flow.request.map(|r| r.upload), Some(Some(0.25)));
        assert_eq!(flow.request.map(Request::label), Some("Checking the backup…"));
        let mut flow = RestoreFlow::default();
        flow.begin(&stored(false), false, true, "pw", 0).expect("a stored backup is not uploaded: no limit");
        assert_eq!(flow.request, Some(Request { dry_run: false, upload: None, move_focus: true }));
        assert_eq!(flow.request.map(Request::label), Some("Restoring…"));
    }

    #[test]
    fn dry_run_then_restore_then_undo() {
        let src = stored(false);
        let mut flow = RestoreFlow::default();
        flow.chosen();
        assert_eq!(flow.finished(Ok(unchanged(true)), Some(&src)), None, "no request was in flight");
        flow.begin(&src, true, true, "pw", 0).expect("valid");
        assert_eq!(flow.finished(Ok(unchanged(true)), Some(&src)), Some(Answer::Checked { focus: true }));
        assert_eq!(flow.announce, "Dry run done: nothing changed yet. What the restore will do is shown below.");
        assert!(flow.report_current());
        assert_eq!(flow.request, None);

        flow.begin(&src, false, true, "pw", 0).expect("valid");
        assert!(flow.dry_run.is_some(), "the report stays while the restore runs");
        assert_eq!(flow.finished(Ok(unchanged(false)), Some(&src)), Some(Answer::Restored));
        assert_eq!(flow.announce, "Restore complete.");
        assert_eq!(flow.dry_run, None);
        assert!(flow.result.is_some());

        flow.undo(TotpChoice::TakeBackup);
        flow.chosen();
        assert_eq!(flow.totp_choice, TotpChoice::TakeBackup, "the undo repeats the restore's choice");
        assert_eq!(flow.result, None);
        flow.chosen();
        assert_eq!(flow.totp_choice, TotpChoice::KeepCurrent, "only once");
    }

    #[test]
    fn a_failed_request_keeps_the_report() {
        let src = upload(10.0);
        let mut flow = RestoreFlow { step: Step::Ready(preview(FileKind::Plain, None)), ..RestoreFlow::default() };
        flow.begin(&src, true, true, "pw", 100).expect("valid");
        flow.finished(Ok(unchanged(true)), Some(&src));
        flow.begin(&src, false, true, "pw", 100).expect("valid");
        let answer = flow.finished(Err(FormError::at("source_password", "wrong")), Some(&src));
        assert_eq!(answer, Some(Answer::Failed("restore-source-password")));
        assert!(flow.dry_run.is_some());
        assert!(flow.announce.is_empty());
    }

    #[test]
    fn changing_the_totp_choice_checks_again_without_moving_the_focus() {
        let src = stored(false);
        let mut flow = RestoreFlow::default();
        assert!(!flow.choose_totp(TotpChoice::TakeBackup), "no report yet: nothing to check again");
        flow.choose_totp(TotpChoice::KeepCurrent);
        flow.begin(&src, true, true, "pw", 0).expect("valid");
        flow.finished(Ok(report(true, TotpChoice::KeepCurrent, TotpFate::Unchanged, TotpFate::Replaced, true)), Some(&src));
        assert_eq!(flow.take_fate(), Some(TotpFate::Replaced));
        assert!(!flow.choose_totp(TotpChoice::KeepCurrent), "the same choice as the report's");
        assert!(flow.choose_totp(TotpChoice::TakeBackup));
        assert!(!flow.report_current(), "Restore now waits for the re-check");
        flow.begin(&src, true, false, "pw", 0).expect("valid");
        assert!(!flow.choose_totp(TotpChoice::KeepCurrent), "not while a check is in flight");
        flow.choose_totp(TotpChoice::TakeBackup);
        let answer = flow.finished(Ok(report(true, TotpChoice::TakeBackup, TotpFate::Replaced, TotpFate::Unchanged, true)), Some(&src));
        assert_eq!(answer, Some(Answer::Checked { focus: false }));
        assert_eq!(flow.announce, "Checked again with the two-factor choice: the report below is up to date.");
        assert!(flow.report_current());
    }

    #[test]
    fn the_totp_question_is_asked_only_when_taking_matters() {
        let with = |choice, fate, other, enabled_now| RestoreFlow {
            dry_run: Some(report(true, choice, fate, other, enabled_now)),
            ..RestoreFlow::default()
        };
        assert_eq!(with(TotpChoice::KeepCurrent, TotpFate::Unchanged, TotpFate::Unchanged, true).take_fate(), None);
        assert_eq!(with(TotpChoice::KeepCurrent, TotpFate::Unchanged, TotpFate::TurnedOn, false).take_fate(), Some(TotpFate::TurnedOn));
        // Turning off matters only when it is on now.
        assert_eq!(with(TotpChoice::KeepCurrent, TotpFate::Unchanged, TotpFate::TurnedOff, true).take_fate(), Some(TotpFate::TurnedOff));
        assert_eq!(with(TotpChoice::KeepCurrent, TotpFate::Unchanged, TotpFate::TurnedOff, false).take_fate(), None);
        // With "take" chosen, the fate of the report is the one of taking.
        assert_eq!(
            with(TotpChoice::TakeBackup, TotpFate::TurnedOffNotCarried, TotpFate::Unchanged, true).take_fate(),
            Some(TotpFate::TurnedOffNotCarried)
        );
        assert_eq!(RestoreFlow::default().take_fate(), None);
    }

    #[test]
    fn another_instance_from_the_preview_or_the_report() {
        let ours = Some("https://tt.example");
        let mut flow = RestoreFlow { step: Step::Ready(preview(FileKind::Plain, Some("https://tt.example/"))), ..RestoreFlow::default() };
        assert!(!flow.comes_from_another_instance(ours));
        flow.step = Step::Ready(preview(FileKind::Plain, None));
        assert!(!flow.comes_from_another_instance(ours), "a backup that records no URL");
        flow.step = Step::Ready(preview(FileKind::Plain, Some("https://other.example")));
        assert!(flow.comes_from_another_instance(ours));
        // A stored backup: the dry run's header tells.
        let flow = RestoreFlow { dry_run: Some(unchanged(true)), ..RestoreFlow::default() };
        assert!(flow.comes_from_another_instance(ours));
        assert!(!RestoreFlow::default().comes_from_another_instance(ours));
    }

    #[test]
    fn choosing_another_source_keeps_a_request_in_flight() {
        let src = upload(10.0);
        let mut flow = RestoreFlow { step: Step::Ready(preview(FileKind::Plain, None)), ..RestoreFlow::default() };
        flow.begin(&src, true, true, "pw", 100).expect("valid");
        flow.uploaded(0.5);
        flow.fail(FormError::general("x"), Some(&src));
        flow.chosen();
        assert_eq!(flow.step, Step::Choose);
        assert_eq!(flow.error, None);
        assert_eq!(flow.request, Some(Request { dry_run: true, upload: None, move_focus: true }));
        assert!(!flow.can_check(Some(&src)));
    }

    #[test]
    fn an_original_json_is_ready_at_once_with_its_manifest() {
        let src = upload(100.0);
        let mut flow = RestoreFlow::default();
        flow.chosen();
        assert_eq!(flow.made_by, None);
        flow.previewed(original(FileKind::Plain, Some("https://tt.example.org")));
        assert_eq!(flow.made_by, Some(MadeBy::Original));
        assert!(flow.made_by_original());
        assert_eq!(flow.announce, "A backup of the original Tracker Tracker was read: what its manifest says is shown below.");
        let Step::Ready(Preview::Original(p)) = &flow.step else { panic!("the original's preview is shown") };
        assert_eq!(p.manifest.app_version.as_deref(), Some("2.8.9"));
        assert!(flow.can_check(Some(&src)), "the dry run uploads it as it does a native file");
    }

    #[test]
    fn an_original_ttbak_asks_for_its_password_then_shows_its_manifest() {
        let src = upload(100.0);
        let mut flow = RestoreFlow::default();
        flow.chosen();
        flow.needs_password(MadeBy::Original);
        assert_eq!(flow.step, Step::NeedPassword);
        assert!(flow.made_by_original(), "the password opens the original's envelope");
        assert!(!flow.can_check(Some(&src)), "nothing is uploaded before the preview");
        flow.begin_decrypt("wrong").expect("a password was typed");
        flow.decrypting(0.25);
        let wrong = FormError::at("backup_password", "The backup password is wrong: …");
        assert_eq!(flow.decrypt_failed(wrong, Some(&src)), "preview-password");
        assert_eq!(flow.step, Step::NeedPassword);
        assert!(flow.made_by_original(), "a second attempt decrypts the same kind of file");
        assert!(!flow.can_check(Some(&src)));
        flow.begin_decrypt("right").expect("a password was typed");
        assert_eq!(flow.error, None);
        flow.previewed(original(FileKind::Encrypted, None));
        assert_eq!(flow.announce, "A backup of the original Tracker Tracker was decrypted and checked: what its manifest says is shown below.");
        assert!(matches!(&flow.step, Step::Ready(Preview::Original(p)) if p.decrypted_bytes == Some(4096)));
        assert!(flow.can_check(Some(&src)));
    }

    #[test]
    fn choosing_another_file_forgets_which_app_made_the_last() {
        let mut flow = RestoreFlow::default();
        flow.needs_password(MadeBy::Original);
        flow.chosen();
        assert_eq!(flow.made_by, None);
        assert_eq!(flow.step, Step::Choose);
        flow.previewed(preview(FileKind::Plain, None));
        assert_eq!(flow.made_by, Some(MadeBy::ThisApp));
        assert!(!flow.made_by_original());
    }

    #[test]
    fn another_instance_from_the_originals_manifest() {
        let ours = Some("https://tt.example");
        let mut flow = RestoreFlow { step: Step::Ready(original(FileKind::Plain, Some("https://tt.example/"))), ..RestoreFlow::default() };
        assert!(!flow.comes_from_another_instance(ours), "an original at the same URL");
        flow.step = Step::Ready(original(FileKind::Plain, Some("https://old.example")));
        assert!(flow.comes_from_another_instance(ours));
        flow.step = Step::Ready(original(FileKind::Encrypted, None));
        assert!(!flow.comes_from_another_instance(ours), "before 2.0.2 the original recorded no URL");
    }
}
