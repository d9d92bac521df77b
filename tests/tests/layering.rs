//! Dependencies between our crates point one way: billing <- storage <- query <- server,
//! server -> clients, and clients may use only billing. Read from `cargo metadata`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

#[test]
fn crate_dependencies_point_one_way() {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(format!("{}/..", manifest_dir()))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let ours: BTreeSet<&str> = [
        "billing", "storage", "query", "server", "clients", "benches", "tests",
    ]
    .into();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in meta["packages"].as_array().expect("packages") {
        let name = p["name"].as_str().unwrap_or_default().to_string();
        let set = deps.entry(name).or_default();
        for d in p["dependencies"].as_array().expect("dependencies") {
            // Only normal (non-dev) edges define the architecture.
            if d["kind"].is_null() {
                let dn = d["name"].as_str().unwrap_or_default();
                if ours.contains(dn) {
                    set.insert(dn.to_string());
                }
            }
        }
    }
    let allowed: BTreeMap<&str, BTreeSet<&str>> = [
        ("billing", BTreeSet::new()),
        ("storage", ["billing"].into()),
        ("query", ["billing", "storage"].into()),
        ("server", ["billing", "storage", "query", "clients"].into()),
        ("clients", ["billing"].into()),
        ("benches", ["billing", "storage", "query"].into()),
        ("tests", BTreeSet::new()),
    ]
    .into();
    for (krate, have) in &deps {
        let ok = allowed
            .get(krate.as_str())
            .unwrap_or_else(|| panic!("unexpected crate {krate}"));
        for d in have {
            assert!(
                ok.contains(d.as_str()),
                "forbidden dependency edge: {krate} -> {d}"
            );
        }
    }
    for k in ["billing", "storage", "query", "server", "clients"] {
        assert!(deps.contains_key(k), "crate {k} missing from the workspace");
    }
}

#[test]
fn billing_has_no_floats() {
    // Money is exact: no f32/f64 anywhere in the billing crate's sources.
    let dir = format!("{}/../billing/src", manifest_dir());
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("billing/src readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("source readable");
                for (i, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or("");
                    for bad in ["f32", "f64"] {
                        let hit = code.match_indices(bad).any(|(at, _)| {
                            let before = code[..at].chars().last();
                            let after = code[at + 3..].chars().next();
                            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        });
                        assert!(
                            !hit,
                            "{}:{}: float type in billing: {line}",
                            p.display(),
                            i + 1
                        );
                    }
                }
            }
        }
    }
}

/// This checkout's `tests/` directory, as cargo gives it when running the test (a binary
/// reused from another checkout through a shared target directory still reads this one).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}
