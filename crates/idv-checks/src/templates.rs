//! Check templates: what an employer or a shop asks for instead of raw DCQL.
//!
//! Each template is versioned and compiles to a validated DCQL query (OpenID4VP 1.0 "Digital
//! Credentials Query Language") plus the scheme rules applied to the verified claims
//! (the Home Office's right to work and right to rent checks through an IDSP; age checks):
//!
//! - `right_to_work` (v2): an identity credential from an IDSP certified for RTW at LoC medium
//!   or above; a British passport, or an Irish passport or passport card, held by a citizen of
//!   the issuing country and unexpired at the time of the check (Home Office, employer's guide
//!   to right to work checks, IDVT). Returns name, birthdate and portrait (the employer's photo
//!   match), the nationalities, the document's type, issuing country and expiry, and the
//!   level of confidence and GPG 45 profile.
//! - `right_to_rent` (v1, England): the same claims and document rule for a landlord or letting
//!   agent, from an IDSP certified for RTR (Home Office, landlord's guide to right to rent
//!   checks).
//! - `age_over_16`, `age_over_18`, `age_over_21`, `age_over_25` (v2): an age credential,
//!   requesting the one threshold claim and the level of confidence the identity behind it
//!   was verified to: never a name or a birthdate.
//!
//! A changed query or rule is a new version; the version goes into every outcome and evidence
//! record.

use std::fmt;

use idv_dcql::DcqlError;
use idv_proto::claims_path::ClaimsPath;
use idv_proto::oid4vp::dcql::DcqlQuery;
use idv_proto::trust::entry::{LevelOfConfidence, SchemeCode};
use idv_proto::trust::relying_party::Purpose;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::retain::RetainPlan;

pub use idv_proto::sd_jwt_vc::vct::{AGE_VCT, IDENTITY_VCT};

/// Template id of the right-to-work check.
pub const RIGHT_TO_WORK: &str = "right_to_work";
/// Template id of the right-to-rent check (England).
pub const RIGHT_TO_RENT: &str = "right_to_rent";

const DAY: i64 = 24 * 60 * 60;

/// Which rules turn verified claims into an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// A British passport, or an Irish passport or passport card, of a citizen of the issuing
    /// country, unexpired; LoC ≥ required (right to work, right to rent).
    IdvtDocument,
    /// The named `age_over_NN` claim is `true`; LoC ≥ required.
    AgeOver {
        /// The claim name, e.g. `age_over_18`.
        claim: &'static str,
    },
}

/// A template's id and version, recorded in every outcome and evidence record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateRef {
    /// e.g. `right_to_work`.
    pub id: String,
    /// Starts at 1; a changed query or rule is a new version.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub version: u32,
}

/// A compiled check template.
#[derive(Clone)]
pub struct Template {
    terms: Terms,
    query: DcqlQuery,
    credential_query_id: String,
    requested: Vec<ClaimsPath>,
    pub(crate) retain: RetainPlan,
    pub(crate) rule: Rule,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("id", &self.terms.id)
            .field("version", &self.terms.version)
            .field("scheme", &self.terms.scheme)
            .finish_non_exhaustive()
    }
}

