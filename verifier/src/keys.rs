//! [`ServiceKeys`]: the verifier's own signing keys. The ID token key of the OpenID Provider
//! bridge, and the evidence signing key and its history: the key that signs check records now,
//! rotation (`verifier keys rotate-evidence`), and every key that ever signed, published with
//! its validity (`GET /.well-known/evidence-keys.json`). Both are created once, on the first
//! start on a database, and published in `GET /.well-known/jwks.json`.
//!
//! The database is the truth. Every signature reads the active key's row (one small indexed
//! read), so a rotation made by the command line, or by another instance, takes effect at the
//! next record; the parsed key is kept while its `kid` stays active. A record's `iat` is never
//! earlier than its key's `not_before`: a key read from the database was active at the moment
//! it was read, and a key read before a rotation committed was still active at its `now`, so
//! the record's `iat` always lies within the validity the key is published with.

use std::sync::{Arc, Mutex, PoisonError};

use idv_checks::evidence::{
    EvidenceError, EvidenceKey, EvidenceKeys, RecordContext, sign_check_record,
};
use idv_checks::{CheckOutcome, Template};
use idv_jose::{Clock, JoseError, Jwk, JwkSet, SigningKey};
use idv_keystore::KeyCustody;
use serde::Serialize;

use crate::store::keys::NewKey;
use crate::store::{Store, StoreError};

/// `service_keys.purpose` of the key that signs check records.
const EVIDENCE_KEY: &str = "evidence";
/// `service_keys.purpose` of the key that signs ID tokens (the OpenID Provider bridge).
const ID_TOKEN_KEY: &str = "id_token";

/// Why an evidence key operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// There is no active evidence key (the service was never opened on this database).
    #[error("there is no active evidence key")]
    NoActiveKey,
    /// A stored key does not parse, or a key could not be generated.
    #[error("evidence key {kid} is unusable")]
    Unusable {
        /// The key (empty for a key being generated).
        kid: String,
        /// Why.
        #[source]
        source: JoseError,
    },
    /// Another rotation replaced the key first.
    #[error("another rotation replaced evidence key {kid} first")]
    RotationRaced {
        /// The key this rotation meant to retire.
        kid: String,
    },
    /// Signing a check record failed.
    #[error(transparent)]
    Signing(#[from] EvidenceError),
}

/// The verifier's signing keys, as this process holds them. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ServiceKeys {
    store: Store,
    clock: Arc<dyn Clock>,
    /// The verifier's `public_url`: the `iss` of its records and key sets.
    issuer: Arc<str>,
    /// The evidence key this process last read.
    evidence: Arc<EvidenceSigner>,
    id_token: Arc<SigningKey>,
}

/// The active evidence key as this process last read it.
pub(crate) struct ActiveKey {
    pub(crate) key: SigningKey,
    pub(crate) kid: String,
    /// When it became the signing key.
    pub(crate) not_before: i64,
}

/// This process's copy of the active evidence key (replaced when another key becomes active).
pub(crate) struct EvidenceSigner {
    current: Mutex<Arc<ActiveKey>>,
}

impl std::fmt::Debug for EvidenceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceSigner").finish_non_exhaustive()
    }
}

impl EvidenceSigner {
    /// Starts with `key`, active since `not_before`.
    pub(crate) fn new(key: SigningKey, not_before: i64) -> Self {
        let kid = key.kid();
        Self {
            current: Mutex::new(Arc::new(ActiveKey {
                key,
                kid,
                not_before,
            })),
        }
    }

