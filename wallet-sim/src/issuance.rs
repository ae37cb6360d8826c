//! Receiving credentials: OpenID4VCI 1.0, with the pre-authorized code or through the
//! authorization code flow.
//!
//! 1. The offer (`offer`): by value, or fetched from `credential_offer_uri`; untrusted, so
//!    it is checked before anything is sent. Its grant decides the flow: the pre-authorized
//!    code when it carries one (unless [`SignIn::grant`] chooses the other when both are
//!    offered), else the authorization code flow with its `issuer_state`. Wallet-initiated
//!    ([`Source::Issuer`]), there is no offer: the authorization code flow, no `issuer_state`.
//! 2. Discovery (`discovery`): issuer metadata at the well-known URL built from
//!    `credential_issuer` (whose `credential_issuer` must match), then the metadata of the
//!    authorization server the grant designates (the first of `authorization_servers`, else
//!    the issuer), which must support the flow. Every configuration asked for is checked to
//!    be one this wallet can hold *before* a single-use code is spent.
//! 3. The token (`token`):
//!    - pre-authorized: `pre-authorized_code` plus `tx_code` iff the offer asks for one;
//!    - authorization code: the request (`authorization`: PKCE S256, `state`,
//!      `authorization_details` or `scope`, `issuer_state`) pushed to the PAR endpoint
//!      (RFC 9126), the resulting URL opened by a [`Browser`] for the person to sign in at the
//!      provider, the response taken at a loopback redirect URI (`callback`:
//!      `http://127.0.0.1:<port>/callback`) only when its `state` and RFC 9207 `iss` answer
//!      the wallet's own request, then the code exchanged with its `code_verifier`. The wallet
//!      is a public client (`client_id` from its configuration, no client authentication; no
//!      wallet attestation or DPoP, which HAIP asks for).
//! 4. The credentials (`credential`): a `c_nonce` from the nonce endpoint, one fresh P-256
//!    holder key and one `openid4vci-proof+jwt` per copy (up to the issuer's `batch_size`),
//!    one credential request per configuration (or per `credential_identifier` the token
//!    response lists).
//! 5. Each credential is verified on receipt (issuer signature with a key found by
//!    [`crate::issuer_key`], every disclosure, `vct`, and `cnf` naming one of the keys just
//!    proven) and stored as one batch: one row per copy with its own key.
//!
//! Codes, tokens and the authorization response are never logged.

mod authorization;
mod callback;
mod credential;
mod discovery;
mod offer;
mod token;

use std::sync::Arc;
use std::time::Duration;

use idv_jose::SigningKey;
use idv_jose::jwt::numeric_date;
use idv_proto::oid4vci::credential_offer::{AuthorizationCodeGrant, CredentialOffer, TxCode};
use idv_proto::oid4vci::issuer_metadata::{CredentialConfiguration, CredentialIssuerMetadata};
use idv_proto::oid4vci::token::TokenResponse;
use idv_proto::sd_jwt_vc::status::StatusClaim;
use idv_sdjwt::holder::HeldSdJwt;
use idv_sdjwt::vc;
use idv_trust::list::VerifiedTrustList;
use serde::Serialize;
use serde_json::Value;

use authorization::{AuthorizationRequest, Pkce};
use callback::{Callback, Expected};
use credential::{Target, check_configuration, request_credentials};
use discovery::Discovered;
use offer::Flow;
use token::CodeExchange;

use crate::config::WalletSettings;
use crate::error::{InternalError, WalletError};
use crate::issuer_key;
use crate::links::{OfferLink, parse_offer_link};
use crate::store::credentials::{NewBatch, NewCopy};
use crate::trust::{IssuerStanding, TrustSource, issuer_standing};
use crate::wallet::Handles;

/// Asks the person for the transaction code when none was given.
pub trait TxCodePrompt {
    /// The code typed, or `None` when nobody can be asked.
    fn ask(&self, tx_code: &TxCode) -> Option<String>;
}

/// Never asks: for scripts and tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPrompt;

impl TxCodePrompt for NoPrompt {
    fn ask(&self, _: &TxCode) -> Option<String> {
        None
    }
}

/// What `receive` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ReceiveOptions {
    /// The transaction code, when the person has it at hand.
    pub tx_code: Option<String>,
    /// Copies to request per credential (default from the configuration), capped by the
    /// issuer's `batch_size`.
    pub copies: Option<u32>,
}

