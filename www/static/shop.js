// The demo shop's own script (external, allowed by the page's CSP). Its login form plays a
// logged-in customer: the shop's server returns a matching-key token signed with the demo
// integration's signKey, and the page hands it to the chat with setMatchingKeyToken, exactly as
// a real site would after its own login.
"use strict";

(function () {
  var form = document.getElementById("login-form");
  var status = document.getElementById("login-status");
  var logout = document.getElementById("logout");
  if (!form) return;

  function chat() {
    return window.CollaborationSystemWebChat1CE;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var name = new FormData(form).get("name");
    fetch("/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: name })
    })
      .then(function (response) {
        if (!response.ok) throw new Error("login failed: " + response.status);
        return response.json();
      })
      .then(function (answer) {
        if (!chat()) throw new Error("the chat is not loaded yet");
        chat().setMatchingKeyToken(answer.token);
        status.textContent = "Logged in as " + name + ": the chat now shows this customer's conversation.";
        logout.hidden = false;
      })
      .catch(function (error) {
        status.textContent = String(error.message || error);
      });
  });

  logout.addEventListener("click", function () {
    if (!chat()) return;
    chat().logout().then(function () {
      status.textContent = "Logged out: the chat starts fresh.";
      logout.hidden = true;
    });
  });
})();
