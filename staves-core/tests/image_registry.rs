//! Pushing to a real registry (Debian's `docker-registry`, distribution 2.8):
//! anonymous and htpasswd (Basic) auth. Uses the registries that
//! `scripts/ci/services.sh` exports (STAVES_TEST_REGISTRY,
//! STAVES_TEST_REGISTRY_AUTH), else starts private ones. Under CI=true a
//! missing registry fails the test.

#[macro_use]
mod image_support;

use std::fs;
use std::path::Path;

use image_support::{EPOCH, TestRegistry, busybox_for_docker, busybox_root};
use staves_core::image::oci::{RuntimeConfig, media_types};
use staves_core::image::{
    BlobStore, Compression, Credentials, Image, ImageRef, ImageSpec, LayerOptions, PushError,
    PushOptions, Registry, assemble, build_layer, push,
};

/// A small image whose content is unique to `salt` (so runs against a shared
/// registry do not find each other's blobs).
fn image(dir: &Path, salt: &str) -> (BlobStore, Image) {
    let root = dir.join(format!("root-{salt}"));
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::write(
        root.join("etc/salt"),
        format!("{salt} {:?}\n", std::time::SystemTime::now()),
    )
    .unwrap();
    fs::write(root.join("etc/big"), vec![7u8; 300_000]).unwrap();
    let store = BlobStore::open(dir.join("blobs")).unwrap();
    let options = LayerOptions {
        epoch: EPOCH,
        compression: Compression::default(),
    };
    let layer = build_layer(&root, &store, &options).unwrap();
    let spec = ImageSpec {
        architecture: "amd64".into(),
        epoch: EPOCH,
        runtime: RuntimeConfig {
            cmd: Some(vec!["/bin/true".into()]),
            ..RuntimeConfig::default()
        },
        ..ImageSpec::default()
    };
    let image = assemble(&store, &spec, &[layer]).unwrap();
    (store, image)
}

fn reference(registry: &TestRegistry, repo: &str, tag: &str) -> ImageRef {
    format!("{}/{repo}:{tag}", registry.addr).parse().unwrap()
}

fn basic(registry: &TestRegistry) -> Option<Credentials> {
    registry
        .credentials
        .as_ref()
        .map(|(u, p)| Credentials::Basic {
            username: u.clone(),
            password: p.clone(),
        })
}

fn push_pull_and_repush(registry: &TestRegistry, salt: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (store, image) = image(dir.path(), salt);
    let r = reference(registry, "staves/push-test", salt);
    let options = PushOptions {
        credentials: basic(registry),
        plain_http: None,
    };
    let first = push(&image, &store, &r, &options).unwrap();
    assert_eq!(first.manifest_digest, image.manifest_descriptor.digest);
    assert_eq!(
        first.uploaded.len(),
        2,
        "config + 1 layer uploaded: {first:?}"
    );
    assert!(first.skipped.is_empty());

    // Pull the manifest back by tag and by digest: the very same bytes.
    let mut client = Registry::new(&r, &options).unwrap();
    client.ping().unwrap();
    for by in [r.tag.clone(), image.manifest_descriptor.digest.to_string()] {
        let (bytes, media_type) = client.get_manifest(&by, &[media_types::MANIFEST]).unwrap();
        assert_eq!(bytes, image.manifest_bytes, "manifest by {by}");
        assert_eq!(media_type, media_types::MANIFEST);
    }
    for blob in image.blobs() {
        assert!(client.blob_exists(&blob.digest).unwrap());
    }

    // Second push: every blob is skipped after one HEAD each.
    let second = push(&image, &store, &r, &options).unwrap();
    assert_eq!(second.manifest_digest, first.manifest_digest);
    assert!(second.uploaded.is_empty(), "{second:?}");
    assert_eq!(second.skipped.len(), 2);
    assert!(
        second.requests < first.requests,
        "re-push sent {} requests, first push {}",
        second.requests,
        first.requests
    );
    // ping (+ challenge answer) + 2 HEADs + manifest PUT
    let auth_extra = u32::from(registry.credentials.is_some());
    assert_eq!(second.requests, 4 + auth_extra, "{second:?}");
}

#[test]
fn push_to_an_anonymous_registry() {
    let registry = TestRegistry::anonymous();
    require!(registry.is_ok(), "{}", registry.err().unwrap_or_default());
    push_pull_and_repush(&registry.unwrap(), "anon");
}

