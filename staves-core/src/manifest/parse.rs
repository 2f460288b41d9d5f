//! Reading `staves.toml`: TOML syntax, the legacy package tables, serde, and
//! turning serde's messages into [`ManifestError`]s with a key path and help.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{Details, ErrorKind, Location, ManifestError, Seg, key_path};
use super::model::Manifest;
use super::spans::{key_span_at, path_at, span_at};
use super::validate::validate;
use crate::util::suggest::{closest, did_you_mean};

impl Manifest {
    /// Reads and validates the manifest at `path`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Read`] when the file cannot be read, otherwise what
    /// [`Manifest::from_bytes_at`] reports.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let bytes = fs_err::read(path)
            .map_err(|err| Details {
                path: path.to_owned(),
                kind: ErrorKind::Read,
                location: None,
                key: None,
                message: format!("failed to read `{}`", path.display()),
                help: None,
                source: Some(err),
            })
            .map_err(ManifestError::from)?;
        Self::from_bytes_at(&bytes, path)
    }

    /// Parses and validates manifest bytes; `path` is only used in errors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Syntax`] for bytes that are not UTF-8 (pointing at the
    /// first bad byte), otherwise what [`Manifest::from_str_at`] reports.
    pub fn from_bytes_at(bytes: &[u8], path: &Path) -> Result<Self, ManifestError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Self::from_str_at(text, path),
            Err(err) => {
                let valid = String::from_utf8_lossy(&bytes[..err.valid_up_to()]);
                let offset = valid.len();
                Err(ManifestError::from(Details {
                    path: path.to_owned(),
                    kind: ErrorKind::Syntax,
                    location: Some(Location::from_span(&valid, offset..offset)),
                    key: None,
                    message: "the file is not valid UTF-8".to_owned(),
                    help: Some("save `staves.toml` as UTF-8".to_owned()),
                    source: None,
                }))
            }
        }
    }

    /// Parses and validates manifest text; `path` is only used in errors.
    ///
    /// Never panics, whatever the input.
    ///
    /// # Errors
    ///
    /// The first problem found, with its position, key path and help.
    pub fn from_str_at(text: &str, path: &Path) -> Result<Self, ManifestError> {
        let tree = DeTable::parse(text).map_err(|err| syntax_error(text, path, &err))?;
        let original = tree.clone();
        let mut ctx = Ctx {
            text,
            path,
            tree: original.get_ref(),
            legacy: BTreeSet::new(),
        };
        let mut tree = tree;
        ctx.legacy = merge_legacy_tables(&ctx, tree.get_mut())?;
        let manifest = Manifest::deserialize(toml::de::Deserializer::from(tree))
            .map_err(|err| ctx.serde_error(&err))?;
        validate(&manifest, &ctx)?;
        Ok(manifest)
    }
}

fn syntax_error(text: &str, path: &Path, err: &toml::de::Error) -> ManifestError {
    let span = err.span().unwrap_or(0..0);
    let message = err.message().trim_end().to_owned();
    let kind = if message.starts_with("duplicate key") {
        ErrorKind::Duplicate
    } else {
        ErrorKind::Syntax
    };
    ManifestError::from(Details {
        path: path.to_owned(),
        kind,
        location: Some(Location::from_span(text, span)),
        key: None,
        message: format!("invalid TOML: {message}"),
        help: None,
        source: None,
    })
}

/// What validation needs to build errors: the text, the path and the
/// original tree (for spans and key paths).
pub(crate) struct Ctx<'a, 'i> {
    pub(crate) text: &'a str,
    pub(crate) path: &'a Path,
    pub(crate) tree: &'a DeTable<'i>,
    /// Package keys written in the legacy top-level form.
    pub(crate) legacy: BTreeSet<String>,
}

impl Ctx<'_, '_> {
    /// An error at an explicit span.
    pub(crate) fn error_at_span(
        &self,
        kind: ErrorKind,
        span: Range<usize>,
        path: &[Seg],
        message: impl Into<String>,
        help: Option<String>,
    ) -> ManifestError {
        ManifestError::from(Details {
            path: self.path.to_owned(),
            kind,
            location: Some(Location::from_span(self.text, span)),
            key: (!path.is_empty()).then(|| key_path(path)),
            message: message.into(),
            help,
            source: None,
        })
    }

