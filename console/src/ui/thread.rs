//! The open conversation, the page's main part: who answers it and its status with Take /
//! Assign / Close conversation / Reopen, its messages (older pages load when the operator
//! scrolls to the top; the log takes the focus, so the keyboard scrolls it too) with "Seen"
//! under the newest operator message the visitor has seen, the replies on their way, who is
//! typing, and the composer: Enter sends, Shift+Enter starts a new line.

use crate::browser;
use crate::console::Console;
use client_core::inbox::Event;
use client_core::inbox::typers::Typer;
use client_core::inbox::words::Word;
use leptos::prelude::*;
use protocol::operator::ConversationStatus;
use protocol::{AuthorKind, Message, TextFormat};

/// How close to the top (in pixels) the log asks for the older page.
const OLDER_MARGIN: i32 = 48;

#[component]
pub fn Thread(console: Console) -> impl IntoView {
    let inbox = console.inbox;
    // A memo: only another conversation rebuilds the pane, not every change of the inbox (which
    // would empty the composer and close its canned-reply list under the operator's fingers).
    let open_id =
        Memo::new(move |_| inbox.with(|inbox| inbox.open.as_ref().map(|thread| thread.id)));
    move || match open_id.get() {
        None => view! {
            <section class="co-thread co-thread-empty">
                <p>{console.word(Word::PickConversation)}</p>
            </section>
        }
        .into_any(),
        Some(id) => view! { <Open console=console id=id /> }.into_any(),
    }
}

#[component]
fn Open(console: Console, id: i64) -> impl IntoView {
    let inbox = console.inbox;
    let summary = move || inbox.with(|inbox| inbox.open.as_ref().and_then(|t| t.summary.clone()));
    let name = move || {
        summary()
            .map(|conversation| super::list::visitor_name(console, &conversation))
            .unwrap_or_else(|| format!("{} #{id}", console.word(Word::Visitor)))
    };
    let me = move || inbox.with(|inbox| inbox.me.as_ref().map(|me| me.id));
    let assignee = move || summary().and_then(|conversation| conversation.assignee);
    let mine = move || assignee().map(|assignee| assignee.id) == me();
    let closed = move || {
        summary().is_some_and(|conversation| conversation.status == ConversationStatus::Closed)
    };
    let assignee_name = move || {
        assignee().map_or_else(
            || console.word(Word::Nobody).to_owned(),
            |assignee| assignee.name,
        )
    };
    let notice = move || inbox.with(|inbox| inbox.notice.clone());
    view! {
        <section class="co-thread" aria-label=name>
            <header class="co-thread-head">
                <button type="button" class="co-button co-back" on:click=move |_| console.open(None)>
                    {console.word(Word::Back)}
                </button>
                <h2 class="co-thread-name">{name}</h2>
                <span class="co-assignee">
                    {console.word(Word::AssignedTo)} ": " {assignee_name}
                </span>
                <Show when=closed>
                    <span class="co-closed">{console.word(Word::Closed)}</span>
                </Show>
                <Show when=move || !mine() && !closed()>
                    <button type="button" class="co-button co-primary" on:click=move |_| console.on(Event::Take)>
                        {console.word(Word::Take)}
                    </button>
                </Show>
                <Show when=move || !closed()>
                    <super::assign::AssignMenu console=console />
                </Show>
                <Show
                    when=closed
                    fallback=move || view! {
                        <button type="button" class="co-button" on:click=move |_| console.on(Event::Close)>
                            {console.word(Word::CloseConversation)}
                        </button>
                    }
                >
                    <button type="button" class="co-button" on:click=move |_| console.on(Event::Reopen)>
                        {console.word(Word::Reopen)}
                    </button>
                </Show>
            </header>
            <p class="co-notice" role="alert">{notice}</p>
            <Log console=console />
            <TypingLine console=console />
            <Composer console=console />
        </section>
    }
}

/// "Visitor is typing…" or "Anna is typing…", announced politely: the line changes when
/// someone starts or stops, not at every notice.
#[component]
fn TypingLine(console: Console) -> impl IntoView {
    let typer = move || {
        console
            .inbox
            .with(|inbox| inbox.open.as_ref().and_then(|t| t.typing.shown().cloned()))
    };
    let line = move || {
        typer().map(|typer| {
            let name = match typer {
                Typer::Visitor => console.word(Word::Visitor).to_owned(),
                Typer::Operator(name) => name,
            };
            format!("{name} {}", console.word(Word::IsTyping))
        })
    };
    view! { <p class="co-typing" role="status">{line}</p> }
}

