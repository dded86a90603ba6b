//! Which console operators are online: an account is online while it has at least one operator
//! socket open. Its first socket announces it on its integrations' operator channels and its
//! last one, when it closes, announces it gone; a new socket is told who is online already.

use super::operators::{InboxEvent, OperatorHub};
use protocol::operator::Assignee;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug)]
struct Online {
    operator: Assignee,
    integrations: Vec<String>,
    sockets: usize,
}

/// The online accounts by id.
#[derive(Debug, Default)]
pub struct Presence {
    online: Mutex<HashMap<i64, Online>>,
}

/// One open socket of an account; dropping it is the socket closing.
#[derive(Debug)]
pub struct Attendance {
    presence: Arc<Presence>,
    hub: Arc<OperatorHub>,
    account_id: i64,
}

impl Presence {
    /// Counts a socket of `operator` answering `integrations`, announcing the account when it
    /// is its first; the others online in its integrations, to tell the new socket.
    pub fn arrive(
        self: &Arc<Self>,
        hub: &Arc<OperatorHub>,
        operator: Assignee,
        integrations: &[String],
    ) -> (Attendance, Vec<Assignee>) {
        let mut online = self.online.lock().unwrap_or_else(|p| p.into_inner());
        let colleagues = online
            .values()
            .filter(|other| other.operator.id != operator.id)
            .filter(|other| {
                other
                    .integrations
                    .iter()
                    .any(|id| integrations.contains(id))
            })
            .map(|other| other.operator.clone())
            .collect();
        let entry = online.entry(operator.id).or_insert_with(|| Online {
            operator: operator.clone(),
            integrations: integrations.to_vec(),
            sockets: 0,
        });
        entry.sockets += 1;
        if entry.sockets == 1 {
            announce(hub, &entry.operator, &entry.integrations, true);
        }
        let attendance = Attendance {
            presence: Arc::clone(self),
            hub: Arc::clone(hub),
            account_id: operator.id,
        };
        (attendance, colleagues)
    }

    /// Whether account `account_id` has a socket open now.
    pub fn is_online(&self, account_id: i64) -> bool {
        self.online
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&account_id)
    }
}

impl Drop for Attendance {
    fn drop(&mut self) {
        let mut online = self
            .presence
            .online
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let Some(entry) = online.get_mut(&self.account_id) else {
            return;
        };
        entry.sockets -= 1;
        if entry.sockets == 0
            && let Some(gone) = online.remove(&self.account_id)
        {
            announce(&self.hub, &gone.operator, &gone.integrations, false);
        }
    }
}

fn announce(hub: &OperatorHub, operator: &Assignee, integrations: &[String], online: bool) {
    for integration_id in integrations {
        hub.publish_with(integration_id, || InboxEvent::Presence {
            operator: operator.clone(),
            online,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(id: i64) -> Assignee {
        Assignee {
            id,
            name: format!("operator {id}"),
        }
    }

    #[tokio::test]
    async fn an_account_is_online_from_its_first_socket_to_its_last() {
        let presence = Arc::new(Presence::default());
        let hub = Arc::new(OperatorHub::default());
        let shop = vec!["shop".to_owned()];
        let mut heard = hub.subscribe("shop".to_owned());
        let (first, colleagues) = presence.arrive(&hub, operator(1), &shop);
        assert!(colleagues.is_empty());
        assert!(presence.is_online(1) && !presence.is_online(2));
        let came = heard.receiver.recv().await.unwrap();
        assert!(matches!(
            came.event,
            InboxEvent::Presence { online: true, .. }
        ));
        let (second, _) = presence.arrive(&hub, operator(1), &shop);
        let (_other, colleagues) = presence.arrive(&hub, operator(2), &shop);
        assert_eq!(
            colleagues,
            [operator(1)],
            "a new socket hears who is online"
        );
        let _ = heard.receiver.recv().await.unwrap();
        drop(first);
        assert!(
            heard.receiver.try_recv().is_err(),
            "a tab closed, still online"
        );
        assert!(presence.is_online(1));
        drop(second);
        assert!(!presence.is_online(1), "its last socket closed");
        let gone = heard.receiver.recv().await.unwrap();
        assert!(matches!(
            &gone.event,
            InboxEvent::Presence { operator, online: false } if operator.id == 1
        ));
    }
}
