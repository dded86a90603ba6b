//! The console's state driven by events alone: what it shows and what it asks the server.

use super::*;
use protocol::operator::{Assignee, VisitorCard};
use protocol::{Author, AuthorKind};
use typers::Typer;

const ME: i64 = 7;

fn me() -> OperatorProfile {
    OperatorProfile {
        id: ME,
        email: "anna@example.com".into(),
        name: "Anna".into(),
        integrations: vec!["shop".into()],
    }
}

fn summary(id: i64, last_activity_at: i64) -> ConversationSummary {
    ConversationSummary {
        id,
        integration_id: "shop".into(),
        visitor: VisitorCard::default(),
        page: None,
        last_message: None,
        last_activity_at,
        unread: 1,
        visitor_read_seq: 0,
        assignee: None,
        status: ConversationStatus::Open,
        created_at: 0,
    }
}

fn assigned(mut conversation: ConversationSummary, to: i64) -> ConversationSummary {
    conversation.assignee = Some(Assignee {
        id: to,
        name: format!("operator {to}"),
    });
    conversation
}

fn message(conversation_id: i64, seq: i64, client_id: Option<&str>) -> Message {
    Message {
        id: seq * 100,
        conversation_id,
        seq,
        client_id: client_id.map(Into::into),
        author: Author {
            kind: AuthorKind::Visitor,
            name: None,
            picture: None,
        },
        text: format!("message {seq}"),
        text_format: TextFormat::Plain,
        sent_at: seq,
        edited_at: None,
    }
}

fn page(conversation_id: i64, seqs: std::ops::RangeInclusive<i64>, has_older: bool) -> MessagePage {
    MessagePage {
        messages: seqs
            .map(|seq| message(conversation_id, seq, None))
            .collect(),
        has_older,
        has_newer: false,
    }
}

fn list(conversations: Vec<ConversationSummary>) -> ConversationList {
    ConversationList {
        conversations,
        next_cursor: None,
    }
}

fn first_page(view: View) -> ConversationsQuery {
    ConversationsQuery {
        view,
        ..ConversationsQuery::default()
    }
}

fn ids(inbox: &Inbox) -> Vec<i64> {
    inbox.conversations.iter().map(|c| c.id).collect()
}

fn seqs(inbox: &Inbox) -> Vec<i64> {
    let thread = inbox.open.as_ref().expect("a conversation is open");
    thread.messages.iter().map(|m| m.seq).collect()
}

/// Signed in, on `view`, with `conversations` listed.
fn inbox_with(view: View, conversations: Vec<ConversationSummary>) -> Inbox {
    let mut inbox = Inbox::default();
    inbox.on(Event::SignedIn(me()));
    inbox.on(Event::ViewChosen(view));
    inbox.on(Event::ListLoaded {
        query: first_page(view),
        list: list(conversations),
    });
    inbox
}

/// Signed in, conversation 5 (and 6) listed, 5 open with `newest` loaded.
fn open_with(newest: MessagePage) -> Inbox {
    let mut inbox = inbox_with(View::All, vec![summary(5, 10), summary(6, 5)]);
    inbox.on(Event::Opened(5));
    inbox.on(Event::MessagesLoaded {
        conversation_id: 5,
        kind: PageKind::Newest,
        page: newest,
    });
    inbox
}

#[test]
fn signing_in_loads_the_inbox_and_connects() {
    let mut inbox = Inbox::default();
    assert_eq!(
        inbox.on(Event::SignedIn(me())),
        vec![
            Effect::LoadList(ConversationsQuery::default()),
            Effect::Connect { delay_ms: 0 }
        ]
    );
    assert_eq!(
        inbox.on(Event::ViewChosen(View::Mine)),
        vec![Effect::LoadList(ConversationsQuery {
            view: View::Mine,
            ..ConversationsQuery::default()
        })]
    );
    assert_eq!(inbox.on(Event::SignedOut), vec![Effect::Disconnect]);
    assert!(inbox.me.is_none());
    assert_eq!(inbox.on(Event::SocketLost { jitter: 0.5 }), vec![]);
}

