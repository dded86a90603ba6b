//! Who a widget speaks for: matching-key tokens from the site (`setMatchingKeyToken`) and the
//! visitor tokens the server hands each browser.

pub mod matching_key;
pub mod visitor_token;
