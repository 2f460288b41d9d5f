//! Checks of `[[repositories]]`, `[builder]`, `[image]` and `[[plugins]]`.

use std::collections::BTreeMap;

use super::super::atoms;
use super::super::error::{ErrorKind, Seg};
use super::super::model::{Builder, ExposedPort, Manifest, Plugin, Repository, RepositoryKind};
use super::super::parse::Ctx;
use super::super::spans::key_span_at;
use super::{Result, invalid, invalid_spanned, key};

/// A repository name (PMS): `[A-Za-z0-9_][A-Za-z0-9_-]*`, and not ending in
/// `-<version>` (it must also be a valid package name).
fn is_repo_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
        && atoms::check(&format!("x/{name}")).is_ok_and(|info| info.cp.len() == name.len() + 2)
}

pub(super) fn check_repositories(repos: &[Repository], ctx: &Ctx<'_, '_>) -> Result {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, repo) in repos.iter().enumerate() {
        let at = |field: &str| vec![key("repositories"), Seg::Index(i), key(field)];
        let name = repo.name.get_ref();
        if !is_repo_name(name) {
            return Err(invalid_spanned(
                ctx,
                &repo.name,
                &at("name"),
                format!("invalid repository name `{name}`"),
                Some("repository names use letters, digits, `_` and `-` and must match the repository's `profiles/repo_name`".to_owned()),
            ));
        }
        if let Some(first) = seen.insert(name, repo.name.span().start) {
            return Err(ctx.error_at_span(
                ErrorKind::Duplicate,
                repo.name.span(),
                &at("name"),
                format!("repository `{name}` is defined twice"),
                Some(format!(
                    "the first definition is on line {}; repository names must be unique",
                    ctx.line_of(first)
                )),
            ));
        }
        let conflict = |field: &str, message: String, help: &str| {
            ctx.error_at_key(
                ErrorKind::Conflict,
                &at(field),
                message,
                Some(help.to_owned()),
            )
        };
        match repo.kind {
            RepositoryKind::Git => {
                if repo.uri.as_deref().is_none_or(|u| u.trim().is_empty()) {
                    return Err(ctx.error_at(
                        ErrorKind::MissingKey,
                        &at("uri"),
                        format!("git repository `{name}` has no `uri`"),
                        Some("add it, for example: uri = \"https://github.com/gentoo-mirror/gentoo.git\"".to_owned()),
                    ));
                }
                if repo.path.is_some() {
                    return Err(conflict(
                        "path",
                        format!("git repository `{name}` cannot have a `path`"),
                        "use type = \"local\" for a directory",
                    ));
                }
                let refs: Vec<&str> = [
                    ("branch", &repo.branch),
                    ("tag", &repo.tag),
                    ("rev", &repo.rev),
                ]
                .into_iter()
                .filter_map(|(field, value)| value.as_ref().map(|_| field))
                .collect();
                if refs.len() > 1 {
                    return Err(conflict(
                        refs[1],
                        format!(
                            "repository `{name}` sets both `{}` and `{}`",
                            refs[0], refs[1]
                        ),
                        "set at most one of `branch`, `tag` and `rev`",
                    ));
                }
                for (field, value) in [
                    ("branch", &repo.branch),
                    ("tag", &repo.tag),
                    ("rev", &repo.rev),
                ] {
                    if let Some(value) = value
                        && (value.is_empty() || value.contains(char::is_whitespace))
                    {
                        return Err(invalid(
                            ctx,
                            &at(field),
                            format!("invalid git {field} `{value}`"),
                            None,
                        ));
                    }
                }
            }
            RepositoryKind::Local => {
                if repo.path.as_ref().is_none_or(|p| p.as_os_str().is_empty()) {
                    return Err(ctx.error_at(
                        ErrorKind::MissingKey,
                        &at("path"),
                        format!("local repository `{name}` has no `path`"),
                        Some("add the directory, relative to staves.toml, e.g. path = \"../overlay\"".to_owned()),
                    ));
                }
                for (field, set) in [
                    ("uri", repo.uri.is_some()),
                    ("branch", repo.branch.is_some()),
                    ("tag", repo.tag.is_some()),
                    ("rev", repo.rev.is_some()),
                ] {
                    if set {
                        return Err(conflict(
                            field,
                            format!("local repository `{name}` cannot have `{field}`"),
                            "use type = \"git\" for a git repository",
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit())
}

pub(super) fn check_builder(builder: &Builder, ctx: &Ctx<'_, '_>) -> Result {
    let forms: Vec<&str> = [
        ("name", builder.name.is_some()),
        ("image", builder.image.is_some()),
        ("path", builder.path.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect();
    let at = |field: &str| vec![key("builder"), key(field)];
    let forms_help = "use exactly one of `name` (with `version`), `image` or `path`".to_owned();
    if forms.is_empty() {
        return Err(ctx.error_at_key(
            ErrorKind::MissingKey,
            &[key("builder")],
            "`[builder]` names no builder",
            Some(forms_help),
        ));
    }
    if forms.len() > 1 {
        return Err(ctx.error_at_key(
            ErrorKind::Conflict,
            &at(forms[1]),
            format!("`[builder]` sets both `{}` and `{}`", forms[0], forms[1]),
            Some(forms_help),
        ));
    }
    if builder.version.is_some() && builder.name.is_none() {
        return Err(ctx.error_at_key(
            ErrorKind::Conflict,
            &at("version"),
            format!(
                "`version` only applies to a named builder, not to `{}`",
                forms[0]
            ),
            Some("remove `version`, or name a builder from the registry with `name`".to_owned()),
        ));
    }
    if let Some(name) = &builder.name
        && let Err(e) = registry_index::validate_name(name)
    {
        return Err(invalid(
            ctx,
            &at("name"),
            format!("invalid builder name `{name}`: {e}"),
            Some(
                "builder names use lowercase letters, digits, `-` and `_`, e.g. `x86_64-glibc`"
                    .to_owned(),
            ),
        ));
    }
    if let Some(index) = &builder.index {
        if builder.name.is_none() {
            return Err(ctx.error_at_key(
                ErrorKind::Conflict,
                &at("index"),
                format!(
                    "`index` only applies to a named builder, not to `{}`",
                    forms[0]
                ),
                Some("remove `index`, or name a builder from the index with `name`".to_owned()),
            ));
        }
        if let Err(e) = index.parse::<registry_index::IndexSource>() {
            return Err(invalid(
                ctx,
                &at("index"),
                e.to_string(),
                Some("for example index = \"git+https://example.org/builders.git\", \"sparse+https://example.org/index/\" or \"dir+../index\"".to_owned()),
            ));
        }
    }
    if let Some(image) = &builder.image {
        let digest_ok = match image.split_once('@') {
            None => true,
            Some((_, digest)) => digest.strip_prefix("sha256:").is_some_and(is_sha256_hex),
        };
        if image.is_empty() || image.contains(char::is_whitespace) || !digest_ok {
            return Err(invalid(
                ctx,
                &at("image"),
                format!("invalid image reference `{image}`"),
                Some(
                    "for example: image = \"ghcr.io/owner/builder@sha256:<64 hex digits>\""
                        .to_owned(),
                ),
            ));
        }
    }
    if let Some(path) = &builder.path
        && path.as_os_str().is_empty()
    {
        return Err(invalid(
            ctx,
            &at("path"),
            "`path` is empty".to_owned(),
            None,
        ));
    }
    Ok(())
}

pub(super) fn check_image(m: &Manifest, ctx: &Ctx<'_, '_>) -> Result {
    let at = |field: &str| vec![key("image"), key(field)];
    for var in m.image.env.keys() {
        if var.is_empty() || var.contains(['=', '\0']) || var.contains(char::is_whitespace) {
            let path = [key("image"), key("env"), key(var)];
            return Err(ctx.error_at_key(
                ErrorKind::InvalidValue,
                &path,
                format!("invalid environment variable name `{var}`"),
                None,
            ));
        }
    }
    if let Some(user) = &m.image.user
        && (user.is_empty() || user.contains(char::is_whitespace))
    {
        return Err(invalid(
            ctx,
            &at("user"),
            format!("invalid user `{user}`"),
            Some(
                "a user name or uid, optionally with `:group`, e.g. `app` or `1000:1000`"
                    .to_owned(),
            ),
        ));
    }
    if let Some(workdir) = &m.image.workdir
        && !workdir.starts_with('/')
    {
        return Err(invalid(
            ctx,
            &at("workdir"),
            format!("`workdir` must be an absolute path, not `{workdir}`"),
            Some("for example: workdir = \"/srv\"".to_owned()),
        ));
    }
    for (i, entry) in m.image.expose.iter().enumerate() {
        if let Err(problem) = ExposedPort::parse(entry.get_ref()) {
            return Err(invalid_spanned(
                ctx,
                entry,
                &[key("image"), key("expose"), Seg::Index(i)],
                format!("invalid exposed port `{}`: {problem}", entry.get_ref()),
                Some("write `PORT`, `PORT/tcp` or `PORT/udp`, e.g. \"8080/tcp\"".to_owned()),
            ));
        }
    }
    for (i, lib) in m.image.runtime_libs.iter().enumerate() {
        let plain = !lib.is_empty()
            && !lib.starts_with('.')
            && lib
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b));
        if !plain {
            return Err(ctx.error_at_key(
                ErrorKind::InvalidValue,
                &[key("image"), key("runtime-libs"), Seg::Index(i)],
                format!("invalid runtime library `{lib}`"),
                Some("a library file name such as \"libstdc++.so.6\" (no path)".to_owned()),
            ));
        }
    }
    for label in m.image.labels.keys() {
        if m.annotations.contains_key(label) {
            let first = key_span_at(ctx.tree, &[key("annotations"), key(label)])
                .map_or(1, |span| ctx.line_of(span.start));
            return Err(ctx.error_at_key(
                ErrorKind::Duplicate,
                &[key("image"), key("labels"), key(label)],
                format!("label `{label}` is set twice"),
                Some(format!(
                    "`[annotations]` sets it too (line {first}); keep one of them"
                )),
            ));
        }
    }
    Ok(())
}

pub(super) fn check_plugins(plugins: &[Plugin], ctx: &Ctx<'_, '_>) -> Result {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, plugin) in plugins.iter().enumerate() {
        let at = |field: &str| vec![key("plugins"), Seg::Index(i), key(field)];
        let name = plugin.name.get_ref();
        let plain = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !plain {
            return Err(invalid_spanned(
                ctx,
                &plugin.name,
                &at("name"),
                format!("invalid plugin name `{name}`"),
                Some(
                    "a plugin name starts with a letter or digit and holds only letters, digits, `.`, `_` and `-` (it names the plugin's artifacts directory), e.g. \"strip-docs\"".to_owned(),
                ),
            ));
        }
        if let Some(first) = seen.insert(name, plugin.name.span().start) {
            return Err(ctx.error_at_span(
                ErrorKind::Duplicate,
                plugin.name.span(),
                &at("name"),
                format!("plugin `{name}` is defined twice"),
                Some(format!(
                    "the first definition is on line {}",
                    ctx.line_of(first)
                )),
            ));
        }
        let source_help = "give either path = \"plugins/x.wasm\" or url = \"https://…\" with sha256 = \"<64 hex digits>\"".to_owned();
        match (&plugin.path, &plugin.url) {
            (Some(_), Some(_)) => {
                return Err(ctx.error_at_key(
                    ErrorKind::Conflict,
                    &at("url"),
                    format!("plugin `{name}` sets both `path` and `url`"),
                    Some(source_help),
                ));
            }
            (None, None) => {
                return Err(ctx.error_at(
                    ErrorKind::MissingKey,
                    &[key("plugins"), Seg::Index(i)],
                    format!("plugin `{name}` has neither `path` nor `url`"),
                    Some(source_help),
                ));
            }
            (None, Some(_)) if plugin.sha256.is_none() => {
                return Err(ctx.error_at_key(
                    ErrorKind::MissingKey,
                    &at("url"),
                    format!("plugin `{name}` is downloaded from `url` but has no `sha256`"),
                    Some(
                        "add sha256 = \"<64 hex digits>\" so the download can be verified"
                            .to_owned(),
                    ),
                ));
            }
            _ => {}
        }
        if let Some(sha) = &plugin.sha256
            && !is_sha256_hex(sha.get_ref())
        {
            return Err(invalid_spanned(
                ctx,
                sha,
                &at("sha256"),
                format!("`sha256` must be 64 hex digits, not `{}`", sha.get_ref()),
                Some("compute it with `sha256sum plugin.wasm`".to_owned()),
            ));
        }
        if let Err(crate::plugin::PluginError::Limits {
            key: limit,
            message,
            ..
        }) = crate::plugin::Limits::with_overrides(name, &plugin.limits.to_table())
        {
            return Err(invalid(
                ctx,
                &[key("plugins"), Seg::Index(i), key("limits"), key(&limit)],
                format!("plugin `{name}`: invalid `limits.{limit}`: {message}"),
                Some(
                    "for example limits = { memory = \"1GiB\", fuel = 1e12, timeout = \"10m\" }"
                        .to_owned(),
                ),
            ));
        }
    }
    Ok(())
}