#[test]
fn the_list_is_newest_activity_first() {
    let inbox = inbox_with(
        View::All,
        vec![summary(1, 10), summary(2, 30), summary(3, 20)],
    );
    assert_eq!(ids(&inbox), [2, 3, 1]);
    assert_eq!(inbox.highlighted, Some(2));
}

#[test]
fn a_list_for_another_view_is_ignored() {
    let mut inbox = inbox_with(View::Mine, vec![]);
    inbox.on(Event::ListLoaded {
        query: first_page(View::All),
        list: list(vec![summary(1, 1)]),
    });
    assert_eq!(ids(&inbox), Vec::<i64>::new());
}

#[test]
fn live_changes_move_conversations_in_and_out_of_views() {
    let mut unassigned = inbox_with(View::Unassigned, vec![summary(1, 10), summary(2, 20)]);
    let mut mine = inbox_with(View::Mine, vec![]);
    // A visitor writes into 1: it moves to the top.
    let event = Event::Live(OperatorEvent::Conversation {
        conversation: summary(1, 30),
    });
    unassigned.on(event.clone());
    mine.on(event);
    assert_eq!(ids(&unassigned), [1, 2]);
    assert_eq!(ids(&mine), Vec::<i64>::new());
    // Someone takes 1: it leaves Unassigned, and enters Mine only when it is mine.
    for (to, mine_ids) in [(ME + 1, vec![]), (ME, vec![1])] {
        let event = Event::Live(OperatorEvent::Conversation {
            conversation: assigned(summary(1, 30), to),
        });
        unassigned.on(event.clone());
        mine.on(event);
        assert_eq!(ids(&unassigned), [2]);
        assert_eq!(ids(&mine), mine_ids);
    }
    // Closed conversations leave every view.
    let mut closed = assigned(summary(1, 40), ME);
    closed.status = ConversationStatus::Closed;
    mine.on(Event::Changed(closed));
    assert_eq!(ids(&mine), Vec::<i64>::new());
    mine.on(Event::Live(OperatorEvent::Counts {
        counts: InboxCounts {
            unassigned: 0,
            mine: 4,
            all: 4,
        },
    }));
    assert_eq!(mine.counts.mine, 4);
}

#[test]
fn j_and_k_move_the_highlight_within_the_list() {
    let mut inbox = inbox_with(
        View::All,
        vec![summary(1, 30), summary(2, 20), summary(3, 10)],
    );
    inbox.on(Event::Previous);
    assert_eq!(inbox.highlighted, Some(1), "stays at the top");
    inbox.on(Event::Next);
    inbox.on(Event::Next);
    inbox.on(Event::Next);
    assert_eq!(inbox.highlighted, Some(3), "stays at the bottom");
    inbox.on(Event::Previous);
    assert_eq!(inbox.highlighted, Some(2));
    inbox.on(Event::Opened(2));
    inbox.on(Event::Left);
    assert!(inbox.open.is_none());
    assert_eq!(inbox.highlighted, Some(2), "back on the one just left");
}

#[test]
fn opening_loads_the_newest_page_and_marks_it_read() {
    let mut inbox = inbox_with(View::All, vec![summary(5, 10)]);
    assert_eq!(
        inbox.on(Event::Opened(5)),
        vec![Effect::LoadMessages {
            conversation_id: 5,
            kind: PageKind::Newest,
            query: MessagesQuery {
                limit: Some(MESSAGE_PAGE),
                ..MessagesQuery::default()
            }
        }]
    );
    assert_eq!(inbox.on(Event::Opened(5)), vec![], "already open");
    let effects = inbox.on(Event::MessagesLoaded {
        conversation_id: 5,
        kind: PageKind::Newest,
        page: page(5, 51..=100, true),
    });
    assert_eq!(
        effects,
        vec![Effect::MarkRead {
            conversation_id: 5,
            request: ReadRequest { seq: 100 }
        }]
    );
    assert_eq!(inbox.conversation(5).map(|c| c.unread), Some(0));
    // A page for a conversation no longer open changes nothing.
    assert_eq!(
        inbox.on(Event::MessagesLoaded {
            conversation_id: 6,
            kind: PageKind::Newest,
            page: page(6, 1..=3, false),
        }),
        vec![]
    );
    assert_eq!(seqs(&inbox).len(), 50);
}

