//! The page's listeners for the chat's events (`addListener` / `removeListener`), by event.

use js_sys::Function;
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Initialized,
    Open,
    Close,
    VideoconferenceStart,
    VideoconferenceEnd,
}

impl Event {
    /// The event named `name`, case-insensitively (the 1C documentation spells
    /// `videoconferenceend` in lower case, the API `videoconferenceEnd`).
    pub fn named(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "initialized" => Self::Initialized,
            "open" => Self::Open,
            "close" => Self::Close,
            "videoconferencestart" => Self::VideoconferenceStart,
            "videoconferenceend" => Self::VideoconferenceEnd,
            _ => return None,
        })
    }
}

#[derive(Debug, Default)]
pub struct Listeners {
    registered: Vec<(Event, Function)>,
}

impl Listeners {
    pub fn add(&mut self, event: Event, listener: Function) {
        self.registered.push((event, listener));
    }

    /// Removes exactly this function (the first registration of it) for this event.
    pub fn remove(&mut self, event: Event, listener: &Function) {
        let same = |(registered_event, registered): &(Event, Function)| {
            *registered_event == event && JsValue::from(registered) == JsValue::from(listener)
        };
        if let Some(index) = self.registered.iter().position(same) {
            self.registered.remove(index);
        }
    }

    /// The listeners to call for `event`, copied so a listener may add or remove others.
    pub fn of(&self, event: Event) -> Vec<Function> {
        self.registered
            .iter()
            .filter(|(registered, _)| *registered == event)
            .map(|(_, listener)| listener.clone())
            .collect()
    }
}
