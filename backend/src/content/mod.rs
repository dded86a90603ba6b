//! What visitors and operators send, checked before it is stored: contact info, page
//! addresses, `text/html` messages and operators' pictures; and the words of the notices of
//! operators joining or leaving a conversation.

pub mod contact;
pub mod notice;
pub mod page_url;
pub mod picture;
pub mod sanitize;
