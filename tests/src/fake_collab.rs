//! A fake collaboration server over real HTTP: it takes the six webhook commands at
//! `/integration/webhook/7:fake/callback`, answers with the spec's status codes (409 on a
//! repeated `create...`, 500 for a message into an unknown conversation or by a user who is not
//! a member of it: its creator, its `members`, or added by `addMembers`), records every accepted
//! command, and can be switched to fail: 500, 404, a redirect to another path (which answers
//! 200 to anything, as a login page would), hanging past any timeout, or down (refused); it can
//! also hang on one conversation only, or refuse one message for good (400).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use protocol::webhook::Command;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Path of the fake's command endpoint.
pub const WEBHOOK_PATH: &str = "/integration/webhook/7:fake/callback";
/// Where [`Mode::Redirect`] sends requests: it answers 200 to anything and records nothing.
pub const REDIRECT_PATH: &str = "/elsewhere";
/// Longest a test waits for commands to arrive.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// How the fake answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Fail500,
    Fail404,
    /// Answers 302 Found to [`REDIRECT_PATH`].
    Redirect,
    /// Never answers.
    Hang,
}

#[derive(Debug, Default)]
struct Objects {
    users: HashSet<String>,
    /// The conversations, each with its members.
    conversations: HashMap<String, HashSet<String>>,
    messages: HashSet<String>,
}

#[derive(Debug)]
struct Shared {
    mode: Mutex<Mode>,
    /// Conversations whose commands are never answered, whatever the mode.
    hanging: Mutex<HashSet<String>>,
    /// Texts of messages answered 400, whatever the mode.
    refused: Mutex<HashSet<String>>,
    /// Requests answered with a failure (redirects and refusals included), so far.
    failures: watch::Sender<usize>,
    objects: Mutex<Objects>,
    accepted: watch::Sender<Vec<Command>>,
    /// `create...` commands answered 409: sent again after they were accepted.
    conflicts: AtomicUsize,
}

/// A running fake; stopped when dropped.
#[derive(Debug)]
pub struct FakeCollaborationServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl FakeCollaborationServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind fake");
        let address = listener.local_addr().expect("fake address");
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Normal),
            hanging: Mutex::default(),
            refused: Mutex::default(),
            failures: watch::channel(0).0,
            objects: Mutex::default(),
            accepted: watch::channel(Vec::new()).0,
            conflicts: AtomicUsize::new(0),
        });
        let mut fake = Self {
            address,
            shared,
            task: None,
        };
        fake.serve(listener);
        fake
    }

    fn serve(&mut self, listener: TcpListener) {
        let app = Router::new()
            .route(WEBHOOK_PATH, post(command))
            .route(REDIRECT_PATH, any(|| async { "OK" }))
            .with_state(Arc::clone(&self.shared));
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// The URL to configure as an integration's `webhook_url`.
    pub fn url(&self) -> String {
        format!("http://{}{WEBHOOK_PATH}", self.address)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    /// Never answers commands about the conversation the collaboration server calls `ext_id`.
    pub fn hang_conversation(&self, ext_id: &str) {
        self.shared
            .hanging
            .lock()
            .unwrap()
            .insert(ext_id.to_owned());
    }

    /// Answers 400 to `createMessage` with this text until [`Self::accept_message`].
    pub fn refuse_message(&self, text: &str) {
        self.shared.refused.lock().unwrap().insert(text.to_owned());
    }

    /// Takes `createMessage` with this text again.
    pub fn accept_message(&self, text: &str) {
        self.shared.refused.lock().unwrap().remove(text);
    }

    /// Waits until the fake has answered at least `count` requests with a failure.
    pub async fn wait_for_failures(&self, count: usize) {
        let mut failures = self.shared.failures.subscribe();
        let waited =
            tokio::time::timeout(DELIVERY_TIMEOUT, failures.wait_for(|n| *n >= count)).await;
        assert!(
            matches!(waited, Ok(Ok(_))),
            "fake collaboration server: fewer than {count} failures answered"
        );
    }

    /// Stops listening: connections are refused until [`Self::up`].
    pub fn down(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn up(&mut self) {
        self.down();
        let listener = loop {
            // The aborted server may take a moment to release the port.
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                Err(_) => tokio::task::yield_now().await,
            }
        };
        self.serve(listener);
    }

    /// How many `create...` commands came again after they were accepted (answered 409).
    pub fn conflicts(&self) -> usize {
        self.shared.conflicts.load(Ordering::Relaxed)
    }

    /// Every accepted command so far, in arrival order.
    pub fn accepted(&self) -> Vec<Command> {
        self.shared.accepted.borrow().clone()
    }

    /// Waits until the accepted commands satisfy `done`, and returns them.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Command]) -> bool) -> Vec<Command> {
        let mut accepted = self.shared.accepted.subscribe();
        let waited = tokio::time::timeout(DELIVERY_TIMEOUT, accepted.wait_for(|c| done(c))).await;
        match waited {
            Ok(Ok(commands)) => commands.clone(),
            _ => panic!(
                "fake collaboration server: {what} did not arrive; got {:#?}",
                self.accepted()
            ),
        }
    }
}

