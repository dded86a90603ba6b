//! Accessibility of the widget in headless Chromium, judged by tools we did not write: axe-core
//! (WCAG 2.0/2.1 A and AA plus best practices) on the widget closed, open with messages, with
//! the contact form and with an unread badge, in the light and dark themes, on a phone and in
//! Arabic (right to left);
//! Chromium's accessibility tree for the tab's name and the log's live region; and WebDriver
//! key actions alone driving it: the tab, focus going into the panel and back,
//! Escape, every control in order, and new messages reaching screen readers through a live
//! region that keeps what it has shown.

use crate::browser::{DESKTOP, PHONE, operator_says, through_every_state};
use backend::config::params::ParamValue;
use fantoccini::key::Key;
use headless::{Session, shadow};
use serde_json::{Value, json};
use tests::EmbeddedChat as Chat;
use tests::Options;

/// Chromium's accessibility tree of the page, what screen readers read: its nodes (CDP
/// `Accessibility.AXNode`), shadow roots included.
async fn accessibility_tree(page: &Session) -> Vec<Value> {
    let tree = page.cdp("Accessibility.getFullAXTree", json!({})).await;
    match tree["nodes"].clone() {
        Value::Array(nodes) => nodes,
        _ => panic!("no accessibility tree: {tree}"),
    }
}

/// axe-core finds nothing in any state of the widget a visitor meets, on `setting`; and with
/// an unread message the shown tab's name says how many there are, after what it shows.
async fn assert_every_state_accessible(chat: Chat, setting: &str, tab_says: &str, unread: &str) {
    through_every_state(&chat, async |state| {
        let violations = tests::axe::violations(&chat.page).await;
        assert!(
            violations.is_empty(),
            "{setting}, {state:?}: axe-core finds\n{}",
            violations.join("\n")
        );
    })
    .await;
    let names: Vec<Value> = accessibility_tree(&chat.page)
        .await
        .into_iter()
        .filter(|node| node["role"]["value"] == json!("button") && node["ignored"] == json!(false))
        .map(|node| node["name"]["value"].clone())
        .collect();
    let expected = json!(format!("{tab_says} 1 {unread}"));
    assert!(
        names.contains(&expected),
        "{setting}: no button named {expected} among {names:?}"
    );
    chat.page.close().await;
}

/// The tab's title (`titleText`) in the axe-core tests.
const TAB_TITLE: &str = "Support";
/// What the round button says to screen readers, and the words after the unread count, in
/// English (`languageCode`).
const OPEN_CHAT: &str = "Open chat";
const UNREAD: &str = "unread message";

/// The parameters of the accessibility tests besides `colorTheme`: English, a known title, and
/// operator messages waiting on the badge rather than opening the chat.
fn axe_params() -> [(&'static str, ParamValue); 3] {
    [
        ("languageCode", ParamValue::Text("en".into())),
        ("titleText", ParamValue::Text(TAB_TITLE.into())),
        ("openChatOnNewMessage", ParamValue::Flag(false)),
    ]
}

#[tokio::test]
async fn axe_finds_nothing_in_the_light_and_dark_themes() {
    for theme in ["light", "dark"] {
        let [language, title, quiet] = axe_params();
        let color_theme = ("colorTheme", ParamValue::Text(theme.into()));
        let chat = Chat::start(&[language, title, quiet, color_theme]).await;
        assert_every_state_accessible(chat, &format!("{theme} theme"), TAB_TITLE, UNREAD).await;
    }
}

#[tokio::test]
async fn axe_finds_nothing_on_a_phone() {
    let options = axe_params().into_iter().fold(
        Options::default().with_widget(),
        |options, (name, value)| options.param(name, value),
    );
    let chat = Chat::start_with(options, PHONE, "").await;
    assert_every_state_accessible(chat, "phone", OPEN_CHAT, UNREAD).await;
}

#[tokio::test]
async fn axe_finds_nothing_in_arabic_right_to_left() {
    let [_, title, quiet] = axe_params();
    let arabic = ("languageCode", ParamValue::Text("ar".into()));
    let chat = Chat::start(&[arabic, title, quiet]).await;
    assert_every_state_accessible(chat, "Arabic", TAB_TITLE, "رسالة غير مقروءة").await;
}

/// What has the focus: in the widget, the last class of its focused element (`cw-tab`,
/// `cw-input`, …); elsewhere the page's element id or tag.
const FOCUSED: &str = "(() => {
    const active = document.activeElement;
    if (active && active.shadowRoot) {
        const inner = active.shadowRoot.activeElement;
        return inner ? inner.classList[inner.classList.length - 1] : 'the widget host';
    }
    return active ? active.id || active.tagName : 'nothing';
})()";

/// Waits until the focus is on `expected` (see [`FOCUSED`]).
async fn assert_focus(chat: &Chat, expected: &str, after: &str) {
    chat.page
        .wait_for(
            &format!("focus on {expected} after {after}"),
            &format!("{FOCUSED} === {}", json!(expected)),
        )
        .await;
}

