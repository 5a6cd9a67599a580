//! The wasm splitter (scripts/build.sh) needs the linker's relocations to move functions into
//! the lazy chunks; set here, for this crate's link only, so the dependencies' builds (and their
//! cache) stay as they are.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg=--emit-relocs");
    }
}
