//! The closure: one attempt of the resolver over a fixed set of
//! backtracking masks. See the module documentation of
//! [`resolve`](super) for the algorithm.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use crate::gentoo::atom::Atom;
use crate::gentoo::name::PackageName;

use super::candidates::{Cand, PkgData, Universe};
use super::deps::{self, Dep};
use super::error::{Chain, ChainLink, ResolveError};
use super::explain;
use super::model;
use super::{DepClass, Root};

/// A version excluded from one root by backtracking:
/// `(root, package, candidate index)`.
pub(crate) type Mask = (Root, PackageName, usize);

/// Who asked for a node (the first requirer is kept for error chains).
#[derive(Debug, Clone)]
pub(crate) struct Parent {
    pub(crate) node: usize,
    pub(crate) class: DepClass,
    pub(crate) atom: String,
}

/// One requirement on a node: used to find a version satisfying all of
/// them after a slot conflict, and to name requirers in errors.
#[derive(Debug, Clone)]
pub(crate) struct Requirement {
    pub(crate) by: Option<Parent>,
    pub(crate) atom: Arc<Atom>,
}

/// A selected package version in one root.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) root: Root,
    pub(crate) pkg: Arc<PkgData>,
    pub(crate) cand: usize,
    pub(crate) parent: Option<Parent>,
    pub(crate) requirements: Vec<Requirement>,
}

impl Node {
    pub(crate) fn cand(&self) -> &Cand {
        &self.pkg.cands[self.cand]
    }
}

/// A resolved edge: `from` needs `atom` (class), satisfied by node `to`.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) class: DepClass,
    pub(crate) atom: String,
    pub(crate) to: usize,
}

/// What one attempt ends with when it does not succeed.
pub(crate) enum Stop {
    /// Retry with these extra masks; the error is reported if retrying
    /// cannot make progress.
    Backtrack(Vec<Mask>, ResolveError),
    /// Give up.
    Fail(ResolveError),
}

impl From<ResolveError> for Stop {
    fn from(e: ResolveError) -> Self {
        Stop::Fail(e)
    }
}

struct Work {
    root: Root,
    atom: Arc<Atom>,
    parent: Option<Parent>,
}

struct AnyWork {
    root: Root,
    alternatives: Vec<Dep>,
    class: DepClass,
    parent: usize,
}

/// One attempt at the closure.
pub(crate) struct Graph<'u, 'a> {
    uni: &'u Universe<'a>,
    masks: &'u BTreeSet<Mask>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) edges: Vec<Edge>,
    slots: BTreeMap<(Root, PackageName, String), usize>,
    queue: VecDeque<Work>,
    any_queue: VecDeque<AnyWork>,
    blockers: Vec<(Root, Arc<Atom>, usize, DepClass)>,
}

impl<'u, 'a> Graph<'u, 'a> {
    pub(crate) fn new(uni: &'u Universe<'a>, masks: &'u BTreeSet<Mask>) -> Self {
        Self {
            uni,
            masks,
            nodes: Vec::new(),
            edges: Vec::new(),
            slots: BTreeMap::new(),
            queue: VecDeque::new(),
            any_queue: VecDeque::new(),
            blockers: Vec::new(),
        }
    }

    /// The profile's ARCH.
    pub(crate) fn arch(&self) -> &str {
        &self.uni.config.arch
    }

    /// Computes the closure of `targets` in the image root.
    pub(crate) fn run(&mut self, targets: &[Atom]) -> Result<(), Stop> {
        for t in targets {
            self.queue.push_back(Work {
                root: Root::Image,
                atom: Arc::new(t.clone()),
                parent: None,
            });
        }
        loop {
            while let Some(w) = self.queue.pop_front() {
                self.add_atom(w)?;
            }
            // Like Portage, any-of groups are decided once every plain
            // dependency known so far is in the graph.
            match self.any_queue.pop_front() {
                Some(a) => self.add_any(a)?,
                None => break,
            }
        }
        self.check_blockers()?;
        Ok(())
    }

