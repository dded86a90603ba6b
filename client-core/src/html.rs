//! Reads `text/html` message text into a tree of allowed nodes, so the widget builds DOM nodes
//! itself and never hands server text to `innerHTML`. The server sanitizes already; this is the
//! second line: the same allow-list (`protocol::html`: elements `a b big font i li ol s small
//! span strike strong u ul br`, `style` with a few properties, `href` only http(s) and mailto).
//! Disallowed tags are dropped and their text kept, except `script` and `style`, whose content is dropped too.

use protocol::html::{
    ALLOWED_ELEMENTS as ELEMENTS, ALLOWED_STYLE_PROPERTIES as STYLE_PROPERTIES, ALLOWED_URL_SCHEMES,
};

const RAW_TEXT_ELEMENTS: &[&str] = &["script", "style", "textarea", "title"];

/// A node the widget may build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Text(String),
    Element(Element),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// One of the allowed element names.
    pub tag: &'static str,
    /// For `a` only, and only with an allowed scheme.
    pub href: Option<String>,
    /// Allowed CSS properties and their values.
    pub style: Vec<(&'static str, String)>,
    pub children: Vec<Node>,
}

/// Parses `html` into allowed nodes.
pub fn parse(html: &str) -> Vec<Node> {
    let mut tree = Tree::default();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(start) = rest.find('<') else {
            tree.text(rest);
            break;
        };
        tree.text(&rest[..start]);
        rest = &rest[start..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(end) = tag_end(rest) else {
            tree.text(rest);
            break;
        };
        let tag = Tag::read(&rest[1..end]);
        rest = &rest[end + 1..];
        match tag {
            Tag::Close(name) => tree.close(&name),
            Tag::Open { name, attributes } => {
                if RAW_TEXT_ELEMENTS.contains(&name.as_str()) {
                    rest = skip_raw_text(rest, &name);
                } else if let Some(tag) = ELEMENTS.iter().find(|allowed| **allowed == name) {
                    tree.open(tag, &attributes);
                }
            }
            Tag::Other => {}
        }
    }
    tree.finish()
}

/// The index of the `>` ending the tag at the start of `text`, outside quoted values.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote = None;
    for (index, character) in text.char_indices().skip(1) {
        match (quote, character) {
            (None, '"' | '\'') => quote = Some(character),
            (Some(open), _) if open == character => quote = None,
            (None, '>') => return Some(index),
            _ => {}
        }
    }
    None
}

fn skip_raw_text<'a>(text: &'a str, name: &str) -> &'a str {
    let closing = format!("</{name}");
    let lower = text.to_ascii_lowercase();
    match lower.find(&closing) {
        Some(at) => text[at..].find('>').map_or("", |end| &text[at + end + 1..]),
        None => "",
    }
}

enum Tag {
    Open {
        name: String,
        attributes: Vec<(String, String)>,
    },
    Close(String),
    Other,
}

impl Tag {
    /// `inside` is the text between `<` and `>`.
    fn read(inside: &str) -> Self {
        if let Some(name) = inside.strip_prefix('/') {
            return Self::Close(name.trim().to_ascii_lowercase());
        }
        let inside = inside.strip_suffix('/').unwrap_or(inside);
        let name_end = inside
            .find(|c: char| c.is_whitespace())
            .unwrap_or(inside.len());
        let name = inside[..name_end].to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Self::Other;
        }
        Self::Open {
            name,
            attributes: attributes(&inside[name_end..]),
        }
    }
}

fn attributes(mut text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    loop {
        text = text.trim_start();
        let name_end = text
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(text.len());
        if name_end == 0 {
            return found;
        }
        let name = text[..name_end].to_ascii_lowercase();
        text = text[name_end..].trim_start();
        let Some(after_equals) = text.strip_prefix('=') else {
            found.push((name, String::new()));
            continue;
        };
        let after_equals = after_equals.trim_start();
        let (value, rest) = match after_equals.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let body = &after_equals[1..];
                let end = body.find(quote).unwrap_or(body.len());
                (&body[..end], body.get(end + 1..).unwrap_or(""))
            }
            _ => {
                let end = after_equals
                    .find(char::is_whitespace)
                    .unwrap_or(after_equals.len());
                (&after_equals[..end], &after_equals[end..])
            }
        };
        found.push((name, decode_entities(value)));
        text = rest;
    }
}

fn allowed_href(href: &str) -> Option<String> {
    let lower = href.trim().to_ascii_lowercase();
    lower
        .split_once(':')
        .is_some_and(|(scheme, _)| ALLOWED_URL_SCHEMES.contains(&scheme))
        .then(|| href.trim().to_owned())
}

