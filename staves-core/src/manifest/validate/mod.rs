//! Checks that need more than types: atoms, names, references between
//! tables, mutually exclusive keys. Each failed check becomes a
//! [`ManifestError`] pointing at the offending value.

mod builder_kind;
mod tables;

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;

use super::atoms;
use super::error::{ErrorKind, ManifestError, Seg};
use super::model::{Command, Manifest, PackageConfig};
use super::parse::Ctx;
use crate::util::suggest::{closest, did_you_mean};

pub(super) type Result<T = ()> = std::result::Result<T, ManifestError>;

pub(super) fn key(name: &str) -> Seg {
    Seg::Key(name.to_owned())
}

pub(crate) fn validate(m: &Manifest, ctx: &Ctx<'_, '_>) -> Result {
    check_name(m, ctx)?;
    builder_kind::check(m, ctx)?;
    check_packages(m, ctx)?;
    check_command(m, ctx)?;
    check_profile(m, ctx)?;
    check_env(m, ctx)?;
    for (pkg, config) in &m.package {
        check_package_table(m, ctx, pkg, config)?;
    }
    tables::check_repositories(&m.repositories, ctx)?;
    if let Some(builder) = &m.builder {
        tables::check_builder(builder, ctx)?;
    }
    tables::check_image(m, ctx)?;
    if let Some(locale) = &m.locale {
        for (field, value) in [("name", &locale.name), ("charset", &locale.charset)] {
            if value.trim().is_empty() || value.contains(char::is_whitespace) {
                let path = [key("locale"), key(field)];
                return Err(invalid(
                    ctx,
                    &path,
                    format!("invalid locale {field} `{value}`"),
                    None,
                ));
            }
        }
    }
    tables::check_plugins(&m.plugins, ctx)
}

pub(super) fn invalid(
    ctx: &Ctx<'_, '_>,
    path: &[Seg],
    message: String,
    help: Option<String>,
) -> ManifestError {
    ctx.error_at(ErrorKind::InvalidValue, path, message, help)
}

pub(super) fn invalid_spanned(
    ctx: &Ctx<'_, '_>,
    value: &Spanned<String>,
    path: &[Seg],
    message: String,
    help: Option<String>,
) -> ManifestError {
    ctx.error_at_span(ErrorKind::InvalidValue, value.span(), path, message, help)
}

/// The span of the character at byte `offset` of a string value, when the literal is
/// written without escapes (so offsets in the value are offsets in the
/// text); otherwise the whole literal.
fn span_inside(
    text: &str,
    literal: Range<usize>,
    value: &str,
    offset: Option<usize>,
) -> Range<usize> {
    let raw = text.get(literal.clone()).unwrap_or("");
    let quote = [1, 3]
        .into_iter()
        .find(|&q| raw.len() == value.len() + 2 * q && raw.get(q..q + value.len()) == Some(value));
    match (quote, offset) {
        (Some(q), Some(offset)) if value.is_char_boundary(offset) => {
            // One character: the one the atom parser stopped at (or the
            // closing quote when something is missing at the end).
            let width = value[offset..].chars().next().map_or(1, char::len_utf8);
            let start = literal.start + q + offset;
            start..start + width
        }
        _ => literal,
    }
}

/// An OCI repository name: lowercase components joined by `/`, with an
/// optional registry host (which may have a port) in front.
fn is_image_name(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 {
        let host = parts[0];
        if host.contains(['.', ':']) || host == "localhost" {
            let (domain, port) = host.split_once(':').unwrap_or((host, "0"));
            let domain_ok = domain.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
            if !domain_ok || port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
                return false;
            }
            parts.remove(0);
        }
    }
    parts.iter().all(|part| {
        let b = part.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            && !part.contains("..")
            && !part.contains("___")
    })
}

/// An OCI tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn is_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"._-".contains(&c))
}