/// One credential received (a batch of copies).
#[derive(Debug, Clone, Serialize)]
pub struct ReceivedCredential {
    /// The batch id to use with `show`, `delete`.
    pub id: String,
    /// The issuer's credential configuration.
    pub configuration_id: String,
    /// Display name from the issuer metadata (or the `vct`).
    pub name: String,
    /// SD-JWT VC type.
    pub vct: String,
    /// The Credential Issuer Identifier.
    pub credential_issuer: String,
    /// The credentials' `iss`.
    pub iss: Option<String>,
    /// Where the issuer's key came from.
    pub issuer_key_source: &'static str,
    /// The issuer on the trust list.
    pub issuer: IssuerStanding,
    /// Copies requested.
    pub requested: usize,
    /// Copies received, each with its own holder key.
    pub copies: usize,
    /// Earliest expiry of the copies.
    pub expires_at: Option<i64>,
}

/// The result of `receive`.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiveOutcome {
    /// The credentials stored.
    pub credentials: Vec<ReceivedCredential>,
    /// Things the person should know (fewer copies than asked, a configuration that failed).
    pub warnings: Vec<String>,
}

/// Where the credentials come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A credential offer link (or its `credential_offer_uri`).
    Offer(&'a str),
    /// No offer: the wallet asks the issuer itself (wallet-initiated authorization code flow).
    Issuer {
        /// The Credential Issuer Identifier.
        credential_issuer: &'a str,
        /// The credential configurations to ask for.
        configuration_ids: &'a [String],
    },
}

/// Which grant to use when an offer carries both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GrantChoice {
    /// The pre-authorized code (and `tx_code`): the default.
    #[default]
    PreAuthorized,
    /// The authorization code flow: the person signs in at the provider.
    AuthorizationCode,
}

/// Shows the person the authorization URL to sign in at the provider with.
pub trait Browser {
    /// Opens `url`. It may return at once (the command line prints the URL) or once the browser
    /// is back at the wallet's redirect URI (a test driving a browser); the wallet waits for
    /// the authorization response either way, within `sign_in_timeout_secs`. An error stops the
    /// flow.
    fn open(&self, url: &str) -> impl Future<Output = Result<(), String>>;
}

impl<F, Fut> Browser for F
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    fn open(&self, url: &str) -> impl Future<Output = Result<(), String>> {
        self(url.to_owned())
    }
}

/// How to run the authorization code flow when it is the one used.
#[derive(Debug, Clone, Copy)]
pub struct SignIn<'b, B> {
    /// The grant to use when an offer carries both.
    pub grant: GrantChoice,
    /// Name the credentials by their `scope` rather than by `authorization_details`.
    pub by_scope: bool,
    /// Opens the authorization URL.
    pub browser: &'b B,
}

/// Stands for the browser of a receive that cannot sign anyone in.
struct NoBrowser;

impl Browser for NoBrowser {
    async fn open(&self, _: &str) -> Result<(), String> {
        Err("no browser".into())
    }
}

/// Receiving credentials: offers, the issuer's metadata, the token and the credential
/// requests, each credential verified and stored on receipt. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Issuance {
    handles: Handles,
    trust: TrustSource,
    settings: Arc<WalletSettings>,
}

impl Issuance {
    pub(crate) fn new(handles: Handles, trust: TrustSource, settings: Arc<WalletSettings>) -> Self {
        Self {
            handles,
            trust,
            settings,
        }
    }

    /// Receives the credentials of the offer `link` and stores them, with its pre-authorized
    /// code; an offer that needs a sign-in at the provider is refused (see
    /// [`Issuance::receive_from`]).
    pub async fn receive(
        &self,
        link: &str,
        options: &ReceiveOptions,
        prompt: &dyn TxCodePrompt,
    ) -> Result<ReceiveOutcome, WalletError> {
        self.receive_with::<NoBrowser>(Source::Offer(link), options, None, prompt)
            .await
    }

    /// Receives credentials from an offer or, wallet-initiated, from an issuer, and stores
    /// them: with the pre-authorized code when the offer carries one (unless `sign_in.grant`
    /// chooses otherwise), else through the authorization code flow, the person signing in
    /// at the provider in `sign_in.browser`.
    pub async fn receive_from<B: Browser>(
        &self,
        source: Source<'_>,
        options: &ReceiveOptions,
        sign_in: &SignIn<'_, B>,
        prompt: &dyn TxCodePrompt,
    ) -> Result<ReceiveOutcome, WalletError> {
        self.receive_with(source, options, Some(sign_in), prompt)
            .await
    }

