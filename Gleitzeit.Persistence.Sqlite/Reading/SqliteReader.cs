using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Microsoft.Data.Sqlite;

namespace Gleitzeit.Persistence.Sqlite.Reading;

/// <summary>
/// Every read of <see cref="SqliteWorkflowStore"/>: a run by id (the engine's side) and the query side
/// (<see cref="IWorkflowHistory"/>), each on a pooled read-only connection of its own, so reads never wait for the
/// writer (WAL). A read that spans several statements runs in one deferred transaction, so it sees one snapshot.
/// </summary>
internal sealed class SqliteReader(string readConnectionString, string databasePath, Func<bool> isDisposed)
{
    public ValueTask<bool> RunExistsAsync(string workflowId, CancellationToken cancellationToken) =>
        Read(connection =>
        {
            using var command = Command(connection, "SELECT 1 FROM runs WHERE id = $run", ("$run", workflowId));
            return command.ExecuteScalar() is not null;
        }, cancellationToken);

    public ValueTask<RunLease?> GetLeaseAsync(string workflowId, CancellationToken cancellationToken) =>
        Read(connection =>
        {
            using var command = Command(connection, "SELECT owner, host, pid, expires_at FROM leases WHERE run_id = $run", ("$run", workflowId));
            using var reader = command.ExecuteReader();
            return reader.Read() ? new RunLease(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), Time(reader.GetInt64(3))) : null;
        }, cancellationToken);

    public ValueTask<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken) =>
        Read(connection =>
        {
            using var tx = connection.BeginTransaction(deferred: true);
            using var command = Command(connection, "SELECT id, name, status, created_at, started_at, completed_at, error, definition, inputs FROM runs WHERE id = $run", ("$run", workflowId));
            command.Transaction = tx;
            WorkflowRun run;
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read()) return null;
                run = new WorkflowRun
                {
                    WorkflowId = reader.GetString(0),
                    Name = reader.GetString(1),
                    Status = StoreJson.ParseWorkflowStatus(reader.GetString(2)),
                    CreatedAt = Time(reader.GetInt64(3)),
                    StartedAt = NullableTime(reader, 4),
                    CompletedAt = NullableTime(reader, 5),
                    Error = Error(reader, 6),
                    Workflow = reader.IsDBNull(7) ? null : StoreJson.WorkflowFromJson(ParseJson(reader.GetString(7), workflowId).AsObject()),
                    Inputs = reader.IsDBNull(8)
                        ? new Dictionary<string, JsonNode?>()
                        : ParseJson(reader.GetString(8), workflowId).AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone(), StringComparer.Ordinal),
                };
            }
            using var tasks = Command(connection, "SELECT task_id, status, result, error, attempts, started_at, completed_at, loop FROM tasks WHERE run_id = $run ORDER BY position", ("$run", workflowId));
            tasks.Transaction = tx;
            var states = new Dictionary<string, TaskResult>(StringComparer.Ordinal);
            using (var reader = tasks.ExecuteReader())
            {
                while (reader.Read())
                {
                    var task = ReadTask(reader, 0, workflowId);
                    states[task.TaskId] = task;
                }
            }
            tx.Commit();
            return (WorkflowRun?)(run with { Tasks = states });
        }, cancellationToken);

    public ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query, CancellationToken cancellationToken)
    {
        query ??= new RunQuery();
        return Read(connection =>
        {
            var where = new List<string>();
            var parameters = new List<(string, object)>();
            if (query.Name is not null)
            {
                where.Add("r.name = $name");
                parameters.Add(("$name", query.Name));
            }
            if (query.Statuses.Count > 0)
            {
                var names = query.Statuses.Distinct().Select((s, i) => (Name: $"$s{i}", Value: StoreJson.StatusName(s))).ToList();
                where.Add($"r.status IN ({string.Join(", ", names.Select(n => n.Name))})");
                parameters.AddRange(names.Select(n => (n.Name, (object)n.Value)));
            }
            if (query.After is not null)
            {
                // Row-value comparison on the listing order: the (created_at, seq) indexes seek straight to the page.
                where.Add("(r.created_at, r.seq) < (SELECT a.created_at, a.seq FROM runs a WHERE a.id = $after)");
                parameters.Add(("$after", query.After));
            }
            parameters.Add(("$limit", Math.Max(0, query.Limit)));
            parameters.Add(("$offset", Math.Max(0, query.Offset)));
            var sql = $"""
                SELECT r.id, r.name, r.status, r.created_at, r.started_at, r.completed_at,
                       MAX(r.task_count, (SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.id)),
                       (SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.id AND t.status = 'completed'),
                       (SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.id AND t.status = 'failed')
                FROM runs r
                {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
                ORDER BY r.created_at DESC, r.seq DESC
                LIMIT $limit OFFSET $offset
                """;
            using var command = Command(connection, sql, [.. parameters]);
            using var reader = command.ExecuteReader();
            var list = new List<WorkflowRunSummary>();
            while (reader.Read())
            {
                list.Add(new WorkflowRunSummary(reader.GetString(0), reader.GetString(1), StoreJson.ParseWorkflowStatus(reader.GetString(2)),
                    Time(reader.GetInt64(3)), NullableTime(reader, 4), NullableTime(reader, 5), reader.GetInt32(6), reader.GetInt32(7), reader.GetInt32(8)));
            }
            return (IReadOnlyList<WorkflowRunSummary>)list;
        }, cancellationToken);
    }

    public ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId, CancellationToken cancellationToken) =>
        Read(connection =>
        {
            var sql = """
                SELECT r.id, r.name, t.task_id, t.status, t.result, t.error, t.attempts, t.started_at, t.completed_at, t.loop
                FROM tasks t JOIN runs r ON r.id = t.run_id
                WHERE t.task_id = $task
                """ + (workflowId is null ? "" : " AND t.run_id = $run") + " ORDER BY r.created_at DESC, r.seq DESC LIMIT 1";
            using var command = workflowId is null
                ? Command(connection, sql, ("$task", taskId))
                : Command(connection, sql, ("$task", taskId), ("$run", workflowId));
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            var runId = reader.GetString(0);
            return (StoredTaskResult?)new StoredTaskResult(runId, reader.GetString(1), ReadTask(reader, 2, runId));
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken) =>
        Read(connection =>
        {
            using var command = Command(connection, """
                SELECT r.id, r.name, t.task_id, t.status, t.result, t.error, t.attempts, t.started_at, t.completed_at, t.loop
                FROM runs r JOIN tasks t ON t.run_id = r.id
                WHERE r.name = $name
                ORDER BY r.created_at DESC, r.seq DESC, t.position
                """, ("$name", workflowName));
            using var reader = command.ExecuteReader();
            var list = new List<StoredTaskResult>();
            while (reader.Read())
            {
                var runId = reader.GetString(0);
                list.Add(new StoredTaskResult(runId, reader.GetString(1), ReadTask(reader, 2, runId)));
            }
            return (IReadOnlyList<StoredTaskResult>)list;
        }, cancellationToken);

    public ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken) =>
        Read(connection =>
        {
            using var tx = connection.BeginTransaction(deferred: true);
            var runs = new Dictionary<WorkflowStatus, int>();
            var tasks = new Dictionary<WorkflowTaskStatus, int>();
            using (var command = Command(connection, "SELECT status, COUNT(*) FROM runs GROUP BY status"))
            {
                command.Transaction = tx;
                using var reader = command.ExecuteReader();
                while (reader.Read()) runs[StoreJson.ParseWorkflowStatus(reader.GetString(0))] = reader.GetInt32(1);
            }
            using (var command = Command(connection, "SELECT status, COUNT(*) FROM tasks GROUP BY status"))
            {
                command.Transaction = tx;
                using var reader = command.ExecuteReader();
                while (reader.Read()) tasks[StoreJson.ParseTaskStatus(reader.GetString(0))] = reader.GetInt32(1);
            }
            var runAverage = Average(connection, tx, "runs");
            var taskAverage = Average(connection, tx, "tasks");
            tx.Commit();
            return new StoreStatistics
            {
                TotalRuns = runs.Values.Sum(),
                RunsByStatus = runs,
                TotalTasks = tasks.Values.Sum(),
                TasksByStatus = tasks,
                AverageRunDuration = runAverage,
                AverageTaskDuration = taskAverage,
            };
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken) =>
        Read(connection =>
        {
            using var command = Command(connection, "SELECT task_id, status, at, attempt, error FROM events WHERE run_id = $run ORDER BY id", ("$run", workflowId));
            using var reader = command.ExecuteReader();
            var list = new List<StoredEvent>();
            while (reader.Read())
            {
                list.Add(new StoredEvent(workflowId, reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1), Time(reader.GetInt64(2)), reader.GetInt32(3), Error(reader, 4)));
            }
            return (IReadOnlyList<StoredEvent>)list;
        }, cancellationToken);

    private ValueTask<T> Read<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(isDisposed(), typeof(SqliteWorkflowStore));
        try
        {
            using var connection = new SqliteConnection(readConnectionString);
            connection.Open();
            return ValueTask.FromResult(read(connection));
        }
        catch (SqliteException ex)
        {
            throw SqliteErrors.Map(ex, databasePath, writing: false);
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    private static TimeSpan? Average(SqliteConnection connection, SqliteTransaction tx, string table)
    {
        using var command = Command(connection, $"SELECT AVG(completed_at - started_at) FROM {table} WHERE started_at IS NOT NULL AND completed_at IS NOT NULL");
        command.Transaction = tx;
        return command.ExecuteScalar() is double ticks ? TimeSpan.FromTicks((long)Math.Round(ticks)) : null;
    }

    private TaskResult ReadTask(SqliteDataReader reader, int first, string runId) => new()
    {
        TaskId = reader.GetString(first),
        Status = StoreJson.ParseTaskStatus(reader.GetString(first + 1)),
        Result = reader.IsDBNull(first + 2) ? null : ParseJson(reader.GetString(first + 2), runId),
        Error = Error(reader, first + 3),
        Attempts = reader.GetInt32(first + 4),
        StartedAt = NullableTime(reader, first + 5),
        CompletedAt = NullableTime(reader, first + 6),
        Iteration = reader.IsDBNull(first + 7) ? 0 : (int?)ParseJson(reader.GetString(first + 7), runId)["iteration"] ?? 0,
        History = reader.IsDBNull(first + 7) ? [] : StoreJson.HistoryFromJson(ParseJson(reader.GetString(first + 7), runId)["history"]),
    };

    private GleitzeitError? Error(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : StoreJson.ErrorFromJson(ParseJson(reader.GetString(ordinal), null).AsObject());

    private JsonNode ParseJson(string text, string? runId)
    {
        try
        {
            return JsonNode.Parse(text) ?? JsonValue.Create((string?)null)!;
        }
        catch (JsonException ex)
        {
            throw SqliteErrors.Corrupted(databasePath, ex, $"run '{runId}' holds malformed JSON: {ex.Message}");
        }
    }

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    private static DateTimeOffset? NullableTime(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Time(reader.GetInt64(ordinal));
}
