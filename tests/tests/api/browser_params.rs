//! The integration parameters and page behaviour as the widget shows them, in headless Chromium
//! under the strict host-page policy, driven by real clicks and keys and the page API: the UI
//! language (right to left for Arabic, English with a warning for an unknown one), colour themes (auto following the system), operator pictures, opening on an
//! operator message, a hidden collapsed state, focus going back to the page when the chat
//! closes, and two tabs of one visitor in step.

use crate::browser::{WidgetState, inbound, operator_says, resolve, through_every_state};
use backend::config::params::ParamValue;
use fantoccini::Locator;
use fantoccini::key::Key;
use headless::shadow;
use serde_json::json;
use tests::EmbeddedChat as Chat;

#[tokio::test]
async fn the_ui_speaks_the_integration_language() {
    // 1C's codes in any case, a region or not; Arabic reads right to left, the whole panel
    // mirrored: the send button left of the composer, the close button left of the title.
    for (code, send, placeholder, direction) in [
        ("ru_RU", "Отправить", "Введите сообщение…", "ltr"),
        ("en", "Send", "Type a message…", "ltr"),
        ("DE-de", "Senden", "Nachricht eingeben…", "ltr"),
        ("zh", "发送", "输入消息…", "ltr"),
        ("ar", "إرسال", "اكتب رسالة…", "rtl"),
    ] {
        let chat = Chat::start(&[("languageCode", ParamValue::Text(code.into()))]).await;
        chat.call("open()").await;
        the_chat_speaks(&chat, code, send, placeholder, direction).await;
        let warnings = chat.page.js("return window.__warnings", Vec::new()).await;
        assert_eq!(warnings, json!([]), "{code}");
        chat.page.close().await;
    }
}

#[tokio::test]
async fn an_unknown_language_is_english_with_one_warning_naming_it_and_the_supported_ones() {
    let chat = Chat::start(&[("languageCode", ParamValue::Text("xx_YY".into()))]).await;
    chat.call("open()").await;
    the_chat_speaks(&chat, "xx_YY", "Send", "Type a message…", "ltr").await;
    let warnings = chat.page.js("return window.__warnings", Vec::new()).await;
    let warnings = warnings.as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().unwrap_or_default();
    assert!(
        warning.starts_with("web chat: languageCode \"xx_YY\"")
            && warning.ends_with("en, ru, uk, be, kk, uz, de, fr, es, it, pl, tr, zh, ar"),
        "{warning}"
    );
    chat.page.close().await;
}

/// Waits for the open chat to show `send` and `placeholder`, with its root's `dir` and the
/// composer and header laid out in `direction`.
async fn the_chat_speaks(chat: &Chat, code: &str, send: &str, placeholder: &str, direction: &str) {
    chat.page
        .wait_for(
            &format!("the {code} send button and composer, laid out {direction}"),
            &format!(
                "(() => {{ \
                   const root = {0}.querySelector('.cw-root'); \
                   const box = s => root.querySelector(s).getBoundingClientRect(); \
                   const send = box('.cw-send'), input = box('.cw-input'); \
                   const close = box('.cw-close'), title = box('.cw-title'); \
                   const mirrored = send.right <= input.left && close.right <= title.left; \
                   const straight = send.left >= input.right && close.left >= title.right; \
                   return root.querySelector('.cw-send').textContent.trim() === {1} \
                     && root.querySelector('.cw-input').placeholder === {2} \
                     && root.dir === {3} && getComputedStyle(root).direction === {3} \
                     && ({3} === 'rtl' ? mirrored : straight); }})()",
                shadow(),
                json!(send),
                json!(placeholder),
                json!(direction)
            ),
        )
        .await;
}

#[tokio::test]
async fn operator_pictures_follow_display_user_pictures() {
    const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    for show in [true, false] {
        let chat = Chat::start(&[("displayUserPictures", ParamValue::Flag(show))]).await;
        chat.say_hello().await;
        inbound(
            &chat.server,
            json!({"createUser": {"extUserId": "op-1", "name": "Anna", "picture": PNG}}),
        )
        .await;
        operator_says(&chat.server, &chat.page, "r-1", "With a face").await;
        chat.page
            .wait_for(
                "the reply",
                &format!(
                    "Array.from({}.querySelectorAll('.cw-msg-other')).some(m => m.textContent.includes('With a face'))",
                    shadow()
                ),
            )
            .await;
        let pictures = format!(
            "{}.querySelectorAll('.cw-msg-other img.cw-avatar')",
            shadow()
        );
        if show {
            chat.page
                .wait_for(
                    "the operator's picture, loaded from the chat server",
                    &format!(
                        "Array.from({pictures}).some(i => i.complete && i.naturalWidth === 1 \
                         && i.src.startsWith({}))",
                        json!(format!("{}/", chat.server.base))
                    ),
                )
                .await;
        } else {
            let count = chat
                .page
                .js(&format!("return {pictures}.length"), Vec::new())
                .await;
            assert_eq!(
                count,
                json!(0),
                "no pictures when displayUserPictures is false"
            );
        }
        chat.page.close().await;
    }
}

