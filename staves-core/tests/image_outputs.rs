//! Image assembly and outputs: canonical config/manifest, OCI layout
//! directories, the dual (OCI + Docker) archive, and `docker load` of it.

#[macro_use]
mod image_support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use image_support::{EPOCH, Sample, busybox_for_docker, busybox_root, sample};
use staves_core::image::oci::{Index, Manifest, RuntimeConfig};
use staves_core::image::{
    BlobStore, Compression, Digest, Image, ImageRef, ImageSpec, LayerOptions, assemble,
    build_layer, write_archive, write_layout,
};

fn spec() -> ImageSpec {
    ImageSpec {
        architecture: "amd64".into(),
        variant: None,
        epoch: EPOCH,
        runtime: RuntimeConfig {
            user: Some("0:0".into()),
            exposed_ports: [("8080/tcp".to_owned(), Default::default())].into(),
            env: vec!["PATH=/usr/bin:/bin".into()],
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
            cmd: Some(vec!["echo hi".into()]),
            working_dir: Some("/".into()),
            labels: (0..20)
                .map(|i| (format!("org.example.label{i}"), format!("v{i}")))
                .collect(),
        },
        annotations: [(
            "org.opencontainers.image.version".to_owned(),
            "1.2.3".to_owned(),
        )]
        .into(),
        history: vec!["emerge app-shells/bash".into()],
    }
}

fn image_of(root: &Path, store: &BlobStore, compression: Compression) -> Image {
    let options = LayerOptions {
        epoch: EPOCH,
        compression,
    };
    let layer = build_layer(root, store, &options).unwrap();
    assemble(store, &spec(), &[layer]).unwrap()
}

