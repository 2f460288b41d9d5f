//! The Docker driver against a real engine (see `docker_support` for how the
//! engine is found; `scripts/ci/services.sh start` provides one).

mod docker_support;

use std::io::Read;
use std::process::Command;
use std::time::{Duration, Instant};

use docker_support::{busybox_image, engine, save_archive, service_var, tar_files};
use staves_core::builder::{
    BUILD_LABEL, BuilderError, CollectLines, ContainerSpec, Engine, Interrupt, LogStream,
    NoPullProgress, PullEvent, PullReporter, RegistryAuth,
};

/// A build id unique to this test run.
fn build_id(test: &str) -> String {
    format!("test-{test}-{}", std::process::id())
}

fn leftovers(engine: &Engine, id: &str) -> usize {
    engine
        .remove_leftovers(&format!("{BUILD_LABEL}={id}"))
        .unwrap()
}

#[test]
fn connects_and_negotiates_the_api_version() {
    let Some(engine) = engine() else { return };
    let info = engine.info();
    assert_eq!(info.os, "linux", "{info:?}");
    assert!(!info.server_version.is_empty(), "{info:?}");
    // Negotiation lowers bollard's default (1.53) to what the engine speaks.
    let (major, minor) = info.api_version.split_once('.').expect("api version x.y");
    assert_eq!(major, "1");
    assert!(minor.parse::<u32>().unwrap() <= 53, "{info:?}");
    let raw = Command::new("docker")
        .args(["version", "--format", "{{.Server.APIVersion}}"])
        .env("DOCKER_HOST", engine.endpoint())
        .output();
    // Cross-check with the docker CLI when it is there.
    if let Some(out) = raw.ok().filter(|o| o.status.success()) {
        let server_api = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let server_minor = server_api
            .split_once('.')
            .and_then(|(_, m)| m.parse::<u32>().ok());
        if server_minor.is_some_and(|m| m <= 53) {
            assert_eq!(info.api_version, server_api);
        }
    }
}

#[test]
fn a_missing_engine_is_a_clear_error() {
    let err = Engine::connect_to("unix:///nonexistent/staves.sock").unwrap_err();
    assert!(err.is_no_engine());
    let text = err.to_string();
    assert!(
        text.starts_with("cannot reach a Docker engine at unix:///nonexistent/staves.sock"),
        "{text}"
    );
    assert!(text.ends_with("start dockerd or set DOCKER_HOST"), "{text}");
}

#[test]
fn output_lines_arrive_in_order_and_the_container_is_removed() {
    let Some(engine) = engine() else { return };
    let image = busybox_image(&engine);
    let id = build_id("lines");
    let spec = ContainerSpec::new(&image, &id)
        .cmd([
            "sh",
            "-c",
            "for i in $(seq 1 500); do echo line-$i; done; echo oops >&2; printf tail",
        ])
        .env("GREETING", "hi");
    let mut sink = CollectLines::default();
    let outcome = engine.run(&spec, &mut sink).unwrap();
    assert!(outcome.success(), "{outcome:?}");
    let mut expected: Vec<String> = (1..=500).map(|i| format!("line-{i}")).collect();
    expected.push("tail".to_owned());
    assert_eq!(sink.of(LogStream::Stdout), expected);
    assert_eq!(sink.of(LogStream::Stderr), ["oops"]);
    assert_eq!(
        leftovers(&engine, &id),
        0,
        "run() left its container behind"
    );
}

#[test]
fn env_user_and_mounts_reach_the_container() {
    let Some(engine) = engine() else { return };
    let image = busybox_image(&engine);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), "from the host\n").unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let spec = ContainerSpec::new(&image, build_id("mounts"))
        .cmd([
            "sh",
            "-c",
            "echo $GREETING; id -u; cat /in/in.txt; echo written > /out/w.txt; \
             touch /in/x 2>/dev/null || echo ro; echo t > /scratch/t && echo tmpfs-ok",
        ])
        .env("GREETING", "hi")
        .user("1234")
        .bind_ro(dir.path(), "/in")
        .bind_rw(out_dir.path(), "/out")
        .tmpfs("/scratch", Some(1 << 20));
    // /out must be writable by uid 1234.
    Command::new("chmod")
        .arg("777")
        .arg(out_dir.path())
        .status()
        .unwrap();
    let mut sink = CollectLines::default();
    let outcome = engine.run(&spec, &mut sink).unwrap();
    assert!(outcome.success(), "{outcome:?} {sink:?}");
    assert_eq!(
        sink.of(LogStream::Stdout),
        ["hi", "1234", "from the host", "ro", "tmpfs-ok"]
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.path().join("w.txt")).unwrap(),
        "written\n"
    );
}

