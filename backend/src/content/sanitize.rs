//! Sanitizing of `text/html` messages with the allow-list of the 1C web chat: a few inline
//! elements, `style` with seven text properties, `href` only as an absolute http(s) or mailto
//! URL. Everything else is removed before a message is stored or forwarded.

use ammonia::{Builder, UrlRelative};
use protocol::html::{ALLOWED_ELEMENTS, ALLOWED_STYLE_PROPERTIES, ALLOWED_URL_SCHEMES};
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

/// Pieces of a CSS value that can fetch or run something; a declaration holding one is dropped.
const UNSAFE_IN_STYLE: &[&str] = &[
    "url(",
    "expression(",
    "javascript:",
    "@import",
    "\\",
    "/*",
    "<",
];

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(ALLOWED_ELEMENTS.iter().copied().collect())
        .generic_attributes(HashSet::from(["style"]))
        .add_tag_attributes("a", ["href"])
        .url_schemes(ALLOWED_URL_SCHEMES.iter().copied().collect())
        // A relative link resolves against whatever page shows it: `/logout` acts on the
        // operator's own application in 1C, `//evil.example/x` leaves for another host.
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"))
        .filter_style_properties(ALLOWED_STYLE_PROPERTIES.iter().copied().collect())
        .attribute_filter(|_element, attribute, value| match attribute {
            "style" => Some(Cow::Owned(safe_declarations(value))),
            _ => Some(Cow::Borrowed(value)),
        });
    builder
});

/// The allowed part of `html`, as HTML.
pub fn sanitize_html(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

fn safe_declarations(style: &str) -> String {
    style
        .split(';')
        .filter(|declaration| {
            let lower = declaration.to_ascii_lowercase();
            !declaration.trim().is_empty()
                && !UNSAFE_IN_STYLE
                    .iter()
                    .any(|unsafe_part| lower.contains(unsafe_part))
        })
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::sanitize_html;

    #[test]
    fn keeps_the_allowed_elements_and_styles() {
        assert_eq!(
            sanitize_html(r#"<b>bold</b> <span style="color: red; position: fixed">red</span>"#),
            r#"<b>bold</b> <span style="color:red">red</span>"#
        );
        assert_eq!(
            sanitize_html(r#"<a href="https://example.com/x">x</a>"#),
            r#"<a href="https://example.com/x" rel="noopener noreferrer nofollow">x</a>"#
        );
    }

    #[test]
    fn removes_everything_active() {
        for (dirty, clean) in [
            ("<script>alert(1)</script>hi", "hi"),
            (r#"<img src=x onerror="alert(1)">"#, ""),
            (
                r#"<a href="javascript:alert(1)">x</a>"#,
                r#"<a rel="noopener noreferrer nofollow">x</a>"#,
            ),
            (r#"<b onclick="alert(1)">x</b>"#, "<b>x</b>"),
            (
                r#"<span style="color: expression(alert(1))">x</span>"#,
                r#"<span style="">x</span>"#,
            ),
            (
                r#"<span style="background-color: url(http://evil/x)">x</span>"#,
                r#"<span style="">x</span>"#,
            ),
            (r#"<iframe src="https://evil"></iframe>ok"#, "ok"),
            (r#"<svg><script>alert(1)</script></svg>"#, ""),
        ] {
            assert_eq!(sanitize_html(dirty), clean, "{dirty}");
        }
    }

    #[test]
    fn keeps_only_absolute_links() {
        let bare = r#"<a rel="noopener noreferrer nofollow">x</a>"#;
        for dirty in [
            r#"<a href="//evil.example/x">x</a>"#,
            r#"<a href="/logout">x</a>"#,
            r#"<a href="logout">x</a>"#,
            r#"<a href="../admin">x</a>"#,
            r#"<a href="?next=/admin">x</a>"#,
            r#"<a href="\\evil.example\x">x</a>"#,
            r#"<a href=" //evil.example/x">x</a>"#,
        ] {
            assert_eq!(sanitize_html(dirty), bare, "{dirty}");
        }
        for (dirty, clean) in [
            (
                r#"<a href="mailto:help@shop.example">x</a>"#,
                r#"<a href="mailto:help@shop.example" rel="noopener noreferrer nofollow">x</a>"#,
            ),
            (
                r#"<a href="http://shop.example/">x</a>"#,
                r#"<a href="http://shop.example/" rel="noopener noreferrer nofollow">x</a>"#,
            ),
        ] {
            assert_eq!(sanitize_html(dirty), clean, "{dirty}");
        }
    }
}
