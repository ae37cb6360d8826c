//! Deciding whether a credential's issuer is trusted for a check (docs/trust-list.md step 6).
//!
//! The verifier first resolves the key to verify the SD-JWT VC with from the entry of its
//! (unverified) `iss` ([`find_issuer_key`]): the key comes only from that entry, so a forged
//! `iss` cannot bring its own key or pick another key-discovery method. After the signature
//! checks out, [`evaluate_issuer`] applies every rule of the list to that issuer, and
//! [`check_status_list_uri`] confines the credential's status reference to the issuer's space.

use idv_jose::PublicKey;
use idv_proto::trust::entry::{
    CodeStatus, LevelOfConfidence, Organisation, Role, SchemeCode, ServiceEntry, ServiceStatus,
};

use crate::TrustError;
use crate::list::{EntryKeys, VerifiedTrustList};

/// End of beta (0.3) certificates: 2026-04-01T00:00:00Z. All 0.3 certificates expired on
/// 31 March 2026 (trust framework 1.0 §0.c), whatever a list says.
pub const FRAMEWORK_0_3_END: i64 = 1_775_001_600;

/// What is being decided: this credential, verified with this key, for this check.
#[derive(Debug, Clone, Copy)]
pub struct IssuerQuery<'a> {
    /// The credential's `iss`.
    pub iss: &'a str,
    /// The key the credential's signature verified with.
    pub issuer_key: &'a PublicKey,
    /// The credential's `vct`.
    pub vct: &'a str,
    /// The scheme of the check (decided by the verifier's template, not by the credential).
    pub scheme: SchemeCode,
    /// The least level of confidence the check accepts.
    pub required_loc: LevelOfConfidence,
    /// The verifier's current time (Unix seconds).
    pub now: i64,
    /// When the credential was issued, from its `iat`: the service must have been certified
    /// throughout that window too.
    pub issued: Option<IssuanceWindow>,
}

/// The span of time in which a credential may have been issued.
///
/// Issuers may round `iat` down to keep the copies of a batch unlinkable (RFC 9901 §10.1;
/// SD-JWT VC allows it): an `iat` on a UTC day boundary says only that the credential was
/// issued that day, by now. A provider suspended for part of that day may have issued it
/// while suspended, so certification is required over the whole window, not at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuanceWindow {
    /// The earliest moment of issuance (Unix seconds).
    pub earliest: i64,
    /// The latest moment of issuance (Unix seconds), inclusive.
    pub latest: i64,
}

impl IssuanceWindow {
    /// The window of a credential whose `iat` is `iat`, judged at `now`: the rest of the UTC
    /// day (up to `now`) for an `iat` on a day boundary, otherwise the instant `iat`.
    pub fn from_iat(iat: i64, now: i64) -> Self {
        const DAY: i64 = 24 * 60 * 60;
        let latest = if iat.rem_euclid(DAY) == 0 {
            (iat + DAY - 1).min(now).max(iat)
        } else {
            iat
        };
        Self {
            earliest: iat,
            latest,
        }
    }
}

/// A positive decision, to be recorded with the check result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustDecision {
    /// The register entry that vouched for the issuer.
    pub entry_id: String,
    /// The provider.
    pub organisation: Organisation,
    /// The certified service's name.
    pub service_name: String,
    /// The `list_id` of the list decided on.
    pub list_id: String,
    /// The `sequence` of the list decided on.
    pub sequence: u64,
    /// The service's highest certified level of confidence.
    pub max_loc: LevelOfConfidence,
}

/// The registered keys of the issuer `iss`, to try when the credential names no `kid`.
pub fn issuer_keys<'l>(
    list: &'l VerifiedTrustList,
    iss: &str,
) -> Result<Vec<&'l PublicKey>, TrustError> {
    let (_, keys) = entry(list, iss)?;
    Ok(keys.by_thumbprint.values().collect())
}

