//! The credential endpoint (OpenID4VCI 1.0 "Credential Endpoint"): one SD-JWT VC per proven
//! holder key.
//!
//! [`CredentialRequests::authorize_credential_request`] checks the bearer access token first (RFC 6750:
//! `invalid_token`), then [`CredentialRequests::issue_credentials`] checks the request, in this order:
//!
//! 1. no `credential_response_encryption` (not offered: `invalid_encryption_parameters`);
//! 2. exactly the identifier the token calls for: `credential_configuration_id` normally,
//!    `credential_identifier` when the token response returned `credential_identifiers`
//!    (`invalid_credential_request`, `unknown_credential_identifier`); a configuration that
//!    does not exist is `unknown_credential_configuration`, one the token does not cover is
//!    RFC 6750 `insufficient_scope` ("Authorization Errors");
//! 3. `proofs.jwt` present (`invalid_proof`), at most `batch_size`, distinct keys
//!    (`invalid_credential_request`), each proof valid ([`super::proof`]: `invalid_proof`);
//! 4. every proof's `nonce` a live, unused `c_nonce`, consumed all at once (`invalid_nonce`);
//! 5. the proofed identity's level of confidence enough for the configuration (an age
//!    credential needs `[age] min_level_of_confidence`; `credential_request_denied`): the
//!    offer may predate a raised minimum;
//! 6. with `[trust]`, the provider's own register entry on the trust list certified for the
//!    configuration's scheme now, with the active signing key ([`super::certification`];
//!    `credential_request_denied`, also when no usable trust list is held);
//! 7. this configuration not yet issued under this offer (`credential_request_denied`).
//!
//! Each credential is signed at a random status list index first; then one database
//! transaction (see [`crate::store::credentials`]) stores a metadata row per credential, signing
//! again any whose index another request took meanwhile, and commits only when all are stored. The response lists the credentials in proof order; nothing of them is
//! kept but metadata.

use std::collections::BTreeSet;

use idv_jose::PublicKey;
use idv_profiles::{Envelope, ProofedIdentity};
use idv_proto::oid4vci::credential_request::{CredentialRequest, Proofs};
use idv_proto::oid4vci::credential_response::{CredentialResponse, IssuedCredential};
use idv_service_kit::Secret;
use idv_status_list::allocate::random_free_index;
use serde_json::json;

use super::Base;
use super::certification::Certification;
use super::configurations::Configuration;
use super::identities::parse_identity;
use super::keys::ActiveKey;
use super::keys::Keys;
use super::proof::{ProofPolicy, VerifiedProof, verify_proofs};
use super::status_lists::StatusLists;
use super::{IssuanceError, hash_secret, random_id};
use crate::store::credentials::{IssuanceTx, NewCredential};
use crate::store::offers::StoredAccessToken;

/// Draws of a random index before giving up on a list (each failure means the index was
/// taken; with the list at most half full, 64 failures in a row have probability 2^-64).
const INDEX_DRAWS: usize = 64;
/// Attempts at reserving room in the active list (another request may take it first).
const RESERVE_ATTEMPTS: usize = 3;

/// A verified access token: what a Credential Request may ask for.
#[derive(Debug, Clone)]
pub struct CredentialGrant {
    token: StoredAccessToken,
}

/// The credential endpoint: access tokens checked, key proofs verified, credentials signed,
/// allocated on a status list and recorded.
#[derive(Debug, Clone)]
pub struct CredentialRequests {
    pub(super) base: Base,
    pub(super) keys: Keys,
    pub(super) certification: Certification,
    pub(super) status_lists: StatusLists,
}

impl CredentialRequests {
    /// Checks the bearer access token of a Credential Request.
    pub async fn authorize_credential_request(
        &self,
        access_token: &Secret,
    ) -> Result<CredentialGrant, IssuanceError> {
        let token = self
            .base
            .store
            .access_token(&hash_secret(access_token.expose()))
            .await?
            .ok_or(IssuanceError::InvalidToken {
                reason: "unknown access token",
            })?;
        if self.base.clock.now() >= token.expires_at {
            return Err(IssuanceError::InvalidToken {
                reason: "the access token expired",
            });
        }
        Ok(CredentialGrant { token })
    }

