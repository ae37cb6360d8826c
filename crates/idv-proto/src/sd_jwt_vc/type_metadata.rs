//! SD-JWT VC Type Metadata documents (draft-ietf-oauth-sd-jwt-vc "SD-JWT VC Type Metadata"):
//! what a credential type (`vct`) is called, how it is displayed, and per claim its label,
//! whether it is `mandatory` and whether it is selectively disclosable (`sd`).
//!
//! Served as `application/json`. Members this crate does not know are ignored, as the draft
//! requires ("Type Metadata Format"); the structure of the known ones is enforced by serde
//! (a `display` entry without `locale`, a claim without `path`, an unknown `sd` value fail to
//! parse). Processing (integrity, `extends`, validating a credential) lives in `idv-sdjwt`.

use serde::{Deserialize, Serialize};

use crate::claims_path::ClaimsPath;

/// Media type of a Type Metadata document ("From a URL in the `vct` Claim").
pub const TYPE_METADATA_MEDIA_TYPE: &str = "application/json";

/// A Type Metadata document ("Type Metadata Format").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeMetadata {
    /// The type described; a credential's `vct` must equal it.
    pub vct: String,
    /// A name for developers reading the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A description for developers reading the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The type this one extends ("Extending Type Metadata").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Integrity metadata (W3C SRI) of the extended type's document.
    #[serde(
        rename = "extends#integrity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub extends_integrity: Option<String>,
    /// Display information for the type, one entry per locale ("Display Metadata").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<TypeDisplay>>,
    /// Per-claim information ("Claim Metadata").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimMetadata>>,
}

/// One locale's display information for the type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDisplay {
    /// An RFC 5646 language tag.
    pub locale: String,
    /// The type's name for end users.
    pub name: String,
    /// A description for end users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How to render a credential of the type ("Rendering Metadata").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendering: Option<Rendering>,
}

/// Rendering information, one member per rendering method (others are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendering {
    /// The `simple` rendering method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simple: Option<SimpleRendering>,
    /// The `svg_templates` rendering method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg_templates: Option<Vec<SvgTemplate>>,
}

/// Rendering method `simple`, for applications without SVG rendering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleRendering {
    /// The logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// The background image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_image: Option<BackgroundImage>,
    /// CSS RGB colour of the background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// CSS RGB colour of the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
}

/// A resource a Type Metadata document links to (a logo, a background image, an SVG
/// template): its `uri` and, optionally, `uri#integrity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedResource {
    /// An HTTPS URL or `data:` URI of the resource.
    pub uri: String,
    /// Integrity metadata (W3C SRI) of the resource.
    #[serde(
        rename = "uri#integrity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub uri_integrity: Option<String>,
}

/// A logo ("Logo Metadata").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logo {
    /// The image.
    #[serde(flatten)]
    pub image: LinkedResource,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// A background image ("Background Image Metadata").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackgroundImage {
    /// The image.
    #[serde(flatten)]
    pub image: LinkedResource,
}

/// An SVG template (rendering method `svg_templates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SvgTemplate {
    /// The template.
    #[serde(flatten)]
    pub template: LinkedResource,
    /// What the template is optimised for; required when there is more than one template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<SvgTemplateProperties>,
}

/// "SVG Template Properties": at least one member must be present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SvgTemplateProperties {
    /// `portrait` or `landscape`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<Orientation>,
    /// `light` or `dark`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color_scheme: Option<ColorScheme>,
    /// `normal` or `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contrast: Option<Contrast>,
}

/// An SVG template's orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// Taller than wide.
    Portrait,
    /// Wider than tall.
    Landscape,
}

/// An SVG template's colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColorScheme {
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// An SVG template's contrast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contrast {
    /// Normal contrast.
    Normal,
    /// High contrast.
    High,
}

/// Metadata of the claim(s) a `path` selects ("Claim Metadata").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimMetadata {
    /// The claim(s) addressed, as if every selectively disclosable claim were disclosed.
    pub path: ClaimsPath,
    /// Display information, one entry per locale ("Claim Display Metadata").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<ClaimDisplay>>,
    /// Whether the issuer must include the claim (absent: `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    /// Whether the claim is selectively disclosable (absent: `allowed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd: Option<SelectiveDisclosure>,
    /// The claim's placeholder in SVG templates: alphanumerics and underscores, not starting
    /// with a digit, unique within the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg_id: Option<String>,
}

impl ClaimMetadata {
    /// `mandatory`, defaulting to `false`.
    pub fn is_mandatory(&self) -> bool {
        self.mandatory.unwrap_or(false)
    }