fn check_name(m: &Manifest, ctx: &Ctx<'_, '_>) -> Result {
    let name = m.name.get_ref();
    if !is_image_name(name) {
        let help = if name
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
        {
            "put the tag in `version`, e.g. version = \"1.0.0\"".to_owned()
        } else {
            "image names use lowercase letters and digits separated by `.`, `_` or `-` \
             (and `/`), e.g. `bash-image` or `ghcr.io/me/bash`"
                .to_owned()
        };
        return Err(invalid_spanned(
            ctx,
            &m.name,
            &[key("name")],
            format!("invalid image name `{name}`"),
            Some(help),
        ));
    }
    if let Some(version) = &m.version
        && !is_tag(version.get_ref())
    {
        return Err(invalid_spanned(
            ctx,
            version,
            &[key("version")],
            format!("invalid image version `{}`", version.get_ref()),
            Some("the version becomes the image tag: letters, digits, `.`, `_` and `-`, at most 128 characters".to_owned()),
        ));
    }
    Ok(())
}

/// Checks one atom; returns its `category/package`.
fn check_atom(
    ctx: &Ctx<'_, '_>,
    atom: &Spanned<String>,
    path: &[Seg],
    what: &str,
) -> Result<String> {
    let text = atom.get_ref();
    match atoms::check(text) {
        Ok(info) if info.blocker => Err(invalid_spanned(
            ctx,
            atom,
            path,
            format!("{what} `{text}` is a blocker"),
            Some("blockers (`!atom`, `!!atom`) cannot be installed; remove the `!`".to_owned()),
        )),
        Ok(info) => Ok(info.cp),
        Err(err) => {
            let span = span_inside(ctx.text, atom.span(), text, err.offset);
            Err(ctx.error_at_span(
                ErrorKind::InvalidValue,
                span,
                path,
                format!("invalid atom `{text}`: {}", err.message),
                Some("atoms look like `category/name`, `=category/name-1.2.3` or `category/name:slot`".to_owned()),
            ))
        }
    }
}

fn check_packages(m: &Manifest, ctx: &Ctx<'_, '_>) -> Result {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, atom) in m.packages.iter().enumerate() {
        let path = [key("packages"), Seg::Index(i)];
        check_atom(ctx, atom, &path, "package")?;
        if let Some(first) = seen.insert(atom.get_ref(), atom.span().start) {
            return Err(ctx.error_at_span(
                ErrorKind::Duplicate,
                atom.span(),
                &path,
                format!("`{}` is listed twice in `packages`", atom.get_ref()),
                Some(format!(
                    "it is already listed on line {}; remove one",
                    ctx.line_of(first)
                )),
            ));
        }
    }
    Ok(())
}

fn check_command(m: &Manifest, ctx: &Ctx<'_, '_>) -> Result {
    let path = [key("command")];
    match &m.command {
        None => Ok(()),
        Some(Command::Program(program)) if program.contains(char::is_whitespace) => {
            let words: Vec<String> = program
                .split_whitespace()
                .map(|w| format!("{w:?}"))
                .collect();
            Err(invalid(
                ctx,
                &path,
                "`command` is a single program path and contains spaces".to_owned(),
                Some(format!(
                    "it is not run through a shell; write the arguments as an array: command = [{}]",
                    words.join(", ")
                )),
            ))
        }
        Some(Command::Program(program)) if program.is_empty() => Err(invalid(
            ctx,
            &path,
            "`command` is empty".to_owned(),
            Some("for example: command = [\"/bin/bash\"]".to_owned()),
        )),
        Some(Command::Argv(argv)) if argv.first().is_none_or(String::is_empty) => Err(invalid(
            ctx,
            &path,
            "`command` needs a program as its first element".to_owned(),
            Some("for example: command = [\"/bin/bash\", \"-l\"]".to_owned()),
        )),
        Some(_) => Ok(()),
    }
}

