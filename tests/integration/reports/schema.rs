//! `report.json`, validated against `specs/report.schema.json`.

use rc_conform::report::model::FORMAT_VERSION;
use serde_json::{Value, json};

use super::fixture::small_report;
use super::{failing_run, root};

pub(crate) fn report_schema() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("specs/report.schema.json")).expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    assert_eq!(schema["$id"], "rc-conform:report");
    assert_eq!(
        schema["properties"]["format_version"]["const"],
        json!(FORMAT_VERSION)
    );
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("report.schema.json: {e}"))
}

pub(crate) fn violations(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn report_json_validates_against_its_schema() {
    let validator = report_schema();
    let run = failing_run();
    let text = std::fs::read_to_string(run.dir.join("report.json")).expect("report.json");
    let written: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(violations(&validator, &written), Vec::<String>::new());
    let small = serde_json::to_value(small_report()).expect("serializes");
    assert_eq!(violations(&validator, &small), Vec::<String>::new());

    // The schema is closed where the structs are.
    let mut extra = small.clone();
    extra["cases"][0]["colour"] = json!("red");
    assert!(!violations(&validator, &extra).is_empty());
    let mut missing = small.clone();
    missing["run"]
        .as_object_mut()
        .expect("run")
        .remove("cases_commit");
    assert!(!violations(&validator, &missing).is_empty());
    let mut verdict = small.clone();
    verdict["cases"][0]["verdict"] = json!("passed");
    assert!(!violations(&validator, &verdict).is_empty());
    let mut header = small;
    header["cases"][1]["calls"][0]["transcript"][0]["request_headers"][0] = json!(["X-Only-Name"]);
    assert!(!violations(&validator, &header).is_empty());
}
