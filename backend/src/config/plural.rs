//! Words that change with a number ("1 unread message", "3 unread messages"; Russian and Polish
//! have three forms, Arabic six): one form per plural category of Unicode CLDR, as a language
//! file writes them (`unread = { one = "…", other = "…" }`). The browser picks the category of
//! a number with `Intl.PluralRules`, which carries CLDR's rules for every language, so neither
//! the server nor the widget holds rules of their own.

use serde::Serialize;
use std::collections::BTreeMap;

/// CLDR's plural categories; `other` is the one every language has.
pub const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// A word's forms by plural category, `other` always among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PluralForms(BTreeMap<String, String>);

/// What is wrong with a word's forms.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormsError {
    #[error("a table of forms by plural category ({all}), not a single text", all = CATEGORIES.join(", "))]
    NotATable,
    #[error("`{0}` is no plural category; they are {all}", all = CATEGORIES.join(", "))]
    UnknownCategory(String),
    #[error("the form for `{0}` is not a text, or is empty")]
    EmptyForm(String),
    #[error("no form for `other`, the category every number falls back to")]
    NoOther,
}

impl PluralForms {
    /// The forms a language file gives as a TOML table.
    pub fn parse(value: &toml::Value) -> Result<Self, FormsError> {
        let table = value.as_table().ok_or(FormsError::NotATable)?;
        let mut forms = BTreeMap::new();
        for (category, form) in table {
            if !CATEGORIES.contains(&category.as_str()) {
                return Err(FormsError::UnknownCategory(category.clone()));
            }
            match form.as_str() {
                Some(text) if !text.trim().is_empty() => {
                    forms.insert(category.clone(), text.to_owned());
                }
                _ => return Err(FormsError::EmptyForm(category.clone())),
            }
        }
        if !forms.contains_key("other") {
            return Err(FormsError::NoOther);
        }
        Ok(Self(forms))
    }

    /// The form for `category`, or `other` when the language has none for it.
    pub fn form(&self, category: &str) -> &str {
        self.0
            .get(category)
            .unwrap_or_else(|| &self.0["other"])
            .as_str()
    }

    /// The categories this word has a form for.
    pub fn categories(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(text: &str) -> Result<PluralForms, FormsError> {
        let value: toml::Table = toml::from_str(text).expect("TOML");
        PluralForms::parse(&value["unread"])
    }

    #[test]
    fn forms_are_read_by_category_and_fall_back_to_other() {
        let russian = forms(
            r#"unread = { one = "сообщение", few = "сообщения", many = "сообщений", other = "сообщения" }"#,
        )
        .expect("forms");
        assert_eq!(russian.form("few"), "сообщения");
        assert_eq!(russian.form("many"), "сообщений");
        assert_eq!(
            russian.form("two"),
            "сообщения",
            "no `two`: the `other` form"
        );
        assert_eq!(
            russian.categories().collect::<Vec<_>>(),
            ["few", "many", "one", "other"]
        );
    }

    #[test]
    fn forms_without_other_unknown_categories_and_single_texts_are_refused() {
        assert_eq!(forms(r#"unread = "messages""#), Err(FormsError::NotATable));
        assert_eq!(
            forms(r#"unread = { one = "message" }"#),
            Err(FormsError::NoOther)
        );
        assert_eq!(
            forms(r#"unread = { several = "messages", other = "messages" }"#),
            Err(FormsError::UnknownCategory("several".into()))
        );
        assert_eq!(
            forms(r#"unread = { one = " ", other = "messages" }"#),
            Err(FormsError::EmptyForm("one".into()))
        );
    }
}
