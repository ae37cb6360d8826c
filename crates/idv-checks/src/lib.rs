//! Check templates and the sans-I/O verification of an OpenID4VP presentation into a check
//! outcome: the heart of the verifier.
//!
//! Employers ask for a *check*, not raw DCQL. The flow, and where each step lives:
//!
//! 1. The service picks a versioned [`Template`] from [`Templates`] (`right_to_work`,
//!    `age_over_18`, …) and puts its DCQL query in the signed request object; the template's
//!    [`purpose`](Template::purpose) is what the relying party must be registered for.
//! 2. When the wallet answers, phase one, [`verify_presentation`], verifies the VP Token
//!    against the transaction ([`Expected`]: full client identifier, nonce, time) and the
//!    held trust list: SD-JWT VC and Key Binding, issuer trust for the template's scheme,
//!    DCQL, and drops every claim not requested. It needs no I/O and returns a
//!    [`VerifiedPresentation`] naming the status list entries to resolve, or a
//!    [`CheckFailure`].
//! 3. The service fetches and verifies those status lists, then phase two,
//!    [`VerifiedPresentation::conclude`], applies revocation and suspension and the template's
//!    rules (every shown claim validated, right-to-work and right-to-rent eligibility, age
//!    threshold and level of confidence) into a [`CheckOutcome`].
//!    Right to work and right to rent conclude awaiting the relying party's confirmation that
//!    the person is the holder ([`confirmation`]); only that makes them compliant.
//! 4. [`evidence::sign_check_record`] signs the outcome as a `dvs-check-record+jwt` the
//!    employer keeps; [`evidence::verify_check_record`] checks one.
//!
//! Every failure has one stable [`ReasonCode`] naming its [`Step`], including the failures
//! the service detects itself around the exchange ([`CheckOutcome::rejected`]). Outcomes,
//! errors and messages never carry personal data in `Debug` or text; claims appear only in a
//! compliant outcome's `claims` (and, for templates that keep them, in the evidence).
//!
//! Modules: [`templates`], [`verify`], [`outcome`], [`reason`], [`rules`] (the scheme rules),
//! [`confirmation`], [`evidence`].

mod claims;
pub mod confirmation;
mod credential_type;
pub mod evidence;
mod failure;
pub mod outcome;
pub mod reason;
mod retain;
pub mod rules;
pub mod templates;
pub mod verify;

pub use confirmation::{Confirmation, ConfirmationDecision, ConfirmationError, ConfirmationMethod};
pub use failure::CheckFailure;
pub use outcome::{CheckOutcome, Provider, TrustListRef};
pub use reason::{OutcomeState, Reason, ReasonCode, Step};
pub use templates::{Template, TemplateError, TemplateRef, Templates};
pub use verify::{Expected, StatusRequest, VerifiedPresentation, verify_presentation};

#[cfg(test)]
mod tests {
    /// The service holds these across `.await` points and in shared state.
    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::Templates>();
        assert_send_sync::<super::VerifiedPresentation>();
        assert_send_sync::<super::CheckFailure>();
        assert_send_sync::<super::CheckOutcome>();
    }
}
