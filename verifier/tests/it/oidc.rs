//! The OpenID Provider bridge, driven by a relying party built with the `openidconnect` crate
//! (discovery, PKCE S256, nonce, ID token verification against the JWKS), a browser that
//! follows the redirects with its cookie, and the conformant wallet of `crate::wallet`; the
//! hand-off page also in a real headless browser.

mod browser;
mod flow;
mod rejections;
pub(crate) mod rp;
