use std::os::unix::fs::PermissionsExt;

use super::*;

/// The smallest valid module: the header alone.
const EMPTY_MODULE: &[u8] = b"\0asm\x01\0\0\0";
const KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

#[test]
fn compiles_once_then_loads_from_the_cache() {
    let engine = Engine::default();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("plugins");
    let (_, first) = load_or_compile(&engine, &cache, KEY, EMPTY_MODULE).unwrap();
    assert_eq!(first, Source::Compiled);
    let mode = fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert!(cache_path(&engine, &cache, KEY).is_file());
    let (_, second) = load_or_compile(&engine, &cache, KEY, EMPTY_MODULE).unwrap();
    assert_eq!(second, Source::Cache);
}

#[test]
fn a_corrupt_or_foreign_cache_file_is_replaced() {
    let engine = Engine::default();
    let dir = tempfile::tempdir().unwrap();
    let path = cache_path(&engine, dir.path(), KEY);
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
    fs::write(&path, b"not a compiled module").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let (_, source) = load_or_compile(&engine, dir.path(), KEY, EMPTY_MODULE).unwrap();
    assert_eq!(source, Source::Compiled);
    // World-writable files are never mapped, even when they are valid.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
    let (_, source) = load_or_compile(&engine, dir.path(), KEY, EMPTY_MODULE).unwrap();
    assert_eq!(source, Source::Compiled);
}

#[test]
fn a_shared_directory_and_bad_keys_are_refused() {
    let engine = Engine::default();
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let err = load_or_compile(&engine, dir.path(), KEY, EMPTY_MODULE).unwrap_err();
    assert!(err.to_string().contains("writable by others"), "{err}");
    let err = load_or_compile(&engine, dir.path(), "../x", EMPTY_MODULE).unwrap_err();
    assert!(err.to_string().contains("not a SHA-256"), "{err}");
}

#[test]
fn invalid_wasm_is_a_compile_error() {
    let engine = Engine::default();
    let dir = tempfile::tempdir().unwrap();
    let err =
        load_or_compile(&engine, &dir.path().join("c"), KEY, b"\0asm\x01\0\0\0\x01").unwrap_err();
    assert!(matches!(err, CacheError::Compile(_)), "{err}");
}
