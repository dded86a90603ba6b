UPDATE people SET sub = $1 WHERE id = $2
