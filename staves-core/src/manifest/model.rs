//! The typed `staves.toml` model (serde + JSON Schema).
//!
//! Values that later checks point back at (atoms, names, flags, ports) are
//! kept as [`Spanned`], so an error found after parsing (here, in the
//! resolver or in the builder) can show the exact place in the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// A parsed and validated `staves.toml`.
///
/// Build one with [`Manifest::from_str_at`] or [`Manifest::load`]; the
/// fields are public for reading. `docs/manifest.md` documents every key.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "staves.toml",
    description = "The Staves manifest: which Gentoo packages go into a container image, and how they are built."
)]
pub struct Manifest {
    /// The image name: an OCI repository name such as `bash-image` or
    /// `ghcr.io/me/bash` (lowercase letters, digits, `.`, `_`, `-`, `/`).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The image version, used as the image tag (e.g. `1.0.0`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub version: Option<Spanned<String>>,
    /// What the project builds: an image (the default) or a builder image
    /// that other projects build with (`kind = "builder"`).
    #[serde(default)]
    #[schemars(with = "Option<ProjectKind>")]
    pub kind: Option<Spanned<ProjectKind>>,
    /// One line describing the project; a builder's `summary` in the
    /// registry index.
    #[serde(default)]
    pub description: Option<String>,
    /// Gentoo atoms to install into the image (`app-shells/bash`,
    /// `=app-shells/bash-5.2_p37`, `dev-lang/python:3.12`); no blockers.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub packages: Vec<Spanned<String>>,
    /// The image entrypoint: a program path, or an array of program and
    /// arguments.
    #[serde(default)]
    pub command: Option<Command>,
    /// The Portage profile, a path under the main repository's `profiles/`
    /// (e.g. `default/linux/amd64/23.0`). When absent, the first `stable`
    /// profile for the builder's architecture in `profiles.desc` is used.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub profile: Option<Spanned<String>>,
    /// `make.conf` variables for every package, and named environments.
    #[serde(default)]
    pub env: Env,
    /// Per-package settings, keyed by atom (usually `category/package`).
    ///
    /// Holds both the canonical `[package."cat/pkg"]` tables and the legacy
    /// top-level `['cat/pkg']` tables of the original Staves.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PackageConfig>")]
    pub package: BTreeMap<Spanned<String>, PackageConfig>,
    /// Ebuild repositories, in priority order (the first is the main one).
    #[serde(default)]
    pub repositories: Vec<Repository>,
    /// The builder image the packages are built with. When absent, the
    /// default builder is used.
    #[serde(default)]
    pub builder: Option<Builder>,
    /// Image metadata: environment, user, working directory, labels, ports.
    #[serde(default)]
    pub image: ImageConfig,
    /// The locale generated in the image (original Staves' `[locale]`).
    #[serde(default)]
    pub locale: Option<Locale>,
    /// Image labels (original Staves' `[annotations]`); merged with
    /// `[image].labels`, a key in both is an error.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// WASM plugins run after the root filesystem is assembled.
    #[serde(default)]
    pub plugins: Vec<Plugin>,
}

impl Manifest {
    /// What the project builds (`kind`, default [`ProjectKind::Image`]).
    pub fn project_kind(&self) -> ProjectKind {
        self.kind
            .as_ref()
            .map_or(ProjectKind::Image, |k| *k.get_ref())
    }

    /// The settings for `key` (an atom as written in the table header).
    pub fn package_config(&self, key: &str) -> Option<&PackageConfig> {
        self.package.get(key)
    }

    /// All image labels: `[annotations]` and `[image].labels` together
    /// (validation guarantees they do not share a key).
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.annotations.clone();
        labels.extend(self.image.labels.clone());
        labels
    }
}

/// What a project builds (top-level `kind`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProjectKind {
    /// A container image (the default).
    #[default]
    Image,
    /// A builder image: its packages go into the base builder's own `/`, and
    /// `staves publish` puts it into a registry index.
    Builder,
}

