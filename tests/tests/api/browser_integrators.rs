//! What a page written for 1C's chat expects, in headless Chromium: a listener for
//! `initialized` added late still hears it; refusals reach the page as an `error` event and a
//! warning, and the chat keeps nothing the server refused; a burst of `sendMessage` calls over
//! the rate limit all arrive, in order; `setContactInfo` merges; the title operators give the
//! conversation shows in the header.

use crate::browser::{STORAGE_KEY, inbound, stored_visitor_token, welcome_of_page_visitor};
use backend::config::params::ParamValue;
use backend::config::settings::Limits;
use headless::{DESKTOP, Session, shadow};
use protocol::{ContactInfo, Message, ServerFrame};
use serde_json::json;
use tests::EmbeddedChat as Chat;
use tests::Options;
use tests::server::Endpoint;
use tests::tokens::{claims, unsigned};

/// The page records the chat's `error` events in `window.__errors`.
async fn record_errors(page: &Session) {
    page.js(
        "window.__errors = []; window.CollaborationSystemWebChat1CE.addListener('error', \
         function (error) { window.__errors.push(error); });",
        Vec::new(),
    )
    .await;
}

/// What the server holds for the visitor whose token the page keeps: its contact and the
/// newest page of its conversation.
async fn stored(server: &Endpoint, page: &Session) -> (ContactInfo, Vec<Message>, Option<i64>) {
    let ServerFrame::Welcome {
        contact,
        messages,
        conversation_id,
        ..
    } = welcome_of_page_visitor(server, page).await
    else {
        panic!("a welcome first");
    };
    (contact, messages, conversation_id)
}

#[tokio::test]
async fn a_late_initialized_listener_is_called_once_asynchronously() {
    let chat = Chat::start(&[]).await;
    // `open_page` waited for `initialized`; this listener comes after it.
    let calls = chat
        .page
        .js_async(
            "var done = arguments[arguments.length - 1]; var calls = []; var adding = true;\n\
             window.CollaborationSystemWebChat1CE.addListener('initialized', function () {\n\
               calls.push(adding ? 'during addListener' : 'later');\n\
             });\n\
             adding = false;\n\
             // Timers run in order: the listener's turn came before this one.\n\
             setTimeout(function () { setTimeout(function () { done(calls); }, 0); }, 0);",
            Vec::new(),
        )
        .await;
    assert_eq!(calls, json!(["later"]));
    chat.page.close().await;
}

#[tokio::test]
async fn contact_info_merges_and_a_refused_field_is_reported_and_not_kept() {
    let chat = Chat::start(&[]).await;
    record_errors(&chat.page).await;
    chat.call("setContactInfo({name: 'Ivan', fullName: 'Ivan Petrov'})")
        .await;
    // A number for the phone, as 1C pages pass it.
    chat.call("setContactInfo({phone: 79001234567})").await;
    chat.call("setContactInfo({email: 'not an address'})").await;
    let error = chat
        .page
        .wait_for("the refusal", "window.__errors[0]")
        .await;
    assert_eq!(error["code"], "invalid_contact");
    assert_eq!(error["what"], "contact");
    let contact = chat
        .page
        .js_async(
            "var done = arguments[0]; \
             window.CollaborationSystemWebChat1CE.getContactInfo().then(done);",
            Vec::new(),
        )
        .await;
    assert_eq!(
        contact,
        json!({"name": "Ivan", "fullName": "Ivan Petrov", "email": "", "phone": "79001234567"}),
        "the fields merged, the refused e-mail not kept"
    );
    let warnings = chat.page.js("return window.__warnings", Vec::new()).await;
    assert!(
        warnings
            .as_array()
            .is_some_and(|warnings| warnings.iter().any(|w| w
                .as_str()
                .is_some_and(|w| w.contains("refused the contact")))),
        "{warnings}"
    );
    let (contact, ..) = stored(&chat.server, &chat.page).await;
    assert_eq!(
        contact,
        ContactInfo {
            name: Some("Ivan".into()),
            email: None,
            phone: Some("79001234567".into()),
        }
    );
    chat.page.close().await;
}

#[tokio::test]
async fn a_refused_token_is_reported_and_a_cleared_one_logs_the_site_user_out() {
    let chat = Chat::start(&[]).await;
    record_errors(&chat.page).await;
    chat.say_hello().await;
    let anonymous = stored_visitor_token(&chat.page).await;
    chat.call("setMatchingKeyToken('not a token')").await;
    let error = chat
        .page
        .wait_for("the refusal", "window.__errors[0]")
        .await;
    assert_eq!(error["code"], "token_rejected");
    assert_eq!(error["what"], "matchingKeyToken");

    // No token for an anonymous visitor: nothing to clear, no TypeError.
    chat.call("setMatchingKeyToken(null)").await;
    chat.page
        .js(
            "window.CollaborationSystemWebChat1CE.sendMessage({text: 'still me'})",
            Vec::new(),
        )
        .await;
    chat.page
        .wait_for(
            "the second message stored",
            &format!(
                "{}.querySelectorAll('.cw-msg-own .cw-status-sent').length === 2",
                shadow()
            ),
        )
        .await;
    assert_eq!(stored_visitor_token(&chat.page).await, anonymous);

    chat.page
        .js(
            "window.CollaborationSystemWebChat1CE.setMatchingKeyToken(arguments[0])",
            vec![json!(unsigned(&claims("customer-7")))],
        )
        .await;
    chat.page
        .wait_for(
            "the identified visitor's token",
            &format!("localStorage.getItem('{STORAGE_KEY}') !== {anonymous}"),
        )
        .await;
    chat.call("setMatchingKeyToken(null)").await;
    chat.page
        .wait_for(
            "the site user logged out",
            &format!(
                "localStorage.getItem('{STORAGE_KEY}') === null && \
                 {}.querySelectorAll('.cw-msg').length === 0",
                shadow()
            ),
        )
        .await;
    let errors = chat
        .page
        .js("return window.__errors.length", Vec::new())
        .await;
    assert_eq!(errors, json!(1), "only the refused token");
    chat.page.close().await;
}

