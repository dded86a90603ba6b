SELECT value FROM server_settings WHERE key = $1
