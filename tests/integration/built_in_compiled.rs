//! The spec files compiled at build time (their YAML's data as JSON) load into exactly what
//! their YAML gives: a run reads the compiled form, `--specs DIR` and a failing compiled form
//! the YAML.

use camino::Utf8Path;
use rc_conform::built_in::{Source, compiled};
use rc_conform::clients::ClientProfiles;
use rc_conform::spec::premise::PremiseModel;

/// The text of the built-in spec file `name`.
fn built_in(name: &str) -> String {
    Source::built_in_specs()
        .read(name)
        .expect("a built-in spec file")
        .into_owned()
}

#[test]
fn the_compiled_premise_model_is_the_model_of_its_yaml() {
    let path = Utf8Path::new("specs/premises.yaml");
    let yaml = built_in("premises.yaml");
    let compiled = compiled(path.as_str()).expect("premises.yaml is compiled");
    let from_yaml = PremiseModel::parse(path, &yaml).expect("the YAML loads");
    let from_json = PremiseModel::parse_with(path, &yaml, Some(compiled)).expect("loads");
    assert_eq!(format!("{from_json:?}"), format!("{from_yaml:?}"));
    // A compiled form that does not read falls back to the YAML, and to its diagnostics.
    let broken = PremiseModel::parse_with(path, "premises: [", Some("{\"premises\": 1}"));
    let message = broken.expect_err("neither reads").to_string();
    assert!(message.contains("specs/premises.yaml:"), "{message}");
}

#[test]
fn the_compiled_client_profiles_are_the_profiles_of_their_yaml() {
    let specs = Source::built_in_specs();
    assert!(
        specs.compiled("clients.yaml").is_some(),
        "clients.yaml is compiled"
    );
    let from_yaml = ClientProfiles::parse(
        Utf8Path::new("specs/clients.yaml"),
        &built_in("clients.yaml"),
        Utf8Path::new("specs/clients.schema.json"),
        &built_in("clients.schema.json"),
    )
    .expect("the YAML loads, valid against its schema");
    let loaded = ClientProfiles::load_from(&specs).expect("the built-in profiles load");
    assert_eq!(loaded, from_yaml);
    assert!(!loaded.profiles.is_empty());
}
