//! `window.CollaborationSystemWebChat1CE`: the documented page API. Arguments are checked
//! here; a wrong type throws a `TypeError` naming the method and the argument.

use crate::browser::warn;
use crate::events::Event;
use crate::session::Chat;
use js_sys::{Function, Object, Promise, Reflect};
use leptos::prelude::GetUntracked;
use protocol::{ContactInfo, TextFormat};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

const NAME: &str = "CollaborationSystemWebChat1CE";

/// Defines the object on `window`.
pub fn define(chat: Chat) -> Result<(), JsValue> {
    Reflect::set(
        &crate::browser::window(),
        &NAME.into(),
        &WebChat { chat }.into(),
    )?;
    Ok(())
}

fn type_error(method: &str, argument: &str, expected: &str) -> JsValue {
    js_sys::TypeError::new(&format!(
        "{NAME}.{method}: argument `{argument}` must be {expected}"
    ))
    .into()
}

/// A string field of an options object: absent (`undefined`/`null`) or a string.
fn optional_string(object: &JsValue, field: &str, method: &str) -> Result<Option<String>, JsValue> {
    let value = Reflect::get(object, &field.into())?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| type_error(method, field, "a string"))
}

fn object_argument(
    value: &JsValue,
    method: &str,
    argument: &str,
    expected: &str,
) -> Result<(), JsValue> {
    if value.is_object() && !value.is_function() {
        Ok(())
    } else {
        Err(type_error(method, argument, expected))
    }
}

#[wasm_bindgen]
#[derive(Debug)]
pub struct WebChat {
    chat: Chat,
}

#[wasm_bindgen]
impl WebChat {
    pub fn open(&self) {
        self.chat.open_chat();
    }

    pub fn close(&self) {
        self.chat.close_chat();
    }

    #[wasm_bindgen(js_name = setContactInfo)]
    pub fn set_contact_info(&self, info: JsValue) -> Result<(), JsValue> {
        const METHOD: &str = "setContactInfo";
        object_argument(&info, METHOD, "info", "an object {name, email, phone}")?;
        let contact = ContactInfo {
            name: optional_string(&info, "name", METHOD)?,
            email: optional_string(&info, "email", METHOD)?,
            phone: optional_string(&info, "phone", METHOD)?,
        };
        self.chat.set_contact(contact);
        Ok(())
    }

    /// Resolves to `{name, fullName, email, phone}` as the visitor gave them (empty strings
    /// for what is unknown).
    #[wasm_bindgen(js_name = getContactInfo)]
    pub fn contact_info(&self) -> Promise {
        let contact = self.chat.contact.get_untracked();
        let result = Object::new();
        let name = contact.name.unwrap_or_default();
        for (field, value) in [
            ("name", name.as_str()),
            ("fullName", name.as_str()),
            ("email", contact.email.as_deref().unwrap_or_default()),
            ("phone", contact.phone.as_deref().unwrap_or_default()),
        ] {
            let _ = Reflect::set(&result, &field.into(), &value.into());
        }
        Promise::resolve(&JsValue::from(result))
    }

    #[wasm_bindgen(js_name = setMatchingKeyToken)]
    pub fn set_matching_key_token(&self, token: JsValue) -> Result<(), JsValue> {
        let token = token
            .as_string()
            .ok_or_else(|| type_error("setMatchingKeyToken", "token", "a string (JWT or JWS)"))?;
        self.chat.identify(token);
        Ok(())
    }

    pub fn logout(&self) -> Promise {
        let chat = self.chat;
        wasm_bindgen_futures::future_to_promise(async move {
            chat.logout()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|error| js_sys::Error::new(&format!("{NAME}.logout: {error}")).into())
        })
    }

    /// Video calls are not implemented yet: honestly `false`.
    #[wasm_bindgen(js_name = isVideoconferenceEnabled)]
    pub fn is_videoconference_enabled(&self) -> Promise {
        Promise::resolve(&JsValue::FALSE)
    }

    /// Video calls are not implemented yet: nothing opens, resolves `false`.
    #[wasm_bindgen(js_name = startVideoconference)]
    pub fn start_videoconference(&self) -> Promise {
        Promise::resolve(&JsValue::FALSE)
    }

    #[wasm_bindgen(js_name = sendMessage)]
    pub fn send_message(&self, message: JsValue) -> Result<(), JsValue> {
        const METHOD: &str = "sendMessage";
        object_argument(&message, METHOD, "message", "an object {text, textFormat}")?;
        let text = optional_string(&message, "text", METHOD)?
            .ok_or_else(|| type_error(METHOD, "text", "a string"))?;
        let text_format = match optional_string(&message, "textFormat", METHOD)?.as_deref() {
            None | Some("text/plain") => TextFormat::Plain,
            Some("text/html") => TextFormat::Html,
            Some(_) => {
                return Err(type_error(
                    METHOD,
                    "textFormat",
                    "\"text/plain\" or \"text/html\"",
                ));
            }
        };
        self.chat.send(&text, text_format);
        Ok(())
    }

    #[wasm_bindgen(js_name = addListener)]
    pub fn add_listener(&self, kind: JsValue, listener: JsValue) -> Result<(), JsValue> {
        if let Some((event, listener)) = listener_arguments("addListener", &kind, listener)? {
            self.chat.add_listener(event, listener);
        }
        Ok(())
    }

    #[wasm_bindgen(js_name = removeListener)]
    pub fn remove_listener(&self, kind: JsValue, listener: JsValue) -> Result<(), JsValue> {
        if let Some((event, listener)) = listener_arguments("removeListener", &kind, listener)? {
            self.chat.remove_listener(event, &listener);
        }
        Ok(())
    }
}

/// `(type, fn)` checked; `None` (after a console warning) for an unknown event name.
fn listener_arguments(
    method: &str,
    kind: &JsValue,
    listener: JsValue,
) -> Result<Option<(Event, Function)>, JsValue> {
    let name = kind
        .as_string()
        .ok_or_else(|| type_error(method, "type", "an event name string"))?;
    let listener: Function = listener
        .dyn_into()
        .map_err(|_| type_error(method, "listener", "a function"))?;
    let event = Event::named(&name);
    if event.is_none() {
        warn(&format!(
            "{NAME}.{method}: unknown event `{name}`; known: initialized, open, close, \
             videoconferenceStart, videoconferenceEnd"
        ));
    }
    Ok(event.map(|event| (event, listener)))
}
