-- Removes canned reply $1 if it is of an integration the account $2 answers.
DELETE FROM canned_replies
WHERE id = $1 AND integration_id IN
    (SELECT integration_id FROM operator_account_integrations WHERE account_id = $2)
RETURNING id
