//! The console's teamwork in headless Chromium: an operator assigns the open conversation to a
//! teammate through "Assign" (the keyboard alone, with the teammate marked online) and the
//! teammate's console shows it in "Mine" live; the console tells the visitor its operator types,
//! a visitor's typing shows as "Visitor is typing…" (another operator's by name) and its read
//! position as "Seen" under the operator's reply. axe-core finds nothing in any
//! view of the console: login, the three views, a conversation with its visitor, the canned
//! replies manager, the assign menu open, the dark theme and a phone's one column.

use crate::browser_console::{click, fill, log_in, login_form};
use crate::support::{say, visitor};
use fantoccini::key::Key;
use headless::{Driver, PHONE, Session};
use protocol::operator::OperatorClientFrame;
use protocol::{ClientFrame, ServerFrame};
use serde_json::json;
use tests::operator::Operator;
use tests::server::INTEGRATION_ID;
use tests::{Db, Options, TestServer};

const ANNA: &str = "anna@example.com";
const BORIS: &str = "boris@example.com";
const PASSWORD: &str = "correct horse battery";

/// A server with Anna and Boris answering the test integration.
async fn server_with_team() -> TestServer {
    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    for email in [ANNA, BORIS] {
        server
            .add_operator(email, PASSWORD, &[INTEGRATION_ID])
            .await;
    }
    server
}

/// `email`'s console in English, logged in.
async fn console_of(server: &TestServer, driver: &Driver, email: &str) -> Session {
    let console = login_form(server, driver, Some("en")).await;
    log_in(&console, email, PASSWORD).await;
    console
}

/// Picks the view whose button starts with `name`.
async fn choose_view(console: &Session, name: &str) {
    console
        .js(
            "[...document.querySelectorAll('.co-view')].find(b => b.textContent.startsWith(arguments[0])).click();",
            vec![json!(name)],
        )
        .await;
}

/// Opens the listed conversation whose entry mentions `text`, and waits for its log.
async fn open_conversation(console: &Session, text: &str) {
    console
        .wait_for(
            "the conversation listed",
            &format!("[...document.querySelectorAll('.co-entry')].some(e => e.textContent.includes({text:?}))"),
        )
        .await;
    click(console, ".co-entry").await;
    console
        .wait_for(
            "the conversation open",
            &format!("document.querySelector('.co-log')?.textContent.includes({text:?})"),
        )
        .await;
}

async fn focus(console: &Session, css: &str) {
    console
        .js(
            "document.querySelector(arguments[0]).focus();",
            vec![json!(css)],
        )
        .await;
}

async fn assert_accessible(console: &Session, view: &str) {
    assert_eq!(
        tests::axe::violations_in(console, "html").await,
        Vec::<String>::new(),
        "axe-core in {view}"
    );
}

#[tokio::test]
async fn a_conversation_assigned_to_a_teammate_shows_in_its_mine_view_live() {
    let server = server_with_team().await;
    let driver = Driver::start().await;
    let anna = console_of(&server, &driver, ANNA).await;
    let boris = console_of(&server, &driver, BORIS).await;
    choose_view(&boris, "Mine").await;
    let (_token, mut client) = visitor(&server).await;
    let id = say(&mut client, "v-1", "Can Boris help?")
        .await
        .conversation_id;
    assert_eq!(
        boris
            .js(
                "return document.querySelectorAll('.co-entry').length",
                Vec::new()
            )
            .await,
        json!(0),
        "Boris's Mine is empty"
    );
    open_conversation(&anna, "Can Boris help?").await;

    // The keyboard alone: Enter on "Assign" opens the list, Enter on Boris picks him.
    focus(&anna, ".co-assign > button").await;
    anna.press(Key::Enter).await;
    let boris_entry = "[...document.querySelectorAll('.co-assign-to')].find(b => b.textContent.includes('boris@'))";
    anna.wait_for(
        "Boris listed as online",
        &format!("{boris_entry}?.textContent.includes('online')"),
    )
    .await;
    anna.js(&format!("{boris_entry}.focus();"), Vec::new())
        .await;
    anna.press(Key::Enter).await;
    anna.wait_for(
        "the list closed and the assignee shown",
        "!document.querySelector('.co-assign-list') && \
         document.querySelector('.co-assignee').textContent.includes('boris@')",
    )
    .await;
    assert_eq!(
        anna.js("return document.activeElement.textContent", Vec::new())
            .await,
        json!("Assign"),
        "the focus is back on Assign"
    );
    boris
        .wait_for(
            "the conversation in Boris's Mine, live",
            &format!("document.getElementById('co-conversation-{id}')"),
        )
        .await;

    // Unassign: it leaves Boris's Mine, live too.
    click(&anna, ".co-assign > button").await;
    anna.wait_for("the list open", "document.querySelector('.co-unassign')")
        .await;
    // Esc closes the list and keeps the conversation open.
    anna.press(Key::Escape).await;
    anna.wait_for(
        "the list closed, the conversation still open",
        "!document.querySelector('.co-assign-list') && document.querySelector('.co-log')",
    )
    .await;
    click(&anna, ".co-assign > button").await;
    anna.wait_for("the list open", "document.querySelector('.co-unassign')")
        .await;
    click(&anna, ".co-unassign").await;
    boris
        .wait_for(
            "the conversation gone from Boris's Mine",
            "!document.querySelector('.co-entry')",
        )
        .await;
    anna.close().await;
    boris.close().await;
}

