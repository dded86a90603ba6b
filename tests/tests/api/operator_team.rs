//! `GET /api/v1/operator/operators` on both engines: an operator lists the accounts sharing an
//! integration with it (itself included) with the shared integrations only and who is online
//! now, never an operator of another integration; assigning to a listed teammate works and to
//! an operator of another integration is a 400 saying what is allowed.

use crate::operator_inbox::{PASSWORD, boris, server_with_anna};
use crate::support::{say, visitor};
use protocol::operator::{
    AssignRequest, AssignTarget, ConversationSummary, OperatorEvent, TeammateList,
};
use tests::operator::{Operator, ok_json, refusal};
use tests::server::INTEGRATION_ID;
use tests::{Options, engines};

#[tokio::test]
async fn the_team_is_who_shares_an_integration_and_online_is_who_has_a_socket() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let boris = boris(&server).await;
        server
            .add_operator("carl@example.com", PASSWORD, &["elsewhere"])
            .await;
        server
            .add_operator("dora@example.com", PASSWORD, &["elsewhere", INTEGRATION_ID])
            .await;
        let carl = Operator::login(&server, "carl@example.com", PASSWORD).await;
        let dora = Operator::login(&server, "dora@example.com", PASSWORD).await;

        let mut anna_live = anna.socket().await;
        let _boris_live = boris.socket().await;
        anna_live
            .until(|event| match event {
                OperatorEvent::Presence { operator, online } if operator.id == boris.profile.id => {
                    online.then_some(())
                }
                _ => None,
            })
            .await;
        let team: TeammateList = ok_json(anna.get("operators").await).await;
        let listed: Vec<_> = team
            .operators
            .iter()
            .map(|mate| (mate.id, mate.integrations.clone(), mate.online))
            .collect();
        let shop = vec![INTEGRATION_ID.to_owned()];
        assert_eq!(
            listed,
            [
                (anna.profile.id, shop.clone(), true),
                (boris.profile.id, shop.clone(), true),
                (dora.profile.id, shop.clone(), false),
            ],
            "{db:?}: Carl answers another integration; Dora shares only {INTEGRATION_ID}"
        );
        let carls: TeammateList = ok_json(carl.get("operators").await).await;
        let carls: Vec<_> = carls.operators.iter().map(|mate| mate.id).collect();
        assert_eq!(carls, [carl.profile.id, dora.profile.id], "{db:?}");

        let (_token, mut client) = visitor(&server).await;
        let id = say(&mut client, "v-1", "hello").await.conversation_id;
        let route = format!("conversations/{id}/assign");
        let to = |operator: &Operator| AssignRequest {
            operator: AssignTarget::Operator(operator.profile.id),
        };
        let handed: ConversationSummary = ok_json(anna.post(&route, &to(&dora)).await).await;
        assert_eq!(
            handed.assignee.map(|assignee| assignee.id),
            Some(dora.profile.id),
            "{db:?}"
        );
        let (status, error) = refusal(anna.post(&route, &to(&carl)).await).await;
        assert_eq!(
            (status, error.code.as_str()),
            (400, "bad_request"),
            "{db:?}"
        );
        assert!(
            error.message.contains("\"me\""),
            "{db:?}: says what is allowed: {}",
            error.message
        );
        let unauthenticated = tests::http()
            .get(anna.url("operators"))
            .send()
            .await
            .unwrap();
        assert_eq!(unauthenticated.status().as_u16(), 401, "{db:?}");
    }
}
