-- Runs start under the writer lock, so a row still 'running' now belongs to a process that
-- died (SIGKILL, power loss) before it could record its end.
UPDATE runs SET status = 'crashed',
                message = coalesce(message, 'the process ended without finishing the run')
WHERE status = 'running'
