//! Certified services: registration, supplementary codes and the status lifecycle.
//!
//! Lifecycle (the DVS register's certification lifecycle; `suspended` models a CAB suspension):
//!
//! ```text
//! certified ──suspend──▶ suspended ──reinstate──▶ certified
//!     │                      │
//!     └──────withdraw────────┴──▶ withdrawn (final)
//! certified | suspended ──certificate expires──▶ expired (final)
//! ```
//! Every change is appended to the entry's history with its time and reason.

use std::collections::BTreeSet;
use std::fmt;

use idv_jose::PublicKey;
use idv_proto::trust::entry::{
    Certificate, IssuerBinding, LevelOfConfidence, Organisation, Role, SchemeCode, Service,
    ServiceEntry, ServiceStatus,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::validate::{MAX_TEXT, http_url, invalid, text, unique};
use super::{Handles, InvalidInput, ProviderError, RegisterSettings};
use crate::store::StoreError;
use crate::store::providers::{NewEntry, Transition};

/// `POST /v1/providers` body and `provider add --file` content: a service to register as
/// certified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewServiceEntry {
    /// The provider.
    pub organisation: Organisation,
    /// The service.
    pub service: Service,
    /// Certified roles (`IDSP`, `ASP`, `HSP`, `OSP`, `COMPONENT`).
    pub roles: Vec<Role>,
    /// Framework version of the certificate; one of `list.framework_versions_valid`.
    pub framework_version: String,
    /// The CAB certificate.
    pub certificate: Certificate,
    /// Highest GPG 45 level of confidence certified.
    pub max_loc: LevelOfConfidence,
    /// Issuer identifiers, keys, credential types and status list locations.
    pub issuer: IssuerBinding,
    /// Supplementary codes certified from the start.
    #[serde(default)]
    pub supplementary_codes: Vec<SchemeCode>,
}

/// A lifecycle action on an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    /// `certified → suspended`.
    Suspend,
    /// `suspended → certified`.
    Reinstate,
    /// `certified | suspended → withdrawn`.
    Withdraw,
}

impl StatusAction {
    /// The status this action leads to from `from`, if allowed.
    pub fn next(self, from: ServiceStatus) -> Option<ServiceStatus> {
        use ServiceStatus::{Certified, Suspended, Withdrawn};
        match (self, from) {
            (Self::Suspend, Certified) => Some(Suspended),
            (Self::Reinstate, Suspended) => Some(Certified),
            (Self::Withdraw, Certified | Suspended) => Some(Withdrawn),
            _ => None,
        }
    }

    /// `suspend`, `reinstate` or `withdraw`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Suspend => "suspend",
            Self::Reinstate => "reinstate",
            Self::Withdraw => "withdraw",
        }
    }
}

impl fmt::Display for StatusAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Certified services: registration, supplementary codes, issuer bindings and the status
/// lifecycle. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Providers {
    handles: Handles,
}

impl Providers {
    pub(super) fn new(handles: Handles) -> Self {
        Self { handles }
    }

    /// Registers a certified service; returns the entry with its new `entry_id`.
    pub async fn add(&self, new: NewServiceEntry) -> Result<ServiceEntry, ProviderError> {
        let now = self.handles.clock.now();
        let new = validate(new, &self.handles.settings, now)?;
        let entry_id = self
            .handles
            .store
            .insert_entry(&NewEntry {
                organisation: &new.organisation,
                service: &new.service,
                roles: &new.roles,
                framework_version: &new.framework_version,
                certificate: &new.certificate,
                max_loc: new.max_loc,
                issuer: &new.issuer,
                codes: &new.supplementary_codes,
                now,
            })
            .await
            .map_err(|e| match e {
                StoreError::IssuerTaken { iss, entry_id } => ProviderError::Conflict(format!(
                    "issuer `{iss}` is already bound to entry `{entry_id}`"
                )),
                other => other.into(),
            })?;
        tracing::info!(register.entry_id = %entry_id, "service entry registered");
        self.load(&entry_id).await
    }

    /// Every entry.
    pub async fn all(&self) -> Result<Vec<ServiceEntry>, ProviderError> {
        self.handles
            .store
            .expire_lapsed_entries(self.handles.clock.now())
            .await?;
        Ok(self.handles.store.load_entries().await?)
    }

    /// One entry.
    pub async fn get(&self, entry_id: &str) -> Result<ServiceEntry, ProviderError> {
        self.handles
            .store
            .expire_lapsed_entries(self.handles.clock.now())
            .await?;
        self.load(entry_id).await
    }

