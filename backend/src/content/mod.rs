//! What visitors and operators send, checked before it is stored: contact info, page
//! addresses, `text/html` messages and operators' pictures.

pub mod contact;
pub mod page_url;
pub mod picture;
pub mod sanitize;
