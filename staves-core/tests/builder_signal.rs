//! Ctrl-C during a container run, for real: SIGINT to this test process sets
//! the flag installed by `Interrupt::install_signal_handlers`; the run stops and
//! its container is removed, and the process survives the first signal.
//! (A separate test binary: the handlers stay installed for the process.)

mod docker_support;

use std::process::Command;
use std::time::{Duration, Instant};

use docker_support::{busybox_image, engine};
use staves_core::builder::{BUILD_LABEL, BuilderError, CollectLines, ContainerSpec, Interrupt};

#[test]
fn sigint_stops_the_run_and_removes_its_container() {
    let Some(engine) = engine() else { return };
    let image = busybox_image(&engine);
    let interrupt = Interrupt::install_signal_handlers().unwrap();
    let engine = engine.with_interrupt(interrupt.clone());
    let id = format!("test-sigint-{}", std::process::id());
    let spec = ContainerSpec::new(&image, &id).cmd(["sleep", "60"]);
    let pid = std::process::id().to_string();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let status = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(status.success());
    });
    let started = Instant::now();
    let err = engine.run(&spec, &mut CollectLines::default()).unwrap_err();
    sender.join().unwrap();
    assert!(interrupt.is_set());
    assert!(matches!(err, BuilderError::Interrupted { .. }), "{err}");
    assert!(err.to_string().contains("(removed)"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
    let fresh = docker_support::engine().unwrap();
    let left = fresh
        .remove_leftovers(&format!("{BUILD_LABEL}={id}"))
        .unwrap();
    assert_eq!(left, 0, "the interrupted container was left behind");
}
