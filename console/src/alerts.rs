//! The console's alerts in the browser, as `client_core::alerts` decides them: the tab's title
//! with the unread count, a short beep made by WebAudio (no audio file, so the page's policy
//! stays as it is) and a browser notification, asked for only when the operator clicks
//! "Enable notifications", never on load.

use crate::browser::{document, window};
use client_core::alerts::{
    Alerts, Notice, NotificationPermission, TabVisibility, title, unread_total,
};
use client_core::inbox::Inbox;
use client_core::inbox::words::{Language, Word};
use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::Message;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// The beep: a sine this high (Hz), this long (s), this loud at its peak (0..1).
const BEEP_HZ: f32 = 880.0;
const BEEP_SECONDS: f64 = 0.25;
const BEEP_PEAK: f32 = 0.2;
/// Exponential ramps cannot reach zero: the beep fades from and to this.
const SILENT: f32 = 0.0001;

/// The alerts' state, copied into the console.
#[derive(Debug, Clone, Copy)]
pub struct Alerting {
    alerts: StoredValue<Alerts>,
    /// What the browser says of notifications; the header offers the button while not asked.
    pub permission: RwSignal<NotificationPermission>,
    /// Made on the operator's first click or key: browsers start sound only after a gesture.
    audio: StoredValue<Option<web_sys::AudioContext>, LocalStorage>,
}

impl Alerting {
    pub fn new() -> Self {
        let alerting = Self {
            alerts: StoredValue::new(Alerts::default()),
            permission: RwSignal::new(browser_permission()),
            audio: StoredValue::new_local(None),
        };
        for event in ["pointerdown", "keydown"] {
            let unlock = Closure::<dyn Fn()>::new(move || alerting.unlock_audio());
            let _ =
                window().add_event_listener_with_callback(event, unlock.as_ref().unchecked_ref());
            // Listens as long as the page lives.
            unlock.forget();
        }
        alerting
    }

    /// Keeps the tab's title on the unread count.
    pub fn keep_title(inbox: RwSignal<Inbox>, language: Language) {
        Effect::new(move |_| {
            let unread = inbox.with(|inbox| unread_total(&inbox.counts));
            document().set_title(&title(unread, Word::Title.text(language)));
        });
    }

    /// A message arrived live in `inbox`: beep and notify if `client_core::alerts` says so;
    /// clicking the notification calls `open` with the conversation's id.
    pub fn arrived(
        self,
        inbox: RwSignal<Inbox>,
        language: Language,
        message: &Message,
        open: impl FnOnce(i64) + 'static,
    ) {
        let tab = if document().hidden() {
            TabVisibility::Hidden
        } else {
            TabVisibility::Visible
        };
        let permission = self.permission.get_untracked();
        let Some(alert) = self.alerts.try_update_value(|alerts| {
            inbox.with_untracked(|inbox| alerts.on_message(inbox, message, tab, permission))
        }) else {
            return;
        };
        if alert.sound {
            self.beep();
        }
        if let Some(notice) = alert.notification {
            let fallback = Word::NewMessage.text(language);
            notify(notice, fallback, open);
        }
    }

    /// The operator clicked "Enable notifications": the browser asks it.
    pub fn ask_permission(self) {
        let Ok(asked) = web_sys::Notification::request_permission() else {
            self.permission.set(NotificationPermission::Unavailable);
            return;
        };
        spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(asked).await;
            self.permission.set(browser_permission());
        });
    }

    fn unlock_audio(self) {
        if self.audio.with_value(Option::is_some) {
            return;
        }
        match web_sys::AudioContext::new() {
            Ok(context) => self.audio.set_value(Some(context)),
            Err(_) => client_core::dom::warn("console: no WebAudio, no alert sound"),
        }
    }

    fn beep(self) {
        self.audio.with_value(|audio| {
            if let Some(context) = audio
                && play_beep(context).is_err()
            {
                client_core::dom::warn("console: the alert sound failed");
            }
        });
    }
}

/// A short sine beep, faded in and out so it does not click.
fn play_beep(context: &web_sys::AudioContext) -> Result<(), wasm_bindgen::JsValue> {
    let oscillator = context.create_oscillator()?;
    oscillator.set_type(web_sys::OscillatorType::Sine);
    oscillator.frequency().set_value(BEEP_HZ);
    let gain = context.create_gain()?;
    let now = context.current_time();
    let volume = gain.gain();
    volume.set_value_at_time(SILENT, now)?;
    volume.exponential_ramp_to_value_at_time(BEEP_PEAK, now + 0.02)?;
    volume.exponential_ramp_to_value_at_time(SILENT, now + BEEP_SECONDS)?;
    oscillator.connect_with_audio_node(&gain)?;
    gain.connect_with_audio_node(&context.destination())?;
    oscillator.start()?;
    oscillator.stop_with_when(now + BEEP_SECONDS)?;
    Ok(())
}

/// What the browser says of notifications (unavailable where there are none).
fn browser_permission() -> NotificationPermission {
    let supported = js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false);
    if !supported {
        return NotificationPermission::Unavailable;
    }
    match web_sys::Notification::permission() {
        web_sys::NotificationPermission::Granted => NotificationPermission::Granted,
        web_sys::NotificationPermission::Default => NotificationPermission::NotAsked,
        _ => NotificationPermission::Unavailable,
    }
}

/// Shows `notice` (titled `fallback` when it names nobody); clicking it brings the console
/// forward and calls `open` with the conversation's id.
fn notify(notice: Notice, fallback: &str, open: impl FnOnce(i64) + 'static) {
    let options = web_sys::NotificationOptions::new();
    options.set_body(&notice.body);
    // A newer message of the same conversation replaces the older notification.
    options.set_tag(&format!("conversation-{}", notice.conversation_id));
    let heading = notice.title.unwrap_or_else(|| fallback.to_owned());
    let Ok(notification) = web_sys::Notification::new_with_options(&heading, &options) else {
        client_core::dom::warn("console: the notification was refused");
        return;
    };
    let id = notice.conversation_id;
    let shown = notification.clone();
    let on_click = Closure::once_into_js(move || {
        let _ = window().focus();
        open(id);
        shown.close();
    });
    notification.set_onclick(Some(on_click.unchecked_ref()));
}
