UPDATE conversations SET title = $1 WHERE id = $2