#[test]
fn push_with_basic_auth() {
    let registry = TestRegistry::with_auth();
    require!(registry.is_ok(), "{}", registry.err().unwrap_or_default());
    push_pull_and_repush(&registry.unwrap(), "basic");
}

#[test]
fn wrong_password_and_missing_credentials_are_clear_errors() {
    let registry = TestRegistry::with_auth();
    require!(registry.is_ok(), "{}", registry.err().unwrap_or_default());
    let registry = registry.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, image) = image(dir.path(), "wrong");
    let r = reference(&registry, "staves/push-test", "wrong");
    let wrong = PushOptions {
        credentials: Some(Credentials::Basic {
            username: "staves".into(),
            password: "not-the-password".into(),
        }),
        plain_http: None,
    };
    let err = push(&image, &store, &r, &wrong).unwrap_err();
    assert!(matches!(err, PushError::Unauthorized { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&registry.addr), "{text}");
    assert!(text.contains("401"), "{text}");
    assert!(text.contains("docker login"), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
    assert!(!format!("{err:?}").contains("not-the-password"));

    // Anonymous access to an auth registry: says how to log in. The user's
    // Docker config has no entry for this random port.
    let anonymous = PushOptions {
        credentials: None,
        plain_http: None,
    };
    match push(&image, &store, &r, &anonymous) {
        Err(PushError::NoCredentials { registry: host }) => assert_eq!(host, registry.addr),
        other => panic!("expected NoCredentials, got {other:?}"),
    }
}

#[test]
fn unreachable_registry_names_the_registry() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let (store, image) = image(dir.path(), "down");
    let r: ImageRef = format!("127.0.0.1:{port}/staves/x:1").parse().unwrap();
    let err = push(&image, &store, &r, &PushOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, PushError::Transport { .. }), "{err:?}");
    assert!(
        text.contains(&format!("127.0.0.1:{port}")) && text.contains("ping"),
        "{text}"
    );
}

/// The engine pulls and runs what Staves pushed (OCI manifest, gzip layer).
/// Gzip because Debian's Docker 20.10.24 has no zstd decompressor at all:
/// pulling, loading or importing a zstd layer fails with "archive/tar:
/// invalid tar header" (checked with a CLI-made `tar | zstd` too).
#[test]
fn docker_pulls_and_runs_a_pushed_image() {
    let busybox = busybox_for_docker();
    require!(busybox.is_ok(), "{}", busybox.err().unwrap_or_default());
    let busybox = busybox.unwrap();
    let registry = TestRegistry::anonymous();
    require!(registry.is_ok(), "{}", registry.err().unwrap_or_default());
    let registry = registry.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    busybox_root(&root, busybox);
    let store = BlobStore::open(dir.path().join("blobs")).unwrap();
    let layer = build_layer(
        &root,
        &store,
        &LayerOptions {
            epoch: EPOCH,
            compression: Compression::Gzip { level: 6 },
        },
    )
    .unwrap();
    let spec = ImageSpec {
        architecture: "amd64".into(),
        epoch: EPOCH,
        runtime: RuntimeConfig {
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
            cmd: Some(vec!["echo pulled-ok".into()]),
            ..RuntimeConfig::default()
        },
        ..ImageSpec::default()
    };
    let image = assemble(&store, &spec, &[layer]).unwrap();
    let r = reference(&registry, "staves/pull-test", "gzip");
    push(&image, &store, &r, &PushOptions::default()).unwrap();
    let name = r.familiar();
    let docker = |args: &[&str]| {
        std::process::Command::new("docker")
            .args(args)
            .output()
            .expect("docker CLI")
    };
    let _ = docker(&["rmi", "-f", &name]);
    let pull = docker(&["pull", "-q", &name]);
    assert!(
        pull.status.success(),
        "{}",
        String::from_utf8_lossy(&pull.stderr)
    );
    let run = docker(&["run", "--rm", "--network", "none", &name]);
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "pulled-ok\n",
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let id = docker(&["image", "inspect", "--format", "{{.Id}}", &name]);
    assert_eq!(
        String::from_utf8_lossy(&id.stdout).trim(),
        image.id().to_string()
    );
    let _ = docker(&["rmi", "-f", &name]);
}
