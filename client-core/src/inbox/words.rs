//! The console's words in English and Russian. Unlike the widget, whose words the server hands
//! over per integration, the console carries its two languages itself: it is one page for every
//! integration, and the operator's browser language picks one ([`Language::from_tag`]). The
//! English names of controls are the stable accessible names DESIGN.md lists.

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    En,
    Ru,
}

impl Language {
    /// Russian for a browser language tag starting with `ru` (`ru`, `ru-RU`), else English.
    pub fn from_tag(tag: &str) -> Self {
        if tag
            .get(..2)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("ru"))
        {
            Self::Ru
        } else {
            Self::En
        }
    }

    /// Its tag, for the page's `lang`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ru => "ru",
        }
    }
}

/// One thing the console says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    Title,
    Email,
    Password,
    LogIn,
    LogOut,
    Views,
    Unassigned,
    Mine,
    All,
    Conversations,
    NoConversations,
    PickConversation,
    Visitor,
    Operator,
    Messages,
    LoadingEarlier,
    Reply,
    Send,
    Sending,
    NotSent,
    Take,
    CloseConversation,
    Reopen,
    Back,
    Reconnecting,
    Name,
    Phone,
    Verified,
    CurrentPage,
    FirstSeen,
    Browser,
    AssignedTo,
    Nobody,
    Closed,
    Unread,
    System,
    CannedReplies,
    CannedList,
    NoCannedMatch,
    Shortcut,
    Text,
    Integration,
    Add,
    Save,
    Edit,
    Delete,
    Cancel,
    Done,
    EnableNotifications,
    NewMessage,
    Assign,
    Unassign,
    Online,
    IsTyping,
    Seen,
}

impl Word {
    /// Every word, for the test that each has both languages.
    pub const ALL: [Self; 55] = [
        Self::Title,
        Self::Email,
        Self::Password,
        Self::LogIn,
        Self::LogOut,
        Self::Views,
        Self::Unassigned,
        Self::Mine,
        Self::All,
        Self::Conversations,
        Self::NoConversations,
        Self::PickConversation,
        Self::Visitor,
        Self::Operator,
        Self::Messages,
        Self::LoadingEarlier,
        Self::Reply,
        Self::Send,
        Self::Sending,
        Self::NotSent,
        Self::Take,
        Self::CloseConversation,
        Self::Reopen,
        Self::Back,
        Self::Reconnecting,
        Self::Name,
        Self::Phone,
        Self::Verified,
        Self::CurrentPage,
        Self::FirstSeen,
        Self::Browser,
        Self::AssignedTo,
        Self::Nobody,
        Self::Closed,
        Self::Unread,
        Self::System,
        Self::CannedReplies,
        Self::CannedList,
        Self::NoCannedMatch,
        Self::Shortcut,
        Self::Text,
        Self::Integration,
        Self::Add,
        Self::Save,
        Self::Edit,
        Self::Delete,
        Self::Cancel,
        Self::Done,
        Self::EnableNotifications,
        Self::NewMessage,
        Self::Assign,
        Self::Unassign,
        Self::Online,
        Self::IsTyping,
        Self::Seen,
    ];