/// The key to verify a credential of `iss` with, before verifying it: the entry key named by
/// the credential header's `kid` (thumbprint or declared `kid`), or the entry's only key when
/// there is no `kid`.
pub fn find_issuer_key<'l>(
    list: &'l VerifiedTrustList,
    iss: &str,
    kid: Option<&str>,
) -> Result<&'l PublicKey, TrustError> {
    let (_, keys) = entry(list, iss)?;
    let not_registered = || TrustError::KeyNotRegistered {
        iss: iss.to_owned(),
    };
    match kid {
        Some(kid) => keys.find(kid).ok_or_else(not_registered),
        None => {
            let mut all = keys.by_thumbprint.values();
            match (all.next(), all.next()) {
                (Some(key), None) => Ok(key),
                (None, _) => Err(not_registered()),
                (Some(_), Some(_)) => Err(TrustError::IssuerKeyAmbiguous {
                    iss: iss.to_owned(),
                }),
            }
        }
    }
}

/// Applies every rule of docs/trust-list.md step 6 to the issuer of a verified credential.
pub fn evaluate_issuer(
    list: &VerifiedTrustList,
    query: &IssuerQuery<'_>,
) -> Result<TrustDecision, TrustError> {
    let (entry, keys) = entry(list, query.iss)?;
    if !keys.contains(query.issuer_key) {
        return Err(TrustError::KeyNotRegistered {
            iss: query.iss.to_owned(),
        });
    }
    if entry.status != ServiceStatus::Certified {
        return Err(TrustError::ServiceNotCertified {
            status: entry.status,
        });
    }
    let certificate = &entry.certificate;
    if query.now >= certificate.expires {
        return Err(TrustError::CertificateExpired {
            expires: certificate.expires,
        });
    }
    if query.now < certificate.issued {
        return Err(TrustError::CertificateNotYetValid {
            issued: certificate.issued,
        });
    }
    if let Some(window) = query.issued.map(|window| since_registration(entry, window))
        && !(window.earliest <= window.latest
            && certified_throughout(entry, window)
            && certificate.issued <= window.earliest
            && window.latest < certificate.expires)
    {
        return Err(TrustError::NotCertifiedAtIssuance {
            issued_at: window.earliest,
        });
    }
    if !framework_valid(list, &entry.framework_version, query.now) {
        return Err(TrustError::FrameworkVersionInvalid {
            version: entry.framework_version.clone(),
        });
    }
    if !required_roles(query.scheme)
        .iter()
        .any(|role| entry.roles.contains(role))
    {
        return Err(TrustError::RoleMissing {
            scheme: query.scheme,
        });
    }
    if !entry
        .supplementary_codes
        .iter()
        .any(|code| code.code == query.scheme && code.status == CodeStatus::Certified)
    {
        return Err(TrustError::SchemeNotCertified {
            scheme: query.scheme,
        });
    }
    if entry.max_loc < query.required_loc {
        return Err(TrustError::LevelOfConfidenceTooLow {
            max: entry.max_loc,
            required: query.required_loc,
        });
    }
    if !entry.issuer.vct.iter().any(|vct| vct == query.vct) {
        return Err(TrustError::VctNotListed {
            vct: query.vct.to_owned(),
        });
    }
    Ok(TrustDecision {
        entry_id: entry.entry_id.clone(),
        organisation: entry.organisation.clone(),
        service_name: entry.service.name.clone(),
        list_id: list.list_id().to_owned(),
        sequence: list.sequence(),
        max_loc: entry.max_loc,
    })
}

/// Checks that a credential's status list URI lies under one of its issuer's registered
/// prefixes, so an issuer cannot point verifiers at another party's (or an internal) host.
///
/// The match is on whole path segments (`…/status` does not cover `…/statusx` or
/// `….evil.example`), and the remainder may not contain dot segments or backslashes.
pub fn check_status_list_uri(
    list: &VerifiedTrustList,
    iss: &str,
    uri: &str,
) -> Result<(), TrustError> {
    let (entry, _) = entry(list, iss)?;
    if entry
        .issuer
        .status_list_uris_prefix
        .iter()
        .any(|prefix| under_prefix(prefix, uri))
    {
        Ok(())
    } else {
        Err(TrustError::StatusListUriNotAllowed {
            uri: uri.to_owned(),
        })
    }
}

