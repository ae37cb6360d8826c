//! The credential offer: fetched by reference when needed, and checked before anything is
//! sent anywhere (OpenID4VCI 1.0 "Credential Offer"; offers are untrusted input).

use std::collections::BTreeSet;

use idv_proto::oid4vci::credential_offer::{CredentialOffer, PreAuthorizedCodeGrant};

use crate::error::{Party, WalletError};
use crate::http::{Http, JSON, parse_json};
use crate::links::OfferLink;
use crate::well_known;

/// The offer the link points to.
pub(crate) async fn resolve(link: OfferLink, http: &Http) -> Result<CredentialOffer, WalletError> {
    match link {
        OfferLink::ByValue(offer) => Ok(offer),
        OfferLink::ByReference(uri) => {
            let reply = http
                .get(&uri, JSON, Party::Issuer)
                .await
                .map_err(|error| match error {
                    // The offer's handle is gone: expired, redeemed or withdrawn.
                    WalletError::HttpStatus {
                        host,
                        status: status @ (404 | 410),
                        ..
                    } => WalletError::OfferUnavailable { host, status },
                    WalletError::UrlNotAllowed { reason, .. } => WalletError::InvalidLink {
                        reason: format!("credential_offer_uri cannot be fetched: {reason}"),
                    },
                    other => other,
                })?;
            parse_json(&reply.body, Party::Issuer, "credential offer")
        }
    }
}

/// Checks the offer and returns its pre-authorized code grant, the only grant this wallet
/// uses.
pub(crate) fn check(offer: &CredentialOffer) -> Result<&PreAuthorizedCodeGrant, WalletError> {
    let invalid = |reason: String| WalletError::InvalidResponse {
        party: Party::Issuer,
        what: "credential offer",
        reason,
    };
    well_known::insert(&offer.credential_issuer, well_known::CREDENTIAL_ISSUER)
        .map_err(|e| invalid(format!("credential_issuer: {e}")))?;
    let ids = &offer.credential_configuration_ids;
    if ids.is_empty() {
        return Err(invalid("credential_configuration_ids is empty".into()));
    }
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return Err(invalid(
            "credential_configuration_ids repeats an identifier".into(),
        ));
    }
    let grant = offer
        .grants
        .as_ref()
        .and_then(|grants| grants.pre_authorized_code.as_ref())
        .ok_or_else(|| {
            WalletError::UnsupportedOffer(
                "it has no pre-authorized code grant, and this wallet does not run the \
                 authorization code flow"
                    .into(),
            )
        })?;
    if grant.pre_authorized_code.is_empty() {
        return Err(invalid("the pre-authorized_code is empty".into()));
    }
    Ok(grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(json: serde_json::Value) -> CredentialOffer {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn an_offer_needs_a_usable_issuer_ids_and_a_pre_authorized_grant() {
        let good = offer(serde_json::json!({
            "credential_issuer": "http://127.0.0.1:9/idsp",
            "credential_configuration_ids": ["uk_age"],
            "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "c", "tx_code": {}}}
        }));
        assert_eq!(check(&good).unwrap().pre_authorized_code, "c");

        let mut repeated = good.clone();
        repeated.credential_configuration_ids = vec!["a".into(), "a".into()];
        assert!(matches!(
            check(&repeated),
            Err(WalletError::InvalidResponse { .. })
        ));

        let mut with_query = good.clone();
        with_query.credential_issuer = "https://idsp.example?tenant=1".into();
        assert!(check(&with_query).is_err());

        let mut auth_code_only = good;
        auth_code_only.grants.as_mut().unwrap().pre_authorized_code = None;
        assert!(matches!(
            check(&auth_code_only),
            Err(WalletError::UnsupportedOffer(_))
        ));
    }
}
