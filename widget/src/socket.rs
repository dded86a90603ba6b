//! One WebSocket to the widget API, speaking protocol frames. Its callbacks only queue work
//! (`spawn_local`), so the session may drop the socket from inside them safely.

use protocol::{ClientFrame, ServerFrame};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

#[derive(Debug)]
pub struct Socket {
    socket: web_sys::WebSocket,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_close: Closure<dyn FnMut(web_sys::CloseEvent)>,
}

impl Socket {
    pub fn open(
        url: &str,
        on_frame: impl Fn(ServerFrame) + Clone + 'static,
        on_close: impl Fn(u16) + Clone + 'static,
    ) -> Result<Self, wasm_bindgen::JsValue> {
        let socket = web_sys::WebSocket::new(url)?;
        let on_message = Closure::<dyn FnMut(_)>::new(move |event: web_sys::MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match serde_json::from_str::<ServerFrame>(&text) {
                Ok(frame) => {
                    let on_frame = on_frame.clone();
                    queue(Box::new(move || on_frame(frame)));
                }
                Err(error) => crate::browser::warn(&format!("web chat: unknown frame: {error}")),
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
        })
    }

    /// Sends `frame` if the socket is open. One that cannot go is dropped: the connection
    /// keeps what matters (messages, control frames) and sends it again after the next welcome.
    pub fn send(&self, frame: &ClientFrame) {
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
        let _ = self.socket.close();
    }
}