    /// The entry, once lapsed certificates have expired, if it is current (certified or
    /// suspended), with the time it was read at; otherwise a conflict saying `refusal`.
    async fn current(
        &self,
        entry_id: &str,
        refusal: &str,
    ) -> Result<(ServiceEntry, i64), ProviderError> {
        let now = self.handles.clock.now();
        self.handles.store.expire_lapsed_entries(now).await?;
        let entry = self.load(entry_id).await?;
        if !matches!(
            entry.status,
            ServiceStatus::Certified | ServiceStatus::Suspended
        ) {
            return Err(ProviderError::Conflict(format!(
                "entry `{entry_id}` is {}: {refusal}",
                entry.status
            )));
        }
        Ok((entry, now))
    }

    async fn load(&self, entry_id: &str) -> Result<ServiceEntry, ProviderError> {
        self.handles
            .store
            .load_entry(entry_id)
            .await?
            .ok_or_else(|| ProviderError::EntryNotFound {
                entry_id: entry_id.to_owned(),
            })
    }

    /// Certifies an entry for a supplementary code.
    pub async fn certify_code(
        &self,
        entry_id: &str,
        code: SchemeCode,
    ) -> Result<ServiceEntry, ProviderError> {
        let (_, now) = self
            .current(entry_id, "codes can only be added to a current entry")
            .await?;
        if !self.handles.store.insert_code(entry_id, code, now).await? {
            return Err(ProviderError::Conflict(format!(
                "entry `{entry_id}` is already certified for {code}"
            )));
        }
        tracing::info!(register.entry_id = %entry_id, register.code = %code, "supplementary code certified");
        self.load(entry_id).await
    }

    /// Applies a lifecycle action, recording `reason`.
    pub async fn change_status(
        &self,
        entry_id: &str,
        action: StatusAction,
        reason: &str,
    ) -> Result<ServiceEntry, ProviderError> {
        reason_text(reason)?;
        let reason = reason.trim();
        let now = self.handles.clock.now();
        self.handles.store.expire_lapsed_entries(now).await?;
        let entry = self.load(entry_id).await?;
        let illegal = || ProviderError::IllegalTransition {
            entry_id: entry_id.to_owned(),
            action,
            status: entry.status,
        };
        let to = action.next(entry.status).ok_or_else(illegal)?;
        if !self
            .handles
            .store
            .record_status(
                entry_id,
                &Transition {
                    from: entry.status,
                    to,
                    since: now,
                    reason,
                },
            )
            .await?
        {
            return Err(ProviderError::Conflict(format!(
                "entry `{entry_id}` changed concurrently; read it again and retry"
            )));
        }
        tracing::info!(register.entry_id = %entry_id, register.status = %to, "service status changed");
        self.load(entry_id).await
    }

    /// Replaces an entry's issuer binding (new keys after a rotation, another status-list
    /// prefix, more credential types), recording `reason`. The `iss` values cannot change:
    /// credentials already issued name them, so another identity is another entry.
    pub async fn update_issuer(
        &self,
        entry_id: &str,
        mut issuer: IssuerBinding,
        reason: &str,
    ) -> Result<ServiceEntry, ProviderError> {
        reason_text(reason)?;
        validate_issuer(&mut issuer)?;
        let (entry, now) = self
            .current(entry_id, "only a current entry's issuer binding can change")
            .await?;
        let new_iss: BTreeSet<&String> = issuer.iss.iter().collect();
        if new_iss != entry.issuer.iss.iter().collect() {
            return Err(InvalidInput(
                "issuer.iss: cannot change (credentials already issued name it); register a new entry for another issuer identifier".into(),
            )
            .into());
        }
        self.handles
            .store
            .replace_issuer(entry_id, &issuer, now, reason.trim())
            .await?;
        tracing::info!(register.entry_id = %entry_id, "issuer binding updated");
        self.load(entry_id).await
    }
}

/// A required reason: non-blank, bounded.
fn reason_text(reason: &str) -> Result<(), InvalidInput> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_TEXT {
        return invalid(format!("reason: required, at most {MAX_TEXT} characters"));
    }
    Ok(())
}

