//! The committed JSON Schema matches the model.

use crate::manifest::json_schema;

#[test]
fn committed_schema_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/staves.schema.json");
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&json_schema()).unwrap()
    );
    if std::env::var_os("STAVES_UPDATE_SCHEMA").is_some() {
        crate::util::fs::write_atomic(&path, generated.as_bytes()).unwrap();
        return;
    }
    let committed = fs_err::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/staves.schema.json is out of date; regenerate it with \
         STAVES_UPDATE_SCHEMA=1 cargo test -p staves-core committed_schema_is_up_to_date"
    );
}

#[test]
fn schema_describes_the_top_level_keys() {
    let schema = json_schema();
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "name",
        "version",
        "packages",
        "command",
        "profile",
        "env",
        "package",
        "repositories",
        "builder",
        "image",
        "locale",
        "annotations",
        "plugins",
    ] {
        assert!(properties.contains_key(key), "{key} missing");
    }
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema["patternProperties"]["/"].is_object());
    assert_eq!(schema["required"], serde_json::json!(["name",]));
}
