//! The claims every credential carries besides the person's: `iss`, `vct`, `iat`, `exp`,
//! `cnf` and `status` (SD-JWT VC "Registered JWT Claims"), all plain text. `iat` is rounded
//! down to the day so batch credentials are not told apart by it.

use idv_jose::PublicKey;
use idv_sdjwt::vc;
use serde_json::{Map, Value};

use crate::DAY;

/// What every credential carries besides the person's claims.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The Credential Issuer Identifier (`iss`).
    pub issuer: &'a str,
    /// Issuance time (Unix seconds); rounded down to the day in the credential.
    pub now: i64,
    /// Validity in seconds (`exp` = rounded `iat` + validity).
    pub validity: i64,
    /// The latest `exp` whatever the validity (Unix seconds): for an age credential, the next
    /// birthday that changes one of its values ([`crate::age::age_expiry_cap`]).
    pub not_after: Option<i64>,
    /// The holder key (`cnf.jwk`).
    pub holder: &'a PublicKey,
    /// The `status` claim: where this credential's revocation status is published.
    pub status: Value,
}

impl Envelope<'_> {
    /// The credential's `iat`: issuance time rounded down to the day.
    pub fn iat(&self) -> i64 {
        self.now - self.now.rem_euclid(DAY)
    }

    /// The credential's `exp`: [`Envelope::iat`] plus the validity, or
    /// [`Envelope::not_after`] when earlier.
    pub fn exp(&self) -> i64 {
        let exp = self.iat() + self.validity;
        self.not_after.map_or(exp, |not_after| exp.min(not_after))
    }

    /// The plain claims of a credential of type `vct`.
    pub(crate) fn claims(&self, vct: &str) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("iss".into(), self.issuer.into());
        claims.insert("vct".into(), vct.into());
        claims.insert("iat".into(), self.iat().into());
        claims.insert("exp".into(), self.exp().into());
        claims.insert("cnf".into(), vc::cnf(self.holder));
        claims.insert("status".into(), self.status.clone());
        claims
    }
}
