//! The backup file formats, shared by the server and the browser (see docs/backup-format.md).