    /// Issues one credential per proof of `request`, under `grant`.
    pub async fn issue_credentials(
        &self,
        grant: &CredentialGrant,
        request: CredentialRequest,
    ) -> Result<CredentialResponse, IssuanceError> {
        if request.credential_response_encryption.is_some() {
            return Err(IssuanceError::InvalidEncryptionParameters {
                reason: "this issuer does not encrypt credential responses \
                         (its metadata has no credential_response_encryption)"
                    .into(),
            });
        }
        let configuration = resolve_configuration(&grant.token, &request)?;
        let proofs = match request.proofs {
            None => {
                return Err(IssuanceError::InvalidProofs {
                    reason: "the proofs parameter is missing".into(),
                });
            }
            Some(Proofs::Jwt(jwts)) => jwts,
            Some(other) => {
                return Err(IssuanceError::InvalidProofs {
                    reason: format!(
                        "proof type `{}` is not supported; use jwt",
                        other.proof_type()
                    ),
                });
            }
        };
        let now = self.base.clock.now();
        let verified = verify_proofs(
            &proofs,
            &ProofPolicy {
                credential_issuer: &self.base.settings.public_url,
                now,
                max_age: self.base.settings.proof_max_age_secs,
                skew: self.base.settings.clock_skew_secs,
                batch_size: usize::try_from(self.base.settings.batch_size).unwrap_or(usize::MAX),
            },
        )?;
        let nonces: BTreeSet<String> = verified.iter().map(|p| hash_secret(&p.nonce)).collect();
        let nonces: Vec<String> = nonces.into_iter().collect();
        if !self.base.store.consume_nonces(&nonces, now).await? {
            return Err(IssuanceError::InvalidNonce);
        }
        let stored = self
            .base
            .store
            .identity(&grant.token.identity_id)
            .await?
            .ok_or_else(|| IssuanceError::Denied {
                reason: "the proofing record behind this offer no longer exists".into(),
            })?;
        let person = parse_identity(&stored.record)?;
        configuration.check_confidence(&person, &self.base.settings)?;
        let key = self.keys.active_key().await?;
        if let Some(list) = self.certification.certification_list().await? {
            let list = self
                .certification
                .list_for(list, &[configuration], key.key.public_key())
                .await?;
            self.certification
                .check_certified(&list, configuration, key.key.public_key())?;
        }

        let credentials = self
            .issue_batch(grant, configuration, &person, &key, &verified, now)
            .await?;
        tracing::info!(
            identity.id = %grant.token.identity_id,
            credential.configuration = configuration.id(),
            credential.count = credentials.len(),
            "credentials issued"
        );
        metrics::counter!(
            "idv_issuer_credentials_issued_total",
            "configuration" => configuration.id().to_owned()
        )
        .increment(u64::try_from(credentials.len()).unwrap_or(u64::MAX));
        Ok(CredentialResponse {
            credentials: Some(
                credentials
                    .into_iter()
                    .map(|credential| IssuedCredential { credential })
                    .collect(),
            ),
            transaction_id: None,
            interval: None,
            notification_id: None,
        })
    }

    /// Signs one credential per proof and stores their metadata in one transaction. The
    /// credentials are signed before the transaction, which holds the database's write lock,
    /// each at a random index of the list that is free as far as this batch knows; an index
    /// another request took meanwhile is drawn and signed again inside it.
    async fn issue_batch(
        &self,
        grant: &CredentialGrant,
        configuration: Configuration,
        person: &ProofedIdentity,
        key: &ActiveKey,
        proofs: &[VerifiedProof],
        now: i64,
    ) -> Result<Vec<String>, IssuanceError> {
        let count = i64::try_from(proofs.len()).unwrap_or(i64::MAX);
        for _ in 0..RESERVE_ATTEMPTS {
            let list = self
                .status_lists
                .status_list_with_room(count)
                .await?
                .ok_or(IssuanceError::StatusAllocation)?;
            let batch = Batch {
                grant,
                configuration,
                person,
                key,
                list_id: &list.list_id,
                list_size: u64::try_from(list.size).unwrap_or(0),
                now,
            };
            let mut taken = BTreeSet::new();
            let mut signed = Vec::with_capacity(proofs.len());
            for proof in proofs {
                let credential = self.sign_one(&batch, &proof.holder_key, &taken)?;
                taken.insert(credential.idx);
                signed.push(credential);
            }

            let mut tx = self
                .base
                .store
                .begin_issuance(&grant.token.offer_ref, configuration.id(), now)
                .await?
                .ok_or_else(|| IssuanceError::Denied {
                    reason: format!(
                        "credentials of configuration {} were already issued for this offer; \
                         ask the issuer for a new offer",
                        configuration.id()
                    ),
                })?;
            if !tx.reserve_status_entries(&list.list_id, count).await? {
                continue;
            }
            let mut issued = Vec::with_capacity(signed.len());
            for (proof, mut credential) in proofs.iter().zip(signed) {
                let mut draws = 1;
                while !self.insert(&mut tx, &batch, &credential).await? {
                    if draws == INDEX_DRAWS {
                        return Err(IssuanceError::StatusAllocation);
                    }
                    draws += 1;
                    credential = self.sign_one(&batch, &proof.holder_key, &taken)?;
                    taken.insert(credential.idx);
                }
                issued.push(credential.jwt);
            }
            tx.commit().await?;
            return Ok(issued);
        }
        Err(IssuanceError::StatusAllocation)
    }

