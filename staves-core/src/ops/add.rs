//! `staves add`: check atoms against the repositories, add them to
//! `packages` (keeping the file's formatting), relock, and only then write
//! both files.

use crate::gentoo::atom::Atom;
use crate::gentoo::name::PackageName;
use crate::manifest::edit::{AddOutcome as EditOutcome, EditError, StavesTomlMut};
use crate::resolve::PackageIndex;
use crate::util::fs::write_atomic;
use crate::util::suggest;

use super::lock::{LockOutcome, prepare_with};
use super::workspace::{self, Refresh};
use super::{Context, Error, Reporter};

/// Options of [`add`].
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// Atoms as typed: `app-shells/bash`, `=dev-lang/python-3.12*`, or a
    /// bare name like `bash` when only one category has it.
    pub atoms: Vec<String>,
    /// USE flags to set for these packages (`ssl`, `-nls`).
    pub use_flags: Vec<String>,
    /// Keywords to accept for these packages (`~amd64`).
    pub keywords: Vec<String>,
    /// Named environments to apply to these packages.
    pub env: Vec<String>,
    /// Check and resolve, but write nothing.
    pub dry_run: bool,
}

/// One package that `add` handled.
#[derive(Debug, Clone)]
pub struct AddedPackage {
    /// The entry as written to `packages`.
    pub atom: String,
    /// Its `category/package`.
    pub name: PackageName,
    /// What the edit did.
    pub edit: EditOutcome,
    /// The version the lock pins (the highest one in the image for that name).
    pub version: Option<String>,
    /// Enabled USE flags of the pinned version.
    pub use_enabled: Vec<String>,
    /// Disabled USE flags of the pinned version.
    pub use_disabled: Vec<String>,
}

/// What [`add`] did.
#[derive(Debug, Clone)]
pub struct AddResult {
    /// One entry per atom, in the order given.
    pub packages: Vec<AddedPackage>,
    /// The relock.
    pub lock: LockOutcome,
    /// Whether staves.toml was written (false for `--dry-run` or no change).
    pub manifest_written: bool,
}

/// Adds packages to the manifest and relocks.
///
/// # Errors
/// An unknown or ambiguous package, an invalid atom, a resolution failure
/// (the manifest is then left byte-identical), or `--locked`.
pub fn add(
    ctx: &Context,
    options: &AddOptions,
    reporter: &dyn Reporter,
) -> Result<AddResult, Error> {
    let loaded = workspace::load_manifest(&ctx.manifest_path)?;
    let old_lock = workspace::read_lock(&ctx.lock_path())?;
    let repos = workspace::open_repositories(
        ctx,
        &loaded.manifest,
        old_lock.as_ref(),
        &Refresh::Pinned,
        reporter,
    )?;
    let index = PackageIndex::new(&workspace::repo_inputs(&repos))?;
    let repo_names = repos
        .iter()
        .map(|(s, _)| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");

    let mut doc = StavesTomlMut::parse(&loaded.text).map_err(edit_error)?;
    let mut added = Vec::new();
    for input in &options.atoms {
        let (atom_text, name) = qualify(input, &index, &repo_names)?;
        let edit = doc.add_package(&atom_text).map_err(edit_error)?;
        doc.set_package_config(
            &name.to_string(),
            &options.use_flags,
            &options.keywords,
            &options.env,
        )
        .map_err(edit_error)?;
        added.push(AddedPackage {
            atom: atom_text,
            name,
            edit,
            version: None,
            use_enabled: Vec::new(),
            use_disabled: Vec::new(),
        });
    }
    let new_text = doc.to_string();
    let manifest = workspace::parse_manifest(&new_text, &ctx.manifest_path)?;
    let (lock, lock_text) = prepare_with(ctx, &manifest, &repos, old_lock.as_ref(), reporter)?;

    for pkg in &mut added {
        let pinned = lock
            .resolution
            .packages
            .iter()
            .filter(|p| p.in_image && p.cpv.name == pkg.name)
            .max_by(|a, b| a.cpv.version.cmp(&b.cpv.version));
        if let Some(p) = pinned {
            pkg.version = Some(p.cpv.version.to_string());
            pkg.use_enabled = p
                .iuse
                .iter()
                .filter(|f| p.use_enabled.contains(*f))
                .cloned()
                .collect();
            pkg.use_disabled = p
                .iuse
                .iter()
                .filter(|f| !p.use_enabled.contains(*f))
                .cloned()
                .collect();
        }
    }

    let manifest_changed = new_text != loaded.text;
    if options.dry_run {
        return Ok(AddResult {
            packages: added,
            lock,
            manifest_written: false,
        });
    }
    if manifest_changed {
        write_atomic(&ctx.manifest_path, new_text.as_bytes())
            .map_err(|e| Error::io("write", &ctx.manifest_path, e))?;
    }
    let mut lock = lock;
    if let Some(text) = lock_text {
        let path = ctx.lock_path();
        write_atomic(&path, text.as_bytes()).map_err(|e| Error::io("write", &path, e))?;
        lock.written = true;
    }
    Ok(AddResult {
        packages: added,
        lock,
        manifest_written: manifest_changed,
    })
}

/// Turns what the user typed into an atom with a category, checking that
/// some repository has the package.
fn qualify(input: &str, index: &PackageIndex, repos: &str) -> Result<(String, PackageName), Error> {
    let input = input.trim();
    if !input.contains('/')
        && !input.is_empty()
        && input
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+_-".contains(c))
    {
        let mut found = index.categories_with_package(input);
        found.sort();
        return match found.len() {
            1 => {
                let name = found.remove(0);
                Ok((name.to_string(), name))
            }
            0 => Err(unknown(input, index, repos)),
            _ => Err(Error::AmbiguousName {
                name: input.to_owned(),
                candidates: found.iter().map(ToString::to_string).collect(),
            }),
        };
    }
    let atom = Atom::parse(input).map_err(|e| Error::InvalidAtom {
        input: input.to_owned(),
        message: e.message,
    })?;
    if index.versions(&atom.name).is_empty() {
        return Err(unknown(&atom.name.to_string(), index, repos));
    }
    Ok((input.to_owned(), atom.name))
}

fn unknown(name: &str, index: &PackageIndex, repos: &str) -> Error {
    let names: Vec<String> = index.all_names().iter().map(ToString::to_string).collect();
    // Compare a bare name with bare names, a full name with full names.
    let suggestion = if name.contains('/') {
        suggest::closest(name, names.iter().map(String::as_str)).map(str::to_owned)
    } else {
        let bare: Vec<(&str, &str)> = names
            .iter()
            .filter_map(|n| n.split_once('/').map(|(_, pn)| (pn, n.as_str())))
            .collect();
        suggest::closest(name, bare.iter().map(|(pn, _)| *pn)).and_then(|pn| {
            bare.iter()
                .find(|(p, _)| *p == pn)
                .map(|(_, full)| (*full).to_owned())
        })
    };
    Error::UnknownPackage {
        name: name.to_owned(),
        repos: repos.to_owned(),
        suggestion,
    }
}

fn edit_error(e: EditError) -> Error {
    match e {
        EditError::InvalidAtom { atom, message } => Error::InvalidAtom {
            input: atom,
            message,
        },
        EditError::Blocker { atom } => Error::InvalidAtom {
            input: atom,
            message: "a blocker cannot be installed".into(),
        },
        other => Error::Edit(other),
    }
}
