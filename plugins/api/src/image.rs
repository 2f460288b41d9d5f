//! The image configuration a plugin sees and the restricted patch it returns.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The parts of the OCI image configuration plugins may read and change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// `User`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `WorkingDir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// `Entrypoint`.
    #[serde(default)]
    pub entrypoint: Vec<String>,
    /// `Cmd`.
    #[serde(default)]
    pub cmd: Vec<String>,
    /// `Env`, as a map from name to value.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// `Labels`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Manifest annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `ExposedPorts` (`80/tcp`).
    #[serde(default)]
    pub exposed_ports: BTreeSet<String>,
    /// `Volumes`.
    #[serde(default)]
    pub volumes: BTreeSet<String>,
    /// `StopSignal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
}

/// Changes to a string map: `set` is applied after `unset`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapPatch {
    /// Keys to add or replace.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Keys to remove.
    #[serde(default)]
    pub unset: Vec<String>,
}

impl MapPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.unset.is_empty()
    }

    fn apply(&self, map: &mut BTreeMap<String, String>) {
        for key in &self.unset {
            map.remove(key);
        }
        map.extend(self.set.clone());
    }
}

/// Changes to a string set: `add` is applied after `remove`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPatch {
    /// Members to add.
    #[serde(default)]
    pub add: Vec<String>,
    /// Members to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

impl SetPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }

    fn apply(&self, set: &mut BTreeSet<String>) {
        for item in &self.remove {
            set.remove(item);
        }
        set.extend(self.add.iter().cloned());
    }
}

/// A typed, restricted change to the image configuration. Absent fields
/// change nothing; present scalar fields replace the value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigPatch {
    /// Replaces `User`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Replaces `WorkingDir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Replaces `Entrypoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Replaces `Cmd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Replaces `StopSignal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Changes `Env`.
    #[serde(default, skip_serializing_if = "MapPatch::is_empty")]
    pub env: MapPatch,
    /// Changes `Labels`.
    #[serde(default, skip_serializing_if = "MapPatch::is_empty")]
    pub labels: MapPatch,
    /// Changes the manifest annotations.
    #[serde(default, skip_serializing_if = "MapPatch::is_empty")]
    pub annotations: MapPatch,
    /// Changes `ExposedPorts`.
    #[serde(default, skip_serializing_if = "SetPatch::is_empty")]
    pub exposed_ports: SetPatch,
    /// Changes `Volumes`.
    #[serde(default, skip_serializing_if = "SetPatch::is_empty")]
    pub volumes: SetPatch,
}

impl ConfigPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &ConfigPatch::default()
    }

    /// Applies the patch to `config` (the host validates it first).
    pub fn apply(&self, config: &mut ImageConfig) {
        if let Some(user) = &self.user {
            config.user = Some(user.clone());
        }
        if let Some(dir) = &self.working_dir {
            config.working_dir = Some(dir.clone());
        }
        if let Some(entrypoint) = &self.entrypoint {
            config.entrypoint = entrypoint.clone();
        }
        if let Some(cmd) = &self.cmd {
            config.cmd = cmd.clone();
        }
        if let Some(signal) = &self.stop_signal {
            config.stop_signal = Some(signal.clone());
        }
        self.env.apply(&mut config.env);
        self.labels.apply(&mut config.labels);
        self.annotations.apply(&mut config.annotations);
        self.exposed_ports.apply(&mut config.exposed_ports);
        self.volumes.apply(&mut config.volumes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_unsets_before_setting_and_replaces_scalars() {
        let mut config = ImageConfig {
            user: Some("root".into()),
            labels: BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]),
            exposed_ports: BTreeSet::from(["80/tcp".into()]),
            ..ImageConfig::default()
        };
        let patch: ConfigPatch = serde_json::from_str(
            r#"{"user":"nobody","labels":{"set":{"a":"9","c":"3"},"unset":["a","b"]},
                "exposed_ports":{"add":["443/tcp"],"remove":["80/tcp"]}}"#,
        )
        .unwrap();
        patch.apply(&mut config);
        assert_eq!(config.user.as_deref(), Some("nobody"));
        assert_eq!(
            config.labels,
            BTreeMap::from([("a".into(), "9".into()), ("c".into(), "3".into())])
        );
        assert_eq!(config.exposed_ports, BTreeSet::from(["443/tcp".into()]));
    }

    #[test]
    fn empty_patch_serializes_to_empty_object() {
        assert!(ConfigPatch::default().is_empty());
        assert_eq!(
            serde_json::to_string(&ConfigPatch::default()).unwrap(),
            "{}"
        );
    }
}