#[tokio::test]
async fn the_console_shows_the_visitor_typing_and_seen_under_the_reply() {
    let server = server_with_team().await;
    let driver = Driver::start().await;
    let anna = console_of(&server, &driver, ANNA).await;
    let (_token, mut client) = visitor(&server).await;
    let question = say(&mut client, "v-1", "Is it in stock?").await;
    open_conversation(&anna, "Is it in stock?").await;
    fill(&anna, "textarea.co-input", "Yes, three").await;
    // The console says Anna types, and the visitor hears it before her reply.
    loop {
        match client.next().await {
            ServerFrame::Typing { name } => {
                assert!(name.contains("anna@"), "{name}");
                break;
            }
            ServerFrame::Message { message } => panic!("a message before typing: {message:?}"),
            _ => {}
        }
    }
    fill(&anna, "textarea.co-input", "Yes, three left").await;
    click(&anna, "form.co-composer button[type=submit]").await;
    let reply_seq = loop {
        if let ServerFrame::Message { message } = client.next().await
            && message.text == "Yes, three left"
        {
            break message.seq;
        }
    };
    assert_eq!(
        anna.js(
            "return document.querySelectorAll('.co-seen').length",
            Vec::new()
        )
        .await,
        json!(0),
        "not seen yet"
    );

    client.send(&ClientFrame::Typing).await;
    anna.wait_for(
        "the typing line",
        "document.querySelector('.co-typing[role=status]').textContent === 'Visitor is typing…'",
    )
    .await;
    client.send(&ClientFrame::Read { seq: reply_seq }).await;
    anna.wait_for(
        "Seen under the reply",
        &format!(
            "document.querySelector('.co-msg[data-seq=\"{reply_seq}\"] .co-seen')?.textContent === 'Seen'"
        ),
    )
    .await;
    client.say("v-2", "Great").await;
    anna.wait_for(
        "the visitor's message ends its typing line",
        "document.querySelector('.co-log').textContent.includes('Great') && \
         document.querySelector('.co-typing').textContent === ''",
    )
    .await;

    // Another operator typing is named.
    let boris = Operator::login(&server, BORIS, PASSWORD).await;
    let mut boris_live = boris.socket().await;
    let conversation_id = question.conversation_id;
    boris_live
        .send(&OperatorClientFrame::Typing { conversation_id })
        .await;
    anna.wait_for(
        "Boris's typing line",
        "document.querySelector('.co-typing').textContent === 'Operator boris@example.com is typing…'",
    )
    .await;
    anna.close().await;
}

#[tokio::test]
async fn axe_finds_nothing_in_any_view_of_the_console() {
    let server = server_with_team().await;
    let driver = Driver::start().await;
    let login = login_form(&server, &driver, Some("en")).await;
    assert_accessible(&login, "the login form").await;
    log_in(&login, ANNA, PASSWORD).await;
    let anna = login;
    let (_token, mut client) = visitor(&server).await;
    say(&mut client, "v-1", "Hello there").await;
    // Boris online, for the assign menu's mark.
    let boris = console_of(&server, &driver, BORIS).await;
    for view in ["Unassigned", "Mine", "All"] {
        choose_view(&anna, view).await;
        anna.wait_for(
            "the view chosen",
            &format!("[...document.querySelectorAll('.co-view[aria-pressed=true]')].some(b => b.textContent.startsWith({view:?}))"),
        )
        .await;
        assert_accessible(&anna, view).await;
    }
    open_conversation(&anna, "Hello there").await;
    fill(&anna, "textarea.co-input", "Hi!").await;
    click(&anna, "form.co-composer button[type=submit]").await;
    anna.wait_for(
        "the reply stored",
        "document.querySelector('.co-msg-operator') && document.querySelector('.co-visitor')",
    )
    .await;
    assert_accessible(&anna, "a conversation with its visitor").await;
    click(&anna, ".co-assign > button").await;
    anna.wait_for(
        "the assign menu with Boris online",
        "document.querySelector('.co-assign-list .co-online')",
    )
    .await;
    assert_accessible(&anna, "the assign menu open").await;
    anna.press(Key::Escape).await;
    click(&anna, ".co-header button[aria-expanded]").await;
    anna.wait_for(
        "the canned replies manager",
        "document.querySelector('.co-manage')",
    )
    .await;
    assert_accessible(&anna, "the canned replies manager").await;
    click(&anna, ".co-header button[aria-expanded]").await;
    anna.emulate_color_scheme("dark").await;
    assert_accessible(&anna, "the dark theme").await;
    anna.close().await;
    boris.close().await;

    let phone = driver.session(PHONE.0, PHONE.1).await;
    phone.goto(&format!("{}/console/", server.base)).await;
    phone
        .wait_for("the login form", "document.querySelector('#co-email')")
        .await;
    log_in(&phone, ANNA, PASSWORD).await;
    assert_accessible(&phone, "a phone's inbox").await;
    open_conversation(&phone, "Hi!").await;
    assert_accessible(&phone, "a phone's conversation").await;
    phone.close().await;
}