#[tokio::test]
async fn a_burst_over_the_rate_limit_arrives_whole_and_in_order() {
    let options = Options {
        limits: Limits {
            message_burst: 10,
            messages_per_minute: 120,
            ..Options::default().limits
        },
        ..Options::default()
    }
    .with_widget();
    let chat = Chat::start_with(options, DESKTOP, "").await;
    record_errors(&chat.page).await;
    chat.page
        .js(
            &format!(
                "var shadow = {};\n\
                 new MutationObserver(function () {{\n\
                   if (shadow.querySelector('.cw-status-waiting')) window.__waited = true;\n\
                 }}).observe(shadow, {{subtree: true, childList: true, characterData: true}});\n\
                 for (var i = 1; i <= 12; i++)\n\
                   window.CollaborationSystemWebChat1CE.sendMessage({{text: 'burst ' + i}});",
                shadow()
            ),
            Vec::new(),
        )
        .await;
    chat.page
        .wait_for(
            "all twelve stored",
            &format!(
                "{}.querySelectorAll('.cw-msg-own .cw-status-sent').length === 12",
                shadow()
            ),
        )
        .await;
    let (_, messages, _) = stored(&chat.server, &chat.page).await;
    let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    let expected: Vec<String> = (1..=12).map(|i| format!("burst {i}")).collect();
    assert_eq!(texts, expected);
    let errors = chat.page.js("return window.__errors", Vec::new()).await;
    assert_eq!(errors, json!([]), "the rate limit is no failure");
    let waited = chat.page.js("return window.__waited", Vec::new()).await;
    assert_eq!(waited, json!(true), "shown as waiting meanwhile");
    chat.page.close().await;
}

#[tokio::test]
async fn a_message_refused_for_good_is_marked_not_sent_and_reported() {
    let chat = Chat::start(&[]).await;
    record_errors(&chat.page).await;
    let too_long = "x".repeat(Options::default().limits.max_message_bytes + 1);
    chat.page
        .js(
            "window.CollaborationSystemWebChat1CE.sendMessage({text: arguments[0]})",
            vec![json!(too_long)],
        )
        .await;
    let error = chat
        .page
        .wait_for("the refusal", "window.__errors[0]")
        .await;
    assert_eq!(error["code"], "message_too_large");
    assert_eq!(error["what"], "message");
    let client_id = error["clientId"]
        .as_str()
        .expect("the refused message's id");
    chat.page
        .wait_for(
            "the message marked not sent",
            &format!(
                "{}.querySelector('[data-client-id=\"{client_id}\"] .cw-status-failed')",
                shadow()
            ),
        )
        .await;
    chat.page.close().await;
}

#[tokio::test]
async fn the_title_and_members_operators_give_show_live_and_after_a_reload() {
    let chat = Chat::start(&[("languageCode", ParamValue::Text("en".into()))]).await;
    chat.say_hello().await;
    let (.., conversation_id) = stored(&chat.server, &chat.page).await;
    let conversation_id = conversation_id.expect("a conversation").to_string();
    inbound(
        &chat.server,
        json!({"createUser": {"extUserId": "op-1", "name": "Anna"}}),
    )
    .await;
    inbound(
        &chat.server,
        json!({"updateConversation": {"extConversationId": conversation_id,
                                      "title": "Order 1042: delivery",
                                      "addMembers": ["op-1", "not-an-operator"]}}),
    )
    .await;
    let shown = format!(
        "{0}.querySelector('.cw-title').textContent.trim() === 'Order 1042: delivery' && \
         Array.from({0}.querySelectorAll('.cw-msg-system')).map(m => m.textContent)",
        shadow()
    );
    let notices = chat.page.wait_for("the title and the notice", &shown).await;
    let notices = notices.as_array().expect("the notices");
    assert_eq!(
        notices.len(),
        1,
        "only operators are announced: {notices:?}"
    );
    assert!(
        notices[0]
            .as_str()
            .is_some_and(|text| text.trim().ends_with("Anna joined the conversation")
                && !text.contains("Operator")),
        "{notices:?}"
    );
    chat.page.open_page(&chat.host.url).await;
    chat.call("open()").await;
    chat.page
        .wait_for(
            "the title and the notice after a reload",
            &format!("({shown}).length === 1"),
        )
        .await;
    chat.page.close().await;
}