    fn depender_use(&self, parent: &Option<Parent>) -> impl Fn(&str) -> bool + '_ {
        let node = parent.as_ref().map(|p| &self.nodes[p.node]);
        move |f: &str| node.is_some_and(|n| n.cand().use_state.enabled.contains(f))
    }

    /// Whether `cand` (index `i` of `pkg`) may be picked for `atom` in `root`.
    fn acceptable(
        &self,
        root: Root,
        pkg: &PkgData,
        i: usize,
        atom: &Atom,
        parent: &Option<Parent>,
    ) -> bool {
        let c = &pkg.cands[i];
        c.visible()
            && !self.masks.contains(&(root, pkg.name.clone(), i))
            && deps::matches_base(atom, c, &c.repo_name)
            && deps::check_use(atom, c, &self.depender_use(parent)).is_ok()
            && c.required_use_violation().is_none()
    }

    fn add_atom(&mut self, w: Work) -> Result<(), Stop> {
        let name = model::atom_name(&w.atom).clone();
        let pkg = self.uni.package(&name)?;
        let Some(best) =
            (0..pkg.cands.len()).find(|&i| self.acceptable(w.root, &pkg, i, &w.atom, &w.parent))
        else {
            return Err(Stop::Fail(explain::no_candidate(
                self, w.root, &pkg, &w.atom, &w.parent, self.masks,
            )));
        };
        let slot_key = (w.root, name.clone(), pkg.cands[best].slot.clone());
        let requirement = Requirement {
            by: w.parent.clone(),
            atom: Arc::clone(&w.atom),
        };
        if let Some(&existing) = self.slots.get(&slot_key) {
            let ec = self.nodes[existing].cand();
            let fits = deps::matches_base(&w.atom, ec, &ec.repo_name)
                && deps::check_use(&w.atom, ec, &self.depender_use(&w.parent)).is_ok();
            if fits {
                self.link(existing, requirement);
                return Ok(());
            }
            return Err(self.slot_conflict(existing, requirement));
        }
        let node = self.nodes.len();
        self.nodes.push(Node {
            root: w.root,
            pkg: Arc::clone(&pkg),
            cand: best,
            parent: w.parent.clone(),
            requirements: Vec::new(),
        });
        self.slots.insert(slot_key, node);
        self.link(node, requirement);
        self.push_deps(node)?;
        Ok(())
    }

    /// Records that `req` is satisfied by `node` (and the edge, if it has a
    /// requirer).
    fn link(&mut self, node: usize, req: Requirement) {
        if let Some(p) = &req.by {
            self.edges.push(Edge {
                from: p.node,
                class: p.class,
                atom: p.atom.clone(),
                to: node,
            });
        }
        self.nodes[node].requirements.push(req);
    }

    /// `existing` is in the slot the new requirement needs but does not
    /// satisfy it: mask the versions above the best one satisfying every
    /// requirement of the slot and retry, or fail naming both requirers.
    fn slot_conflict(&self, existing: usize, new: Requirement) -> Stop {
        let e = &self.nodes[existing];
        let slot = &e.cand().slot;
        let mut reqs: Vec<&Requirement> = e.requirements.iter().collect();
        reqs.push(&new);
        let fits = |i: usize| {
            e.pkg.cands[i].slot == *slot
                && reqs
                    .iter()
                    .all(|r| self.acceptable(e.root, &e.pkg, i, &r.atom, &r.by))
        };
        let err = explain::slot_conflict(self, existing, &new);
        match (0..e.pkg.cands.len()).find(|&i| fits(i)) {
            Some(x) => {
                let masks = (0..x)
                    .filter(|&i| e.pkg.cands[i].slot == *slot)
                    .map(|i| (e.root, e.pkg.name.clone(), i))
                    .collect();
                Stop::Backtrack(masks, err)
            }
            None => Stop::Fail(err),
        }
    }

    fn push_deps(&mut self, node: usize) -> Result<(), Stop> {
        let root = self.nodes[node].root;
        let deps = self.nodes[node].cand().deps()?;
        for (class, list) in deps.iter() {
            let target_root = match class {
                DepClass::Rdepend | DepClass::Pdepend => root,
                DepClass::Depend | DepClass::Bdepend | DepClass::Idepend => Root::Builder,
            };
            self.push_dep_list(target_root, *class, node, list);
        }
        Ok(())
    }

    fn push_dep_list(&mut self, root: Root, class: DepClass, node: usize, list: &[Dep]) {
        for d in list {
            match d {
                // Portage checks a blocker against the root of the package
                // that carries it, whatever the class (a DEPEND blocker does
                // not apply to the builder).
                Dep::Atom(atom) if model::atom_is_blocker(atom) => {
                    let own_root = self.nodes[node].root;
                    self.blockers
                        .push((own_root, Arc::clone(atom), node, class));
                }
                Dep::Atom(atom) => self.queue.push_back(Work {
                    root,
                    atom: Arc::clone(atom),
                    parent: Some(Parent {
                        node,
                        class,
                        atom: atom.to_string(),
                    }),
                }),
                Dep::AllOf(inner) => self.push_dep_list(root, class, node, inner),
                Dep::AnyOf(alternatives) => self.any_queue.push_back(AnyWork {
                    root,
                    alternatives: alternatives.clone(),
                    class,
                    parent: node,
                }),
            }
        }
    }

    /// The selected node in `root` that satisfies `atom`, if any (highest
    /// version first).
    fn selected_match(&self, root: Root, atom: &Atom, parent: &Option<Parent>) -> Option<usize> {
        let name = model::atom_name(atom);
        let depender = self.depender_use(parent);
        self.slots
            .range((root, name.clone(), String::new())..)
            .take_while(|((r, n, _), _)| *r == root && n == name)
            .map(|(_, &i)| i)
            .filter(|&i| {
                let c = self.nodes[i].cand();
                deps::matches_base(atom, c, &c.repo_name)
                    && deps::check_use(atom, c, &depender).is_ok()
            })
            .max_by(|&a, &b| {
                self.nodes[a]
                    .cand()
                    .cpv
                    .version
                    .cmp(&self.nodes[b].cand().cpv.version)
            })
    }

    /// Whether `dep` already holds with the current selection.
    fn satisfied_now(&self, root: Root, dep: &Dep, parent: &Option<Parent>) -> bool {
        match dep {
            Dep::Atom(a) if model::atom_is_blocker(a) => {
                let own_root = parent.as_ref().map_or(root, |p| self.nodes[p.node].root);
                self.selected_match(own_root, &model::unblocked(a), parent)
                    .is_none()
            }
            Dep::Atom(a) => self.selected_match(root, a, parent).is_some(),
            Dep::AllOf(v) => v.iter().all(|d| self.satisfied_now(root, d, parent)),
            Dep::AnyOf(v) => v.iter().any(|d| self.satisfied_now(root, d, parent)),
        }
    }

    /// Whether `dep` could be satisfied by adding visible packages without
    /// conflicting with an occupied slot.
    fn satisfiable(
        &self,
        root: Root,
        dep: &Dep,
        parent: &Option<Parent>,
    ) -> Result<bool, ResolveError> {
        Ok(match dep {
            Dep::Atom(a) if model::atom_is_blocker(a) => self.satisfied_now(root, dep, parent),
            Dep::Atom(a) => {
                let pkg = self.uni.package(model::atom_name(a))?;
                (0..pkg.cands.len()).any(|i| {
                    self.acceptable(root, &pkg, i, a, parent)
                        && self
                            .slots
                            .get(&(root, pkg.name.clone(), pkg.cands[i].slot.clone()))
                            .is_none_or(|&n| self.nodes[n].cand == i)
                })
            }
            Dep::AllOf(v) => {
                for d in v {
                    if !self.satisfiable(root, d, parent)? {
                        return Ok(false);
                    }
                }
                true
            }
            Dep::AnyOf(v) => {
                for d in v {
                    if self.satisfiable(root, d, parent)? {
                        return Ok(true);
                    }
                }
                false
            }
        })
    }

    fn add_any(&mut self, a: AnyWork) -> Result<(), Stop> {
        let parent = Some(Parent {
            node: a.parent,
            class: a.class,
            atom: String::new(),
        });
        // 1. An alternative the selection already satisfies.
        if let Some(alt) = a
            .alternatives
            .iter()
            .find(|d| self.satisfied_now(a.root, d, &parent))
        {
            let alt = alt.clone();
            self.link_satisfied(a.root, a.class, a.parent, &alt);
            return Ok(());
        }
        // 2. The first alternative that can be satisfied.
        for alt in &a.alternatives {
            if self.satisfiable(a.root, alt, &parent)? {
                let list = match alt {
                    Dep::AllOf(v) => v.clone(),
                    other => vec![other.clone()],
                };
                self.push_dep_list(a.root, a.class, a.parent, &list);
                return Ok(());
            }
        }
        Err(Stop::Fail(explain::no_alternative(
            self,
            &a.alternatives,
            a.root,
            a.class,
            a.parent,
        )))
    }

    /// Adds the edges for an alternative that is already satisfied.
    fn link_satisfied(&mut self, root: Root, class: DepClass, from: usize, dep: &Dep) {
        let parent = Some(Parent {
            node: from,
            class,
            atom: String::new(),
        });
        match dep {
            Dep::Atom(a) if model::atom_is_blocker(a) => {
                let own_root = self.nodes[from].root;
                self.blockers.push((own_root, Arc::clone(a), from, class));
            }
            Dep::Atom(a) => {
                if let Some(to) = self.selected_match(root, a, &parent) {
                    self.link(
                        to,
                        Requirement {
                            by: Some(Parent {
                                node: from,
                                class,
                                atom: a.to_string(),
                            }),
                            atom: Arc::clone(a),
                        },
                    );
                }
            }
            Dep::AllOf(v) => {
                for d in v {
                    self.link_satisfied(root, class, from, d);
                }
            }
            Dep::AnyOf(v) => {
                if let Some(d) = v.iter().find(|d| self.satisfied_now(root, d, &parent)) {
                    let d = d.clone();
                    self.link_satisfied(root, class, from, &d);
                }
            }
        }
    }

    fn check_blockers(&self) -> Result<(), Stop> {
        for (root, atom, owner, class) in &self.blockers {
            let target = model::unblocked(atom);
            let parent = Some(Parent {
                node: *owner,
                class: *class,
                atom: atom.to_string(),
            });
            let name = model::atom_name(&target);
            let depender = self.depender_use(&parent);
            for (_, &n) in self
                .slots
                .range((*root, name.clone(), String::new())..)
                .take_while(|((r, nm, _), _)| r == root && nm == name)
            {
                let c = self.nodes[n].cand();
                // A package's blocker on itself does not count (PMS).
                if n == *owner || c.cpv == self.nodes[*owner].cand().cpv {
                    continue;
                }
                if deps::matches_base(&target, c, &c.repo_name)
                    && deps::check_use(&target, c, &depender).is_ok()
                {
                    return Err(Stop::Fail(explain::blocked(self, *owner, atom, n)));
                }
            }
        }
        Ok(())
    }

    /// The chain from `node` up to a requested package.
    pub(crate) fn chain(&self, mut node: usize) -> Chain {
        let mut links = Vec::new();
        let mut seen = BTreeSet::new();
        while seen.insert(node) {
            let n = &self.nodes[node];
            let pkg = display_node(n);
            match &n.parent {
                Some(p) => {
                    let by = format!("{} of {}", p.class.key(), self.nodes[p.node].cand().cpv);
                    links.push(ChainLink { pkg, by });
                    node = p.node;
                }
                None => {
                    links.push(ChainLink {
                        pkg,
                        by: "requested".to_owned(),
                    });
                    break;
                }
            }
        }
        Chain(links)
    }
}

/// `cat/pkg-ver` plus ` (builder)` for nodes in the builder root.
pub(crate) fn display_node(n: &Node) -> String {
    match n.root {
        Root::Image => n.cand().cpv.to_string(),
        Root::Builder => format!("{} in the builder", n.cand().cpv),
    }
}
