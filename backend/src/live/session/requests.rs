//! What the client's requests that change something do: `send` stores a message and
//! acknowledges it, `set_contact` stores the visitor's contact, `identify` binds the visitor to
//! the site's user and switches the session to that person's conversation. Each is checked by
//! `parse.rs` first and published on the hub after, so the person's other tabs follow; a new
//! message also goes to the integration's operators.

use super::{Flow, Session, parse};
use crate::auth::{matching_key, visitor_token};
use crate::live::history::Page;
use crate::live::hub::HubEvent;
use crate::live::publish;
use crate::people::{Identified, TokenRotation};
use crate::store::{Appended, NewMessage, StoreError, Visitor};
use protocol::{ErrorCode, ServerFrame};

impl Session {
    /// `send`: the message checked ([`parse::parse_send`]), counted against the visitor's
    /// message limit, stored, acknowledged, and published to the person's other tabs. A
    /// refused message does not count: the visitor may correct it and send again at once.
    pub(super) async fn send_message(&mut self, sent: NewMessage) -> Flow {
        let started = crate::telemetry::send_started();
        let new = match parse::parse_send(sent, &self.state.limits, self.integration.page_query) {
            Ok(new) => new,
            Err(refusal) => return self.refuse(refusal).await,
        };
        let client_id = new.client_id.clone();
        if let Err(refusal) = self.state.rate_limits.messages.check(&self.visitor.id) {
            return self.rate_limited(refusal, Some(client_id)).await;
        }
        match self
            .state
            .store
            .append_visitor_message(&self.visitor, new, self.integration.bridge())
            .await
        {
            Ok(appended) => {
                let message = appended.message().clone();
                if let Appended::Created(created) = appended {
                    crate::telemetry::visitor_message_stored(started);
                    self.delivered.acked(created.seq);
                    publish::stored_message(
                        &self.state,
                        &self.visitor.integration_id,
                        self.visitor.person_id,
                        created,
                    );
                }
                self.frame(ServerFrame::Ack { client_id, message }).await
            }
            Err(error) => self.internal_error(&error, Some(client_id)).await,
        }
    }

    pub(super) async fn set_contact(&mut self, contact: protocol::ContactInfo) -> Flow {
        let contact = match parse::parse_contact(contact) {
            Ok(contact) => contact,
            Err(refusal) => return self.refuse(refusal).await,
        };
        match self
            .state
            .store
            .set_contact(self.visitor.person_id, &contact, self.integration.bridge())
            .await
        {
            Ok(()) => {
                self.visitor.contact = contact.clone();
                self.frame(ServerFrame::Contact { contact }).await
            }
            Err(error) => self.internal_error(&error, None).await,
        }
    }

    pub(super) async fn identify(&mut self, token: &str) -> Flow {
        let now = u64::try_from(crate::store::now_ms() / 1000).unwrap_or_default();
        let policy = self
            .integration
            .token_policy(self.state.limits.max_token_bytes);
        let key = match matching_key::verify(token, &policy, now) {
            Ok(key) => key,
            Err(error) => {
                crate::telemetry::token_rejected(error.reason());
                return self
                    .error(ErrorCode::TokenRejected, error.to_string(), None)
                    .await;
            }
        };
        let previous_person = self.visitor.person_id;
        let bridge = self.integration.bridge();
        let new_token = visitor_token::random_token();
        match self
            .state
            .store
            .identify(
                self.visitor.id,
                &key.sub,
                &visitor_token::hash(&new_token),
                bridge,
            )
            .await
        {
            Ok(Identified { visitor, token }) => {
                // Only this session learns the new token; the browser's other tabs read it
                // from the storage they share when they reconnect.
                self.new_token = (token == TokenRotation::Replaced).then_some(new_token);
                // Other tabs of this visitor follow.
                self.state.hub.publish(
                    &previous_person,
                    HubEvent::Rebound {
                        visitor_id: self.visitor.id,
                    },
                );
                self.rebind(visitor).await
            }
            Err(error) => self.internal_error(&error, None).await,
        }
    }

    /// Switches the session to `visitor`'s person and sends the newest page of its history.
    pub(super) async fn rebind(&mut self, visitor: Visitor) -> Flow {
        if visitor.person_id != self.visitor.person_id {
            self.subscription = self.state.hub.subscribe(visitor.person_id);
        }
        self.visitor = visitor;
        let history = async {
            let store = &self.state.store;
            let conversation_id = store.conversation_of(self.visitor.person_id).await?;
            let page = match conversation_id {
                Some(id) => self.newest_page(id).await?,
                None => Page::default(),
            };
            Ok::<_, StoreError>((conversation_id, page))
        };
        let (conversation_id, page) = match history.await {
            Ok(history) => history,
            Err(error) => return self.internal_error(&error, None).await,
        };
        self.conversation_id = conversation_id;
        let header = match self.header().await {
            Ok(header) => header,
            Err(error) => return self.internal_error(&error, None).await,
        };
        self.delivered
            .reset(page.messages.last().map_or(0, |m| m.seq));
        let visitor_token = self.new_token.take();
        let flow = self
            .frame(ServerFrame::Identified {
                sub: self.visitor.sub.clone().unwrap_or_default(),
                conversation_id,
                contact: self.visitor.contact.clone(),
                messages: page.messages,
                has_older: page.has_older,
                visitor_token,
                title: header.title,
            })
            .await;
        if matches!(flow, Flow::Stop) {
            return flow;
        }
        self.seen_so_far(header.operator_read_seq).await
    }
}
