//! What the client gets from the store: the welcome (the newest page, or on a resume the
//! messages it lacks), pages of older history, and the refill of a lagging or reordered live
//! feed; and the delivery of live messages, which keeps
//! [`Delivered`](crate::live::delivered::Delivered) so the client gets each message once and in
//! order.

use super::{Flow, Resume, Session};
use crate::live::delivered::Verdict;
use crate::live::history::{self, Older, Page, PageBudget};
use crate::store::{ConversationHeader, StoreError};
use protocol::{ErrorCode, Message, ServerFrame};

/// Rows to read for a page of `messages`: one more tells whether there are more.
fn rows_for(messages: usize) -> i64 {
    i64::try_from(messages).unwrap_or(i64::MAX - 1) + 1
}

impl Session {
    pub(super) async fn welcome(&mut self, resume: Resume) -> Result<(), StoreError> {
        let store = &self.state.store;
        let conversation_id = store.conversation_of(self.visitor.person_id).await?;
        let (page, reset) = match conversation_id {
            Some(id) if resume.conversation_id == Some(id) => {
                self.catch_up(id, resume.after_seq.unwrap_or(0)).await?
            }
            Some(id) => (self.newest_page(id).await?, true),
            None => (Page::default(), true),
        };
        self.conversation_id = conversation_id;
        let header = self.header().await?;
        if let Some(last) = page.messages.last() {
            self.delivered.reset(last.seq);
        }
        self.frame(ServerFrame::Welcome {
            visitor_id: self.visitor.id,
            conversation_id,
            sub: self.visitor.sub.clone(),
            contact: self.visitor.contact.clone(),
            messages: page.messages,
            reset,
            max_message_bytes: self.state.limits.max_message_bytes,
            has_older: page.has_older,
            title: header.title,
        })
        .await;
        self.seen_so_far(header.operator_read_seq).await;
        Ok(())
    }

    /// The title of the session's conversation and how far operators read it.
    pub(super) async fn header(&self) -> Result<ConversationHeader, StoreError> {
        match self.conversation_id {
            Some(id) => self.state.store.conversation_header(id).await,
            None => Ok(ConversationHeader::default()),
        }
    }

    /// After a welcome or `identified`: the operators' read position, as live reads send it,
    /// so a reloaded widget shows "seen" as before. Nothing when no operator read anything.
    pub(super) async fn seen_so_far(&self, operator_read_seq: i64) -> Flow {
        match self.conversation_id {
            Some(conversation_id) if operator_read_seq > 0 => {
                self.frame(ServerFrame::Seen {
                    conversation_id,
                    seq: operator_read_seq,
                })
                .await
            }
            _ => Flow::Continue,
        }
    }

    /// What a client holding every message up to `after` gets, and whether it replaces what
    /// the client holds: the messages after `after` when they fit one page; otherwise the
    /// newest page, as for a new client. Catching up page by page would send a long absence
    /// as a burst of pages the visitor mostly never scrolls to; the newest page is bounded,
    /// and what lies between is older history, fetched on demand like any.
    async fn catch_up(&mut self, id: i64, after: i64) -> Result<(Page, bool), StoreError> {
        self.delivered.reset(after);
        let budget = self.budget();
        let rows = self
            .state
            .store
            .messages_after(id, after, rows_for(budget.messages))
            .await?;
        let older = Older::from_rows(rows.len(), budget.messages);
        let missing = Page::newest(rows, budget.messages, &budget, older, self.cut_marker());
        if missing.has_older {
            Ok((self.newest_page(id).await?, true))
        } else {
            // Older messages the client holds already, or fetches with `history` frames.
            Ok((missing, false))
        }
    }

    /// The newest page of conversation `id`.
    pub(super) async fn newest_page(&self, id: i64) -> Result<Page, StoreError> {
        self.page_before(id, i64::MAX, self.budget().messages).await
    }