#[test]
fn scrolling_up_asks_for_each_older_page_once() {
    let mut inbox = open_with(page(5, 51..=100, true));
    let older = vec![Effect::LoadMessages {
        conversation_id: 5,
        kind: PageKind::Older,
        query: MessagesQuery {
            before_seq: Some(51),
            limit: Some(MESSAGE_PAGE),
            ..MessagesQuery::default()
        },
    }];
    assert_eq!(inbox.on(Event::OlderWanted), older);
    assert_eq!(inbox.on(Event::OlderWanted), vec![], "one page at a time");
    inbox.on(Event::MessagesLoaded {
        conversation_id: 5,
        kind: PageKind::Older,
        page: page(5, 1..=50, false),
    });
    assert_eq!(seqs(&inbox), (1..=100).collect::<Vec<_>>());
    assert_eq!(inbox.on(Event::OlderWanted), vec![], "nothing older");
}

#[test]
fn a_reply_is_pending_until_stored_and_shown_once() {
    let mut inbox = open_with(page(5, 1..=2, false));
    assert_eq!(
        inbox.on(Event::ReplyWritten {
            client_id: "c-1".into(),
            text: "   ".into()
        }),
        vec![],
        "blank replies are not sent"
    );
    let reply = Effect::Reply {
        conversation_id: 5,
        request: ReplyRequest {
            text: "Hello".into(),
            text_format: TextFormat::Plain,
            client_id: "c-1".into(),
        },
    };
    let written = Event::ReplyWritten {
        client_id: "c-1".into(),
        text: "Hello".into(),
    };
    assert_eq!(inbox.on(written.clone()), vec![reply.clone()]);
    inbox.on(Event::ReplyFailed {
        conversation_id: 5,
        client_id: "c-1".into(),
    });
    let thread = inbox.open.as_ref().unwrap();
    assert!(thread.pending[0].failed);
    // Sent again: the same reply, not a second one.
    assert_eq!(inbox.on(written), vec![reply]);
    assert_eq!(inbox.open.as_ref().unwrap().pending.len(), 1);
    assert!(!inbox.open.as_ref().unwrap().pending[0].failed);
    // The live message and the REST answer both bring it: one message, nothing pending, and
    // no read position to tell for the operator's own reply.
    assert_eq!(
        inbox.on(Event::ReplyStored {
            message: message(5, 3, Some("c-1"))
        }),
        vec![]
    );
    assert_eq!(
        inbox.on(Event::Live(OperatorEvent::Message {
            message: message(5, 3, Some("c-1"))
        })),
        vec![]
    );
    assert_eq!(seqs(&inbox), [1, 2, 3]);
    assert!(inbox.open.as_ref().unwrap().pending.is_empty());
}

#[test]
fn live_messages_of_the_open_conversation_are_read_at_once() {
    let mut inbox = open_with(page(5, 1..=2, false));
    assert_eq!(
        inbox.on(Event::Live(OperatorEvent::Message {
            message: message(5, 3, None)
        })),
        vec![Effect::MarkRead {
            conversation_id: 5,
            request: ReadRequest { seq: 3 }
        }]
    );
    let mut changed = summary(5, 20);
    changed.unread = 1;
    inbox.on(Event::Live(OperatorEvent::Conversation {
        conversation: changed,
    }));
    assert_eq!(inbox.conversation(5).map(|c| c.unread), Some(0));
    // Another conversation's message waits for its own opening.
    assert_eq!(
        inbox.on(Event::Live(OperatorEvent::Message {
            message: message(6, 1, None)
        })),
        vec![]
    );
    assert_eq!(seqs(&inbox), [1, 2, 3]);
}