impl FakeCollaborationServer {
    /// The JSON `data` of the visitor's `createMessage` of `text` (as 1C's `Данные` holds it),
    /// once it arrives; its `dataType` must be `application/json`.
    pub async fn message_data(&self, text: &str) -> serde_json::Value {
        let commands = self
            .wait_for(&format!("the message {text:?}"), |commands| {
                commands
                    .iter()
                    .any(|c| matches!(c, Command::CreateMessage(m) if m.text == text))
            })
            .await;
        let message = commands
            .into_iter()
            .find_map(|c| match c {
                Command::CreateMessage(m) if m.text == text => Some(m),
                _ => None,
            })
            .expect("the message");
        assert_eq!(message.data_type.as_deref(), Some("application/json"));
        serde_json::from_str(message.data.as_deref().expect("the message carries data"))
            .expect("JSON data")
    }
}

impl Drop for FakeCollaborationServer {
    fn drop(&mut self) {
        self.down();
    }
}

async fn command(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let answer = answer(&shared, body).await;
    if !answer.status().is_success() && answer.status() != StatusCode::CONFLICT {
        shared.failures.send_modify(|failures| *failures += 1);
    }
    answer
}

async fn answer(shared: &Shared, body: Bytes) -> Response {
    let mode = *shared.mode.lock().unwrap();
    match mode {
        Mode::Normal => {}
        Mode::Fail500 => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "database is down").into_response();
        }
        Mode::Fail404 => return (StatusCode::NOT_FOUND, "No active integration").into_response(),
        Mode::Redirect => {
            return (StatusCode::FOUND, [(header::LOCATION, REDIRECT_PATH)]).into_response();
        }
        Mode::Hang => std::future::pending::<()>().await,
    }
    command_body(shared, body).await.into_response()
}

async fn command_body(shared: &Shared, body: Bytes) -> (StatusCode, String) {
    if body.starts_with(b"\xEF\xBB\xBF") {
        return (StatusCode::BAD_REQUEST, "body starts with a BOM".into());
    }
    let command: Command = match serde_json::from_slice(&body) {
        Ok(command) => command,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()),
    };
    let hangs =
        conversation_of(&command).is_some_and(|id| shared.hanging.lock().unwrap().contains(id));
    if hangs {
        std::future::pending::<()>().await;
    }
    if let Command::CreateMessage(message) = &command
        && shared.refused.lock().unwrap().contains(&message.text)
    {
        return (
            StatusCode::BAD_REQUEST,
            format!("message {} is not acceptable", message.ext_id),
        );
    }
    let outcome = {
        let mut objects = shared.objects.lock().unwrap();
        apply(&mut objects, &command)
    };
    match outcome.0 {
        StatusCode::OK => shared
            .accepted
            .send_modify(|accepted| accepted.push(command)),
        StatusCode::CONFLICT => {
            shared.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        _ => {}
    }
    outcome
}

/// The conversation a command is about, if any.
fn conversation_of(command: &Command) -> Option<&str> {
    match command {
        Command::CreateConversation(conversation) => Some(&conversation.ext_conversation_id),
        Command::UpdateConversation(update) => Some(&update.ext_conversation_id),
        Command::CreateMessage(message) | Command::UpdateMessage(message) => {
            Some(&message.ext_conversation_id)
        }
        Command::CreateUser(_) | Command::UpdateUser(_) => None,
    }
}

fn apply(objects: &mut Objects, command: &Command) -> (StatusCode, String) {
    let created = |set: &mut HashSet<String>, id: &str| {
        if set.insert(id.to_owned()) {
            (StatusCode::OK, "OK".to_owned())
        } else {
            (StatusCode::CONFLICT, "Conflict".to_owned())
        }
    };
    let missing =
        |what: &str, id: &str| (StatusCode::INTERNAL_SERVER_ERROR, format!("no {what} {id}"));
    match command {
        Command::CreateUser(user) => created(&mut objects.users, &user.ext_user_id),
        Command::UpdateUser(user) if !objects.users.contains(&user.ext_user_id) => {
            missing("user", &user.ext_user_id)
        }
        Command::CreateConversation(conversation) => match conversation.ext_user_id.as_deref() {
            Some(user) if !objects.users.contains(user) => missing("user", user),
            _ => match objects
                .conversations
                .entry(conversation.ext_conversation_id.clone())
            {
                Entry::Occupied(_) => (StatusCode::CONFLICT, "Conflict".to_owned()),
                Entry::Vacant(vacant) => {
                    let creator = conversation.ext_user_id.iter();
                    let members = creator.chain(conversation.members.iter().flatten());
                    vacant.insert(members.cloned().collect());
                    (StatusCode::OK, "OK".to_owned())
                }
            },
        },
        Command::UpdateConversation(update) => {
            let Some(members) = objects.conversations.get_mut(&update.ext_conversation_id) else {
                return missing("conversation", &update.ext_conversation_id);
            };
            members.extend(update.add_members.iter().flatten().cloned());
            for gone in update.remove_members.iter().flatten() {
                members.remove(gone);
            }
            (StatusCode::OK, "OK".to_owned())
        }
        Command::CreateMessage(message) => {
            let Some(members) = objects.conversations.get(&message.ext_conversation_id) else {
                return missing("conversation", &message.ext_conversation_id);
            };
            match message.ext_user_id.as_deref() {
                Some(author) if !members.contains(author) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "user {author} is not a member of conversation {}",
                        message.ext_conversation_id
                    ),
                ),
                _ => created(&mut objects.messages, &message.ext_id),
            }
        }
        Command::UpdateMessage(message) if !objects.messages.contains(&message.ext_id) => {
            missing("message", &message.ext_id)
        }
        _ => (StatusCode::OK, "OK".to_owned()),
    }
}
