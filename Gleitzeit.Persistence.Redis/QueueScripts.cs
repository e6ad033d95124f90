namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// The distributed DAG, advanced inside Redis. Every script runs atomically, so two tasks finishing at the same instant
/// cannot lose or double a dependent, and the <c>done</c> hash (written with HSETNX) makes each task's final state
/// recorded exactly once: a late duplicate report finds it set and changes nothing.
/// </summary>
internal static class QueueScripts
{
    // KEYS: 1 run, 2 tasks, 3 statuses, 4 events, 5 pending, 6 done, 7 attempts, 8 queue stream, 9 delayed set
    // ARGV: 1 run id, 2 now (ISO 8601), 3 wake channel, 4 finished channel, 5 consumer group, then the script's own
    private const string Prelude = """
        local run, tasks, statuses, events, pending, done, attempts, queue = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
        local run_id, now, wake, finished, group = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

        local function event(task_id, status, attempt, err)
            local e = { status = status, timestamp = now, attempt = attempt or 0 }
            if task_id then e.task_id = task_id end
            if err then e.error = err end
            return cjson.encode(e)
        end

        local function save_json(task_id, json, status, event_json)
            redis.call('HSET', tasks, task_id, json)
            redis.call('HSET', statuses, task_id, status)
            redis.call('RPUSH', events, event_json)
        end

        local function current(task_id)
            local j = redis.call('HGET', tasks, task_id)
            if j then return cjson.decode(j) end
            return { task_id = task_id, attempts = 0 }
        end

        local function attempts_of(t)
            if type(t.attempts) == 'number' then return t.attempts end
            return 0
        end

        -- A final state is claimed once; false when the task already has one.
        local function claim(task_id, status)
            if redis.call('HSETNX', done, task_id, status) == 0 then return false end
            if status == 'failed' then redis.call('HINCRBY', run, 'failed', 1) end
            return true
        end

        local function end_task(task_id, status, err)
            local t = current(task_id)
            t.status = status
            t.completed_at = now
            t.error = err
            save_json(task_id, cjson.encode(t), status, event(task_id, status, attempts_of(t), err))
        end

        local function finish_run()
            local status, err = 'completed', nil
            local failed = tonumber(redis.call('HGET', run, 'failed') or '0')
            local stopped = redis.call('HGET', run, 'cancelled')
            if stopped == 'timeout' then
                status, err = 'failed', cjson.decode(redis.call('HGET', run, 'stop_error'))
            elseif stopped then
                status, err = 'cancelled', { code = -28005, message = 'the run was cancelled' }
            elseif failed > 0 then
                local noun = ' tasks'
                if failed == 1 then noun = ' task' end
                status, err = 'failed', { code = -28003, message = failed .. noun .. ' failed' .. (redis.call('HGET', run, 'first_failure') or '') }
            end
            redis.call('HSET', run, 'status', status, 'completed_at', now)
            if err then redis.call('HSET', run, 'error', cjson.encode(err)) end
            redis.call('RPUSH', events, event(nil, status, 0, err))
            redis.call('PUBLISH', finished, run_id)
        end

        -- n tasks reached a final state; the run ends when none is left.
        local function count_final(n)
            if n > 0 and redis.call('HINCRBY', run, 'remaining', -n) == 0 then finish_run() end
        end

        local function enqueue(task_id)
            local t = current(task_id)
            t.status = 'queued'
            save_json(task_id, cjson.encode(t), 'queued', event(task_id, 'queued', attempts_of(t), nil))
            redis.call('XADD', queue, '*', 'run', run_id, 'task', task_id)
        end

        local function ack(entry)
            if entry ~= '' then
                redis.call('XACK', queue, group, entry)
                redis.call('XDEL', queue, entry)
            end
        end

        -- Why tasks that did not finish were stopped: cancelled (TASK_CANCELLED) or the run's timeout (WORKFLOW_TIMEOUT).
        local function cancelled_error()
            local e = redis.call('HGET', run, 'stop_error')
            if e then return cjson.decode(e) end
            return { code = -29004, message = 'the run was cancelled' }
        end

        """;

    // ARGV 6..: (task id, number of dependencies) pairs
    public const string Submit = Prelude + """
        if redis.call('EXISTS', run) == 0 then return -1 end
        if redis.call('HEXISTS', run, 'remaining') == 1 then return 0 end
        local count = (#ARGV - 5) / 2
        redis.call('HSET', run, 'remaining', count, 'failed', 0, 'status', 'running')
        redis.call('HSETNX', run, 'started_at', now)
        redis.call('RPUSH', events, event(nil, 'running', 0, nil))
        for i = 6, #ARGV, 2 do redis.call('HSET', pending, ARGV[i], ARGV[i + 1]) end
        for i = 6, #ARGV, 2 do
            if ARGV[i + 1] == '0' then enqueue(ARGV[i]) end
        end
        if count == 0 then finish_run() end
        redis.call('PUBLISH', wake, run_id)
        return 1
        """;

