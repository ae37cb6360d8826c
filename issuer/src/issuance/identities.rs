//! Proofed identities: the record of a GPG 45 identity check the provider is accountable for,
//! from which credentials are issued. Stored as recorded; never logged.
//!
//! For the authorization code flow the operator links the identity to the person's account at
//! the provider's OpenID Provider: its `login_subject` is that account's `sub` (given when
//! recording the identity, or set later), unique among identities. Signing in as that account
//! is then what lets a wallet receive this identity's credentials.

use idv_profiles::ProofedIdentity;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::Base;
use super::{OperatorError, random_id};
use crate::store::StoreError;
use crate::store::identities::{Linked, StoredIdentity};

/// Longest `login_subject` (OpenID Connect Core §2: `sub` is at most 255 ASCII characters).
const MAX_LOGIN_SUBJECT: usize = 255;

/// `POST /v1/identities` body: a [`ProofedIdentity`] with, optionally, `login_subject`.
#[derive(Clone)]
pub struct NewIdentity {
    /// The proofing record.
    pub identity: ProofedIdentity,
    /// The `sub` of the person's account at the provider's OP.
    pub login_subject: Option<String>,
}

impl<'de> Deserialize<'de> for NewIdentity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Not `#[serde(flatten)]`: it would let unknown fields of the record pass unnoticed.
        let mut fields = Map::deserialize(deserializer)?;
        let login_subject = match fields.remove("login_subject") {
            None | Some(Value::Null) => None,
            Some(Value::String(subject)) => Some(subject),
            Some(_) => return Err(D::Error::custom("login_subject must be a string")),
        };
        let identity = ProofedIdentity::deserialize(Value::Object(fields))
            .map_err(|e| D::Error::custom(e.to_string()))?;
        Ok(Self {
            identity,
            login_subject,
        })
    }
}

impl std::fmt::Debug for NewIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewIdentity")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// `PUT /v1/identities/{identity_id}/login-subject` body: the account to link (`null`
/// unlinks; the member is required).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSubjectUpdate {
    /// The `sub` of the person's account at the provider's OP, or `null`.
    #[serde(deserialize_with = "Option::deserialize")]
    pub login_subject: Option<String>,
}

/// `PUT /v1/identities/{identity_id}/login-subject` answer.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct LinkedIdentity {
    /// The identity.
    pub identity_id: String,
    /// The linked account's `sub`, if any.
    pub login_subject: Option<String>,
}

fn check_login_subject(subject: &str) -> Result<(), OperatorError> {
    if subject.is_empty()
        || subject.len() > MAX_LOGIN_SUBJECT
        || !subject
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control())
    {
        return Err(OperatorError::InvalidInput(format!(
            "login_subject must be 1 to {MAX_LOGIN_SUBJECT} printable ASCII characters"
        )));
    }
    Ok(())
}

/// What is wrong when the record lacks a claim optional in a proofing record that one of the
/// credential configurations every identity can be offered (see [`super::configurations`])
/// cannot do without: `uk_identity` carries the portrait that right to work and right to rent
/// checks compare with the person, so an identity without one would give a credential every
/// such check refuses.
fn missing_claim(identity: &ProofedIdentity) -> Option<String> {
    identity.portrait.is_none().then(|| {
        "portrait is required: the uk_identity credential carries it for right to work and \
         right to rent checks"
            .to_owned()
    })
}

fn subject_taken() -> OperatorError {
    OperatorError::Conflict("login_subject is already linked to another identity".into())
}

/// `POST /v1/identities` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedIdentity {
    /// The new record's id.
    pub identity_id: String,
    /// When it was recorded.
    pub recorded_at: i64,
}

/// `GET /v1/identities/{identity_id}` response.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityRecord {
    /// Its id.
    pub identity_id: String,
    /// When it was recorded.
    pub recorded_at: i64,
    /// The `sub` of the linked account at the provider's OP, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_subject: Option<String>,
    /// The record (personal data; its `Debug` is redacted).
    pub identity: ProofedIdentity,
}

/// Proofed identities the operator records, and the sign-in account linked to each.
#[derive(Debug, Clone)]
pub struct Identities {
    pub(super) base: Base,
}

