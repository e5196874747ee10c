//! In-process loopback TLS servers (rustls + rcgen) for `fipsprobe demo` and the tests.