#[tokio::test]
async fn an_operator_message_opens_the_chat_when_asked_to() {
    for open_on_message in [true, false] {
        let chat =
            Chat::start(&[("openChatOnNewMessage", ParamValue::Flag(open_on_message))]).await;
        chat.say_hello().await;
        chat.call("close()").await;
        operator_says(&chat.server, &chat.page, "r-1", "Are you there?").await;
        if open_on_message {
            chat.page
                .wait_for(
                    "the chat opened by the reply",
                    &format!(
                        "window.__events.filter(e => e === 'open').length === 2 && \
                         !{}.querySelector('.cw-panel').hidden",
                        shadow()
                    ),
                )
                .await;
        } else {
            chat.page
                .wait_for(
                    "the unread badge",
                    &format!("{}.querySelector('.cw-badge:not([hidden])')", shadow()),
                )
                .await;
            let events = chat.page.js("return window.__events", Vec::new()).await;
            assert_eq!(
                events,
                json!(["initialized", "open", "close"]),
                "stays closed"
            );
            let hidden = chat
                .page
                .js(
                    &format!("return {}.querySelector('.cw-panel').hidden", shadow()),
                    Vec::new(),
                )
                .await;
            assert_eq!(hidden, json!(true), "the panel stays hidden");
        }
        chat.page.close().await;
    }
}

#[tokio::test]
async fn the_unread_badge_follows_display_unread_messages_mark() {
    for show_mark in [true, false] {
        let chat = Chat::start(&[
            ("displayUnreadMessagesMark", ParamValue::Flag(show_mark)),
            ("openChatOnNewMessage", ParamValue::Flag(false)),
        ])
        .await;
        chat.say_hello().await;
        chat.call("close()").await;
        operator_says(&chat.server, &chat.page, "r-1", "Are you there?").await;
        chat.page
            .wait_for(
                "the reply in the collapsed chat's log",
                &format!(
                    "{}.querySelector('.cw-log').textContent.includes('Are you there?')",
                    shadow()
                ),
            )
            .await;
        let badges = chat
            .page
            .js(
                &format!(
                    "return Array.from({}.querySelectorAll('.cw-badge'))\
                     .filter(b => b.offsetWidth > 0).map(b => b.textContent)",
                    shadow()
                ),
                Vec::new(),
            )
            .await;
        let expected = if show_mark { json!(["1"]) } else { json!([]) };
        assert_eq!(badges, expected, "displayUnreadMessagesMark={show_mark}");
        chat.page.close().await;
    }
}

/// The words after the badge's count on the shown tab.
async fn words_after_the_badge(chat: &Chat, count: &str) -> serde_json::Value {
    chat.page
        .wait_for(
            &format!("the badge saying {count}"),
            &format!(
                "(() => {{ const badge = {}.querySelector('.cw-tab .cw-badge:not([hidden])');                    return badge && badge.textContent === '{count}' && badge.nextSibling.textContent.trim(); }})()",
                shadow()
            ),
        )
        .await
}

#[tokio::test]
async fn the_words_after_the_unread_count_agree_with_it_in_every_language() {
    // Chromium's own plural rules (CLDR) say which forms each language needs: each has one.
    let chat = Chat::start(&[
        ("languageCode", ParamValue::Text("ru".into())),
        ("openChatOnNewMessage", ParamValue::Flag(false)),
    ])
    .await;
    for code in backend::config::languages::codes() {
        let needed = chat
            .page
            .js(
                &format!(
                    "return new Intl.PluralRules('{code}').resolvedOptions().pluralCategories"
                ),
                Vec::new(),
            )
            .await;
        let language = backend::config::languages::pick(code);
        let given: Vec<&str> = language.unread.categories().collect();
        for category in needed.as_array().expect("categories") {
            let category = category.as_str().unwrap_or_default();
            assert!(
                given.contains(&category),
                "{code}.toml: `unread` has no `{category}` form (it has {given:?})"
            );
        }
    }

    // On the tab: "1 непрочитанное сообщение", then "2 непрочитанных сообщения".
    chat.say_hello().await;
    chat.call("close()").await;
    operator_says(&chat.server, &chat.page, "r-1", "Вы здесь?").await;
    assert_eq!(
        words_after_the_badge(&chat, "1").await,
        json!("непрочитанное сообщение")
    );
    operator_says(&chat.server, &chat.page, "r-2", "Ответим через минуту").await;
    assert_eq!(
        words_after_the_badge(&chat, "2").await,
        json!("непрочитанных сообщения")
    );
    chat.page.close().await;
}

