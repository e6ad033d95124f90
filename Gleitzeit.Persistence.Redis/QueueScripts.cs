namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// The distributed DAG, advanced inside Redis. Every script runs atomically, so two tasks finishing at the same instant
/// cannot lose or double a dependent, and the <c>done</c> hash (written with HSETNX) makes each task's final state
/// recorded exactly once: a late duplicate report finds it set and changes nothing.
/// </summary>
internal static class QueueScripts
{
    // The ready set and the lanes, shared by every script that makes a task ready or moves one between them.
    // A ready member is "len:run-id task-id" (len in bytes); its score is its rank: -priority * 2^32 + sequence, so the
    // lowest score is the highest priority, and among equal priorities the first made ready. Priorities are clamped to
    // +-2^20 so ranks stay exact in a double. A bounded lane has ":permits" (stream entry ids of the tasks running in it,
    // scored by when the permit expires, server time in ms) and ":waiting" (members parked while it was full, by rank).
    private const string Lanes = """
        local function ready_rank(seq_key, prio)
            local p = math.floor(tonumber(prio) or 10)
            if p > 1048576 then p = 1048576 elseif p < -1048576 then p = -1048576 end
            return -p * 4294967296 + (redis.call('INCR', seq_key) % 4294967296)
        end

        local function ready_member(r, t) return string.len(r) .. ':' .. r .. t end

        local function split_member(m)
            local colon = string.find(m, ':', 1, true)
            local len = tonumber(string.sub(m, 1, colon - 1))
            return string.sub(m, colon + 1, colon + len), string.sub(m, colon + len + 1)
        end

        local function server_ms()
            local t = redis.call('TIME')
            return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end

        -- Moves up to n parked tasks of a lane back to the ready set, best rank first; returns how many.
        local function unpark(ready_key, base, n)
            local moved = 0
            while moved < n do
                local m = redis.call('ZPOPMIN', base .. ':waiting')
                if #m == 0 then break end
                redis.call('ZADD', ready_key, m[2], m[1])
                moved = moved + 1
            end
            return moved
        end

        -- Drops the permits whose lease ran out (their worker died or lost Redis) and gives each freed place to a parked task.
        local function prune(ready_key, base, now_ms, rescue)
            local permits = base .. ':permits'
            local expired = redis.call('ZREMRANGEBYSCORE', permits, '-inf', now_ms)
            local moved = 0
            if expired > 0 then moved = unpark(ready_key, base, expired) end
            -- Nothing runs in the lane but tasks wait in it (a release lost with its worker): let one go.
            if rescue and moved == 0 and redis.call('ZCARD', permits) == 0 then moved = unpark(ready_key, base, 1) end
            return moved
        end

        """;

