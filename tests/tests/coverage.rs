//! Spec drift: every operation of `openapi/jelou.yaml` is in the generated table, and has
//! what `spec_conformance.rs` needs to cover it with no case of its own: a success example and,
//! for a body, a request example. The per-operation behaviour tests of `generated_client.rs`
//! and `ext_client.rs` are extra, never required.

use std::collections::BTreeSet;

use jelou_conformance::spec_operations;

fn spec_ids() -> BTreeSet<String> {
    spec_operations().into_iter().map(|(id, ..)| id).collect()
}

#[test]
fn every_operation_has_the_examples_the_spec_driven_suite_needs() {
    let mut missing = Vec::new();
    for operation in jelou_client::OPERATIONS {
        let success = operation
            .responses
            .iter()
            .any(|response| response.status.starts_with('2') && response.example.is_some());
        if !success {
            missing.push(format!("{}: a success example", operation.id));
        }
        if let Some(body) = &operation.body
            && body.example.is_none()
        {
            missing.push(format!("{}: a request body example", operation.id));
        }
    }
    assert!(missing.is_empty(), "openapi/jelou.yaml lacks: {missing:?}");
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
