SELECT id, picture FROM operators WHERE picture IS NOT NULL AND picture_type IS NULL