#[test]
fn take_close_and_reopen_act_on_the_open_conversation() {
    let mut inbox = inbox_with(View::All, vec![summary(5, 10)]);
    assert_eq!(inbox.on(Event::Take), vec![], "nothing open");
    inbox.on(Event::Opened(5));
    assert_eq!(
        inbox.on(Event::Take),
        vec![Effect::Assign {
            conversation_id: 5,
            request: AssignRequest {
                operator: AssignTarget::Me
            }
        }]
    );
    inbox.on(Event::Refused("Olga has taken it".into()));
    assert_eq!(inbox.notice.as_deref(), Some("Olga has taken it"));
    assert_eq!(
        inbox.on(Event::Close),
        vec![Effect::SetStatus {
            conversation_id: 5,
            status: ConversationStatus::Closed
        }]
    );
    assert_eq!(inbox.notice, None, "a new action clears the notice");
    assert_eq!(
        inbox.on(Event::Reopen),
        vec![Effect::SetStatus {
            conversation_id: 5,
            status: ConversationStatus::Open
        }]
    );
    let mut closed = summary(5, 10);
    closed.status = ConversationStatus::Closed;
    inbox.on(Event::Changed(closed));
    let thread = inbox.open.as_ref().unwrap();
    assert_eq!(
        thread.summary.as_ref().map(|s| s.status),
        Some(ConversationStatus::Closed),
        "the open conversation shows its new status"
    );
}

#[test]
fn a_lost_socket_retries_with_backoff_and_catches_up() {
    let mut inbox = open_with(page(5, 1..=2, false));
    inbox.on(Event::SocketOpened);
    assert!(inbox.live);
    let delays: Vec<_> = (0..3)
        .map(|_| inbox.on(Event::SocketLost { jitter: 1.0 }))
        .collect();
    assert_eq!(
        delays,
        [500, 1000, 2000].map(|delay_ms| vec![Effect::Connect { delay_ms }])
    );
    assert!(!inbox.live);
    assert_eq!(
        inbox.on(Event::SocketOpened),
        vec![
            Effect::LoadList(ConversationsQuery::default()),
            Effect::LoadTeam,
            Effect::LoadMessages {
                conversation_id: 5,
                kind: PageKind::Newer,
                query: MessagesQuery {
                    after_seq: Some(2),
                    limit: Some(MESSAGE_PAGE),
                    ..MessagesQuery::default()
                }
            }
        ]
    );
    // A full page of newer messages asks for the next one.
    let mut newer = page(5, 3..=4, false);
    newer.has_newer = true;
    let effects = inbox.on(Event::MessagesLoaded {
        conversation_id: 5,
        kind: PageKind::Newer,
        page: newer,
    });
    assert_eq!(
        effects[0],
        Effect::LoadMessages {
            conversation_id: 5,
            kind: PageKind::Newer,
            query: MessagesQuery {
                after_seq: Some(4),
                limit: Some(MESSAGE_PAGE),
                ..MessagesQuery::default()
            }
        }
    );
    assert_eq!(
        inbox.on(Event::SocketLost { jitter: 1.0 }),
        vec![Effect::Connect { delay_ms: 500 }],
        "an opened socket resets the backoff"
    );
}

#[test]
fn a_conversation_opened_before_the_list_learns_its_summary_from_it() {
    let mut inbox = Inbox::default();
    inbox.on(Event::SignedIn(me()));
    inbox.on(Event::Opened(5));
    assert_eq!(inbox.open.as_ref().unwrap().summary, None);
    inbox.on(Event::ListLoaded {
        query: first_page(View::All),
        list: list(vec![summary(5, 10)]),
    });
    let thread = inbox.open.as_ref().unwrap();
    assert_eq!(thread.summary.as_ref().map(|s| s.id), Some(5));
}

