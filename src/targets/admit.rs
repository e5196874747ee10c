//! Which endpoints are admitted: the shard, the exclusions, duplicates of earlier includes, and
//! whether an endpoint is explicit. Decided per endpoint by containment against the specs, with
//! small indexes (one-address specs by address, names by key), so memory is O(number of specs)
//! and never O(size of a range). Pure, no I/O.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::expand::{EndpointSpec, Planned, TargetSet};
use super::ports::PortBits;
use super::spec::{SpecKind, TargetSpec};
use super::Shard;

/// The immutable specs plus the small indexes used for dedup and exclusion.
pub(super) struct Plan {
    pub(super) includes: Vec<TargetSpec>,
    pub(super) excludes: Vec<TargetSpec>,
    pub(super) ports: Arc<[u16]>,
    pub(super) port_bits: PortBits,
    pub(super) shard: Option<Shard>,
    /// Includes naming one address: address → (include index, its port).
    pub(super) single_includes: HashMap<IpAddr, Vec<(usize, Option<u16>)>>,
    /// Includes of more than one address, ascending index.
    pub(super) range_includes: Vec<usize>,
    /// Name includes by key: their resolution and (include index, port) list.
    pub(super) names: HashMap<Arc<str>, NameEntry>,
    /// Excluded addresses of one-address and resolved-name excludes, with their port.
    pub(super) single_excludes: HashMap<IpAddr, Vec<Option<u16>>>,
    /// Exclude indexes of range excludes.
    pub(super) range_excludes: Vec<usize>,
    /// Excluded names (key, port): they exclude endpoints whose SNI is that name.
    pub(super) name_excludes: Vec<(Arc<str>, Option<u16>)>,
}

#[derive(Default)]
pub(super) struct NameEntry {
    pub(super) result: Option<Result<Arc<[IpAddr]>, Arc<str>>>,
    pub(super) specs: Vec<(usize, Option<u16>)>,
}

impl Plan {
    /// Indexes the specs: one-address includes and excludes by address, names by key, the
    /// rest in lists checked by containment.
    pub(super) fn new(set: TargetSet) -> Plan {
        let TargetSet {
            includes,
            excludes,
            ports,
            shard,
        } = set;
        let mut single_includes: HashMap<IpAddr, Vec<(usize, Option<u16>)>> = HashMap::new();
        let mut range_includes = Vec::new();
        let mut names: HashMap<Arc<str>, NameEntry> = HashMap::new();
        for (i, spec) in includes.iter().enumerate() {
            match &spec.kind {
                SpecKind::Addrs(set) if set.count() == 1 => {
                    if let Some(ip) = set.iter().next() {
                        single_includes.entry(ip).or_default().push((i, spec.port));
                    }
                }
                SpecKind::Addrs(_) => range_includes.push(i),
                SpecKind::Name(name) => {
                    names
                        .entry(name.key.clone())
                        .or_default()
                        .specs
                        .push((i, spec.port));
                }
            }
        }
        let mut single_excludes: HashMap<IpAddr, Vec<Option<u16>>> = HashMap::new();
        let mut range_excludes = Vec::new();
        let mut name_excludes = Vec::new();
        for (i, spec) in excludes.iter().enumerate() {
            match &spec.kind {
                SpecKind::Addrs(set) if set.count() == 1 => {
                    if let Some(ip) = set.iter().next() {
                        single_excludes.entry(ip).or_default().push(spec.port);
                    }
                }
                SpecKind::Addrs(_) => range_excludes.push(i),
                SpecKind::Name(name) => name_excludes.push((name.key.clone(), spec.port)),
            }
        }
        let port_bits = PortBits::from_ports(&ports);
        Plan {
            includes,
            excludes,
            ports,
            port_bits,
            shard,
            single_includes,
            range_includes,
            names,
            single_excludes,
            range_excludes,
            name_excludes,
        }
    }

    /// The ports of include `spec`: its own port, or the global list.
    pub(super) fn ports_of(&self, spec: usize) -> &[u16] {
        match self.includes.get(spec).and_then(|s| s.port.as_ref()) {
            Some(port) => std::slice::from_ref(port),
            None => &self.ports,
        }
    }

