//! Target handling end to end through the public API: parse (arguments, `-iL` lists,
//! `--exclude`), expand through `TargetSet::into_stream` with a fixed resolver (no DNS is ever
//! queried), dedup, exclusion, sharding, laziness on huge ranges.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use fipsprobe::targets::{
    merge_ports, parse_ports, parse_target, parse_target_list, Planned, Resolve, Shard,
    StaticResolver, TargetSet, TargetSpec, DEFAULT_PORTS, KUBERNETES_PROFILE_PORTS,
};

fn resolver(names: &[(&str, &[&str])]) -> Arc<dyn Resolve> {
    let map: HashMap<String, Vec<IpAddr>> = names
        .iter()
        .map(|(n, a)| {
            (
                n.to_string(),
                a.iter().map(|s| s.parse().unwrap()).collect(),
            )
        })
        .collect();
    Arc::new(StaticResolver::new(map))
}

async fn collect(set: TargetSet, resolver: Arc<dyn Resolve>) -> Vec<Planned> {
    let mut rx = set.into_stream(resolver, 64);
    let mut out = Vec::new();
    while let Some(p) = rx.recv().await {
        out.push(p);
    }
    out
}

/// `ip:port`, `*` when explicit, `@sni`, and `<target>` when the target text differs from the ip;
/// unresolved names as `!target:port`.
fn render(planned: &[Planned]) -> Vec<String> {
    planned
        .iter()
        .map(|p| match p {
            Planned::Endpoint(e) => {
                let ip = match e.ip {
                    IpAddr::V6(v6) => format!("[{v6}]"),
                    IpAddr::V4(v4) => v4.to_string(),
                };
                let mut s = format!("{ip}:{}", e.port);
                if e.explicit {
                    s.push('*');
                }
                if let Some(sni) = &e.sni {
                    s.push('@');
                    s.push_str(sni);
                }
                assert_eq!(
                    *e.host,
                    *e.sni.clone().unwrap_or_else(|| e.ip.to_string().into())
                );
                s.push_str(&format!(" <{}>", e.target));
                s
            }
            Planned::Unresolved { target, port, .. } => format!("!{target}:{port}"),
        })
        .collect()
}

fn specs(s: &str) -> Vec<TargetSpec> {
    parse_target_list(s).unwrap()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn mixed_list_from_arguments_and_a_file_expands_exactly() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "# fleet\n10.1.0.0/31, etcd.example.com:2379  # etcd\n\n[2001:db8::1]:6443\n10.2.0-1.7"
    )
    .unwrap();
    let from_file = TargetSet::read_list(
        BufReader::new(std::fs::File::open(file.path()).unwrap()),
        "fleet.txt",
    )
    .unwrap();
    let mut includes = specs("127.0.0.1:6443 api.example.com 2001:db8::/127");
    includes.extend(from_file);
    includes.extend(specs("10.1.0.1 ghost.example.com"));
    let excludes = specs("10.2.1.7:2379");
    let names: &[(&str, &[&str])] = &[
        (
            "api.example.com",
            &["10.0.0.10", "10.0.0.11", "2001:db8::10"],
        ),
        ("etcd.example.com", &["10.0.0.20"]),
    ];
    let set = TargetSet::new(includes, excludes, DEFAULT_PORTS.to_vec(), None);
    assert_eq!(set.size_hint(), 1 + 2 + 4 + 4 + 1 + 1 + 4 + 2 + 2);
    let out = render(&collect(set, resolver(names)).await);
    assert_eq!(
        out,
        [
            "127.0.0.1:6443* <127.0.0.1:6443>",
            "10.0.0.10:6443*@api.example.com <api.example.com>",
            "10.0.0.10:2379*@api.example.com <api.example.com>",
            "10.0.0.11:6443*@api.example.com <api.example.com>",
            "10.0.0.11:2379*@api.example.com <api.example.com>",
            "[2001:db8::10]:6443*@api.example.com <api.example.com>",
            "[2001:db8::10]:2379*@api.example.com <api.example.com>",
            // A range: its addresses on the first port, then on the next (hosts interleaved).
            "[2001:db8::]:6443 <2001:db8::/127>",
            // ::1 is in the /127, and named alone in the file (port 6443): explicit there.
            "[2001:db8::1]:6443* <2001:db8::/127>",
            "[2001:db8::]:2379 <2001:db8::/127>",
            "[2001:db8::1]:2379 <2001:db8::/127>",
            "10.1.0.0:6443 <10.1.0.0/31>",
            "10.1.0.1:6443* <10.1.0.0/31>",
            "10.1.0.0:2379 <10.1.0.0/31>",
            "10.1.0.1:2379* <10.1.0.0/31>",
            "10.0.0.20:2379*@etcd.example.com <etcd.example.com:2379>",
            "10.2.0.7:6443 <10.2.0-1.7>",
            "10.2.1.7:6443 <10.2.0-1.7>",
            "10.2.0.7:2379 <10.2.0-1.7>",
            "!ghost.example.com:6443",
            "!ghost.example.com:2379",
        ]
    );
}

