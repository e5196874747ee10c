//! Tests for `flight.rs`: unit cases and property tests.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use proptest::prelude::*;

use super::*;
use crate::wire::{encode_records, RawExtension};

fn handshake(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    out.extend(body);
    out
}

fn tls12_hello() -> ServerHello {
    ServerHello {
        legacy_version: 0x0303,
        random: [1; 32],
        session_id: vec![],
        cipher_suite: 0xc02f,
        compression: 0,
        extensions: vec![RawExtension {
            typ: 0xff01,
            body: vec![0],
        }],
    }
}

fn tls12_flight() -> Vec<u8> {
    let mut hs = handshake(2, &tls12_hello().to_bytes());
    hs.extend(handshake(
        11,
        &Certificate::whole(vec![vec![0x30; 700]]).to_bytes(),
    ));
    hs.extend(handshake(12, &[3, 0, 0x17, 1, 4]));
    hs.extend(handshake(14, &[]));
    hs
}

fn drain(reader: &mut FlightReader) -> Result<Vec<ServerMessage>, DecodeError> {
    let mut out = Vec::new();
    while let Some(m) = reader.next_message()? {
        out.push(m);
    }
    Ok(out)
}

fn read_all(chunks: &[&[u8]]) -> Result<Vec<ServerMessage>, DecodeError> {
    let mut reader = FlightReader::new();
    let mut out = Vec::new();
    for c in chunks {
        reader.feed(c)?;
        out.extend(drain(&mut reader)?);
    }
    Ok(out)
}

#[test]
fn several_messages_in_one_record() {
    let bytes = encode_records(ContentType::HANDSHAKE, 0x0303, &tls12_flight());
    let got = read_all(&[&bytes]).unwrap();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0], ServerMessage::ServerHello(tls12_hello()));
    assert!(matches!(&got[1], ServerMessage::Certificate(c) if c.chain[0].len() == 700));
    let ServerMessage::ServerKeyExchange(ske) = &got[2] else {
        panic!()
    };
    assert_eq!(
        ske.params(crate::wire::KxKind::Ecdhe),
        Ok(crate::wire::KxParams::Ecdhe { named_curve: 0x17 })
    );
    assert_eq!(got[3], ServerMessage::ServerHelloDone);
}

#[test]
fn messages_split_across_records_and_reads() {
    let flight = tls12_flight();
    let mut bytes = Vec::new();
    for piece in flight.chunks(37) {
        bytes.extend(encode_records(ContentType::HANDSHAKE, 0x0303, piece));
    }
    let want = read_all(&[&encode_records(ContentType::HANDSHAKE, 0x0303, &flight)]).unwrap();
    for cut in (0..bytes.len()).step_by(7) {
        assert_eq!(
            read_all(&[&bytes[..cut], &bytes[cut..]]).unwrap(),
            want,
            "cut {cut}"
        );
    }
}

#[test]
fn alert_record_with_two_alerts() {
    let bytes = encode_records(ContentType::ALERT, 0x0301, &[1, 112, 2, 40]);
    let got = read_all(&[&bytes]).unwrap();
    assert_eq!(got.len(), 2);
    assert!(matches!(&got[1], ServerMessage::Alert(a) if a.is_fatal() && a.description.0 == 40));
}

#[test]
fn a_record_full_of_alerts_is_refused() {
    let bytes = encode_records(ContentType::ALERT, 0x0303, &[1, 0].repeat(100));
    assert!(matches!(
        read_all(&[&bytes]),
        Err(DecodeError::TooLong {
            what: "alert record",
            ..
        })
    ));
}

#[test]
fn http_answer_is_not_tls() {
    assert_eq!(
        read_all(&[b"HTTP/1.1 400 Bad Request\r\n"]),
        Err(DecodeError::NotTls)
    );
    assert_eq!(
        read_all(&[b"SSH-2.0-OpenSSH_9.2\r\n"]),
        Err(DecodeError::NotTls)
    );
}

#[test]
fn one_byte_at_a_time_waits_for_a_full_header() {
    let mut reader = FlightReader::new();
    reader.feed(&[22]).unwrap();
    assert_eq!(reader.next_message(), Ok(None));
    reader.feed(&[3, 3]).unwrap();
    assert_eq!(reader.next_message(), Ok(None));
}

