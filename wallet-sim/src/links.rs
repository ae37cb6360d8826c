//! The links a wallet is invoked with: credential offers (OpenID4VCI 1.0 "Credential Offer")
//! and authorization requests (OpenID4VP 1.0 "Authorization Request", "Wallet Invocation").
//!
//! Only the query matters, whatever the scheme (`openid-credential-offer://`, `haip-vci://`,
//! `openid4vp://`, `haip-vp://`, or an `https` link of a wallet): a link is untrusted input, so
//! repeated or conflicting parameters are refused rather than guessed at.

use std::collections::BTreeMap;

use idv_proto::oid4vci::credential_offer::CredentialOffer;
use idv_proto::oid4vp::authorization_request::RequestUriMethod;

use crate::error::WalletError;

/// Longest link accepted (an offer by value fits easily).
const MAX_LINK: usize = 64 * 1024;

/// Where the credential offer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferLink {
    /// `credential_offer`: the offer itself.
    ByValue(CredentialOffer),
    /// `credential_offer_uri`: fetch the offer from here.
    ByReference(String),
}

/// Where the (signed) request object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestSource {
    /// `request_uri` and how to fetch it.
    Reference {
        /// The request URI.
        uri: String,
        /// `get` (the default) or `post`.
        method: RequestUriMethod,
    },
    /// `request`: the request object itself.
    Value(String),
}

/// An OpenID4VP invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationLink {
    /// The full client identifier, prefix included.
    pub client_id: String,
    /// The request object's location.
    pub request: RequestSource,
}

fn query(link: &str) -> Result<(url::Url, BTreeMap<String, String>), WalletError> {
    let invalid = |reason: String| WalletError::InvalidLink { reason };
    if link.len() > MAX_LINK {
        return Err(invalid(format!("longer than {MAX_LINK} characters")));
    }
    let url = url::Url::parse(link.trim()).map_err(|e| invalid(format!("not a URL ({e})")))?;
    let mut params = BTreeMap::new();
    for (name, value) in url.query_pairs() {
        if params.insert(name.to_string(), value.to_string()).is_some() {
            return Err(invalid(format!(
                "parameter `{name}` appears more than once"
            )));
        }
    }
    Ok((url, params))
}

/// Parses a credential offer link: `…?credential_offer=<JSON>` or
/// `…?credential_offer_uri=<URL>`. A plain `http(s)` URL without either parameter is taken as
/// the `credential_offer_uri` itself.
pub fn parse_offer_link(link: &str) -> Result<OfferLink, WalletError> {
    let invalid = |reason: &str| WalletError::InvalidLink {
        reason: reason.to_owned(),
    };
    let (url, params) = query(link)?;
    match (
        params.get("credential_offer"),
        params.get("credential_offer_uri"),
    ) {
        (Some(_), Some(_)) => Err(invalid(
            "it carries both credential_offer and credential_offer_uri; exactly one is allowed",
        )),
        (Some(json), None) => serde_json::from_str(json)
            .map(OfferLink::ByValue)
            .map_err(|e| WalletError::InvalidLink {
                reason: format!("credential_offer is not a credential offer ({e})"),
            }),
        (None, Some(uri)) => Ok(OfferLink::ByReference(uri.clone())),
        (None, None) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(OfferLink::ByReference(url.into()))
        }
        (None, None) => Err(invalid(
            "not a credential offer: expected credential_offer or credential_offer_uri",
        )),
    }
}