    /// The word in `language`.
    pub fn text(self, language: Language) -> &'static str {
        let [english, russian] = match self {
            Self::Title => ["Operator console", "Консоль оператора"],
            Self::Email => ["Email", "Эл. почта"],
            Self::Password => ["Password", "Пароль"],
            Self::LogIn => ["Log in", "Войти"],
            Self::LogOut => ["Log out", "Выйти"],
            Self::Views => ["Views", "Разделы"],
            Self::Unassigned => ["Unassigned", "Без оператора"],
            Self::Mine => ["Mine", "Мои"],
            Self::All => ["All", "Все"],
            Self::Conversations => ["Conversations", "Диалоги"],
            Self::NoConversations => ["No open conversations", "Открытых диалогов нет"],
            Self::PickConversation => ["Pick a conversation", "Выберите диалог"],
            Self::Visitor => ["Visitor", "Посетитель"],
            Self::Operator => ["Operator", "Оператор"],
            Self::Messages => ["Messages", "Сообщения"],
            Self::LoadingEarlier => ["Loading earlier messages…", "Загрузка прежних сообщений…"],
            Self::Reply => ["Reply", "Ответ"],
            Self::Send => ["Send", "Отправить"],
            Self::Sending => ["Sending…", "Отправляется…"],
            Self::NotSent => ["Not sent. Retry", "Не отправлено. Повторить"],
            Self::Take => ["Take", "Взять"],
            Self::CloseConversation => ["Close conversation", "Закрыть диалог"],
            Self::Reopen => ["Reopen", "Открыть снова"],
            Self::Back => ["Back", "Назад"],
            Self::Reconnecting => ["Reconnecting…", "Переподключение…"],
            Self::Name => ["Name", "Имя"],
            Self::Phone => ["Phone", "Телефон"],
            Self::Verified => ["Verified", "Подтверждён"],
            Self::CurrentPage => ["Current page", "Текущая страница"],
            Self::FirstSeen => ["First seen", "Впервые"],
            Self::Browser => ["Browser", "Браузер"],
            Self::AssignedTo => ["Assigned to", "Оператор"],
            Self::Nobody => ["Nobody", "Никто"],
            Self::Closed => ["Closed", "Закрыт"],
            Self::Unread => ["unread", "непрочитанных"],
            Self::System => ["System", "Система"],
            Self::CannedReplies => ["Canned replies", "Шаблоны ответов"],
            Self::CannedList => ["Canned replies to insert", "Шаблоны для вставки"],
            Self::NoCannedMatch => ["No canned reply matches", "Подходящих шаблонов нет"],
            Self::Shortcut => ["Shortcut", "Сокращение"],
            Self::Text => ["Text", "Текст"],
            Self::Integration => ["Integration", "Интеграция"],
            Self::Add => ["Add", "Добавить"],
            Self::Save => ["Save", "Сохранить"],
            Self::Edit => ["Edit", "Изменить"],
            Self::Delete => ["Delete", "Удалить"],
            Self::Cancel => ["Cancel", "Отмена"],
            Self::Done => ["Done", "Готово"],
            Self::EnableNotifications => ["Enable notifications", "Включить уведомления"],
            Self::NewMessage => ["New message", "Новое сообщение"],
            Self::Assign => ["Assign", "Назначить"],
            Self::Unassign => ["Unassign", "Снять назначение"],
            Self::Online => ["online", "в сети"],
            // After a name: "Anna is typing…", "Visitor is typing…".
            Self::IsTyping => ["is typing…", "печатает…"],
            Self::Seen => ["Seen", "Просмотрено"],
        };
        match language {
            Language::En => english,
            Language::Ru => russian,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_for_ru_tags_english_otherwise() {
        for (tag, language) in [
            ("ru", Language::Ru),
            ("ru-RU", Language::Ru),
            ("RU", Language::Ru),
            ("en-US", Language::En),
            ("uk", Language::En),
            ("", Language::En),
            ("r", Language::En),
        ] {
            assert_eq!(Language::from_tag(tag), language, "{tag}");
        }
    }

    #[test]
    fn every_word_has_both_languages_and_the_stable_names_hold() {
        for word in Word::ALL {
            assert!(!word.text(Language::En).is_empty(), "{word:?}");
            assert!(!word.text(Language::Ru).is_empty(), "{word:?}");
        }
        let names: Vec<_> = [
            Word::Email,
            Word::Password,
            Word::LogIn,
            Word::Reply,
            Word::Send,
            Word::Take,
            Word::CloseConversation,
            Word::Assign,
            Word::Unassign,
        ]
        .map(|word| word.text(Language::En))
        .into();
        assert_eq!(
            names,
            [
                "Email",
                "Password",
                "Log in",
                "Reply",
                "Send",
                "Take",
                "Close conversation",
                "Assign",
                "Unassign"
            ]
        );
    }
}
