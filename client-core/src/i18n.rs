//! The widget's words in Russian and English, picked from `languageCode` (`ru`, `ru_RU`, `ru-RU`
//! give Russian; anything else English). The server uses them too, for the collapsed tab its
//! loader script draws.

use protocol::IntegrationParams;

#[derive(Debug)]
pub struct Strings {
    pub lang: &'static str,
    pub default_title: &'static str,
    pub open_chat: &'static str,
    pub close_chat: &'static str,
    pub unread: &'static str,
    pub log_label: &'static str,
    pub message_label: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub you: &'static str,
    pub operator: &'static str,
    pub sending: &'static str,
    /// A message held back by the server's rate limit, sent again by itself.
    pub waiting: &'static str,
    pub sent: &'static str,
    pub failed: &'static str,
    pub retry: &'static str,
    pub connecting: &'static str,
    pub offline: &'static str,
    pub contact_button: &'static str,
    pub contact_title: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub save: &'static str,
    pub empty: &'static str,
    /// The control above the log that fetches older pages of the conversation.
    pub load_earlier: &'static str,
}

const EN: Strings = Strings {
    lang: "en",
    default_title: "Chat with us",
    open_chat: "Open chat",
    close_chat: "Close chat",
    unread: "unread messages",
    log_label: "Messages",
    message_label: "Your message",
    placeholder: "Type a message…",
    send: "Send",
    you: "You",
    operator: "Operator",
    sending: "sending",
    waiting: "waiting",
    sent: "sent",
    failed: "not sent",
    retry: "Retry",
    connecting: "Connecting…",
    offline: "No connection: your messages will be sent when it is back.",
    contact_button: "Contact details",
    contact_title: "How can we reach you?",
    name: "Name",
    email: "Email",
    phone: "Phone",
    save: "Save",
    empty: "Ask us anything: we will answer here.",
    load_earlier: "Load earlier messages",
};

const RU: Strings = Strings {
    lang: "ru",
    default_title: "Напишите нам",
    open_chat: "Открыть чат",
    close_chat: "Закрыть чат",
    unread: "непрочитанных сообщений",
    log_label: "Сообщения",
    message_label: "Ваше сообщение",
    placeholder: "Введите сообщение…",
    send: "Отправить",
    you: "Вы",
    operator: "Оператор",
    sending: "отправляется",
    waiting: "ожидает отправки",
    sent: "отправлено",
    failed: "не отправлено",
    retry: "Повторить",
    connecting: "Подключение…",
    offline: "Нет связи: сообщения отправятся, когда она появится.",
    contact_button: "Контактные данные",
    contact_title: "Как с вами связаться?",
    name: "Имя",
    email: "Эл. почта",
    phone: "Телефон",
    save: "Сохранить",
    empty: "Задайте вопрос: мы ответим здесь.",
    load_earlier: "Показать предыдущие сообщения",
};

/// The chat's title: `titleText`, or the language's default when it is empty.
pub fn title(params: &IntegrationParams) -> &str {
    title_or_default(&params.title_text, &params.language_code)
}

/// [`title`] from the two parameters it reads (the widget holds only those, not all of
/// [`IntegrationParams`]).
pub fn title_or_default<'a>(title_text: &'a str, language_code: &str) -> &'a str {
    if title_text.is_empty() {
        strings(language_code).default_title
    } else {
        title_text
    }
}

pub fn strings(language_code: &str) -> &'static Strings {
    let language = language_code.get(..2).unwrap_or_default();
    if language.eq_ignore_ascii_case("ru") {
        &RU
    } else {
        &EN
    }
}

#[cfg(test)]
mod tests {
    use super::strings;

    #[test]
    fn language_codes_pick_their_language_and_unknown_ones_fall_back_to_english() {
        for code in ["ru", "ru_RU", "ru-RU", "RU"] {
            assert_eq!(strings(code).lang, "ru", "{code}");
        }
        for code in ["en", "en_US", "de", "", "r"] {
            assert_eq!(strings(code).lang, "en", "{code}");
        }
    }
}
