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
