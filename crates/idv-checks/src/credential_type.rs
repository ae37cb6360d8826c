//! Phase one's SD-JWT VC "Processing Type Metadata" step: the trust list names the scheme's
//! credential types (`type_metadata`, pinned by digest), which makes their processing an
//! ecosystem rule. A credential of a listed type is validated against the documents the list
//! pins; one the verifier holds no such documents for is refused, never waved through.

use idv_proto::claims_path::{ClaimsPath, PathElement};
use idv_sdjwt::SdJwtError;
use idv_sdjwt::type_metadata::{CredentialTypes, TypeMetadataError};
use idv_sdjwt::vc::VerifiedSdJwtVc;
use idv_trust::list::VerifiedTrustList;

use crate::failure::{Cause, CheckFailure, Known};
use crate::reason::ReasonCode;

/// Validates `credential` against its type's metadata when `trust_list` lists the type:
/// [`ReasonCode::CredentialMalformed`] when it does not conform,
/// [`ReasonCode::TrustListUnavailable`] when `types` lacks the pinned documents.
pub(crate) fn check(
    known: &Known<'_>,
    trust_list: &VerifiedTrustList,
    types: Option<&CredentialTypes>,
    credential: &VerifiedSdJwtVc,
) -> Result<(), CheckFailure> {
    let vct = credential.vct();
    let Some(reference) = trust_list.claims().type_metadata.get(vct) else {
        return Ok(());
    };
    let Some(credential_type) = types.and_then(|types| types.published(vct, reference)) else {
        return Err(known.fail(ReasonCode::TrustListUnavailable, None));
    };
    credential_type.validate(credential).map_err(|error| {
        // A value the schema refuses (wrong type, not a date, outside an enumeration or
        // pattern) is an invalid claim, named; a credential missing members or carrying ones
        // its type does not define is malformed.
        let invalid_value = match &error {
            TypeMetadataError::Schema(violation)
                if !matches!(violation.keyword, "required" | "additionalProperties") =>
            {
                claim_at(&violation.at)
            }
            _ => None,
        };
        let cause = Some(Cause::SdJwt(SdJwtError::TypeMetadata(error)));
        match invalid_value {
            Some(claim) => known.claim_invalid(claim, cause),
            None => known.fail(ReasonCode::CredentialMalformed, cause),
        }
    })
}

/// The claims path of a JSON Pointer into the payload (RFC 6901), `None` for the whole payload.
fn claim_at(pointer: &str) -> Option<ClaimsPath> {
    let elements = pointer
        .strip_prefix('/')?
        .split('/')
        .map(|token| {
            let key = token.replace("~1", "/").replace("~0", "~");
            match key.parse::<u64>() {
                Ok(index) => PathElement::Index(index),
                Err(_) => PathElement::Key(key),
            }
        })
        .collect();
    ClaimsPath::new(elements).ok()
}