fn under_prefix(prefix: &str, uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix(prefix) else {
        return false;
    };
    let on_boundary = prefix.ends_with('/')
        || rest.is_empty()
        || rest.starts_with('/')
        || rest.starts_with('?')
        || rest.starts_with('#');
    let lowered = rest.to_ascii_lowercase();
    !prefix.is_empty()
        && on_boundary
        && !rest.contains('\\')
        && !rest
            .split(['/', '?', '#'])
            .any(|segment| segment == ".." || segment == ".")
        && !lowered.contains("%2e")
        && !lowered.contains("%2f")
        && !lowered.contains("%5c")
}

fn entry<'l>(
    list: &'l VerifiedTrustList,
    iss: &str,
) -> Result<(&'l ServiceEntry, &'l EntryKeys), TrustError> {
    list.entry_position(iss)
        .ok_or_else(|| TrustError::UnknownIssuer {
            iss: iss.to_owned(),
        })
}

/// The status in force at `t`: the current one from `status_since` on, before that the latest
/// history change at or before `t`. No record means none.
fn status_at(entry: &ServiceEntry, t: i64) -> Option<ServiceStatus> {
    if t >= entry.status_since {
        Some(entry.status)
    } else {
        entry
            .status_history
            .iter()
            .filter(|change| change.since <= t)
            .max_by_key(|change| change.since)
            .map(|change| change.status)
    }
}

/// `window` from the entry's first status record on. A day-rounded `iat` on the day a service
/// is first registered cannot be told from one issued minutes later; the moments before the
/// service was on the register at all are not counted against it (its key was not registered
/// then either). Suspensions and withdrawals inside the window always count.
fn since_registration(entry: &ServiceEntry, window: IssuanceWindow) -> IssuanceWindow {
    let registered = entry
        .status_history
        .iter()
        .map(|change| change.since)
        .fold(entry.status_since, i64::min);
    if window.latest < registered {
        return window;
    }
    IssuanceWindow {
        earliest: window.earliest.max(registered),
        latest: window.latest,
    }
}

/// Whether the service was certified at every moment of `window`: at its start, and after
/// every status change inside it (a same-day suspension and reinstatement included).
fn certified_throughout(entry: &ServiceEntry, window: IssuanceWindow) -> bool {
    let changes = entry
        .status_history
        .iter()
        .map(|change| change.since)
        .chain([entry.status_since])
        .filter(|since| (window.earliest + 1..=window.latest).contains(since));
    [window.earliest]
        .into_iter()
        .chain(changes)
        .all(|t| status_at(entry, t) == Some(ServiceStatus::Certified))
}

fn framework_valid(list: &VerifiedTrustList, version: &str, now: i64) -> bool {
    if version == "0.3" && now >= FRAMEWORK_0_3_END {
        return false;
    }
    list.claims()
        .framework_versions_valid
        .get(version)
        .is_some_and(|validity| validity.contains(now))
}

/// RTW, RTR and DBS rely on identity proofing (IDSP); an age attribute may come from an IDSP
/// or an attribute service provider.
fn required_roles(scheme: SchemeCode) -> &'static [Role] {
    match scheme {
        SchemeCode::Rtw | SchemeCode::Rtr | SchemeCode::Dbs => &[Role::Idsp],
        SchemeCode::Age => &[Role::Idsp, Role::Asp],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_list_uris_must_stay_under_a_prefix_on_segment_boundaries() {
        let prefix = "https://id.example.co.uk/status/";
        assert!(under_prefix(prefix, "https://id.example.co.uk/status/1"));
        assert!(under_prefix(
            "https://id.example.co.uk/status",
            "https://id.example.co.uk/status/1"
        ));
        for bad in [
            "https://id.example.co.uk/admin",
            "https://id.example.co.uk/status/../admin",
            "https://id.example.co.uk/status/%2e%2e/admin",
            "https://id.example.co.uk/status/..%2Fadmin",
            "https://id.example.co.uk/status/\\..\\admin",
            "http://id.example.co.uk/status/1",
        ] {
            assert!(!under_prefix(prefix, bad), "{bad}");
        }
        assert!(!under_prefix(
            "https://id.example.co.uk",
            "https://id.example.co.uk.evil.example/status/1"
        ));
        assert!(!under_prefix(
            "https://id.example.co.uk/status",
            "https://id.example.co.uk/statusx/1"
        ));
        assert!(!under_prefix("", "https://anything.example/"));
    }
}
