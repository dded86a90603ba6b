UPDATE people SET name = $1, email = $2, phone = $3 WHERE id = $4
