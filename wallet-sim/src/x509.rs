//! Just enough DER to read the P-256 public key of an X.509 certificate (RFC 5280 §4.1:
//! `Certificate → tbsCertificate → subjectPublicKeyInfo`), for credentials whose issuer key
//! travels in an `x5c` header (SD-JWT VC "Inline X.509", HAIP).
//!
//! The holder only needs the key to check the issuer's signature on receipt; whether the
//! certificate chains to a trusted root is the verifier's decision, and this wallet reports
//! such an issuer as not on the trust list.

use idv_jose::PublicKey;

/// DER of OID 1.2.840.10045.2.1 (`id-ecPublicKey`).
const ID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// DER of OID 1.2.840.10045.3.1.7 (`prime256v1`, P-256).
const PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
const VERSION: u8 = 0xa0;

/// One DER element: its tag, its content and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, rest) = rest.split_at(count);
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    Some((tag, content, rest))
}

fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    match element(input)? {
        (found, content, rest) if found == tag => Some((content, rest)),
        _ => None,
    }
}

/// The P-256 public key of a DER certificate, or why there is none.
pub fn certificate_public_key(der: &[u8]) -> Result<PublicKey, &'static str> {
    let malformed = "not a DER X.509 certificate";
    let (certificate, _) = expect(der, SEQUENCE).ok_or(malformed)?;
    let (mut tbs, _) = expect(certificate, SEQUENCE).ok_or(malformed)?;
    if let Some((VERSION, _, rest)) = element(tbs) {
        tbs = rest;
    }
    let (_serial, tbs) = expect(tbs, INTEGER).ok_or(malformed)?;
    // signature algorithm, issuer, validity, subject
    let mut tbs = tbs;
    for _ in 0..4 {
        tbs = expect(tbs, SEQUENCE).ok_or(malformed)?.1;
    }
    let (spki, _) = expect(tbs, SEQUENCE).ok_or(malformed)?;
    let (algorithm, spki) = expect(spki, SEQUENCE).ok_or(malformed)?;
    let (key_type, parameters) = expect(algorithm, OID).ok_or(malformed)?;
    let (curve, _) = expect(parameters, OID).ok_or("the certificate key is not an EC key")?;
    if key_type != ID_EC_PUBLIC_KEY || curve != PRIME256V1 {
        return Err("the certificate key is not a P-256 key");
    }
    let (bits, _) = expect(spki, BIT_STRING).ok_or(malformed)?;
    match bits.split_first() {
        Some((0, point)) => PublicKey::from_sec1(point)
            .map_err(|_| "the certificate key is not a valid P-256 point"),
        _ => Err(malformed),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    /// A self-signed P-256 certificate made with `openssl req -x509` (CN=issuer.example).
    pub(crate) const CERTIFICATE: &str = "MIIBhzCCAS2gAwIBAgIUEkgpUE2ByVtYBgC3+gLJQUPslLMwCgYIKoZIzj0EAwIwGTEXMBUGA1UEAwwOaXNzdWVyLmV4YW1wbGUwHhcNMjYxMTIxMDY1NjI4WhcNMzYxMTE4MDY1NjI4WjAZMRcwFQYDVQQDDA5pc3N1ZXIuZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBCK41Ci6Tjk3oF1ZdBM4ohmj+Yj4B9KWR54rsrvB3LiW7X03FtTXGh1x0ZscAiwrAdgIv1fi+Cwnx+t+2dh2hejUzBRMB0GA1UdDgQWBBSnV+2IvHGWFYliycN9UryYBrczNzAfBgNVHSMEGDAWgBSnV+2IvHGWFYliycN9UryYBrczNzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIHP0OhoN1/6uvv6b6IF3GLXM3Qwx7pwE7jDLeqi58UkqAiEAwX+rayDuMWWYv0xfk71qRakULKqBUYf6mFVCPKxW5/U=";
    /// Its public point, as `openssl ec -pubout` prints it.
    const POINT: &str =
        "BBCK41Ci6Tjk3oF1ZdBM4ohmj+Yj4B9KWR54rsrvB3LiW7X03FtTXGh1x0ZscAiwrAdgIv1fi+Cwnx+t+2dh2hc=";

    #[test]
    fn the_p256_key_of_an_openssl_certificate_is_read() {
        let der = STANDARD.decode(CERTIFICATE).unwrap();
        let key = certificate_public_key(&der).unwrap();
        assert_eq!(key.sec1(), STANDARD.decode(POINT).unwrap());
    }

    #[test]
    fn truncated_or_altered_certificates_are_errors_not_panics() {
        let der = STANDARD.decode(CERTIFICATE).unwrap();
        for len in [0, 1, 2, 10, 100, der.len() - 1] {
            let _ = certificate_public_key(&der[..len]);
        }
        assert!(certificate_public_key(&der[..100]).is_err());
        let mut other_curve = der.clone();
        let at = other_curve
            .windows(PRIME256V1.len())
            .position(|w| w == PRIME256V1)
            .unwrap();
        other_curve[at + PRIME256V1.len() - 1] = 0x08;
        assert!(certificate_public_key(&other_curve).is_err());
    }
}
