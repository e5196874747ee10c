//! The Alert message (RFC 8446 §6): level and description, both kept as sent.

use crate::wire::{DecodeError, Reader, Wire};

/// Alert level (1 = warning, 2 = fatal). Unknown values are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AlertLevel(pub u8);

impl AlertLevel {
    /// warning.
    pub const WARNING: AlertLevel = AlertLevel(1);
    /// fatal.
    pub const FATAL: AlertLevel = AlertLevel(2);
}

/// Alert description. Unknown values are kept; [`AlertDescription::name`] names the known ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AlertDescription(pub u8);

impl AlertDescription {
    /// close_notify.
    pub const CLOSE_NOTIFY: AlertDescription = AlertDescription(0);
    /// unexpected_message.
    pub const UNEXPECTED_MESSAGE: AlertDescription = AlertDescription(10);
    /// bad_record_mac.
    pub const BAD_RECORD_MAC: AlertDescription = AlertDescription(20);
    /// record_overflow.
    pub const RECORD_OVERFLOW: AlertDescription = AlertDescription(22);
    /// handshake_failure: the usual "no common suite" answer.
    pub const HANDSHAKE_FAILURE: AlertDescription = AlertDescription(40);
    /// no_certificate (SSLv3 only).
    pub const NO_CERTIFICATE: AlertDescription = AlertDescription(41);
    /// bad_certificate.
    pub const BAD_CERTIFICATE: AlertDescription = AlertDescription(42);
    /// unsupported_certificate.
    pub const UNSUPPORTED_CERTIFICATE: AlertDescription = AlertDescription(43);
    /// certificate_unknown.
    pub const CERTIFICATE_UNKNOWN: AlertDescription = AlertDescription(46);
    /// illegal_parameter.
    pub const ILLEGAL_PARAMETER: AlertDescription = AlertDescription(47);
    /// unknown_ca.
    pub const UNKNOWN_CA: AlertDescription = AlertDescription(48);
    /// access_denied.
    pub const ACCESS_DENIED: AlertDescription = AlertDescription(49);
    /// decode_error.
    pub const DECODE_ERROR: AlertDescription = AlertDescription(50);
    /// decrypt_error.
    pub const DECRYPT_ERROR: AlertDescription = AlertDescription(51);
    /// protocol_version: the version offered is refused.
    pub const PROTOCOL_VERSION: AlertDescription = AlertDescription(70);
    /// insufficient_security: the server wants stronger suites than offered.
    pub const INSUFFICIENT_SECURITY: AlertDescription = AlertDescription(71);
    /// internal_error.
    pub const INTERNAL_ERROR: AlertDescription = AlertDescription(80);
    /// inappropriate_fallback (RFC 7507).
    pub const INAPPROPRIATE_FALLBACK: AlertDescription = AlertDescription(86);
    /// user_canceled.
    pub const USER_CANCELED: AlertDescription = AlertDescription(90);
    /// no_renegotiation.
    pub const NO_RENEGOTIATION: AlertDescription = AlertDescription(100);
    /// missing_extension.
    pub const MISSING_EXTENSION: AlertDescription = AlertDescription(109);
    /// unsupported_extension.
    pub const UNSUPPORTED_EXTENSION: AlertDescription = AlertDescription(110);
    /// unrecognized_name: SNI not known to the server.
    pub const UNRECOGNIZED_NAME: AlertDescription = AlertDescription(112);
    /// certificate_required.
    pub const CERTIFICATE_REQUIRED: AlertDescription = AlertDescription(116);
    /// no_application_protocol.
    pub const NO_APPLICATION_PROTOCOL: AlertDescription = AlertDescription(120);

    /// The RFC name (`handshake_failure`), or `"unknown"` for values we do not know (the
    /// [`Display`](std::fmt::Display) form shows their number: `alert_250`).
    pub fn name(self) -> &'static str {
        self.known_name().unwrap_or("unknown")
    }

    /// The RFC name, or `None` for values we do not know.
    pub fn known_name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            41 => "no_certificate",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            60 => "export_restriction",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            111 => "certificate_unobtainable",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            114 => "bad_certificate_hash_value",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            _ => return None,
        })
    }
}

impl std::fmt::Display for AlertDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.known_name() {
            Some(name) => f.write_str(name),
            None => write!(f, "alert_{}", self.0),
        }
    }
}

/// One alert as the peer sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// 1 = warning, 2 = fatal (see [`AlertLevel`]); kept as sent.
    pub level: u8,
    /// What went wrong.
    pub description: AlertDescription,
}

impl Alert {
    /// Whether the level is fatal.
    pub fn is_fatal(&self) -> bool {
        self.level == AlertLevel::FATAL.0
    }
}

impl Wire<'_> for Alert {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.level, self.description.0]);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let level = r.u8("alert level")?;
        let description = AlertDescription(r.u8("alert description")?);
        Ok(Alert { level, description })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_fatal_handshake_failure() {
        let alert = Alert::from_bytes(&[2, 40], "alert").unwrap();
        assert!(alert.is_fatal());
        assert_eq!(alert.description, AlertDescription::HANDSHAKE_FAILURE);
        assert_eq!(alert.description.to_string(), "handshake_failure");
    }

    #[test]
    fn keeps_unknown_description() {
        let alert = Alert::from_bytes(&[1, 250], "alert").unwrap();
        assert_eq!(alert.description.known_name(), None);
        assert_eq!(alert.description.name(), "unknown");
        assert_eq!(alert.description.to_string(), "alert_250");
        assert_eq!(alert.to_bytes(), vec![1, 250]);
    }

    #[test]
    fn one_byte_alert_is_truncated() {
        assert!(matches!(
            Alert::from_bytes(&[2], "alert"),
            Err(DecodeError::Truncated { .. })
        ));
    }
}
