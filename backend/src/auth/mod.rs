//! Who a request speaks for: matching-key tokens from the site (`setMatchingKeyToken`), the
//! bearer tokens the server hands browsers and operators, and operators' passwords.

pub mod matching_key;
pub mod password;
pub mod token;
pub mod visitor_token;