impl Template {
    /// The template id, e.g. `right_to_work`.
    pub fn id(&self) -> &'static str {
        self.terms.id
    }

    /// The version (from 1).
    pub fn version(&self) -> u32 {
        self.terms.version
    }

    /// Id and version, as recorded in outcomes.
    pub fn reference(&self) -> TemplateRef {
        TemplateRef {
            id: self.terms.id.to_owned(),
            version: self.terms.version,
        }
    }

    /// A short human-readable title.
    pub fn title(&self) -> &'static str {
        self.terms.title
    }

    /// The scheme the issuer must be certified for (trust list supplementary code).
    pub fn scheme(&self) -> SchemeCode {
        self.terms.scheme
    }

    /// The least level of confidence accepted, from the provider's certification and (where
    /// the credential states one) from the credential.
    pub fn required_loc(&self) -> LevelOfConfidence {
        self.terms.required_loc
    }

    /// How long the verifier keeps the personal data of a finished check by default, in
    /// seconds. The employer keeps the evidence record for its own legal period (RTW:
    /// employment + 2 years); the verifier's copy is short-lived. Services may configure it.
    pub fn default_retention_secs(&self) -> i64 {
        self.terms.default_retention_secs
    }

    /// Whether the evidence record carries the disclosed claims (the employer must retain the
    /// IDVT output for right to work; an age check keeps only the answer).
    pub fn evidence_includes_claims(&self) -> bool {
        self.terms.evidence_includes_claims
    }

    /// Whether a verified presentation still needs the relying party's confirmation that the
    /// person is the holder ([`crate::confirmation`]) before it is compliant.
    pub fn confirmation_required(&self) -> bool {
        self.terms.confirmation_required
    }

    /// The DCQL query to put in the request object (validated).
    pub fn dcql_query(&self) -> &DcqlQuery {
        &self.query
    }

    /// The id of the template's single Credential Query (the `vp_token` key).
    pub fn credential_query_id(&self) -> &str {
        &self.credential_query_id
    }

    /// Every claim the template requests and returns, in query order.
    pub fn requested_claims(&self) -> &[ClaimsPath] {
        &self.requested
    }

    /// The trust-list purpose a relying party must be registered for to run this template:
    /// the scheme and the requested claims (for `idv_trust::attestation::check_within_purpose`).
    pub fn purpose(&self) -> Purpose {
        Purpose {
            code: self.terms.scheme,
            claims: self.requested.clone(),
        }
    }
}

/// Why a template could not be found or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// No template has this id.
    #[error("unknown check template {id:?}")]
    Unknown {
        /// The id asked for.
        id: String,
    },
    /// The template exists but not in this version.
    #[error("check template {id:?} has no version {version}")]
    UnknownVersion {
        /// The id asked for.
        id: String,
        /// The version asked for.
        version: u32,
    },
    /// A built-in template does not compile to a valid DCQL query (a defect of this crate).
    #[error("check template {id:?} does not compile: {source}")]
    Invalid {
        /// The template.
        id: &'static str,
        /// What is wrong with its query.
        #[source]
        source: DcqlError,
    },
}

/// The registry of templates a verifier offers.
#[derive(Debug, Clone)]
pub struct Templates {
    templates: Vec<Template>,
}

impl Templates {
    /// The built-in templates: `right_to_work` (v2), `right_to_rent` (v1) and
    /// `age_over_{16,18,21,25}` (v2).
    ///
    /// Earlier versions are withdrawn, not kept: `right_to_work` v1 accepted any passport of
    /// a British or Irish citizen and age v1 relied on the provider's certification alone. A
    /// check created on a withdrawn version cannot finish ([`TemplateError::UnknownVersion`]).
    pub fn builtin() -> Result<Self, TemplateError> {
        let mut templates = vec![
            idvt_document(RIGHT_TO_WORK, 2, SchemeCode::Rtw)?,
            idvt_document(RIGHT_TO_RENT, 1, SchemeCode::Rtr)?,
        ];
        for (claim, title) in [
            ("age_over_16", "Age over 16"),
            ("age_over_18", "Age over 18"),
            ("age_over_21", "Age over 21"),
            ("age_over_25", "Age over 25"),
        ] {
            templates.push(age_over(claim, title)?);
        }
        Ok(Self { templates })
    }

    /// The latest version of the template `id`.
    pub fn get(&self, id: &str) -> Result<&Template, TemplateError> {
        self.templates
            .iter()
            .filter(|t| t.id() == id)
            .max_by_key(|t| t.version())
            .ok_or_else(|| TemplateError::Unknown { id: id.to_owned() })
    }

    /// The template `id` at `version` (a check created before an upgrade finishes on the
    /// version it was created with).
    pub fn get_version(&self, id: &str, version: u32) -> Result<&Template, TemplateError> {
        let mut same_id = self.templates.iter().filter(|t| t.id() == id).peekable();
        if same_id.peek().is_none() {
            return Err(TemplateError::Unknown { id: id.to_owned() });
        }
        same_id
            .find(|t| t.version() == version)
            .ok_or_else(|| TemplateError::UnknownVersion {
                id: id.to_owned(),
                version,
            })
    }

