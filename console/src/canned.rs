//! The operator's canned replies in the console: loaded when the workspace shows, offered by
//! the composer's picker (`ui::canned`), and changed from the management view the header opens.
//! Every change goes to the server first; the list shown is the server's answer.

use crate::api::{self, ApiError};
use crate::console::Console;
use client_core::inbox::Event;
use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::operator::{CannedReply, CannedReplyEdit, NewCannedReply};

/// The canned replies' state, copied into the components that use it.
#[derive(Debug, Clone, Copy)]
pub struct Canned {
    console: Console,
    /// Those of the operator's integrations, by integration and shortcut.
    pub replies: RwSignal<Vec<CannedReply>>,
    /// The management view is open.
    pub managing: RwSignal<bool>,
    /// Why the last change was refused.
    pub error: RwSignal<Option<String>>,
}

impl Canned {
    pub fn new(console: Console) -> Self {
        Self {
            console,
            replies: RwSignal::new(Vec::new()),
            managing: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Reads the canned replies from the server.
    pub fn load(self) {
        spawn_local(async move {
            match api::canned_replies().await {
                Ok(replies) => self.replies.set(replies),
                Err(error) => self.failed(error),
            }
        });
    }

    /// Creates a canned reply (`id` `None`) or changes one; `saved` runs once the server
    /// stored it.
    pub fn save(self, id: Option<i64>, request: NewCannedReply, saved: impl FnOnce() + 'static) {
        self.error.set(None);
        spawn_local(async move {
            let stored = match id {
                None => api::create_canned(&request).await,
                Some(id) => {
                    let edit = CannedReplyEdit {
                        shortcut: request.shortcut,
                        text: request.text,
                    };
                    api::update_canned(id, &edit).await
                }
            };
            match stored {
                Ok(reply) => {
                    self.replies.update(|replies| {
                        replies.retain(|held| held.id != reply.id);
                        replies.push(reply);
                        replies.sort_by(|a, b| {
                            (&a.integration_id, &a.shortcut).cmp(&(&b.integration_id, &b.shortcut))
                        });
                    });
                    saved();
                }
                Err(error) => self.failed(error),
            }
        });
    }

    pub fn delete(self, id: i64) {
        self.error.set(None);
        spawn_local(async move {
            match api::delete_canned(id).await {
                Ok(()) => self
                    .replies
                    .update(|replies| replies.retain(|held| held.id != id)),
                Err(error) => self.failed(error),
            }
        });
    }

    fn failed(self, error: ApiError) {
        match error {
            ApiError::Unauthorized(_) => self.console.on(Event::SignedOut),
            error => self.error.set(Some(error.to_string())),
        }
    }
}
