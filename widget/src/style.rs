//! The widget's stylesheet, adopted by its shadow root. Classes are prefixed `cw-`. The theme
//! is a class on the root (`cw-theme-light|dark|auto`); `auto` follows `prefers-color-scheme`
//! live through a media query. Placement classes come from `orientation`,
//! `orientationPadding` and `mobileButtonOrientation`; narrow screens get a round button and a
//! full-screen chat sized to the visual viewport (the on-screen keyboard shrinks it).

pub const CSS: &str = r#"
:host { all: initial !important; }
[hidden] { display: none !important; }
.cw-root {
  --cw-bg: #ffffff; --cw-fg: #222222; --cw-muted: #6b6b6b; --cw-border: #d9d9d9;
  --cw-own: #e3eefc; --cw-other: #f1f1f1; --cw-accent: #2f6fde; --cw-danger: #c62828;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--cw-fg);
}
.cw-theme-dark {
  --cw-bg: #1f2023; --cw-fg: #ececec; --cw-muted: #a0a0a0; --cw-border: #3a3b3f;
  --cw-own: #263a5c; --cw-other: #2c2d31; --cw-accent: #7aa7ff; --cw-danger: #ff7b7b;
}
@media (prefers-color-scheme: dark) {
  .cw-theme-auto {
    --cw-bg: #1f2023; --cw-fg: #ececec; --cw-muted: #a0a0a0; --cw-border: #3a3b3f;
    --cw-own: #263a5c; --cw-other: #2c2d31; --cw-accent: #7aa7ff; --cw-danger: #ff7b7b;
  }
}
.cw-root * { box-sizing: border-box; }
.cw-root button, .cw-root input, .cw-root textarea { font: inherit; color: inherit; }
.cw-root button { cursor: pointer; }
.cw-root :focus-visible { outline: 2px solid var(--cw-accent); outline-offset: 2px; }
.cw-tab, .cw-launcher, .cw-panel { position: fixed; z-index: 2147483000; }
.cw-tab {
  display: flex; align-items: center; gap: 8px; padding: 8px 16px; border: 0;
  border-radius: 8px 8px 0 0; box-shadow: 0 0 8px rgba(0,0,0,.25);
}
.cw-at-bottom .cw-tab { bottom: 0; }
.cw-at-left .cw-tab, .cw-at-right .cw-tab { writing-mode: vertical-rl; padding: 16px 8px; }
.cw-at-left .cw-tab { left: 0; border-radius: 0 8px 8px 0; }
.cw-at-right .cw-tab { right: 0; border-radius: 8px 0 0 8px; }
.cw-at-bottom.cw-pad-0 .cw-tab, .cw-at-bottom.cw-pad-0 .cw-panel { left: 24px; }
.cw-at-bottom.cw-pad-50 .cw-tab, .cw-at-bottom.cw-pad-50 .cw-panel { left: 50%; transform: translateX(-50%); }
.cw-at-bottom.cw-pad-100 .cw-tab, .cw-at-bottom.cw-pad-100 .cw-panel { right: 24px; }
.cw-at-left.cw-pad-0 .cw-tab, .cw-at-right.cw-pad-0 .cw-tab,
.cw-at-left.cw-pad-0 .cw-panel, .cw-at-right.cw-pad-0 .cw-panel { bottom: 24px; }
.cw-at-left.cw-pad-50 .cw-tab, .cw-at-right.cw-pad-50 .cw-tab,
.cw-at-left.cw-pad-50 .cw-panel, .cw-at-right.cw-pad-50 .cw-panel { top: 50%; transform: translateY(-50%); }
.cw-at-left.cw-pad-100 .cw-tab, .cw-at-right.cw-pad-100 .cw-tab,
.cw-at-left.cw-pad-100 .cw-panel, .cw-at-right.cw-pad-100 .cw-panel { top: 24px; }
.cw-at-bottom .cw-panel { bottom: 0; }
.cw-at-left .cw-panel { left: 0; }
.cw-at-right .cw-panel { right: 0; }
.cw-badge {
  min-width: 20px; padding: 0 6px; border-radius: 10px; background: var(--cw-danger);
  color: #fff; font-size: 12px; line-height: 20px; text-align: center; writing-mode: horizontal-tb;
}
.cw-launcher {
  display: none; bottom: 16px; width: 56px; height: 56px; border-radius: 50%; border: 0;
  align-items: center; justify-content: center; box-shadow: 0 2px 10px rgba(0,0,0,.3);
}
.cw-launcher .cw-badge { position: absolute; top: -4px; right: -4px; }
.cw-mobile-left .cw-launcher { left: 16px; }
.cw-mobile-right .cw-launcher { right: 16px; }
.cw-panel {
  display: flex; flex-direction: column; width: 360px; height: 520px; max-height: calc(100vh - 32px);
  background: var(--cw-bg); color: var(--cw-fg); border: 1px solid var(--cw-border);
  border-radius: 8px 8px 0 0; box-shadow: 0 4px 24px rgba(0,0,0,.25); overflow: hidden;
}
.cw-header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; }
.cw-title { flex: 1; margin: 0; font-size: 16px; font-weight: 600; }
.cw-icon-button { background: transparent; border: 0; padding: 4px 8px; border-radius: 4px; }
.cw-log { flex: 1; overflow-y: auto; margin: 0; padding: 12px; list-style: none; }
.cw-empty { color: var(--cw-muted); text-align: center; margin-top: 24px; }
.cw-msg { display: flex; gap: 8px; margin: 0 0 10px; }
.cw-msg-own { flex-direction: row-reverse; }
.cw-avatar { width: 32px; height: 32px; border-radius: 50%; object-fit: cover; flex: none; }
.cw-bubble { max-width: 80%; padding: 6px 10px; border-radius: 10px; background: var(--cw-other); }
.cw-msg-own .cw-bubble { background: var(--cw-own); }
.cw-meta { display: flex; gap: 8px; font-size: 12px; color: var(--cw-muted); }
.cw-author { font-weight: 600; }
.cw-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.cw-text a { color: var(--cw-accent); text-decoration: underline; }
.cw-status-failed { color: var(--cw-danger); }
.cw-retry { border: 1px solid var(--cw-danger); background: transparent; border-radius: 4px; font-size: 12px; }
.cw-notice { margin: 0; padding: 6px 12px; font-size: 12px; color: var(--cw-muted); border-top: 1px solid var(--cw-border); }
.cw-composer { display: flex; gap: 8px; padding: 8px; border-top: 1px solid var(--cw-border); }
.cw-input {
  flex: 1; resize: none; min-height: 40px; max-height: 120px; padding: 8px; border-radius: 6px;
  border: 1px solid var(--cw-border); background: var(--cw-bg);
}
.cw-send { border: 0; border-radius: 6px; padding: 0 14px; background: var(--cw-accent); color: #fff; }
.cw-contact { display: grid; gap: 6px; padding: 12px; border-bottom: 1px solid var(--cw-border); }
.cw-contact h3 { margin: 0; font-size: 14px; }
.cw-contact label { display: grid; gap: 2px; font-size: 12px; color: var(--cw-muted); }
.cw-contact input { padding: 6px; border: 1px solid var(--cw-border); border-radius: 4px; background: var(--cw-bg); }
.cw-save { justify-self: end; border: 0; border-radius: 6px; padding: 6px 14px; background: var(--cw-accent); color: #fff; }
@media (max-width: 600px) {
  .cw-tab { display: none; }
  .cw-launcher { display: flex; }
  .cw-root .cw-panel {
    left: 0; right: 0; top: var(--cw-viewport-top, 0px); bottom: auto; transform: none;
    width: 100%; height: var(--cw-viewport-height, 100%); max-height: none; border-radius: 0;
  }
}
"#;