#[test]
fn the_list_pages_on_by_its_cursor_once_at_a_time() {
    let mut inbox = Inbox::default();
    inbox.on(Event::SignedIn(me()));
    assert_eq!(inbox.on(Event::MoreWanted), vec![], "no page yet");
    let mut first = list(vec![summary(1, 30), summary(2, 20)]);
    first.next_cursor = Some("c2".into());
    inbox.on(Event::ListLoaded {
        query: first_page(View::All),
        list: first,
    });
    let next = ConversationsQuery {
        cursor: Some("c2".into()),
        ..first_page(View::All)
    };
    assert_eq!(
        inbox.on(Event::MoreWanted),
        vec![Effect::LoadList(next.clone())]
    );
    assert_eq!(inbox.on(Event::MoreWanted), vec![], "one page at a time");
    // 2 became active meanwhile and is on the next page again: listed once.
    inbox.on(Event::ListLoaded {
        query: next,
        list: list(vec![summary(2, 20), summary(3, 10)]),
    });
    assert_eq!(ids(&inbox), [1, 2, 3]);
    assert_eq!(inbox.on(Event::MoreWanted), vec![], "the last page");
    // The first page again (a reconnect) starts the list afresh.
    inbox.on(Event::ListLoaded {
        query: first_page(View::All),
        list: list(vec![summary(3, 40)]),
    });
    assert_eq!(ids(&inbox), [3]);
}

fn operator_message(conversation_id: i64, seq: i64, name: &str) -> Message {
    let mut message = message(conversation_id, seq, None);
    message.author = Author {
        kind: AuthorKind::Operator,
        name: Some(name.into()),
        picture: None,
    };
    message
}

fn typing_of(inbox: &Inbox) -> Option<Typer> {
    inbox
        .open
        .as_ref()
        .and_then(|thread| thread.typing.shown().cloned())
}

#[test]
fn typing_shows_the_visitor_or_another_operator_until_quiet_or_their_message() {
    let mut inbox = open_with(page(5, 1..=2, false));
    inbox.on(Event::Tick { now: 1_000 });
    let typing = |operator: Option<(i64, &str)>, conversation_id| {
        Event::Live(OperatorEvent::Typing {
            conversation_id,
            operator: operator.map(|(id, name)| Assignee {
                id,
                name: name.into(),
            }),
        })
    };
    inbox.on(typing(None, 6));
    assert_eq!(typing_of(&inbox), None, "not the open conversation");
    inbox.on(typing(Some((ME, "Anna")), 5));
    assert_eq!(typing_of(&inbox), None, "my own typing is not shown");
    inbox.on(typing(None, 5));
    assert_eq!(typing_of(&inbox), Some(Typer::Visitor));
    inbox.on(Event::Tick { now: 5_999 });
    assert_eq!(typing_of(&inbox), Some(Typer::Visitor));
    inbox.on(Event::Tick { now: 6_000 });
    assert_eq!(typing_of(&inbox), None, "five seconds without a notice");

    inbox.on(typing(None, 5));
    inbox.on(Event::Live(OperatorEvent::Message {
        message: message(5, 3, None),
    }));
    assert_eq!(
        typing_of(&inbox),
        None,
        "the visitor's message ends its typing"
    );

    inbox.on(typing(Some((8, "Boris")), 5));
    assert_eq!(typing_of(&inbox), Some(Typer::Operator("Boris".into())));
    inbox.on(Event::Live(OperatorEvent::Message {
        message: operator_message(5, 4, "Boris"),
    }));
    assert_eq!(typing_of(&inbox), None);
}

