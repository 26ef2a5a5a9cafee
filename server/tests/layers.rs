//! The layer check: imports inside `server/src` point one way, down the table in [`LAYERS`].
//!
//! Every `crate::…` and `super::…` path in every `.rs` file under `server/src` (in `use`
//! lines and inline, as in `crate::service::tables::load(…)`) is mapped, like the file it
//! sits in, to a module of the table by its longest matching prefix. A path to a higher
//! layer fails the test, as do a module missing from the table and a cycle between
//! modules of one layer. It reads files only: no database, and it links nothing but std.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Highest first: a module may use its own layer and those below it, never one above.
/// `lib` is the crate root (`src/lib.rs`), `main` the binary (`src/main.rs`).
const LAYERS: &[(&str, &[&str])] = &[
    // Builds and runs the whole thing; demo is a tool main.rs calls.
    ("wiring", &["lib", "main", "startup", "demo"]),
    // What the outside world talks to: REST handlers, pages, HTTP envelope.
    ("edge", &["api", "ui", "http"]),
    // Logic behind the handlers; auth is who is calling (middleware, principal, sign-in).
    ("service", &["service", "auth"]),
    // AppState: the shared context. It bundles parts of the layers below and hands
    // them narrower contexts (SourceContext, WorkerEnv); nothing below takes it.
    ("context", &["state"]),
    // The work: preview, the watcher, SQL; the sign-in throttle (its hashing queue) is
    // a leaf that state holds, so it sits here rather than with the rest of auth.
    // The background loop: claims due tasks and hands each to its engine.
    ("watcher", &["watcher"]),
    (
        "engines",
        &[
            "preview",
            "sync",
            "realtime",
            "export",
            "query",
            "pipes",
            "auth::throttle",
        ],
    ),
    // Saved connections and their secrets, resolved for preview, sync and service.
    ("sources", &["sources"]),
    // Talking to the outside: catalogs (lakes), store (Postgres), segments (deep store).
    ("backends", &["catalogs", "store", "segments"]),
    // Shapes, settings and errors that everything shares.
    ("foundation", &["model", "config", "error"]),
];

