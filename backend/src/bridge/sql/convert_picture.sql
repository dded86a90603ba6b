UPDATE operators SET picture_data = $1, picture_type = $2, picture_etag = $3, picture = NULL
WHERE id = $4
