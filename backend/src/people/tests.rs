//! People on both engines: a login moves the visitor to the site user's person, which takes
//! over what it lacks (the anonymous conversation, empty contact fields) and nothing more.

use super::TokenRotation;
use crate::outbox::Bridge;
use crate::storage::test_stores::{TestStore, test_stores};
use crate::store::Visitor;
use crate::store::fixtures::question;
use protocol::ContactInfo;

#[tokio::test]
async fn a_login_hands_over_only_what_the_site_user_lacks() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        hands_over_what_is_lacking(store).await;
    }
}

/// A visitor who writes once and logs in as `sub`; returns it after the login, with the
/// conversation it wrote in as anonymous.
async fn write_and_log_in(store: &TestStore, token: &str, sub: &str) -> (Visitor, i64) {
    let guest = store.create_visitor("shop", token, None).await.unwrap();
    let written = store
        .append_visitor_message(&guest, question(token), Bridge::Off)
        .await
        .unwrap();
    let identified = store
        .identify(guest.id, sub, &format!("{token}-2"), Bridge::Off)
        .await
        .unwrap();
    assert_eq!(identified.token, TokenRotation::Replaced);
    (identified.visitor, written.message().conversation_id)
}

async fn hands_over_what_is_lacking(store: &TestStore) {
    let engine = store.engine().name();
    // Ann has a conversation and an e-mail address; Bob has neither.
    let (ann, anns) = write_and_log_in(store, "ann", "ann").await;
    let ann_contact = ContactInfo {
        email: Some("ann@example.com".into()),
        ..ContactInfo::default()
    };
    store
        .set_contact(ann.person_id, &ann_contact, Bridge::Off)
        .await
        .unwrap();
    let bob = store.create_visitor("shop", "bob", None).await.unwrap();
    let bob = store
        .identify(bob.id, "bob", "bob-2", Bridge::Off)
        .await
        .unwrap()
        .visitor;

    // A guest who wrote and left a name logs in as Ann: Ann keeps her conversation and her
    // address, takes the name, and the guest's conversation stays behind.
    let guest = store.create_visitor("shop", "guest", None).await.unwrap();
    let guest_contact = ContactInfo {
        name: Some("Ann A.".into()),
        email: Some("guest@example.com".into()),
        phone: None,
    };
    store
        .set_contact(guest.person_id, &guest_contact, Bridge::Off)
        .await
        .unwrap();
    let guests = store
        .append_visitor_message(&guest, question("guest"), Bridge::Off)
        .await
        .unwrap()
        .message()
        .conversation_id;
    let as_ann = store
        .identify(guest.id, "ann", "guest-2", Bridge::Off)
        .await
        .unwrap()
        .visitor;
    assert_eq!(as_ann.person_id, ann.person_id, "{engine}");
    assert_eq!(
        store.conversation_of(ann.person_id).await.unwrap(),
        Some(anns),
        "{engine}: Ann keeps her own conversation"
    );
    assert_eq!(
        store.conversation_of(guest.person_id).await.unwrap(),
        Some(guests),
        "{engine}: the guest's stays behind"
    );
    assert_eq!(
        as_ann.contact,
        ContactInfo {
            name: Some("Ann A.".into()),
            email: Some("ann@example.com".into()),
            phone: None,
        },
        "{engine}: only the empty fields are taken"
    );

    // A guest who wrote logs in as Bob, who has no conversation: Bob takes the guest's.
    let (as_bob, written) = write_and_log_in(store, "bob's guest", "bob").await;
    assert_eq!(as_bob.person_id, bob.person_id, "{engine}");
    assert_eq!(
        store.conversation_of(bob.person_id).await.unwrap(),
        Some(written),
        "{engine}: Bob takes the guest's conversation"
    );
}
