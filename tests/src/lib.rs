//! Helpers shared by the black-box test binaries.