    /// Every template, every version.
    pub fn iter(&self) -> impl Iterator<Item = &Template> {
        self.templates.iter()
    }
}

/// What a template states of itself, as written in its definition.
#[derive(Clone, Copy)]
struct Terms {
    id: &'static str,
    version: u32,
    title: &'static str,
    scheme: SchemeCode,
    required_loc: LevelOfConfidence,
    default_retention_secs: i64,
    evidence_includes_claims: bool,
    confirmation_required: bool,
}

struct Definition {
    terms: Terms,
    query: serde_json::Value,
    rule: Rule,
}

fn compile(definition: Definition) -> Result<Template, TemplateError> {
    let invalid = |source| TemplateError::Invalid {
        id: definition.terms.id,
        source,
    };
    let query: DcqlQuery =
        serde_json::from_value(definition.query).map_err(|e| TemplateError::Invalid {
            id: definition.terms.id,
            source: DcqlError::InvalidQuery {
                reason: e.to_string(),
            },
        })?;
    idv_dcql::validate::validate(&query).map_err(invalid)?;
    let [credential] = query.credentials.as_slice() else {
        return Err(invalid(DcqlError::InvalidQuery {
            reason: "a template has exactly one credential query".into(),
        }));
    };
    if credential.claims.is_none() || query.credential_sets.is_some() {
        // Without `claims` a query reveals no personal claim but also cannot be checked
        // against a registered purpose; templates always name what they return.
        return Err(invalid(DcqlError::InvalidQuery {
            reason: "a template names its claims and uses no credential sets".into(),
        }));
    }
    let credential_query_id = credential.id.clone();
    let requested =
        idv_dcql::check::requested_paths(&query, &credential_query_id).map_err(invalid)?;
    Ok(Template {
        terms: definition.terms,
        retain: RetainPlan::new(&requested),
        query,
        credential_query_id,
        requested,
        rule: definition.rule,
    })
}

/// Right to work or right to rent through IDVT: the same claims and document rule, under the
/// scheme's own supplementary code.
fn idvt_document(
    id: &'static str,
    version: u32,
    scheme: SchemeCode,
) -> Result<Template, TemplateError> {
    let claims: Vec<_> = [
        json!(["given_name"]),
        json!(["family_name"]),
        json!(["birthdate"]),
        json!(["portrait"]),
        json!(["nationalities"]),
        json!(["document", "type"]),
        json!(["document", "issuing_country"]),
        json!(["document", "date_of_expiry"]),
        json!(["verification", "assurance_level"]),
        json!(["verification", "gpg45_profile"]),
    ]
    .into_iter()
    .map(|path| json!({ "path": path }))
    .collect();
    let title = match scheme {
        SchemeCode::Rtr => {
            "Right to rent in England (British or Irish citizen, identity document validation \
             technology)"
        }
        _ => "Right to work (British or Irish citizen, identity document validation technology)",
    };
    compile(Definition {
        terms: Terms {
            id,
            version,
            title,
            scheme,
            required_loc: LevelOfConfidence::Medium,
            default_retention_secs: 30 * DAY,
            evidence_includes_claims: true,
            confirmation_required: true,
        },
        query: json!({ "credentials": [{
            "id": "identity",
            "format": idv_proto::oid4vp::verifier_metadata::DC_SD_JWT_FORMAT,
            "meta": { "vct_values": [IDENTITY_VCT] },
            "require_cryptographic_holder_binding": true,
            "claims": claims,
        }] }),
        rule: Rule::IdvtDocument,
    })
}

