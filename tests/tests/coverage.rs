//! Spec drift: an operation added to `openapi/jelou.yaml` fails the suite until both clients
//! have a conformance case for it, named after its operationId; `jelou-ext` sends every
//! operation of the generated table (`Jelou::send`), so nothing is asked of it by hand.

use std::collections::BTreeSet;

use jelou_conformance::spec_operations;

/// The per-operation suites, read as text: a case for `op` is a test named `op_…`.
const SUITES: [(&str, &str); 2] = [
    (
        "tests/generated_client.rs",
        include_str!("generated_client.rs"),
    ),
    ("tests/ext_client.rs", include_str!("ext_client.rs")),
];

fn spec_ids() -> BTreeSet<String> {
    spec_operations().into_iter().map(|(id, ..)| id).collect()
}

/// The operationIds of `ids` that no `#[tokio::test]` in `source` is named after.
fn uncovered(ids: &BTreeSet<String>, source: &str) -> Vec<String> {
    let lines: Vec<&str> = source.lines().map(str::trim).collect();
    let tests: Vec<&str> = lines
        .windows(2)
        .filter(|pair| pair[0] == "#[tokio::test]")
        .filter_map(|pair| pair[1].strip_prefix("async fn "))
        .collect();
    ids.iter()
        .filter(|id| !tests.iter().any(|name| name.starts_with(&format!("{id}_"))))
        .cloned()
        .collect()
}

#[test]
fn every_operation_in_the_spec_has_a_case_for_both_clients() {
    let ids = spec_ids();
    assert_eq!(ids.len(), 10, "the spec's operations: {ids:?}");
    for (suite, source) in SUITES {
        let missing = uncovered(&ids, source);
        assert!(
            missing.is_empty(),
            "operations in openapi/jelou.yaml without a case in {suite}: {missing:?} (add a test named <operationId>_…)"
        );
    }
}

#[test]
fn the_generated_operation_table_holds_every_operation_of_the_spec() {
    let table: BTreeSet<String> = jelou_client::OPERATIONS
        .iter()
        .map(|op| op.id.to_owned())
        .collect();
    assert_eq!(table, spec_ids());
    for (id, method, path) in spec_operations() {
        let op = jelou_client::operation_spec(&id).expect("in the table");
        assert_eq!(op.method, method.to_uppercase(), "{id}");
        assert_eq!(op.path, path, "{id}");
    }
}

#[test]
fn a_missing_case_is_reported() {
    let ids: BTreeSet<String> = ["cache_get", "user_get"].map(String::from).into();
    let source = "#[tokio::test]\nasync fn cache_get_reads() {}\n\nfn user_get_helper() {}\n";
    assert_eq!(uncovered(&ids, source), ["user_get"]);
}
