//! Entry points for the cargo-fuzz targets in `fuzz/` (and for anyone who wants to hammer the
//! parsers). Each one must return normally for every input; a panic is a bug found.

use crate::wire::{ClientHello, FlightReader, KxKind, ServerMessage};

/// Feeds `data` to a [`FlightReader`] in chunks whose sizes come from the data itself, pulling
/// messages after each chunk, and parses every ServerKeyExchange both ways.
pub fn server_flight(data: &[u8]) {
    let (sizes, stream) = data.split_at(data.len().min(4));
    let mut reader = FlightReader::new();
    let mut rest = stream;
    let mut round = 0usize;
    while !rest.is_empty() {
        let size = sizes
            .get(round.checked_rem(sizes.len()).unwrap_or(0))
            .map_or(rest.len(), |s| usize::from(*s).max(1));
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        round = round.wrapping_add(1);
        if reader.feed(chunk).is_err() {
            return;
        }
        loop {
            match reader.next_message() {
                Ok(Some(ServerMessage::ServerKeyExchange(ske))) => {
                    let _ = ske.params(KxKind::Ecdhe);
                    let _ = ske.params(KxKind::Dhe);
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

/// Reads `data` as a ClientHello handshake message; whatever is accepted must encode back to
/// the same bytes, read again to the same value, and frame into records without panicking.
pub fn client_hello_roundtrip(data: &[u8]) {
    let Ok(hello) = ClientHello::read_handshake(data) else {
        return;
    };
    let bytes = hello.encode_handshake();
    assert_eq!(
        bytes, data,
        "a ClientHello we accept must re-encode to the same bytes"
    );
    assert_eq!(
        ClientHello::read_handshake(&bytes).ok(),
        Some(hello.clone())
    );
    let padded = hello.padded();
    assert_eq!(
        ClientHello::read_handshake(&padded.encode_handshake()).ok(),
        Some(padded)
    );
    let _ = hello.encode_records(0x0301);
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Real captures (see `tests/wire.rs`) as seeds for mutation.
    const SEEDS: [&[u8]; 5] = [
        include_bytes!("../../tests/data/tls12-ecdhe-flight.bin"),
        include_bytes!("../../tests/data/tls10-dhe-flight.bin"),
        include_bytes!("../../tests/data/tls12-certificate_request-flight.bin"),
        include_bytes!("../../tests/data/tls13-server_hello-p256.bin"),
        include_bytes!("../../tests/data/tls13-hello_retry_request-p384.bin"),
    ];

    const RFC8448_CLIENT_HELLO: &[u8] = include_bytes!("../../tests/data/rfc8448-client_hello.bin");

    proptest! {
        #[test]
        fn server_flight_survives_mutated_captures(
            seed in 0usize..SEEDS.len(),
            chunking: [u8; 4],
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut data = chunking.to_vec();
            data.extend_from_slice(SEEDS[seed]);
            for (at, value) in flips {
                let i = at.index(data.len());
                data[i] = value;
            }
            data.truncate(cut.index(data.len() + 1));
            server_flight(&data);
        }

        #[test]
        fn server_flight_survives_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..4000)) {
            server_flight(&data);
        }

        #[test]
        fn client_hello_roundtrip_survives_mutations(
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        ) {
            let mut data = RFC8448_CLIENT_HELLO.to_vec();
            for (at, value) in flips {
                let i = at.index(data.len());
                data[i] = value;
            }
            client_hello_roundtrip(&data);
        }
    }

    #[test]
    fn client_hello_roundtrip_accepts_the_rfc8448_hello() {
        // The assertions inside run only when the hello is accepted; make sure it is.
        assert!(ClientHello::read_handshake(RFC8448_CLIENT_HELLO).is_ok());
        client_hello_roundtrip(RFC8448_CLIENT_HELLO);
    }
}
