//! What visitors and operators send, checked before it is stored: contact info, browsers, page
//! addresses, `text/html` messages and operators' pictures; the words of the notices of what
//! operators do in a conversation; and the previews of messages in an inbox.

pub mod browser;
pub mod contact;
pub mod notice;
pub mod page_url;
pub mod picture;
pub mod preview;
pub mod sanitize;
