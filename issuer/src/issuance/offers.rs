//! Credential offers (OpenID4VCI 1.0 "Credential Offer Endpoint"), always by reference.
//!
//! An offer is identified by a **handle**: 256 random bits, the last segment of its
//! `credential_offer_uri` (`<public_url>/credential-offer/<handle>`). Whoever holds the handle
//! can fetch the offer, which carries the pre-authorized code, so the handle is a bearer secret:
//! it goes into the QR code and the `openid-credential-offer://` link, is returned once to the
//! operator (as `offer_id`), and the database keeps only its hash. The pre-authorized code is
//! derived from the handle (base64url(SHA-256("pre-authorized_code:" ‖ handle))), so it can be
//! served on every fetch without being stored; the database keeps only its hash too.
//!
//! The `tx_code` (numeric, `offers.tx_code_length` digits) is returned once to the operator,
//! who sends it to the person by another channel; the database keeps its hash, salted with the
//! offer. An offer is served until it expires, is redeemed, or is locked by wrong `tx_code`s.
//!
//! An offer of the age credential is refused (before anything is stored) for an identity
//! proofed below `[age] min_level_of_confidence`
//! ([`super::configurations::Configuration::check_confidence`]). With `[trust]`, an offer of a
//! configuration the provider's register entry does not certify it for now is refused too
//! ([`super::certification`]); the credential endpoint checks again when the wallet redeems.
//!
//! With `[login]` configured the operator may choose, per offer, the authorization code grant
//! instead (`"grant": "authorization_code"`): the offer then carries an `issuer_state` (also
//! derived from the handle, stored hashed) and no pre-authorized code or `tx_code`; the person
//! proves who they are by signing in at the provider's OP ([`super::authorization`]), as the
//! account linked to the offer's identity.

use std::fmt;

use idv_proto::oid4vci::credential_offer::{
    AuthorizationCodeGrant, CREDENTIAL_OFFER_SCHEME, CredentialOffer, Grants, InputMode,
    PreAuthorizedCodeGrant, TxCode,
};
use idv_service_kit::qr;
use serde::{Deserialize, Serialize};

use super::Base;
use super::certification::Certification;
use super::configurations::Configuration;
use super::identities::{Identities, parse_identity};
use super::keys::Keys;
use super::{OperatorError, hash_secret};
use crate::store::StoreError;
use crate::store::offers::{AUTHORIZATION_CODE_GRANT, NewOffer, PRE_AUTHORIZED_GRANT, StoredOffer};

/// Path prefix of `credential_offer_uri`s.
pub const PATH_PREFIX: &str = "/credential-offer/";

/// Bytes of entropy in an offer handle.
const HANDLE_BYTES: usize = 32;
/// Pixels per QR module in PNGs.
const QR_PNG_SCALE: u32 = 8;

/// `POST /v1/identities/{identity_id}/offers` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferRequest {
    /// Configurations to offer: `uk_identity`, `uk_age`, or both.
    pub credential_configuration_ids: Vec<String>,
    /// How the wallet redeems the offer (default: the pre-authorized code).
    #[serde(default)]
    pub grant: OfferGrant,
    /// Whether the token request must carry a `tx_code` (pre-authorized code offers only;
    /// default: yes).
    #[serde(default)]
    pub tx_code: Option<bool>,
}

/// The grant an offer carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfferGrant {
    /// A pre-authorized code (with a `tx_code`, normally).
    #[default]
    #[serde(rename = "pre-authorized_code")]
    PreAuthorizedCode,
    /// The authorization code flow with an `issuer_state`: the person signs in at the
    /// provider's OP (needs `[login]`).
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
}

/// A created offer: everything the operator hands to the person. Shown once.
#[derive(Clone, Serialize)]
pub struct CreatedOffer {
    /// The offer handle: a bearer secret (see the module docs), used in the QR code paths.
    pub offer_id: String,
    /// Where the wallet fetches the offer.
    pub credential_offer_uri: String,
    /// `openid-credential-offer://?credential_offer_uri=…`, for a link or QR code.
    pub offer_link: String,
    /// The transaction code to send by another channel, when one is required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<String>,
    /// The offered configurations.
    pub credential_configuration_ids: Vec<String>,
    /// How the wallet redeems it.
    pub grant: OfferGrant,
    /// When the offer stops being redeemable.
    pub expires_at: i64,
}

impl fmt::Debug for CreatedOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedOffer")
            .field(
                "credential_configuration_ids",
                &self.credential_configuration_ids,
            )
            .field("grant", &self.grant)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The pre-authorized code of the offer with this handle.
fn pre_authorized_code(handle: &str) -> String {
    hash_secret(&format!("pre-authorized_code:{handle}"))
}

/// The `issuer_state` served in an authorization code offer with this handle.
fn issuer_state(offer_handle: &str) -> String {
    hash_secret(&format!("issuer_state:{offer_handle}"))
}