    async fn receive_with<B: Browser>(
        &self,
        source: Source<'_>,
        options: &ReceiveOptions,
        sign_in: Option<&SignIn<'_, B>>,
        prompt: &dyn TxCodePrompt,
    ) -> Result<ReceiveOutcome, WalletError> {
        // Wallet-initiated, the request is an offer without grants (as OpenID4VCI reads one).
        let link = match source {
            Source::Offer(link) => parse_offer_link(link)?,
            Source::Issuer {
                credential_issuer,
                configuration_ids,
            } => OfferLink::ByValue(CredentialOffer {
                credential_issuer: credential_issuer.to_owned(),
                credential_configuration_ids: configuration_ids.to_vec(),
                grants: None,
            }),
        };
        let trust_list = self.trust.current().await?;
        let offer = offer::resolve(link, &self.handles.http).await?;
        let flow = offer::check(&offer, sign_in.map(|s| s.grant).unwrap_or_default())?;
        let discovered = discovery::discover(&offer, &flow, &self.handles.http).await?;
        let metadata = &discovered.metadata;
        for id in &offer.credential_configuration_ids {
            check_configuration(id, configuration(metadata, id)?, metadata)?;
        }

        let mut warnings = Vec::new();
        let token = match &flow {
            Flow::PreAuthorized(grant) => {
                let tx_code = match (&grant.tx_code, &options.tx_code) {
                    (Some(_), Some(code)) => Some(code.clone()),
                    (Some(description), None) => {
                        Some(prompt.ask(description).ok_or_else(|| {
                            WalletError::TxCodeRequired {
                                hint: tx_code_hint(description),
                            }
                        })?)
                    }
                    (None, Some(_)) => {
                        warnings.push(
                            "this offer needs no transaction code; --tx-code was ignored".into(),
                        );
                        None
                    }
                    (None, None) => None,
                };
                token::redeem(
                    &self.handles.http,
                    &discovered.server.token_endpoint,
                    grant,
                    tx_code.as_deref(),
                )
                .await?
            }
            Flow::AuthorizationCode(grant) => {
                let sign_in = sign_in.ok_or_else(|| {
                    WalletError::UnsupportedOffer(
                        "it needs a sign-in at the provider (authorization code flow), and no \
                         browser was given to sign in with"
                            .into(),
                    )
                })?;
                if options.tx_code.is_some() {
                    warnings.push(
                        "signing in at the provider needs no transaction code; --tx-code was \
                         ignored"
                            .into(),
                    );
                }
                self.authorize(&discovered, &offer, grant, sign_in).await?
            }
        };

        let mut targets: Vec<(String, Target)> = Vec::new();
        for detail in token.authorization_details.iter().flatten() {
            for identifier in detail.credential_identifiers.iter().flatten() {
                targets.push((
                    detail.credential_configuration_id.clone(),
                    Target::Identifier(identifier.clone()),
                ));
            }
        }
        if targets.is_empty() {
            targets = offer
                .credential_configuration_ids
                .iter()
                .map(|id| (id.clone(), Target::Configuration(id.clone())))
                .collect();
        }

        let copies = options.copies.unwrap_or(self.settings.batch_copies).max(1);
        let mut credentials = Vec::new();
        let mut first_error = None;
        for (configuration_id, target) in &targets {
            let received = self
                .receive_batch(
                    metadata,
                    &token.access_token,
                    token.c_nonce.clone(),
                    configuration_id,
                    target,
                    copies,
                    trust_list.as_deref(),
                )
                .await;
            match received {
                Ok(received) => {
                    if received.copies < received.requested {
                        warnings.push(format!(
                            "`{configuration_id}`: the issuer sent {} of {} copies",
                            received.copies, received.requested
                        ));
                    }
                    credentials.push(received);
                }
                Err(error) => {
                    warnings.push(format!("`{configuration_id}` was not received: {error}"));
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) if credentials.is_empty() => Err(error),
            _ => Ok(ReceiveOutcome {
                credentials,
                warnings,
            }),
        }
    }

    /// The authorization code flow up to the access token: the request (pushed when the
    /// server takes it), the person's sign-in in `sign_in.browser`, the response at the
    /// loopback redirect URI, and the code exchanged with its PKCE verifier.
    async fn authorize<B: Browser>(
        &self,
        discovered: &Discovered,
        offer: &CredentialOffer,
        grant: &AuthorizationCodeGrant,
        sign_in: &SignIn<'_, B>,
    ) -> Result<TokenResponse, WalletError> {
        let server = &discovered.server;
        let credentials = authorization::credentials(
            &discovered.metadata,
            &offer.credential_configuration_ids,
            sign_in.by_scope,
        )?;
        let state = self.handles.new_id(16);
        let callback = Callback::listen(Expected {
            state: state.clone(),
            issuer: server.issuer.clone(),
            iss_required: server.sends_iss,
        })
        .await?;
        let redirect_uri = callback.redirect_uri().to_owned();
        let pkce = Pkce::new(self.handles.random.as_ref());
        let client_id = &self.settings.client_id;
        let request = AuthorizationRequest {
            client_id,
            redirect_uri: &redirect_uri,
            state: &state,
            code_challenge: &pkce.challenge,
            credentials,
            issuer_state: grant.issuer_state.as_deref(),
        };
        let url = authorization::authorization_url(&self.handles.http, server, &request).await?;
        let timeout = Duration::from_secs(self.settings.sign_in_timeout_secs);
        let code = callback.wait(sign_in.browser, &url, timeout).await?;
        token::exchange_code(
            &self.handles.http,
            &server.token_endpoint,
            code.secret(),
            CodeExchange {
                redirect_uri: &redirect_uri,
                code_verifier: &pkce.verifier,
                client_id,
            },
        )
        .await
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site, all inputs distinct"
    )]
    async fn receive_batch(
        &self,
        metadata: &CredentialIssuerMetadata,
        access_token: &str,
        c_nonce: Option<String>,
        configuration_id: &str,
        target: &Target,
        copies: u32,
        trust_list: Option<&VerifiedTrustList>,
    ) -> Result<ReceivedCredential, WalletError> {
        let config = configuration(metadata, configuration_id)?;
        check_configuration(configuration_id, config, metadata)?;
        let batch_size = metadata
            .batch_credential_issuance
            .as_ref()
            .map_or(1, |batch| batch.batch_size.max(1));
        let requested = copies.min(batch_size) as usize;
        let keys = (0..requested)
            .map(|_| SigningKey::generate())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| InternalError::Jose {
                what: "generating holder keys",
                source,
            })?;
        let now = self.handles.clock.now();
        let issued = request_credentials(
            &self.handles.http,
            metadata,
            access_token,
            c_nonce,
            target,
            &keys,
            now,
        )
        .await?;
        if issued.len() > keys.len() {
            return Err(WalletError::CredentialRejected(format!(
                "the issuer sent {} credentials for {} key proofs",
                issued.len(),
                keys.len()
            )));
        }
        let first = issued.first().ok_or_else(|| {
            WalletError::CredentialRejected("the credential response holds none".into())
        })?;
        let (issuer_key, key_source) =
            issuer_key::resolve(first, trust_list, &self.handles.http).await?;
        let verified = verify_copies(
            &issued,
            &keys,
            &issuer_key,
            config,
            self.handles.clock.now(),
        )?;

