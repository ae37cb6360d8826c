//! Starting a [`Federation`] in the order its parties depend on one another: the register,
//! the provider's OpenID Provider and issuer, the register's entries, then the verifier and
//! its tenants.

use std::collections::BTreeMap;
use std::path::Path;

use idv_test_support::TestDb;
use idv_test_support::oidc_provider::{OidcClient, OidcProvider};

use super::builder::{FederationBuilder, Hook};
use super::configs::{self, Register, Storage};
use super::registrations::{ProviderRegistration, idsp_entry, register_provider};
use super::services::{IssuerService, TrustFrameworkService, VerifierService, listen};
use super::{
    Federation, ISSUER_CERTIFICATE, ISSUER_ORGANISATION, ISSUER_SERVICE, WALLET_CLIENT_ID,
    enrol_tenant,
};
use crate::error::LaunchError;

/// The issuer's OAuth client at the provider's OpenID Provider.
const ISSUER_CLIENT_ID: &str = "credential-issuer";
const ISSUER_CLIENT_SECRET: &str = "issuer-secret-at-the-op-0123456789";

/// Where services without a database of their own keep their data.
struct Databases<'a> {
    dir: Option<&'a Path>,
    fresh: Vec<TestDb>,
}

impl Databases<'_> {
    async fn storage(&mut self, explicit: Option<Storage>) -> Storage {
        if let Some(storage) = explicit {
            return storage;
        }
        if let Some(dir) = self.dir {
            return Storage::DataDir(dir.to_owned());
        }
        let db = TestDb::sqlite().await;
        let url = db.url().to_owned();
        self.fresh.push(db);
        Storage::Url(url)
    }
}

fn apply<C>(config: &mut C, hooks: Vec<Hook<'_, C>>) {
    for hook in hooks {
        hook(config);
    }
}

/// Starts what `builder` describes.
pub(crate) async fn start(builder: FederationBuilder<'_>) -> Result<Federation, LaunchError> {
    let (dir, temp) = match builder.data_dir.clone() {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(LaunchError::io(format!("cannot create {}", dir.display())))?;
            (dir, None)
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("federation-")
                .tempdir()
                .map_err(LaunchError::io("cannot create a temporary folder"))?;
            (temp.path().to_owned(), Some(temp))
        }
    };
    let mut databases = Databases {
        dir: builder.data_dir.as_deref(),
        fresh: Vec::new(),
    };
    let client = reqwest::Client::new();

    // The register: `init`, then `serve`; its anchor in a file for the others to pin.
    let (listener, address) = listen().await?;
    let storage = databases.storage(builder.trust_framework_db).await;
    let mut config = configs::trust_framework(&address, &storage);
    apply(&mut config, builder.trust_framework_hooks);
    let trust_framework_clock = builder.trust_framework_clock;
    let trust_framework =
        TrustFrameworkService::start(config, listener, address.url, trust_framework_clock.clone())
            .await?;
    let register = Register {
        list_url: trust_framework.list_url(),
        anchor_file: configs::anchor_file(&dir),
        refresh_secs: builder.trust_refresh_secs,
    };
    std::fs::write(
        &register.anchor_file,
        format!("{:#}\n", trust_framework.anchor),
    )
    .map_err(LaunchError::io("cannot write the anchor file"))?;
    let operator = super::operator_of(&client, &trust_framework);

    // The provider's OpenID Provider (for sign-in) and issuer.
    let mut op = None;
    let mut issuer = None;
    if let Some(explicit) = builder.issuer {
        let (listener, address) = listen().await?;
        let login = if builder.sign_in {
            let started = OidcProvider::start(&[OidcClient::new(
                ISSUER_CLIENT_ID,
                ISSUER_CLIENT_SECRET,
                [format!("{}/login/callback", address.url)],
            )])
            .await;
            let login = configs::issuer_login(
                started.issuer_url(),
                ISSUER_CLIENT_ID,
                ISSUER_CLIENT_SECRET,
                WALLET_CLIENT_ID,
            );
            op = Some(started);
            Some(login)
        } else {
            None
        };
        let storage = databases.storage(explicit).await;
        let checks = builder.issuer_checks_register.then_some(&register);
        let mut config = configs::issuer(&address, &storage, checks, login);
        apply(&mut config, builder.issuer_hooks);
        issuer = Some(IssuerService::start(config, listener, builder.issuer_clock).await?);
    }

    // The register's entries, dated by the register's clock.
    let now = trust_framework_clock.now();
    let mut provider_entries = BTreeMap::new();
    let mut own = None;
    if let (true, Some(issuer)) = (builder.issuer_registered, &issuer) {
        let jwk = serde_json::to_value(issuer.signing_key.public())
            .map_err(|e| LaunchError::failed("the issuer's key", e))?;
        own = Some(ProviderRegistration {
            name: "issuer".into(),
            entry: idsp_entry(
                ISSUER_ORGANISATION,
                ISSUER_SERVICE,
                ISSUER_CERTIFICATE,
                &issuer.url,
                &jwk,
                &format!("{}/status-lists/", issuer.url),
                now,
            ),
            codes: vec!["RTW".into(), "AGE".into()],
            suspension: None,
        });
    }
    for provider in own.iter().chain(&builder.providers) {
        let entry_id = register_provider(&operator, provider).await?;
        provider_entries.insert(provider.name.clone(), entry_id);
    }
    let mut relying_parties = BTreeMap::new();
    for relying_party in &builder.relying_parties {
        let client_id = relying_party.entry["client_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let rp_id = operator
            .add_relying_party(&relying_party.entry)
            .await
            .map_err(LaunchError::call(format!("registering {client_id}")))?;
        relying_parties.insert(client_id, rp_id);
    }
    if let Some(then) = builder.after_registration {
        then();
    }

    // The verifier, and its tenants attested by the register.
    let mut verifier = None;
    let mut tenants = BTreeMap::new();
    if let Some(explicit) = builder.verifier {
        let (listener, address) = listen().await?;
        let storage = databases.storage(explicit).await;
        let mut config = configs::verifier(&address, &storage, &register);
        apply(&mut config, builder.verifier_hooks);
        let started = VerifierService::start(config, listener, builder.verifier_clock).await?;
        for (name, client_id) in &builder.tenants {
            let rp_id = relying_parties.get(client_id).ok_or_else(|| {
                LaunchError::failed(
                    format!("tenant {name}"),
                    "its relying party is not registered",
                )
            })?;
            let tenant =
                enrol_tenant(&started.verifier, &operator, name, client_id, rp_id, None).await?;
            tenants.insert(client_id.clone(), tenant);
        }
        verifier = Some(started);
    }

    Ok(Federation {
        endpoints: super::endpoints(
            &trust_framework,
            issuer.as_ref(),
            verifier.as_ref(),
            &register,
        ),
        client,
        trust_framework,
        issuer,
        verifier,
        op,
        provider_entries,
        relying_parties,
        tenants,
        dir,
        _temp: temp,
        _databases: databases.fresh,
    })
}