/// The stored form of a `tx_code`, salted with its offer.
pub(crate) fn tx_code_hash(offer_ref: &str, tx_code: &str) -> String {
    hash_secret(&format!("tx_code:{offer_ref}:{tx_code}"))
}

fn tx_code_description(length: u32) -> String {
    format!("Enter the {length}-digit code we sent you separately")
}

/// `openid-credential-offer://?credential_offer_uri=<uri, form-encoded>`.
fn offer_link(credential_offer_uri: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("credential_offer_uri", credential_offer_uri)
        .finish();
    format!("{CREDENTIAL_OFFER_SCHEME}?{query}")
}

impl StoredOffer {
    /// Whether no further `tx_code` attempt is allowed and the code was never redeemed.
    pub(crate) fn is_locked(&self, max_attempts: i64) -> bool {
        self.tx_code_hash.is_some()
            && self.redeemed_at.is_none()
            && self.tx_code_attempts >= max_attempts
    }

    /// Whether a wallet may still redeem it.
    fn is_live(&self, now: i64, max_attempts: i64) -> bool {
        self.redeemed_at.is_none() && now < self.expires_at && !self.is_locked(max_attempts)
    }
}

/// Credential offers: created by the operator for a recorded identity, fetched by the wallet.
#[derive(Debug, Clone)]
pub struct Offers {
    pub(super) base: Base,
    pub(super) identities: Identities,
    pub(super) keys: Keys,
    pub(super) certification: Certification,
}