        let batch_id = self.handles.new_id(5);
        let received_at = self.handles.clock.now();
        let name = display_name(config).unwrap_or_else(|| verified.vct.clone());
        let batch = NewBatch {
            batch_id: batch_id.clone(),
            credential_issuer: metadata.credential_issuer.clone(),
            configuration_id: configuration_id.to_owned(),
            format: config.format.clone(),
            vct: verified.vct.clone(),
            iss: verified.iss.clone(),
            issuer_jwk: serde_json::to_string(&issuer_key.to_jwk()).map_err(|source| {
                InternalError::Json {
                    what: "the issuer key",
                    source,
                }
            })?,
            issuer_key_source: key_source.as_str().to_owned(),
            display_name: Some(name.clone()),
            received_at,
        };
        self.handles
            .store
            .insert_batch(&batch, &verified.copies)
            .await?;
        let issuer = issuer_standing(
            trust_list,
            verified.iss.as_deref(),
            &issuer_key,
            &verified.vct,
            verified.issued_at,
            received_at,
        );
        tracing::info!(batch.id = %batch_id, copies = verified.copies.len(), "credential received");
        Ok(ReceivedCredential {
            id: batch_id,
            configuration_id: configuration_id.to_owned(),
            name,
            vct: verified.vct,
            credential_issuer: metadata.credential_issuer.clone(),
            iss: verified.iss,
            issuer_key_source: key_source.as_str(),
            issuer,
            requested,
            copies: verified.copies.len(),
            expires_at: verified.copies.iter().filter_map(|c| c.expires_at).min(),
        })
    }
}

