//! Credentials as the IDSP issues them with the scheme's profiles, as the holder received them.

use idv_jose::SigningKey;
use idv_profiles::{Envelope, ProofedIdentity, issue_age, issue_identity};
use idv_proto::claims_path::ClaimsPath;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::vc;
use serde_json::json;

use super::{DAY, Fixture, IDX, ISS, NOW, STATUS_URI, person};

impl Fixture {
    fn envelope(&self, validity: i64) -> Envelope<'_> {
        Envelope {
            not_after: None,
            issuer: ISS,
            now: NOW,
            validity,
            holder: self.holder.public_key(),
            status: json!({ "status_list": { "idx": IDX, "uri": STATUS_URI } }),
        }
    }

    /// An identity credential for `person`, issued by `signer`, as the holder received it.
    pub(crate) fn identity_from(&self, person: &ProofedIdentity, signer: &SigningKey) -> HeldSdJwt {
        let issued = issue_identity(person, &self.envelope(365 * DAY), signer, &self.rng).unwrap();
        received(&issued, signer)
    }

    pub(crate) fn identity(&self, person: &ProofedIdentity) -> HeldSdJwt {
        self.identity_from(person, &self.issuer)
    }

    /// An identity credential of [`person`] signed by the registered issuer after `edit`
    /// changed its claims: values our issuer would refuse, which another certified issuer
    /// could still sign. Every personal claim is selectively disclosable.
    pub(crate) fn identity_with_claims(
        &self,
        edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
    ) -> HeldSdJwt {
        let person = person();
        let mut claims = self.registered_claims(idv_checks::templates::IDENTITY_VCT, 365 * DAY);
        claims.extend(
            json!({
            "given_name": person.given_name,
            "family_name": person.family_name,
            "birthdate": person.birthdate,
            "portrait": person.portrait,
            "nationalities": person.nationalities,
            "document": person.document,
            "verification": {
                "assurance_level": person.level_of_confidence,
                "gpg45_profile": person.gpg45_profile,
            },
            })
            .as_object()
            .unwrap()
            .clone(),
        );
        edit(&mut claims);
        let conceal: Vec<ClaimsPath> = ["given_name", "family_name", "birthdate", "portrait"]
            .into_iter()
            .map(|key| ClaimsPath::from_keys([key]).unwrap())
            .collect();
        self.signed(claims, &conceal)
    }

    /// The registered claims of a credential of type `vct` issued today for `validity`.
    fn registered_claims(
        &self,
        vct: &str,
        validity: i64,
    ) -> serde_json::Map<String, serde_json::Value> {
        json!({
            "iss": ISS,
            "vct": vct,
            "iat": NOW - NOW.rem_euclid(DAY),
            "exp": NOW + validity,
            "cnf": vc::cnf(self.holder.public_key()),
            "status": { "status_list": { "idx": IDX, "uri": STATUS_URI } },
        })
        .as_object()
        .unwrap()
        .clone()
    }

    /// `claims` signed by the registered issuer with `conceal` selectively disclosable, as
    /// the holder received it.
    fn signed(
        &self,
        claims: serde_json::Map<String, serde_json::Value>,
        conceal: &[ClaimsPath],
    ) -> HeldSdJwt {
        let issued = vc::issue(&self.issuer, &self.rng, claims, conceal).unwrap();
        received(&issued, &self.issuer)
    }

    /// An identity credential whose status entry is `status_claim`.
    pub(crate) fn identity_with_status(&self, status_claim: serde_json::Value) -> HeldSdJwt {
        let mut envelope = self.envelope(365 * DAY);
        envelope.status = status_claim;
        let issued = issue_identity(&person(), &envelope, &self.issuer, &self.rng).unwrap();
        received(&issued, &self.issuer)
    }

    pub(crate) fn age(&self, birthdate: &str) -> HeldSdJwt {
        let mut person = person();
        person.birthdate = birthdate.into();
        let issued = issue_age(&person, &self.envelope(90 * DAY), &self.issuer, &self.rng).unwrap();
        received(&issued, &self.issuer)
    }

    /// An age credential with `extra` claims (`age_over_NN` selectively disclosable, the rest
    /// plain), signed by the registered issuer: what another certified issuer could sign.
    pub(crate) fn age_with_claims(&self, extra: serde_json::Value) -> HeldSdJwt {
        let mut claims = self.registered_claims(idv_checks::templates::AGE_VCT, 90 * DAY);
        let mut conceal = Vec::new();
        for (name, value) in extra.as_object().unwrap() {
            if name.starts_with("age_over_") {
                conceal.push(ClaimsPath::from_keys([name.as_str()]).unwrap());
            }
            claims.insert(name.clone(), value.clone());
        }
        self.signed(claims, &conceal)
    }
}

/// `issued` as the holder received it from `signer` at [`NOW`].
fn received(issued: &str, signer: &SigningKey) -> HeldSdJwt {
    HeldSdJwt::receive(issued, signer.public_key(), vc::accepted_typ(false), NOW).unwrap()
}
