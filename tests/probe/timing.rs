//! How long the probe waits (`src/probe/rtt.rs`, `src/probe/link.rs`), against endpoints that
//! are slow or silent on purpose: a port that accepts and never answers (a tarpit) ends as a
//! `timeout` that says what it waited for, at the default settings; a live server slower than
//! the first learned wait is still found, whole. Wall-clock bounds here are generous (the
//! figures are the benchmark's, `scripts/bench-netns.sh`); the handshake counts are exact.

use std::net::SocketAddr;
use std::time::Duration;

use fipsprobe::demo::{self, ServerSpec};
use fipsprobe::model::{ErrorKind, Status, Verdict};
use fipsprobe::probe::ProbeConfig;
use fipsprobe::protocol::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::scan::{codes, graded, observe_with};
use crate::common::MisbehavingServer;

#[tokio::test]
async fn a_tarpit_ends_as_a_timeout_that_says_what_it_waited_for() {
    let tarpit = MisbehavingServer::silent();
    let (obs, took) = observe_with(tarpit.addr, &ProbeConfig::default(), 4).await;
    let e = graded(&obs, "fips-140-3");
    assert_eq!(e.status, Status::Timeout, "{:?}", e.error);
    assert_eq!(e.error_kind, Some(ErrorKind::ReadTimeout));
    // The first hello's last attempt waited the full --handshake-timeout: that is the error.
    assert_eq!(
        e.error.as_deref(),
        Some("no answer to the ClientHello within 5 s")
    );
    assert_eq!(e.verdict, Verdict::NotAssessed);
    assert!(e.protocols.is_empty() && e.refused.is_empty(), "{e:?}");
    // The first hello (a learned wait), its retry (the full limit), the older hello (what is
    // left of the first contact's budget).
    assert_eq!(e.handshakes, 3);
    eprintln!("tarpit at the defaults: {took:?}");
    assert!(took < Duration::from_secs(15), "{took:?}");
    drop(tarpit);
}

/// A TCP relay that holds the first bytes of every answer `delay` before passing them on: a
/// live server slower than the first learned wait (1 s before anything has answered).
struct SlowRelay {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl SlowRelay {
    async fn start(backend: SocketAddr, delay: Duration) -> SlowRelay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, backend, delay));
            }
        });
        SlowRelay { addr, task }
    }
}

impl Drop for SlowRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(client: TcpStream, backend: SocketAddr, delay: Duration) {
    let Ok(server) = TcpStream::connect(backend).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = tokio::io::copy(&mut client_read, &mut server_write);
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        let mut first = true;
        while let Ok(n @ 1..) = server_read.read(&mut buf).await {
            if std::mem::take(&mut first) {
                tokio::time::sleep(delay).await;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
        let _ = client_write.shutdown().await;
    };
    let _ = tokio::join!(up, down);
}

#[tokio::test]
async fn a_server_slower_than_the_first_wait_is_found_whole() {
    let spec: ServerSpec = demo::kube_apiserver_fips();
    let server = demo::spawn(&spec, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let relay = SlowRelay::start(server.addr, Duration::from_millis(1500)).await;
    let suites_only = ProbeConfig {
        extras: false,
        ..ProbeConfig::default()
    };
    let (fast, _) = observe_with(server.addr, &suites_only, 4).await;
    let (obs, took) = observe_with(relay.addr, &suites_only, 4).await;
    let e = graded(&obs, "fips-140-3");
    assert_eq!(e.status, Status::Tls, "{:?}", e.error);
    for v in [Protocol::Tls12, Protocol::Tls13] {
        assert_eq!(
            codes(&e, v),
            codes(&graded(&fast, "fips-140-3"), v),
            "{v:?} through a 1.5 s relay"
        );
    }
    assert!(!e.incomplete, "{:?}", e.gaps);
    // The first hello's learned wait (1 s) ran out once and was retried with the full limit;
    // its late answer raised the figures, and no other hello timed out.
    assert_eq!(obs.handshakes, fast.handshakes + 1);
    eprintln!("1.5 s server, suites only: {took:?}");
}
