//! The files of `src/process/` form a tree of imports: no file uses a file that uses it back
//! (directly or through others).
//!
//! The check reads the source: every path in code (not in comments, not in a file's unit-test
//! module) that starts with `crate::process::`, `super::`, `self::` or the name of a child
//! module is resolved to the file that defines what it names, following re-exports (`pub use`)
//! to the defining file. A cycle in the resulting graph fails the test, naming the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path inside `process` (`[]` is `process/mod.rs`, `["pool", "state"]` is
/// `process/pool/state.rs`).
type Module = Vec<String>;

/// Reads every `.rs` file under `dir` as (module path, source).
fn read_tree(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
    for entry in std::fs::read_dir(dir).expect("read src/process") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut sub = prefix.to_vec();
            sub.push(name);
            read_tree(&path, &sub, out);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let mut module = prefix.to_vec();
            if stem != "mod" {
                module.push(stem.to_owned());
            }
            out.insert(module, std::fs::read_to_string(&path).expect("read source"));
        }
    }
}

/// The code of a file: without comments and without its `#[cfg(test)] mod tests`.
fn code_of(source: &str) -> String {
    let mut code = String::new();
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        let line = match line.find(" //") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    code
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Parses the path tree starting at `at` (after a `::`): `a::b`, `{a, b::c, self}`, `*`.
/// Appends every full path (as segments after `prefix`) to `out`; returns where it ended.
fn parse_tail(
    code: &[char],
    mut at: usize,
    prefix: &[String],
    out: &mut Vec<Vec<String>>,
) -> usize {
    let skip_ws = |at: &mut usize| {
        while *at < code.len() && code[*at].is_whitespace() {
            *at += 1;
        }
    };
    skip_ws(&mut at);
    if at < code.len() && code[at] == '{' {
        at += 1;
        loop {
            skip_ws(&mut at);
            if at >= code.len() || code[at] == '}' {
                return at + 1;
            }
            if code[at] == ',' {
                at += 1;
                continue;
            }
            at = parse_tail(code, at, prefix, out);
            // An `as name` rename.
            skip_ws(&mut at);
            if code[at..].starts_with(&['a', 's', ' ']) {
                at += 3;
                skip_ws(&mut at);
                while at < code.len() && is_ident(code[at]) {
                    at += 1;
                }
            }
        }
    }
    let start = at;
    while at < code.len() && is_ident(code[at]) {
        at += 1;
    }
    if start == at {
        // `*` or something else: the prefix itself is what is named.
        out.push(prefix.to_vec());
        return at + usize::from(at < code.len() && code[at] == '*');
    }
    let mut path = prefix.to_vec();
    path.push(code[start..at].iter().collect());
    if code[at..].starts_with(&[':', ':']) {
        return parse_tail(code, at + 2, &path, out);
    }
    out.push(path);
    at
}

/// Every path in `code` that may name something of `process`: `crate::process::…`, `super::…`,
/// `self::…`, or `child::…` for a child module `child` of `module`.
fn paths_in(code: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        if !is_ident(chars[at]) || (at > 0 && (is_ident(chars[at - 1]) || chars[at - 1] == ':')) {
            at += 1;
            continue;
        }
        let start = at;
        while at < chars.len() && is_ident(chars[at]) {
            at += 1;
        }
        let word: String = chars[start..at].iter().collect();
        if !chars[at..].starts_with(&[':', ':']) {
            continue;
        }
        if word == "crate" || word == "super" || word == "self" || children.contains(&word) {
            at = parse_tail(&chars, at + 2, &[word], &mut out);
        }
    }
    out
}

/// The file a path used in `from` names: the deepest module it walks into, or, for an item
/// that module only re-exports, the module it comes from.
fn resolve(
    modules: &BTreeMap<Module, String>,
    from: &Module,
    path: &[String],
    depth: usize,
) -> Option<Module> {
    let mut base: Module;
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            if rest.get(1).map(String::as_str) != Some("process") {
                return None;
            }
            base = Vec::new();
            rest = &rest[2..];
        }
        Some("super") => {
            base = from.clone();
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        Some("self") => {
            base = from.clone();
            rest = &rest[1..];
        }
        _ => base = from.clone(),
    }
    while let Some(seg) = rest.first() {
        let mut next = base.clone();
        next.push(seg.clone());
        if !modules.contains_key(&next) {
            break;
        }
        base = next;
        rest = &rest[1..];
    }
    let Some(item) = rest.first() else {
        return Some(base);
    };
    if depth > 8 || item == "self" {
        return Some(base);
    }
    // An item the module does not define but imports: follow the import.
    let code = code_of(&modules[&base]);
    let defines = [
        "struct",
        "enum",
        "fn",
        "trait",
        "type",
        "const",
        "static",
        "mod",
        "macro_rules!",
    ]
    .iter()
    .any(|kw| code.contains(&format!("{kw} {item}")));
    if defines {
        return Some(base);
    }
    let children = children_of(modules, &base);
    for used in paths_in(&code, &children) {
        if used.last() == Some(item) {
            if let Some(target) = resolve(modules, &base, &used, depth + 1) {
                return Some(target);
            }
        }
    }
    Some(base)
}

