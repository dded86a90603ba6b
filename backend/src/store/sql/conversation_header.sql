-- What the visitor's widget shows of a conversation besides its messages.
SELECT title, operator_read_seq FROM conversations WHERE id = $1