#[test]
fn tls13_records_after_server_hello_are_encrypted() {
    let mut sh = tls12_hello();
    sh.extensions = vec![
        RawExtension {
            typ: 43,
            body: vec![3, 4],
        },
        RawExtension {
            typ: 51,
            body: vec![0, 0x1d, 0, 1, 9],
        },
    ];
    let mut bytes = encode_records(
        ContentType::HANDSHAKE,
        0x0303,
        &handshake(2, &sh.to_bytes()),
    );
    bytes.extend(encode_records(
        ContentType::CHANGE_CIPHER_SPEC,
        0x0303,
        &[1],
    ));
    bytes.extend(encode_records(
        ContentType::APPLICATION_DATA,
        0x0303,
        &[0xaa; 100],
    ));
    let got = read_all(&[&bytes]).unwrap();
    assert_eq!(
        got[1..],
        [
            ServerMessage::ChangeCipherSpec,
            ServerMessage::EncryptedRecord
        ]
    );
}

#[test]
fn interleaved_alert_inside_a_handshake_message_is_invalid() {
    let flight = tls12_flight();
    let mut bytes = encode_records(ContentType::HANDSHAKE, 0x0303, &flight[..10]);
    bytes.extend(encode_records(ContentType::ALERT, 0x0303, &[2, 40]));
    assert!(matches!(
        read_all(&[&bytes]),
        Err(DecodeError::Invalid { .. })
    ));
}

#[test]
fn huge_handshake_length_is_refused_before_buffering() {
    let bytes = encode_records(ContentType::HANDSHAKE, 0x0303, &[12, 0xff, 0xff, 0xff]);
    assert_eq!(
        read_all(&[&bytes]),
        Err(DecodeError::Cap {
            what: "handshake message",
            limit: MAX_HANDSHAKE_LEN,
            unit: "bytes",
        })
    );
}

/// A Certificate message longer than the cap: the whole certificates in its first
/// `MAX_HANDSHAKE_LEN` bytes are kept, the tail is skipped unbuffered, and what follows it is
/// read as usual.
#[test]
fn an_overlong_certificate_keeps_its_first_certificates_and_the_flight_goes_on() {
    let chain: Vec<Vec<u8>> = (0..9u8).map(|i| vec![i; 10_000]).collect();
    let body = Certificate::whole(chain.clone()).to_bytes();
    let mut hs = handshake(2, &tls12_hello().to_bytes());
    hs.extend(handshake(11, &body));
    hs.extend(handshake(14, &[]));
    let stream = encode_records(ContentType::HANDSHAKE, 0x0303, &hs);
    for chunk in [16_000, 1000, 7] {
        let parts: Vec<&[u8]> = stream.chunks(chunk).collect();
        let got = read_all(&parts).unwrap();
        assert_eq!(got.len(), 3, "chunks of {chunk}");
        let ServerMessage::Certificate(cert) = &got[1] else {
            panic!("{:?}", got[1]);
        };
        // Six whole 10 003-byte entries fit in 64 KiB after the 3-byte list length.
        assert_eq!(cert.chain, chain[..6]);
        let cut = cert.truncated.unwrap();
        assert_eq!(
            (cut.limit, cut.unit, cut.sent),
            (MAX_HANDSHAKE_LEN, "bytes", body.len())
        );
        assert_eq!(got[2], ServerMessage::ServerHelloDone);
    }
}

