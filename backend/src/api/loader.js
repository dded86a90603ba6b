/*
 * The web chat's loader, served at the script URL with the integration's configuration baked in
 * (the argument at the end). It makes `window.CollaborationSystemWebChat1CE` usable at once and
 * draws the collapsed tab in a Shadow DOM; the WebAssembly chat loads on the first call that
 * needs it or on hover, focus or click of the tab. A first-time visitor who does none of that
 * costs the page nothing more; for a visitor who has chatted before (the widget's storage holds
 * something) it also loads when the page is idle from 2 s after its `load` event, so the unread
 * badge shows. Calls made before it is ready wait in order; Promises resolve once it answers.
 */
(function (config) {
  "use strict";
  var NAME = "CollaborationSystemWebChat1CE";
  var HOST_ID = "collaboration-system-web-chat-1ce";
  /* `error` is ours, not 1C's: what the server refused (see README). */
  var EVENTS = ["initialized", "open", "close", "videoconferenceStart", "videoconferenceEnd", "error"];
  if (window[NAME]) return;

  function warn(text) {
    console.warn("web chat: " + text);
  }
  /* The integration's languageCode names a language the chat does not speak: it speaks English. */
  if (config.languageWarning) warn(config.languageWarning);
  if (!config.bundle) {
    warn("the widget bundle is not built on the server (run cargo xtask build)");
    return;
  }

  var tabText = config.tab;
  var listeners = [];
  var waiting = [];
  var engine = null;
  var loading = null;
  var failure = null;
  var open = false;
  var everOpened = false;
  var focusBefore = null;
  var host = null;
  var root = null;
  var buttons = [];
  var initialized = false;
  /* `fullName` as the page gave it: the server keeps name, email and phone only. */
  var fullName = null;

  /* Page events and listeners. */

  function emit(event, detail) {
    if (event === "initialized") initialized = true;
    listeners
      .filter(function (entry) { return entry[0] === event; })
      .forEach(function (entry) { call(event, entry[1], detail); });
  }

  function call(event, listener, detail) {
    try {
      listener.call(undefined, detail);
    } catch (error) {
      warn("a " + event + " listener failed: " + error);
    }
  }

  function eventNamed(method, type, listener) {
    if (typeof type !== "string") throw typeError(method, "type", "an event name string");
    if (typeof listener !== "function") throw typeError(method, "listener", "a function");
    var lower = type.toLowerCase();
    var event = EVENTS.filter(function (name) { return name.toLowerCase() === lower; })[0];
    if (!event) {
      warn(NAME + "." + method + ": unknown event `" + type + "`; known: " + EVENTS.join(", "));
    }
    return event;
  }

  /* Arguments. */

  function typeError(method, argument, expected) {
    return new TypeError(NAME + "." + method + ": argument `" + argument + "` must be " + expected);
  }

  function objectArgument(value, method, argument, expected) {
    if (value === null || typeof value !== "object") throw typeError(method, argument, expected);
  }

  function optionalString(object, field, method) {
    var value = object[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== "string") throw typeError(method, field, "a string");
    return value;
  }

  /* A contact field for a merge: `undefined` keeps the known value, `null` or `""` clears it
     (sent as `""`), a number (a phone) is taken as its digits. */
  function contactField(object, field, method) {
    var value = object[field];
    if (value === undefined) return undefined;
    if (value === null) return "";
    if (typeof value === "number" && isFinite(value)) return String(value);
    if (typeof value !== "string") throw typeError(method, field, "a string");
    return value;
  }

  /* The WebAssembly chat: loaded once, given the calls that waited for it. */

  function load() {
    if (loading) return;
    setBusy(true);
    loading = import(config.widget + config.bundle.js)
      .then(function (glue) {
        return glue.default({ module_or_path: config.widget + config.bundle.wasm }).then(function () {
          engine = glue.startChat(config, root, chatSide);
          setBusy(false);
          var calls = waiting;
          waiting = [];
          calls.forEach(function (call) { call.run(engine); });
        });
      })
      .catch(function (error) {
        failure = error;
        var calls = waiting;
        waiting = [];
        if (host) host.remove();
        warn("cannot load the chat: " + error);
        calls.forEach(function (call) { call.fail(error); });
      });
  }

  /* Runs `run(engine)` now, or once the chat is loaded (starting that load). */
  function withEngine(run, fail) {
    if (engine) return run(engine);
    if (failure) return fail && fail(failure);
    waiting.push({ run: run, fail: fail || function () {} });
    load();
  }

  /* A Promise of `answer(engine)`, which may itself be a Promise. */
  function ask(answer) {
    return new Promise(function (resolve, reject) {
      withEngine(function (chat) {
        try {
          resolve(answer(chat));
        } catch (error) {
          reject(error);
        }
      }, reject);
    });
  }

  /* What the chat calls back: its events, and the unread count for the badge. */
  var chatSide = {
    emit: function (event) {
      if (event === "open") {
        var active = document.activeElement;
        focusBefore = active && active !== host && active !== document.body ? active : null;
        open = true;
        everOpened = true;
      } else if (event === "close") {
        open = false;
        setTimeout(giveFocusBack, 0);
      }
      showTabs();
      emit(event);
    },
    /* The server refused something (`what`: message, contact, matchingKeyToken): a warning
       naming the reason, and the page's `error` listeners get {code, message, what, clientId}. */
    refused: function (what, code, message, clientId) {
      warn("the server refused the " + what + ": " + message);
      var detail = { code: code, message: message, what: what };
      if (clientId) detail.clientId = clientId;
      emit("error", detail);
    },
    unread: function (count) {
      var words = unreadWords(count);
      buttons.forEach(function (button) {
        var badge = button.querySelector(".cw-badge");
        var shown = tabText.badge && count > 0;
        badge.hidden = !shown;
        badge.textContent = shown ? String(count) : "";
        badge.nextSibling.textContent = shown ? " " + words : "";
      });
    },
  };

  /* The words after an unread count, in the form the language gives that number (the browser
     knows each language's plural rules); `other` where it has no form for the number's kind. */
  function unreadWords(count) {
    var forms = tabText.unread;
    var kind = window.Intl && Intl.PluralRules ? new Intl.PluralRules(tabText.lang).select(count) : "other";
    return forms[kind] || forms.other;
  }

  /* The collapsed tab (desktop) and round button (narrow screens). Their names are what they
   * show, the words a voice-control user says to press them (WCAG 2.5.3): the tab's title, the
   * round button's words for screen readers only, then the unread count, followed by what it
   * counts for screen readers only. */

  function element(tag, className, parent) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    parent.appendChild(node);
    return node;
  }

  function button(className) {
    var node = element("button", className, root);
    node.type = "button";
    node.style.backgroundColor = tabText.backColor;
    node.style.color = tabText.textColor;
    node.addEventListener("click", api.open);
    node.addEventListener("pointerenter", load);
    node.addEventListener("focus", load);
    buttons.push(node);
    return node;
  }

  function draw() {
    host = document.createElement("div");
    host.id = HOST_ID;
    var shadow = host.attachShadow({ mode: "open" });
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(config.style);
    shadow.adoptedStyleSheets = [sheet];
    root = element("div", tabText.classes, shadow);
    root.lang = tabText.lang;
    root.dir = tabText.dir;
    element("span", "cw-tab-title", button("cw-tab")).textContent = tabText.title;
    var launcher = button("cw-launcher");
    var svg = "http://www.w3.org/2000/svg";
    var icon = launcher.appendChild(document.createElementNS(svg, "svg"));
    icon.setAttribute("width", "26");
    icon.setAttribute("height", "26");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    var path = icon.appendChild(document.createElementNS(svg, "path"));
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 4h16v12H7l-3 3z");
    element("span", "cw-unseen", launcher).textContent = tabText.openLabel;
    buttons.forEach(function (node) {
      element("span", "cw-badge", node).hidden = true;
      element("span", "cw-unseen", node);
    });
    showTabs();
    document.body.appendChild(host);
  }

  function showTabs() {
    var hidden = open || !(tabText.collapsed || everOpened);
    buttons.forEach(function (node) { node.hidden = hidden; });
  }

  function setBusy(busy) {
    buttons.forEach(function (node) { node.setAttribute("aria-busy", String(busy)); });
  }

  /* Focus returns where it was before the chat opened, else to the visible tab. */
  function giveFocusBack() {
    var target = focusBefore && focusBefore.isConnected ? focusBefore : null;
    focusBefore = null;
    target = target || buttons.filter(function (node) { return node.offsetWidth > 0; })[0];
    if (target) target.focus();
  }

  /* The page API (see the 1C documentation of CollaborationSystemWebChat1CE). */

  var api = {
    open: function () {
      withEngine(function (chat) { chat.open(); });
    },
    close: function () {
      if (engine || loading) withEngine(function (chat) { chat.close(); });
    },
    setContactInfo: function (info) {
      var method = "setContactInfo";
      objectArgument(info, method, "info", "an object {name, email, phone}");
      var name = contactField(info, "name", method);
      var email = contactField(info, "email", method);
      var phone = contactField(info, "phone", method);
      var full = contactField(info, "fullName", method);
      if (full !== undefined) fullName = full || null;
      withEngine(function (chat) { chat.setContact(name, email, phone); });
    },
    getContactInfo: function () {
      return ask(function (chat) {
        var contact = chat.contact();
        var full = fullName !== null && contact[0] ? fullName : contact[0];
        return { name: contact[0], fullName: full, email: contact[1], phone: contact[2] };
      });
    },
    setMatchingKeyToken: function (token) {
      /* No token (the site user logged out): an identified visitor, here or left by an earlier
         page, is logged out, so the next user of this browser does not see their conversation;
         an anonymous one stays. */
      if (token === null || token === undefined || token === "") {
        withEngine(function (chat) { chat.forgetIdentified(); });
        return;
      }
      if (typeof token !== "string") {
        throw typeError("setMatchingKeyToken", "token", "a string (JWT or JWS)");
      }
      withEngine(function (chat) { chat.identify(token); });
    },
    logout: function () {
      return ask(function (chat) { return chat.logout(); });
    },
    /* Video calls are not implemented yet: honestly `false`, and nothing opens. */
    isVideoconferenceEnabled: function () {
      return Promise.resolve(false);
    },
    startVideoconference: function () {
      return Promise.resolve(false);
    },
    sendMessage: function (message) {
      var method = "sendMessage";
      objectArgument(message, method, "message", "an object {text, textFormat}");
      var text = optionalString(message, "text", method);
      if (text === null) throw typeError(method, "text", "a string");
      var format = optionalString(message, "textFormat", method) || "text/plain";
      if (format !== "text/plain" && format !== "text/html") {
        throw typeError(method, "textFormat", '"text/plain" or "text/html"');
      }
      withEngine(function (chat) { chat.send(text, format === "text/html"); });
    },
    addListener: function (type, listener) {
      var event = eventNamed("addListener", type, listener);
      if (!event) return;
      listeners.push([event, listener]);
      /* `initialized` fires once: a listener added after it is called once, asynchronously
         (pages often add theirs after polling for the object). */
      if (event === "initialized" && initialized) {
        setTimeout(function () { call(event, listener); }, 0);
      }
    },
    removeListener: function (type, listener) {
      var event = eventNamed("removeListener", type, listener);
      for (var i = 0; event && i < listeners.length; i++) {
        if (listeners[i][0] === event && listeners[i][1] === listener) {
          listeners.splice(i, 1);
          return;
        }
      }
    },
  };
  window[NAME] = api;

  /* After the page is parsed, so listeners its later scripts add hear `initialized`. */
  function whenParsed(work) {
    var later = function () { setTimeout(work, 0); };
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", later, { once: true });
    } else {
      later();
    }
  }

  /* Whether the widget stored something here: a visitor token or a logout to retry. */
  function chattedBefore() {
    try {
      return config.storageKeys.some(function (key) { return localStorage.getItem(key) !== null; });
    } catch (error) {
      return false; /* storage refused: the widget could not have stored anything either */
    }
  }

  function start() {
    draw();
    whenParsed(function () { emit("initialized"); });
    if (!chattedBefore()) return;
    /* Idle: the first idle moment from 2 s after `load`, so the page's own work comes first. */
    var whenIdle = function () {
      setTimeout(function () {
        if (window.requestIdleCallback) window.requestIdleCallback(load, { timeout: 3000 });
        else load();
      }, 2000);
    };
    if (document.readyState === "complete") whenIdle();
    else window.addEventListener("load", whenIdle, { once: true });
  }
  if (document.body) start();
  else whenParsed(start);
})(__CONFIG__);