/// The image entrypoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `command = "/bin/bash"`: a single program path, run without a shell
    /// and never split on spaces (validation rejects whitespace).
    Program(String),
    /// `command = ["/usr/bin/python3", "-m", "http.server"]`.
    Argv(Vec<String>),
}

impl Command {
    /// The entrypoint as an argument vector.
    pub fn argv(&self) -> Vec<String> {
        match self {
            Command::Program(program) => vec![program.clone()],
            Command::Argv(argv) => argv.clone(),
        }
    }
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CommandVisitor;
        impl<'de> Visitor<'de> for CommandVisitor {
            type Value = Command;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Command, E> {
                Ok(Command::Program(value.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Command, A::Error> {
                let mut argv = Vec::new();
                while let Some(arg) = seq.next_element::<String>()? {
                    argv.push(arg);
                }
                Ok(Command::Argv(argv))
            }
        }
        deserializer.deserialize_any(CommandVisitor)
    }
}

impl JsonSchema for Command {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Command".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The image entrypoint: a program path, or an array of program and arguments.",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

/// The `[env]` table: plain string values are `make.conf` variables for
/// every package, sub-tables are named environments that packages opt into
/// with `env = ["name"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// `make.conf` variables (`CFLAGS = "-O2 -pipe"`).
    pub vars: BTreeMap<String, String>,
    /// Named environments (`[env.no-cache]`), each a set of variables.
    pub named: BTreeMap<String, BTreeMap<String, String>>,
}

enum EnvEntry {
    Var(String),
    Named(BTreeMap<String, String>),
}

impl<'de> Deserialize<'de> for EnvEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = EnvEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string (a make.conf value) or a table (a named environment)")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<EnvEntry, E> {
                Ok(EnvEntry::Var(value.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EnvEntry, A::Error> {
                let vars = BTreeMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(EnvEntry::Named(vars))
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

impl<'de> Deserialize<'de> for Env {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = BTreeMap::<String, EnvEntry>::deserialize(deserializer)?;
        let mut env = Env::default();
        for (key, entry) in entries {
            match entry {
                EnvEntry::Var(value) => {
                    env.vars.insert(key, value);
                }
                EnvEntry::Named(vars) => {
                    env.named.insert(key, vars);
                }
            }
        }
        Ok(env)
    }
}

impl JsonSchema for Env {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Env".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "make.conf variables for every package (string values) and named environments (tables of string values).",
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    { "type": "string" },
                    { "type": "object", "additionalProperties": { "type": "string" } }
                ]
            }
        })
    }
}

/// Settings for one package (`[package."cat/pkg"]`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageConfig {
    /// USE flags (`readline`, `-nls`), written to `package.use`.
    #[serde(rename = "use", default)]
    #[schemars(with = "Vec<String>")]
    pub use_flags: Vec<Spanned<String>>,
    /// Accepted keywords (`~amd64`), written to `package.accept_keywords`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub keywords: Vec<Spanned<String>>,
    /// Names of named environments (`[env.<name>]`) applied to this package
    /// through `package.env`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub env: Vec<Spanned<String>>,
}

/// An ebuild repository (`[[repositories]]`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Repository {
    /// The repository name (its `profiles/repo_name`), e.g. `gentoo`.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Where the repository comes from.
    #[serde(rename = "type")]
    pub kind: RepositoryKind,
    /// Git URL (`https://…`, `ssh://…`, `git@host:path`, `file://…`);
    /// required for `type = "git"`.
    #[serde(default)]
    pub uri: Option<String>,
    /// Git branch to follow (default: the remote's default branch).
    #[serde(default)]
    pub branch: Option<String>,
    /// Git tag to use.
    #[serde(default)]
    pub tag: Option<String>,
    /// Git commit to use.
    #[serde(default)]
    pub rev: Option<String>,
    /// Directory of a `type = "local"` repository, relative to the manifest.
    #[serde(default)]
    pub path: Option<PathBuf>,
}