    /// Signs the credential of `holder` at a random index of the batch's list not in `taken`.
    fn sign_one(
        &self,
        batch: &Batch<'_>,
        holder: &PublicKey,
        taken: &BTreeSet<u64>,
    ) -> Result<SignedCredential, IssuanceError> {
        let idx = random_free_index(
            batch.list_size,
            |i| taken.contains(&i),
            self.base.random.as_ref(),
        )
        .ok_or(IssuanceError::StatusAllocation)?;
        let envelope = Envelope {
            issuer: &self.base.settings.public_url,
            now: batch.now,
            validity: batch.configuration.validity(&self.base.settings),
            not_after: batch.configuration.not_after(batch.person, batch.now),
            holder,
            status: json!({"status_list": {"idx": idx, "uri": self.status_lists.status_list_uri(batch.list_id)}}),
        };
        let jwt = batch.configuration.issue(
            batch.person,
            &envelope,
            &batch.key.key,
            self.base.random.as_ref(),
        )?;
        Ok(SignedCredential {
            credential_id: random_id(self.base.random.as_ref()),
            holder_thumbprint: holder.thumbprint(),
            expires_at: envelope.exp(),
            idx,
            jwt,
        })
    }

    /// Stores the metadata of `credential`; `false` when its index was taken meanwhile.
    async fn insert(
        &self,
        tx: &mut IssuanceTx,
        batch: &Batch<'_>,
        credential: &SignedCredential,
    ) -> Result<bool, IssuanceError> {
        let row = NewCredential {
            credential_id: &credential.credential_id,
            identity_id: &batch.grant.token.identity_id,
            offer_ref: &batch.grant.token.offer_ref,
            configuration_id: batch.configuration.id(),
            vct: batch.configuration.vct(),
            list_id: batch.list_id,
            signing_kid: &batch.key.kid,
            holder_thumbprint: &credential.holder_thumbprint,
            issued_at: batch.now,
            expires_at: credential.expires_at,
        };
        let idx = i64::try_from(credential.idx).map_err(|_| IssuanceError::StatusAllocation)?;
        Ok(tx.insert_credential(&row, idx).await?)
    }
}

/// What every credential of one batch shares.
struct Batch<'a> {
    grant: &'a CredentialGrant,
    configuration: Configuration,
    person: &'a ProofedIdentity,
    key: &'a ActiveKey,
    list_id: &'a str,
    list_size: u64,
    now: i64,
}

/// A credential signed at a status list index, before its metadata is stored.
struct SignedCredential {
    credential_id: String,
    holder_thumbprint: String,
    expires_at: i64,
    idx: u64,
    jwt: String,
}

/// The configuration a request asks for, checked against what the token allows.
fn resolve_configuration(
    token: &StoredAccessToken,
    request: &CredentialRequest,
) -> Result<Configuration, IssuanceError> {
    let invalid = |reason: &str| IssuanceError::InvalidRequest {
        reason: reason.to_owned(),
    };
    let id = match (
        &request.credential_configuration_id,
        &request.credential_identifier,
        token.uses_identifiers,
    ) {
        (Some(_), Some(_), _) => {
            return Err(invalid(
                "send credential_configuration_id or credential_identifier, not both",
            ));
        }
        (None, None, false) => return Err(invalid("credential_configuration_id is missing")),
        (None, None, true) => return Err(invalid("credential_identifier is missing")),
        (Some(_), None, true) => {
            return Err(invalid(
                "the token response returned credential_identifiers: send credential_identifier \
                 instead of credential_configuration_id",
            ));
        }
        (None, Some(_), false) => {
            return Err(IssuanceError::UnknownIdentifier {
                reason: "no credential_identifiers were issued with this access token: send \
                         credential_configuration_id"
                    .into(),
            });
        }
        (None, Some(identifier), true) => {
            if !token.authorized.contains(identifier) {
                return Err(IssuanceError::UnknownIdentifier {
                    reason: format!("unknown credential_identifier `{identifier}`"),
                });
            }
            identifier
        }
        (Some(id), None, false) => id,
    };
    let configuration =
        Configuration::from_id(id).ok_or_else(|| IssuanceError::UnknownConfiguration {
            configuration_id: id.clone(),
        })?;
    if !token.authorized.iter().any(|a| a == id) {
        return Err(IssuanceError::InsufficientScope {
            configuration_id: id.clone(),
        });
    }
    Ok(configuration)
}
