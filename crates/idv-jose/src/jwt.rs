//! JWT validity windows (RFC 7519 §4.1.4–4.1.6): `exp`, `nbf` and `iat` with bounded skew.

use serde_json::Value;

use crate::error::JoseError;

/// The time claims of a JWT, read as NumericDate (fractions are truncated).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Validity {
    /// `iat`.
    pub iat: Option<i64>,
    /// `nbf`.
    pub nbf: Option<i64>,
    /// `exp`.
    pub exp: Option<i64>,
}

impl Validity {
    /// Reads `iat`, `nbf` and `exp` from a claims object; a present non-number is an error.
    pub fn from_claims(claims: &serde_json::Map<String, Value>) -> Result<Self, JoseError> {
        Ok(Self {
            iat: numeric_date(claims, "iat")?,
            nbf: numeric_date(claims, "nbf")?,
            exp: numeric_date(claims, "exp")?,
        })
    }

    /// Fails when expired or not yet valid, or issued in the future, allowing `skew` seconds.
    pub fn check(&self, now: i64, skew: i64) -> Result<(), JoseError> {
        if let Some(exp) = self.exp
            && now >= exp.saturating_add(skew)
        {
            return Err(JoseError::Expired { exp, now });
        }
        if let Some(nbf) = self.nbf
            && now.saturating_add(skew) < nbf
        {
            return Err(JoseError::NotYetValid { nbf, now });
        }
        if let Some(iat) = self.iat
            && iat > now.saturating_add(skew)
        {
            return Err(JoseError::IssuedInFuture { iat, now });
        }
        Ok(())
    }
}

/// Reads a NumericDate claim; `None` when absent.
pub fn numeric_date(
    claims: &serde_json::Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, JoseError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| JoseError::Json {
                part: "payload",
                reason: format!("{name} is not a NumericDate"),
            }),
        Some(_) => Err(JoseError::Json {
            part: "payload",
            reason: format!("{name} is not a NumericDate"),
        }),
    }
}

/// Checks a freshness window for `iat` (e.g. a KB-JWT or a proof): not more than `skew` seconds
/// in the future and not older than `max_age` seconds.
pub fn check_fresh(iat: i64, now: i64, max_age: i64, skew: i64) -> Result<(), JoseError> {
    if iat > now.saturating_add(skew) {
        return Err(JoseError::IssuedInFuture { iat, now });
    }
    if iat < now.saturating_sub(max_age) {
        return Err(JoseError::TooOld { iat, now, max_age });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_honours_skew_on_both_sides() {
        let v = Validity {
            exp: Some(100),
            ..Default::default()
        };
        assert!(v.check(159, 60).is_ok());
        assert_eq!(
            v.check(160, 60),
            Err(JoseError::Expired { exp: 100, now: 160 })
        );
    }

    #[test]
    fn freshness_window_rejects_old_and_future() {
        assert!(check_fresh(1000, 1000, 300, 60).is_ok());
        assert!(matches!(
            check_fresh(600, 1000, 300, 60),
            Err(JoseError::TooOld { .. })
        ));
        assert!(matches!(
            check_fresh(1061, 1000, 300, 60),
            Err(JoseError::IssuedInFuture { .. })
        ));
    }

    #[test]
    fn non_numeric_dates_are_errors() {
        let claims = serde_json::json!({"exp": "tomorrow"});
        assert!(Validity::from_claims(claims.as_object().unwrap()).is_err());
    }
}