#[tokio::test]
async fn a_hidden_collapsed_state_shows_nothing_until_open() {
    for display_collapsed in [true, false] {
        let chat =
            Chat::start(&[("displayCollapsedState", ParamValue::Flag(display_collapsed))]).await;
        let visible_buttons = format!(
            "Array.from({}.querySelectorAll('.cw-tab, .cw-launcher')).filter(b => b.offsetWidth > 0).length",
            shadow()
        );
        // Loaded without opening (a call that needs the server) and rendered (the closed
        // panel is there), so a missing tab means hidden.
        resolve(&chat.page, "getContactInfo()").await;
        chat.page
            .wait_for(
                "the widget rendered",
                &format!("{}.querySelector('.cw-panel')", shadow()),
            )
            .await;
        let shown = chat
            .page
            .js(&format!("return {visible_buttons}"), Vec::new())
            .await;
        assert_eq!(
            shown,
            json!(usize::from(display_collapsed)),
            "displayCollapsedState={display_collapsed}"
        );
        if !display_collapsed {
            chat.call("open()").await;
            chat.page
                .wait_for(
                    "the open panel",
                    &format!("!{}.querySelector('.cw-panel').hidden", shadow()),
                )
                .await;
            // Once the visitor has opened it, closing leaves the tab to come back with.
            chat.page
                .widget_element(".cw-close")
                .await
                .click()
                .await
                .expect("click close");
            chat.page
                .wait_for("the tab after closing", &format!("{visible_buttons} === 1"))
                .await;
        }
        chat.page.close().await;
    }
}

#[tokio::test]
async fn focus_returns_to_the_page_when_the_chat_closes() {
    let chat = Chat::start(&[]).await;
    chat.page
        .client
        .find(Locator::Id("host-button"))
        .await
        .expect("the page's button")
        .click()
        .await
        .expect("click the page's button");
    let on_host_button = "document.activeElement && document.activeElement.id === 'host-button'";
    chat.page
        .wait_for("focus on the page's button", on_host_button)
        .await;
    chat.call("open()").await;
    chat.page
        .wait_for(
            "focus inside the chat",
            &format!(
                "{0}.activeElement && {0}.activeElement.classList.contains('cw-input')",
                shadow()
            ),
        )
        .await;
    chat.page.press(Key::Escape).await;
    chat.page
        .wait_for(
            "the chat closed by Escape",
            &format!(
                "{}.querySelector('.cw-panel').hidden && window.__events.includes('close')",
                shadow()
            ),
        )
        .await;
    chat.page
        .wait_for("focus back on the page's button", on_host_button)
        .await;
    chat.page.close().await;
}

#[tokio::test]
async fn two_tabs_of_one_visitor_show_one_conversation_live() {
    let chat = Chat::start(&[]).await;
    chat.say_hello().await;
    let first = chat.page.client.window().await.expect("first tab");
    let second = chat
        .page
        .client
        .new_window(true)
        .await
        .expect("second tab")
        .handle;
    chat.page
        .client
        .switch_to_window(second.clone())
        .await
        .expect("switch to the second tab");
    chat.page.open_page(&chat.host.url).await;
    chat.call("open()").await;
    let history = format!(
        "(function () {{ var t = Array.from({}.querySelectorAll('.cw-msg .cw-text')).map(e => e.textContent); \
         return t.length === 1 && t[0] === 'Hello'; }})()",
        shadow()
    );
    chat.page
        .wait_for("the first tab's message in the second tab", &history)
        .await;

    chat.page
        .client
        .switch_to_window(first.clone())
        .await
        .expect("back to the first tab");
    chat.page.type_message("From the first tab").await;
    chat.page
        .client
        .switch_to_window(second.clone())
        .await
        .expect("to the second tab");
    let live = format!(
        "(function () {{ var t = Array.from({}.querySelectorAll('.cw-msg .cw-text')).map(e => e.textContent); \
         return t.length === 2 && t[1] === 'From the first tab'; }})()",
        shadow()
    );
    chat.page
        .wait_for("the message live in the second tab", &live)
        .await;

    // And back: once the second tab's reply shows in the first, anything duplicated before it
    // (on either side) would show too.
    chat.page.type_message("From the second tab").await;
    chat.page
        .client
        .switch_to_window(first)
        .await
        .expect("back to the first tab");
    let both = format!(
        "Array.from({}.querySelectorAll('.cw-msg .cw-text')).some(e => e.textContent === 'From the second tab')",
        shadow()
    );
    chat.page
        .wait_for("the second tab's message in the first tab", &both)
        .await;
    let expected = ["Hello", "From the first tab", "From the second tab"];
    assert_eq!(chat.page.message_texts().await, expected, "first tab");
    chat.page
        .client
        .switch_to_window(second)
        .await
        .expect("to the second tab");
    chat.page
        .wait_for("the second tab's own message", &both)
        .await;
    assert_eq!(chat.page.message_texts().await, expected, "second tab");
    chat.page.close().await;
}

