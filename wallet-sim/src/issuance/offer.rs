//! The credential offer: fetched by reference when needed, and checked before anything is
//! sent anywhere (OpenID4VCI 1.0 "Credential Offer"; offers are untrusted input).

use std::collections::BTreeSet;

use idv_proto::oid4vci::credential_offer::{
    AuthorizationCodeGrant, CredentialOffer, PreAuthorizedCodeGrant,
};

use super::GrantChoice;
use crate::error::{Party, WalletError};
use crate::http_client::{Http, JSON, parse_json};
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

/// How the wallet obtains its access token.
#[derive(Debug, Clone)]
pub(crate) enum Flow<'o> {
    /// The offer's pre-authorized code (and `tx_code`).
    PreAuthorized(&'o PreAuthorizedCodeGrant),
    /// The authorization code flow, with the offer's `issuer_state` and authorization server
    /// when it names them (wallet-initiated: neither).
    AuthorizationCode(AuthorizationCodeGrant),
}

impl Flow<'_> {
    /// The authorization server the grant designates, if any.
    pub(crate) fn authorization_server(&self) -> Option<&str> {
        match self {
            Self::PreAuthorized(grant) => grant.authorization_server.as_deref(),
            Self::AuthorizationCode(grant) => grant.authorization_server.as_deref(),
        }
    }
}

/// Checks the offer (issuer identifier, configuration ids) and picks its grant: `choice` when
/// the offer carries both, otherwise the one it carries (the authorization code flow when it
/// names none: the wallet then starts that flow itself).
pub(crate) fn check(offer: &CredentialOffer, choice: GrantChoice) -> Result<Flow<'_>, WalletError> {
    check_request(offer)?;
    let grants = offer.grants.as_ref();
    let pre_authorized = grants.and_then(|grants| grants.pre_authorized_code.as_ref());
    let authorization_code = grants.and_then(|grants| grants.authorization_code.as_ref());
    let flow = match (pre_authorized, authorization_code, choice) {
        (Some(_), None, GrantChoice::AuthorizationCode) => {
            return Err(WalletError::Usage(
                "this offer carries only a pre-authorized code, not the authorization_code \
                 grant: receive it without choosing the grant"
                    .into(),
            ));
        }
        (Some(grant), None, _) | (Some(grant), Some(_), GrantChoice::PreAuthorized) => {
            Flow::PreAuthorized(grant)
        }
        (_, Some(grant), _) => Flow::AuthorizationCode(grant.clone()),
        (None, None, _) => Flow::AuthorizationCode(AuthorizationCodeGrant::default()),
    };
    if let Flow::PreAuthorized(grant) = &flow
        && grant.pre_authorized_code.is_empty()
    {
        return Err(invalid("the pre-authorized_code is empty".into()));
    }
    Ok(flow)
}

/// Checks what is asked of the issuer, offered or wallet-initiated: an identifier the
/// well-known URL can be built from, and a non-empty list of distinct configuration ids.
pub(crate) fn check_request(offer: &CredentialOffer) -> Result<(), WalletError> {
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
    Ok(())
}

fn invalid(reason: String) -> WalletError {
    WalletError::InvalidResponse {
        party: Party::Issuer,
        what: "credential offer",
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(json: serde_json::Value) -> CredentialOffer {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn an_offer_needs_a_usable_issuer_and_distinct_ids() {
        let good = offer(serde_json::json!({
            "credential_issuer": "http://127.0.0.1:9/idsp",
            "credential_configuration_ids": ["uk_age"],
            "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "c", "tx_code": {}}}
        }));
        assert!(matches!(
            check(&good, GrantChoice::PreAuthorized),
            Ok(Flow::PreAuthorized(grant)) if grant.pre_authorized_code == "c"
        ));

        let mut repeated = good.clone();
        repeated.credential_configuration_ids = vec!["a".into(), "a".into()];
        assert!(matches!(
            check(&repeated, GrantChoice::PreAuthorized),
            Err(WalletError::InvalidResponse { .. })
        ));

        let mut with_query = good.clone();
        with_query.credential_issuer = "https://idsp.example?tenant=1".into();
        assert!(check(&with_query, GrantChoice::PreAuthorized).is_err());

        let mut empty_code = good;
        empty_code
            .grants
            .as_mut()
            .unwrap()
            .pre_authorized_code
            .as_mut()
            .unwrap()
            .pre_authorized_code
            .clear();
        assert!(check(&empty_code, GrantChoice::PreAuthorized).is_err());
    }

    #[test]
    fn the_pre_authorized_grant_is_the_default_and_the_choice_decides_when_both_are_offered() {
        let both = offer(serde_json::json!({
            "credential_issuer": "http://127.0.0.1:9/idsp",
            "credential_configuration_ids": ["uk_age"],
            "grants": {
                "authorization_code": {"issuer_state": "s-1"},
                "urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "c"}
            }
        }));
        assert!(matches!(
            check(&both, GrantChoice::PreAuthorized),
            Ok(Flow::PreAuthorized(_))
        ));
        assert!(matches!(
            check(&both, GrantChoice::AuthorizationCode),
            Ok(Flow::AuthorizationCode(grant)) if grant.issuer_state.as_deref() == Some("s-1")
        ));

        let mut code_only = both.clone();
        code_only.grants.as_mut().unwrap().pre_authorized_code = None;
        assert!(matches!(
            check(&code_only, GrantChoice::PreAuthorized),
            Ok(Flow::AuthorizationCode(_))
        ));

        let mut pre_authorized_only = both.clone();
        pre_authorized_only
            .grants
            .as_mut()
            .unwrap()
            .authorization_code = None;
        assert!(matches!(
            check(&pre_authorized_only, GrantChoice::AuthorizationCode),
            Err(WalletError::Usage(_))
        ));

        // Without grants, the wallet starts the authorization code flow itself.
        let mut no_grants = both;
        no_grants.grants = None;
        assert!(matches!(
            check(&no_grants, GrantChoice::PreAuthorized),
            Ok(Flow::AuthorizationCode(grant)) if grant.issuer_state.is_none()
        ));
    }
}