fn allowed_style(style: &str) -> Vec<(&'static str, String)> {
    style
        .split(';')
        .filter_map(|declaration| {
            let (name, value) = declaration.split_once(':')?;
            let name = name.trim().to_ascii_lowercase();
            let property = STYLE_PROPERTIES.iter().find(|allowed| **allowed == name)?;
            let value = value.trim();
            let lower = value.to_ascii_lowercase();
            let risky = ["url(", "expression", "\\", "<", "@"]
                .iter()
                .any(|word| lower.contains(word));
            (!risky && !value.is_empty()).then(|| (*property, value.to_owned()))
        })
        .collect()
}

/// Decodes the character references message text uses; unknown ones stay as written.
fn decode_entities(text: &str) -> String {
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        decoded.push_str(&rest[..start]);
        rest = &rest[start..];
        let reference = rest[1..]
            .find(';')
            .filter(|end| *end <= 10)
            .and_then(|end| Some((character(&rest[1..=end])?, end + 2)));
        match reference {
            Some((character, length)) => {
                decoded.push(character);
                rest = &rest[length..];
            }
            None => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded
}

fn character(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => return None,
    })
}

/// Open elements while parsing; the bottom one is the root.
#[derive(Default)]
struct Tree {
    open: Vec<Element>,
    root: Vec<Node>,
}

impl Tree {
    fn children(&mut self) -> &mut Vec<Node> {
        match self.open.last_mut() {
            Some(element) => &mut element.children,
            None => &mut self.root,
        }
    }

    fn text(&mut self, text: &str) {
        if !text.is_empty() {
            let text = decode_entities(text);
            self.children().push(Node::Text(text));
        }
    }

    fn open(&mut self, tag: &'static str, attributes: &[(String, String)]) {
        let value = |wanted: &str| {
            attributes
                .iter()
                .find(|(name, _)| name == wanted)
                .map(|(_, value)| value.as_str())
        };
        let element = Element {
            tag,
            href: value("href").filter(|_| tag == "a").and_then(allowed_href),
            style: value("style").map(allowed_style).unwrap_or_default(),
            children: Vec::new(),
        };
        if tag == "br" {
            self.children().push(Node::Element(element));
        } else {
            self.open.push(element);
        }
    }

    fn close(&mut self, name: &str) {
        if let Some(index) = self.open.iter().rposition(|element| element.tag == name) {
            while self.open.len() > index {
                self.close_last();
            }
        }
    }

    fn close_last(&mut self) {
        if let Some(element) = self.open.pop() {
            self.children().push(Node::Element(element));
        }
    }

    fn finish(mut self) -> Vec<Node> {
        while !self.open.is_empty() {
            self.close_last();
        }
        self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(text: &str) -> Node {
        Node::Text(text.into())
    }

    fn element(tag: &'static str, children: Vec<Node>) -> Node {
        Node::Element(Element {
            tag,
            href: None,
            style: Vec::new(),
            children,
        })
    }

    #[test]
    fn allowed_elements_nest() {
        assert_eq!(
            parse("a <b>bold <i>both</i></b> &amp; <br>end"),
            [
                text("a "),
                element("b", vec![text("bold "), element("i", vec![text("both")])]),
                text(" & "),
                element("br", vec![]),
                text("end"),
            ]
        );
    }

    #[test]
    fn scripts_and_handlers_are_dropped() {
        assert_eq!(
            parse("<img src=x onerror=\"alert(1)\"><script>alert(2)</script><b onclick=x>ok</b>"),
            [element("b", vec![text("ok")])]
        );
        assert_eq!(
            parse("<div><iframe src=//evil>hi</iframe></div>"),
            [text("hi")]
        );
        assert_eq!(parse("<!-- <b>x</b> -->after"), [text("after")]);
    }

    #[test]
    fn links_keep_only_safe_schemes() {
        let [Node::Element(safe), Node::Element(unsafe_link)] = &parse(
            "<a href='https://shop.example/?a=1&amp;b=2'>s</a><a href=\" javascript:alert(1)\">j</a>",
        )[..] else {
            panic!("two links expected");
        };
        assert_eq!(safe.href.as_deref(), Some("https://shop.example/?a=1&b=2"));
        assert_eq!(unsafe_link.href, None);
    }

    #[test]
    fn styles_keep_only_allowed_properties() {
        let [Node::Element(span)] = &parse(
            "<span style=\"color: red; position: fixed; background-color: url(x); font-weight:bold\">t</span>",
        )[..] else {
            panic!("one span expected");
        };
        assert_eq!(
            span.style,
            [
                ("color", "red".to_owned()),
                ("font-weight", "bold".to_owned())
            ]
        );
    }

    #[test]
    fn broken_markup_stays_text_or_closes() {
        assert_eq!(parse("1 < 2"), [text("1 "), text("< 2")]);
        assert_eq!(
            parse("<b>open <u>nested</b> after"),
            [
                element("b", vec![text("open "), element("u", vec![text("nested")])]),
                text(" after"),
            ]
        );
        assert_eq!(parse("&#60;b&#x3E; &unknown; &"), [text("<b> &unknown; &")]);
    }
}
