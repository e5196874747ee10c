//! nginx, etcd and GnuTLS, checked with `openssl s_client`, `gnutls-cli -l` and nmap.

use super::*;

#[test]
fn nginx_cipher_list_and_server_preference() {
    let server = require_server!(NginxServer::start(
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
        "TLSv1.2 TLSv1.3",
        true
    ));
    let addr = server.addr();
    let got = s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .unwrap();
    got.assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
    assert!(
        got.output
            .contains("nginx TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256"),
        "{}",
        got.output
    );
    s_client(addr, &["-tls1_2", "-cipher", "AES128-SHA"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "AES128-SHA");
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305:AES256-SHA",
        ],
    )
    .unwrap()
    .assert_refused();
    s_client(addr, &["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"])
        .unwrap()
        .assert_refused();

    let client_order = require_server!(NginxServer::start(
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        "TLSv1.2",
        false
    ));
    s_client(
        client_order.addr(),
        &[
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn etcd_restricted_cipher_suites() {
    let server = require_server!(EtcdServer::start(
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        false
    ));
    let addr = server.addr();
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA",
        ],
    )
    .unwrap()
    .assert_refused();
}

#[test]
fn etcd_client_cert_auth_requires_a_certificate() {
    let server = require_server!(EtcdServer::start(None, true));
    let addr = server.addr();
    s_client(addr, &["-tls1_2"]).unwrap().assert_refused();
    let cert = server.cert.cert.to_str().unwrap().to_string();
    let key = server.cert.key.to_str().unwrap().to_string();
    s_client(addr, &["-tls1_2", "-cert", &cert, "-key", &key])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn gnutls_priority_string_is_applied() {
    let server = require_server!(GnutlsServer::start(
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+CAMELLIA-128-GCM"
    ));
    let addr = server.addr();
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"])
        .unwrap()
        .assert_negotiated("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384");
    s_client(addr, &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
        .unwrap()
        .assert_refused();
    s_client(addr, &["-tls1_3"]).unwrap().assert_refused();
    // gnutls-serv listens on every interface, but in a network namespace of its own.
    let own = std::fs::read_link("/proc/self/ns/net").unwrap();
    // The group is the `timeout` wrapper (in ours) and unshare's shell, gnutls-serv and the
    // relay: every process but the wrapper runs in another namespace.
    let outside: Vec<u32> = server
        .inner
        .pids()
        .into_iter()
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/ns/net"))
                .ok()
                .as_ref()
                == Some(&own)
        })
        .collect();
    assert_eq!(
        outside,
        [server.inner.pid()],
        "only the timeout wrapper may run in the test's own network namespace"
    );
}

#[test]
fn gnutls_defaults_to_client_order_and_serves_dhe() {
    let server = require_server!(GnutlsServer::start("NORMAL:+VERS-TLS1.0:+VERS-TLS1.1"));
    let addr = server.addr();
    let dhe = s_client(addr, &["-tls1_2", "-cipher", "DHE-RSA-AES256-GCM-SHA384"]).unwrap();
    dhe.assert_negotiated("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384");
    assert_eq!(
        dhe.temp_key.as_deref(),
        Some("DH, 2048 bits"),
        "{}",
        dhe.output
    );
    s_client(
        addr,
        &["-tls1", "-cipher", "ECDHE-RSA-AES256-SHA:@SECLEVEL=0"],
    )
    .unwrap()
    .assert_negotiated("TLSv1", "ECDHE-RSA-AES256-SHA");
    // No %SERVER_PRECEDENCE: the client's first choice wins.
    s_client(
        addr,
        &[
            "-tls1_2",
            "-cipher",
            "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384",
        ],
    )
    .unwrap()
    .assert_negotiated("TLSv1.2", "AES128-SHA");
}

#[test]
fn gnutls_cli_list_matches_nmap() {
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:-CIPHER-ALL:+AES-256-GCM:+AES-128-CBC:%SERVER_PRECEDENCE";
    let server = require_server!(GnutlsServer::start(priority));
    let found = require_server!(common::nmap::ssl_enum_ciphers(server.addr()));
    for version in [Protocol::Tls11, Protocol::Tls12] {
        let expected: Vec<String> =
            common::gnutls::expected_suites(priority, version, KeyKind::Rsa2048)
                .unwrap()
                .into_iter()
                .map(|s| s.iana)
                .collect();
        assert!(!expected.is_empty());
        let seen = found
            .versions
            .get(version.label())
            .map(|v| v.ciphers.clone())
            .unwrap_or_default();
        assert_eq!(seen, expected, "{version}\n{}", found.raw);
    }
    assert!(
        common::gnutls::expected_suites(priority, Protocol::Tls13, KeyKind::Rsa2048)
            .unwrap()
            .is_empty()
    );
    assert!(!found.versions.contains_key("TLSv1.3"), "{}", found.raw);
}

#[test]
fn nginx_without_dhparam_cannot_do_dhe() {
    let listed = require_server!(NginxServer::start(
        "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        "TLSv1.2",
        true
    ));
    s_client(listed.addr(), &["-cipher", "DHE-RSA-AES128-GCM-SHA256"])
        .unwrap()
        .assert_refused();
    let dir = listed.process.dir.path().display().to_string();
    std::fs::write(format!("{dir}/dh.pem"), common::openssl::DH1024_PEM).unwrap();
    let with_dh = require_server!(NginxServer::start_with(
        "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        "TLSv1.2",
        true,
        KeyKind::Rsa2048,
        &format!("ssl_dhparam {dir}/dh.pem;"),
    ));
    let got = s_client(
        with_dh.addr(),
        &["-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"],
    )
    .unwrap();
    got.assert_negotiated("TLSv1.2", "DHE-RSA-AES128-GCM-SHA256");
    assert_eq!(
        got.temp_key.as_deref(),
        Some("DH, 1024 bits"),
        "{}",
        got.output
    );
}