/// The open panel's background for `colorTheme` `theme` while the system (emulated through
/// the DevTools protocol, switched live without reloading) prefers light, then dark.
async fn panel_backgrounds(theme: &str) -> [serde_json::Value; 2] {
    let chat = Chat::start(&[("colorTheme", ParamValue::Text(theme.into()))]).await;
    chat.call("open()").await;
    let panel = format!("{}.querySelector('.cw-panel')", shadow());
    chat.page
        .wait_for("the open panel", &format!("!{panel}.hidden"))
        .await;
    let mut backgrounds = Vec::new();
    for scheme in ["light", "dark"] {
        chat.page.emulate_color_scheme(scheme).await;
        chat.page
            .wait_for(
                &format!("the page seeing a {scheme} system"),
                &format!("matchMedia('(prefers-color-scheme: {scheme})').matches"),
            )
            .await;
        let background = chat
            .page
            .js(
                &format!("return getComputedStyle({panel}).backgroundColor"),
                Vec::new(),
            )
            .await;
        backgrounds.push(background);
    }
    chat.page.close().await;
    backgrounds.try_into().expect("two backgrounds")
}

#[tokio::test]
async fn color_themes_light_dark_and_auto_following_the_system() {
    let [light, light_on_dark_system] = panel_backgrounds("light").await;
    let [dark_on_light_system, dark] = panel_backgrounds("dark").await;
    assert_ne!(light, dark);
    assert_eq!(light_on_dark_system, light, "light ignores a dark system");
    assert_eq!(dark_on_light_system, dark, "dark ignores a light system");
    assert_eq!(
        panel_backgrounds("auto").await,
        [light, dark],
        "auto follows the system, live"
    );
}

/// WCAG 2 contrast ratio of each `selector`'s text against the first opaque background behind
/// it, in the widget's shadow root: `{selector: ratio}` (`null` for a missing element).
fn contrast_script(selectors: &[&str]) -> String {
    format!(
        "const root = {root};
         const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
         const lum = c => {{
           const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
           return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
         }};
         const behind = element => {{
           for (let e = element; e; e = e.parentElement || e.getRootNode().host) {{
             const c = rgb(getComputedStyle(e).backgroundColor);
             if (c.length === 3 || c[3] > 0) return c;
           }}
           return [255, 255, 255];
         }};
         const ratios = {{}};
         for (const selector of {selectors}) {{
           const element = root.querySelector(selector);
           if (!element) {{ ratios[selector] = null; continue; }}
           const [a, b] = [lum(rgb(getComputedStyle(element).color)), lum(behind(element))];
           ratios[selector] = Math.round((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) * 100) / 100;
         }}
         return ratios;",
        root = shadow(),
        selectors = json!(selectors),
    )
}

#[tokio::test]
async fn text_contrast_meets_wcag_aa_in_both_themes() {
    const OPEN: &[&str] = &[
        ".cw-title",
        ".cw-msg-own .cw-text",
        ".cw-msg-own .cw-meta",
        ".cw-msg:not(.cw-msg-own) .cw-text",
        ".cw-msg:not(.cw-msg-own) .cw-meta",
        ".cw-input",
        ".cw-send",
        ".cw-contact label",
        ".cw-contact input",
        ".cw-save",
    ];
    const COLLAPSED: &[&str] = &[".cw-tab-title", ".cw-tab .cw-badge"];
    for theme in ["light", "dark"] {
        let chat = Chat::start(&[
            ("colorTheme", ParamValue::Text(theme.into())),
            ("openChatOnNewMessage", ParamValue::Flag(false)),
        ])
        .await;
        let (mut open, mut collapsed) = (json!(null), json!(null));
        through_every_state(&chat, async |state| match state {
            WidgetState::ContactForm => {
                open = chat.page.js(&contrast_script(OPEN), Vec::new()).await;
            }
            WidgetState::UnreadBadge => {
                collapsed = chat.page.js(&contrast_script(COLLAPSED), Vec::new()).await;
            }
            WidgetState::Collapsed | WidgetState::OpenWithMessages => {}
        })
        .await;
        for (selector, ratio) in open
            .as_object()
            .into_iter()
            .chain(collapsed.as_object())
            .flatten()
        {
            let ratio = ratio
                .as_f64()
                .unwrap_or_else(|| panic!("{theme}: {selector} is missing"));
            assert!(
                ratio >= 4.5,
                "{theme}: {selector} has contrast {ratio}, AA needs 4.5 ({open} {collapsed})"
            );
        }
        chat.page.close().await;
    }
}
