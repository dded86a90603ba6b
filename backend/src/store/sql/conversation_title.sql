SELECT title FROM conversations WHERE id = $1
