INSERT INTO operators (integration_id, ext_user_id, name, full_name, picture_data,
    picture_type, picture_etag, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, ext_user_id, name