/// The kind of a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RepositoryKind {
    /// A git repository, pinned to a commit by the lockfile.
    Git,
    /// A directory on this machine.
    Local,
}

/// Which git reference a repository follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitRef<'a> {
    /// The remote's default branch (`HEAD`).
    DefaultBranch,
    /// A branch name.
    Branch(&'a str),
    /// A tag name.
    Tag(&'a str),
    /// A commit id.
    Rev(&'a str),
}

impl Repository {
    /// The git reference to follow (validation allows at most one).
    pub fn git_ref(&self) -> GitRef<'_> {
        match (&self.branch, &self.tag, &self.rev) {
            (Some(branch), _, _) => GitRef::Branch(branch),
            (_, Some(tag), _) => GitRef::Tag(tag),
            (_, _, Some(rev)) => GitRef::Rev(rev),
            _ => GitRef::DefaultBranch,
        }
    }
}

/// The `[builder]` table: exactly one of `name` (+ `version`), `image` or
/// `path`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Builder {
    /// A builder from the registry index, e.g. `x86_64-glibc`.
    #[serde(default)]
    pub name: Option<String>,
    /// A semver requirement on the builder's version (e.g. `^1.2`); only
    /// with `name`, default `*`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub version: Option<Spanned<semver::VersionReq>>,
    /// An image reference, ideally pinned by digest
    /// (`ghcr.io/x/y@sha256:…`).
    #[serde(default)]
    pub image: Option<String>,
    /// A directory holding a builder project (its own `staves.toml`),
    /// relative to the manifest.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// The registry index a named builder comes from, as an index location
    /// (`dir+…`, `git+…`, `sparse+https://…`; a `dir+` path is relative to
    /// the manifest). Only with `name`; when absent, `STAVES_INDEX`, else
    /// the index that ships with Staves.
    #[serde(default)]
    pub index: Option<String>,
}

/// Where the builder comes from (see [`Builder::source`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuilderSource<'a> {
    /// A named builder from the registry index and a version requirement.
    Registry {
        /// The builder name.
        name: &'a str,
        /// The version requirement (`*` when not given).
        version: semver::VersionReq,
    },
    /// An image reference.
    Image(&'a str),
    /// A local builder project.
    Path(&'a Path),
}

impl Builder {
    /// The builder's source, or `None` unless exactly one form is set
    /// (never `None` in a validated manifest).
    pub fn source(&self) -> Option<BuilderSource<'_>> {
        match (&self.name, &self.image, &self.path) {
            (Some(name), None, None) => Some(BuilderSource::Registry {
                name,
                version: self
                    .version
                    .as_ref()
                    .map_or(semver::VersionReq::STAR, |v| v.get_ref().clone()),
            }),
            (None, Some(image), None) if self.version.is_none() => {
                Some(BuilderSource::Image(image))
            }
            (None, None, Some(path)) if self.version.is_none() => Some(BuilderSource::Path(path)),
            _ => None,
        }
    }
}

/// The `[image]` table: metadata written into the image configuration.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageConfig {
    /// Environment variables of the image (`PATH`, `LANG`, …).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The user (name or uid, optionally `:group`) the entrypoint runs as.
    #[serde(default)]
    pub user: Option<String>,
    /// The working directory (an absolute path).
    #[serde(default)]
    pub workdir: Option<String>,
    /// Image labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Exposed ports: `PORT`, `PORT/tcp` or `PORT/udp`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub expose: Vec<Spanned<String>>,
    /// gcc runtime libraries copied from the builder into the image, next
    /// to its C library (no ebuild depends on them). Default
    /// `["libgcc_s.so.1"]`; add `"libstdc++.so.6"` for C++ programs, or set
    /// `[]` for static images.
    #[serde(default = "default_runtime_libs", rename = "runtime-libs")]
    pub runtime_libs: Vec<String>,
}

fn default_runtime_libs() -> Vec<String> {
    vec!["libgcc_s.so.1".to_owned()]
}