    // KEYS: 1 run, 2 tasks, 3 statuses, 4 events, 5 pending, 6 done, 7 attempts, 8 queue stream, 9 delayed set,
    //       10 ready set, 11 ready sequence, 12 set of lanes, 13 completed dependencies (join: any), 14 foreach state
    //       (per foreach task "<id>|count", "|left", "|next", "|prio"; per completed item its result JSON), 15 item values
    // ARGV: 1 run id, 2 now (ISO 8601), 3 wake channel, 4 finished channel, 5 consumer group, then the script's own
    private const string Prelude = Lanes + """
        local run, tasks, statuses, events, pending, done, attempts, queue = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
        local ready, ready_seq, lanes, okdeps, fe, item_values = KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14], KEYS[15]
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
            -- A child run of a workflow/run task: that task is made ready again, and the worker that takes it records
            -- the child's outcome as its own.
            local parent_run = redis.call('HGET', run, 'parent_run')
            if parent_run then
                redis.call('ZADD', ready, ready_rank(ready_seq, redis.call('HGET', run, 'parent_prio')), ready_member(parent_run, redis.call('HGET', run, 'parent_task')))
                redis.call('PUBLISH', wake, parent_run)
            end
        end

        -- A run with tasks waiting for a person ('waiting' counts them) is stored 'waiting' while none of its tasks is
        -- queued, running or retrying, and 'running' again once one is. Runs with no waiting task pay one HGET.
        local function sync_waiting()
            if tonumber(redis.call('HGET', run, 'waiting') or '0') <= 0 then return end
            local s = redis.call('HGET', run, 'status')
            if s ~= 'running' and s ~= 'waiting' then return end
            local want = 'waiting'
            for _, st in ipairs(redis.call('HVALS', statuses)) do
                if st == 'queued' or st == 'running' or st == 'retrying' then want = 'running'; break end
            end
            if want ~= s then
                redis.call('HSET', run, 'status', want)
                redis.call('RPUSH', events, event(nil, want, 0, nil))
            end
        end

        -- n tasks reached a final state; the run ends when none is left.
        local function count_final(n)
            if n > 0 then
                if redis.call('HINCRBY', run, 'remaining', -n) == 0 then finish_run() else sync_waiting() end
            end
        end

        local function make_ready(task_id, prio)
            redis.call('ZADD', ready, ready_rank(ready_seq, prio), ready_member(run_id, task_id))
        end

        local function enqueue(task_id, prio)
            local t = current(task_id)
            t.status = 'queued'
            save_json(task_id, cjson.encode(t), 'queued', event(task_id, 'queued', attempts_of(t), nil))
            make_ready(task_id, prio)
        end

        -- A task completed: its direct dependents, ARGV[i..j] as (id, priority) pairs, count it, and those with nothing
        -- left to wait for are queued. Returns whether one was.
        local function release_dependents(i, j)
            local queued = false
            for k = i, j, 2 do
                local d = ARGV[k]
                if redis.call('HEXISTS', done, d) == 0 then
                    redis.call('HINCRBY', okdeps, d, 1)
                    if redis.call('HINCRBY', pending, d, -1) == 0 then
                        enqueue(d, ARGV[k + 1])
                        queued = true
                    end
                end
            end
            return queued
        end

        local function item_id(p, i) return p .. '[' .. string.format('%d', i) .. ']' end

        -- A foreach task ends with a final state other than completed: its items that are not running are skipped
        -- with cause (those running finish on their own). Returns how many were.
        local function skip_items(p, cause)
            local n = 0
            for i = 0, tonumber(redis.call('HGET', fe, p .. '|count') or '0') - 1 do
                local id = item_id(p, i)
                local st = redis.call('HGET', statuses, id)
                if redis.call('HEXISTS', done, id) == 0 and st ~= 'running' and claim(id, 'skipped') then
                    -- An item waiting for a person no longer counts as waiting.
                    if st == 'waiting' then redis.call('HINCRBY', run, 'waiting', -1) end
                    end_task(id, 'skipped', cause)
                    n = n + 1
                end
            end
            return n
        end

        -- The results of foreach task p's items, in order, as one JSON text {"results": [...], "count": n}. The
        -- items' JSON is spliced as stored, never decoded and encoded again (cjson would turn [] into {}).
        local function aggregate(p)
            local n = tonumber(redis.call('HGET', fe, p .. '|count'))
            local parts = {}
            for first = 0, n - 1, 1000 do
                local ids = {}
                for i = first, math.min(first + 999, n - 1) do ids[#ids + 1] = item_id(p, i) end
                for _, r in ipairs(redis.call('HMGET', fe, unpack(ids))) do parts[#parts + 1] = r or 'null' end
            end
            return '{"results":[' .. table.concat(parts, ',') .. '],"count":' .. string.format('%d', n) .. '}'
        end

        -- Stores foreach task p final: its state with result_json (JSON text, spliced in as is) and err.
        local function conclude_foreach(p, status, result_json, err)
            local t = current(p)
            t.status = status
            t.completed_at = now
            t.result = nil
            t.error = err
            local j = cjson.encode(t)
            if result_json then j = string.sub(j, 1, -2) .. ',"result":' .. result_json .. '}' end
            save_json(p, j, status, event(p, status, attempts_of(t), err))
        end

        -- Item item of foreach task p completed with result_json: kept for the aggregate, the next item not yet queued
        -- takes its place, and the last one completes p and releases p's dependents (ARGV[first_dep..last_dep] pairs).
        -- Returns how many tasks reached a final state besides the item (0 or 1).
        local function item_completed(p, item, result_json, first_dep, last_dep)
            redis.call('HSET', fe, item, result_json)
            if redis.call('HEXISTS', done, p) == 1 then return 0 end
            if redis.call('HINCRBY', fe, p .. '|left', -1) > 0 then
                local i = redis.call('HINCRBY', fe, p .. '|next', 1) - 1
                if i < tonumber(redis.call('HGET', fe, p .. '|count')) then
                    make_ready(item_id(p, i), redis.call('HGET', fe, p .. '|prio'))
                    redis.call('PUBLISH', wake, run_id)
                end
                return 0
            end
            if not claim(p, 'completed') then return 0 end
            conclude_foreach(p, 'completed', aggregate(p), nil)
            if release_dependents(first_dep, last_dep) then redis.call('PUBLISH', wake, run_id) end
            return 1
        end

        local function ack(entry)
            if entry ~= '' then
                redis.call('XACK', queue, group, entry)
                redis.call('XDEL', queue, entry)
            end
        end

        -- A task ended failed or skipped: its transitive dependents, ARGV from index i on as groups (id, join 'all'|'any',
        -- priority, n, then its n dependencies among them and the task), in dependency order. One with join all is
        -- skipped (with cause) when one of them is gone; one with join any when all its dependencies are final and none
        -- completed, and queued when one completed. Returns how many were skipped.
        local function settle_dependents(origin, cause, i)
            local gone = { [origin] = true }
            local n = 0
            local queued = false
            while i <= #ARGV do
                local d, join, prio, k = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
                local hits = 0
                for j = 1, k do
                    if gone[ARGV[i + 3 + j]] then hits = hits + 1 end
                end
                i = i + 4 + k
                if hits > 0 and redis.call('HEXISTS', done, d) == 0 then
                    local left = redis.call('HINCRBY', pending, d, -hits)
                    local skip = true
                    if join == 'any' then
                        if left > 0 then
                            skip = false
                        elseif tonumber(redis.call('HGET', okdeps, d) or '0') > 0 then
                            skip = false
                            enqueue(d, prio)
                            queued = true
                        end
                    end
                    if skip and claim(d, 'skipped') then
                        end_task(d, 'skipped', cause)
                        gone[d] = true
                        n = n + 1
                    end
                end
            end
            if queued then redis.call('PUBLISH', wake, run_id) end
            return n
        end

        -- Item item of foreach task p failed for good: p fails (once) with err_json, its items not running are skipped,
        -- and so are p's dependents (settle_dependents from ARGV index i, with cause_json). Returns how many tasks
        -- reached a final state besides the item.
        local function item_failed(p, item, err_json, cause_json, i)
            if not claim(p, 'failed') then return 0 end
            conclude_foreach(p, 'failed', nil, cjson.decode(err_json))
            return 1 + skip_items(p, { code = -29005, message = "dependency '" .. item .. "' failed" }) + settle_dependents(p, cjson.decode(cause_json), i)
        end

        -- Why tasks that did not finish were stopped: cancelled (TASK_CANCELLED) or the run's timeout (WORKFLOW_TIMEOUT).
        local function cancelled_error()
            local e = redis.call('HGET', run, 'stop_error')
            if e then return cjson.decode(e) end
            return { code = -29004, message = 'the run was cancelled' }
        end

        -- The prologue of every script that would queue, park or start a task not running anywhere: when its run was
        -- stopped, the task ends cancelled instead (once). Returns whether the run was stopped.
        local function stopped(task_id)
            if not redis.call('HGET', run, 'cancelled') then return false end
            if claim(task_id, 'cancelled') then end_task(task_id, 'cancelled', cancelled_error()); count_final(1) end
            return true
        end

        """;

