//! Tidy checks on the crate's own source: no floats, no I/O, no clock, no threads.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_floats_io_clock_or_threads_in_billing_src() {
    // The directory cargo runs the test in (a test binary reused from another checkout
    // through a shared target directory must still read this checkout's sources).
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(!files.is_empty());
    let banned = [
        "f32",
        "f64",
        "std::fs",
        "std::net",
        "std::thread",
        "std::time",
        "std::env",
        "::now(",
        "SystemTime",
        "std::process",
    ];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for word in banned {
            for (n, line) in text.lines().enumerate() {
                let has = if word.starts_with('f') {
                    line.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                        .any(|t| t == word)
                } else {
                    line.contains(word)
                };
                assert!(!has, "{}:{}: banned `{word}`: {line}", f.display(), n + 1);
            }
        }
    }
}

#[test]
fn data_files_hold_no_float_literals() {
    // Every number with a decimal point must be a quoted string.
    for (name, text) in billing::data::BUILTIN_FILES {
        for (n, line) in text.lines().enumerate() {
            let code = line.split('#').next().unwrap_or("");
            if let Some((_, value)) = code.split_once('=') {
                let v = value.trim();
                let bare_decimal = v
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == '-')
                    && v.contains('.')
                    && !v.contains('"');
                assert!(!bare_decimal, "{name}:{}: float literal: {line}", n + 1);
            }
        }
    }
}

#[test]
fn shipped_fpa_and_qta_decisions_exempt_lifeline() {
    // BILLING-RULES 3.2: FPA and QTA exclude lifeline consumers. Every shipped entry states
    // its exempt_bands (the loader refuses one that does not) and none drops lifeline.
    let mut seen = 0;
    for (name, text) in billing::data::BUILTIN_FILES
        .iter()
        .chain(billing::data::ILLUSTRATIVE_FILES)
    {
        let doc: toml::Value = toml::from_str(text).unwrap();
        for kind in ["fpa", "qta"] {
            let Some(entries) = doc.get(kind).and_then(|v| v.as_array()) else {
                continue;
            };
            for e in entries {
                let key = e
                    .get("fuel_month")
                    .or_else(|| e.get("quarter"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("?");
                let bands = e
                    .get("exempt_bands")
                    .and_then(|v| v.as_array())
                    .unwrap_or_else(|| panic!("{name}: [[{kind}]] {key} has no exempt_bands"));
                assert!(
                    bands.iter().any(|b| b.as_str() == Some("lifeline")),
                    "{name}: [[{kind}]] {key} does not exempt lifeline: {bands:?}"
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 20, "{seen} entries");
}
