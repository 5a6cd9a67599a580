//! Benchmark (not a test): builds the generator's 1M-snapshot instance, then exports it (plain
//! and encrypted) and restores each export into a fresh instance, printing time, file size and
//! peak memory (VmHWM, reset between phases) for each step.
//!
//! Run: cargo bench -p server --bench backup   (env BENCH_TRACKERS / BENCH_YEARS to resize)

use app::domain::backup::{export::export, restore};
use server::generate::{generate, Options};
use std::time::Instant;
use zeroize::Zeroizing;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

fn current_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Resets the peak-RSS counter so the next phase reports its own peak.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn phase<T>(name: &str, f: impl std::future::Future<Output = T>) -> T {
    reset_peak();
    let before = current_rss_mib();
    let t = Instant::now();
    let out = f.await;
    println!("{name:<34} {:>8.2} s   peak RSS {:>7.1} MiB (at start {:>6.1} MiB)", t.elapsed().as_secs_f64(), peak_rss_mib(), before);
    out
}

#[tokio::main]
async fn main() {
    let trackers: u32 = std::env::var("BENCH_TRACKERS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let years: f64 = std::env::var("BENCH_YEARS").ok().and_then(|v| v.parse().ok()).unwrap_or(3.0);
    let (src, src_dir) = app::domain::testing_state().await;
    let opts = Options { trackers, years, clients: 3, client_days: 30, password: String::new(), seed: 42 };
    let report = phase("generate", generate(&src, &opts)).await.expect("generate");
    let snaps = report.rows.iter().find(|(t, _)| *t == "tracker_snapshots").map(|r| r.1).unwrap_or(0);
    println!("instance: {snaps} tracker snapshots, {} rows in all", report.rows.iter().map(|r| r.1).sum::<u64>());

    let plain_path = src_dir.path().join("bench.json");
    let enc_path = src_dir.path().join("bench.ttbak");
    for (path, pw) in [(&plain_path, None), (&enc_path, Some("bench backup password"))] {
        let file = tokio::fs::File::create(path).await.expect("create");
        let mut out: Box<dyn tokio::io::AsyncWrite + Send + Unpin> = Box::new(file);
        let label = if pw.is_some() { "export encrypted (.ttbak)" } else { "export plain (.json)" };
        let summary = phase(label, export(&src, pw.map(|p| Zeroizing::new(p.to_string())), chrono::Utc::now(), &mut out)).await.expect("export");
        tokio::io::AsyncWriteExt::shutdown(&mut out).await.expect("flush");
        println!("{:<34} {:>8.1} MiB", "  file size", summary.size as f64 / 1048576.0);
    }
    for (path, pw) in [(&plain_path, None), (&enc_path, Some("bench backup password"))] {
        let (dst, _dst_dir) = app::domain::testing_state().await;
        let req = |dry_run| restore::RestoreRequest {
            file: path.clone(),
            current_password: Zeroizing::new("test password 123".into()),
            backup_password: pw.map(|p: &str| Zeroizing::new(p.to_string())),
            source_password: None,
            totp: Default::default(),
            dry_run,
        };
        let kind = if pw.is_some() { "encrypted" } else { "plain" };
        phase(&format!("dry run {kind}"), restore::restore(&dst, req(true))).await.expect("dry run");
        let r = phase(&format!("restore {kind} (fresh instance)"), restore::restore(&dst, req(false))).await.expect("restore");
        let n = r.restored.iter().find(|c| c.section == "tracker_snapshots").map(|c| c.count).unwrap_or(0);
        assert_eq!(n, snaps);
    }
}