#[test]
fn an_endless_flight_stops_at_the_byte_cap() {
    let mut reader = FlightReader::new();
    let hello = encode_records(
        ContentType::HANDSHAKE,
        0x0303,
        &handshake(2, &tls12_hello().to_bytes()),
    );
    reader.feed(&hello).unwrap();
    assert!(matches!(
        reader.next_message(),
        Ok(Some(ServerMessage::ServerHello(_)))
    ));
    // Heartbeat records: nothing to yield, but every byte counts.
    let junk = encode_records(ContentType(24), 0x0303, &[0; 4000]);
    let mut fed = hello.len();
    let err = loop {
        reader.feed(&junk).unwrap();
        fed += junk.len();
        match reader.next_message() {
            Ok(None) => assert!(fed < MAX_FLIGHT_LEN + junk.len(), "read {fed} bytes"),
            Ok(Some(m)) => panic!("{m:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(
        err.to_string(),
        "server flight exceeds the cap of 98304 bytes"
    );
    assert!(reader.capped());
    assert_eq!(reader.feed(&junk), Err(err));
}

#[test]
fn an_endless_stream_of_tiny_messages_stops_at_the_message_cap() {
    let messages: Vec<u8> = (0..1000).flat_map(|_| handshake(0, &[])).collect();
    let got = read_all(&[&encode_records(ContentType::HANDSHAKE, 0x0303, &messages)]);
    assert_eq!(
        got,
        Err(DecodeError::Cap {
            what: "server flight",
            limit: MAX_FLIGHT_MESSAGES,
            unit: "messages",
        })
    );
}

#[test]
fn errors_are_sticky() {
    let mut reader = FlightReader::new();
    reader.feed(b"GET").unwrap();
    assert_eq!(reader.next_message(), Err(DecodeError::NotTls));
    assert_eq!(reader.feed(&[22, 3, 3]), Err(DecodeError::NotTls));
}

/// A valid TLS ≤ 1.2 flight built from arbitrary parts, and what it must read back as.
fn arb_flight() -> impl Strategy<Value = (Vec<u8>, Vec<ServerMessage>)> {
    (
        crate::wire::server_hello::tests::arb_server_hello(),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..3000), 0..4),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::option::of((
            prop::collection::vec(any::<u8>(), 0..4),
            prop::collection::vec(any::<u16>(), 0..10),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..4),
        )),
    )
        .prop_map(|(mut sh, chain, ske, request)| {
            sh.random[0] ^= 0xff; // never the HRR random
            sh.extensions.retain(|e| e.typ != 43);
            let mut bytes = handshake(2, &sh.to_bytes());
            let mut want = vec![ServerMessage::ServerHello(sh.clone())];
            let cert = Certificate::whole(chain);
            bytes.extend(handshake(11, &cert.to_bytes()));
            want.push(ServerMessage::Certificate(cert));
            bytes.extend(handshake(12, &ske));
            want.push(ServerMessage::ServerKeyExchange(ServerKeyExchange {
                body: ske,
            }));
            if let Some((cert_types, schemes, ca_names)) = request {
                let sig_schemes = (sh.version() >= 0x0303).then_some(schemes);
                let req = CertificateRequest {
                    cert_types,
                    sig_schemes,
                    ca_count: ca_names.len(),
                    ca_names,
                };
                bytes.extend(handshake(13, &req.to_bytes()));
                want.push(ServerMessage::CertificateRequest(req));
            }
            bytes.extend(handshake(14, &[]));
            want.push(ServerMessage::ServerHelloDone);
            (bytes, want)
        })
}

proptest! {
    #[test]
    fn flight_reads_back_whatever_the_record_and_read_splits(
        (flight, want) in arb_flight(),
        fragments in prop::collection::vec(1usize..5000, 1..20),
        reads in prop::collection::vec(1usize..3000, 1..20),
    ) {
        let mut records = Vec::new();
        let mut at = 0;
        let mut i = 0;
        while at < flight.len() {
            let end = (at + fragments[i % fragments.len()]).min(flight.len());
            records.extend(encode_records(ContentType::HANDSHAKE, 0x0303, &flight[at..end]));
            at = end;
            i += 1;
        }
        let mut chunks = Vec::new();
        let mut at = 0;
        let mut i = 0;
        while at < records.len() {
            let end = (at + reads[i % reads.len()]).min(records.len());
            chunks.push(&records[at..end]);
            at = end;
            i += 1;
        }
        prop_assert_eq!(read_all(&chunks).unwrap(), want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000), cut in 0usize..2000) {
        let cut = cut.min(bytes.len());
        let _ = read_all(&[&bytes[..cut], &bytes[cut..]]);
    }

    #[test]
    fn arbitrary_handshake_bodies_never_panic(typ in prop_oneof![Just(2u8), Just(11), Just(12), Just(13), Just(14), Just(22), any::<u8>()],
                                              body in prop::collection::vec(any::<u8>(), 0..300)) {
        let bytes = encode_records(ContentType::HANDSHAKE, 0x0303, &handshake(typ, &body));
        let _ = read_all(&[&bytes]);
    }

    #[test]
    fn any_split_gives_the_same_messages(splits in prop::collection::vec(1usize..200, 1..30)) {
        let bytes = encode_records(ContentType::HANDSHAKE, 0x0303, &tls12_flight());
        let mut chunks = Vec::new();
        let mut at = 0;
        for s in splits {
            let end = (at + s).min(bytes.len());
            chunks.push(&bytes[at..end]);
            at = end;
        }
        chunks.push(&bytes[at..]);
        prop_assert_eq!(read_all(&chunks).unwrap().len(), 4);
    }
}
