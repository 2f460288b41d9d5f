//! The real-Portage venv of `scripts/ensure-portage.sh`. Shared by path
//! with the benches (a separate crate), so it uses nothing else from here.

use std::path::PathBuf;
use std::process::Command;

/// The python of the Portage venv (`$STAVES_PORTAGE_VENV`, default
/// `/tmp/staves-portage-venv`), if it imports `portage`.
///
/// # Errors
/// A message saying what is missing and how to install it.
pub(crate) fn portage_python() -> Result<PathBuf, String> {
    let venv = std::env::var_os("STAVES_PORTAGE_VENV")
        .map_or_else(|| PathBuf::from("/tmp/staves-portage-venv"), PathBuf::from);
    let python = venv.join("bin").join("python");
    let ok = Command::new(&python)
        .args(["-c", "import portage"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(python)
    } else {
        Err(format!(
            "no Portage venv at {} (python cannot import portage); install it with \
             scripts/ensure-portage.sh (or set STAVES_PORTAGE_VENV)",
            venv.display()
        ))
    }
}