/// Parses an OpenID4VP link: `…?client_id=…&request_uri=…[&request_uri_method=post]` or
/// `…?client_id=…&request=<JWT>`. Requests passed as plain parameters are refused: they cannot
/// authenticate the verifier.
pub fn parse_presentation_link(link: &str) -> Result<PresentationLink, WalletError> {
    let invalid = |reason: &str| WalletError::InvalidLink {
        reason: reason.to_owned(),
    };
    let (_, params) = query(link)?;
    let client_id = params
        .get("client_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| invalid("not an OpenID4VP request: client_id is missing"))?
        .clone();
    let method = match params.get("request_uri_method").map(String::as_str) {
        None | Some("get") => RequestUriMethod::Get,
        Some("post") => RequestUriMethod::Post,
        Some(_) => {
            return Err(invalid(
                "request_uri_method must be `get` or `post` (invalid_request_uri_method)",
            ));
        }
    };
    let request = match (params.get("request_uri"), params.get("request")) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "it carries both request and request_uri; exactly one is allowed",
            ));
        }
        (Some(uri), None) => RequestSource::Reference {
            uri: uri.clone(),
            method,
        },
        (None, Some(_)) if params.contains_key("request_uri_method") => {
            return Err(invalid(
                "request_uri_method is only allowed with request_uri",
            ));
        }
        (None, Some(jwt)) => RequestSource::Value(jwt.clone()),
        (None, None) => {
            return Err(invalid(
                "the request is not signed: this wallet needs a request object (request_uri or \
                 request) to authenticate the verifier",
            ));
        }
    };
    Ok(PresentationLink { client_id, request })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_by_reference_and_by_value() {
        let link = "openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcredential-offer%2Fabc";
        assert_eq!(
            parse_offer_link(link).unwrap(),
            OfferLink::ByReference("http://127.0.0.1:9/credential-offer/abc".into())
        );
        let offer = r#"{"credential_issuer":"https://idsp.example","credential_configuration_ids":["uk_age"],"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"c"}}}"#;
        let link = format!(
            "haip-vci://?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("credential_offer", offer)
                .finish()
        );
        let OfferLink::ByValue(parsed) = parse_offer_link(&link).unwrap() else {
            panic!("by value expected");
        };
        assert_eq!(parsed.credential_issuer, "https://idsp.example");
        assert_eq!(
            parse_offer_link("http://127.0.0.1:9/credential-offer/abc").unwrap(),
            OfferLink::ByReference("http://127.0.0.1:9/credential-offer/abc".into())
        );
    }

    #[test]
    fn bad_offer_links_are_refused_with_a_reason() {
        for bad in [
            "not a link",
            "openid-credential-offer://?foo=bar",
            "openid-credential-offer://?credential_offer=%7B%7D",
            "openid-credential-offer://?credential_offer_uri=a&credential_offer_uri=b",
            "openid-credential-offer://?credential_offer_uri=a&credential_offer=%7B%7D",
        ] {
            assert!(
                matches!(parse_offer_link(bad), Err(WalletError::InvalidLink { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn presentation_link_by_reference() {
        let link = "openid4vp://?client_id=verifier_attestation%3Aemployer.example\
                    &request_uri=http%3A%2F%2F127.0.0.1%3A9%2Fwallet%2Frequests%2Fabc\
                    &request_uri_method=post";
        assert_eq!(
            parse_presentation_link(link).unwrap(),
            PresentationLink {
                client_id: "verifier_attestation:employer.example".into(),
                request: RequestSource::Reference {
                    uri: "http://127.0.0.1:9/wallet/requests/abc".into(),
                    method: RequestUriMethod::Post,
                },
            }
        );
    }

    #[test]
    fn unsigned_or_ambiguous_presentation_links_are_refused() {
        for bad in [
            "openid4vp://?request_uri=http%3A%2F%2Fx",
            "openid4vp://?client_id=a&response_type=vp_token&nonce=n",
            "openid4vp://?client_id=a&request_uri=u&request_uri_method=POST",
            "openid4vp://?client_id=a&request_uri=u&request=r",
            "openid4vp://?client_id=a&request=r&request_uri_method=get",
        ] {
            assert!(
                matches!(
                    parse_presentation_link(bad),
                    Err(WalletError::InvalidLink { .. })
                ),
                "{bad}"
            );
        }
    }
}