    fn get(&self) -> Arc<ActiveKey> {
        Arc::clone(&self.current.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn set(&self, key: Arc<ActiveKey>) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = key;
    }
}

/// A rotation's result: the new signing key and the key it retired, both as published.
#[derive(Debug, Clone, Serialize)]
pub struct Rotation {
    /// The key that signs from now on.
    pub current: EvidenceKey,
    /// The key it replaced, still published, now with its `not_after`.
    pub retired: EvidenceKey,
}

/// `key`'s public JWK as published: `kid` (RFC 7638 thumbprint), `alg` ES256, `use` sig.
pub(crate) fn published_jwk(key: &SigningKey) -> Jwk {
    Jwk {
        kid: Some(key.kid()),
        alg: Some(idv_jose::jws::ES256.into()),
        use_: Some("sig".into()),
        ..key.public_key().to_jwk()
    }
}

/// A JWK as stored (JSON text).
pub(crate) fn jwk_text(jwk: &Jwk) -> Result<String, JoseError> {
    serde_json::to_string(jwk).map_err(|_| JoseError::InvalidKey {
        reason: "cannot serialise the key",
    })
}

/// The stored key `private_jwk` (sealed, or an HSM reference) as a signing key.
pub(crate) fn parse_private(
    keys: &KeyCustody,
    kid: &str,
    private_jwk: &str,
) -> Result<SigningKey, KeyError> {
    let key = keys.signing_key(private_jwk).map_err(StoreError::from)?;
    if key.kid() != kid {
        return Err(KeyError::Unusable {
            kid: kid.to_owned(),
            source: JoseError::InvalidKey {
                reason: "the stored key is not the key its kid names",
            },
        });
    }
    Ok(key)
}

impl ServiceKeys {
    /// Loads the evidence and ID token keys from `store`, creating (once) those missing.
    pub(crate) async fn open(
        store: Store,
        clock: Arc<dyn Clock>,
        issuer: &str,
    ) -> Result<Self, KeyError> {
        let (evidence, since) = load_or_create_key(&store, EVIDENCE_KEY, clock.now()).await?;
        let (id_token, _) = load_or_create_key(&store, ID_TOKEN_KEY, clock.now()).await?;
        Ok(Self {
            store,
            clock,
            issuer: Arc::from(issuer),
            evidence: Arc::new(EvidenceSigner::new(evidence, since)),
            id_token: Arc::new(id_token),
        })
    }

    /// The key ID tokens are signed with.
    pub(crate) fn id_token_key(&self) -> &SigningKey {
        &self.id_token
    }

    /// The verifier's signing keys in use (`kid` = thumbprint): first the key evidence
    /// records are signed with now, then the ID token key of the OpenID Provider bridge.
    /// Retired evidence keys are in [`Self::evidence_keys`], with their validity.
    pub async fn jwks(&self) -> Result<JwkSet, KeyError> {
        let evidence = self.evidence_signing_key().await?;
        Ok(JwkSet {
            keys: vec![published_jwk(&evidence.key), published_jwk(&self.id_token)],
        })
    }

    /// The evidence key to sign with now: the active key in the database.
    pub(crate) async fn evidence_signing_key(&self) -> Result<Arc<ActiveKey>, KeyError> {
        let row = self
            .store
            .active_service_key(EVIDENCE_KEY)
            .await?
            .ok_or(KeyError::NoActiveKey)?;
        let held = self.evidence.get();
        if held.kid == row.kid {
            return Ok(held);
        }
        let key = Arc::new(ActiveKey {
            key: parse_private(self.store.keys(), &row.kid, &row.private_jwk)?,
            kid: row.kid,
            not_before: row.created_at,
        });
        self.evidence.set(Arc::clone(&key));
        Ok(key)
    }

    /// Signs the check record of `outcome` (check `check_id` of `tenant_id`) at `now` with
    /// the active evidence key; its `iat` is `now`, or the key's `not_before` should the key
    /// have become active after `now` was read.
    pub(crate) async fn sign_evidence(
        &self,
        outcome: &CheckOutcome,
        template: &Template,
        check_id: &str,
        tenant_id: &str,
        now: i64,
    ) -> Result<String, KeyError> {
        let signer = self.evidence_signing_key().await?;
        Ok(sign_check_record(
            outcome,
            template,
            &RecordContext {
                issuer: &self.issuer,
                check_id,
                tenant: tenant_id,
                issued_at: now.max(signer.not_before),
            },
            &signer.key,
        )?)
    }

