//! `tt-wasm-split <frontend.wasm> <pkg dir> <output name>`: splits the linked browser bundle
//! (built with `--emit-relocs`) at its `#[lazy]` functions, with the options cargo-leptos 0.3
//! uses, so Leptos finds what it expects:
//! - `<pkg dir>/<output name>_split.wasm`: the main module, still to go through wasm-bindgen
//!   (with `--keep-lld-exports`, which the chunks link against);
//! - `<pkg dir>/<chunk>.wasm`: one module per lazy function, and per set of them sharing code;
//! - `<pkg dir>/__wasm_split.______________________.js`: the loader, importing
//!   `./<output name>.js` (wasm-bindgen's output);
//! - `<pkg dir>/__wasm_split_manifest.json`: lazy function → chunks to fetch, which the server's
//!   `HydrationScripts` reads to preload a page's chunks.
//!
//! Prints the chunk files it wrote, one per line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == ["--version"] {
        println!("tt-wasm-split {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let [input, pkg_dir, output_name] = args.as_slice() else {
        eprintln!("usage: tt-wasm-split <frontend.wasm> <pkg dir> <output name>");
        return ExitCode::from(2);
    };
    match split(Path::new(input), Path::new(pkg_dir), output_name) {
        Ok(chunks) => {
            for c in chunks {
                println!("{}", c.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tt-wasm-split: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn split(input: &Path, pkg_dir: &Path, output_name: &str) -> Result<Vec<PathBuf>, String> {
    let wasm = std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let main_out = pkg_dir.join(format!("{output_name}_split.wasm"));
    let main_module = format!("./{output_name}.js");
    let mut opts = wasm_split_cli_support::Options::new(&wasm);
    opts.output_dir = pkg_dir;
    opts.main_out_path = &main_out;
    opts.main_module = &main_module;
    // The name Leptos's HydrationScripts preloads when files are not hashed.
    opts.link_name = "./__wasm_split.______________________.js";
    let out = wasm_split_cli_support::transform(opts).map_err(|e| format!("{e:#}"))?;
    let manifest = serde_json::to_string_pretty(&out.prefetch_map).map_err(|e| e.to_string())?;
    let manifest_path = pkg_dir.join("__wasm_split_manifest.json");
    std::fs::write(&manifest_path, manifest).map_err(|e| format!("cannot write {}: {e}", manifest_path.display()))?;
    Ok(out.split_modules)
}