impl Offers {
    /// Creates an offer of `request.credential_configuration_ids` for a proofed identity.
    pub async fn create_offer(
        &self,
        identity_id: &str,
        request: OfferRequest,
    ) -> Result<CreatedOffer, OperatorError> {
        let ids = request.credential_configuration_ids;
        if ids.is_empty() {
            return Err(OperatorError::InvalidInput(
                "credential_configuration_ids must not be empty".into(),
            ));
        }
        let mut configurations = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let Some(configuration) = Configuration::from_id(id) else {
                return Err(OperatorError::InvalidInput(format!(
                    "credential_configuration_ids[{i}]: unknown configuration `{id}`"
                )));
            };
            configurations.push(configuration);
            if ids[..i].contains(id) {
                return Err(OperatorError::InvalidInput(format!(
                    "credential_configuration_ids[{i}]: `{id}` appears twice"
                )));
            }
        }
        let wants_tx_code = match (request.grant, request.tx_code) {
            (OfferGrant::PreAuthorizedCode, tx_code) => tx_code.unwrap_or(true),
            (OfferGrant::AuthorizationCode, Some(true)) => {
                return Err(OperatorError::InvalidInput(
                    "tx_code applies to pre-authorized code offers only".into(),
                ));
            }
            (OfferGrant::AuthorizationCode, _) if self.base.settings.authorization.is_none() => {
                return Err(OperatorError::InvalidInput(
                    "the authorization_code grant needs the [login] settings".into(),
                ));
            }
            (OfferGrant::AuthorizationCode, _) => false,
        };
        let stored = self.identities.stored(identity_id).await?;
        let person = parse_identity(&stored.record)?;
        for (index, configuration) in configurations.iter().enumerate() {
            configuration
                .check_confidence(&person, &self.base.settings)
                .map_err(|source| OperatorError::InsufficientConfidence { index, source })?;
        }
        if let Some(list) = self.certification.certification_list().await? {
            let key = self.keys.active_key().await?;
            let list = self
                .certification
                .list_for(list, &configurations, key.key.public_key())
                .await?;
            for (index, configuration) in configurations.iter().enumerate() {
                self.certification
                    .check_certified(&list, *configuration, key.key.public_key())
                    .map_err(|source| OperatorError::NotCertified { index, source })?;
            }
        }
        let now = self.base.clock.now();
        let handle = idv_jose::random::token(self.base.random.as_ref(), HANDLE_BYTES);
        let offer_ref = hash_secret(&handle);
        let tx_code = wants_tx_code.then(|| self.new_tx_code());
        let tx_code_hash = tx_code
            .as_deref()
            .map(|code| tx_code_hash(&offer_ref, code));
        let issuer_state_hash = (request.grant == OfferGrant::AuthorizationCode)
            .then(|| hash_secret(&issuer_state(&handle)));
        let expires_at = now + self.base.settings.offer_lifetime_secs;
        self.base
            .store
            .insert_offer(&NewOffer {
                offer_ref: &offer_ref,
                identity_id,
                configuration_ids: &ids,
                code_hash: &hash_secret(&pre_authorized_code(&handle)),
                tx_code_hash: tx_code_hash.as_deref(),
                grant_type: match request.grant {
                    OfferGrant::PreAuthorizedCode => PRE_AUTHORIZED_GRANT,
                    OfferGrant::AuthorizationCode => AUTHORIZATION_CODE_GRANT,
                },
                issuer_state_hash: issuer_state_hash.as_deref(),
                now,
                expires_at,
                redeemed_at: None,
            })
            .await?;
        tracing::info!(
            identity.id = %identity_id,
            offer.configurations = ?ids,
            offer.grant = ?request.grant,
            "credential offer created"
        );
        metrics::counter!("idv_issuer_offers_created_total", "grant" => match request.grant {
            OfferGrant::PreAuthorizedCode => PRE_AUTHORIZED_GRANT,
            OfferGrant::AuthorizationCode => AUTHORIZATION_CODE_GRANT,
        })
        .increment(1);
        let credential_offer_uri = self.base.settings.url(&format!("{PATH_PREFIX}{handle}"));
        Ok(CreatedOffer {
            offer_link: offer_link(&credential_offer_uri),
            offer_id: handle,
            credential_offer_uri,
            tx_code,
            credential_configuration_ids: ids,
            grant: request.grant,
            expires_at,
        })
    }

    fn new_tx_code(&self) -> String {
        (0..self.base.settings.tx_code_length)
            .map(|_| {
                let digit = idv_jose::random::below(self.base.random.as_ref(), 10);
                char::from(b'0' + u8::try_from(digit).unwrap_or(0))
            })
            .collect()
    }

    async fn live_offer(&self, handle: &str) -> Result<Option<StoredOffer>, StoreError> {
        let offer = self.base.store.offer(&hash_secret(handle)).await?;
        let (now, max) = (
            self.base.clock.now(),
            self.base.settings.max_tx_code_attempts,
        );
        Ok(offer.filter(|offer| offer.is_live(now, max)))
    }

    /// The Credential Offer object served at `credential_offer_uri`, while the offer is live.
    pub async fn credential_offer(
        &self,
        handle: &str,
    ) -> Result<Option<CredentialOffer>, StoreError> {
        let Some(offer) = self.live_offer(handle).await? else {
            return Ok(None);
        };
        let grants = if offer.grant_type == AUTHORIZATION_CODE_GRANT {
            Grants {
                authorization_code: Some(AuthorizationCodeGrant {
                    issuer_state: Some(issuer_state(handle)),
                    authorization_server: None,
                }),
                pre_authorized_code: None,
            }
        } else {
            let tx_code = offer.tx_code_hash.as_ref().map(|_| TxCode {
                input_mode: Some(InputMode::Numeric),
                length: Some(self.base.settings.tx_code_length),
                description: Some(tx_code_description(self.base.settings.tx_code_length)),
            });
            Grants {
                authorization_code: None,
                pre_authorized_code: Some(PreAuthorizedCodeGrant {
                    pre_authorized_code: pre_authorized_code(handle),
                    tx_code,
                    authorization_server: None,
                }),
            }
        };
        Ok(Some(CredentialOffer {
            credential_issuer: self.base.settings.public_url.clone(),
            credential_configuration_ids: offer.configuration_ids,
            grants: Some(grants),
        }))
    }

    async fn offer_link_of(&self, handle: &str) -> Result<String, OperatorError> {
        if self.live_offer(handle).await?.is_none() {
            return Err(OperatorError::NotFound {
                what: "live offer",
                id: "<offer_id>".into(),
            });
        }
        Ok(offer_link(
            &self.base.settings.url(&format!("{PATH_PREFIX}{handle}")),
        ))
    }

    /// The offer link as an SVG QR code, while the offer is live.
    pub async fn offer_qr_svg(&self, handle: &str) -> Result<String, OperatorError> {
        let link = self.offer_link_of(handle).await?;
        qr::svg(&link, "Credential offer: scan with your wallet").map_err(OperatorError::Qr)
    }

    /// The offer link as a PNG QR code, while the offer is live.
    pub async fn offer_qr_png(&self, handle: &str) -> Result<Vec<u8>, OperatorError> {
        let link = self.offer_link_of(handle).await?;
        qr::png(&link, QR_PNG_SCALE).map_err(OperatorError::Qr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_links_carry_the_uri_form_encoded() {
        assert_eq!(
            offer_link("https://id.example/credential-offer/abc"),
            "openid-credential-offer://?credential_offer_uri=\
             https%3A%2F%2Fid.example%2Fcredential-offer%2Fabc"
        );
    }

    #[test]
    fn codes_derive_from_the_handle_and_tx_codes_are_salted() {
        assert_eq!(pre_authorized_code("h"), pre_authorized_code("h"));
        assert_ne!(pre_authorized_code("h"), pre_authorized_code("i"));
        assert_ne!(pre_authorized_code("h"), hash_secret("h"));
        assert_ne!(tx_code_hash("a", "123456"), tx_code_hash("b", "123456"));
        assert!(tx_code_description(6).len() <= 300);
    }
}
