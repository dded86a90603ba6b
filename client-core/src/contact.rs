//! `setContactInfo` as 1C pages use it: one field at a time. The fields a call gives replace
//! those known, the others stay; the server stores the contact whole, so the widget sends the
//! merged one. Also what operators call a visitor by ([`shown_name`]).

use protocol::ContactInfo;

/// The name operators know a visitor by: its name, else its e-mail, else its phone.
pub fn shown_name(contact: &ContactInfo) -> Option<String> {
    contact
        .name
        .clone()
        .or_else(|| contact.email.clone())
        .or_else(|| contact.phone.clone())
}

/// What one `setContactInfo` call gave: `None` for a field it left out, `Some("")` for one it
/// cleared (`null` or `""`), `Some(value)` for a new value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactUpdate {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// `known` with the fields `update` gave replaced.
pub fn merged(known: &ContactInfo, update: ContactUpdate) -> ContactInfo {
    let field = |given: Option<String>, known: &Option<String>| match given {
        None => known.clone(),
        Some(value) if value.is_empty() => None,
        Some(value) => Some(value),
    };
    ContactInfo {
        name: field(update.name, &known.name),
        email: field(update.email, &known.email),
        phone: field(update.phone, &known.phone),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(name: Option<&str>, email: Option<&str>, phone: Option<&str>) -> ContactInfo {
        ContactInfo {
            name: name.map(Into::into),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
        }
    }

    #[test]
    fn fields_given_one_at_a_time_add_up() {
        let known = merged(
            &ContactInfo::default(),
            ContactUpdate {
                name: Some("Ivan".into()),
                ..ContactUpdate::default()
            },
        );
        let known = merged(
            &known,
            ContactUpdate {
                phone: Some("79001234567".into()),
                ..ContactUpdate::default()
            },
        );
        assert_eq!(known, contact(Some("Ivan"), None, Some("79001234567")));
    }

    #[test]
    fn a_given_field_replaces_and_an_empty_one_clears() {
        let known = contact(Some("Ivan"), Some("ivan@example.com"), Some("1"));
        let update = ContactUpdate {
            name: Some("Ivan Petrov".into()),
            email: Some(String::new()),
            phone: None,
        };
        assert_eq!(
            merged(&known, update),
            contact(Some("Ivan Petrov"), None, Some("1"))
        );
    }
}