impl Default for ImageConfig {
    fn default() -> Self {
        Self {
            env: BTreeMap::new(),
            user: None,
            workdir: None,
            labels: BTreeMap::new(),
            expose: Vec::new(),
            runtime_libs: default_runtime_libs(),
        }
    }
}

impl ImageConfig {
    /// The exposed ports, parsed (validation guarantees all of them parse).
    pub fn exposed_ports(&self) -> Vec<ExposedPort> {
        self.expose
            .iter()
            .filter_map(|entry| ExposedPort::parse(entry.get_ref()).ok())
            .collect()
    }
}

/// A transport protocol of an exposed port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
}

/// One `[image].expose` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExposedPort {
    /// The port number, 1 to 65535.
    pub port: u16,
    /// The protocol (TCP when not written).
    pub protocol: Protocol,
}

impl ExposedPort {
    /// Parses `PORT`, `PORT/tcp` or `PORT/udp`.
    ///
    /// # Errors
    ///
    /// A message saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (port, protocol) = match text.split_once('/') {
            None => (text, Protocol::Tcp),
            Some((port, "tcp")) => (port, Protocol::Tcp),
            Some((port, "udp")) => (port, Protocol::Udp),
            Some((_, other)) => {
                return Err(format!(
                    "unknown protocol `{other}` (expected `tcp` or `udp`)"
                ));
            }
        };
        match port.parse::<u16>() {
            Ok(port) if port > 0 && !text.starts_with('+') => Ok(Self { port, protocol }),
            _ => Err(format!("`{port}` is not a port number (1 to 65535)")),
        }
    }
}

impl fmt::Display for ExposedPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let protocol = match self.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        };
        write!(f, "{}/{protocol}", self.port)
    }
}

/// The `[locale]` table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Locale {
    /// The locale name, e.g. `en_US`.
    pub name: String,
    /// The character set, e.g. `UTF-8`.
    pub charset: String,
}

/// A WASM plugin (`[[plugins]]`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plugin {
    /// A name for messages and for the lockfile; unique in the manifest.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// A `.wasm` file relative to the manifest.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Where to download the `.wasm` file from (needs `sha256`).
    #[serde(default)]
    pub url: Option<String>,
    /// The SHA-256 of the `.wasm` file, 64 hex digits; required with `url`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub sha256: Option<Spanned<String>>,
    /// When the plugin runs.
    pub hook: Hook,
    /// The plugin's own settings, passed to it as JSON.
    #[serde(default)]
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub config: toml::Table,
    /// Per-plugin overrides of the sandbox limits.
    #[serde(default)]
    pub limits: PluginLimits,
}

/// A plugin's `limits` table: overrides of the defaults documented in
/// `plugins/README.md` (512 MiB, 2e11 fuel, 300 s).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginLimits {
    /// Linear memory, e.g. `"1GiB"` (units B, KiB, MiB, GiB; at most 4GiB).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub memory: Option<Spanned<String>>,
    /// Deterministic CPU budget in fuel units, e.g. `1e12`.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub fuel: Option<Spanned<f64>>,
    /// Wall-clock limit, e.g. `"10m"` (units ms, s, m).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
}

impl PluginLimits {
    /// The table as `Limits::with_overrides` reads it (only the keys set).
    pub fn to_table(&self) -> toml::Table {
        let mut table = toml::Table::new();
        if let Some(memory) = &self.memory {
            table.insert("memory".into(), memory.get_ref().clone().into());
        }
        if let Some(fuel) = &self.fuel {
            table.insert("fuel".into(), toml::Value::Float(*fuel.get_ref()));
        }
        if let Some(timeout) = &self.timeout {
            table.insert("timeout".into(), timeout.get_ref().clone().into());
        }
        table
    }
}

/// When a plugin runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Hook {
    /// After the root filesystem is assembled, before the image is written.
    #[serde(rename = "post-build")]
    PostBuild,
}

impl Hook {
    /// The name used in `staves.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::PostBuild => "post-build",
        }
    }
}
