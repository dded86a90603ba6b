//! One WebSocket speaking protocol frames as JSON text: the widget's to the chat API, the
//! console's to the operator API. Its callbacks only queue work (`spawn_local`), so the owner
//! may drop the socket from inside them safely.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

#[derive(Debug)]
pub struct Socket {
    socket: web_sys::WebSocket,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_close: Closure<dyn FnMut(web_sys::CloseEvent)>,
    on_open: Option<Closure<dyn FnMut()>>,
}

impl Socket {
    /// Connects to `url`; each frame that parses as `Frame` goes to `on_frame`, the close code
    /// to `on_close`.
    pub fn open<Frame: DeserializeOwned + 'static>(
        url: &str,
        on_frame: impl Fn(Frame) + Clone + 'static,
        on_close: impl Fn(u16) + Clone + 'static,
    ) -> Result<Self, wasm_bindgen::JsValue> {
        let socket = web_sys::WebSocket::new(url)?;
        let on_message = Closure::<dyn FnMut(_)>::new(move |event: web_sys::MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match serde_json::from_str::<Frame>(&text) {
                Ok(frame) => {
                    let on_frame = on_frame.clone();
                    queue(Box::new(move || on_frame(frame)));
                }
                Err(error) => {
                    super::warn(&format!(
                        "web chat: unknown frame: {}",
                        super::json_fault(&error)
                    ));
                }
            }
        });
        let on_closed = Closure::<dyn FnMut(_)>::new(move |event: web_sys::CloseEvent| {
            let on_close = on_close.clone();
            let code = event.code();
            queue(Box::new(move || on_close(code)));
        });
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_closed.as_ref().unchecked_ref()));
        Ok(Self {
            socket,
            _on_message: on_message,
            _on_close: on_closed,
            on_open: None,
        })
    }

    /// Calls `on_open` once the socket is open (for a server that sends no welcome frame).
    pub fn when_open(&mut self, on_open: impl Fn() + Clone + 'static) {
        let opened = Closure::<dyn FnMut()>::new(move || queue(Box::new(on_open.clone())));
        self.socket
            .set_onopen(Some(opened.as_ref().unchecked_ref()));
        self.on_open = Some(opened);
    }

    /// Sends `frame` if the socket is open. One that cannot go is dropped: the widget's
    /// connection keeps what matters (messages, control frames) and sends it again after the
    /// next welcome.
    pub fn send(&self, frame: &impl Serialize) {
        // Client frames always serialize; were one not to, it would wait like an unsent one.
        if let Ok(json) = serde_json::to_string(frame)
            && self.socket.ready_state() == web_sys::WebSocket::OPEN
        {
            let _ = self.socket.send_with_str(&json);
        }
    }
}

/// Runs `work` on its own task, after the socket's callback returns. Boxed, so both callbacks
/// share one task type in the bundle.
fn queue(work: Box<dyn FnOnce()>) {
    wasm_bindgen_futures::spawn_local(async move { work() });
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        self.socket.set_onopen(None);
        let _ = self.socket.close();
    }
}
