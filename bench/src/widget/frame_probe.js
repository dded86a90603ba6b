// The widget bench's probe inside the reference widget's iframe, which the host page cannot
// reach: added to every frame of the reference's page loads through the DevTools protocol
// (Page.addScriptToEvaluateOnNewDocument), it acts in subframes only and records in
// `window.__benchFrame` when the launcher button and then the composer were painted, as
// milliseconds since the epoch, comparable with the host page's clock.
(function () {
  "use strict";
  if (window === window.top) return;
  var GIVE_UP_MS = 60000;
  var record = (window.__benchFrame = {});

  function visible(element) {
    if (!element || !element.isConnected) return false;
    var box = element.getBoundingClientRect();
    var style = getComputedStyle(element);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" &&
      style.display !== "none" && style.opacity !== "0";
  }

  function whenPainted(field, condition) {
    var started = performance.now();
    (function check() {
      if (condition()) {
        requestAnimationFrame(function () {
          record[field] = performance.timeOrigin + performance.now();
        });
      } else if (performance.now() - started < GIVE_UP_MS) {
        requestAnimationFrame(check);
      }
    })();
  }

  whenPainted("launcher", function () {
    return visible(document.querySelector("button[class*='chat-button']"));
  });
  whenPainted("composer", function () {
    var input = document.querySelector("[contenteditable='true'], textarea");
    return input && !input.disabled && visible(input);
  });
})();
