namespace Gleitzeit.Persistence.Redis;

/// <summary>The store's writes, each one Lua script so a run's hashes and history change together.</summary>
internal static class StoreScripts
{
    // KEYS: run, tasks, statuses, events, runs, seq
    // ARGV: id, name, status, created_at, created_ms, workflow, inputs, started_at, completed_at, error, task_count, event,
    //       parent id or '', then (task id, task json, status) triples
    public const string CreateRun = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        local seq = redis.call('INCR', KEYS[6])
        redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[2], 'status', ARGV[3], 'created_at', ARGV[4],
            'workflow', ARGV[6], 'inputs', ARGV[7], 'task_count', ARGV[11], 'seq', seq)
        if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'started_at', ARGV[8]) end
        if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'completed_at', ARGV[9]) end
        if ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[10]) end
        if ARGV[13] ~= '' then redis.call('HSET', KEYS[1], 'parent_id', ARGV[13]) end
        for i = 14, #ARGV, 3 do
            redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
            redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
        end
        redis.call('RPUSH', KEYS[4], ARGV[12])
        redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
        return 1
        """;

    // KEYS: run, events. ARGV: status, timestamp, error json or '', event, finished (1/0)
    public const string UpdateRunStatus = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], 'status', ARGV[1])
        if ARGV[1] == 'running' then
            redis.call('HSETNX', KEYS[1], 'started_at', ARGV[2])
            redis.call('HDEL', KEYS[1], 'completed_at')
            if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'error') else redis.call('HSET', KEYS[1], 'error', ARGV[3]) end
        else
            if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'completed_at', ARGV[2]) end
            if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[3]) end
        end
        redis.call('RPUSH', KEYS[2], ARGV[4])
        return 1
        """;

    // KEYS: run, tasks, statuses, events. ARGV: (task id, json, status, event) quadruples
    public const string SaveTasks = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        for i = 1, #ARGV, 4 do
            redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
            redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
            redis.call('RPUSH', KEYS[4], ARGV[i + 3])
        end
        return 1
        """;

    // KEYS: run, tasks, statuses, events. ARGV: task id, json, status, event. Records a waiting task's decision only while
    // the task is stored waiting (compare-and-set). Returns -1 for an unknown run, 0 when not waiting, 1 when recorded.
    public const string SaveAnswer = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
        if redis.call('HGET', KEYS[3], ARGV[1]) ~= 'waiting' then return 0 end
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
        redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
        redis.call('RPUSH', KEYS[4], ARGV[4])
        return 1
        """;

    // KEYS: lease. ARGV: owner, host, pid, expires (Unix ms), now (Unix ms), owner to take over from or ''.
    // Returns the lease in force afterwards: owner, host, pid, expires.
    public const string AcquireLease = """
        local held = redis.call('HMGET', KEYS[1], 'owner', 'host', 'pid', 'expires')
        if held[1] and held[1] ~= ARGV[1] and tonumber(held[4]) > tonumber(ARGV[5]) and held[1] ~= ARGV[6] then
            return held
        end
        redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'host', ARGV[2], 'pid', ARGV[3], 'expires', ARGV[4])
        return { ARGV[1], ARGV[2], ARGV[3], ARGV[4] }
        """;

    // KEYS: lease. ARGV: owner. Deletes the lease only when that owner holds it.
    public const string ReleaseLease = """
        if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    // KEYS: the runs index, then the keys of each run in the order of RedisKeys.AllOf (as many per run). ARGV: the run ids.
    // A run is removed only while it is still finished (it may have been resumed since it was listed).
    public const string PurgeRuns = """
        local removed = 0
        local per = (#KEYS - 1) / #ARGV
        for i = 1, #ARGV do
            local base = 1 + (i - 1) * per
            local status = redis.call('HGET', KEYS[base + 1], 'status')
            if status == 'completed' or status == 'failed' or status == 'cancelled' then
                if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then removed = removed + 1 end
                for k = base + 1, base + per do redis.call('DEL', KEYS[k]) end
            end
        end
        return removed
        """;
}