#[test]
fn config_and_manifest_are_canonical_and_stable() {
    let Sample {
        dir: _dir,
        root,
        store,
        ..
    } = sample();
    let a = image_of(&root, &store, Compression::default());
    let b = image_of(&root, &store, Compression::default());
    assert_eq!(a, b);
    let config_bytes = store.read(a.id()).unwrap();
    let text = String::from_utf8(config_bytes.clone()).unwrap();
    assert!(!text.contains("\": ") && !text.contains(", \"") && !text.contains('\n'));
    assert!(
        text.contains(r#""created":"2023-11-14T22:13:20Z""#),
        "{text}"
    );
    assert!(text.contains(r#""history":[{"created":"2023-11-14T22:13:20Z","created_by":"emerge app-shells/bash"}]"#), "{text}");
    // Keys sorted at every level.
    let value: serde_json::Value = serde_json::from_slice(&config_bytes).unwrap();
    fn check_sorted(v: &serde_json::Value, text: &str) {
        if let serde_json::Value::Object(m) = v {
            let keys: Vec<_> = m.keys().collect();
            let positions: Vec<usize> = keys
                .iter()
                .map(|k| text.find(&format!("\"{k}\":")).unwrap())
                .collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted);
            assert!(positions.len() < 2 || positions[0] < positions[positions.len() - 1]);
            m.values().for_each(|v| check_sorted(v, text));
        }
    }
    check_sorted(&value, &text);
    assert_eq!(value["rootfs"]["diff_ids"].as_array().unwrap().len(), 1);

    let manifest: Manifest = serde_json::from_slice(&a.manifest_bytes).unwrap();
    assert_eq!(manifest, a.manifest);
    assert_eq!(Digest::of(&a.manifest_bytes), a.manifest_descriptor.digest);
    assert_eq!(
        store.read(&a.manifest_descriptor.digest).unwrap(),
        a.manifest_bytes
    );
    let ann = &manifest.annotations;
    assert_eq!(
        ann["org.opencontainers.image.created"],
        "2023-11-14T22:13:20Z"
    );
    assert_eq!(ann["org.opencontainers.image.version"], "1.2.3");
    assert_eq!(ann["org.example.label7"], "v7");
    assert!(ann["io.staves.layer.compressor"].starts_with("zstd-rs 0.14.4"));
    assert_eq!(manifest.config.size, config_bytes.len() as u64);
}

fn sha256_of_file(path: &Path) -> Digest {
    Digest::of(&fs::read(path).unwrap())
}

#[test]
fn layout_directory_has_index_annotations_and_every_blob() {
    let Sample {
        dir, root, store, ..
    } = sample();
    let image = image_of(&root, &store, Compression::Gzip { level: 6 });
    let reference: ImageRef = "127.0.0.1:5000/staves/demo:1.0".parse().unwrap();
    let out = dir.path().join("out/layout");
    write_layout(&image, &store, &reference, &out).unwrap();

    assert_eq!(
        fs::read_to_string(out.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let index: Index = serde_json::from_slice(&fs::read(out.join("index.json")).unwrap()).unwrap();
    assert_eq!(index.manifests.len(), 1);
    let desc = &index.manifests[0];
    assert_eq!(desc.digest, image.manifest_descriptor.digest);
    assert_eq!(desc.annotations["org.opencontainers.image.ref.name"], "1.0");
    assert_eq!(
        desc.annotations["io.containerd.image.name"],
        "127.0.0.1:5000/staves/demo:1.0"
    );
    let mut names: Vec<String> = fs::read_dir(out.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<String> = image
        .blobs()
        .map(|d| d.digest.hex().to_owned())
        .chain([image.manifest_descriptor.digest.hex().to_owned()])
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    for name in &names {
        let path = out.join("blobs/sha256").join(name);
        assert_eq!(sha256_of_file(&path).hex(), name.as_str());
    }

    // Rewriting replaces the old layout; no temporary directories remain.
    let image2 = image_of(&root, &store, Compression::default());
    write_layout(&image2, &store, &reference, &out).unwrap();
    let index: Index = serde_json::from_slice(&fs::read(out.join("index.json")).unwrap()).unwrap();
    assert_eq!(index.manifests[0].digest, image2.manifest_descriptor.digest);
    let siblings: Vec<_> = fs::read_dir(out.parent().unwrap()).unwrap().collect();
    assert_eq!(siblings.len(), 1);

    // A directory that is not a layout is never replaced.
    let foreign = dir.path().join("foreign");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("precious"), b"x").unwrap();
    let err = write_layout(&image, &store, &reference, &foreign).unwrap_err();
    assert!(err.to_string().contains("not an OCI image layout"), "{err}");
    assert!(foreign.join("precious").exists());
}

fn tar_members(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(fs::File::open(path).unwrap());
    let mut out = BTreeMap::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.insert(name, data);
    }
    out
}

#[test]
fn dual_archive_holds_a_layout_and_a_docker_manifest() {
    let Sample {
        dir, root, store, ..
    } = sample();
    let image = image_of(&root, &store, Compression::default());
    let reference: ImageRef = "staves/demo:2".parse().unwrap();
    let path = dir.path().join("image.tar");
    write_archive(&image, &store, &reference, &path).unwrap();
    let members = tar_members(&path);
    assert!(members.contains_key("oci-layout"));
    let index: Index = serde_json::from_slice(&members["index.json"]).unwrap();
    assert_eq!(
        index.manifests[0].annotations["io.containerd.image.name"],
        "docker.io/staves/demo:2"
    );
    let docker: serde_json::Value = serde_json::from_slice(&members["manifest.json"]).unwrap();
    let entry = &docker[0];
    assert_eq!(entry["RepoTags"][0], "staves/demo:2");
    let config_path = entry["Config"].as_str().unwrap();
    assert_eq!(config_path, format!("blobs/sha256/{}", image.id().hex()));
    let layer_paths: Vec<&str> = entry["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(layer_paths.len(), 1);
    for p in layer_paths.iter().chain([&config_path]) {
        let hex = p.strip_prefix("blobs/sha256/").unwrap();
        assert_eq!(Digest::of(&members[*p]).hex(), hex);
    }
    assert_eq!(
        members[&format!("blobs/sha256/{}", image.manifest_descriptor.digest.hex())],
        image.manifest_bytes
    );
    // Reproducible bytes.
    let again = dir.path().join("again.tar");
    write_archive(&image, &store, &reference, &again).unwrap();
    assert_eq!(sha256_of_file(&path), sha256_of_file(&again));
}

/// A busybox image built by Staves loads into the engine and runs, with
/// gzip and uncompressed layers. (Docker 20.10's `docker load` does not read
/// zstd layers: "archive/tar: invalid tar header"; see `write_archive`.)
#[test]
fn docker_loads_and_runs_the_dual_archive() {
    let busybox = busybox_for_docker();
    require!(busybox.is_ok(), "{}", busybox.err().unwrap_or_default());
    let busybox = busybox.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    busybox_root(&root, busybox);
    fs::create_dir_all(root.join("tmp")).unwrap();
    fs::set_permissions(
        root.join("tmp"),
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .unwrap();
    let store = BlobStore::open(dir.path().join("blobs")).unwrap();
    let mut ids = Vec::new();
    for (i, c) in [Compression::Gzip { level: 6 }, Compression::None]
        .into_iter()
        .enumerate()
    {
        let image = image_of(&root, &store, c);
        let name = format!("staves-test/load:{i}");
        let reference: ImageRef = name.parse().unwrap();
        let archive = dir.path().join(format!("image{i}.tar"));
        write_archive(&image, &store, &reference, &archive).unwrap();
        let out = Command::new("docker")
            .args(["load", "-i"])
            .arg(&archive)
            .output()
            .expect("docker CLI");
        assert!(
            out.status.success(),
            "{c}: docker load failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let id = Command::new("docker")
            .args(["image", "inspect", "--format", "{{.Id}}", &name])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&id.stdout).trim(),
            image.id().to_string(),
            "{c}: the engine's image ID is the config digest"
        );
        let run = Command::new("docker")
            .args([
                "run",
                "--rm",
                "--network",
                "none",
                "--entrypoint",
                "/bin/sh",
                &name,
            ])
            .args(["-c", "stat -c %a /tmp && echo ok"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            "1777\nok\n",
            "{c}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let _ = Command::new("docker").args(["rmi", "-f", &name]).output();
        ids.push(image.id().clone());
    }
    // The image ID depends on diff_ids only, not on the compression.
    assert_eq!(ids[0], ids[1]);
}
