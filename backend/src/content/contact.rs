//! Validation of the contact info a visitor gives (form or `setContactInfo`): trimmed, empty
//! fields dropped, each field checked with a message that says what is accepted.

use protocol::ContactInfo;

const MAX_NAME_CHARS: usize = 200;
const MAX_EMAIL_CHARS: usize = 254;
const MAX_PHONE_CHARS: usize = 32;
const MIN_PHONE_DIGITS: usize = 5;

/// Why contact info was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContactError {
    #[error("name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("name contains control characters (line breaks, tabs, U+0000...), which it may not")]
    NameControlCharacters,
    #[error("email {0:?} is not an address like name@example.com")]
    Email(String),
    #[error(
        "phone {0:?} is not a phone number: digits with optional +, spaces, dashes, dots and parentheses, \
         at least {MIN_PHONE_DIGITS} digits and at most {MAX_PHONE_CHARS} characters"
    )]
    Phone(String),
}

/// The contact info as it will be stored.
pub fn validate(contact: ContactInfo) -> Result<ContactInfo, ContactError> {
    let name = non_empty(contact.name);
    if name
        .as_ref()
        .is_some_and(|name| name.chars().count() > MAX_NAME_CHARS)
    {
        return Err(ContactError::NameTooLong);
    }
    if name
        .as_ref()
        .is_some_and(|name| name.chars().any(char::is_control))
    {
        return Err(ContactError::NameControlCharacters);
    }
    let email = non_empty(contact.email);
    if let Some(email) = &email
        && !is_email(email)
    {
        return Err(ContactError::Email(email.clone()));
    }
    let phone = non_empty(contact.phone);
    if let Some(phone) = &phone
        && !is_phone(phone)
    {
        return Err(ContactError::Phone(phone.clone()));
    }
    Ok(ContactInfo { name, email, phone })
}

fn non_empty(field: Option<String>) -> Option<String> {
    field
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c))
}

fn is_phone(phone: &str) -> bool {
    phone.chars().count() <= MAX_PHONE_CHARS
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && phone.chars().filter(char::is_ascii_digit).count() >= MIN_PHONE_DIGITS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(name: &str, email: &str, phone: &str) -> ContactInfo {
        ContactInfo {
            name: Some(name.into()),
            email: Some(email.into()),
            phone: Some(phone.into()),
        }
    }

    #[test]
    fn refuses_control_characters_in_a_name() {
        for name in ["Iv\0an", "Iv\nan"] {
            assert_eq!(
                validate(contact(name, "", "")),
                Err(ContactError::NameControlCharacters)
            );
        }
    }

    #[test]
    fn trims_and_drops_empty_fields() {
        assert_eq!(
            validate(contact(" Ivan ", "", "+7 (900) 123-45-67")).unwrap(),
            ContactInfo {
                name: Some("Ivan".into()),
                email: None,
                phone: Some("+7 (900) 123-45-67".into())
            }
        );
    }

    #[test]
    fn refuses_bad_fields() {
        assert_eq!(
            validate(contact("a", "not-an-email", "")),
            Err(ContactError::Email("not-an-email".into()))
        );
        assert_eq!(
            validate(contact("a", "", "call me")),
            Err(ContactError::Phone("call me".into()))
        );
        assert_eq!(
            validate(contact(&"x".repeat(201), "", "")),
            Err(ContactError::NameTooLong)
        );
    }
}