    /// An error at the value (or, failing that, the nearest parent) at `path`.
    pub(crate) fn error_at(
        &self,
        kind: ErrorKind,
        path: &[Seg],
        message: impl Into<String>,
        help: Option<String>,
    ) -> ManifestError {
        let span = (0..=path.len())
            .rev()
            .find_map(|len| span_at(self.tree, &path[..len]))
            .unwrap_or(0..0);
        self.error_at_span(kind, span, path, message, help)
    }

    /// An error at the key (not the value) at `path`.
    pub(crate) fn error_at_key(
        &self,
        kind: ErrorKind,
        path: &[Seg],
        message: impl Into<String>,
        help: Option<String>,
    ) -> ManifestError {
        match key_span_at(self.tree, path) {
            Some(span) => self.error_at_span(kind, span, path, message, help),
            None => self.error_at(kind, path, message, help),
        }
    }

    /// The key path of a package table, in the form it was written.
    pub(crate) fn package_path(&self, key: &str) -> Vec<Seg> {
        if self.legacy.contains(key) {
            vec![Seg::Key(key.to_owned())]
        } else {
            vec![Seg::Key("package".to_owned()), Seg::Key(key.to_owned())]
        }
    }

    /// The 1-based line of a byte offset.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        Location::from_span(self.text, offset..offset).line
    }

    fn serde_error(&self, err: &toml::de::Error) -> ManifestError {
        let span = err.span().unwrap_or(0..0);
        // An empty span (a missing key at the top level) is about the root.
        let mut path = if span.is_empty() {
            Vec::new()
        } else {
            path_at(self.tree, &span)
        };
        let message = err.message();
        let (kind, message, help) = if let Some((field, candidates)) =
            unknown_name(message, "unknown field `")
        {
            let help = suggestion(&field, &candidates, "valid keys here");
            (
                ErrorKind::UnknownKey,
                format!("unknown key `{field}`"),
                help,
            )
        } else if let Some((value, candidates)) = unknown_name(message, "unknown variant `") {
            let help = suggestion(&value, &candidates, "expected");
            (
                ErrorKind::UnknownKey,
                format!("unknown value `{value}`"),
                help,
            )
        } else if let Some(rest) = message.strip_prefix("invalid type: ") {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let hint = type_hint(&path);
            let expected = hint.map_or_else(|| humanize(expected), |(h, _)| h.to_owned());
            let mut help = hint
                .and_then(|(_, example)| example)
                .map(|example| format!("for example: {example}"));
            if pattern(&path) == "packages" && found == "map" {
                help = Some(
                    "`packages` is the list of atoms; per-package settings go in \
                     `[package.\"category/name\"]` tables"
                        .to_owned(),
                );
            }
            let message = format!("expected {expected}, found {}", humanize(found));
            (ErrorKind::WrongType, message, help)
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            let field = rest.trim_end_matches('`').to_owned();
            path.push(Seg::Key(field.clone()));
            let help = type_hint(&path)
                .and_then(|(_, example)| example)
                .map(|example| format!("add it, for example: {example}"));
            (
                ErrorKind::MissingKey,
                format!("missing key `{field}`"),
                help,
            )
        } else if pattern(&path) == "builder.version" {
            let written = self.text.get(span.clone()).unwrap_or("").trim_matches('"');
            (
                ErrorKind::InvalidValue,
                format!("invalid version requirement `{written}`: {message}"),
                Some("use a semver requirement such as `^1.2`, `~1.2.3` or `>=1.0, <2`".to_owned()),
            )
        } else {
            (ErrorKind::InvalidValue, message.to_owned(), None)
        };
        self.error_at_span(kind, span, &path, message, help)
    }
}