/// The messages, oldest first, then the replies on their way. New messages scroll the log to
/// the bottom; an older page keeps in view what the operator was reading.
#[component]
fn Log(console: Console) -> impl IntoView {
    let inbox = console.inbox;
    let log = NodeRef::<leptos::html::Ol>::new();
    let seqs = move || {
        inbox.with(|inbox| {
            inbox.open.as_ref().map_or_else(Vec::new, |thread| {
                thread
                    .messages
                    .iter()
                    .map(|message| message.seq)
                    .collect::<Vec<_>>()
            })
        })
    };
    let loading_older =
        move || inbox.with(|inbox| inbox.open.as_ref().is_some_and(|t| t.loading_older));
    // (oldest seq, newest seq, scroll height) when last drawn.
    let drawn = StoredValue::new((None::<i64>, None::<i64>, 0));
    Effect::new(move |_| {
        let seqs = seqs();
        let (first, last) = (seqs.first().copied(), seqs.last().copied());
        // After the new messages are drawn; the conversation may have been left by then.
        browser::after(0, move || {
            let (Some(Some(log)), Some((drawn_first, drawn_last, drawn_height))) =
                (log.try_get_untracked(), drawn.try_get_value())
            else {
                return;
            };
            let height = log.scroll_height();
            if last != drawn_last {
                log.set_scroll_top(height);
            } else if first != drawn_first {
                log.set_scroll_top(log.scroll_top() + height - drawn_height);
            }
            drawn.try_set_value((first, last, height));
        });
    });
    let pending = move || {
        inbox.with(|inbox| {
            inbox
                .open
                .as_ref()
                .map(|thread| thread.pending.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <ol class="co-log" node_ref=log tabindex="0" aria-label=console.word(Word::Messages) aria-live="polite"
            on:scroll=move |_| {
                if log.get_untracked().is_some_and(|log| log.scroll_top() < OLDER_MARGIN) {
                    console.on(Event::OlderWanted);
                }
            }>
            <Show when=loading_older>
                <li class="co-loading" role="status">{console.word(Word::LoadingEarlier)}</li>
            </Show>
            <For each=seqs key=|seq| *seq let:seq>
                <MessageView console=console seq=seq />
            </For>
            <For each=pending key=|reply| (reply.client_id.clone(), reply.failed) let:reply>
                <li class="co-msg co-pending">
                    <div class="co-text">{reply.text.clone()}</div>
                    {if reply.failed {
                        let client_id = reply.client_id.clone();
                        let text = reply.text.clone();
                        view! {
                            <button type="button" class="co-button co-retry" on:click=move |_| {
                                console.on(Event::ReplyWritten { client_id: client_id.clone(), text: text.clone() });
                            }>{console.word(Word::NotSent)}</button>
                        }.into_any()
                    } else {
                        view! { <span class="co-status">{console.word(Word::Sending)}</span> }.into_any()
                    }}
                </li>
            </For>
        </ol>
    }
}

#[component]
fn MessageView(console: Console, seq: i64) -> impl IntoView {
    let message = console.inbox.with_untracked(|inbox| {
        inbox.open.as_ref().and_then(|thread| {
            thread
                .messages
                .iter()
                .find(|message| message.seq == seq)
                .cloned()
        })
    });
    message.map(|message| {
        let class = match message.author.kind {
            AuthorKind::Visitor => "co-msg co-msg-visitor",
            AuthorKind::Operator => "co-msg co-msg-operator",
            AuthorKind::System => "co-msg co-msg-system",
        };
        let author = message.author.name.clone().unwrap_or_else(|| {
            console
                .word(match message.author.kind {
                    AuthorKind::Visitor => Word::Visitor,
                    AuthorKind::Operator => Word::Operator,
                    AuthorKind::System => Word::System,
                })
                .to_owned()
        });
        let seen = move || {
            console.inbox.with(|inbox| {
                inbox.open.as_ref().and_then(|thread| thread.seen_seq()) == Some(seq)
            })
        };
        view! {
            <li class=class data-seq=seq>
                <div class="co-meta">
                    <span class="co-author">{author}</span>
                    <time class="co-time">{browser::local_time(message.sent_at, console.language)}</time>
                </div>
                <Text message=message />
                <Show when=seen>
                    <span class="co-seen">{console.word(Word::Seen)}</span>
                </Show>
            </li>
        }
    })
}

/// A message's text: plain as text, HTML built node by node from the allow-list.
#[component]
fn Text(message: Message) -> impl IntoView {
    let text = NodeRef::<leptos::html::Div>::new();
    match message.text_format {
        TextFormat::Plain => view! { <div class="co-text" node_ref=text>{message.text}</div> },
        TextFormat::Html => {
            let body = message.text;
            text.on_load(move |element| client_core::dom::rich_text::fill(&element, &body));
            view! { <div class="co-text" node_ref=text>{String::new()}</div> }
        }
    }
}

#[component]
fn Composer(console: Console) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let picking = super::canned::Picking::new(console, draft);
    let send = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            console.on(Event::ReplyWritten {
                client_id: browser::client_id(),
                text,
            });
            draft.set(String::new());
        }
    };
    let enter_sends = client_core::dom::send_on_enter(send);
    view! {
        <form class="co-composer" on:submit=move |event| {
            event.prevent_default();
            send();
        }>
            <super::canned::Suggestions picking=picking />
            <textarea class="co-input" rows="3" aria-label=console.word(Word::Reply)
                aria-autocomplete="list" aria-controls=move || picking.controls()
                aria-activedescendant=move || picking.active()
                prop:value=move || draft.get()
                on:input:target=move |event| {
                    let text = event.target().value();
                    draft.set(text.clone());
                    console.drafted(text);
                }
                on:keydown=move |event| {
                    if !picking.on_key(&event) {
                        enter_sends(event);
                    }
                }></textarea>
            <button type="submit" class="co-button co-primary">{console.word(Word::Send)}</button>
        </form>
    }
}
