-- verifier: the `presented` state is gone (a check goes `created` → `completed` | `failed` in one
-- write). A check an earlier version left `presented` (its verification interrupted) is open
-- again: the wallet may answer until the request expires, then the sweep expires it.
-- Keep in step with ../sqlite/0003_reopen_presented_checks.sql.
UPDATE checks SET state = 'created', presented_at = NULL, response_code_hash = NULL
WHERE state = 'presented';
