//! Rollback protection: docs/trust-list.md step 3.

use idv_proto::trust::entry::ServiceStatus;
use idv_trust::TrustError;
use idv_trust::evaluate::evaluate_issuer;
use idv_trust::rollback::check_rollback;

use crate::helpers::{Fixture, NOW, entry};

#[test]
fn first_list_is_accepted_without_previous_state() {
    let fixture = Fixture::new();
    let list = fixture.verified(&fixture.claims());
    assert_eq!(check_rollback(None, &list).unwrap(), list.state());
}

#[test]
fn replay_of_an_older_list_still_listing_a_withdrawn_issuer_is_rejected() {
    let fixture = Fixture::new();
    let old = fixture.verified(&fixture.claims());
    assert!(evaluate_issuer(&old, &fixture.rtw_query()).is_ok());

    let mut claims = fixture.claims();
    claims.sequence = 43;
    entry(&mut claims).status = ServiceStatus::Withdrawn;
    entry(&mut claims).status_since = NOW - 30;
    let new = fixture.verified(&claims);
    let held = check_rollback(None, &new).unwrap();

    assert_eq!(
        check_rollback(Some(&held), &old),
        Err(TrustError::Rollback {
            held_sequence: 43,
            offered_sequence: 42,
            held_iat: new.iat(),
            offered_iat: old.iat(),
        })
    );
}

#[test]
fn same_sequence_with_different_content_is_rejected() {
    let fixture = Fixture::new();
    let first = fixture.verified(&fixture.claims());
    let held = check_rollback(None, &first).unwrap();
    let mut claims = fixture.claims();
    entry(&mut claims).status = ServiceStatus::Suspended;
    let altered = fixture.verified(&claims);
    assert_eq!(
        check_rollback(Some(&held), &altered),
        Err(TrustError::SequenceReused { sequence: 42 })
    );
}

#[test]
fn refetching_the_same_list_is_accepted() {
    let fixture = Fixture::new();
    let compact = fixture.sign(&fixture.claims());
    let policy = idv_trust::list::ListPolicy::default();
    let list =
        idv_trust::list::verify_trust_list(&compact, &fixture.anchors, NOW, &policy).unwrap();
    let held = check_rollback(None, &list).unwrap();
    let again =
        idv_trust::list::verify_trust_list(&compact, &fixture.anchors, NOW + 10, &policy).unwrap();
    assert_eq!(check_rollback(Some(&held), &again), Ok(held));
}

#[test]
fn higher_sequence_issued_before_the_held_list_is_rejected() {
    let fixture = Fixture::new();
    let held = check_rollback(None, &fixture.verified(&fixture.claims())).unwrap();
    let mut claims = fixture.claims();
    claims.sequence = 43;
    claims.iat -= 1;
    assert!(matches!(
        check_rollback(Some(&held), &fixture.verified(&claims)),
        Err(TrustError::Rollback {
            offered_sequence: 43,
            ..
        })
    ));
}

#[test]
fn a_different_list_id_is_rejected() {
    let fixture = Fixture::new();
    let held = check_rollback(None, &fixture.verified(&fixture.claims())).unwrap();
    let mut claims = fixture.claims();
    claims.list_id = "uk-dvs-register-test".into();
    claims.sequence = 1000;
    assert_eq!(
        check_rollback(Some(&held), &fixture.verified(&claims)),
        Err(TrustError::ListIdMismatch {
            held: "uk-dvs-register".into(),
            offered: "uk-dvs-register-test".into()
        })
    );
}

#[test]
fn state_survives_a_json_round_trip() {
    let fixture = Fixture::new();
    let state = fixture.verified(&fixture.claims()).state();
    let json = serde_json::to_string(&state).unwrap();
    assert_eq!(
        serde_json::from_str::<idv_trust::rollback::TrustListState>(&json).unwrap(),
        state
    );
}
