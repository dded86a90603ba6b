//! The integration parameters of the 1C web chat, with the same names, values and defaults. The
//! backend validates them at start and bakes them into the loader script; `signKey` is a secret
//! and never part of this type.

use serde::{Deserialize, Serialize};

/// Colour scheme of the chat; `auto` follows the visitor's `prefers-color-scheme`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ColorTheme {
    #[default]
    Auto,
    Light,
    Dark,
}

/// The page edge the collapsed chat sits on.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Orientation {
    Left,
    #[default]
    Bottom,
    Right,
}

/// Position along the edge: for `bottom` left / centre / right, for `left`/`right` bottom /
/// centre / top.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrientationPadding {
    #[serde(rename = "0")]
    Start,
    #[serde(rename = "50")]
    Middle,
    #[default]
    #[serde(rename = "100")]
    End,
}

/// Corner of the round chat button on phones.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum MobileButtonOrientation {
    LeftBottom,
    #[default]
    RightBottom,
}

/// Whether visitors may start video calls.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum AllowVideoconferences {
    #[default]
    Allowed,
    AllowedToWebChatOnly,
    Disallowed,
}

/// Camera state when a call starts.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum CameraState {
    #[default]
    On,
    Off,
}

/// Validated integration parameters, as baked into the loader script.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationParams {
    pub language_code: String,
    #[serde(default)]
    pub color_theme: ColorTheme,
    #[serde(default)]
    pub title_text: String,
    #[serde(default = "default_title_back_color")]
    pub title_back_color: String,
    #[serde(default = "default_title_text_color")]
    pub title_text_color: String,
    #[serde(default)]
    pub orientation: Orientation,
    #[serde(default)]
    pub orientation_padding: OrientationPadding,
    #[serde(default)]
    pub mobile_button_orientation: MobileButtonOrientation,
    #[serde(default = "yes")]
    pub display_user_pictures: bool,
    #[serde(default)]
    pub allow_videoconferences: AllowVideoconferences,
    #[serde(default)]
    pub default_application_user_camera_state: CameraState,
    #[serde(default = "yes")]
    pub display_unread_messages_mark: bool,
    #[serde(default = "yes")]
    pub display_collapsed_state: bool,
    #[serde(default = "yes")]
    pub open_chat_on_new_message: bool,
}

/// 1C's default header background.
pub const DEFAULT_TITLE_BACK_COLOR: &str = "#FBEDE9";
/// 1C's default header text colour.
pub const DEFAULT_TITLE_TEXT_COLOR: &str = "#333333";

fn default_title_back_color() -> String {
    DEFAULT_TITLE_BACK_COLOR.to_owned()
}

fn default_title_text_color() -> String {
    DEFAULT_TITLE_TEXT_COLOR.to_owned()
}

fn yes() -> bool {
    true
}

impl IntegrationParams {
    /// The parameters 1C uses when only `languageCode` is given.
    pub fn with_language(language_code: impl Into<String>) -> Self {
        Self {
            language_code: language_code.into(),
            color_theme: ColorTheme::default(),
            title_text: String::new(),
            title_back_color: default_title_back_color(),
            title_text_color: default_title_text_color(),
            orientation: Orientation::default(),
            orientation_padding: OrientationPadding::default(),
            mobile_button_orientation: MobileButtonOrientation::default(),
            display_user_pictures: true,
            allow_videoconferences: AllowVideoconferences::default(),
            default_application_user_camera_state: CameraState::default(),
            display_unread_messages_mark: true,
            display_collapsed_state: true,
            open_chat_on_new_message: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roundtrip::assert_roundtrip;
    use serde_json::json;

    #[test]
    fn only_language_code_gives_1c_defaults() {
        let parsed: IntegrationParams =
            serde_json::from_value(json!({"languageCode": "ru"})).unwrap();
        assert_eq!(parsed, IntegrationParams::with_language("ru"));
        assert_roundtrip(
            &parsed,
            json!({"languageCode": "ru", "colorTheme": "auto", "titleText": "",
                   "titleBackColor": "#FBEDE9", "titleTextColor": "#333333",
                   "orientation": "bottom", "orientationPadding": "100",
                   "mobileButtonOrientation": "rightBottom", "displayUserPictures": true,
                   "allowVideoconferences": "allowed", "defaultApplicationUserCameraState": "on",
                   "displayUnreadMessagesMark": true, "displayCollapsedState": true,
                   "openChatOnNewMessage": true}),
        );
    }

    #[test]
    fn every_choice_has_its_1c_spelling() {
        assert_roundtrip(&ColorTheme::Dark, json!("dark"));
        assert_roundtrip(&Orientation::Left, json!("left"));
        assert_roundtrip(&OrientationPadding::Start, json!("0"));
        assert_roundtrip(&OrientationPadding::Middle, json!("50"));
        assert_roundtrip(&MobileButtonOrientation::LeftBottom, json!("leftBottom"));
        assert_roundtrip(
            &AllowVideoconferences::AllowedToWebChatOnly,
            json!("allowedToWebChatOnly"),
        );
        assert_roundtrip(&CameraState::Off, json!("off"));
    }
}
