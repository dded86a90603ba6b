-- Who answers the conversation now.
SELECT a.id, a.name FROM conversations c JOIN operator_accounts a ON a.id = c.assignee_id
WHERE c.id = $1
