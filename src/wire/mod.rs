//! Sans-IO TLS codec: bytes ⇄ types. No tokio, no sockets, no clocks.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::arithmetic_side_effects
)]