    /// Every evidence key that ever signed this verifier's check records, with its
    /// validity: the current key first, then the retired ones, most recently retired first.
    pub async fn evidence_keys(&self) -> Result<EvidenceKeys, KeyError> {
        let rows = self.store.published_service_keys(EVIDENCE_KEY).await?;
        let keys = rows
            .into_iter()
            .map(|row| {
                let jwk: Jwk =
                    serde_json::from_str(&row.public_jwk).map_err(|_| KeyError::Unusable {
                        kid: row.kid.clone(),
                        source: JoseError::InvalidKey {
                            reason: "stored public key is not a JWK",
                        },
                    })?;
                Ok(EvidenceKey {
                    kid: row.kid,
                    jwk,
                    not_before: row.created_at,
                    not_after: row.retired_at,
                })
            })
            .collect::<Result<Vec<_>, KeyError>>()?;
        Ok(EvidenceKeys {
            issuer: self.issuer.to_string(),
            keys,
        })
    }

    /// Makes a new evidence key current. The previous key is retired now: it signs nothing
    /// more, its private part is erased, and its public key stays published with its
    /// validity, so the records it signed keep verifying.
    pub async fn rotate_evidence_key(&self) -> Result<Rotation, KeyError> {
        let now = self.clock.now();
        let old = self
            .store
            .active_service_key(EVIDENCE_KEY)
            .await?
            .ok_or(KeyError::NoActiveKey)?;
        let old_key = parse_private(self.store.keys(), &old.kid, &old.private_jwk)?;
        let old_public = published_jwk(&old_key);
        let generated = |source| KeyError::Unusable {
            kid: String::new(),
            source,
        };
        let (new_key, private) = self
            .store
            .keys()
            .new_signing_key("verifier-evidence")
            .map_err(StoreError::from)?;
        let new_public = published_jwk(&new_key);
        let new_kid = new_key.kid();
        let public = jwk_text(&new_public).map_err(generated)?;
        let old_public_text = jwk_text(&old_public).map_err(generated)?;
        let rotated = self
            .store
            .rotate_service_key(
                EVIDENCE_KEY,
                &old.kid,
                &old_public_text,
                &NewKey {
                    kid: &new_kid,
                    private_jwk: &private,
                    public_jwk: &public,
                },
                now,
            )
            .await?;
        if !rotated {
            self.store.keys().destroy(&private);
            return Err(KeyError::RotationRaced { kid: old.kid });
        }
        // The retired key's private part is erased from the database; in an HSM, destroyed.
        self.store.keys().destroy(&old.private_jwk);
        tracing::info!(
            key.retired = %old.kid, key.current = %new_kid, "evidence signing key rotated"
        );
        self.evidence.set(Arc::new(ActiveKey {
            key: new_key,
            kid: new_kid.clone(),
            not_before: now,
        }));
        Ok(Rotation {
            current: EvidenceKey {
                kid: new_kid,
                jwk: new_public,
                not_before: now,
                not_after: None,
            },
            retired: EvidenceKey {
                kid: old.kid,
                jwk: old_public,
                not_before: old.created_at,
                not_after: Some(now),
            },
        })
    }
}

/// The active key for `purpose` and when it became active, read once; created and stored if
/// there is none. A key stored before public keys were gets its public JWK recorded.
async fn load_or_create_key(
    store: &Store,
    purpose: &'static str,
    now: i64,
) -> Result<(SigningKey, i64), KeyError> {
    let unusable = |source| KeyError::Unusable {
        kid: String::new(),
        source,
    };
    let active = match store.active_service_key(purpose).await? {
        Some(active) => active,
        None => {
            let (key, private) = store
                .keys()
                .new_signing_key(&format!("verifier-{purpose}"))
                .map_err(StoreError::from)?;
            let public = jwk_text(&published_jwk(&key)).map_err(unusable)?;
            let new = NewKey {
                kid: &key.kid(),
                private_jwk: &private,
                public_jwk: &public,
            };
            if store.insert_service_key_if_none(purpose, &new, now).await? {
                return Ok((key, now));
            }
            // Another instance won the race: use the key it stored.
            store
                .active_service_key(purpose)
                .await?
                .ok_or(KeyError::NoActiveKey)?
        }
    };
    let key = parse_private(store.keys(), &active.kid, &active.private_jwk)?;
    if active.public_jwk.is_none() {
        let public = jwk_text(&published_jwk(&key)).map_err(unusable)?;
        store.fill_public_jwk(&active.kid, &public).await?;
    }
    Ok((key, active.created_at))
}