fn children_of(modules: &BTreeMap<Module, String>, module: &Module) -> BTreeSet<String> {
    modules
        .keys()
        .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        .map(|m| m.last().unwrap().clone())
        .collect()
}

/// Which files each file imports.
fn import_graph(modules: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut graph = BTreeMap::new();
    for (module, source) in modules {
        let children = children_of(modules, module);
        let mut edges = BTreeSet::new();
        for path in paths_in(&code_of(source), &children) {
            if let Some(target) = resolve(modules, module, &path, 0) {
                if &target != module {
                    edges.insert(target);
                }
            }
        }
        graph.insert(module.clone(), edges);
    }
    graph
}

/// A cycle in the graph, as the list of its files, if there is one.
fn find_cycle(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        node: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        stack: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = stack.iter().position(|m| m == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

fn file_name(module: &Module) -> String {
    if module.is_empty() {
        "process/mod.rs".into()
    } else {
        format!("process/{}.rs", module.join("/"))
    }
}

fn modules(files: &[(&str, &str)]) -> BTreeMap<Module, String> {
    files
        .iter()
        .map(|(path, src)| {
            let module = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            (module, (*src).to_owned())
        })
        .collect()
}

#[test]
fn no_file_of_process_imports_a_file_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/process");
    let mut tree = BTreeMap::new();
    read_tree(&root, &[], &mut tree);
    assert!(
        tree.len() > 10,
        "read {} files under {}",
        tree.len(),
        root.display()
    );
    let graph = import_graph(&tree);
    // The check sees the real imports (a parser that saw none would find no cycle either).
    let m = |s: &str| -> Module {
        s.split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    for (from, to) in [
        ("pool/worker", "pool/state"),
        ("dispatch", "env"),
        ("pool", "pool/job"),
        ("task", "data"),
    ] {
        assert!(
            graph[&m(from)].contains(&m(to)),
            "{} should import {}: {:?}",
            file_name(&m(from)),
            file_name(&m(to)),
            graph[&m(from)]
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        let names: Vec<String> = cycle.iter().map(file_name).collect();
        panic!("an import cycle: {}", names.join(" -> "));
    }
    // The pool's public face is at the top of its tree: nothing below it imports it.
    let pool = vec!["pool".to_owned()];
    for (module, edges) in &graph {
        assert!(
            !(module.starts_with(&pool) && module != &pool && edges.contains(&pool)),
            "{} imports process/pool/mod.rs",
            file_name(module)
        );
    }
}

#[test]
fn the_check_sees_cycles_through_uses_inline_paths_and_re_exports() {
    // `a` uses `b` by a `use` line, `b` reaches `a` through an inline path: a cycle.
    let direct = modules(&[
        ("", "mod a;\nmod b;\n"),
        ("a", "use super::b::B;\npub(crate) struct A;\n"),
        (
            "b",
            "pub(crate) struct B;\nfn f() { super::a::helper(); }\n",
        ),
    ]);
    let cycle = find_cycle(&import_graph(&direct)).expect("a -> b -> a");
    assert_eq!(cycle.len(), 3, "{cycle:?}");

    // `c` names `super::D`, which `mod.rs` only re-exports from `d`; `d` uses `c`.
    let through_re_export = modules(&[
        ("", "mod c;\nmod d;\npub use d::D;\n"),
        (
            "c",
            "// a comment naming super::nothing\npub(crate) fn c(_: super::D) {}\n",
        ),
        ("d", "use crate::process::c::c;\npub struct D;\n"),
    ]);
    let cycle = find_cycle(&import_graph(&through_re_export)).expect("c -> d -> c");
    assert!(
        !cycle.contains(&Vec::new()),
        "mod.rs is not part of it: {cycle:?}"
    );

    // A child module named by a relative path, and a tree with no cycle at all.
    let tree = modules(&[
        ("", "mod p;\n"),
        (
            "p",
            "mod q;\nmod r;\nuse q::{Q, self};\nfn f() { r::g(); }\n",
        ),
        ("p/q", "use super::r::R;\npub(crate) struct Q;\n"),
        ("p/r", "pub(crate) struct R;\npub(crate) fn g() {}\n"),
    ]);
    let graph = import_graph(&tree);
    assert_eq!(find_cycle(&graph), None);
    let p = vec!["p".to_owned()];
    assert_eq!(graph[&p].len(), 2, "{graph:?}");
}
