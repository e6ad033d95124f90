using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Microsoft.Data.Sqlite;

namespace Gleitzeit.Persistence.Sqlite.Tests;

/// <summary>The file itself: creation, WAL, migrations, reopening, and every way a file can be unusable.</summary>
public sealed class SqliteStoreFileTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    // ------------------------------------------------------------------ creation and settings

    [Test]
    public async Task A_new_file_and_its_directories_are_created_in_WAL_mode_at_the_current_schema()
    {
        var path = Path.Join(_dir.Path, "nested", "deeper", "g.db");

        await using (var store = new SqliteWorkflowStore(path))
        {
            Assert.That(store.DatabasePath, Is.EqualTo(path));
            Assert.That(await store.ReadWriterPragmaAsync("journal_mode"), Is.EqualTo("wal"));
        }

        Assert.That(File.Exists(path));
        using var raw = OpenRaw(path);
        Assert.That(Scalar(raw, "PRAGMA user_version"), Is.EqualTo(SqliteSchema.CurrentVersion));
        Assert.That(Scalar(raw, "PRAGMA application_id"), Is.EqualTo(SqliteSchema.ApplicationId));
        Assert.That(Scalar(raw, "PRAGMA journal_mode"), Is.EqualTo("wal"));
    }

    [TestCase(SqliteSynchronousMode.Normal, "1")]
    [TestCase(SqliteSynchronousMode.Full, "2")]
    public async Task Synchronous_mode_is_applied_to_the_writer(SqliteSynchronousMode mode, string pragmaValue)
    {
        await using var store = new SqliteWorkflowStore(new SqliteStoreOptions { DatabasePath = _dir.File("g.db"), Synchronous = mode });

        Assert.That(await store.ReadWriterPragmaAsync("synchronous"), Is.EqualTo(pragmaValue));
    }

    [Test]
    public async Task Busy_timeout_is_applied_to_the_writer()
    {
        await using var store = new SqliteWorkflowStore(new SqliteStoreOptions { DatabasePath = _dir.File("g.db"), BusyTimeout = TimeSpan.FromMilliseconds(2500) });

        Assert.That(await store.ReadWriterPragmaAsync("busy_timeout"), Is.EqualTo("2500"));
    }

    [Test]
    public void A_leading_tilde_is_the_home_directory()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        Assert.That(SqliteStoreOptions.ResolvePath("~/.gleitzeit/gleitzeit.db"), Is.EqualTo(Path.Join(home, ".gleitzeit", "gleitzeit.db")));
        Assert.That(new SqliteStoreOptions().DatabasePath, Is.EqualTo("~/.gleitzeit/gleitzeit.db"));
        Assert.That(SqliteStoreOptions.ResolvePath("rel.db"), Is.EqualTo(Path.GetFullPath("rel.db")));
    }

    [Test]
    public async Task What_was_written_is_there_after_reopening()
    {
        var path = _dir.File("g.db");
        await using (var store = new SqliteWorkflowStore(path))
        {
            await store.CreateRunAsync(new WorkflowRun { WorkflowId = "r1", Name = "n", CreatedAt = T0 });
            await store.SaveTaskAsync("r1", new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Completed, Result = new JsonObject { ["x"] = 1 } });
        }

        await using var again = new SqliteWorkflowStore(path);
        var run = await again.GetRunAsync("r1");

        Assert.That((int?)run!.GetResult("a")!["x"], Is.EqualTo(1));
    }

    [Test]
    public async Task A_write_is_visible_to_another_connection_as_soon_as_it_completes()
    {
        var path = _dir.File("g.db");
        await using var writer = new SqliteWorkflowStore(path);
        await using var other = new SqliteWorkflowStore(path);

        await writer.CreateRunAsync(new WorkflowRun { WorkflowId = "r1", Name = "n", CreatedAt = T0 });
        await writer.SaveTaskAsync("r1", new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Running, Attempts = 1 });

        Assert.That((await other.GetRunAsync("r1"))!.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Running));
    }

    [Test]
    public async Task Two_stores_on_one_file_both_write()
    {
        var path = _dir.File("g.db");
        await using var first = new SqliteWorkflowStore(path);
        await using var second = new SqliteWorkflowStore(path);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            (i % 2 == 0 ? first : second).CreateRunAsync(new WorkflowRun { WorkflowId = $"r{i}", Name = "n", CreatedAt = T0.AddSeconds(i) }).AsTask()));

        Assert.That(await first.ListRunsAsync(), Has.Count.EqualTo(40));
    }

    [Test]
    public async Task Purge_leaves_no_rows_of_the_purged_runs()
    {
        var path = _dir.File("g.db");
        await using (var store = new SqliteWorkflowStore(path))
        {
            await store.CreateRunAsync(new WorkflowRun { WorkflowId = "old", Name = "n", CreatedAt = T0, Tasks = new Dictionary<string, TaskResult> { ["a"] = TaskResult.Pending("a") } });
            await store.SaveTaskAsync("old", new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Completed });
            await store.UpdateRunStatusAsync("old", WorkflowStatus.Completed, T0.AddSeconds(1));
            await store.CreateRunAsync(new WorkflowRun { WorkflowId = "kept", Name = "n", CreatedAt = T0, Tasks = new Dictionary<string, TaskResult> { ["a"] = TaskResult.Pending("a") } });

            Assert.That(await store.PurgeAsync(T0.AddDays(1)), Is.EqualTo(1));
        }

        using var raw = OpenRaw(path);
        Assert.That(Scalar(raw, "SELECT COUNT(*) FROM runs WHERE id = 'old'"), Is.Zero);
        Assert.That(Scalar(raw, "SELECT COUNT(*) FROM tasks WHERE run_id = 'old'"), Is.Zero);
        Assert.That(Scalar(raw, "SELECT COUNT(*) FROM events WHERE run_id = 'old'"), Is.Zero);
        Assert.That(Scalar(raw, "SELECT COUNT(*) FROM tasks WHERE run_id = 'kept'"), Is.EqualTo(1));
    }

    // ------------------------------------------------------------------ migrations

    [Test]
    public async Task An_older_schema_is_migrated_on_open_and_keeps_its_data()
    {
        var path = _dir.File("g.db");
        using (var raw = OpenRaw(path, create: true))
        {
            SqliteSchema.Migrate(raw, path, target: 1);
            Execute(raw, "INSERT INTO runs (id, name, status, created_at, task_count) VALUES ('r1', 'legacy', 'completed', " + T0.UtcTicks + ", 0)");
            Assert.That(Scalar(raw, "PRAGMA user_version"), Is.EqualTo(1));
            Assert.That(Scalar(raw, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'tasks_by_task_id'"), Is.Zero);
        }
        SqliteConnection.ClearAllPools();

        await using (var store = new SqliteWorkflowStore(path))
        {
            Assert.That((await store.GetRunAsync("r1"))!.Name, Is.EqualTo("legacy"));
        }

        using var after = OpenRaw(path);
        Assert.That(Scalar(after, "PRAGMA user_version"), Is.EqualTo(SqliteSchema.CurrentVersion));
        Assert.That(Scalar(after, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'tasks_by_task_id'"), Is.EqualTo(1));
    }

    [Test]
    public void A_newer_schema_is_refused_and_the_file_left_unchanged()
    {
        var path = _dir.File("g.db");
        new SqliteWorkflowStore(path).Dispose();
        using (var raw = OpenRaw(path)) Execute(raw, $"PRAGMA user_version = {SqliteSchema.CurrentVersion + 1}");
        SqliteConnection.ClearAllPools();
        var before = Hash(path);

        var ex = Assert.Throws<GleitzeitException>(() => new SqliteWorkflowStore(path));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceSchemaTooNew));
        Assert.That(ex.Message, Does.Contain(path).And.Contain($"schema version {SqliteSchema.CurrentVersion + 1}"));
        Assert.That(Hash(path), Is.EqualTo(before));
    }

    // ------------------------------------------------------------------ unusable files

    [Test]
    public void A_file_that_is_not_a_database_is_reported_corrupted_and_left_alone()
    {
        var path = _dir.File("g.db");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("this is not a database, just text. ", 200)));
        var before = Hash(path);

        var ex = Assert.Throws<GleitzeitException>(() => new SqliteWorkflowStore(path));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceCorrupted));
        Assert.That(ex.Message, Does.Contain(path).And.Contain("Move it aside"));
        Assert.That(Hash(path), Is.EqualTo(before));
    }

    [Test]
    public async Task A_database_with_damaged_pages_is_reported_corrupted()
    {
        var path = _dir.File("g.db");
        await using (var store = new SqliteWorkflowStore(path))
        {
            for (var i = 0; i < 50; i++)
            {
                await store.CreateRunAsync(new WorkflowRun { WorkflowId = $"r{i}", Name = new string('n', 500), CreatedAt = T0 });
            }
        }
        SqliteConnection.ClearAllPools();
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Length, Is.GreaterThan(8192), "the file has pages past the first");
        // Keep the 100-byte header; overwrite the rest of the file (schema and data pages) with noise.
        new Random(7).NextBytes(bytes.AsSpan(100));
        File.WriteAllBytes(path, bytes);

        var ex = CatchOpenOrRead(path);

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceCorrupted));
        Assert.That(ex.Message, Does.Contain(path));
    }

    [Test]
    public void A_database_of_another_application_is_refused_and_left_alone()
    {
        var path = _dir.File("other.db");
        using (var raw = OpenRaw(path, create: true)) Execute(raw, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
        SqliteConnection.ClearAllPools();
        var before = Hash(path);

        var ex = Assert.Throws<GleitzeitException>(() => new SqliteWorkflowStore(path));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceCorrupted));
        Assert.That(ex.Message, Does.Contain(path).And.Contain("did not create"));
        Assert.That(Hash(path), Is.EqualTo(before));
    }

    [Test]
    public void A_directory_that_cannot_be_created_is_reported_with_the_path()
    {
        // Tests run as root, which ignores permission bits; a path below a regular file fails for everyone.
        var blocker = _dir.File("plain-file");
        File.WriteAllText(blocker, "x");
        var path = Path.Join(blocker, "sub", "g.db");

        var ex = Assert.Throws<GleitzeitException>(() => new SqliteWorkflowStore(path));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceConnectionFailed));
        Assert.That(ex.Message, Does.Contain(path).And.Contain("writable location"));
    }

    [Test]
    public void A_path_that_is_a_directory_is_reported()
    {
        var ex = Assert.Throws<GleitzeitException>(() => new SqliteWorkflowStore(_dir.Path));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceConnectionFailed));
        Assert.That(ex.Message, Does.Contain(_dir.Path).And.Contain("is a directory"));
    }

    [Test]
    public async Task Writes_after_dispose_are_refused()
    {
        var store = new SqliteWorkflowStore(_dir.File("g.db"));
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.CreateRunAsync(new WorkflowRun { WorkflowId = "r", Name = "n" }));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.GetRunAsync("r"));
    }

    [Test]
    public async Task A_lock_held_past_the_busy_timeout_fails_the_write_with_the_path_and_the_store_recovers()
    {
        var path = _dir.File("g.db");
        await using var store = new SqliteWorkflowStore(new SqliteStoreOptions { DatabasePath = path, BusyTimeout = TimeSpan.FromMilliseconds(100) });
        await store.CreateRunAsync(new WorkflowRun { WorkflowId = "r", Name = "n", CreatedAt = T0 });
        using (var other = OpenRaw(path))
        {
            Execute(other, "BEGIN IMMEDIATE");

            var ex = await Assert.CatchAsync<GleitzeitException>(async () =>
                await store.SaveTaskAsync("r", new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Running }));

            Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceConnectionFailed));
            Assert.That(ex.Message, Does.Contain(path).And.Contain("locked"));
            Execute(other, "ROLLBACK");
        }

        await store.SaveTaskAsync("r", new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Running });

        Assert.That((await store.GetRunAsync("r"))!.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Running));
    }

    // ------------------------------------------------------------------ helpers

    private static GleitzeitException CatchOpenOrRead(string path)
    {
        try
        {
            using var store = new SqliteWorkflowStore(path);
            store.ListRunsAsync().AsTask().GetAwaiter().GetResult();
            for (var i = 0; i < 50; i++) store.GetRunAsync($"r{i}").AsTask().GetAwaiter().GetResult();
        }
        catch (GleitzeitException ex)
        {
            return ex;
        }
        Assert.Fail("the damaged database was read without an error");
        throw new InvalidOperationException("unreachable");
    }

    private static SqliteConnection OpenRaw(string path, bool create = false)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path, Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite, Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is long l ? (object)(int)l : value;
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
