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
  var EVENTS = ["initialized", "open", "close", "videoconferenceStart", "videoconferenceEnd"];
  if (window[NAME]) return;

  function warn(text) {
    console.warn("web chat: " + text);
  }
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

  /* Page events and listeners. */

  function emit(event) {
    listeners
      .filter(function (entry) { return entry[0] === event; })
      .forEach(function (entry) {
        try {
          entry[1].call(undefined);
        } catch (error) {
          warn("a " + event + " listener failed: " + error);
        }
      });
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
    unread: function (count) {
      buttons.forEach(function (button) {
        var badge = button.lastChild;
        var shown = tabText.badge && count > 0;
        badge.hidden = !shown;
        badge.textContent = shown ? String(count) : "";
        badge.setAttribute("aria-label", count + " " + tabText.unread);
      });
    },
  };

  /* The collapsed tab (desktop) and round button (narrow screens). */

  function element(tag, className, parent) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    parent.appendChild(node);
    return node;
  }

  function button(className) {
    var node = element("button", className, root);
    node.type = "button";
    node.setAttribute("aria-label", tabText.openLabel);
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
    buttons.forEach(function (node) { element("span", "cw-badge", node).hidden = true; });
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
      var name = optionalString(info, "name", method);
      var email = optionalString(info, "email", method);
      var phone = optionalString(info, "phone", method);
      withEngine(function (chat) { chat.setContact(name, email, phone); });
    },
    getContactInfo: function () {
      return ask(function (chat) {
        var contact = chat.contact();
        return { name: contact[0], fullName: contact[0], email: contact[1], phone: contact[2] };
      });
    },
    setMatchingKeyToken: function (token) {
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
      if (event) listeners.push([event, listener]);
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
