//! The PKCS#11 backend: a token found by label, P-256 key pairs generated in it (private keys
//! sensitive and not extractable, PKCS#11 3.0 §4.9), and ES256 signatures made by it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use idv_jose::keys::SIGNATURE_LEN;
use idv_jose::{ExternalSigner, JoseError, PublicKey, Random as _};

use crate::config::Pkcs11Config;
use crate::error::KeyStoreError;

/// DER of the P-256 curve's OID 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1): `CKA_EC_PARAMS`.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// Bytes of a generated key's `CKA_ID`.
const KEY_ID_LEN: usize = 16;

/// Modules loaded in this process: `C_Initialize` may run once per module and process.
static MODULES: Mutex<BTreeMap<PathBuf, Pkcs11>> = Mutex::new(BTreeMap::new());

fn ck(operation: &'static str) -> impl FnOnce(CkError) -> KeyStoreError {
    move |source| KeyStoreError::Pkcs11 { operation, source }
}

fn module(path: &Path) -> Result<Pkcs11, KeyStoreError> {
    let mut modules = MODULES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(module) = modules.get(path) {
        return Ok(module.clone());
    }
    let module = Pkcs11::new(path).map_err(ck("loading the module"))?;
    match module.initialize(CInitializeArgs::OsThreads) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(ck("C_Initialize")(e)),
    }
    modules.insert(path.to_owned(), module.clone());
    Ok(module)
}

/// A logged-in token and a pool of its sessions.
pub(crate) struct Token {
    module: Pkcs11,
    slot: Slot,
    label: String,
    /// Idle sessions; the login (per application and token) lasts while one is open.
    sessions: Mutex<Vec<Session>>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Token {
    /// Loads the module, finds the token by label and logs in as its user.
    pub(crate) fn open(config: &Pkcs11Config) -> Result<Arc<Self>, KeyStoreError> {
        let pin = read_pin(config)?;
        let module = module(&config.module)?;
        let mut found = None;
        for slot in module
            .get_slots_with_initialized_token()
            .map_err(ck("C_GetSlotList"))?
        {
            let info = module.get_token_info(slot).map_err(ck("C_GetTokenInfo"))?;
            if info.label().trim_end() == config.token_label {
                found = Some(slot);
                break;
            }
        }
        let slot = found.ok_or_else(|| KeyStoreError::TokenNotFound {
            label: config.token_label.clone(),
        })?;
        let session = module.open_rw_session(slot).map_err(ck("C_OpenSession"))?;
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(ck("C_Login")(e)),
        }
        Ok(Arc::new(Self {
            module,
            slot,
            label: config.token_label.clone(),
            sessions: Mutex::new(vec![session]),
        }))
    }

    /// The token's label.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// Runs `f` on an idle session (a new one when all are busy), returned to the pool after.
    fn with_session<R>(
        &self,
        f: impl FnOnce(&Session) -> Result<R, KeyStoreError>,
    ) -> Result<R, KeyStoreError> {
        let idle = self
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let session = match idle {
            Some(session) => session,
            None => self
                .module
                .open_rw_session(self.slot)
                .map_err(ck("C_OpenSession"))?,
        };
        let result = f(&session);
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(session);
        result
    }

