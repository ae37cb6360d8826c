//! Phase one's SD-JWT VC "Processing Type Metadata" step: the trust list names the scheme's
//! credential types (`type_metadata`, pinned by digest), which makes their processing an
//! ecosystem rule. A credential of a listed type is validated against the documents the list
//! pins; one the verifier holds no such documents for is refused, never waved through.

use idv_sdjwt::SdJwtError;
use idv_sdjwt::type_metadata::CredentialTypes;
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
        known.fail(
            ReasonCode::CredentialMalformed,
            Some(Cause::SdJwt(SdJwtError::TypeMetadata(error))),
        )
    })
}
