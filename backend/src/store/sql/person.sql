SELECT integration_id, sub, name, email, phone, ext_user_id FROM people WHERE id = $1