/// Moves top-level tables whose key contains `/` (the original Staves'
/// `['cat/pkg']` form) into `package`, refusing a key given in both forms.
fn merge_legacy_tables<'i>(
    ctx: &Ctx<'_, '_>,
    root: &mut DeTable<'i>,
) -> Result<BTreeSet<String>, ManifestError> {
    let keys: Vec<Spanned<Cow<'i, str>>> = root
        .keys()
        .filter(|key| key.get_ref().contains('/'))
        .cloned()
        .collect();
    let mut legacy = BTreeSet::new();
    let mut moved = Vec::new();
    for key in keys {
        let name = key.get_ref().to_string();
        let Some(value) = root.remove(name.as_str()) else {
            continue;
        };
        let path = [Seg::Key(name.clone())];
        if !matches!(value.get_ref(), DeValue::Table(_)) {
            return Err(ctx.error_at(
                ErrorKind::WrongType,
                &path,
                format!(
                    "expected a package table, found {}",
                    humanize(value.get_ref().type_str())
                ),
                Some(format!(
                    "a top-level key containing `/` is a package table, e.g. \
                     [package.\"{name}\"] with use = [\"-nls\"]"
                )),
            ));
        }
        legacy.insert(name);
        moved.push((key, value));
    }
    if moved.is_empty() {
        return Ok(legacy);
    }
    let first_span = moved[0].0.span();
    let package = root
        .entry(Spanned::new(first_span.clone(), Cow::Borrowed("package")))
        .or_insert_with(|| Spanned::new(first_span, DeValue::Table(DeTable::new())));
    let DeValue::Table(table) = package.get_mut() else {
        // `package` has the wrong type; serde reports it next.
        return Ok(legacy);
    };
    for (key, value) in moved {
        let name = key.get_ref().to_string();
        if let Some((canonical, _)) = table.get_key_value(name.as_str()) {
            let line = ctx.line_of(canonical.span().start);
            return Err(ctx.error_at_key(
                ErrorKind::Duplicate,
                &[Seg::Key(name.clone())],
                format!("package `{name}` has settings in two places"),
                Some(format!(
                    "`[package.\"{name}\"]` on line {line} configures the same package; \
                     merge the two tables into `[package.\"{name}\"]`"
                )),
            ));
        }
        table.insert(key, value);
    }
    Ok(legacy)
}

/// Splits "unknown field `x`, expected one of `a`, `b`" into `x` and the
/// candidates.
fn unknown_name(message: &str, prefix: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix(prefix)?;
    let end = rest.find("`, ").or_else(|| rest.rfind('`'))?;
    let (name, tail) = rest.split_at(end);
    let tail = tail.get(1..).unwrap_or("");
    let candidates = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((name.to_owned(), candidates))
}

fn suggestion(input: &str, candidates: &[String], label: &str) -> Option<String> {
    if let Some(best) = closest(input, candidates.iter().map(String::as_str)) {
        return Some(did_you_mean(best));
    }
    if candidates.is_empty() {
        return None;
    }
    let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    Some(format!("{label}: {}", list.join(", ")))
}

/// serde's type words in TOML terms.
fn humanize(text: &str) -> String {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("string ") {
        return format!("a string ({rest})");
    }
    match text {
        "" => "something else".to_owned(),
        "sequence" | "a sequence" | "array" => "an array".to_owned(),
        "map" | "a map" | "table" => "a table".to_owned(),
        "string" => "a string".to_owned(),
        "integer" => "an integer".to_owned(),
        "float" => "a float".to_owned(),
        "boolean" => "a boolean".to_owned(),
        "datetime" => "a date-time".to_owned(),
        other if other.starts_with("struct ") => "a table".to_owned(),
        other if other.starts_with("integer ") => format!("an integer ({})", &other[8..]),
        other if other.starts_with("floating point ") => format!("a float ({})", &other[15..]),
        other if other.starts_with("boolean ") => format!("a boolean ({})", &other[8..]),
        other => other.to_owned(),
    }
}

/// The schema position of a key path: indices become `[]`, free-form keys
/// (package atoms, variable names, labels) become `*`, legacy package tables
/// map to `package.*`, and anything under a plugin's `config` is `config`.
pub(crate) fn pattern(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Index(_) => out.push_str("[]"),
            Seg::Key(key) => {
                if out.is_empty() && key.contains('/') {
                    out.push_str("package.*");
                } else if matches!(
                    out.as_str(),
                    "package" | "env" | "env.*" | "image.env" | "image.labels" | "annotations"
                ) {
                    out.push_str(".*");
                } else if out.starts_with("plugins[].config") {
                    // Free-form plugin settings.
                } else {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
            }
        }
    }
    out
}