/// Presses Tab (Shift+Tab going backwards) once per entry of `order`, checking the focus lands
/// on each in turn.
async fn assert_tab_order(chat: &Chat, direction: Direction, order: &[&str]) {
    for expected in order {
        match direction {
            Direction::Forwards => chat.page.press(Key::Tab).await,
            Direction::Backwards => chat.page.chord(&[Key::Shift, Key::Tab]).await,
        }
        assert_focus(chat, expected, &format!("{direction:?} Tab")).await;
    }
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Forwards,
    Backwards,
}

#[tokio::test]
async fn the_keyboard_alone_reaches_opens_uses_and_closes_the_chat() {
    // The desktop tab and, on a phone, the round button.
    for (window, tab) in [(DESKTOP, "cw-tab"), (PHONE, "cw-launcher")] {
        let chat = Chat::start_with(Options::default().with_widget(), window, "").await;
        let page = &chat.page;
        // From the page's start: its own button, then the chat's tab.
        assert_tab_order(&chat, Direction::Forwards, &["host-button", tab]).await;
        page.press(Key::Enter).await;
        assert_focus(&chat, "cw-input", "Enter on the tab").await;
        page.type_text("Hello").await;
        page.press(Key::Enter).await;
        page.wait_for(
            "the message typed on the keyboard stored",
            &format!("{}.querySelector('.cw-msg-own .cw-status-sent')", shadow()),
        )
        .await;

        // Back up through the log to the header, open the contact form and fill it in.
        assert_tab_order(
            &chat,
            Direction::Backwards,
            &["cw-log", "cw-close", "cw-contact-toggle"],
        )
        .await;
        page.press(Key::Enter).await;
        page.widget_element(".cw-contact-name").await;
        assert_tab_order(&chat, Direction::Forwards, &["cw-close", "cw-contact-name"]).await;
        page.type_text("Maria").await;
        assert_tab_order(
            &chat,
            Direction::Forwards,
            &["cw-contact-email", "cw-contact-phone", "cw-save"],
        )
        .await;
        page.press(Key::Enter).await;
        assert_focus(&chat, "cw-contact-toggle", "saving the contact form").await;
        assert_eq!(
            crate::browser::resolve(page, "getContactInfo()").await["name"],
            json!("Maria")
        );
        assert_tab_order(
            &chat,
            Direction::Forwards,
            &["cw-close", "cw-log", "cw-input", "cw-send"],
        )
        .await;

        // Escape closes and the focus is back on the tab; Space opens again; the close button
        // closes too.
        page.press(Key::Escape).await;
        assert_focus(&chat, tab, "Escape").await;
        let hidden = page
            .js(
                &format!("return {}.querySelector('.cw-panel').hidden", shadow()),
                Vec::new(),
            )
            .await;
        assert_eq!(hidden, json!(true), "Escape closes the chat");
        page.press(Key::Space).await;
        assert_focus(&chat, "cw-input", "Space on the tab").await;
        assert_tab_order(&chat, Direction::Backwards, &["cw-log", "cw-close"]).await;
        page.press(Key::Enter).await;
        assert_focus(&chat, tab, "Enter on the close button").await;
        chat.page.close().await;
    }
}

#[tokio::test]
async fn new_messages_reach_screen_readers_without_the_log_read_again() {
    let chat = Chat::start(&axe_params()).await;
    let page = &chat.page;
    chat.say_hello().await;
    operator_says(&chat.server, page, "r-1", "Hi there").await;
    page.widget_element(".cw-msg-other .cw-text").await;
    // Mark the messages shown: a live region announces what is added to it, so a log that
    // rendered them again would read them out again.
    page.js(
        &format!(
            "{}.querySelectorAll('.cw-msg').forEach(message => message.__shown = true)",
            shadow()
        ),
        Vec::new(),
    )
    .await;
    operator_says(&chat.server, page, "r-2", "Still there?").await;
    let messages = page
        .wait_for(
            "the new message in the log",
            &format!(
                "(() => {{ const messages = [...{}.querySelectorAll('.cw-log .cw-msg')]; \
                 return messages.length === 3 && messages.map(message => !!message.__shown); }})()",
                shadow()
            ),
        )
        .await;
    assert_eq!(
        messages,
        json!([true, true, false]),
        "the messages shown before stay the same elements; only the new one is added"
    );

    // Chromium's accessibility tree, what screen readers read: the log is a polite live
    // region that announces additions, not the whole region at once.
    let tree = accessibility_tree(page).await;
    let log = tree
        .iter()
        .find(|node| node["role"]["value"] == json!("log"))
        .unwrap_or_else(|| panic!("no log in the accessibility tree: {tree:?}"));
    let property = |name: &str| {
        log["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|property| property["name"] == json!(name))
            .map(|property| property["value"]["value"].clone())
    };
    assert_eq!(property("live"), Some(json!("polite")), "{log}");
    assert_eq!(property("atomic"), Some(json!(false)), "{log}");
    assert_eq!(property("relevant"), Some(json!("additions text")), "{log}");
    assert!(
        !log["name"]["value"].as_str().unwrap_or_default().is_empty(),
        "the log is named: {log}"
    );
    chat.page.close().await;
}
