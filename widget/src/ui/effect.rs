//! The UI's effects, all through one boxed closure type. Leptos compiles a copy of an effect's
//! task for every closure type given to `Effect::new`; sharing one keeps that code in the
//! bundle once.

use leptos::prelude::Effect;

/// Runs `work` after the current render and again whenever a signal it read changes, as
/// `Effect::new` does.
pub fn watch(mut work: impl FnMut() + 'static) {
    let erased: Box<dyn FnMut(Option<()>)> = Box::new(move |_| work());
    Effect::new(erased);
}