fn check_profile(m: &Manifest, ctx: &Ctx<'_, '_>) -> Result {
    let Some(profile) = &m.profile else {
        return Ok(());
    };
    let text = profile.get_ref();
    let ok = !text.is_empty()
        && !text.starts_with('/')
        && !text.contains(char::is_whitespace)
        && text
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if ok {
        return Ok(());
    }
    Err(invalid_spanned(
        ctx,
        profile,
        &[key("profile")],
        format!("invalid profile `{text}`"),
        Some("a profile is a path under the main repository's `profiles/`, e.g. `default/linux/amd64/23.0`".to_owned()),
    ))
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A named environment becomes `/etc/portage/env/<name>`.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
}

fn check_env(m: &Manifest, ctx: &Ctx<'_, '_>) -> Result {
    let var_help =
        || Some("make.conf variable names use letters, digits and `_`, e.g. `CFLAGS`".to_owned());
    for var in m.env.vars.keys() {
        if !is_var_name(var) {
            let path = [key("env"), key(var)];
            return Err(ctx.error_at_key(
                ErrorKind::InvalidValue,
                &path,
                format!("invalid variable name `{var}`"),
                var_help(),
            ));
        }
    }
    for (name, vars) in &m.env.named {
        if !is_env_name(name) {
            let path = [key("env"), key(name)];
            return Err(ctx.error_at_key(
                ErrorKind::InvalidValue,
                &path,
                format!("invalid environment name `{name}`"),
                Some("named environments use letters, digits, `.`, `_`, `+` and `-`, e.g. `no-cache`".to_owned()),
            ));
        }
        for var in vars.keys() {
            if !is_var_name(var) {
                let path = [key("env"), key(name), key(var)];
                return Err(ctx.error_at_key(
                    ErrorKind::InvalidValue,
                    &path,
                    format!("invalid variable name `{var}`"),
                    var_help(),
                ));
            }
        }
    }
    Ok(())
}

fn is_use_flag(flag: &str) -> bool {
    let flag = flag.strip_prefix('-').unwrap_or(flag);
    let mut chars = flag.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+_@-".contains(c))
}

fn is_keyword(keyword: &str) -> bool {
    if matches!(keyword, "*" | "~*" | "**" | "-*") {
        return true;
    }
    let arch = keyword.strip_prefix(['~', '-']).unwrap_or(keyword);
    let mut chars = arch.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
}

fn check_package_table(
    m: &Manifest,
    ctx: &Ctx<'_, '_>,
    pkg: &Spanned<String>,
    config: &PackageConfig,
) -> Result {
    let base = ctx.package_path(pkg.get_ref());
    check_atom(ctx, pkg, &base, "package table")?;
    let field = |name: &str, i: usize| {
        let mut path = base.clone();
        path.extend([key(name), Seg::Index(i)]);
        path
    };
    for (i, flag) in config.use_flags.iter().enumerate() {
        if !is_use_flag(flag.get_ref()) {
            return Err(invalid_spanned(
                ctx,
                flag,
                &field("use", i),
                format!("invalid USE flag `{}`", flag.get_ref()),
                Some("write `flag` to enable and `-flag` to disable, e.g. use = [\"readline\", \"-nls\"]".to_owned()),
            ));
        }
    }
    for (i, keyword) in config.keywords.iter().enumerate() {
        if !is_keyword(keyword.get_ref()) {
            return Err(invalid_spanned(
                ctx,
                keyword,
                &field("keywords", i),
                format!("invalid keyword `{}`", keyword.get_ref()),
                Some("keywords look like `~amd64`, `amd64` or `**`".to_owned()),
            ));
        }
    }
    for (i, name) in config.env.iter().enumerate() {
        if !m.env.named.contains_key(name.get_ref()) {
            let help = closest(name.get_ref(), m.env.named.keys().map(String::as_str))
                .map(did_you_mean)
                .unwrap_or_else(|| {
                    format!(
                        "define it as a table: [env.{}] with FEATURES = \"…\"",
                        name.get_ref()
                    )
                });
            return Err(ctx.error_at_span(
                ErrorKind::UnknownReference,
                name.span(),
                &field("env", i),
                format!("unknown environment `{}`", name.get_ref()),
                Some(help),
            ));
        }
    }
    Ok(())
}
