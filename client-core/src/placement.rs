//! The classes on the widget's root element that the stylesheet keys on: colour theme and
//! placement from `colorTheme`, `orientation`, `orientationPadding` and
//! `mobileButtonOrientation`.

use protocol::IntegrationParams;
use protocol::params::{ColorTheme, MobileButtonOrientation, Orientation, OrientationPadding};

/// `cw-root cw-theme-… cw-at-… cw-pad-… cw-mobile-…` for these parameters.
pub fn root_classes(params: &IntegrationParams) -> String {
    let theme = match params.color_theme {
        ColorTheme::Auto => "auto",
        ColorTheme::Light => "light",
        ColorTheme::Dark => "dark",
    };
    let side = match params.orientation {
        Orientation::Left => "left",
        Orientation::Bottom => "bottom",
        Orientation::Right => "right",
    };
    let padding = match params.orientation_padding {
        OrientationPadding::Start => "0",
        OrientationPadding::Middle => "50",
        OrientationPadding::End => "100",
    };
    let mobile = match params.mobile_button_orientation {
        MobileButtonOrientation::LeftBottom => "left",
        MobileButtonOrientation::RightBottom => "right",
    };
    [
        "cw-root cw-theme-",
        theme,
        " cw-at-",
        side,
        " cw-pad-",
        padding,
        " cw-mobile-",
        mobile,
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::root_classes;
    use protocol::IntegrationParams;
    use protocol::params::{ColorTheme, Orientation, OrientationPadding};

    #[test]
    fn every_parameter_names_its_class() {
        let mut params = IntegrationParams::with_language("en");
        params.color_theme = ColorTheme::Dark;
        params.orientation = Orientation::Left;
        params.orientation_padding = OrientationPadding::End;
        assert_eq!(
            root_classes(&params),
            "cw-root cw-theme-dark cw-at-left cw-pad-100 cw-mobile-right"
        );
    }
}