#[test]
fn every_target_syntax_parses() {
    for (text, count, port, explicit) in [
        ("10.0.0.5", 1u128, None, true),
        ("10.0.0.0/24", 256, None, false),
        ("10.0.0.1-50", 50, None, false),
        ("10.0.1-3.0/24", 768, None, false),
        ("10.0.1-3.1-254", 762, None, false),
        ("10.0.0,2.1", 2, None, false),
        ("2001:db8::/120", 256, None, false),
        ("node1.example.com", 1, None, true),
        ("host:2379", 1, Some(2379), true),
        ("[2001:db8::1]:6443", 1, Some(6443), true),
        ("127.0.0.1:6443", 1, Some(6443), true),
        ("2001:db8::1", 1, None, true),
        ("::1", 1, None, true),
        ("10.0.0.0/8", 1 << 24, None, false),
        ("2001:db8::/64", 1 << 64, None, false),
    ] {
        let spec = parse_target(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(spec.to_string(), text);
        assert_eq!(spec.address_count(), count, "{text}");
        assert_eq!(spec.port(), port, "{text}");
        assert_eq!(spec.is_explicit(), explicit, "{text}");
    }
}

#[test]
fn malformed_targets_and_ports_are_one_line_errors_naming_them() {
    for (text, message) in [
        (
            "10.0.0.300",
            r#"invalid target "10.0.0.300": octet 300 out of range"#,
        ),
        (
            "10.0.0.0/40",
            r#"invalid target "10.0.0.0/40": bad prefix length "40" (max /32)"#,
        ),
        (
            "10.0.0.9-3",
            r#"invalid target "10.0.0.9-3": range 9-3 is reversed"#,
        ),
        (
            "[::1]:0",
            r#"invalid target "[::1]:0": port out of range 1-65535"#,
        ),
        (
            "host:https",
            r#"invalid target "host:https": not a port number"#,
        ),
        (
            "ex ample",
            r#"invalid target "ex ample": not an IP address or a valid host name: unexpected character"#,
        ),
    ] {
        let e = parse_target(text).unwrap_err().to_string();
        assert_eq!(e, message);
        assert!(!e.contains('\n'));
    }
    assert_eq!(
        parse_ports("6443,x").unwrap_err().to_string(),
        r#"invalid port "x": not a port number"#
    );
}

#[test]
fn ports_default_ranges_and_profile() {
    assert_eq!(DEFAULT_PORTS, [6443, 2379]);
    assert_eq!(parse_ports("6443,2379").unwrap(), DEFAULT_PORTS);
    assert_eq!(parse_ports("1-1024").unwrap().len(), 1024);
    let ports = merge_ports(DEFAULT_PORTS.to_vec(), KUBERNETES_PROFILE_PORTS);
    assert_eq!(ports, [6443, 2379, 2380, 10250, 10257, 10259]);
}

#[test]
fn target_list_errors_name_the_file_and_line() {
    let list = "# nodes\n10.0.0.1, 10.0.0.2\n\n10.0.0.3 10.0.0.256 # typo\n";
    let e = TargetSet::read_list(list.as_bytes(), "nodes.txt").unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"nodes.txt:4: invalid target "10.0.0.256": octet 256 out of range"#
    );
    let ok = TargetSet::read_list("# nodes\n10.0.0.1, 10.0.0.2\n\n".as_bytes(), "-").unwrap();
    assert_eq!(ok.len(), 2);
}

#[tokio::test]
async fn excludes_take_every_form() {
    let includes = specs("10.0.0.0/28 node1 [2001:db8::]:6443 2001:db8::1");
    let excludes = specs("10.0.0.0-7,10.0.0.8/30 10.0.0.12:2379 node1 [2001:db8::/127]:6443");
    let names: &[(&str, &[&str])] = &[("node1", &["10.0.0.15"])];
    let set = TargetSet::new(includes, excludes, DEFAULT_PORTS.to_vec(), None);
    let out = render(&collect(set, resolver(names)).await);
    assert_eq!(
        out,
        [
            "10.0.0.12:6443 <10.0.0.0/28>",
            "10.0.0.13:6443 <10.0.0.0/28>",
            "10.0.0.14:6443 <10.0.0.0/28>",
            "10.0.0.13:2379 <10.0.0.0/28>",
            "10.0.0.14:2379 <10.0.0.0/28>",
            "[2001:db8::1]:2379* <2001:db8::1>",
        ]
    );
}