    /// `sd`, defaulting to [`SelectiveDisclosure::Allowed`].
    pub fn selective_disclosure(&self) -> SelectiveDisclosure {
        self.sd.unwrap_or(SelectiveDisclosure::Allowed)
    }
}

/// One locale's label of a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimDisplay {
    /// An RFC 5646 language tag.
    pub locale: String,
    /// The claim's label for end users.
    pub label: String,
    /// A description for end users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `sd` of a claim ("Claim Selective Disclosure Metadata").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectiveDisclosure {
    /// The issuer must make the claim selectively disclosable.
    Always,
    /// The issuer may make the claim selectively disclosable.
    Allowed,
    /// The issuer must not make the claim selectively disclosable.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The draft's "Example Type Metadata", abridged to one locale.
    fn example() -> serde_json::Value {
        json!({
            "vct": "https://betelgeuse.example.com/education_credential/v42",
            "name": "Betelgeuse Education Credential - First Version",
            "description": "This is our first version of the education credential. Don't panic.",
            "extends": "https://galaxy.example.com/galactic-education-credential/v2",
            "extends#integrity": "sha256-ilOUJsTultOwLfz7QUcFALaRa3BP/jelX1ds04kB9yU=",
            "display": [{
                "locale": "en-US",
                "name": "Betelgeuse Education Credential",
                "description": "Education credential for all carbon-based life forms on Betelgeuse.",
                "rendering": {
                    "simple": {
                        "logo": {
                            "uri": "https://betelgeuse.example.com/public/education-logo.png",
                            "uri#integrity": "sha256-LmXfh+9cLlJNXN+TsMk+PmKjZ5t0WRL5ca/xGgX3c1U=",
                            "alt_text": "Betelgeuse Ministry of Education logo"
                        },
                        "background_image": {
                            "uri": "https://betelgeuse.example.com/public/cred-background.png",
                            "uri#integrity": "sha256-5sBT7mMLylHLWrrS/qQ8aHpRAxoraWVmWX6eUVMlrrA="
                        },
                        "background_color": "#12107c",
                        "text_color": "#FFFFFF"
                    },
                    "svg_templates": [{
                        "uri": "https://betelgeuse.example.com/public/credential-english.svg",
                        "uri#integrity": "sha256-I4JcBGO7UfrkOBrsV7ytNJAfGuKLQh+e+Z31mc7iAb4=",
                        "properties": {
                            "orientation": "landscape",
                            "color_scheme": "light",
                            "contrast": "high"
                        }
                    }]
                }
            }],
            "claims": [
                {
                    "path": ["name"],
                    "display": [{"locale": "en-US", "label": "Name", "description": "The name of the student"}],
                    "sd": "always",
                    "mandatory": true
                },
                {
                    "path": ["address", "street_address"],
                    "display": [{"locale": "en-US", "label": "Street Address"}],
                    "sd": "always",
                    "svg_id": "address_street_address"
                },
                {"path": ["degrees"], "sd": "never"},
                {"path": ["degrees", null], "sd": "always"}
            ]
        })
    }

    #[test]
    fn the_drafts_example_round_trips() {
        let metadata: TypeMetadata = serde_json::from_value(example()).unwrap();
        let claims = metadata.claims.as_ref().unwrap();
        assert!(claims[0].is_mandatory());
        assert_eq!(claims[1].svg_id.as_deref(), Some("address_street_address"));
        assert_eq!(claims[2].selective_disclosure(), SelectiveDisclosure::Never);
        assert_eq!(serde_json::to_value(&metadata).unwrap(), example());
    }

    #[test]
    fn defaults_and_unknown_members() {
        let metadata: TypeMetadata = serde_json::from_value(json!({
            "vct": "urn:example:1",
            "claims": [{"path": ["a"]}],
            "schema_uri": "https://example.com/ignored",
            "future": {"anything": true}
        }))
        .unwrap();
        let claim = &metadata.claims.unwrap()[0];
        assert!(!claim.is_mandatory());
        assert_eq!(claim.selective_disclosure(), SelectiveDisclosure::Allowed);
    }

    #[test]
    fn malformed_known_members_are_rejected() {
        for bad in [
            json!({"claims": []}),
            json!({"vct": "v", "claims": [{"path": []}]}),
            json!({"vct": "v", "claims": [{"path": ["a"], "sd": "sometimes"}]}),
            json!({"vct": "v", "claims": [{"path": ["a"], "display": [{"label": "A"}]}]}),
            json!({"vct": "v", "display": [{"locale": "en"}]}),
            json!({"vct": "v", "claims": [{"path": ["a"], "mandatory": "yes"}]}),
        ] {
            assert!(
                serde_json::from_value::<TypeMetadata>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
