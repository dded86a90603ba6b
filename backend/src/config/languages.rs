//! The languages the chat speaks: one TOML file per language in `backend/i18n/`, embedded in the
//! server, and the choice of one from an integration's `languageCode` as 1C writes it (`ru`,
//! `ru_RU`, `ru-RU`, in any case). The loader hands the widget only the chosen language's words,
//! so the widget's bundle grows with no language. A language the chat does not speak is English,
//! and [`UnsupportedLanguage`] is the warning the loader prints in the browser's console.

use super::plural::{FormsError, PluralForms};
use client_core::i18n::Words;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Every language's code (ISO 639-1, what 1C writes before any region) and file. English comes
/// first: it is the reference the others translate, and the fallback.
const FILES: [(&str, &str); 14] = [
    ("en", include_str!("../../i18n/en.toml")),
    ("ru", include_str!("../../i18n/ru.toml")),
    ("uk", include_str!("../../i18n/uk.toml")),
    ("be", include_str!("../../i18n/be.toml")),
    ("kk", include_str!("../../i18n/kk.toml")),
    ("uz", include_str!("../../i18n/uz.toml")),
    ("de", include_str!("../../i18n/de.toml")),
    ("fr", include_str!("../../i18n/fr.toml")),
    ("es", include_str!("../../i18n/es.toml")),
    ("it", include_str!("../../i18n/it.toml")),
    ("pl", include_str!("../../i18n/pl.toml")),
    ("tr", include_str!("../../i18n/tr.toml")),
    ("zh", include_str!("../../i18n/zh.toml")),
    ("ar", include_str!("../../i18n/ar.toml")),
];

/// Languages written right to left, for which the widget mirrors its layout (more than the chat
/// speaks today, so that adding one is adding its file).
const RIGHT_TO_LEFT: [&str; 5] = ["ar", "fa", "he", "ur", "yi"];

static LANGUAGES: LazyLock<Vec<Language>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(code, text)| {
            Language::parse(code, text)
                .unwrap_or_else(|error| panic!("backend/i18n/{code}.toml: {error}"))
        })
        .collect()
});

/// One language: what the widget shows, and what the server writes into conversations.
#[derive(Debug)]
pub struct Language {
    /// The ISO 639-1 code, the page's `lang`.
    pub code: &'static str,
    pub words: Words,
    /// After the count on the tab's unread badge ("3 unread messages"), by plural category.
    pub unread: PluralForms,
    /// `{name}` joined the conversation.
    pub member_joined: String,
    /// `{name}` left the conversation.
    pub member_left: String,
    /// `{name}` took the conversation.
    pub conversation_taken: String,
    /// `{name}` gave the conversation to `{to}`.
    pub conversation_assigned: String,
    /// `{name}` left the conversation unassigned.
    pub conversation_unassigned: String,
    /// `{name}` closed the conversation.
    pub conversation_closed: String,
    /// `{name}` reopened the conversation.
    pub conversation_reopened: String,
    /// What ends a stored message cut to fit a page of history.
    pub cut_marker: String,
}

/// What is wrong with a language file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("not TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("`{0}` is not a text")]
    NotText(String),
    #[error("`unread`: {0}")]
    Unread(#[from] FormsError),
    #[error("no `{0}`")]
    Missing(&'static str),
    #[error("`{0}` is no key of en.toml")]
    Unknown(String),
}

#[derive(Debug, thiserror::Error)]
#[error(
    "languageCode \"{code}\" names no language the chat speaks, so it speaks English; it speaks {supported}",
    supported = codes().collect::<Vec<_>>().join(", ")
)]
pub struct UnsupportedLanguage {
    code: String,
}

impl Language {
    /// A language file: every key of `en.toml`, no other. The files are embedded in the server
    /// and the tests read every one, so a broken file fails them rather than a running server.
    fn parse(code: &'static str, text: &str) -> Result<Self, FileError> {
        let mut table: toml::Table = toml::from_str(text)?;
        let unread = table.remove("unread").ok_or(FileError::Missing("unread"))?;
        let unread = PluralForms::parse(&unread)?;
        let mut values = BTreeMap::new();
        for (key, value) in table {
            match value {
                toml::Value::String(text) => values.insert(key, text),
                _ => return Err(FileError::NotText(key)),
            };
        }
        let mut take = |key: &'static str| values.remove(key).ok_or(FileError::Missing(key));
        let words = Words::from_keys(|key| take(key).ok()).map_err(FileError::Missing)?;
        let language = Self {
            code,
            words,
            unread,
            member_joined: take("member_joined")?,
            member_left: take("member_left")?,
            conversation_taken: take("conversation_taken")?,
            conversation_assigned: take("conversation_assigned")?,
            conversation_unassigned: take("conversation_unassigned")?,
            conversation_closed: take("conversation_closed")?,
            conversation_reopened: take("conversation_reopened")?,
            cut_marker: format!("\n… [{}]", take("message_shortened")?),
        };
        match values.into_keys().next() {
            Some(unknown) => Err(FileError::Unknown(unknown)),
            None => Ok(language),
        }
    }