#[test]
fn a_failing_command_reports_its_exit_code_and_is_removed() {
    let Some(engine) = engine() else { return };
    let image = busybox_image(&engine);
    let id = build_id("fail");
    let spec = ContainerSpec::new(&image, &id).cmd(["sh", "-c", "echo before; exit 7"]);
    let mut sink = CollectLines::default();
    let outcome = engine.run(&spec, &mut sink).unwrap();
    assert_eq!(outcome.exit_code, 7);
    assert!(!outcome.success());
    assert_eq!(sink.of(LogStream::Stdout), ["before"]);
    assert_eq!(leftovers(&engine, &id), 0);
    // A command that does not exist: the engine refuses to start it.
    let spec = ContainerSpec::new(&image, &id).cmd(["/no/such/program"]);
    let err = engine.run(&spec, &mut sink).unwrap_err();
    assert!(err.to_string().contains("starting container"), "{err}");
    assert_eq!(
        leftovers(&engine, &id),
        0,
        "the failed start left its container behind"
    );
}

#[test]
fn copy_out_streams_a_tar_of_the_path() {
    let Some(engine) = engine() else { return };
    let image = busybox_image(&engine);
    let spec = ContainerSpec::new(&image, build_id("copy")).cmd([
        "sh",
        "-c",
        "mkdir -p /staves/root/etc && echo built > /staves/root/etc/a.txt && echo two > /staves/root/b",
    ]);
    let mut container = engine.create(&spec).unwrap();
    assert!(
        container
            .start_and_wait(&mut CollectLines::default())
            .unwrap()
            .success()
    );
    let mut bytes = Vec::new();
    container
        .copy_out("/staves/root")
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    let mut files = tar_files(&bytes);
    files.sort();
    assert_eq!(
        files,
        [
            ("root/b".to_owned(), b"two\n".to_vec()),
            ("root/etc/a.txt".to_owned(), b"built\n".to_vec())
        ]
    );
    let err = container.copy_out("/staves/absent").unwrap_err();
    assert!(matches!(err, BuilderError::PathNotFound { .. }), "{err}");
    container.remove().unwrap();
}

#[test]
fn leftovers_of_an_interrupted_run_are_removed() {
    let Some(engine) = engine() else { return };
    let image = busybox_image(&engine);
    let id = build_id("leftover");
    let spec = ContainerSpec::new(&image, &id).cmd(["sleep", "60"]);
    // Simulate a killed process: the guards never run their Drop.
    let stopped = engine.create(&spec).unwrap();
    std::mem::forget(stopped);
    let running = engine.create(&spec).unwrap();
    let running_id = running.id().to_owned();
    std::mem::forget(running);
    let status = Command::new("docker")
        .args(["start", &running_id])
        .env("DOCKER_HOST", engine.endpoint())
        .output();
    assert!(status.is_ok_and(|o| o.status.success()) || which_docker_missing());
    assert_eq!(
        engine
            .remove_leftovers(&format!("{BUILD_LABEL}={id}"))
            .unwrap(),
        2
    );
    assert_eq!(leftovers(&engine, &id), 0);
}

fn which_docker_missing() -> bool {
    Command::new("docker").arg("--version").output().is_err()
}