    /// At most `messages` of conversation `id` just before `before_seq`, as fit one page.
    async fn page_before(
        &self,
        id: i64,
        before_seq: i64,
        messages: usize,
    ) -> Result<Page, StoreError> {
        let rows = self
            .state
            .store
            .messages_before(id, before_seq, rows_for(messages))
            .await?;
        let older = Older::from_rows(rows.len(), messages);
        Ok(Page::newest(
            rows,
            messages,
            &self.budget(),
            older,
            self.cut_marker(),
        ))
    }

    /// `history`: the page before `before_seq`. Pages reach no further forward than what the
    /// client was delivered; newer messages come in order as ever.
    pub(super) async fn history(&mut self, before_seq: i64, limit: i64) -> Flow {
        let conversation_id = match self.conversation().await {
            Ok(Some(id)) => id,
            Ok(None) => {
                let reason = "there is no conversation yet, so no history to page".to_owned();
                return self.error(ErrorCode::BadFrame, reason, None).await;
            }
            Err(error) => return self.internal_error(&error, None).await,
        };
        let messages = self.budget().messages_for(limit);
        let before = before_seq.min(self.delivered.seq().saturating_add(1));
        match self.page_before(conversation_id, before, messages).await {
            Ok(page) => {
                self.frame(ServerFrame::History {
                    conversation_id,
                    before_seq,
                    messages: page.messages,
                    has_older: page.has_older,
                })
                .await
            }
            Err(error) => self.internal_error(&error, None).await,
        }
    }

    fn budget(&self) -> PageBudget {
        PageBudget::for_limits(&self.state.limits)
    }

    /// What ends a stored message cut to fit a page, in the integration's language.
    fn cut_marker(&self) -> &'static str {
        history::cut_marker(&self.integration.params.language_code)
    }

    /// The session's conversation, looked up once the visitor has one.
    pub(super) async fn conversation(&mut self) -> Result<Option<i64>, StoreError> {
        if self.conversation_id.is_none() {
            self.conversation_id = self
                .state
                .store
                .conversation_of(self.visitor.person_id)
                .await?;
        }
        Ok(self.conversation_id)
    }

    /// Sends what the client lacks of `messages`; a gap is filled from the store.
    pub(super) async fn deliver(&mut self, messages: Vec<Message>) -> Flow {
        for message in messages {
            match self.conversation_id {
                None => self.conversation_id = Some(message.conversation_id),
                Some(id) if id != message.conversation_id => continue,
                Some(_) => {}
            }
            match self.delivered.offer(message.seq) {
                Verdict::Skip => continue,
                Verdict::Gap => return self.resync().await,
                Verdict::Send => {}
            }
            if let Flow::Stop = self.frame(ServerFrame::Message { message }).await {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }

    /// Sends what the client lacks from the store, a page's worth of rows at a time: never
    /// more in memory than a page, each message cut to fit a frame, the writer's queue pacing
    /// the pages.
    pub(super) async fn resync(&mut self) -> Flow {
        let id = match self.conversation().await {
            Ok(Some(id)) => id,
            Ok(None) => return Flow::Continue,
            Err(error) => return self.internal_error(&error, None).await,
        };
        let budget = self.budget();
        let marker = self.cut_marker();
        loop {
            let from = self.delivered.seq();
            let rows = self
                .state
                .store
                .messages_after(id, from, rows_for(budget.messages))
                .await;
            let rows = match rows {
                Ok(rows) => rows,
                Err(error) => return self.internal_error(&error, None).await,
            };
            let more = rows.len() > budget.messages;
            let missing = rows
                .into_iter()
                .map(|message| history::fitted(message, budget.bytes, marker))
                .collect();
            // Straight from the store: contiguous, so no further resync.
            if let Flow::Stop = Box::pin(self.deliver(missing)).await {
                return Flow::Stop;
            }
            if !more || self.delivered.seq() == from {
                return Flow::Continue;
            }
        }
    }
}
