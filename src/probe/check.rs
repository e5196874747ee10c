//! A server's first answer checked against the hello it answers: a ServerHello or
//! HelloRetryRequest may only choose what the hello offered (RFC 8446 §4.1.3-4.1.4, §4.2;
//! RFC 5246 §7.4.1.3-4.1.4). A version above the offer, a suite, compression method, group or
//! extension that was not offered is a protocol violation: never a fact, and the sweep or
//! probe that got it has a gap. Pure.

use crate::model::Violation;
use crate::protocol::Protocol;
use crate::wire::{ClientExtension, ClientHello, ExtensionType, ServerMessage};

/// `cookie` (RFC 8446 §4.2.2): a server may send it in a HelloRetryRequest unasked.
const COOKIE: u16 = 44;

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV: offering it counts as offering renegotiation_info
/// (RFC 5746 §3.6).
const RENEGOTIATION_SCSV: u16 = 0x00FF;

/// Whether `answer` (the first message the server sent) chooses only what `hello` offered.
/// Messages other than a ServerHello or HelloRetryRequest are not judged here.
pub fn check_answer(hello: &ClientHello, answer: &ServerMessage) -> Result<(), Violation> {
    match answer {
        ServerMessage::ServerHello(sh) => {
            let version = sh.version();
            let offered = max_version(hello);
            if version > offered {
                let offered = Protocol::from_wire(offered).unwrap_or(Protocol::Tls12);
                return Err(Violation::UnofferedVersion {
                    offered,
                    got: version,
                });
            }
            if !hello.cipher_suites.contains(&sh.cipher_suite) {
                return Err(Violation::UnofferedSuite(sh.cipher_suite));
            }
            if !hello.compression_methods.contains(&sh.compression) {
                return Err(Violation::Missing(
                    "a compression method the hello offered (the server chose another)",
                ));
            }
            for ext in &sh.extensions {
                if !offered_extension(hello, ext.typ, false) {
                    return Err(Violation::UnofferedExtension(ext.typ));
                }
            }
            if version >= Protocol::Tls13.wire() {
                if let Some(g) = sh.key_share_group() {
                    if !offered_group(hello, g) {
                        return Err(Violation::UnofferedGroup(g));
                    }
                }
            }
            Ok(())
        }
        ServerMessage::HelloRetryRequest(hrr) => {
            if !hello.cipher_suites.contains(&hrr.cipher_suite) {
                return Err(Violation::UnofferedSuite(hrr.cipher_suite));
            }
            for ext in &hrr.extensions {
                if !offered_extension(hello, ext.typ, true) {
                    return Err(Violation::UnofferedExtension(ext.typ));
                }
            }
            if let Some(g) = hrr.selected_group {
                if !offered_group(hello, g) {
                    return Err(Violation::UnofferedGroup(g));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The highest version `hello` offers: supported_versions if present, else legacy_version.
fn max_version(hello: &ClientHello) -> u16 {
    hello
        .extensions
        .iter()
        .find_map(|e| match e {
            ClientExtension::SupportedVersions(v) => v.iter().copied().max(),
            _ => None,
        })
        .unwrap_or(hello.legacy_version)
}

fn offered_extension(hello: &ClientHello, typ: u16, retry: bool) -> bool {
    if retry && typ == COOKIE {
        return true;
    }
    if typ == ExtensionType::RENEGOTIATION_INFO.0
        && hello.cipher_suites.contains(&RENEGOTIATION_SCSV)
    {
        return true;
    }
    hello.extensions.iter().any(|e| e.typ() == typ)
}

fn offered_group(hello: &ClientHello, group: u16) -> bool {
    hello.extensions.iter().any(|e| match e {
        ClientExtension::SupportedGroups(list) => list.contains(&group),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{HelloRetryRequest, RawExtension, ServerHello};

    fn hello() -> ClientHello {
        ClientHello {
            legacy_version: 0x0303,
            random: [0; 32],
            session_id: Vec::new(),
            cipher_suites: vec![0xC02F, 0x1301],
            compression_methods: vec![0],
            extensions: vec![
                ClientExtension::SupportedGroups(vec![0x0017]),
                ClientExtension::ExtendedMasterSecret,
                ClientExtension::RenegotiationInfo(Vec::new()),
            ],
        }
    }

    fn sh(suite: u16, exts: &[u16]) -> ServerMessage {
        ServerMessage::ServerHello(ServerHello {
            legacy_version: 0x0303,
            random: [1; 32],
            session_id: Vec::new(),
            cipher_suite: suite,
            compression: 0,
            extensions: exts
                .iter()
                .map(|&typ| RawExtension {
                    typ,
                    body: Vec::new(),
                })
                .collect(),
        })
    }

    #[test]
    fn only_what_was_offered_may_be_chosen() {
        let h = hello();
        assert_eq!(check_answer(&h, &sh(0xC02F, &[23, 0xff01])), Ok(()));
        assert_eq!(
            check_answer(&h, &sh(0xC030, &[])),
            Err(Violation::UnofferedSuite(0xC030))
        );
        // A session ticket the hello never asked for.
        assert_eq!(
            check_answer(&h, &sh(0xC02F, &[35])),
            Err(Violation::UnofferedExtension(35))
        );
        // Higher than offered.
        let mut old = hello();
        old.legacy_version = 0x0301;
        assert!(matches!(
            check_answer(&old, &sh(0xC02F, &[])),
            Err(Violation::UnofferedVersion { got: 0x0303, .. })
        ));
    }

    #[test]
    fn a_retry_may_carry_a_cookie_but_only_offered_groups() {
        let h = hello();
        let hrr = |group| {
            ServerMessage::HelloRetryRequest(HelloRetryRequest {
                legacy_version: 0x0303,
                session_id: Vec::new(),
                cipher_suite: 0x1301,
                selected_group: Some(group),
                version: 0x0304,
                extensions: vec![RawExtension {
                    typ: COOKIE,
                    body: vec![0, 1, 2],
                }],
            })
        };
        assert_eq!(check_answer(&h, &hrr(0x0017)), Ok(()));
        assert_eq!(
            check_answer(&h, &hrr(0x0016)),
            Err(Violation::UnofferedGroup(0x0016))
        );
    }

    #[test]
    fn the_scsv_offers_renegotiation_info() {
        let mut h = hello();
        h.extensions.clear();
        h.cipher_suites.push(RENEGOTIATION_SCSV);
        assert_eq!(check_answer(&h, &sh(0xC02F, &[0xff01])), Ok(()));
    }
}
