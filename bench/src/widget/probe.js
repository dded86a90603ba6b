// The widget bench's host page script (served as /probe.js under the page's strict CSP).
// `?widget=ours` or `?widget=reference` inserts that widget's script tag and records, in
// `window.__bench`, milliseconds since navigation start: when the script was inserted, when the
// widget showed something, and CSP violations. Without `widget` the page stays plain, for the
// first-paint baseline. Elements are found by presence and visibility only, so the figures
// hold whatever the loader does inside.
(function () {
  "use strict";
  var HOST_ID = "collaboration-system-web-chat-1ce";
  var GIVE_UP_MS = 20000;
  var bench = (window.__bench = { violations: [] });
  var config = document.currentScript.dataset;
  document.addEventListener("securitypolicyviolation", function (event) {
    bench.violations.push(event.violatedDirective + " " + event.blockedURI);
  });

  function visible(element) {
    if (!element || !element.isConnected) return false;
    var box = element.getBoundingClientRect();
    var style = getComputedStyle(element);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" &&
      style.display !== "none" && style.opacity !== "0";
  }

  // Calls `then` with the start of the first frame after the one in which `condition` held
  // (that frame painted it), or with null after GIVE_UP_MS.
  function whenPainted(condition, then) {
    var started = performance.now();
    (function check() {
      if (condition()) {
        requestAnimationFrame(function () { then(performance.now()); });
      } else if (performance.now() - started > GIVE_UP_MS) {
        then(null);
      } else {
        requestAnimationFrame(check);
      }
    })();
  }

  function insert(src) {
    var script = document.createElement("script");
    script.async = true;
    script.src = src;
    bench.inserted = performance.now();
    document.body.appendChild(script);
    return script;
  }

  function ours() {
    function root() {
      var host = document.getElementById(HOST_ID);
      return host && host.shadowRoot;
    }
    function subscribe() {
      var chat = window.CollaborationSystemWebChat1CE;
      if (!chat || bench.subscribed) return;
      bench.subscribed = true;
      chat.addListener("initialized", function () {
        if (bench.initialized === undefined) bench.initialized = performance.now();
      });
    }
    new MutationObserver(subscribe).observe(document.documentElement, {
      childList: true,
      subtree: true
    });
    insert(config.chat).addEventListener("load", subscribe);
    whenPainted(function () {
      var shadow = root();
      return shadow && (visible(shadow.querySelector(".cw-tab")) ||
        visible(shadow.querySelector(".cw-launcher")));
    }, function (at) { bench.tabPainted = at; });
    // Called by the bench: open() → composer present, visible and enabled, painted.
    bench.open = function (done) {
      var started = (bench.opened = performance.now());
      window.CollaborationSystemWebChat1CE.open();
      whenPainted(function () {
        var shadow = root();
        var input = shadow && shadow.querySelector("textarea.cw-input");
        return input && !input.disabled && visible(input);
      }, function (at) { done(at === null ? null : at - started); });
    };
  }

  // @rocket.chat/livechat's documented embedding, from a file instead of an inline snippet.
  function reference() {
    var base = config.reference;  // its server; the iframe page is /frame there
    window.RocketChat = function (callback) { window.RocketChat._.push(callback); };
    window.RocketChat._ = [];
    window.RocketChat.url = base + "/frame?serverUrl=" + encodeURIComponent(base);
    new MutationObserver(function () {
      var frame = document.getElementById("rocketchat-iframe");
      if (!frame || bench.frameSeen) return;
      bench.frameSeen = true;
      frame.addEventListener("load", function () { bench.frameLoaded = performance.now(); });
    }).observe(document.documentElement, { childList: true, subtree: true });
    insert(config.referenceLoader);
  }

  var widget = new URLSearchParams(location.search).get("widget");
  if (widget === "ours") ours();
  if (widget === "reference") reference();
})();
