//! Settings → General: poll interval, snapshot retention, proxy, notification defaults.