#[tokio::test]
async fn shards_partition_the_space_for_several_counts() {
    let text = "10.0.0.0/22 node1 ghost 2001:db8::/118 10.0.1.7:2380 10.0.0.0/23";
    let names: &[(&str, &[&str])] = &[("node1", &["10.0.0.1", "10.9.0.1"])];
    let whole = || TargetSet::new(specs(text), vec![], DEFAULT_PORTS.to_vec(), None);
    let mut all = render(&collect(whole(), resolver(names)).await);
    assert_eq!(all.len(), 1024 * 2 + 2 * 2 + 2 + 1024 * 2 + 1);
    all.sort();
    let mut distinct = all.clone();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        all.len(),
        "the unsharded scan lists each endpoint once"
    );
    for count in [1, 2, 3, 4, 7] {
        let mut parts: Vec<Vec<String>> = Vec::new();
        for index in 1..=count {
            let base = whole();
            let set = TargetSet::new(
                base.includes().to_vec(),
                vec![],
                base.ports().to_vec(),
                Some(Shard { index, count }),
            );
            parts.push(render(&collect(set, resolver(names)).await));
        }
        let mut union: Vec<String> = parts.concat();
        union.sort();
        assert_eq!(
            union, all,
            "union of {count} shards is the whole, each endpoint once"
        );
        if count > 1 {
            // Roughly even: no shard holds more than twice its fair share.
            assert!(
                parts
                    .iter()
                    .all(|p| p.len() < 2 * all.len() / count as usize),
                "{count}"
            );
        }
    }
}

