SELECT picture_data, picture_type, picture_etag FROM operators
WHERE integration_id = $1 AND id = $2 AND picture_type IS NOT NULL