/// The expected type at a key path, and a one-line example.
fn type_hint(path: &[Seg]) -> Option<(&'static str, Option<&'static str>)> {
    const STRING: (&str, Option<&str>) = ("a string", None);
    let hint = match pattern(path).as_str() {
        "name" => ("a string", Some("name = \"my-image\"")),
        "version" => ("a string", Some("version = \"1.0.0\"")),
        "packages" => (
            "an array of atoms",
            Some("packages = [\"app-shells/bash\", \"=dev-lang/python-3.12.8\"]"),
        ),
        "packages[]" => ("a string (a Gentoo atom)", None),
        "command" => (
            "a string or an array of strings",
            Some("command = [\"/bin/bash\", \"-l\"]"),
        ),
        "profile" => ("a string", Some("profile = \"default/linux/amd64/23.0\"")),
        "env" => ("a table", Some("env = { CFLAGS = \"-O2 -pipe\" }")),
        "env.*" => (
            "a string (a make.conf value) or a table (a named environment)",
            Some("[env.no-cache] with FEATURES = \"-buildpkg\""),
        ),
        "package" | "package.*" => (
            "a table",
            Some("[package.\"app-shells/bash\"] with use = [\"-nls\"]"),
        ),
        "package.*.use" => (
            "an array of strings",
            Some("use = [\"-nls\", \"readline\"]"),
        ),
        "package.*.keywords" => ("an array of strings", Some("keywords = [\"~amd64\"]")),
        "package.*.env" => ("an array of strings", Some("env = [\"no-cache\"]")),
        "repositories" | "repositories[]" => (
            "an array of tables",
            Some(
                "[[repositories]] with name = \"gentoo\", type = \"git\", \
                 uri = \"https://github.com/gentoo-mirror/gentoo.git\"",
            ),
        ),
        "repositories[].type" => ("`\"git\"` or `\"local\"`", None),
        "builder" => (
            "a table",
            Some("builder = { name = \"x86_64-glibc\", version = \"^0.1\" }"),
        ),
        "builder.version" => (
            "a string (a semver requirement)",
            Some("version = \"^1.2\""),
        ),
        "image" => (
            "a table",
            Some("image = { user = \"app\", workdir = \"/srv\" }"),
        ),
        "image.env" | "image.labels" | "annotations" => (
            "a table of strings",
            Some("labels = { \"org.opencontainers.image.title\" = \"demo\" }"),
        ),
        "image.runtime-libs" => (
            "an array of strings (file names)",
            Some("runtime-libs = [\"libgcc_s.so.1\", \"libstdc++.so.6\"]"),
        ),
        "image.expose" => (
            "an array of strings",
            Some("expose = [\"8080/tcp\", \"53/udp\"]"),
        ),
        "locale" => (
            "a table",
            Some("locale = { name = \"en_US\", charset = \"UTF-8\" }"),
        ),
        "plugins" | "plugins[]" => (
            "an array of tables",
            Some(
                "[[plugins]] with name = \"strip\", path = \"plugins/strip.wasm\", hook = \"post-build\"",
            ),
        ),
        "plugins[].hook" => ("`\"post-build\"`", Some("hook = \"post-build\"")),
        "kind" => ("`\"image\"` or `\"builder\"`", Some("kind = \"builder\"")),
        "description" => (
            "a string",
            Some("description = \"Gentoo stage3 with Python\""),
        ),
        "plugins[].config" => ("a table", None),
        "plugins[].limits" => (
            "a table",
            Some("limits = { memory = \"1GiB\", fuel = 1e12, timeout = \"10m\" }"),
        ),
        "plugins[].limits.memory" => ("a string (a size)", Some("memory = \"1GiB\"")),
        "plugins[].limits.fuel" => ("a number", Some("fuel = 1e12")),
        "plugins[].limits.timeout" => ("a string (a duration)", Some("timeout = \"10m\"")),
        "env.*.*"
        | "image.env.*"
        | "image.labels.*"
        | "annotations.*"
        | "command[]"
        | "package.*.use[]"
        | "package.*.keywords[]"
        | "package.*.env[]"
        | "image.user"
        | "image.workdir"
        | "image.expose[]"
        | "image.runtime-libs[]"
        | "locale.name"
        | "locale.charset"
        | "builder.name"
        | "builder.image"
        | "builder.path"
        | "builder.index"
        | "repositories[].name"
        | "repositories[].uri"
        | "repositories[].branch"
        | "repositories[].tag"
        | "repositories[].rev"
        | "repositories[].path"
        | "plugins[].name"
        | "plugins[].path"
        | "plugins[].url"
        | "plugins[].sha256" => STRING,
        _ => return None,
    };
    Some(hint)
}
