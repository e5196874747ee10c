//! The reference tools (nmap, `openssl ciphers`), non-TLS endpoints and the helpers' error reporting.

use super::*;

#[test]
fn nmap_reference_sees_the_openssl_server_order() {
    let server = require_server!(OpensslServer::start(
        &[
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA",
            "-serverpref",
            "-no_tls1_3"
        ],
        KeyKind::Rsa2048
    ));
    let found = require_server!(common::nmap::ssl_enum_ciphers(server.addr()));
    let tls12 = &found.versions.get("TLSv1.2").expect("nmap saw TLSv1.2");
    assert_eq!(
        tls12.ciphers,
        [
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_256_CBC_SHA"
        ],
        "{}",
        found.raw
    );
    assert_eq!(tls12.preference.as_deref(), Some("server"), "{}", found.raw);
    assert!(!found.versions.contains_key("TLSv1.3"), "{}", found.raw);
}

#[test]
fn nmap_and_openssl_ciphers_agree_on_the_legacy_server() {
    let server = require_server!(OpensslServer::legacy(true));
    let found = require_server!(common::nmap::ssl_enum_ciphers(server.addr()));
    for version in [Protocol::Tls10, Protocol::Tls11, Protocol::Tls12] {
        let expected: Vec<String> =
            common::openssl::expected_suites("ALL:@SECLEVEL=0", None, version, KeyKind::Rsa2048)
                .unwrap()
                .into_iter()
                .map(|s| s.iana)
                .collect();
        let label = version.label().to_string();
        let seen = &found
            .versions
            .get(&label)
            .unwrap_or_else(|| panic!("nmap missed {label}\n{}", found.raw));
        // Same suites in the same (server) order.
        assert_eq!(seen.ciphers, expected, "{label}\n{}", found.raw);
        assert_eq!(seen.preference.as_deref(), Some("server"));
    }
    let tls13 =
        common::openssl::expected_suites("ALL", None, Protocol::Tls13, KeyKind::Rsa2048).unwrap();
    let codes: Vec<u16> = tls13.iter().map(|s| s.code).collect();
    assert_eq!(codes, [0x1302, 0x1303, 0x1301]);
}

#[test]
fn misbehaving_endpoints_behave_as_named() {
    use std::io::{Read, Write};
    use std::time::Duration;

    let garbage = common::MisbehavingServer::garbage();
    let mut stream = std::net::TcpStream::connect(garbage.addr).unwrap();
    stream.write_all(b"\x16\x03\x01\x00\x05hello").unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    assert_eq!(&got[..5], &[0x16, 0x03, 0x03, 0xFF, 0xFF]);

    let silent = common::MisbehavingServer::silent();
    let mut stream = std::net::TcpStream::connect(silent.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    stream.write_all(b"\x16\x03\x01\x00\x05hello").unwrap();
    let err = stream.read(&mut [0u8; 16]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );

    let closed = common::closed_port();
    let err = std::net::TcpStream::connect(closed).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn missing_binary_message_names_the_package() {
    let err =
        common::process::require_binary("fipsprobe-no-such-server", "gnutls-bin").unwrap_err();
    let message = err.to_string();
    assert!(message.contains("apt-get install gnutls-bin"), "{message}");
    assert!(matches!(err, ServerError::Missing { .. }));
}

#[test]
fn a_server_that_cannot_start_reports_its_stderr() {
    let err = match OpensslServer::start(&["-no-such-option"], KeyKind::EcdsaP256) {
        Ok(_) => panic!("s_server started with a bogus option"),
        Err(err) => err,
    };
    if let ServerError::Missing { .. } = err {
        return common::skip_or_fail(err);
    }
    let message = err.to_string();
    assert!(
        message.contains("exited") && message.contains("no-such-option"),
        "{message}"
    );
}

#[test]
fn a_server_is_not_up_because_something_else_listens_on_its_port() {
    use common::process::{temp_dir, KillMode, ServerProcess};
    use std::time::Duration;

    // Another "test's server" holds the port; ours never listens. A TCP connect would succeed,
    // the ownership check must not.
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = squatter.local_addr().unwrap();
    let mut cmd = std::process::Command::new("sleep");
    cmd.arg("30");
    let started = ServerProcess::start(
        "sleep",
        cmd,
        addr,
        temp_dir("fipsprobe-squat-").unwrap(),
        KillMode::Pid,
        Duration::from_secs(2),
    );
    match started {
        Err(ServerError::Failed(msg)) => assert!(msg.contains("did not accept"), "{msg}"),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a server that never listened was taken as up"),
    }
}

#[test]
fn a_server_stops_by_itself_and_its_group_dies_with_it() {
    use common::process::group_pids;
    use std::time::Duration;

    let server = require_server!(OpensslServer::start(&[], KeyKind::EcdsaP256));
    let pids = server.process.pids();
    // timeout (the group leader) and s_server.
    assert_eq!(pids.len(), 2, "{pids:?}");
    let leader = server.process.pid();
    let cmdline = std::fs::read_to_string(format!("/proc/{leader}/cmdline")).unwrap();
    let lifetime = format!(
        "timeout\0-s\0KILL\0{}\0",
        common::process::LIFETIME.as_secs()
    );
    assert!(cmdline.contains(&lifetime), "{cmdline:?}");
    drop(server);
    // Killed as a group: nothing of it is left (zombies are reaped by the wait in drop).
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(group_pids(leader), Vec::<u32>::new());
}
