-- The writer's connection plans each of its statements once, whatever the values (planning cost
-- more than running), and by index: a plan made while the tables are small, as every table is
-- when the server starts, would otherwise scan them whole for as long as the connection lives.
SELECT set_config('plan_cache_mode', 'force_generic_plan', false),
    set_config('enable_seqscan', 'off', false)
