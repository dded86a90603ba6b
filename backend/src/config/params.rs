//! Validation of an integration's `[integration.params]` table: every 1C parameter name with the
//! values it allows. An invalid value stops the server with a message naming the integration, the
//! parameter, the value and what is allowed.

use crate::config::secret::Secret;
use protocol::IntegrationParams;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A parameter value as written in the TOML file (or environment): text, boolean or number.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(untagged)]
pub enum ParamValue {
    Text(String),
    Flag(bool),
    Number(i64),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(text) => write!(f, "{text:?}"),
            Self::Flag(flag) => write!(f, "{flag}"),
            Self::Number(number) => write!(f, "{number}"),
        }
    }
}

/// What a parameter accepts.
#[derive(Clone, Copy, Debug)]
enum Rule {
    Choice(&'static [&'static str]),
    Flag,
    Color,
    Language,
    Text { max_chars: usize },
    SignKey,
}

impl Rule {
    fn allowed(self) -> String {
        match self {
            Self::Choice(values) => values.join(", "),
            Self::Flag => "true, false".to_owned(),
            Self::Color => "a hex colour: #rgb or #rrggbb".to_owned(),
            Self::Language => {
                "a 2-letter ISO 639-1 code, optionally with a region (ru, en, ru_RU)".to_owned()
            }
            Self::Text { max_chars } => format!("text of at most {max_chars} characters"),
            Self::SignKey => "a non-empty secret string".to_owned(),
        }
    }

    /// The value as JSON for [`IntegrationParams`], or `None` when the rule refuses it.
    fn check(self, value: &ParamValue) -> Option<serde_json::Value> {
        let text = match value {
            ParamValue::Text(text) => text.as_str(),
            ParamValue::Flag(flag) => {
                return matches!(self, Self::Flag).then_some(serde_json::Value::Bool(*flag));
            }
            ParamValue::Number(number) => {
                let text = number.to_string();
                return match self {
                    Self::Choice(values) if values.contains(&text.as_str()) => Some(text.into()),
                    _ => None,
                };
            }
        };
        let accepted = match self {
            Self::Choice(values) => values.contains(&text),
            Self::Flag => {
                return match text {
                    "true" => Some(true.into()),
                    "false" => Some(false.into()),
                    _ => None,
                };
            }
            Self::Color => is_hex_color(text),
            Self::Language => is_language_code(text),
            Self::Text { max_chars } => text.chars().count() <= max_chars,
            Self::SignKey => !text.trim().is_empty(),
        };
        accepted.then(|| text.into())
    }
}

const SIGN_KEY: &str = "signKey";

/// Every parameter 1C defines, with its rule.
const RULES: &[(&str, Rule)] = &[
    ("languageCode", Rule::Language),
    ("colorTheme", Rule::Choice(&["auto", "light", "dark"])),
    ("titleText", Rule::Text { max_chars: 200 }),
    ("titleBackColor", Rule::Color),
    ("titleTextColor", Rule::Color),
    ("orientation", Rule::Choice(&["left", "bottom", "right"])),
    ("orientationPadding", Rule::Choice(&["0", "50", "100"])),
    (
        "mobileButtonOrientation",
        Rule::Choice(&["leftBottom", "rightBottom"]),
    ),
    ("displayUserPictures", Rule::Flag),
    (
        "allowVideoconferences",
        Rule::Choice(&["allowed", "allowedToWebChatOnly", "disallowed"]),
    ),
    (
        "defaultApplicationUserCameraState",
        Rule::Choice(&["on", "off"]),
    ),
    ("displayUnreadMessagesMark", Rule::Flag),
    ("displayCollapsedState", Rule::Flag),
    ("openChatOnNewMessage", Rule::Flag),
    (SIGN_KEY, Rule::SignKey),
];

/// Why an integration's parameters were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParamError {
    #[error(
        "integration '{integration}': parameter {param} = {value} is not allowed; allowed: {allowed}"
    )]
    Invalid {
        integration: String,
        param: String,
        value: String,
        allowed: String,
    },
    #[error("integration '{integration}': unknown parameter {param}; known parameters: {known}")]
    Unknown {
        integration: String,
        param: String,
        known: String,
    },
    #[error(
        "integration '{integration}': parameter languageCode is required (e.g. \"ru\" or \"en\")"
    )]
    MissingLanguage { integration: String },
}

/// The validated parameters and the signKey, kept apart because it is a secret.
#[derive(Debug, Clone)]
pub struct ValidParams {
    pub params: IntegrationParams,
    pub sign_key: Option<Secret>,
}

