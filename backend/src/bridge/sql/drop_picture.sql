UPDATE operators SET picture = NULL WHERE id = $1
