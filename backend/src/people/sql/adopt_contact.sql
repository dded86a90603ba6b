UPDATE people SET name = COALESCE(name, $1), email = COALESCE(email, $2),
    phone = COALESCE(phone, $3)
WHERE id = $4