fn configuration<'m>(
    metadata: &'m CredentialIssuerMetadata,
    id: &str,
) -> Result<&'m CredentialConfiguration, WalletError> {
    metadata
        .credential_configurations_supported
        .get(id)
        .ok_or_else(|| WalletError::InvalidResponse {
            party: crate::error::Party::Issuer,
            what: "credential issuer metadata",
            reason: format!(
                "the configuration `{id}` is not in credential_configurations_supported"
            ),
        })
}

fn tx_code_hint(tx_code: &TxCode) -> String {
    let mut parts = Vec::new();
    if let Some(length) = tx_code.length {
        parts.push(format!("{length} characters"));
    }
    if let Some(description) = &tx_code.description {
        parts.push(
            description
                .chars()
                .filter(|c| !c.is_control())
                .take(300)
                .collect(),
        );
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// The configuration's display name, English preferred.
fn display_name(config: &CredentialConfiguration) -> Option<String> {
    let displays = config.credential_metadata.as_ref()?.display.as_ref()?;
    displays
        .iter()
        .find(|d| d.locale.as_deref().is_some_and(|l| l.starts_with("en")))
        .or_else(|| displays.first())
        .map(|d| {
            d.name
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect()
        })
}

/// The verified copies of one batch.
#[derive(Debug)]
struct VerifiedBatch {
    vct: String,
    iss: Option<String>,
    issued_at: Option<i64>,
    copies: Vec<NewCopy>,
}

/// Verifies every issued credential with `issuer_key` and pairs it with the holder key its
/// `cnf` names. Any failure rejects the whole batch.
fn verify_copies(
    issued: &[String],
    keys: &[SigningKey],
    issuer_key: &idv_jose::PublicKey,
    config: &CredentialConfiguration,
    now: i64,
) -> Result<VerifiedBatch, WalletError> {
    let rejected = |why: String| WalletError::CredentialRejected(why);
    let mut used = vec![false; keys.len()];
    let mut batch: Option<VerifiedBatch> = None;
    for (index, credential) in issued.iter().enumerate() {
        let position = index + 1;
        let held = HeldSdJwt::receive(credential, issuer_key, vc::accepted_typ(true), now)
            .map_err(|e| rejected(format!("copy {position}: {e}")))?;
        let claims = held.claims();
        let vct = claims
            .get("vct")
            .and_then(Value::as_str)
            .ok_or_else(|| rejected(format!("copy {position} has no `vct`")))?
            .to_owned();
        if let Some(expected) = &config.vct
            && *expected != vct
        {
            return Err(rejected(format!(
                "copy {position} is of type `{vct}`, not the configuration's `{expected}`"
            )));
        }
        let iss = claims.get("iss").and_then(Value::as_str).map(str::to_owned);
        let cnf = idv_sdjwt::verify::holder_key(claims)
            .map_err(|e| rejected(format!("copy {position}: {e}")))?;
        let key_index = keys
            .iter()
            .enumerate()
            .position(|(i, key)| !used[i] && key.public_key() == &cnf)
            .ok_or_else(|| {
                rejected(format!(
                    "copy {position} is bound to a key this wallet did not prove (or to one \
                     already used by another copy)"
                ))
            })?;
        used[key_index] = true;
        let times = |name| numeric_date(claims, name).map_err(|e| rejected(e.to_string()));
        let expires_at = times("exp")?;
        let issued_at = times("iat")?;
        let status = match claims.get("status") {
            None => None,
            Some(status) => {
                let status: StatusClaim = serde_json::from_value(status.clone())
                    .map_err(|e| rejected(format!("copy {position}: status: {e}")))?;
                Some((
                    status.status_list.uri,
                    i64::try_from(status.status_list.idx)
                        .map_err(|_| rejected("status index out of range".into()))?,
                ))
            }
        };
        let copy = NewCopy {
            position: i64::try_from(position).unwrap_or(i64::MAX),
            sd_jwt: credential.clone(),
            claims: Value::Object(claims.clone()),
            holder_key: serde_json::to_string(&keys[key_index].to_private_jwk()).map_err(
                |source| InternalError::Json {
                    what: "a holder key",
                    source,
                },
            )?,
            expires_at,
            status,
        };
        match &mut batch {
            None => {
                batch = Some(VerifiedBatch {
                    vct,
                    iss,
                    issued_at,
                    copies: vec![copy],
                });
            }
            Some(batch) => {
                if batch.vct != vct || batch.iss != iss {
                    return Err(rejected(format!(
                        "copy {position} differs in type or issuer from the first copy"
                    )));
                }
                batch.copies.push(copy);
            }
        }
    }
    batch.ok_or_else(|| rejected("the credential response holds none".into()))
}

#[cfg(test)]
mod tests {
    use idv_jose::SystemRandom;
    use idv_proto::claims_path::ClaimsPath;
    use serde_json::json;

    use super::*;

    fn configuration() -> CredentialConfiguration {
        serde_json::from_value(json!({
            "format": "dc+sd-jwt", "vct": "urn:dvs:vct:uk-age:1",
            "cryptographic_binding_methods_supported": ["jwk"],
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
            "credential_metadata": {"display": [{"name": "Âge", "locale": "fr"}, {"name": "Age", "locale": "en-GB"}]}
        }))
        .unwrap()
    }

    fn issue(issuer: &SigningKey, holder: &SigningKey, vct: &str) -> String {
        let claims = json!({
            "iss": "http://127.0.0.1:9", "vct": vct, "iat": 1_800_000_000, "exp": 1_900_000_000,
            "cnf": {"jwk": holder.public_key().to_jwk()}, "age_over_18": true,
            "status": {"status_list": {"idx": 7, "uri": "http://127.0.0.1:9/status/1"}}
        });
        vc::issue(
            issuer,
            &SystemRandom,
            claims.as_object().unwrap().clone(),
            &[ClaimsPath::from_keys(["age_over_18"]).unwrap()],
        )
        .unwrap()
    }

    #[test]
    fn copies_are_paired_with_the_holder_keys_their_cnf_names() {
        let issuer = SigningKey::generate().unwrap();
        let keys: Vec<SigningKey> = (0..3).map(|_| SigningKey::generate().unwrap()).collect();
        // The issuer answers in another order than the proofs were sent.
        let issued: Vec<String> = [2, 0, 1]
            .iter()
            .map(|&i| issue(&issuer, &keys[i], "urn:dvs:vct:uk-age:1"))
            .collect();
        let batch = verify_copies(
            &issued,
            &keys,
            issuer.public_key(),
            &configuration(),
            1_800_000_100,
        )
        .unwrap();
        assert_eq!(batch.copies.len(), 3);
        assert_eq!(
            batch.copies[0].status,
            Some(("http://127.0.0.1:9/status/1".into(), 7))
        );
        assert_eq!(batch.copies[0].expires_at, Some(1_900_000_000));
        let stored: idv_jose::Jwk = serde_json::from_str(&batch.copies[0].holder_key).unwrap();
        assert_eq!(
            SigningKey::from_jwk(&stored).unwrap().public_key(),
            keys[2].public_key()
        );
        assert_eq!(display_name(&configuration()).as_deref(), Some("Age"));
    }

    #[test]
    fn a_batch_with_a_foreign_key_wrong_type_or_bad_signature_is_rejected() {
        let issuer = SigningKey::generate().unwrap();
        let keys: Vec<SigningKey> = (0..2).map(|_| SigningKey::generate().unwrap()).collect();
        let stranger = SigningKey::generate().unwrap();
        let config = configuration();
        let now = 1_800_000_100;
        let foreign = vec![issue(&issuer, &stranger, "urn:dvs:vct:uk-age:1")];
        let twice = vec![
            issue(&issuer, &keys[0], "urn:dvs:vct:uk-age:1"),
            issue(&issuer, &keys[0], "urn:dvs:vct:uk-age:1"),
        ];
        let wrong_type = vec![issue(&issuer, &keys[0], "urn:dvs:vct:uk-identity:1")];
        let other_issuer = vec![issue(&stranger, &keys[0], "urn:dvs:vct:uk-age:1")];
        for issued in [foreign, twice, wrong_type, other_issuer] {
            assert!(matches!(
                verify_copies(&issued, &keys, issuer.public_key(), &config, now),
                Err(WalletError::CredentialRejected(_))
            ));
        }
    }
}
