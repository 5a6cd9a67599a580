//! The emergency kit: after a backup password is set or changed, a text file made in this
//! browser from what was typed (the server never sends the password back) that says what the
//! password opens and how to restore with it.

use crate::model::backup::BackupOverview;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// What the kit is made from: the password as typed, and this instance as saved.
#[derive(Clone, PartialEq)]
pub(super) struct Kit {
    password: String,
    instance_url: Option<String>,
    storage_path: Option<String>,
    encrypt: bool,
    made_at: DateTime<Utc>,
}

impl Kit {
    pub(super) fn new(password: String, saved: &BackupOverview) -> Kit {
        Kit {
            password,
            instance_url: saved.instance_url.clone().or_else(crate::browser::page_origin),
            storage_path: saved.settings.storage_path.clone(),
            encrypt: saved.settings.encrypt,
            made_at: Utc::now(),
        }
    }

    pub(super) fn file_name(&self) -> String {
        format!("tracker-tracker-emergency-kit-{}.txt", self.made_at.format("%Y%m%d"))
    }

    /// The text of the file.
    pub(super) fn text(&self) -> String {
        let date = self.made_at.format("%Y-%m-%d %H:%M UTC");
        let instance = self.instance_url.as_deref().unwrap_or("(this instance's address was not recorded)");
        let path = self.storage_path.as_deref().unwrap_or("not set yet");
        let scheduled = if self.encrypt {
            "encrypted: the scheduled backups are .ttbak files"
        } else {
            "off for now: the scheduled backups are plain .json files until “Encrypt backups” is turned on"
        };
        format!(
            "TRACKER TRACKER — EMERGENCY KIT FOR THE BACKUP PASSWORD
=======================================================

Made in the browser on {date}, from the backup password typed in
Settings → Backups of this instance. Keep this file apart from the backups:
print it, or keep it in a password manager. Anyone with this file and a
backup can read the backup.

Instance:         {instance}
Backup password:  {password}
Set on:           {date}
Storage path:     {path} (on the server)
Encryption:       {scheduled}

WHAT THIS PASSWORD OPENS
- The encrypted backups (.ttbak files) of this instance made from {date} on,
  until the backup password is changed again: the scheduled backups written
  to the storage path, the copy saved before each restore, and exports made
  without a one-off password.
- Backups made before with another backup password need that password; an
  export with a one-off password needs that one-off password.
- It is not your login password. Without it nobody can open these backups:
  not you, not the server, not the authors.

HOW TO RESTORE WITH IT
1. Start Tracker Tracker (a fresh install works: see README.md, section
   “Backups”, “Restoring a backup”) and log in; on a fresh install, set a
   login password first.
2. Open Settings → Backups → Restore and choose the .ttbak file. A file too
   large to upload: copy it into the storage directory on the server; it
   appears under “Found in the storage directory”.
3. When asked for the backup password, type the one above: the file is
   decrypted and checked in the browser before anything is uploaded.
4. Type your current login password. On another instance, also type the
   login password this instance had when the backup was made, so that the
   tracker tokens and other stored secrets are carried over.
5. Press “Check (dry run)”, read what will change (settings, records,
   two-factor login), type RESTORE and restore.

On the server you can also check a file with:
  tracker-tracker backup inspect FILE.ttbak --password-file FILE-WITH-THE-PASSWORD
",
            password = self.password,
        )
    }
}

/// The offer under the form: a download link for the kit, made here.
#[component]
pub(super) fn KitOffer(kit: Kit, on_close: Callback<()>) -> impl IntoView {
    let name = kit.file_name();
    let url = crate::browser::text_file_url(&kit.text());
    let href = url.clone();
    on_cleanup(move || {
        if let Some(u) = &url {
            crate::browser::revoke_url(u);
        }
    });
    view! {
        <div class="notice kit" role="status" data-testid="emergency-kit">
            <p><strong>"Save an emergency kit for the new backup password."</strong>
                " A text file made here, in this browser, from what you typed — the server never sends the password back. It says what the password opens and how to restore with it. Keep it apart from the backups: print it, or put it in a password manager."</p>
            <div class="actions">
                {href.map(|h| view! { <a class="btn btn-primary" href=h download=name>"Download the emergency kit"</a> })}
                <button class="btn" type="button" on:click=move |_| on_close.run(())>"Done"</button>
            </div>
        </div>
    }
}
