//! `[[plugins]] limits`: parsed into the host's limits, bad values and
//! unknown keys reported at their line.

use super::{parse, parse_err};
use crate::manifest::ErrorKind;
use crate::plugin::Limits;

const HEAD: &str =
    "name = \"x\"\n[[plugins]]\nname = \"p\"\npath = \"p.wasm\"\nhook = \"post-build\"\n";

#[test]
fn limits_override_the_defaults() {
    let m = parse(&format!(
        "{HEAD}limits = {{ memory = \"1GiB\", fuel = 1e12, timeout = \"10m\" }}\n"
    ));
    let limits = Limits::with_overrides("p", &m.plugins[0].limits.to_table()).unwrap();
    assert_eq!(limits.memory_bytes, 1 << 30);
    assert_eq!(limits.fuel, 1_000_000_000_000);
    assert_eq!(limits.timeout, std::time::Duration::from_secs(600));
    let m = parse(&format!("{HEAD}limits = {{ fuel = 5000 }}\n"));
    let limits = Limits::with_overrides("p", &m.plugins[0].limits.to_table()).unwrap();
    assert_eq!((limits.fuel, limits.memory_bytes), (5000, 512 << 20));
    let m = parse(HEAD);
    assert_eq!(
        Limits::with_overrides("p", &m.plugins[0].limits.to_table()).unwrap(),
        Limits::default()
    );
}

#[test]
fn bad_limit_values_point_at_the_key() {
    for (line, expected) in [
        ("limits = { memory = \"1TB\" }", "limits.memory"),
        ("limits = { memory = \"8GiB\" }", "limits.memory"),
        ("limits = { timeout = \"0s\" }", "limits.timeout"),
        ("limits = { fuel = -1 }", "limits.fuel"),
    ] {
        let err = parse_err(&format!("{HEAD}{line}\n"));
        assert_eq!(err.kind(), ErrorKind::InvalidValue, "{line}");
        assert_eq!(err.line(), Some(6), "{line}");
        assert_eq!(
            err.key(),
            Some(format!("plugins[0].{expected}").as_str()),
            "{line}"
        );
        assert!(err.message().contains(expected), "{}", err.message());
    }
}

#[test]
fn unknown_limit_keys_get_a_suggestion() {
    let err = parse_err(&format!("{HEAD}[plugins.limits]\nmemroy = \"1GiB\"\n"));
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
    assert_eq!(err.line(), Some(7));
    assert_eq!(err.help(), Some("did you mean `memory`?"));
    let err = parse_err(&format!("{HEAD}limits = {{ memory = 1 }}\n"));
    assert_eq!(err.line(), Some(6));
    assert!(
        err.help().unwrap_or_default().contains("memory = \"1GiB\""),
        "{:?}",
        err.help()
    );
}

#[test]
fn plugin_names_are_plain_directory_names() {
    for bad in ["../../..", "/home/u", "a/b", ".hidden", "-x", "é"] {
        let text = HEAD.replace("name = \"p\"", &format!("name = \"{bad}\""));
        let err = parse_err(&text);
        assert_eq!(err.kind(), ErrorKind::InvalidValue, "{bad}");
        assert_eq!(err.line(), Some(3), "{bad}");
        assert!(err.to_string().contains("invalid plugin name"), "{err}");
    }
    for good in ["strip-docs", "sbom", "labels_2", "a.b"] {
        let m = parse(&HEAD.replace("name = \"p\"", &format!("name = \"{good}\"")));
        assert_eq!(m.plugins[0].name.get_ref(), good);
    }
}
