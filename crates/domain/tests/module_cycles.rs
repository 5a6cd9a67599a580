//! The domain's modules must depend on each other in one direction: this test reads the sources
//! under `src/`, builds the graph of `crate::…`, `super::…`, `self::…` and child-module paths
//! (a module is a file: `backup/run.rs` is `backup::run`, `backup/mod.rs` is `backup`), and fails
//! naming every cycle. Test code (`#[cfg(test)]` items, `tests.rs`, `*_tests.rs`) may import
//! anything and is left out. A path to an item a module re-exports (`pub use state::AppState` in
//! lib.rs) counts as a dependency on the module that defines it, not on the re-exporter.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

type Module = Vec<String>;

#[test]
fn domain_modules_have_no_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = BTreeMap::new();
    collect(&src, &src, &mut sources);
    let cycles = cycles(&graph(&sources));
    assert!(cycles.is_empty(), "the domain's modules import each other in a circle:\n{}", cycles.join("\n"));
}

/// A test of the checker itself, on a made-up crate with one cycle and one re-export.
#[test]
fn the_checker_finds_a_cycle_and_follows_re_exports() {
    let files = [
        ("", "pub mod a; pub mod b; pub use a::Thing;"),
        ("a", "use crate::b::f; #[cfg(test)] mod tests { use crate::*; } // crate::c::x"),
        ("b", "use crate::Thing; fn f() -> &'static str { \"{ crate::c }\" }"),
    ];
    let sources = files.iter().map(|(m, s)| (path_of(m), s.to_string())).collect();
    assert_eq!(cycles(&graph(&sources)), vec!["a → b → a (all 2 modules in this circle: a, b)".to_string()]);
}

fn path_of(m: &str) -> Module {
    m.split("::").filter(|s| !s.is_empty()).map(String::from).collect()
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<Module, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(root, &p, out);
            continue;
        }
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if p.extension().is_none_or(|e| e != "rs") || name == "tests" || name.ends_with("_tests") {
            continue;
        }
        let rel = p.strip_prefix(root).expect("under src").with_extension("");
        let mut m: Module = rel.iter().map(|s| s.to_string_lossy().to_string()).collect();
        if matches!(m.last().map(String::as_str), Some("lib" | "mod")) {
            m.pop();
        }
        out.insert(m, std::fs::read_to_string(&p).expect("read source"));
    }
}

