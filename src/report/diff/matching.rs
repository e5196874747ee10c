//! Which endpoint of the old report is which of the new: by (ip, port), or by (host, port)
//! when the host is a name, so a node whose address changed overnight is still the same node;
//! a name with several addresses is matched address by address. No I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::model::Endpoint;
use crate::report::{endpoint_label, host_is_name};

/// How endpoints are matched across reports.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Key {
    Name(String, u16),
    Addr(IpAddr, u16),
}

pub(super) fn group(endpoints: &[Endpoint]) -> BTreeMap<Key, Vec<&Endpoint>> {
    let mut map: BTreeMap<Key, Vec<&Endpoint>> = BTreeMap::new();
    for e in endpoints {
        let key = if host_is_name(e) {
            Key::Name(e.host.to_ascii_lowercase(), e.port)
        } else {
            Key::Addr(e.ip, e.port)
        };
        map.entry(key).or_default().push(e);
    }
    map
}

/// One-to-one is matched whatever the addresses; several-to-several by address.
pub(super) fn pair_up<'a>(
    olds: &[&'a Endpoint],
    news: &[&'a Endpoint],
) -> Vec<(Option<&'a Endpoint>, Option<&'a Endpoint>)> {
    if let ([o], [n]) = (olds, news) {
        return vec![(Some(*o), Some(*n))];
    }
    let mut pairs = Vec::new();
    let mut taken = vec![false; news.len()];
    for o in olds {
        let found = news
            .iter()
            .enumerate()
            .find(|(i, n)| !taken.get(*i).copied().unwrap_or(true) && n.ip == o.ip);
        match found {
            Some((i, n)) => {
                if let Some(t) = taken.get_mut(i) {
                    *t = true;
                }
                pairs.push((Some(*o), Some(*n)));
            }
            None => pairs.push((Some(*o), None)),
        }
    }
    for (n, t) in news.iter().zip(taken) {
        if !t {
            pairs.push((None, Some(*n)));
        }
    }
    pairs
}

pub(super) fn label(e: &Endpoint, ambiguous: bool) -> String {
    if ambiguous && host_is_name(e) {
        format!("{} ({})", endpoint_label(e), e.ip)
    } else {
        endpoint_label(e)
    }
}
