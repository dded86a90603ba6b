-- A new picture replaces any base64 one a conversion could not read.
UPDATE operators SET name = $1, full_name = $2, picture_data = COALESCE($3, picture_data),
    picture_type = COALESCE($4, picture_type), picture_etag = COALESCE($5, picture_etag),
    picture = CASE WHEN $4 IS NULL THEN picture ELSE NULL END, updated_at = $6
WHERE id = $7 RETURNING id, ext_user_id, name
