//! Relying parties: registration with purposes, and Verifier Attestations (OpenID4VP 1.0
//! `verifier_attestation:` client identifier prefix) binding a relying party's request-signing
//! key to its registered purposes.

use idv_jose::PublicKey;
use idv_proto::trust::entry::Organisation;
use idv_proto::trust::relying_party::{Purpose, RelyingPartyEntry, RelyingPartyStatus};
use idv_proto::trust::verifier_attestation::{
    Confirmation, VERIFIER_ATTESTATION_CLIENT_ID_PREFIX, VerifierAttestationClaims,
};
use serde::{Deserialize, Serialize};

use super::setup::Anchor;
use super::validate::{invalid, text, unique};
use super::{Handles, InvalidInput, RelyingPartyError};
use crate::store::StoreError;

/// Longest `client_id` accepted.
const MAX_CLIENT_ID: usize = 255;

/// `POST /v1/relying-parties` body and `rp add --file` content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRelyingParty {
    /// The organisation.
    pub organisation: Organisation,
    /// The original client identifier (no `verifier_attestation:` prefix), e.g. a host name.
    pub client_id: String,
    /// Purposes and the claims each may request.
    pub purposes: Vec<Purpose>,
}

/// `POST /v1/relying-parties/{rp_id}/attestations` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationRequest {
    /// The relying party's request-signing public key (P-256 JWK).
    pub jwk: serde_json::Value,
    /// When given, the only redirect/response URIs the relying party may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
}

/// An issued attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedAttestation {
    /// The compact `verifier-attestation+jwt`.
    pub verifier_attestation: String,
    /// Its `exp`.
    pub expires_at: i64,
}

/// Relying parties and their Verifier Attestations, signed by the anchor. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RelyingParties {
    handles: Handles,
    anchor: Anchor,
}

impl RelyingParties {
    pub(super) fn new(handles: Handles, anchor: Anchor) -> Self {
        Self { handles, anchor }
    }

    /// Registers an active relying party.
    pub async fn add(&self, new: NewRelyingParty) -> Result<RelyingPartyEntry, RelyingPartyError> {
        validate(&new)?;
        let rp_id = self
            .handles
            .store
            .insert_relying_party(
                &new.organisation,
                &new.client_id,
                &new.purposes,
                self.handles.clock.now(),
            )
            .await
            .map_err(|e| match e {
                StoreError::ClientIdTaken { client_id } => RelyingPartyError::Conflict(format!(
                    "client_id `{client_id}` is already registered"
                )),
                other => other.into(),
            })?;
        tracing::info!(register.rp_id = %rp_id, "relying party registered");
        self.get(&rp_id).await
    }

    /// Every relying party.
    pub async fn all(&self) -> Result<Vec<RelyingPartyEntry>, RelyingPartyError> {
        Ok(self.handles.store.load_relying_parties().await?)
    }

    /// One relying party.
    pub async fn get(&self, rp_id: &str) -> Result<RelyingPartyEntry, RelyingPartyError> {
        self.handles
            .store
            .load_relying_party(rp_id)
            .await?
            .ok_or_else(|| RelyingPartyError::RelyingPartyNotFound {
                rp_id: rp_id.to_owned(),
            })
    }

    /// Signs a Verifier Attestation for an active relying party's key: `iss` = public URL,
    /// `sub` = its `client_id`, `cnf.jwk`, its purposes, `exp` after the configured lifetime.
    pub async fn attest(
        &self,
        rp_id: &str,
        request: AttestationRequest,
    ) -> Result<IssuedAttestation, RelyingPartyError> {
        let key = PublicKey::from_jwk_value(&request.jwk)
            .map_err(|e| InvalidInput(format!("jwk: {e}")))?;
        if let Some(uris) = &request.redirect_uris {
            if uris.is_empty() {
                return Err(InvalidInput(
                    "redirect_uris: omit it, or list at least one URI".into(),
                )
                .into());
            }
            for (i, uri) in uris.iter().enumerate() {
                absolute_uri(&format!("redirect_uris[{i}]"), uri)?;
            }
        }
        let rp = self.get(rp_id).await?;
        if rp.status != RelyingPartyStatus::Active {
            return Err(RelyingPartyError::Conflict(format!(
                "relying party `{rp_id}` is {}: only active ones are attested",
                rp.status
            )));
        }
        let iat = self.handles.clock.now();
        let exp = iat + self.handles.settings.attestation_lifetime_secs;
        let thumbprint = key.thumbprint();
        let mut jwk = key.to_jwk();
        jwk.kid = Some(thumbprint.clone());
        let claims = VerifierAttestationClaims {
            iss: self.handles.settings.public_url.clone(),
            sub: rp.client_id,
            iat,
            exp,
            cnf: Confirmation {
                jwk: serde_json::to_value(&jwk).map_err(RelyingPartyError::EncodeKey)?,
            },
            redirect_uris: request.redirect_uris,
            rp_id: rp.rp_id,
            organisation: rp.organisation,
            purposes: rp.purposes,
        };
        let jwt = idv_trust::attestation::issue_verifier_attestation(&claims, self.anchor.key())
            .map_err(RelyingPartyError::Signing)?;
        self.handles
            .store
            .record_attestation(rp_id, &thumbprint, iat, exp)
            .await?;
        tracing::info!(register.rp_id = %rp_id, "verifier attestation issued");
        Ok(IssuedAttestation {
            verifier_attestation: jwt,
            expires_at: exp,
        })
    }
}

fn validate(new: &NewRelyingParty) -> Result<(), InvalidInput> {
    text("organisation.name", &new.organisation.name)?;
    let client_id = &new.client_id;
    if client_id.is_empty()
        || client_id.len() > MAX_CLIENT_ID
        || client_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return invalid(format!(
            "client_id: 1 to {MAX_CLIENT_ID} characters without spaces"
        ));
    }
    if client_id.starts_with(VERIFIER_ATTESTATION_CLIENT_ID_PREFIX) {
        return invalid(format!(
            "client_id: give the original identifier, without `{VERIFIER_ATTESTATION_CLIENT_ID_PREFIX}`"
        ));
    }
    if new.purposes.is_empty() {
        return invalid("purposes: at least one purpose is required");
    }
    unique("purposes", new.purposes.iter().map(|p| p.code))?;
    for (i, purpose) in new.purposes.iter().enumerate() {
        if purpose.claims.is_empty() {
            return invalid(format!(
                "purposes[{i}].claims: at least one claims path is required"
            ));
        }
        unique(&format!("purposes[{i}].claims"), purpose.claims.iter())?;
    }
    Ok(())
}

/// An absolute URI (any scheme: apps use custom ones) without a fragment.
fn absolute_uri(field: &str, value: &str) -> Result<(), InvalidInput> {
    match url::Url::parse(value) {
        Ok(url) if url.fragment().is_none() => Ok(()),
        Ok(_) => invalid(format!("{field}: must not have a fragment")),
        Err(e) => invalid(format!("{field}: not an absolute URI ({e})")),
    }
}