/// The code without comments, string and char literals, and `#[cfg(test)]` items.
fn code_only(s: &str) -> String {
    let (b, mut out, mut i) = (s.as_bytes(), String::new(), 0);
    while i < b.len() {
        let rest = &s[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |n| n + 2);
        } else if let Some(hashes) = rest.strip_prefix('r').and_then(|r| r.find('"').filter(|&n| r[..n].bytes().all(|c| c == b'#'))) {
            let close = format!("\"{}", "#".repeat(hashes));
            i += 2 + hashes + rest[2 + hashes..].find(&close).map_or(rest.len(), |n| n + close.len());
        } else if b[i] == b'"' || (b[i] == b'\'' && (rest.get(2..3) == Some("'") || rest.starts_with("'\\"))) {
            let q = b[i];
            i += 1;
            while i < b.len() && b[i] != q {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if rest.starts_with("#[cfg(test)]") {
            // Skip the item: up to its `;`, or its `{ … }` block.
            i += "#[cfg(test)]".len();
            let mut depth = 0;
            while i < b.len() {
                match b[i] {
                    b';' if depth == 0 => break,
                    b'{' => depth += 1,
                    b'}' if depth == 1 => break,
                    b'}' => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            i += 1;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Every path in `code` that starts at `crate`, `super`, `self` or one of `children`, as its
/// segments (a `{a, b::c}` group gives one path per leaf).
fn paths(code: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let tokens: Vec<&str> = code.split_inclusive(|c: char| !(c.is_alphanumeric() || c == '_')).flat_map(split_token).collect();
    let mut found = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let starts = matches!(*t, "crate" | "super" | "self") || children.contains(*t);
        let after_path = i > 0 && tokens[i - 1] == ":";
        if starts && !after_path && tokens.get(i + 1) == Some(&":") && tokens.get(i + 2) == Some(&":") {
            tree(&tokens, i, vec![], &mut found);
        }
    }
    found
}

fn split_token(t: &str) -> Vec<&str> {
    let last = t.chars().last().filter(|c| !(c.is_alphanumeric() || *c == '_'));
    let n = t.len() - last.map_or(0, char::len_utf8);
    [&t[..n], &t[n..]].into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// Reads `a::b::{c, d::e}` from `tokens[i]`, pushing each leaf path; returns where it stopped.
fn tree(tokens: &[&str], mut i: usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    loop {
        match tokens.get(i) {
            Some(&"{") => {
                i += 1;
                while tokens.get(i).is_some_and(|t| *t != "}") {
                    i = tree(tokens, i, prefix.clone(), out);
                    if tokens.get(i) == Some(&",") {
                        i += 1;
                    }
                }
                return i + 1;
            }
            Some(t) if t.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                prefix.push(t.to_string());
                i += 1;
                if tokens.get(i) == Some(&":") && tokens.get(i + 1) == Some(&":") {
                    i += 2;
                    continue;
                }
                out.push(prefix);
                return i;
            }
            _ => {
                out.push(prefix);
                return i;
            }
        }
    }
}

fn graph(sources: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let code: BTreeMap<&Module, String> = sources.iter().map(|(m, s)| (m, code_only(s))).collect();
    let children = |m: &Module| -> BTreeSet<String> {
        sources.keys().filter(|k| k.len() == m.len() + 1 && k.starts_with(m)).filter_map(|k| k.last().cloned()).collect()
    };
    // From a module and a path in it, the module the path names (the longest known prefix).
    let resolve = |from: &Module, path: &[String]| -> (Module, Vec<String>) {
        let mut at = from.clone();
        let mut rest = path;
        match rest.first().map(String::as_str) {
            Some("crate") => (at, rest) = (vec![], &rest[1..]),
            Some("self") => rest = &rest[1..],
            _ => {}
        }
        while rest.first().is_some_and(|s| s == "super") {
            at.pop();
            rest = &rest[1..];
        }
        while let Some(next) = rest.first().filter(|s| sources.contains_key(&[at.clone(), vec![s.to_string()]].concat())) {
            at.push(next.clone());
            rest = &rest[1..];
        }
        (at, rest.to_vec())
    };
    // `pub use path::Name;` makes `module::Name` a path into the module that defines Name.
    let mut reexports: BTreeMap<(Module, String), Module> = BTreeMap::new();
    for (m, c) in &code {
        for (at, _) in c.match_indices("pub use ") {
            let stmt = c[at + "pub use ".len()..].split(';').next().unwrap_or_default();
            for p in paths(&format!("self::{stmt}"), &BTreeSet::new()) {
                if let Some(name) = p.last().filter(|n| n.as_str() != "self" && n.as_str() != "*") {
                    reexports.insert(((*m).clone(), name.clone()), resolve(m, &p).0);
                }
            }
        }
    }
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, c) in &code {
        let to = edges.entry((*m).clone()).or_default();
        for p in paths(c, &children(m)) {
            let (target, rest) = resolve(m, &p);
            let target = rest.first().and_then(|n| reexports.get(&(target.clone(), n.clone()))).cloned().unwrap_or(target);
            if target != **m {
                to.insert(target);
            }
        }
    }
    edges
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// One cycle per group of modules that reach each other, as `a → b → a`.
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    // The shortest path from `from` to `to` (breadth first), without `from` itself.
    let path = |from: &Module, to: &Module| -> Option<Vec<Module>> {
        let mut back: BTreeMap<Module, Module> = BTreeMap::new();
        let mut queue = VecDeque::from([from.clone()]);
        while let Some(m) = queue.pop_front() {
            for n in edges.get(&m).into_iter().flatten() {
                if back.contains_key(n) {
                    continue;
                }
                back.insert(n.clone(), m.clone());
                if n == to {
                    let mut p = vec![n.clone()];
                    while p.last() != Some(from) || p.len() == 1 {
                        p.push(back[p.last().expect("non-empty")].clone());
                    }
                    p.reverse();
                    return Some(p);
                }
                queue.push_back(n.clone());
            }
        }
        None
    };
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for m in edges.keys() {
        if seen.contains(m) {
            continue;
        }
        if let Some(cycle) = path(m, m) {
            let group: BTreeSet<Module> = edges.keys().filter(|n| path(m, n).is_some() && path(n, m).is_some()).cloned().collect();
            let group_names: Vec<String> = group.iter().map(name).collect();
            found.push(format!(
                "{} (all {} modules in this circle: {})",
                cycle.iter().map(name).collect::<Vec<_>>().join(" → "),
                group.len(),
                group_names.join(", ")
            ));
            seen.extend(group);
        }
    }
    found
}