/// An age check named after, and requesting only, the credential's `claim` (`age_over_NN`)
/// and the level of confidence it rests on.
fn age_over(claim: &'static str, title: &'static str) -> Result<Template, TemplateError> {
    compile(Definition {
        terms: Terms {
            id: claim,
            version: 2,
            title,
            scheme: SchemeCode::Age,
            // An age attestation for a sale of alcohol or other age-restricted goods must rest
            // on an identity verified to at least GPG 45 medium confidence; the credential
            // states its level, and the provider's certified maximum caps it.
            required_loc: LevelOfConfidence::Medium,
            default_retention_secs: DAY,
            evidence_includes_claims: false,
            confirmation_required: false,
        },
        query: json!({ "credentials": [{
            "id": "age",
            "format": idv_proto::oid4vp::verifier_metadata::DC_SD_JWT_FORMAT,
            "meta": { "vct_values": [AGE_VCT] },
            "require_cryptographic_holder_binding": true,
            "claims": [
                { "path": [claim] },
                { "path": ["verification", "assurance_level"] },
            ],
        }] }),
        rule: Rule::AgeOver { claim },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_compile_and_are_found_by_id_and_version() {
        let templates = Templates::builtin().unwrap();
        let rtw = templates.get("right_to_work").unwrap();
        assert_eq!(
            (rtw.version(), rtw.scheme(), rtw.required_loc()),
            (2, SchemeCode::Rtw, LevelOfConfidence::Medium)
        );
        let rtr = templates.get(RIGHT_TO_RENT).unwrap();
        assert_eq!((rtr.version(), rtr.scheme()), (1, SchemeCode::Rtr));
        assert_eq!(rtr.requested_claims(), rtw.requested_claims());
        assert!(rtw.evidence_includes_claims());
        assert_eq!(rtw.credential_query_id(), "identity");
        assert_eq!(
            templates.get_version("right_to_work", 2).unwrap().id(),
            "right_to_work"
        );
        for id in ["age_over_16", "age_over_18", "age_over_21", "age_over_25"] {
            let age = templates.get(id).unwrap();
            assert_eq!(age.scheme(), SchemeCode::Age);
            assert_eq!(
                age.requested_claims(),
                [
                    ClaimsPath::from_keys([id]).unwrap(),
                    ClaimsPath::from_keys(["verification", "assurance_level"]).unwrap()
                ]
            );
            assert!(!age.evidence_includes_claims());
        }
        assert_eq!(templates.iter().count(), 6);
    }

    #[test]
    fn unknown_ids_and_versions_are_typed_errors() {
        let templates = Templates::builtin().unwrap();
        assert_eq!(
            templates.get("right_to_vote").unwrap_err(),
            TemplateError::Unknown {
                id: "right_to_vote".into()
            }
        );
        // Version 1 accepted a French passport of a British and French citizen: withdrawn.
        assert_eq!(
            templates.get_version("right_to_work", 1).unwrap_err(),
            TemplateError::UnknownVersion {
                id: "right_to_work".into(),
                version: 1
            }
        );
        assert!(matches!(
            templates.get_version("nope", 1),
            Err(TemplateError::Unknown { .. })
        ));
    }

    #[test]
    fn age_queries_never_ask_for_a_name_or_birthdate() {
        let templates = Templates::builtin().unwrap();
        for age in templates.iter().filter(|t| t.scheme() == SchemeCode::Age) {
            let text = serde_json::to_string(age.dcql_query()).unwrap();
            for personal in ["name", "birthdate", "portrait", "nationalit", "document"] {
                assert!(!text.contains(personal), "{}: {text}", age.id());
            }
        }
    }

    #[test]
    fn the_purpose_lists_every_requested_claim_under_the_scheme() {
        let templates = Templates::builtin().unwrap();
        let rtw = templates.get(RIGHT_TO_WORK).unwrap();
        let purpose = rtw.purpose();
        assert_eq!(purpose.code, SchemeCode::Rtw);
        assert_eq!(purpose.claims.len(), 10);
        assert!(
            purpose
                .claims
                .contains(&ClaimsPath::from_keys(["document", "issuing_country"]).unwrap())
        );
        assert!(
            purpose
                .claims
                .contains(&ClaimsPath::from_keys(["portrait"]).unwrap())
        );
    }
}