#[test]
fn server_imports_point_down_the_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect_rs(&root.join("src"), &mut files);
    assert!(
        files.len() > 20,
        "found only {} files under src",
        files.len()
    );
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|path| {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (relative, std::fs::read_to_string(path).unwrap())
        })
        .collect();
    let problems = check(&sources);
    assert!(
        problems.is_empty(),
        "imports that break the layer order ({}):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every broken rule in `files` (`(path under server/, source)`), one line each.
fn check(files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    // Edges between different table modules, with one place each is made.
    let mut edges: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for (path, source) in files {
        let Some(module) = module_of_file(path) else {
            problems.push(format!("{path}: not under src/"));
            continue;
        };
        for reference in references(source, &module) {
            let place = format!("{path}:{}", reference.line);
            let from = match table_entry(&reference.from) {
                Some(from) => from,
                None => {
                    problems.push(format!(
                        "{place}: module {} is not in the layer table of tests/layers.rs",
                        display(&reference.from)
                    ));
                    continue;
                }
            };
            let Some(to) = table_entry(&reference.to) else {
                problems.push(format!(
                    "{place}: {} → {}, which is not in the layer table of tests/layers.rs",
                    from,
                    display(&reference.to)
                ));
                continue;
            };
            if from == to {
                continue;
            }
            let (from_rank, from_layer) = layer(from);
            let (to_rank, to_layer) = layer(to);
            if to_rank < from_rank {
                problems.push(format!(
                    "{place}: {from} ({from_layer}) → {to} ({to_layer}) points up"
                ));
            }
            edges.entry((from, to)).or_insert(place);
        }
    }
    // A group use names a module once per item (`ui::{self, page}`): say it once.
    problems.dedup();
    problems.extend(cycles(&edges));
    problems
}

/// Groups of modules that reach one another (only possible within one layer once the
/// upward edges are gone), with one edge of each pair as evidence.
fn cycles(edges: &BTreeMap<(&str, &str), String>) -> Vec<String> {
    let nodes: BTreeSet<&str> = edges.keys().flat_map(|(a, b)| [*a, *b]).collect();
    let reach = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for ((a, b), _) in edges.iter() {
                if *a == node && seen.insert(*b) {
                    stack.push(b);
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&str, BTreeSet<&str>> = nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut reported = BTreeSet::new();
    let mut problems = Vec::new();
    for node in &nodes {
        if reported.contains(node) || !reachable[node].contains(node) {
            continue;
        }
        let group: Vec<&str> = nodes
            .iter()
            .copied()
            .filter(|other| reachable[node].contains(other) && reachable[other].contains(node))
            .collect();
        let evidence: Vec<String> = edges
            .iter()
            .filter(|((a, b), _)| group.contains(a) && group.contains(b))
            .map(|((a, b), place)| format!("{a} → {b} at {place}"))
            .collect();
        problems.push(format!(
            "cycle between {}: {}",
            group.join(", "),
            evidence.join("; ")
        ));
        reported.extend(group);
    }
    problems
}

fn layer(entry: &str) -> (usize, &'static str) {
    LAYERS
        .iter()
        .enumerate()
        .find(|(_, (_, modules))| modules.contains(&entry))
        .map(|(rank, (name, _))| (rank, *name))
        .expect("entries come from the table")
}

/// The table module a path belongs to: the longest entry that is a prefix of it.
fn table_entry(path: &[String]) -> Option<&'static str> {
    if path.is_empty() {
        return Some("lib");
    }
    LAYERS
        .iter()
        .flat_map(|(_, modules)| modules.iter().copied())
        .filter(|entry| {
            let parts: Vec<&str> = entry.split("::").collect();
            parts.len() <= path.len() && parts.iter().zip(path).all(|(a, b)| *a == b)
        })
        .max_by_key(|entry| entry.len())
}

fn display(path: &[String]) -> String {
    if path.is_empty() {
        "crate".into()
    } else {
        path.join("::")
    }
}

/// `src/sync/run.rs` → `sync::run`, `src/sync/mod.rs` → `sync`, `src/lib.rs` → the root.
fn module_of_file(path: &str) -> Option<Vec<String>> {
    let inner = path.replace('\\', "/");
    let inner = inner.strip_prefix("src/")?.strip_suffix(".rs")?;
    match inner {
        "lib" => return Some(vec![]),
        "main" => return Some(vec!["main".into()]),
        _ => {}
    }
    let mut parts: Vec<String> = inner.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    Some(parts)
}

#[derive(Debug)]
struct Reference {
    line: usize,
    /// The module the path is written in (file module plus inline `mod x { … }`).
    from: Vec<String>,
    /// The absolute path it names, without `crate`.
    to: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Every `crate::` and `super::` path in `source`, resolved from `module`.
fn references(source: &str, module: &[String]) -> Vec<Reference> {
    let tokens = tokens(&blank_comments_and_literals(source));
    let mut found = Vec::new();
    // Inline modules: (name, brace depth inside them).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut pending_mod: Option<String> = None;
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let (_, token) = &tokens[i];
        let after_sep = i > 0 && matches!(tokens[i - 1].1, Token::PathSep | Token::Punct('$'));
        let next_is_sep = matches!(tokens.get(i + 1), Some((_, Token::PathSep)));
        match token {
            Token::Punct('{') => {
                depth += 1;
                if let Some(name) = pending_mod.take() {
                    inline.push((name, depth));
                }
            }
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Token::Punct(';') => pending_mod = None,
            Token::Ident(word) if word == "mod" => {
                if let Some((_, Token::Ident(name))) = tokens.get(i + 1) {
                    pending_mod = Some(name.clone());
                    i += 2;
                    continue;
                }
            }
            Token::Ident(word)
                if (word == "crate" || word == "super") && next_is_sep && !after_sep =>
            {
                let mut from: Vec<String> = module.to_vec();
                from.extend(inline.iter().map(|(name, _)| name.clone()));
                let mut base = if word == "crate" {
                    vec![]
                } else {
                    from[..from.len().saturating_sub(1)].to_vec()
                };
                let mut j = i + 2;
                if word == "super" {
                    while let (Some((_, Token::Ident(w))), Some((_, Token::PathSep))) =
                        (tokens.get(j), tokens.get(j + 1))
                    {
                        if w != "super" {
                            break;
                        }
                        base.pop();
                        j += 2;
                    }
                }
                let (paths, end) = use_tree(&tokens, j);
                for (line, path) in paths {
                    let mut to = base.clone();
                    to.extend(path.into_iter().filter(|s| s != "self"));
                    found.push(Reference {
                        line,
                        from: from.clone(),
                        to,
                    });
                }
                i = end.max(i + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The paths of a use tree (or a plain path) starting at `at`: `a::{b, c::d}` →
/// `[a, b]`, `[a, c, d]`, each with the line its last segment is on. Returns where it stopped.
fn use_tree(tokens: &[(usize, Token)], at: usize) -> (Vec<(usize, Vec<String>)>, usize) {
    match tokens.get(at).map(|(_, t)| t) {
        Some(Token::Punct('{')) => {
            let mut paths = Vec::new();
            let mut i = at + 1;
            loop {
                match tokens.get(i).map(|(_, t)| t) {
                    None => return (paths, i),
                    Some(Token::Punct('}')) => return (paths, i + 1),
                    Some(Token::Punct(',')) => i += 1,
                    _ => {
                        let (sub, end) = use_tree(tokens, i);
                        paths.extend(sub);
                        // Skip `as name` and anything else up to the next item.
                        i = end;
                        while let Some((_, t)) = tokens.get(i) {
                            if matches!(t, Token::Punct(',') | Token::Punct('}')) {
                                break;
                            }
                            i += 1;
                        }
                    }
                }
            }
        }
        Some(Token::Ident(segment)) => {
            if matches!(tokens.get(at + 1), Some((_, Token::PathSep))) {
                let (subs, end) = use_tree(tokens, at + 2);
                let paths = subs
                    .into_iter()
                    .map(|(line, sub)| {
                        (line, std::iter::once(segment.clone()).chain(sub).collect())
                    })
                    .collect();
                (paths, end)
            } else {
                (vec![(tokens[at].0, vec![segment.clone()])], at + 1)
            }
        }
        // `*`, `<…>` or the end: the path so far.
        _ => {
            let line = tokens
                .get(at)
                .or(tokens.get(at.wrapping_sub(1)))
                .map_or(0, |t| t.0);
            (vec![(line, vec![])], at)
        }
    }
}

fn tokens(clean: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = clean.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // Raw identifiers (`r#type`) read as the identifier.
            out.push((line, Token::Ident(word)));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push((line, Token::PathSep));
            i += 2;
        } else {
            out.push((line, Token::Punct(c)));
            i += 1;
        }
    }
    out
}

/// The source with comments, strings and char literals blanked (newlines kept), so
/// that only code is searched and line numbers stay right.
fn blank_comments_and_literals(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out: Vec<char> = chars.clone();
    let blank = |out: &mut Vec<char>, from: usize, to: usize| {
        for c in out.iter_mut().take(to.min(chars.len())).skip(from) {
            if *c != '\n' {
                *c = ' ';
            }
        }
    };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = (i..chars.len())
                .find(|&j| chars[j] == '\n')
                .unwrap_or(chars.len());
            blank(&mut out, i, end);
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut level = 0;
            let mut j = i;
            while j < chars.len() {
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    level += 1;
                    j += 2;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    level -= 1;
                    j += 2;
                    if level == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if c == 'r'
            && (i == 0
                || !ident(chars[i - 1])
                || (chars[i - 1] == 'b' && (i < 2 || !ident(chars[i - 2]))))
            && matches!(next, Some('#') | Some('"'))
        {
            let hashes = (i + 1..chars.len())
                .take_while(|&j| chars[j] == '#')
                .count();
            let quote = i + 1 + hashes;
            if chars.get(quote) != Some(&'"') {
                // `r#ident`: a raw identifier, not a string.
                i += 1;
                continue;
            }
            let mut j = quote + 1;
            while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            blank(&mut out, i, j);
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F600}'), or else a lifetime ('a), left as is.
            if next == Some('\\') {
                let end = (i + 2..chars.len())
                    .find(|&j| chars[j] == '\'')
                    .unwrap_or(chars.len());
                blank(&mut out, i, end + 1);
                i = end + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                blank(&mut out, i, i + 3);
                i += 3;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod checker {
    use super::*;

    fn run(files: &[(&str, &str)]) -> Vec<String> {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(p, s)| (p.to_string(), s.to_string()))
            .collect();
        check(&files)
    }

    #[test]
    fn an_upward_use_fails_with_file_line_and_layers() {
        let problems = run(&[(
            "src/error.rs",
            "//! Errors.\n\nuse crate::catalogs::CatalogError;\n",
        )]);
        assert_eq!(
            problems,
            ["src/error.rs:3: error (foundation) → catalogs (backends) points up"]
        );
    }

    #[test]
    fn grouped_uses_and_inline_paths_are_each_checked() {
        let problems = run(&[
            (
                "src/service/tables.rs",
                "use crate::{api::router, model::schema::TableSchema};\nuse crate::{\n    store,\n    ui::{self, page},\n};\n",
            ),
            (
                "src/sync/run.rs",
                "fn f() {\n    let t = crate::service::tables::load(x);\n    crate::store::tables::get();\n}\n",
            ),
        ]);
        assert_eq!(
            problems,
            [
                "src/service/tables.rs:1: service (service) → api (edge) points up",
                "src/service/tables.rs:4: service (service) → ui (edge) points up",
                "src/sync/run.rs:2: sync (engines) → service (service) points up",
            ]
        );
    }

    #[test]
    fn downward_and_internal_paths_pass() {
        let problems = run(&[
            (
                "src/api/catalog.rs",
                "use super::extract::ApiJson;\nuse crate::preview::{self, PreviewRequest};\nuse crate::state::AppState;\n",
            ),
            (
                "src/sync/files.rs",
                "use super::context::RunContext;\nuse crate::sources;\nuse crate::catalogs::{self, Catalog};\n",
            ),
            (
                "src/state.rs",
                "use crate::auth::throttle::SignInThrottle;\n",
            ),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn comments_strings_and_chars_are_not_code() {
        let problems = run(&[(
            "src/model/schema.rs",
            "// use crate::api;\n/* crate::service::x /* nested */ crate::ui */\nconst A: &str = \"crate::api::x\";\nconst B: &str = r#\"crate::\"api\"#;\nconst C: char = '\"';\nfn f<'a>(x: &'a str) {}\n/// Docs: [`crate::startup`].\nconst D: &str = \"crate::ui\";\n",
        )]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn super_is_resolved_from_the_file_and_its_inline_modules() {
        // From a top-level file, `super::` is the crate root's children.
        let up = run(&[("src/state.rs", "fn f() { super::api::router(); }\n")]);
        assert_eq!(
            up,
            ["src/state.rs:1: state (context) → api (edge) points up"]
        );
        // Inside `mod tests`, `super::*` is the file's own module, not its parent.
        let own = run(&[(
            "src/auth/throttle.rs",
            "use crate::config::AuthConfig;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\nfn after() { super::tokens::x(); }\n",
        )]);
        assert_eq!(
            own,
            ["src/auth/throttle.rs:6: auth::throttle (engines) → auth (service) points up"]
        );
    }

    #[test]
    fn modules_missing_from_the_table_fail() {
        let problems = run(&[
            ("src/newthing.rs", "use crate::model::schema;\n"),
            ("src/api/x.rs", "use crate::elsewhere::Y;\n"),
        ]);
        assert_eq!(
            problems,
            [
                "src/newthing.rs:1: module newthing is not in the layer table of tests/layers.rs",
                "src/api/x.rs:1: api → elsewhere::Y, which is not in the layer table of tests/layers.rs",
            ]
        );
    }

    #[test]
    fn a_cycle_within_one_layer_fails() {
        let problems = run(&[
            ("src/model/schema.rs", "use crate::error::ApiError;\n"),
            ("src/error.rs", "use crate::config::Config;\n"),
            ("src/config.rs", "use crate::model::secret::Secret;\n"),
        ]);
        assert_eq!(
            problems,
            [
                "cycle between config, error, model: config → model at src/config.rs:1; \
              error → config at src/error.rs:1; model → error at src/model/schema.rs:1"
            ]
        );
    }
}
