//! The trunk-built widget bundle in `widget_dir`: the content-hashed names of its JS glue and
//! WebAssembly module, read from the `index.html` trunk writes beside them.

use std::path::Path;

/// File names (relative to `/widget/`) of the built widget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub js: String,
    pub wasm: String,
}

impl Bundle {
    /// The bundle in `dir`, or `None` when the widget has not been built there.
    pub fn find(dir: &Path) -> Option<Self> {
        let index = std::fs::read_to_string(dir.join("index.html")).ok()?;
        let bundle = Self::from_index(&index)?;
        (dir.join(&bundle.js).is_file() && dir.join(&bundle.wasm).is_file()).then_some(bundle)
    }

    fn from_index(index: &str) -> Option<Self> {
        let referenced = |suffix: &str| {
            index
                .split(['"', '\''])
                .find(|part| part.ends_with(suffix) && !part.contains(char::is_whitespace))
                .map(|path| path.rsplit('/').next().unwrap_or(path).to_owned())
        };
        Some(Self {
            js: referenced(".js")?,
            wasm: referenced("_bg.wasm")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Bundle;

    #[test]
    fn reads_the_names_trunk_writes() {
        let index = r#"<link rel="modulepreload" href="/widget/widget-1a2b.js" crossorigin="anonymous">
            <link rel="preload" href="/widget/widget-1a2b_bg.wasm" as="fetch" type="application/wasm">
            <script type="module">import init from '/widget/widget-1a2b.js';</script>"#;
        assert_eq!(
            Bundle::from_index(index),
            Some(Bundle {
                js: "widget-1a2b.js".into(),
                wasm: "widget-1a2b_bg.wasm".into()
            })
        );
        assert_eq!(Bundle::from_index("<html></html>"), None);
    }
}