    /// Generates a P-256 key pair on the token; returns its `CKA_ID` (hex), label and public
    /// key.
    pub(crate) fn generate(
        &self,
        purpose: &str,
    ) -> Result<(String, String, PublicKey), KeyStoreError> {
        let mut id = [0u8; KEY_ID_LEN];
        idv_jose::SystemRandom.fill(&mut id);
        let key_id = hex(&id);
        let label = format!("idv-{purpose}-{}", &key_id[..8]);
        let public = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::EcParams(P256_PARAMS.to_vec()),
            Attribute::Id(id.to_vec()),
            Attribute::Label(label.clone().into_bytes()),
        ];
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Id(id.to_vec()),
            Attribute::Label(label.clone().into_bytes()),
        ];
        let public_key = self.with_session(|session| {
            let (public_handle, _) = session
                .generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
                .map_err(ck("C_GenerateKeyPair"))?;
            let attributes = session
                .get_attributes(public_handle, &[AttributeType::EcPoint])
                .map_err(ck("C_GetAttributeValue"))?;
            match attributes.as_slice() {
                [Attribute::EcPoint(point)] => point_from_der(point),
                _ => Err(KeyStoreError::HsmKey(JoseError::InvalidKey {
                    reason: "the token returned no CKA_EC_POINT",
                })),
            }
        })?;
        Ok((key_id, label, public_key))
    }

    /// The signer of the private key with `CKA_ID` `key_id` (hex).
    pub(crate) fn signer(self: &Arc<Self>, key_id: &str) -> Result<HsmSigner, KeyStoreError> {
        let missing = || KeyStoreError::HsmKeyMissing {
            token_label: self.label.clone(),
            key_id: key_id.to_owned(),
        };
        let id = unhex(key_id).ok_or_else(missing)?;
        let handles = self.with_session(|session| {
            session
                .find_objects(&[
                    Attribute::Class(ObjectClass::PRIVATE_KEY),
                    Attribute::KeyType(KeyType::EC),
                    Attribute::Id(id),
                ])
                .map_err(ck("C_FindObjects"))
        })?;
        match handles.as_slice() {
            [handle] => Ok(HsmSigner {
                token: Arc::clone(self),
                handle: *handle,
            }),
            _ => Err(missing()),
        }
    }

    /// Destroys the key pair with `CKA_ID` `key_id` (hex), if the token holds it.
    pub(crate) fn destroy(&self, key_id: &str) -> Result<(), KeyStoreError> {
        let Some(id) = unhex(key_id) else {
            return Ok(());
        };
        self.with_session(|session| {
            for handle in session
                .find_objects(&[Attribute::Id(id)])
                .map_err(ck("C_FindObjects"))?
            {
                session
                    .destroy_object(handle)
                    .map_err(ck("C_DestroyObject"))?;
            }
            Ok(())
        })
    }
}

/// Signs with one private key on the token.
pub(crate) struct HsmSigner {
    token: Arc<Token>,
    handle: ObjectHandle,
}

impl ExternalSigner for HsmSigner {
    fn sign_es256(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], JoseError> {
        // CKM_ECDSA signs a hash computed outside (PKCS#11 3.0 §6.3.13): SHA-256 for ES256,
        // and returns r || s, each the length of the order, as JWS wants (RFC 7518 §3.4).
        let digest = idv_jose::digest::sha256(message);
        let signature = self
            .token
            .with_session(|session| {
                session
                    .sign(&Mechanism::Ecdsa, self.handle, &digest)
                    .map_err(ck("C_Sign"))
            })
            .map_err(|error| {
                tracing::error!(%error, token = %self.token.label, "the HSM did not sign");
                JoseError::InvalidKey {
                    reason: "the HSM did not sign",
                }
            })?;
        signature.try_into().map_err(|_| JoseError::InvalidKey {
            reason: "the HSM returned a malformed signature",
        })
    }
}

fn read_pin(config: &Pkcs11Config) -> Result<AuthPin, KeyStoreError> {
    let pin = match (&config.pin_env, &config.pin_file) {
        (Some(name), None) => {
            std::env::var(name).map_err(|_| KeyStoreError::MissingEnv { name: name.clone() })?
        }
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|source| KeyStoreError::File {
                path: path.clone(),
                source,
            })?
            .trim()
            .to_owned(),
        _ => {
            return Err(KeyStoreError::Config(
                "[keys.pkcs11] needs exactly one of pin_env and pin_file".into(),
            ));
        }
    };
    Ok(AuthPin::new(pin))
}

/// The point of a `CKA_EC_POINT`: a DER OCTET STRING holding the uncompressed SEC1 point
/// (PKCS#11 3.0 §2.3.3), or the bare point, which some modules return.
fn point_from_der(der: &[u8]) -> Result<PublicKey, KeyStoreError> {
    let point = match der {
        [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest,
        bare => bare,
    };
    PublicKey::from_sec1(point).map_err(KeyStoreError::HsmKey)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