/// Checks a new entry field by field and normalises its issuer keys (each gets `kid` = its
/// thumbprint when it has none). Errors name the field.
fn validate(
    mut new: NewServiceEntry,
    settings: &RegisterSettings,
    now: i64,
) -> Result<NewServiceEntry, InvalidInput> {
    text("organisation.name", &new.organisation.name)?;
    if let Some(number) = &new.organisation.company_number {
        // Companies House numbers: eight characters, digits or a two-letter prefix.
        if number.len() != 8 || !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return invalid("organisation.company_number: eight letters or digits");
        }
    }
    text("service.service_id", &new.service.service_id)?;
    text("service.name", &new.service.name)?;
    if new.roles.is_empty() {
        return invalid("roles: at least one role is required");
    }
    unique("roles", new.roles.iter())?;
    match settings
        .framework_versions_valid
        .get(&new.framework_version)
    {
        None => {
            return invalid(format!(
                "framework_version: `{}` is not one of {:?}",
                new.framework_version,
                settings.framework_versions_valid.keys().collect::<Vec<_>>()
            ));
        }
        Some(validity) if validity.until.is_some_and(|until| until <= now) => {
            return invalid(format!(
                "framework_version: certificates against `{}` are no longer accepted",
                new.framework_version
            ));
        }
        Some(_) => {}
    }
    text("certificate.id", &new.certificate.id)?;
    text("certificate.cab", &new.certificate.cab)?;
    if new.certificate.issued >= new.certificate.expires {
        return invalid("certificate: issued must be before expires");
    }
    if new.certificate.expires <= now {
        return invalid("certificate: already expired");
    }
    validate_issuer(&mut new.issuer)?;
    unique("supplementary_codes", new.supplementary_codes.iter())?;
    Ok(new)
}

fn validate_issuer(issuer: &mut IssuerBinding) -> Result<(), InvalidInput> {
    if issuer.iss.is_empty() {
        return invalid("issuer.iss: at least one issuer identifier is required");
    }
    for (i, iss) in issuer.iss.iter().enumerate() {
        http_url(&format!("issuer.iss[{i}]"), iss)?;
    }
    unique("issuer.iss", issuer.iss.iter())?;
    if issuer.jwks.keys.is_empty() && issuer.x5c_roots_sha256.is_empty() {
        return invalid("issuer.jwks: at least one key (or an x5c root pin) is required");
    }
    let mut kids = BTreeSet::new();
    for (i, key) in issuer.jwks.keys.iter_mut().enumerate() {
        let public = PublicKey::from_jwk_value(key)
            .map_err(|e| InvalidInput(format!("issuer.jwks.keys[{i}]: {e}")))?;
        if let Value::Object(members) = key {
            let kid = members
                .entry("kid")
                .or_insert_with(|| Value::String(public.thumbprint()));
            if !kids.insert(kid.to_string()) {
                return invalid(format!("issuer.jwks.keys[{i}]: duplicate kid {kid}"));
            }
        }
    }
    for (i, pin) in issuer.x5c_roots_sha256.iter().enumerate() {
        if idv_jose::base64url::decode(pin).is_none_or(|d| d.len() != 32) {
            return invalid(format!(
                "issuer.x5c_roots_sha256[{i}]: not a base64url SHA-256 digest"
            ));
        }
    }
    for (i, prefix) in issuer.status_list_uris_prefix.iter().enumerate() {
        http_url(&format!("issuer.status_list_uris_prefix[{i}]"), prefix)?;
    }
    if issuer.vct.is_empty() {
        return invalid("issuer.vct: at least one credential type is required");
    }
    for (i, vct) in issuer.vct.iter().enumerate() {
        text(&format!("issuer.vct[{i}]"), vct)?;
    }
    unique("issuer.vct", issuer.vct.iter())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ServiceStatus::*;

    #[test]
    fn lifecycle_allows_only_its_transitions() {
        assert_eq!(StatusAction::Suspend.next(Certified), Some(Suspended));
        assert_eq!(StatusAction::Reinstate.next(Suspended), Some(Certified));
        assert_eq!(StatusAction::Withdraw.next(Suspended), Some(Withdrawn));
        assert_eq!(StatusAction::Withdraw.next(Certified), Some(Withdrawn));
        for final_status in [Withdrawn, Expired, Removed] {
            for action in [
                StatusAction::Suspend,
                StatusAction::Reinstate,
                StatusAction::Withdraw,
            ] {
                assert_eq!(
                    action.next(final_status),
                    None,
                    "{action} from {final_status}"
                );
            }
        }
        assert_eq!(StatusAction::Reinstate.next(Certified), None);
        assert_eq!(StatusAction::Suspend.next(Suspended), None);
    }
}
