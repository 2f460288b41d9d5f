//! The part of a plugin request the caller supplies.

use staves_plugin_api::{BuildInfo, ImageConfig, Package};

use crate::lockfile::Lockfile;

/// What the build knows and every plugin of the build sees; the host adds
/// the plugin's identity, config, paths and the root's metadata index.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginRequest {
    /// The image configuration before this plugin (after the earlier ones:
    /// feed [`super::PluginOutcome::image`] into the next run).
    pub image: ImageConfig,
    /// The locked packages of the image root ([`packages_from_lock`]).
    pub packages: Vec<Package>,
    /// Facts about the build; `source_date_epoch` is also the plugin's clock.
    pub build: BuildInfo,
}

/// The packages a lock installs into the image root (role `image` or
/// `both`), with each repository's locked commit, in lock order.
pub fn packages_from_lock(lock: &Lockfile) -> Vec<Package> {
    lock.packages
        .iter()
        .filter(|p| p.role.in_image())
        .map(|p| Package {
            name: p.name.clone(),
            version: p.version.clone(),
            slot: p.slot.clone(),
            subslot: p.subslot.clone(),
            use_flags: p.use_flags.clone(),
            repository: p.repository.clone(),
            repository_commit: lock
                .repositories
                .iter()
                .find(|r| r.name == p.repository)
                .and_then(|r| r.commit.clone()),
        })
        .collect()
}