#[test]
fn the_composer_says_it_types_at_most_every_two_seconds_and_anew_after_a_reply() {
    let mut inbox = Inbox::default();
    let drafted = |inbox: &mut Inbox, text: &str, now| {
        inbox.on(Event::Drafted {
            text: text.into(),
            now,
        })
    };
    assert_eq!(drafted(&mut inbox, "h", 0), vec![], "nothing open");
    let mut inbox = open_with(page(5, 1..=1, false));
    let typing = vec![Effect::SendTyping { conversation_id: 5 }];
    assert_eq!(drafted(&mut inbox, "h", 1_000), typing);
    assert_eq!(drafted(&mut inbox, "he", 2_000), vec![]);
    assert_eq!(drafted(&mut inbox, "hel", 3_000), typing);
    inbox.on(Event::ReplyWritten {
        client_id: "c-1".into(),
        text: "hel".into(),
    });
    assert_eq!(drafted(&mut inbox, "n", 3_100), typing, "a new reply");
    assert_eq!(drafted(&mut inbox, "", 9_000), vec![], "an empty composer");
}

#[test]
fn seen_marks_the_newest_operator_message_up_to_the_visitors_read_position() {
    let mut conversation = summary(5, 10);
    conversation.visitor_read_seq = 2;
    let mut inbox = inbox_with(View::All, vec![conversation.clone()]);
    inbox.on(Event::Opened(5));
    inbox.on(Event::MessagesLoaded {
        conversation_id: 5,
        kind: PageKind::Newest,
        page: MessagePage {
            messages: vec![
                operator_message(5, 1, "Anna"),
                message(5, 2, None),
                operator_message(5, 3, "Anna"),
                operator_message(5, 4, "Boris"),
            ],
            has_older: false,
            has_newer: false,
        },
    });
    let seen = |inbox: &Inbox| inbox.open.as_ref().unwrap().seen_seq();
    assert_eq!(seen(&inbox), Some(1), "from the summary");
    inbox.on(Event::Live(OperatorEvent::VisitorRead {
        conversation_id: 5,
        seq: 3,
    }));
    assert_eq!(seen(&inbox), Some(3));
    assert_eq!(inbox.conversation(5).unwrap().visitor_read_seq, 3);
    inbox.on(Event::Live(OperatorEvent::VisitorRead {
        conversation_id: 5,
        seq: 2,
    }));
    assert_eq!(seen(&inbox), Some(3), "a read position never goes back");
    inbox.on(Event::Live(OperatorEvent::Conversation {
        conversation: ConversationSummary {
            visitor_read_seq: 4,
            ..conversation
        },
    }));
    assert_eq!(seen(&inbox), Some(4), "a summary carries it too");
}

#[test]
fn the_team_is_offered_per_integration_with_presence_kept_live() {
    let mut inbox = open_with(page(5, 1..=1, false));
    let mate = |id, name: &str, integrations: &[&str], online| Teammate {
        id,
        name: name.into(),
        integrations: integrations.iter().map(|id| (*id).to_owned()).collect(),
        online,
    };
    inbox.on(Event::TeamLoaded(TeammateList {
        operators: vec![
            mate(ME, "Anna", &["shop"], true),
            mate(8, "Boris", &["shop", "blog"], false),
            mate(9, "Cid", &["blog"], true),
        ],
    }));
    let offered = |inbox: &Inbox| -> Vec<(i64, bool)> {
        inbox
            .team_of("shop")
            .map(|mate| (mate.id, mate.online))
            .collect()
    };
    assert_eq!(offered(&inbox), [(ME, true), (8, false)]);
    inbox.on(Event::Live(OperatorEvent::Presence {
        operator: Assignee {
            id: 8,
            name: "Boris".into(),
        },
        online: true,
    }));
    assert_eq!(offered(&inbox), [(ME, true), (8, true)]);
    assert_eq!(
        inbox.on(Event::Assign(AssignTarget::Operator(8))),
        vec![Effect::Assign {
            conversation_id: 5,
            request: AssignRequest {
                operator: AssignTarget::Operator(8)
            }
        }]
    );
    assert_eq!(
        inbox.on(Event::Assign(AssignTarget::Nobody)),
        vec![Effect::Assign {
            conversation_id: 5,
            request: AssignRequest {
                operator: AssignTarget::Nobody
            }
        }]
    );
}
