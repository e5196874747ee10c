//! The bundled policies against the documents they cite: the finding ids the code can raise
//! against the table of `docs/report.md`, so the contract cannot drift from the catalog.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use fipsprobe::policy::finding_catalog;

/// The finding ids listed in the table of `docs/report.md` (rows starting with a backticked id).
fn documented_finding_ids() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let table = text
        .split_once("| finding id | raised when |")
        .map(|(_, rest)| rest)
        .expect("docs/report.md has the finding id table");
    table
        .lines()
        .skip(2) // the rest of the header line and the |---| line
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect()
}

#[test]
fn docs_report_lists_exactly_the_finding_ids_of_the_catalog() {
    let documented = documented_finding_ids();
    let catalog: Vec<String> = finding_catalog()
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(
        documented, catalog,
        "docs/report.md's finding table must list the catalog's ids, in its order"
    );
}
