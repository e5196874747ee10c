//! Builds one ClientHello with the wire codec and hex-dumps the records it would send.
//!
//! `cargo run --example hello_dump [TLSv1.0|TLSv1.2|TLSv1.3|SSLv3] [sni]` (default TLSv1.3).
//! Pipe the hex through `xxd -r -p` to get the raw bytes, e.g. for `openssl s_server` tests.

use fipsprobe::protocol::Protocol;
use fipsprobe::wire::ProbeHello;

fn main() {
    let mut args = std::env::args().skip(1);
    let version = match args.next().map(|v| v.parse::<Protocol>()) {
        None => Protocol::Tls13,
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let sni = args.next();
    let hello = ProbeHello {
        version,
        suites: &[
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0x009e, 0x009c, 0x002f, 0x0035,
        ],
        sni: sni.as_deref(),
        groups: &[0x001d, 0x0017, 0x0018, 0x0019, 0x0100],
        key_shares: &[0x001d, 0x0017],
        sig_schemes: &[
            0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201,
        ],
        ems: true,
        renegotiation_scsv: false,
        fallback_scsv: false,
        random: [0x42; 32],
    };
    let records = hello.to_client_hello().encode_records(0x0301);
    eprintln!("{version} ClientHello: {} bytes in records", records.len());
    for line in records.chunks(32) {
        let hex: String = line.iter().map(|b| format!("{b:02x}")).collect();
        println!("{hex}");
    }
}
