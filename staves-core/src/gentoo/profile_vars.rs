//! Combining the `make.defaults` of a profile stack, copying Portage
//! 3.0.83 (`config.__init__` and `config.regenerate`):
//!
//! 1. Each node's `make.defaults` is read with the values of earlier nodes
//!    visible to `${VAR}` expansion — except `USE`, which Portage removes
//!    from the expansion map before each node so that `USE="${USE} x"`
//!    cannot leak parent USE past parent `package.use`.
//! 2. Per variable, incremental variables ([`INCREMENTALS`]) are
//!    concatenated over the nodes and then evaluated (`-*` clears, `-x`
//!    removes, a stray `+x` counts as `x`, the result sorted); every other
//!    variable is simply overridden by the last node setting it. This
//!    includes `ACCEPT_LICENSE`, which Portage stacks only later, across
//!    configuration layers (profile, `make.conf`, environment).
//! 3. The profile USE ("defaults" layer): for each node, the values of its
//!    `USE_EXPAND_UNPREFIXED` variables, then its `USE_EXPAND` variables
//!    as `lowercase_var_value` flags (`-value` as `-lowercase_var_value`),
//!    then its `USE`. These token lists are joined over the nodes and
//!    evaluated incrementally, after the final `ARCH`-like unprefixed
//!    values. This is what gives `PYTHON_TARGETS` and friends their
//!    incremental behaviour across sub-profiles although the variables
//!    themselves are not incremental.
//! 4. Each `USE_EXPAND` variable's final value is re-derived from the
//!    resulting flags (its previous order first, new values sorted after),
//!    as `emerge --info` shows it.

use std::collections::{BTreeMap, BTreeSet};

/// Portage's `portage.const.INCREMENTALS`.
pub const INCREMENTALS: [&str; 12] = [
    "ACCEPT_KEYWORDS",
    "CONFIG_PROTECT",
    "CONFIG_PROTECT_MASK",
    "ENV_UNSET",
    "FEATURES",
    "IUSE_IMPLICIT",
    "PROFILE_ONLY_VARIABLES",
    "USE",
    "USE_EXPAND",
    "USE_EXPAND_HIDDEN",
    "USE_EXPAND_IMPLICIT",
    "USE_EXPAND_UNPREFIXED",
];

/// The combined result.
pub(crate) struct Combined {
    pub(crate) vars: BTreeMap<String, String>,
    pub(crate) use_tokens: Vec<String>,
    pub(crate) use_flags: BTreeSet<String>,
}

/// Evaluates an incremental token list (`regenerate`'s loop).
pub(crate) fn eval_incremental<'a>(tokens: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    apply_incremental(&mut set, tokens, false);
    set
}

/// Applies incremental tokens to `set` the way Portage's
/// `config.regenerate` stacks them: `-*` clears, `-x` removes, `x` adds, a
/// stray `+x` counts as `x`. With `use_wildcards` (USE only), `-prefix_*`
/// also removes every flag starting with `prefix_` (`-python_targets_*`).
pub fn apply_incremental<'a>(
    set: &mut BTreeSet<String>,
    tokens: impl IntoIterator<Item = &'a str>,
    use_wildcards: bool,
) {
    for t in tokens {
        if t == "-*" {
            set.clear();
            continue;
        }
        let t = t.strip_prefix('+').unwrap_or(t);
        if t.is_empty() {
            continue;
        }
        if let Some(r) = t.strip_prefix('-') {
            if use_wildcards && let Some(prefix) = r.strip_suffix('*').filter(|p| p.ends_with('_'))
            {
                set.retain(|f| !f.starts_with(prefix));
            }
            set.remove(r);
        } else {
            set.insert(t.to_owned());
        }
    }
}

fn words(v: Option<&String>) -> Vec<&str> {
    v.map(|v| v.split_whitespace().collect())
        .unwrap_or_default()
}