/// Checks every parameter of `integration` and fills 1C's defaults for the missing ones.
pub fn validate(
    integration: &str,
    raw: &BTreeMap<String, ParamValue>,
) -> Result<ValidParams, ParamError> {
    let mut json = serde_json::Map::new();
    let mut sign_key = None;
    for (name, value) in raw {
        let Some((_, rule)) = RULES.iter().find(|(known, _)| known == name) else {
            return Err(ParamError::Unknown {
                integration: integration.to_owned(),
                param: name.clone(),
                known: RULES
                    .iter()
                    .map(|(known, _)| *known)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let checked = rule.check(value).ok_or_else(|| ParamError::Invalid {
            integration: integration.to_owned(),
            param: name.clone(),
            value: if name == SIGN_KEY {
                "[redacted]".to_owned()
            } else {
                value.to_string()
            },
            allowed: rule.allowed(),
        })?;
        if name == SIGN_KEY {
            sign_key = checked.as_str().map(Secret::new);
        } else {
            json.insert(name.clone(), checked);
        }
    }
    if !json.contains_key("languageCode") {
        return Err(ParamError::MissingLanguage {
            integration: integration.to_owned(),
        });
    }
    let params = serde_json::from_value(serde_json::Value::Object(json))
        .expect("every value was checked against the rule of its parameter");
    Ok(ValidParams { params, sign_key })
}

fn is_hex_color(text: &str) -> bool {
    text.strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_language_code(text: &str) -> bool {
    let (language, region) = match text.split_once(['_', '-']) {
        Some((language, region)) => (language, Some(region)),
        None => (text, None),
    };
    language.len() == 2
        && language.chars().all(|c| c.is_ascii_alphabetic())
        && region.is_none_or(|r| r.len() == 2 && r.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::params::{ColorTheme, OrientationPadding};

    fn raw(pairs: &[(&str, ParamValue)]) -> BTreeMap<String, ParamValue> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect()
    }

    fn text(value: &str) -> ParamValue {
        ParamValue::Text(value.to_owned())
    }

    #[test]
    fn fills_1c_defaults() {
        let valid = validate("1", &raw(&[("languageCode", text("ru_RU"))])).unwrap();
        assert_eq!(valid.params, IntegrationParams::with_language("ru_RU"));
        assert!(valid.sign_key.is_none());
    }

    #[test]
    fn accepts_every_spelling_1c_uses() {
        let valid = validate(
            "1",
            &raw(&[
                ("languageCode", text("en")),
                ("colorTheme", text("dark")),
                ("orientationPadding", ParamValue::Number(0)),
                ("displayUserPictures", text("false")),
                ("openChatOnNewMessage", ParamValue::Flag(false)),
                ("titleBackColor", text("#abc")),
                ("signKey", text("s3cret")),
            ]),
        )
        .unwrap();
        assert_eq!(valid.params.color_theme, ColorTheme::Dark);
        assert_eq!(valid.params.orientation_padding, OrientationPadding::Start);
        assert!(!valid.params.display_user_pictures);
        assert!(!valid.params.open_chat_on_new_message);
        assert_eq!(valid.sign_key.unwrap().expose(), "s3cret");
    }

    #[test]
    fn names_integration_parameter_value_and_allowed_values() {
        let error = validate(
            "shop",
            &raw(&[("languageCode", text("ru")), ("colorTheme", text("blue"))]),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "integration 'shop': parameter colorTheme = \"blue\" is not allowed; allowed: auto, light, dark"
        );
    }

    #[test]
    fn refuses_bad_values_of_each_kind() {
        for (name, value) in [
            ("languageCode", text("russian")),
            ("titleTextColor", text("red; background:url(x)")),
            ("orientationPadding", ParamValue::Number(25)),
            ("displayCollapsedState", text("yes")),
            ("orientation", ParamValue::Flag(true)),
            ("titleText", text(&"x".repeat(201))),
        ] {
            let mut params = raw(&[("languageCode", text("en"))]);
            params.insert(name.to_owned(), value);
            let error = validate("1", &params).unwrap_err();
            assert!(
                matches!(&error, ParamError::Invalid { param, .. } if param == name),
                "{name}: {error}"
            );
        }
    }

    #[test]
    fn requires_language_and_knows_every_name() {
        assert_eq!(
            validate("1", &raw(&[])).unwrap_err(),
            ParamError::MissingLanguage {
                integration: "1".into()
            }
        );
        let error = validate(
            "1",
            &raw(&[("languageCode", text("en")), ("colourTheme", text("dark"))]),
        )
        .unwrap_err();
        assert!(error.to_string().contains("unknown parameter colourTheme"));
    }

    #[test]
    fn never_prints_a_sign_key() {
        let error = validate(
            "1",
            &raw(&[("languageCode", text("en")), ("signKey", text(""))]),
        )
        .unwrap_err();
        assert!(error.to_string().contains("[redacted]"));
    }
}