#[test]
fn an_interrupt_stops_the_run_and_removes_the_container() {
    let Some(engine) = engine() else { return };
    let image = busybox_image(&engine);
    let interrupt = Interrupt::new();
    let engine = engine.with_interrupt(interrupt.clone());
    let id = build_id("interrupt");
    let spec = ContainerSpec::new(&image, &id).cmd(["sh", "-c", "echo started; sleep 60"]);
    let trigger = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        interrupt.trigger();
    });
    let started = Instant::now();
    let err = engine.run(&spec, &mut CollectLines::default()).unwrap_err();
    trigger.join().unwrap();
    assert!(matches!(err, BuilderError::Interrupted { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    // Only a fresh engine (flag unset) may look: this one refuses new work.
    let fresh = docker_support::engine().unwrap();
    assert_eq!(leftovers(&fresh, &id), 0);
    assert!(matches!(
        engine.create(&spec),
        Err(BuilderError::Interrupted { .. })
    ));
}

#[test]
fn load_image_loads_a_docker_save_archive() {
    let Some(engine) = engine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let reference = format!("staves-test/loaded:{}", std::process::id());
    let archive = save_archive(dir.path(), &reference);
    let loaded = engine.load_image(&archive).unwrap();
    assert_eq!(loaded, std::slice::from_ref(&reference));
    let info = engine
        .inspect_image(&reference)
        .unwrap()
        .expect("loaded image");
    assert!(info.id.starts_with("sha256:"), "{info:?}");
    assert_eq!(
        engine.image_digest(&reference).unwrap(),
        Some(info.id.clone())
    );
    assert!(engine.remove_image(&reference).unwrap());
    assert_eq!(engine.inspect_image(&reference).unwrap(), None);
    let err = engine
        .load_image(&dir.path().join("missing.tar"))
        .unwrap_err();
    assert!(err.to_string().starts_with("cannot read "), "{err}");
}

#[derive(Default)]
struct CountEvents(Vec<String>);

impl PullReporter for CountEvents {
    fn event(&mut self, event: &PullEvent<'_>) {
        self.0.push(event.status.to_owned());
    }
}

/// Pushes a tiny image to `registry` with skopeo (an independent client).
fn push_with_skopeo(dir: &std::path::Path, reference: &str, creds: Option<&str>) {
    let archive = save_archive(dir, reference);
    let mut cmd = Command::new("skopeo");
    cmd.args(["copy", "-q", "--dest-tls-verify=false"]);
    if let Some(creds) = creds {
        cmd.args(["--dest-creds", creds]);
    }
    let out = cmd
        .arg(format!("docker-archive:{}", archive.display()))
        .arg(format!("docker://{reference}"))
        .output()
        .expect("skopeo is missing: run scripts/ci/deps.sh");
    assert!(
        out.status.success(),
        "skopeo copy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ensure_image_pulls_with_progress_and_credentials() {
    let Some(engine) = engine() else { return };
    let (Some(anon), Some(auth), Some(user), Some(password)) = (
        service_var("STAVES_TEST_REGISTRY"),
        service_var("STAVES_TEST_REGISTRY_AUTH"),
        service_var("STAVES_TEST_REGISTRY_USER"),
        service_var("STAVES_TEST_REGISTRY_PASSWORD"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tag = std::process::id();

    let public = format!("{anon}/staves-test/pulled:{tag}");
    push_with_skopeo(&dir.path().join("a"), &public, None);
    engine.remove_image(&public).unwrap();
    let mut events = CountEvents::default();
    let info = engine.ensure_image(&public, None, &mut events).unwrap();
    assert!(info.repo_tags.contains(&public), "{info:?}");
    assert!(
        events
            .0
            .iter()
            .any(|s| s.starts_with("Pull complete") || s.starts_with("Status:")),
        "{:?}",
        events.0
    );
    // Present now: no pull, no events.
    let mut again = CountEvents::default();
    assert_eq!(
        engine.ensure_image(&public, None, &mut again).unwrap().id,
        info.id
    );
    assert!(again.0.is_empty(), "{:?}", again.0);
    engine.remove_image(&public).unwrap();

    let private = format!("{auth}/staves-test/private:{tag}");
    push_with_skopeo(
        &dir.path().join("b"),
        &private,
        Some(&format!("{user}:{password}")),
    );
    engine.remove_image(&private).unwrap();
    let err = engine
        .ensure_image(&private, None, &mut NoPullProgress)
        .unwrap_err();
    assert!(matches!(err, BuilderError::Pull { .. }), "{err}");
    let creds = RegistryAuth {
        username: user,
        password,
    };
    engine
        .ensure_image(&private, Some(&creds), &mut NoPullProgress)
        .unwrap();
    engine.remove_image(&private).unwrap();

    let missing = format!("{anon}/staves-test/absent:{tag}");
    let err = engine
        .ensure_image(&missing, None, &mut NoPullProgress)
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("cannot pull image {missing}: ")),
        "{text}"
    );
}
