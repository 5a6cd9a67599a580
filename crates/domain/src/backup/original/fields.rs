//! The original's fields that have no home here (the fixed list the report and
//! docs/import-original.md give), and this app's field names back to the original's, so a
//! refusal names the field as it is written in the original's file.

/// One known field of the original that is not carried.
pub struct NotCarried {
    pub section: &'static str,
    pub field: &'static str,
    pub fate: &'static str,
}

const fn nc(section: &'static str, field: &'static str, fate: &'static str) -> NotCarried {
    NotCarried { section, field, fate }
}

/// Every known field of the original that this app does not keep, with what happens to it.
/// A record "has a value" in it when it differs from the original's default (counted in the report).
pub const NOT_CARRIED: &[NotCarried] = &[
    nc("settings", "encryptionSalt", "used once to open the original's secrets; never stored here"),
    nc("settings", "username", "not carried: this app has no login user name"),
    nc("settings", "storeUsernames", "not carried: this app always keeps the user names that snapshots report"),
    nc("settings", "autoWipeThreshold", "not carried: the original itself removed it in 1.11.1"),
    nc("settings", "lockoutEnabled", "not carried: lockout is always on here; when it was off, the threshold becomes 100 attempts"),
    nc("settings", "lockedUntil", "not carried: a lockout in progress on the old instance (the original's restore reset it too)"),
    nc("settings", "qbitmanageEnabled", "not carried: this app has no qbitmanage integration"),
    nc("settings", "qbitmanageTags", "not carried: this app has no qbitmanage integration"),
    nc("settings", "draftQuicklinks", "not carried: this app has no dashboard quick links"),
    nc("settings", "dashboardSettings", "not carried: the dashboard layout here is its own"),
    nc("settings", "encryptedPtpimgApiKey", "not carried (a secret): this app has no image-host uploads"),
    nc("settings", "encryptedOeimgApiKey", "not carried (a secret): this app has no image-host uploads"),
    nc("settings", "encryptedImgbbApiKey", "not carried (a secret): this app has no image-host uploads"),
    nc("trackers", "platformMeta", "not carried: platform-specific data the original cached"),
    nc("trackers", "mouseholeUrl", "not carried: no MAM mousehole helper here"),
    nc("trackers", "avatarData", "not carried: a cache of the tracker's avatar"),
    nc("trackers", "avatarMimeType", "not carried: a cache of the tracker's avatar"),
    nc("trackers", "avatarCachedAt", "not carried: a cache of the tracker's avatar"),
    nc("trackers", "avatarRemoteUrl", "not carried: a cache of the tracker's avatar"),
    nc("trackers", "hideUnreadBadges", "not carried: no unread badges here"),
    nc("downloadClients", "errorSince", "not carried: runtime state, found again at the next poll"),
    nc("tagGroups", "createdAt", "not carried: tag groups keep no dates here"),
    nc("tagGroups", "updatedAt", "not carried: tag groups keep no dates here"),
    nc(
        "clientSnapshots",
        "tagStats",
        "not carried when it is not the original's per-tag list ([{tag, seedingCount, leechingCount, uploadSpeed, downloadSpeed}]): that snapshot has no per-tag figures here",
    ),
    nc(
        "clientSnapshots",
        "tagStats.uploadSpeed",
        "not carried: no per-tag speeds here (the snapshot keeps the client's total upload speed); tag and counts are carried",
    ),
    nc(
        "clientSnapshots",
        "tagStats.downloadSpeed",
        "not carried: no per-tag speeds here (the snapshot keeps the client's total download speed); tag and counts are carried",
    ),
    nc("dismissedAlerts", "alertType", "not carried: alerts are keyed by alertKey alone here"),
    nc("notificationTargets", "includeTrackerName", "not carried: messages here always name the tracker"),
];

/// snake_case → camelCase (most of this app's field names are the original's in snake case).
pub fn camel(field: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in field.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

pub fn tracker(field: &str) -> String {
    match field {
        "platform" => "platformType".into(),
        "client_tag" => "qbtTag".into(),
        other => camel(other),
    }
}

pub fn snapshot(field: &str) -> String {
    match field {
        "seed_bonus" => "seedbonus".into(),
        "group_name" => "group".into(),
        other => camel(other),
    }
}

pub fn role(field: &str) -> String {
    camel(field)
}

pub fn client(field: &str) -> String {
    match field {
        "client_type" => "type".into(),
        "use_tls" => "useSsl".into(),
        other => camel(other),
    }
}

pub fn client_snapshot(field: &str) -> String {
    match field {
        "seeding_count" => "totalSeedingCount".into(),
        "leeching_count" => "totalLeechingCount".into(),
        "upload_speed_bps" => "uploadSpeedBytes".into(),
        "download_speed_bps" => "downloadSpeedBytes".into(),
        other => camel(other),
    }
}

pub fn target(field: &str) -> String {
    match field {
        "target_type" => "type".into(),
        "tracker_ids" => "scope".into(),
        "ratio_drop" => "thresholds.ratioDropDelta".into(),
        "buffer_milestone_gib" => "thresholds.bufferMilestoneBytes".into(),
        other => camel(other),
    }
}

pub fn settings(field: &str) -> String {
    match field {
        "poll_interval_minutes" => "trackerPollIntervalMinutes".into(),
        "frequency" => "backupScheduleFrequency".into(),
        "retention_count" => "backupRetentionCount".into(),
        "storage_path" => "backupStoragePath".into(),
        "backup_password" => "encryptedBackupPassword".into(),
        other => camel(other),
    }
}