    // ARGV 6..: (task id, number of dependencies, priority) triples, in the workflow's order
    public const string Submit = Prelude + """
        if redis.call('EXISTS', run) == 0 then return -1 end
        if redis.call('HEXISTS', run, 'remaining') == 1 then return 0 end
        local count = (#ARGV - 5) / 3
        redis.call('HSET', run, 'remaining', count, 'failed', 0, 'status', 'running')
        redis.call('HSETNX', run, 'started_at', now)
        redis.call('RPUSH', events, event(nil, 'running', 0, nil))
        for i = 6, #ARGV, 3 do redis.call('HSET', pending, ARGV[i], ARGV[i + 1]) end
        for i = 6, #ARGV, 3 do
            if ARGV[i + 1] == '0' then enqueue(ARGV[i], ARGV[i + 2]) end
        end
        if count == 0 then finish_run() end
        redis.call('PUBLISH', wake, run_id)
        return 1
        """;

    // ARGV 6 task id, 7 stream entry id, 8 permit lease (ms), 9 rank from the stream entry ('' if none), 10 priority,
    // 11.. (lane base key, bound) pairs: the bounded lanes the task runs in, outermost first.
    // Returns {1, attempt, started_at, item value json ('' unless an item)} to run it, {0, 0} when it must not run, {2, 0} when a lane is full: the task was
    // parked in that lane (its entry acknowledged) and goes back to the ready set when a task of the lane ends.
    public const string Start = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        if redis.call('EXISTS', run) == 0 then ack(entry); return { 0, 0 } end
        if redis.call('HEXISTS', done, task_id) == 1 then ack(entry); return { 0, 0 } end
        if stopped(task_id) then ack(entry); return { 0, 0 } end
        -- A waiting task comes back only when its timeout is due: the worker decides it (it does not run again).
        if redis.call('HGET', statuses, task_id) == 'waiting' then ack(entry); return { 3, 0 } end
        if #ARGV > 10 then
            local now_ms = server_ms()
            local woke = 0
            for i = 11, #ARGV, 2 do woke = woke + prune(ready, ARGV[i], now_ms, false) end
            if woke > 0 then redis.call('PUBLISH', wake, 'lane') end
            for i = 11, #ARGV, 2 do
                local base = ARGV[i]
                local permits = base .. ':permits'
                if not redis.call('ZSCORE', permits, entry) and redis.call('ZCARD', permits) >= tonumber(ARGV[i + 1]) then
                    local rank = tonumber(ARGV[9])
                    if not rank then rank = ready_rank(ready_seq, ARGV[10]) end
                    redis.call('ZADD', base .. ':waiting', rank, ready_member(run_id, task_id))
                    redis.call('SADD', lanes, base)
                    ack(entry)
                    return { 2, 0 }
                end
            end
            for i = 11, #ARGV, 2 do redis.call('ZADD', ARGV[i] .. ':permits', now_ms + tonumber(ARGV[8]), entry) end
        end
        local attempt = redis.call('HINCRBY', attempts, task_id, 1)
        local t = current(task_id)
        t.status = 'running'
        t.attempts = attempt
        if type(t.started_at) ~= 'string' then t.started_at = now end
        t.error = nil
        t.completed_at = nil
        save_json(task_id, cjson.encode(t), 'running', event(task_id, 'running', attempt, nil))
        -- An item's value (JSON) comes back with the start, so running an item costs no extra round trip.
        return { 1, attempt, t.started_at, redis.call('HGET', item_values, task_id) or '' }
        """;

    // ARGV 6 task id, 7 entry id, 8 completed task json, 9 event json, 10 its foreach task when it is an item ('' if
    // not), 11 an item's result json, 12.. (direct dependent, its priority) pairs: the task's own, or an item's foreach
    // task's (released when its last item completes). Returns 1 recorded, 0 duplicate.
    public const string Complete = Prelude + """
        local task_id, entry, parent = ARGV[6], ARGV[7], ARGV[10]
        ack(entry)
        if not claim(task_id, 'completed') then return 0 end
        save_json(task_id, ARGV[8], 'completed', ARGV[9])
        local n = 1
        if parent ~= '' then
            n = n + item_completed(parent, task_id, ARGV[11], 12, #ARGV)
        elseif release_dependents(12, #ARGV) then
            redis.call('PUBLISH', wake, run_id)
        end
        count_final(n)
        return 1
        """;

    // A foreach task's list was resolved (a non-empty list): the expansion is stored once, before any item runs. ARGV
    // 6 task id, 7 entry id, 8 its running json (result {items, count}), 9 event json, 10 priority, 11 most items at
    // once, 12.. (item json, item value json) pairs in order. The first items up to the bound are made ready; each item
    // that completes lets the next one go (see item_completed). Returns 1 expanded, 0 nothing to do (already expanded,
    // final, or the run was stopped), -1 unknown run.
    public const string Expand = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if redis.call('EXISTS', run) == 0 then return -1 end
        if redis.call('HEXISTS', done, task_id) == 1 or redis.call('HEXISTS', fe, task_id .. '|count') == 1 then return 0 end
        if stopped(task_id) then return 0 end
        local prio, bound, n = ARGV[10], tonumber(ARGV[11]), (#ARGV - 11) / 2
        save_json(task_id, ARGV[8], 'running', ARGV[9])
        redis.call('HSET', fe, task_id .. '|count', n, task_id .. '|left', n, task_id .. '|next', math.min(bound, n), task_id .. '|prio', prio)
        redis.call('HINCRBY', run, 'remaining', n)
        for i = 0, n - 1 do
            local id, k = item_id(task_id, i), 12 + i * 2
            save_json(id, ARGV[k], 'queued', event(id, 'queued', 0, nil))
            redis.call('HSET', item_values, id, ARGV[k + 1])
            redis.call('HSET', pending, id, 0)
            if i < bound then make_ready(id, prio) end
        end
        redis.call('PUBLISH', wake, run_id)
        return 1
        """;

    // A task ends failed or skipped (by its condition). ARGV 6 task id, 7 entry id, 8 its final json, 9 event json,
    // 10 failure summary, 11 status ('failed' or 'skipped'), 12 the error its skipped dependents get (json), 13 its
    // foreach task when it is an item ('' if not), 14 the error that foreach task fails with (json, items only), 15..
    // the transitive dependents (of the task, or of an item's foreach task) in dependency order, each as (id, join
    // 'all'|'any', priority, n, then its n dependencies among the origin and those dependents). A dependent with join
    // all is skipped when one of them is gone; one with join any when all its dependencies are final and none
    // completed, and queued when one completed. A failed foreach task's items not running are skipped.
    // Returns 1 recorded, 0 duplicate.
    public const string EndUnsuccessful = Prelude + """
        local task_id, entry, status, parent = ARGV[6], ARGV[7], ARGV[11], ARGV[13]
        ack(entry)
        if not claim(task_id, status) then return 0 end
        save_json(task_id, ARGV[8], status, ARGV[9])
        if status == 'failed' then redis.call('HSETNX', run, 'first_failure', ARGV[10]) end
        local n = 1
        if parent == '' then
            n = n + skip_items(task_id, { code = -29005, message = "dependency '" .. task_id .. "' failed" })
            n = n + settle_dependents(task_id, cjson.decode(ARGV[12]), 15)
        elseif status == 'failed' then
            n = n + item_failed(parent, task_id, ARGV[14], ARGV[12], 15)
        end
        count_final(n)
        return 1
        """;

    // A loop task's iteration completed and its until condition is false: it runs again. ARGV 6 task id, 7 entry id,
    // 8 the queued task json (next iteration, history), 9 event json, 10 priority. The attempt count restarts.
    public const string Iterate = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if redis.call('HEXISTS', done, task_id) == 1 then return 0 end
        if stopped(task_id) then return 0 end
        save_json(task_id, ARGV[8], 'queued', ARGV[9])
        redis.call('HSET', attempts, task_id, 0)
        redis.call('ZADD', ready, ready_rank(ready_seq, ARGV[10]), ready_member(run_id, task_id))
        redis.call('PUBLISH', wake, run_id)
        return 1
        """;

    // ARGV 6 task id, 7 entry id, 8 retrying task json, 9 event json, 10 due (Unix ms), 11 delayed-set member
    // ("priority|len:run-id task-id"), 12 delayed key
    public const string Retry = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if redis.call('HEXISTS', done, task_id) == 1 then return 0 end
        if stopped(task_id) then return 0 end
        save_json(task_id, ARGV[8], 'retrying', ARGV[9])
        redis.call('ZADD', ARGV[12], ARGV[10], ARGV[11])
        return 1
        """;

    // A human task's attempt returned its request: the task waits for a person, holding nothing. ARGV 6 task id,
    // 7 entry id, 8 waiting task json, 9 event json, 10 timeout due (Unix ms) or '', 11 delayed-set member, 12 delayed key.
    // When the timeout is due the task comes back from the delayed set, and Start hands it to a worker to decide.
    public const string Wait = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if redis.call('HEXISTS', done, task_id) == 1 then return 0 end
        if stopped(task_id) then return 0 end
        save_json(task_id, ARGV[8], 'waiting', ARGV[9])
        redis.call('HINCRBY', run, 'waiting', 1)
        if ARGV[10] ~= '' then redis.call('ZADD', ARGV[12], ARGV[10], ARGV[11]) end
        sync_waiting()
        redis.call('PUBLISH', wake, run_id)
        return 1
        """;

    // A waiting task is decided (a person's answer, or its timeout), only while it is stored waiting: the first wins.
    // ARGV 6 task id, 7 decided task json, 8 'completed' or 'failed', 9 event json, 10 failure summary, 11 its foreach
    // task when it is an item ('' if not), 12 an item's result json, 13 the error its foreach task fails with, 14 n, then
    // n (direct dependent, priority) pairs (an item's: its foreach task's), then, when it failed, the transitive
    // dependents (of the task, or of an item's foreach task) as settle_dependents reads them.
    // Returns -1 unknown run, 0 not waiting (nothing written), 1 recorded.
    public const string Answer = Prelude + """
        local task_id = ARGV[6]
        if redis.call('EXISTS', run) == 0 then return -1 end
        if redis.call('HGET', statuses, task_id) ~= 'waiting' then return 0 end
        if not claim(task_id, ARGV[8]) then return 0 end
        redis.call('HINCRBY', run, 'waiting', -1)
        save_json(task_id, ARGV[7], ARGV[8], ARGV[9])
        local parent, direct = ARGV[11], tonumber(ARGV[14])
        local last_dep = 14 + direct * 2
        local n = 1
        if ARGV[8] == 'completed' and parent ~= '' then
            if item_completed(parent, task_id, ARGV[12], 15, last_dep) > 0 then n = n + 1 end
        elseif ARGV[8] == 'completed' then
            release_dependents(15, last_dep)
        else
            redis.call('HSETNX', run, 'first_failure', ARGV[10])
            if parent ~= '' then
                n = n + item_failed(parent, task_id, ARGV[13], cjson.encode({ code = -29005, message = "dependency '" .. parent .. "' failed" }), last_dep + 1)
            else
                n = n + settle_dependents(task_id, { code = -29005, message = "dependency '" .. task_id .. "' failed" }, last_dep + 1)
            end
        end
        count_final(n)
        redis.call('PUBLISH', wake, run_id)
        return 1
        """;

    // The attempt made no call (its provider is over its rate limit): the task goes back to queued with its attempt
    // uncounted and waits in the delayed set, holding no permit. ARGV as Retry.
    public const string Defer = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if redis.call('HEXISTS', done, task_id) == 1 then return 0 end
        if stopped(task_id) then return 0 end
        redis.call('HINCRBY', attempts, task_id, -1)
        save_json(task_id, ARGV[8], 'queued', ARGV[9])
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
    // 8 the error of the tasks it stops (JSON). Returns {-1} unknown run, {-2} not a queued run, {0} already finished or
    // stopping, {1, child run ids...} stopped: the child runs of its workflow/run tasks, for the caller to stop too.
    public const string Cancel = Prelude + """
        if redis.call('EXISTS', run) == 0 then return { -1 } end
        if redis.call('HEXISTS', run, 'remaining') == 0 then return { -2 } end
        local status = redis.call('HGET', run, 'status')
        if status == 'completed' or status == 'failed' or status == 'cancelled' then return { 0 } end
        if redis.call('HEXISTS', run, 'cancelled') == 1 then return { 0 } end
        redis.call('HSET', run, 'cancelled', ARGV[7], 'stop_error', ARGV[8])
        local n = 0
        local out = { 1 }
        for _, task_id in ipairs(redis.call('HKEYS', pending)) do
            -- An expanded foreach task, and a workflow/run task waiting for its child run, are stored running but run on
            -- no worker: they are stopped here too (and the child with them).
            local child = redis.call('HGET', run, 'child|' .. task_id)
            if (redis.call('HGET', statuses, task_id) ~= 'running' or child or redis.call('HEXISTS', fe, task_id .. '|count') == 1) and claim(task_id, 'cancelled') then
                end_task(task_id, 'cancelled', cancelled_error())
                n = n + 1
                if child then out[#out + 1] = child end
            end
        end
        redis.call('PUBLISH', ARGV[6], run_id)
        count_final(n)
        return out
        """;

    // A workflow/run task started its child run (ARGV 8): the task waits for it, stored running, holding no worker.
    // ARGV 6 task id, 7 entry id, 8 child run id. Returns 1 waiting, 0 the task is final already, 2 the run was
    // stopped meanwhile (the task is cancelled; the caller stops the child).
    public const string AwaitChild = Prelude + """
        local task_id, entry = ARGV[6], ARGV[7]
        ack(entry)
        if redis.call('HEXISTS', done, task_id) == 1 then return 0 end
        if stopped(task_id) then return 2 end
        redis.call('HSET', run, 'child|' .. task_id, ARGV[8])
        return 1
        """;

    // KEYS: 1 delayed set, 2 ready set, 3 ready sequence. ARGV: 1 now (Unix ms), 2 limit, 3 wake channel.
    // Moves due retries to the ready set, ranked by their priority behind the tasks of that priority already ready.
    public const string PromoteDue = Lanes + """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, m in ipairs(due) do
            redis.call('ZREM', KEYS[1], m)
            local bar = string.find(m, '|', 1, true)
            local prio, member = 10, m
            if bar then prio, member = string.sub(m, 1, bar - 1), string.sub(m, bar + 1) end
            redis.call('ZADD', KEYS[2], ready_rank(KEYS[3], prio), member)
        end
        if #due > 0 then redis.call('PUBLISH', ARGV[3], 'retry') end
        return #due
        """;

    // KEYS: 1 ready set, 2 queue stream. ARGV: 1 consumer group, 2 consumer, 3 most to take, 4 key prefix (for the runs' trace context; optional).
    // Takes the best-ranked ready tasks: each becomes a stream entry claimed by this consumer in the same step (so it has
    // a lease from the moment it leaves the ready set), carrying the run's W3C trace context when it has one.
    // Returns (entry id, run id, task id, rank, traceparent) quintuples, best first.
    public const string Take = """
        local n = 0
        for i = 1, tonumber(ARGV[3]) do
            local m = redis.call('ZPOPMIN', KEYS[1])
            if #m == 0 then break end
            local colon = string.find(m[1], ':', 1, true)
            local len = tonumber(string.sub(m[1], 1, colon - 1))
            local run_id = string.sub(m[1], colon + 1, colon + len)
            local tp = ARGV[4] and redis.call('HGET', ARGV[4] .. 'run:{' .. run_id .. '}', 'traceparent')
            if tp then
                redis.call('XADD', KEYS[2], '*', 'run', run_id, 'task', string.sub(m[1], colon + len + 1), 'rank', m[2], 'traceparent', tp)
            else
                redis.call('XADD', KEYS[2], '*', 'run', run_id, 'task', string.sub(m[1], colon + len + 1), 'rank', m[2])
            end
            n = n + 1
        end
        if n == 0 then return {} end
        local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', n, 'STREAMS', KEYS[2], '>')
        local out = {}
        if not read or not read[1] then return out end
        for _, e in ipairs(read[1][2]) do
            local f, r, t, k, p = e[2], '', '', '', ''
            for j = 1, #f, 2 do
                if f[j] == 'run' then r = f[j + 1] elseif f[j] == 'task' then t = f[j + 1] elseif f[j] == 'rank' then k = f[j + 1] elseif f[j] == 'traceparent' then p = f[j + 1] end
            end
            out[#out + 1] = e[1]; out[#out + 1] = r; out[#out + 1] = t; out[#out + 1] = k; out[#out + 1] = p
        end
        return out
        """;

    // KEYS: 1 ready set. ARGV: 1 wake channel, 2 stream entry id, 3.. lane base keys. A task that held permits ended
    // (or its worker is stopping): each permit it still holds is returned and passed to the best task parked in that lane.
    public const string ReleasePermits = Lanes + """
        local moved = 0
        for i = 3, #ARGV do
            if redis.call('ZREM', ARGV[i] .. ':permits', ARGV[2]) == 1 then moved = moved + unpark(KEYS[1], ARGV[i], 1) end
        end
        if moved > 0 then redis.call('PUBLISH', ARGV[1], 'lane') end
        return moved
        """;

    // ARGV: 1 lease (ms), then (lane base key, stream entry id) pairs: renews the permits this worker's running tasks hold.
    public const string RenewPermits = Lanes + """
        local until_ms = server_ms() + tonumber(ARGV[1])
        for i = 2, #ARGV, 2 do redis.call('ZADD', ARGV[i] .. ':permits', 'XX', until_ms, ARGV[i + 1]) end
        return 1
        """;

    // KEYS: 1 ready set, 2 set of lanes. ARGV: 1 wake channel. Frees the permits of dead workers in every lane and lets
    // parked tasks go in their place; forgets lanes with nothing running and nothing parked.
    public const string SweepLanes = Lanes + """
        local now_ms = server_ms()
        local moved = 0
        for _, base in ipairs(redis.call('SMEMBERS', KEYS[2])) do
            moved = moved + prune(KEYS[1], base, now_ms, true)
            if redis.call('EXISTS', base .. ':permits') == 0 and redis.call('EXISTS', base .. ':waiting') == 0 then redis.call('SREM', KEYS[2], base) end
        end
        if moved > 0 then redis.call('PUBLISH', ARGV[1], 'lane') end
        return moved
        """;
}
