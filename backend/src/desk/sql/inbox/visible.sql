-- The conversation $2 if it is of one of the account $1's integrations, with what operators
-- change on it.
SELECT c.id, c.person_id, c.integration_id, c.last_seq
FROM conversations c
JOIN operator_account_integrations i ON i.integration_id = c.integration_id AND i.account_id = $1
WHERE c.id = $2