    // ARGV 6 task id, 7 stream entry id. Returns {1, attempt, started_at} to run it, {0, 0} when it must not run.
    public const string Start = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        if redis.call('EXISTS', run) == 0 then ack(entry); return { 0, 0 } end
        if redis.call('HEXISTS', done, task_id) == 1 then ack(entry); return { 0, 0 } end
        if redis.call('HGET', run, 'cancelled') then
            ack(entry)
            if claim(task_id, 'cancelled') then end_task(task_id, 'cancelled', cancelled_error()); count_final(1) end
            return { 0, 0 }
        end
        local attempt = redis.call('HINCRBY', attempts, task_id, 1)
        local t = current(task_id)
        t.status = 'running'
        t.attempts = attempt
        if type(t.started_at) ~= 'string' then t.started_at = now end
        t.error = nil
        t.completed_at = nil
        save_json(task_id, cjson.encode(t), 'running', event(task_id, 'running', attempt, nil))
        return { 1, attempt, t.started_at }
        """;

    // ARGV 6 task id, 7 entry id, 8 completed task json, 9 event json, 10.. direct dependents. Returns 1 recorded, 0 duplicate.
    public const string Complete = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if not claim(task_id, 'completed') then return 0 end
        save_json(task_id, ARGV[8], 'completed', ARGV[9])
        local queued = false
        for i = 10, #ARGV do
            local d = ARGV[i]
            if redis.call('HEXISTS', done, d) == 0 and redis.call('HINCRBY', pending, d, -1) == 0 then
                enqueue(d)
                queued = true
            end
        end
        if queued then redis.call('PUBLISH', wake, run_id) end
        count_final(1)
        return 1
        """;

    // ARGV 6 task id, 7 entry id, 8 failed task json, 9 event json, 10 failure summary, 11.. every transitive dependent
    public const string Fail = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if not claim(task_id, 'failed') then return 0 end
        save_json(task_id, ARGV[8], 'failed', ARGV[9])
        redis.call('HSETNX', run, 'first_failure', ARGV[10])
        local n = 1
        for i = 11, #ARGV do
            local d = ARGV[i]
            if claim(d, 'skipped') then
                end_task(d, 'skipped', { code = -29005, message = "dependency '" .. task_id .. "' failed" })
                n = n + 1
            end
        end
        count_final(n)
        return 1
        """;

    // ARGV 6 task id, 7 entry id, 8 retrying task json, 9 event json, 10 due (Unix ms), 11 delayed-set member, 12 delayed key
    public const string Retry = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if redis.call('HEXISTS', done, task_id) == 1 then return 0 end
        if redis.call('HGET', run, 'cancelled') then
            if claim(task_id, 'cancelled') then end_task(task_id, 'cancelled', cancelled_error()); count_final(1) end
            return 0
        end
        save_json(task_id, ARGV[8], 'retrying', ARGV[9])
        redis.call('ZADD', ARGV[12], ARGV[10], ARGV[11])
        return 1
        """;

    // The running attempt ended because the run was cancelled. ARGV 6 task id, 7 entry id
    public const string EndCancelled = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if not claim(task_id, 'cancelled') then return 0 end
        end_task(task_id, 'cancelled', cancelled_error())
        count_final(1)
        return 1
        """;

    // Stops a run: cancelled by a user, or out of time. ARGV 6 cancel channel, 7 reason ('cancelled' or 'timeout'),
    // 8 the error of the tasks it stops (JSON). Returns -1 unknown run, -2 not a queued run, 0 already finished or stopping, 1 stopped.
    public const string Cancel = Prelude + """
        if redis.call('EXISTS', run) == 0 then return -1 end
        if redis.call('HEXISTS', run, 'remaining') == 0 then return -2 end
        local status = redis.call('HGET', run, 'status')
        if status == 'completed' or status == 'failed' or status == 'cancelled' then return 0 end
        if redis.call('HEXISTS', run, 'cancelled') == 1 then return 0 end
        redis.call('HSET', run, 'cancelled', ARGV[7], 'stop_error', ARGV[8])
        local n = 0
        for _, task_id in ipairs(redis.call('HKEYS', pending)) do
            if redis.call('HGET', statuses, task_id) ~= 'running' and claim(task_id, 'cancelled') then
                end_task(task_id, 'cancelled', cancelled_error())
                n = n + 1
            end
        end
        redis.call('PUBLISH', ARGV[6], run_id)
        count_final(n)
        return 1
        """;

    // KEYS: 1 delayed set, 2 queue stream. ARGV: 1 now (Unix ms), 2 limit, 3 wake channel. Moves due retries to the stream.
    public const string PromoteDue = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, m in ipairs(due) do
            redis.call('ZREM', KEYS[1], m)
            local colon = string.find(m, ':', 1, true)
            local len = tonumber(string.sub(m, 1, colon - 1))
            local run_id = string.sub(m, colon + 1, colon + len)
            local task_id = string.sub(m, colon + len + 1)
            redis.call('XADD', KEYS[2], '*', 'run', run_id, 'task', task_id)
        end
        if #due > 0 then redis.call('PUBLISH', ARGV[3], 'retry') end
        return #due
        """;
}
