//! Well-known URLs of identifiers that may have a path (RFC 8615 as used by RFC 8414,
//! OpenID4VCI 1.0 "Credential Issuer Metadata" and SD-JWT VC "JWT VC Issuer Metadata"): the
//! well-known segment goes between the host and the path, never after the path.
//!
//! `https://issuer.example/tenant/1` → `https://issuer.example/.well-known/openid-credential-issuer/tenant/1`.

/// `/.well-known/openid-credential-issuer`.
pub const CREDENTIAL_ISSUER: &str =
    idv_proto::oid4vci::issuer_metadata::CREDENTIAL_ISSUER_WELL_KNOWN;
/// `/.well-known/oauth-authorization-server`.
pub const AUTHORIZATION_SERVER: &str =
    idv_proto::oid4vci::authorization_server_metadata::AUTHORIZATION_SERVER_WELL_KNOWN;
/// `/.well-known/jwt-vc-issuer`.
pub const JWT_VC_ISSUER: &str = "/.well-known/jwt-vc-issuer";
/// `/.well-known/openid-configuration` (OpenID Connect Discovery), the fallback for
/// authorization servers without RFC 8414 metadata.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";

/// The URL of `well_known` for `identifier`, an `http(s)` URL without query or fragment.
pub fn insert(identifier: &str, well_known: &str) -> Result<String, String> {
    let url =
        url::Url::parse(identifier).map_err(|e| format!("`{identifier}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(format!("`{identifier}` is not an https URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{identifier}` must not have a query or fragment"));
    }
    // A trailing slash of the path is dropped (RFC 8414 §3.1).
    let path = url.path().trim_end_matches('/');
    Ok(format!(
        "{}{well_known}{path}",
        url.origin().ascii_serialization()
    ))
}

/// The OpenID Connect Discovery URL of `issuer`: appended after the path (OpenID Connect
/// Discovery 1.0 §4), unlike RFC 8414.
pub fn append(issuer: &str, well_known: &str) -> String {
    format!("{}{well_known}", issuer.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_segment_goes_between_host_and_path() {
        assert_eq!(
            insert("https://issuer.example", CREDENTIAL_ISSUER).unwrap(),
            "https://issuer.example/.well-known/openid-credential-issuer"
        );
        assert_eq!(
            insert("https://issuer.example/", CREDENTIAL_ISSUER).unwrap(),
            "https://issuer.example/.well-known/openid-credential-issuer"
        );
        assert_eq!(
            insert("https://issuer.example/tenant/1", CREDENTIAL_ISSUER).unwrap(),
            "https://issuer.example/.well-known/openid-credential-issuer/tenant/1"
        );
        assert_eq!(
            insert("http://127.0.0.1:8200/idsp/", AUTHORIZATION_SERVER).unwrap(),
            "http://127.0.0.1:8200/.well-known/oauth-authorization-server/idsp"
        );
        assert_eq!(
            append("https://as.example/realms/x", OPENID_CONFIGURATION),
            "https://as.example/realms/x/.well-known/openid-configuration"
        );
    }

    #[test]
    fn identifiers_with_query_fragment_or_other_schemes_are_refused() {
        for bad in [
            "https://issuer.example?x=1",
            "https://issuer.example#f",
            "ftp://issuer.example",
            "issuer.example",
        ] {
            assert!(insert(bad, CREDENTIAL_ISSUER).is_err(), "{bad}");
        }
    }
}
