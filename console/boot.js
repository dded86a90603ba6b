// Starts the console under a Content Security Policy that forbids inline scripts: the page
// names the bundle's hashed files in a <meta> (trunk's `pattern_script`), this file loads them.
const bundle = document.querySelector('meta[name="console-bundle"]').dataset;
const glue = await import(bundle.js);
await glue.default({ module_or_path: bundle.wasm });
