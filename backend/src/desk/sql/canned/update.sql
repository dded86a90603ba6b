-- Canned reply $4 gets shortcut $1 and text $2 at $3, if it is of an integration the account
-- $5 answers.
UPDATE canned_replies SET shortcut = $1, text = $2, updated_at = $3
WHERE id = $4 AND integration_id IN
    (SELECT integration_id FROM operator_account_integrations WHERE account_id = $5)
RETURNING id, integration_id, shortcut, text, created_at, updated_at
