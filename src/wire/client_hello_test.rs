//! Tests for `client_hello.rs`: unit cases and property tests.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use proptest::prelude::*;

use super::*;

fn hello(extensions: Vec<ClientExtension>) -> ClientHello {
    ClientHello {
        legacy_version: 0x0303,
        random: [7; 32],
        session_id: vec![],
        cipher_suites: vec![0xc02f, 0x002f],
        compression_methods: vec![0],
        extensions,
    }
}

#[test]
fn encodes_the_rfc_layout() {
    let h = hello(vec![ClientExtension::ExtendedMasterSecret]);
    let bytes = h.encode_handshake();
    let mut want = vec![1, 0, 0, 49, 3, 3];
    want.extend([7; 32]);
    want.extend([0, 0, 4, 0xc0, 0x2f, 0x00, 0x2f, 1, 0, 0, 4, 0, 23, 0, 0]);
    assert_eq!(bytes, want);
    assert_eq!(ClientHello::read_handshake(&bytes).unwrap(), h);
}

#[test]
fn sslv3_hello_has_no_extensions_block() {
    let mut h = hello(vec![]);
    h.legacy_version = 0x0300;
    let bytes = h.encode_handshake();
    assert_eq!(bytes.len(), 4 + 2 + 32 + 1 + 6 + 2);
    assert_eq!(ClientHello::read_handshake(&bytes).unwrap(), h);
}

#[test]
fn pads_hellos_out_of_the_lengths_middleboxes_choke_on() {
    for n in 0..1200u16 {
        let mut h = hello(vec![ClientExtension::ExtendedMasterSecret]);
        h.cipher_suites = (0..n).collect();
        let len = h.padded().encode_handshake().len();
        assert!(!(256..512).contains(&len), "{n} suites gave {len} bytes");
        assert!(
            ![10, 14].contains(&(len % 256)),
            "{n} suites gave {len} bytes"
        );
        let plain = h.encode_handshake().len();
        if !(256..512).contains(&plain) && ![10, 14].contains(&(plain % 256)) {
            assert_eq!(len, plain, "other hellos are not padded");
        }
    }
}

#[test]
fn unknown_and_noncanonical_extensions_round_trip() {
    let raw = [0, 0, 0, 3, 0, 0, 9, 0xfe, 0xfe, 0, 1, 0xab];
    let mut r = Reader::new(&raw);
    let a = ClientExtension::read(&mut r).unwrap();
    assert!(matches!(a, ClientExtension::Unknown { typ: 0, .. }));
    let b = ClientExtension::read(&mut r).unwrap();
    assert_eq!(
        b,
        ClientExtension::Unknown {
            typ: 0xfefe,
            body: vec![0xab]
        }
    );
    let mut out = Vec::new();
    a.encode(&mut out);
    b.encode(&mut out);
    assert_eq!(out, raw);
}

#[test]
fn long_hello_is_split_into_records() {
    let mut h = hello(vec![ClientExtension::Padding(20_000)]);
    h.cipher_suites = vec![0x1301];
    let bytes = h.encode_records(0x0301);
    let hs = h.encode_handshake();
    assert_eq!(&bytes[..5], &[22, 3, 1, 0x40, 0]);
    assert_eq!(&bytes[5 + 16384..5 + 16384 + 3], &[22, 3, 1]);
    assert_eq!(bytes.len(), hs.len() + 10);
}

fn arb_u16s() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(any::<u16>(), 0..20)
}

pub(crate) fn arb_extension() -> impl Strategy<Value = ClientExtension> {
    let known = [0u16, 5, 10, 11, 13, 21, 22, 23, 35, 43, 50, 51, 0xff01];
    prop_oneof![
        "[a-z0-9.-]{0,40}".prop_map(ClientExtension::ServerName),
        Just(ClientExtension::StatusRequest),
        arb_u16s().prop_map(ClientExtension::SupportedGroups),
        prop::collection::vec(any::<u8>(), 0..4).prop_map(ClientExtension::EcPointFormats),
        arb_u16s().prop_map(ClientExtension::SignatureAlgorithms),
        (0usize..600).prop_map(ClientExtension::Padding),
        Just(ClientExtension::EncryptThenMac),
        Just(ClientExtension::ExtendedMasterSecret),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(ClientExtension::SessionTicket),
        prop::collection::vec(any::<u16>(), 0..8).prop_map(ClientExtension::SupportedVersions),
        arb_u16s().prop_map(ClientExtension::SignatureAlgorithmsCert),
        prop::collection::vec(
            (any::<u16>(), prop::collection::vec(any::<u8>(), 0..70)).prop_map(
                |(group, key_exchange)| KeyShareEntry {
                    group,
                    key_exchange
                }
            ),
            0..4
        )
        .prop_map(ClientExtension::KeyShare),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(ClientExtension::RenegotiationInfo),
        (
            any::<u16>().prop_filter("unknown type", move |t| !known.contains(t)),
            prop::collection::vec(any::<u8>(), 0..30)
        )
            .prop_map(|(typ, body)| ClientExtension::Unknown { typ, body }),
    ]
}

pub(crate) fn arb_client_hello() -> impl Strategy<Value = ClientHello> {
    (
        any::<u16>(),
        any::<[u8; 32]>(),
        prop::collection::vec(any::<u8>(), 0..=32),
        prop::collection::vec(any::<u16>(), 0..200),
        prop::collection::vec(any::<u8>(), 0..3),
        prop::collection::vec(arb_extension(), 0..12),
    )
        .prop_map(
            |(
                legacy_version,
                random,
                session_id,
                cipher_suites,
                compression_methods,
                extensions,
            )| {
                ClientHello {
                    legacy_version,
                    random,
                    session_id,
                    cipher_suites,
                    compression_methods,
                    extensions,
                }
            },
        )
}

proptest! {
    #[test]
    fn client_hello_round_trips(h in arb_client_hello()) {
        let bytes = h.encode_handshake();
        prop_assert_eq!(ClientHello::read_handshake(&bytes).unwrap(), h.clone());
        let padded = h.padded();
        prop_assert_eq!(ClientHello::read_handshake(&padded.encode_handshake()).unwrap(), padded);
    }

    #[test]
    fn extension_round_trips(e in arb_extension()) {
        prop_assert_eq!(ClientExtension::from_bytes(&e.to_bytes(), "ext").unwrap(), e);
    }

    #[test]
    fn reading_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(h) = ClientHello::read_handshake(&bytes) {
            prop_assert_eq!(h.encode_handshake(), bytes);
        }
    }
}