#[tokio::test]
async fn shard_membership_does_not_depend_on_target_order() {
    let names: &[(&str, &[&str])] = &[];
    let shard = Some(Shard { index: 2, count: 3 });
    let a = TargetSet::new(specs("10.0.0.0/26 10.0.5.0/28"), vec![], vec![1, 2], shard);
    let b = TargetSet::new(specs("10.0.5.0/28 10.0.0.0/26"), vec![], vec![2, 1], shard);
    let strip = |v: Vec<String>| {
        let mut v: Vec<String> = v
            .into_iter()
            .map(|s| s.split(' ').next().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let ra = strip(render(&collect(a, resolver(names)).await));
    let rb = strip(render(&collect(b, resolver(names)).await));
    assert!(!ra.is_empty());
    assert_eq!(ra, rb);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slash_8_streams_lazily() {
    let set = TargetSet::new(specs("10.0.0.0/8"), vec![], DEFAULT_PORTS.to_vec(), None);
    assert_eq!(set.size_hint(), 2 << 24);
    let before = rss_kib();
    let started = Instant::now();
    let mut rx = set.into_stream(resolver(&[]), 1024);
    // 1M endpoints in a release build; a quarter of that in a debug build, which is ~10x slower.
    let take: u32 = if cfg!(debug_assertions) {
        250_000
    } else {
        1_000_000
    };
    let mut n = 0u32;
    let mut last = None;
    while n < take {
        let Some(Planned::Endpoint(e)) = rx.recv().await else {
            panic!("stream ended early")
        };
        last = Some((e.ip, e.port));
        n += 1;
    }
    let elapsed = started.elapsed();
    let grown = rss_kib().saturating_sub(before);
    drop(rx);
    println!("/8: first {take} endpoints in {elapsed:?}, RSS grew {grown} KiB");
    // Ascending from 10.0.0.0 in blocks of 256 addresses, each on 6443 then on 2379.
    let (blocks, rest) = (take / 512, take % 512);
    let at = |offset: u32| IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + offset));
    let want = match rest {
        0 => (at(blocks * 256 - 1), 2379),
        1..=256 => (at(blocks * 256 + rest - 1), 6443),
        _ => (at(blocks * 256 + rest - 257), 2379),
    };
    assert_eq!(last, Some(want));
    // A materialised /8 (2^25 endpoints) would take gigabytes; streaming holds a channel's worth.
    assert!(grown < 64 * 1024, "RSS grew {grown} KiB");
}

#[tokio::test]
async fn an_ipv6_slash_64_streams_lazily() {
    let set = TargetSet::new(specs("2001:db8:0:1::/64"), vec![], vec![443], None);
    assert_eq!(set.size_hint(), 1 << 64);
    let mut rx = set.into_stream(resolver(&[]), 256);
    let mut ips = Vec::new();
    while ips.len() < 5000 {
        let Some(Planned::Endpoint(e)) = rx.recv().await else {
            panic!("stream ended early")
        };
        ips.push(e.ip);
    }
    assert_eq!(ips[0], "2001:db8:0:1::".parse::<IpAddr>().unwrap());
    assert_eq!(ips[4999], "2001:db8:0:1::1387".parse::<IpAddr>().unwrap());
    let everything = TargetSet::new(specs("::/0"), vec![], vec![1, 2], None);
    assert_eq!(everything.size_hint(), u128::MAX);
}

#[tokio::test]
async fn dropping_the_receiver_stops_the_expander() {
    let resolver = resolver(&[]);
    let set = TargetSet::new(specs("10.0.0.0/8"), vec![], vec![1], None);
    let mut rx = set.into_stream(resolver.clone(), 8);
    assert!(rx.recv().await.is_some());
    assert_eq!(
        Arc::strong_count(&resolver),
        2,
        "the task holds the resolver"
    );
    drop(rx);
    for _ in 0..1000 {
        if Arc::strong_count(&resolver) == 1 {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("expander task still running after its receiver was dropped");
}

/// Not a timed assertion: prints how long a /16 x 2 ports takes (run with `--release
/// -- --nocapture` for the real figure).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_16_times_two_ports_throughput() {
    let set = TargetSet::new(specs("10.20.0.0/16"), vec![], DEFAULT_PORTS.to_vec(), None);
    let started = Instant::now();
    let mut rx = set.into_stream(resolver(&[]), 1024);
    let mut n = 0u32;
    while let Some(p) = rx.recv().await {
        assert!(matches!(p, Planned::Endpoint(_)));
        n += 1;
    }
    let elapsed = started.elapsed();
    assert_eq!(n, 65536 * 2);
    println!(
        "/16 x 2 ports: {n} endpoints in {elapsed:?} ({:.0} endpoints/s)",
        f64::from(n) / elapsed.as_secs_f64()
    );
}

/// A resolver that answers every `nodeN` after a delay, counting lookups in flight.
struct SlowResolver {
    in_flight: std::sync::atomic::AtomicUsize,
    max_in_flight: std::sync::atomic::AtomicUsize,
}

impl Resolve for SlowResolver {
    fn lookup(&self, name: &str) -> fipsprobe::targets::LookupFuture<'_> {
        use std::sync::atomic::Ordering::SeqCst;
        let n: u8 = name.trim_start_matches("node").parse().unwrap();
        Box::pin(async move {
            let now = self.in_flight.fetch_add(1, SeqCst) + 1;
            self.max_in_flight.fetch_max(now, SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            self.in_flight.fetch_sub(1, SeqCst);
            Ok(vec![IpAddr::from([10, 0, 0, n])])
        })
    }
}

#[tokio::test]
async fn names_are_resolved_ahead_concurrently_but_emitted_in_order() {
    use std::sync::atomic::Ordering::SeqCst;
    let resolver = Arc::new(SlowResolver {
        in_flight: 0.into(),
        max_in_flight: 0.into(),
    });
    let names: Vec<String> = (1..=40).map(|i| format!("node{i}")).collect();
    let set = TargetSet::new(specs(&names.join(" ")), vec![], vec![6443], None);
    let started = Instant::now();
    let out = collect(set, resolver.clone()).await;
    let elapsed = started.elapsed();
    let hosts: Vec<String> = out
        .iter()
        .map(|p| match p {
            Planned::Endpoint(e) => format!("{}={}", e.host, e.ip),
            other => panic!("{other:?}"),
        })
        .collect();
    let expected: Vec<String> = (1..=40).map(|i| format!("node{i}=10.0.0.{i}")).collect();
    assert_eq!(hosts, expected);
    let max = resolver.max_in_flight.load(SeqCst);
    assert!((2..=16).contains(&max), "max lookups in flight: {max}");
    println!("40 names, 20 ms each: {elapsed:?} with up to {max} lookups in flight");
}

mod model {
    //! Model-based check: random include/exclude lists over 10.0.0.0/24, expanded by the
    //! library, against a naive reference that materialises every address (fine at this size).
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    /// A generated target: its text and its member last octets, computed independently of the
    /// library's parser.
    #[derive(Debug, Clone)]
    struct Gen {
        text: String,
        members: Vec<u8>,
        port: Option<u16>,
    }

    fn gen_target() -> impl Strategy<Value = Gen> {
        let body = prop_oneof![
            any::<u8>().prop_map(|x| (format!("10.0.0.{x}"), vec![x])),
            (any::<u8>(), any::<u8>()).prop_map(|(a, b)| {
                let (lo, hi) = (a.min(b), a.max(b));
                (format!("10.0.0.{lo}-{hi}"), (lo..=hi).collect())
            }),
            (any::<u8>(), 26u8..=32).prop_map(|(x, len)| {
                let size = 1u16 << (32 - len);
                let base = u16::from(x) / size * size;
                let members = (base..base + size).map(|v| v as u8).collect();
                (format!("10.0.0.{x}/{len}"), members)
            }),
            (any::<u8>(), any::<u8>()).prop_map(|(a, b)| {
                let mut m = vec![a, b];
                m.sort();
                m.dedup();
                (format!("10.0.0.{a},{b}"), m)
            }),
        ];
        (body, prop::option::weighted(0.3, 1u16..=3)).prop_map(|((text, members), port)| Gen {
            text: match port {
                Some(p) => format!("{text}:{p}"),
                None => text,
            },
            members,
            port,
        })
    }

    fn covers(g: &Gen, ip: u8, port: u16, global: &[u16]) -> bool {
        g.members.contains(&ip) && g.port.map_or(global.contains(&port), |p| p == port)
    }

    /// The reference: targets in order, ports in order, members ascending (a range here is
    /// one block of the library's interleaving: at most 256 addresses); skip excluded and
    /// already-seen endpoints; explicit if any one-address include covers it.
    fn reference(includes: &[Gen], excludes: &[Gen], ports: &[u16]) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for g in includes {
            let own_ports: Vec<u16> = g.port.map_or(ports.to_vec(), |p| vec![p]);
            for &port in &own_ports {
                for &ip in &g.members {
                    let excluded = excludes
                        .iter()
                        .any(|x| x.members.contains(&ip) && x.port.is_none_or(|p| p == port));
                    if excluded || !seen.insert((ip, port)) {
                        continue;
                    }
                    let explicit = includes
                        .iter()
                        .any(|s| s.members.len() == 1 && covers(s, ip, port, ports));
                    out.push(format!(
                        "10.0.0.{ip}:{port}{}",
                        if explicit { "*" } else { "" }
                    ));
                }
            }
        }
        out
    }

    fn expand(
        includes: &[Gen],
        excludes: &[Gen],
        ports: &[u16],
        shard: Option<Shard>,
    ) -> Vec<String> {
        let parse = |gs: &[Gen]| -> Vec<TargetSpec> {
            gs.iter().map(|g| parse_target(&g.text).unwrap()).collect()
        };
        let set = TargetSet::new(parse(includes), parse(excludes), ports.to_vec(), shard);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let planned = rt.block_on(collect(set, resolver(&[])));
        render(&planned)
            .into_iter()
            .map(|s| s.split(' ').next().unwrap().to_string())
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn expansion_matches_the_naive_reference(
            includes in prop::collection::vec(gen_target(), 1..6),
            excludes in prop::collection::vec(gen_target(), 0..3),
            ports in prop::sample::subsequence(vec![1u16, 2, 3], 1..=3),
        ) {
            prop_assert_eq!(expand(&includes, &excludes, &ports, None), reference(&includes, &excludes, &ports));
        }

        #[test]
        fn shards_of_random_lists_partition_them(
            includes in prop::collection::vec(gen_target(), 1..5),
            count in 1u32..6,
        ) {
            let mut whole = expand(&includes, &[], &[1, 2], None);
            let mut union: Vec<String> = (1..=count)
                .flat_map(|index| expand(&includes, &[], &[1, 2], Some(Shard { index, count })))
                .collect();
            whole.sort();
            union.sort();
            prop_assert_eq!(union, whole);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = parse_target(&s);
            let _ = parse_target_list(&s);
            let _ = parse_ports(&s);
            let _ = s.parse::<Shard>();
            let _ = TargetSet::read_list(s.as_bytes(), "fuzz");
        }

        #[test]
        fn parsing_target_like_text_never_panics(s in "[0-9a-f:.,/*\\[\\]-]{0,30}") {
            if let Ok(spec) = parse_target(&s) {
                prop_assert_eq!(spec.to_string(), s.trim());
            }
        }
    }
}