/// Combines the per-node assignments (parents first).
pub(crate) fn combine(nodes: &[BTreeMap<String, String>]) -> Combined {
    // stack_dicts(…, incrementals=INCREMENTALS)
    let mut stacked: BTreeMap<String, String> = BTreeMap::new();
    for node in nodes {
        for (k, v) in node {
            match stacked.get_mut(k) {
                Some(old) if INCREMENTALS.contains(&k.as_str()) => {
                    old.push(' ');
                    old.push_str(v);
                }
                _ => {
                    stacked.insert(k.clone(), v.clone());
                }
            }
        }
    }
    let mut vars = stacked.clone();
    for k in INCREMENTALS {
        if k == "USE" {
            continue;
        }
        if let Some(v) = stacked.get(k) {
            let set = eval_incremental(v.split_whitespace());
            vars.insert(k.to_owned(), set.into_iter().collect::<Vec<_>>().join(" "));
        }
    }

    let use_expand: Vec<String> = words(vars.get("USE_EXPAND"))
        .into_iter()
        .map(str::to_owned)
        .collect();
    let unprefixed: Vec<String> = words(vars.get("USE_EXPAND_UNPREFIXED"))
        .into_iter()
        .map(str::to_owned)
        .collect();
    let expand_defined: Vec<&String> = use_expand
        .iter()
        .filter(|k| stacked.contains_key(*k))
        .collect();

    let mut use_tokens: Vec<String> = Vec::new();
    for cfg in nodes {
        let mut node_tokens: Vec<String> = Vec::new();
        for k in &unprefixed {
            node_tokens.extend(words(cfg.get(k)).into_iter().map(str::to_owned));
        }
        for k in &expand_defined {
            let prefix = format!("{}_", k.to_lowercase());
            for x in words(cfg.get(*k)) {
                match x.strip_prefix('-') {
                    Some(r) => node_tokens.push(format!("-{prefix}{r}")),
                    None => node_tokens.push(format!("{prefix}{x}")),
                }
            }
        }
        node_tokens.extend(words(cfg.get("USE")).into_iter().map(str::to_owned));
        use_tokens.extend(node_tokens);
    }

    let mut flags: BTreeSet<String> = BTreeSet::new();
    for k in &unprefixed {
        for x in words(vars.get(k)) {
            match x.strip_prefix('-') {
                Some(r) => {
                    flags.remove(r);
                }
                None => {
                    flags.insert(x.to_owned());
                }
            }
        }
    }
    apply_incremental(&mut flags, use_tokens.iter().map(String::as_str), true);

    for k in &use_expand {
        let prefix = format!("{}_", k.to_lowercase());
        let values: BTreeSet<&str> = flags
            .iter()
            .filter_map(|f| f.strip_prefix(&prefix))
            .collect();
        let mut split: Vec<&str> = words(vars.get(k))
            .into_iter()
            .filter(|x| values.contains(x))
            .collect();
        let extra: Vec<&str> = values
            .iter()
            .copied()
            .filter(|v| !split.contains(v))
            .collect();
        split.extend(extra);
        if !split.is_empty() || vars.contains_key(k) {
            vars.insert(k.clone(), split.join(" "));
        }
    }
    for k in &unprefixed {
        if let Some(v) = vars.get(k) {
            let kept: Vec<&str> = v
                .split_whitespace()
                .filter(|x| flags.contains(*x))
                .collect();
            let joined = kept.join(" ");
            vars.insert(k.clone(), joined);
        }
    }
    vars.insert(
        "USE".to_owned(),
        flags.iter().cloned().collect::<Vec<_>>().join(" "),
    );
    Combined {
        vars,
        use_tokens,
        use_flags: flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn incrementals_stack_and_others_override() {
        let c = combine(&[
            node(&[
                ("USE", "a b"),
                ("CFLAGS", "-O2"),
                ("FEATURES", "sandbox strict"),
                ("ACCEPT_LICENSE", "-* @FREE"),
            ]),
            node(&[
                ("USE", "-a c"),
                ("CFLAGS", "-O3"),
                ("FEATURES", "-strict +x"),
                ("ACCEPT_LICENSE", "*"),
            ]),
        ]);
        assert_eq!(c.vars["CFLAGS"], "-O3");
        assert_eq!(c.vars["FEATURES"], "sandbox x");
        assert_eq!(
            c.vars["ACCEPT_LICENSE"], "*",
            "not incremental across profile nodes"
        );
        assert_eq!(c.vars["USE"], "b c");
        assert_eq!(c.use_tokens, ["a", "b", "-a", "c"]);
    }

    #[test]
    fn use_expand_values_become_incremental_flags() {
        let c = combine(&[
            node(&[
                ("USE_EXPAND", "PYTHON_TARGETS ELIBC"),
                ("USE_EXPAND_UNPREFIXED", "ARCH"),
                ("PYTHON_TARGETS", "python3_11 python3_12"),
                ("ELIBC", "glibc"),
            ]),
            node(&[
                ("ARCH", "amd64"),
                ("PYTHON_TARGETS", "-python3_11 python3_13"),
                ("USE", "-elibc_*"),
            ]),
        ]);
        assert_eq!(
            c.use_flags.iter().map(String::as_str).collect::<Vec<_>>(),
            [
                "amd64",
                "python_targets_python3_12",
                "python_targets_python3_13"
            ]
        );
        // Re-derived from the flags, like `emerge --info`.
        assert_eq!(c.vars["PYTHON_TARGETS"], "python3_13 python3_12");
        assert_eq!(c.vars["ELIBC"], "");
        assert_eq!(c.vars["ARCH"], "amd64");
    }

    #[test]
    fn minus_star_clears_everything_before() {
        let c = combine(&[
            node(&[("USE", "a b"), ("CONFIG_PROTECT", "/etc /usr/share")]),
            node(&[("USE", "-* z"), ("CONFIG_PROTECT", "-* /etc")]),
        ]);
        assert_eq!(c.vars["USE"], "z");
        assert_eq!(c.vars["CONFIG_PROTECT"], "/etc");
    }
}
