//! What `text/html` message text may contain, as the 1C web chat defines it: the elements, the
//! CSS properties of their `style` attribute, and the schemes of an `a` element's `href`. The
//! server sanitizes to this list before storing; the widget builds only these nodes.

/// Elements that may appear.
pub const ALLOWED_ELEMENTS: &[&str] = &[
    "a", "b", "big", "br", "font", "i", "li", "ol", "s", "small", "span", "strike", "strong", "u",
    "ul",
];

/// Properties a `style` attribute may set.
pub const ALLOWED_STYLE_PROPERTIES: &[&str] = &[
    "background-color",
    "color",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "text-decoration",
];

/// Schemes an `href` may use.
pub const ALLOWED_URL_SCHEMES: &[&str] = &["http", "https", "mailto"];
