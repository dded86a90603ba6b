//! The part of xtask other workspace crates reuse: compressed sizes as a server would
//! precompress them (`cargo xtask size`, and the widget bench measuring what it downloaded).

pub mod compressed;