    /// Whether an include with port selection `sel` covers `port`.
    pub(super) fn covers(&self, sel: Option<u16>, port: u16) -> bool {
        match sel {
            Some(own) => own == port,
            None => self.port_bits.contains(port),
        }
    }

    /// An address from literal include `spec`, unless another shard, an exclusion or an
    /// earlier include has it.
    pub(super) fn admit_addr(&self, spec: usize, ip: IpAddr, port: u16) -> Option<EndpointSpec> {
        if self.shard.is_some_and(|s| !s.contains(ip, port)) || self.excluded(ip, port, None) {
            return None;
        }
        let singles = self.single_includes.get(&ip);
        let earlier_single = singles.is_some_and(|list| {
            list.iter()
                .any(|&(j, sel)| j < spec && self.covers(sel, port))
        });
        let earlier_range = self
            .range_includes
            .iter()
            .take_while(|&&j| j < spec)
            .any(|&j| {
                self.includes[j].contains_addr(ip) && self.covers(self.includes[j].port, port)
            });
        if earlier_single || earlier_range {
            return None;
        }
        let this = &self.includes[spec];
        // Explicit if this spec names one address, or any include names this one on its own
        // (`10.0.0.0/24 10.0.0.5`: the /24 scans .5, which the user also named).
        let explicit = this.is_explicit()
            || singles.is_some_and(|list| list.iter().any(|&(_, sel)| self.covers(sel, port)));
        Some(EndpointSpec {
            target: this.text.clone(),
            host: Arc::from(ip.to_string()),
            ip,
            port,
            sni: None,
            explicit,
        })
    }

    /// An address of name include `spec`, under the same rules; the SNI is the name.
    pub(super) fn admit_name(&self, spec: usize, ip: IpAddr, port: u16) -> Option<EndpointSpec> {
        let this = &self.includes[spec];
        let SpecKind::Name(name) = &this.kind else {
            return None;
        };
        if self.shard.is_some_and(|s| !s.contains(ip, port))
            || self.excluded(ip, port, Some(&name.key))
            || self.earlier_same_name(spec, &name.key, port)
        {
            return None;
        }
        Some(EndpointSpec {
            target: this.text.clone(),
            host: name.key.clone(),
            ip,
            port,
            sni: Some(name.key.clone()),
            explicit: true,
        })
    }

    pub(super) fn admit_unresolved(&self, spec: usize, port: u16, error: &str) -> Option<Planned> {
        let this = &self.includes[spec];
        let SpecKind::Name(name) = &this.kind else {
            return None;
        };
        let name_excluded = self
            .name_excludes
            .iter()
            .any(|(key, sel)| *key == name.key && sel.is_none_or(|p| p == port));
        if self
            .shard
            .is_some_and(|s| !s.contains_name(&name.key, port))
            || name_excluded
            || self.earlier_same_name(spec, &name.key, port)
        {
            return None;
        }
        Some(Planned::Unresolved {
            target: this.text.to_string(),
            port,
            error: error.to_string(),
        })
    }

    pub(super) fn earlier_same_name(&self, spec: usize, key: &str, port: u16) -> bool {
        self.names.get(key).is_some_and(|entry| {
            entry
                .specs
                .iter()
                .any(|&(j, sel)| j < spec && self.covers(sel, port))
        })
    }

    /// Whether an exclude covers (ip, port), or names the SNI `name`.
    pub(super) fn excluded(&self, ip: IpAddr, port: u16, name: Option<&str>) -> bool {
        let port_ok = |sel: &Option<u16>| sel.is_none_or(|p| p == port);
        self.single_excludes
            .get(&ip)
            .is_some_and(|list| list.iter().any(port_ok))
            || self.range_excludes.iter().any(|&k| {
                let spec = &self.excludes[k];
                port_ok(&spec.port) && spec.contains_addr(ip)
            })
            || name.is_some_and(|name| {
                self.name_excludes
                    .iter()
                    .any(|(key, sel)| &**key == name && port_ok(sel))
            })
    }
}
