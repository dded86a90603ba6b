SELECT picture_data AS bytes, picture_type AS content_type, picture_etag AS etag FROM operators
WHERE integration_id = $1 AND id = $2 AND picture_type IS NOT NULL