impl Identities {
    /// Validates and stores a proofed identity.
    pub async fn record_identity(
        &self,
        new: NewIdentity,
    ) -> Result<RecordedIdentity, OperatorError> {
        let NewIdentity {
            identity,
            login_subject,
        } = new;
        if let Some(subject) = &login_subject {
            check_login_subject(subject)?;
        }
        let now = self.base.clock.now();
        identity
            .validate()
            .map_err(|invalid| OperatorError::InvalidInput(invalid.reason.to_owned()))?;
        if identity.gpg45_profile.trim().is_empty() {
            return Err(OperatorError::InvalidInput(
                "gpg45_profile is required".into(),
            ));
        }
        if let Some(claim) = missing_claim(&identity) {
            return Err(OperatorError::InvalidInput(claim));
        }
        if identity.proofed_at > now + self.base.settings.clock_skew_secs {
            return Err(OperatorError::InvalidInput(
                "proofed_at is in the future".into(),
            ));
        }
        let record = serde_json::to_string(&identity).map_err(|_| StoreError::Corrupt {
            what: "identity",
            reason: "cannot be serialised".into(),
        })?;
        let identity_id = random_id(self.base.random.as_ref());
        let inserted = self
            .base
            .store
            .insert_identity(
                &identity_id,
                &record,
                &identity.level_of_confidence,
                identity.proofed_at,
                login_subject.as_deref(),
                now,
            )
            .await?;
        if !inserted {
            return Err(subject_taken());
        }
        tracing::info!(identity.id = %identity_id, "proofed identity recorded");
        Ok(RecordedIdentity {
            identity_id,
            recorded_at: now,
        })
    }

    /// The stored record of `identity_id`; `NotFound` when there is none.
    pub(super) async fn stored(&self, identity_id: &str) -> Result<StoredIdentity, OperatorError> {
        self.base
            .store
            .identity(identity_id)
            .await?
            .ok_or_else(|| OperatorError::NotFound {
                what: "identity",
                id: identity_id.to_owned(),
            })
    }

    /// One proofed identity.
    pub async fn identity(&self, identity_id: &str) -> Result<IdentityRecord, OperatorError> {
        let stored = self.stored(identity_id).await?;
        Ok(IdentityRecord {
            identity: parse_identity(&stored.record)?,
            identity_id: stored.identity_id,
            recorded_at: stored.recorded_at,
            login_subject: stored.login_subject,
        })
    }

    /// Links an identity to an account at the provider's OP, or unlinks it.
    pub async fn set_login_subject(
        &self,
        identity_id: &str,
        update: LoginSubjectUpdate,
    ) -> Result<LinkedIdentity, OperatorError> {
        if let Some(subject) = &update.login_subject {
            check_login_subject(subject)?;
        }
        match self
            .base
            .store
            .set_login_subject(identity_id, update.login_subject.as_deref())
            .await?
        {
            Linked::Linked => {}
            Linked::NotFound => {
                return Err(OperatorError::NotFound {
                    what: "identity",
                    id: identity_id.to_owned(),
                });
            }
            Linked::Taken => return Err(subject_taken()),
        }
        tracing::info!(
            identity.id = %identity_id,
            identity.linked = update.login_subject.is_some(),
            "login subject set"
        );
        Ok(LinkedIdentity {
            identity_id: identity_id.to_owned(),
            login_subject: update.login_subject,
        })
    }
}

/// A stored record back as a [`ProofedIdentity`]. The parser's message is dropped: it may
/// quote personal data, and it would reach the logs.
pub(crate) fn parse_identity(record: &str) -> Result<ProofedIdentity, StoreError> {
    serde_json::from_str(record).map_err(|_| StoreError::Corrupt {
        what: "identity",
        reason: "not a proofed identity record".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Value {
        serde_json::json!({
            "given_name": "Ada", "family_name": "Lovelace", "birthdate": "1990-12-10",
            "nationalities": ["GB"],
            "document": {"type": "passport", "issuing_country": "GB", "date_of_expiry": "2031-01-31"},
            "level_of_confidence": "medium", "gpg45_profile": "M1B", "proofed_at": 1
        })
    }

    #[test]
    fn a_new_identity_may_carry_a_login_subject_and_nothing_unknown() {
        let mut body = record();
        let plain: NewIdentity = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(plain.login_subject, None);
        body["login_subject"] = "citizen-42".into();
        let linked: NewIdentity = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(linked.login_subject.as_deref(), Some("citizen-42"));
        body["nickname"] = "Ada".into();
        assert!(serde_json::from_value::<NewIdentity>(body).is_err());
        let mut wrong = record();
        wrong["login_subject"] = 42.into();
        assert!(serde_json::from_value::<NewIdentity>(wrong).is_err());
    }

    #[test]
    fn a_login_subject_update_must_say_what_it_sets() {
        let unlink: LoginSubjectUpdate =
            serde_json::from_value(serde_json::json!({"login_subject": null})).unwrap();
        assert_eq!(unlink.login_subject, None);
        assert!(serde_json::from_value::<LoginSubjectUpdate>(serde_json::json!({})).is_err());
        assert!(check_login_subject("a b").is_ok());
        assert!(check_login_subject("").is_err());
        assert!(check_login_subject("a\nb").is_err());
        assert!(check_login_subject(&"a".repeat(256)).is_err());
    }
}