    /// The HTML `dir` of text in this language.
    pub fn direction(&self) -> &'static str {
        if RIGHT_TO_LEFT.contains(&self.code) {
            "rtl"
        } else {
            "ltr"
        }
    }
}

/// The language `language_code` names: its part before any `_` or `-` region, in any case.
pub fn find(language_code: &str) -> Result<&'static Language, UnsupportedLanguage> {
    let language = language_code.split(['_', '-']).next().unwrap_or_default();
    LANGUAGES
        .iter()
        .find(|known| known.code.eq_ignore_ascii_case(language))
        .ok_or_else(|| UnsupportedLanguage {
            code: language_code.to_owned(),
        })
}

/// The language `language_code` names, or English when the chat does not speak it.
pub fn pick(language_code: &str) -> &'static Language {
    find(language_code).unwrap_or_else(|_| english())
}

pub fn english() -> &'static Language {
    &LANGUAGES[0]
}

/// The codes of the languages the chat speaks.
pub fn codes() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|&(code, _)| code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn table(code: &str, text: &str) -> toml::Table {
        toml::from_str(text).unwrap_or_else(|error| panic!("{code}: {error}"))
    }

    /// `{name}`-style placeholders of a value.
    fn placeholders(value: &str) -> BTreeSet<&str> {
        value
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn every_language_has_every_key_of_english_and_nothing_else() {
        let english = table("en", FILES[0].1);
        for &(code, text) in &FILES {
            let language = table(code, text);
            assert_eq!(
                language.keys().collect::<Vec<_>>(),
                english.keys().collect::<Vec<_>>(),
                "{code}.toml's keys"
            );
            for (key, value) in &language {
                if key == "unread" {
                    continue; // forms by plural category, checked by `Language::parse`
                }
                let value = value.as_str().unwrap_or_default();
                assert!(!value.trim().is_empty(), "{code}.toml: {key} is empty");
                let reference = english[key].as_str().unwrap_or_default();
                assert_eq!(
                    placeholders(value),
                    placeholders(reference),
                    "{code}.toml: {key} keeps English's placeholders"
                );
            }
            if let Err(error) = Language::parse(code, text) {
                panic!("{code}.toml: {error}");
            }
        }
    }

    #[test]
    fn a_file_with_a_key_missing_or_one_too_many_is_refused() {
        let english = FILES[0].1;
        let without_send: String = english
            .lines()
            .filter(|line| !line.starts_with("send ="))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(matches!(
            Language::parse("en", &without_send),
            Err(FileError::Missing("send"))
        ));
        let with_more = format!("{english}\nsend_all = \"Send all\"\n");
        assert!(matches!(
            Language::parse("en", &with_more),
            Err(FileError::Unknown(key)) if key == "send_all"
        ));
    }

    #[test]
    fn every_file_in_the_folder_is_a_language_the_server_embeds() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/i18n");
        let files: BTreeSet<String> = std::fs::read_dir(folder)
            .expect("backend/i18n")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into()
            })
            .collect();
        let embedded: BTreeSet<String> = codes().map(|code| format!("{code}.toml")).collect();
        assert_eq!(files, embedded);
    }

    #[test]
    fn language_codes_as_1c_writes_them_pick_their_language() {
        for (code, language) in [
            ("ru", "ru"),
            ("ru_RU", "ru"),
            ("ru-RU", "ru"),
            ("RU", "ru"),
            ("en_US", "en"),
            ("Uk_UA", "uk"),
            ("zh-CN", "zh"),
            ("ar_SA", "ar"),
        ] {
            assert_eq!(find(code).map(|found| found.code).ok(), Some(language));
        }
        assert_eq!(pick("ar").direction(), "rtl");
        assert_eq!(pick("de").direction(), "ltr");
    }

    #[test]
    fn an_unknown_language_is_english_with_a_warning_naming_it_and_the_supported_ones() {
        for code in ["xx", "xx_YY", "", "r"] {
            assert!(find(code).is_err(), "{code}");
            assert_eq!(pick(code).code, "en");
        }
        let warning = find("xx_YY").expect_err("unknown").to_string();
        assert!(warning.contains("\"xx_YY\""), "{warning}");
        assert!(
            warning.ends_with("en, ru, uk, be, kk, uz, de, fr, es, it, pl, tr, zh, ar"),
            "{warning}"
        );
    }
}
