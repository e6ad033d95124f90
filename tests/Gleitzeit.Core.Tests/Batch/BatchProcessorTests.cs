using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Batch;
using Gleitzeit.Testing;
using Gleitzeit.TestServers.Ollama;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Core.Tests.Batch;

public sealed class BatchProcessorTests : BatchTestContext
{
    [Test]
    public void ScanDirectory_is_sorted_recursive_with_several_patterns()
    {
        Write("b.txt", "b");
        Write("a.txt", "a");
        Write("c.md", "c");
        Write("sub/d.txt", "d");
        Write("x1.log", "x");
        Write("x22.log", "x");
        var p = Processor();
        Assert.That(p.ScanDirectory(Dir, "*.txt").Select(Path.GetFileName), Is.EqualTo(new[] { "a.txt", "b.txt" }));
        Assert.That(p.ScanDirectory(Dir, "**/*.txt").Select(f => Path.GetRelativePath(Dir, f).Replace('\\', '/')),
            Is.EqualTo(new[] { "a.txt", "b.txt", "sub/d.txt" }));
        Assert.That(p.ScanDirectory(Dir, "*.md; x?.log").Select(Path.GetFileName), Is.EqualTo(new[] { "c.md", "x1.log" }));
    }

    [Test]
    public void ScanDirectory_of_a_missing_directory_names_it()
    {
        var missing = Path.Combine(Dir, "nope");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => Processor().ScanDirectory(missing, "*"));
        Assert.That(ex!.Message, Does.Contain(missing));
    }

    [Test]
    public void CreateBatchWorkflow_places_the_file_by_method()
    {
        var p = Processor();
        var files = new[] { "/d/a.txt", "/d/b.txt" };
        var chat = p.CreateBatchWorkflow(files, "llm/chat", "Summarize", "llama3.2", maxConcurrency: 3);
        Assert.That(chat.Tasks.Select(t => t.Id), Is.EqualTo(new[] { "file_1", "file_2" }));
        Assert.That(chat.MaxConcurrency, Is.EqualTo(3));
        Assert.That(chat.Tasks[1].Protocol, Is.EqualTo("llm/v1"));
        Assert.That(chat.Tasks[1].Parameters.ToJsonString(), Is.EqualTo("""{"prompt":"Summarize","model":"llama3.2","file_path":"/d/b.txt"}"""));

        var vision = p.CreateBatchWorkflow(files, "llm/vision", "Describe");
        Assert.That(vision.Tasks[0].Parameters["image_path"]!.GetValue<string>(), Is.EqualTo("/d/a.txt"));
        Assert.That(vision.Tasks[0].Parameters.ContainsKey("model"), Is.False);

        var python = p.CreateBatchWorkflow(files, "python/execute", parameters: new JsonObject { ["code"] = "result = 1", ["context"] = new JsonObject { ["x"] = 1 } });
        Assert.That(python.Tasks[0].Parameters["context"]!.ToJsonString(), Is.EqualTo("""{"x":1,"file_path":"/d/a.txt"}"""));
        Assert.That(python.Tasks[0].Parameters.ContainsKey("prompt"), Is.False);

        var tool = p.CreateBatchWorkflow(files, "mcp/tool.read_text", parameters: new JsonObject { ["mode"] = "fast" }, fileArgument: "path");
        Assert.That(tool.Tasks[1].Protocol, Is.EqualTo("mcp/v1"));
        Assert.That(tool.Tasks[1].Parameters.ToJsonString(), Is.EqualTo("""{"mode":"fast","path":"/d/b.txt"}"""));

        Assert.Throws<ArgumentException>(() => p.CreateBatchWorkflow([], "llm/chat"));
    }

    [Test]
    public async Task Text_files_go_with_the_prompt_and_map_back_to_their_files()
    {
        Write("docs/one.txt", "alpha content");
        Write("docs/two.txt", "beta content");
        Write("docs/skip.md", "not matched");
        var progress = new ListProgress();
        var result = await Processor().ProcessBatchAsync(new BatchRequest
        {
            Directory = Path.Combine(Dir, "docs"),
            Pattern = "*.txt",
            Prompt = "Summarize this",
            Model = "llama3.2:latest",
        }, progress);

        Assert.That(result.TotalFiles, Is.EqualTo(2));
        Assert.That(result.Successful, Is.EqualTo(2));
        Assert.That(result.Files.Select(f => Path.GetFileName(f.Path)), Is.EqualTo(new[] { "one.txt", "two.txt" }));
        // The test server echoes the last user message: the prompt with the file's text appended.
        Assert.That(result.Files[0].Response, Does.Contain("Summarize this").And.Contain("alpha content"));
        Assert.That(result.Files[1].Response, Does.Contain("beta content").And.Not.Contain("alpha"));
        Assert.That(Server.RequestsTo("/api/chat").Select(r => r.Model), Is.All.EqualTo("llama3.2:latest"));
        Assert.That(progress.Reports[^1], Has.Property("Done").EqualTo(2).And.Property("Total").EqualTo(2).And.Property("Failed").EqualTo(0));
        Assert.That(progress.Reports[^1].EstimatedRemaining, Is.EqualTo(TimeSpan.Zero));
        Assert.That(progress.Reports.Select(r => r.Done), Is.Ordered);
        Assert.That(result.BatchId, Does.Match("^batch_[0-9]{8}_[0-9]{6}_[0-9a-f]{8}$"));
    }

    [Test]
    public async Task Binary_oversized_and_non_utf8_files_fail_with_a_reason_before_anything_is_sent()
    {
        var good = Write("good.txt", "fine");
        var binary = WriteBytes("bin.txt", [0x41, 0x00, 0x42]);
        var latin1 = WriteBytes("latin1.txt", [0x63, 0x61, 0x66, 0xE9]);
        var big = Write("big.txt", new string('x', 200));
        var result = await Processor(o => o.MaxFileSize = 100).ProcessBatchAsync(new BatchRequest { Files = [good, binary, latin1, big], Prompt = "p" });

        Assert.That(result.Files.Select(f => f.Status), Is.EqualTo(new[] { BatchFileStatus.Success, BatchFileStatus.Failed, BatchFileStatus.Failed, BatchFileStatus.Failed }));
        Assert.That(result.Files[1].Error, Does.Contain("binary"));
        Assert.That(result.Files[2].Error, Does.Contain("not UTF-8"));
        Assert.That(result.Files[3].Error, Does.Contain("200 bytes").And.Contain("BatchOptions.MaxFileSize"));
        Assert.That(Server.RequestsTo("/api/chat"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Vision_sends_each_image_as_base64_to_the_vision_model()
    {
        WriteBytes("img/a.png", Png);
        WriteBytes("img/b.jpg", Png);
        Write("img/notes.txt", "not an image");
        var result = await Processor().ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "img"), Vision = true, Prompt = "Describe" });

        Assert.That(result.Files.Select(f => Path.GetFileName(f.Path)), Is.EqualTo(new[] { "a.png", "b.jpg" }), "the default vision pattern takes images only");
        Assert.That(result.Successful, Is.EqualTo(2));
        var requests = Server.RequestsTo("/api/chat");
        Assert.That(requests.Select(r => r.Model), Is.All.EqualTo("llava:latest"));
        Assert.That(requests.SelectMany(r => r.Images), Is.All.EqualTo(Convert.ToBase64String(Png)));

        var refused = await Processor().ProcessBatchAsync(new BatchRequest { Files = [Path.Combine(Dir, "img/notes.txt")], Vision = true, Prompt = "Describe" });
        Assert.That(refused.Files[0].Error, Does.Contain("'.txt' is not an image type"));
    }

    [Test]
    public async Task Python_gets_the_path_in_context_file_path()
    {
        var a = Write("a.txt", "hello");
        var b = Write("b.txt", "world");
        var result = await Processor(python: true).ProcessBatchAsync(new BatchRequest
        {
            Files = [a, b],
            Method = "python/execute",
            Parameters = new JsonObject { ["code"] = "result = open(context['file_path']).read().upper() + '/' + file_path[-5:]" },
        });
        Assert.That(result.Files.Select(f => f.Response), Is.EqualTo(new[] { "HELLO/a.txt", "WORLD/b.txt" }), string.Join("; ", result.Files.Select(f => f.Error)));
    }

    [Test]
    public async Task A_tool_gets_the_path_as_the_argument_the_caller_names()
    {
        var a = Write("a.txt", "x");
        var tool = new DelegateProvider("mcp/v1", (inv, _) => ValueTask.FromResult<JsonNode?>(new JsonObject
        {
            ["response"] = $"{inv.Method}:{inv.Parameters["path"]}:{inv.Parameters["mode"]}",
        }), "tool.read_text");
        var result = await Processor(more: b => b.AddProvider(tool)).ProcessBatchAsync(new BatchRequest
        {
            Files = [a],
            Method = "tool.read_text",
            FileArgument = "path",
            Parameters = new JsonObject { ["mode"] = "fast" },
        });
        Assert.That(result.Files[0].Response, Does.EndWith($":{a}:fast"), result.Files[0].Error);
    }

    [Test]
    public async Task Injected_faults_fail_their_files_while_the_rest_succeed()
    {
        var files = Enumerable.Range(1, 12).Select(i => Write($"f{i:00}.txt", i % 4 == 0 ? $"file {i} FAULTY" : $"file {i}")).ToList();
        Server.Fail(OllamaFault.ServerError("model crashed"), r => r.Messages.Count > 0 && r.RawBody.Contains("FAULTY", StringComparison.Ordinal));
        var result = await Processor().ProcessBatchAsync(new BatchRequest { Files = files, Prompt = "p", MaxConcurrent = 4, MaxAttempts = 2, RetryDelay = TimeSpan.FromMilliseconds(1) });

        Assert.That(result.Successful, Is.EqualTo(9));
        Assert.That(result.Failed, Is.EqualTo(3));
        var failed = result.Files.Where(f => f.Status == BatchFileStatus.Failed).ToList();
        Assert.That(failed.Select(f => Path.GetFileName(f.Path)), Is.EqualTo(new[] { "f04.txt", "f08.txt", "f12.txt" }));
        Assert.That(failed.Select(f => f.Error), Is.All.Contain("model crashed"));
        Assert.That(failed.Select(f => f.Response), Is.All.Null);
    }

    [Test]
    public async Task Transient_faults_are_retried_per_file()
    {
        var files = Enumerable.Range(1, 6).Select(i => Write($"t{i}.txt", i == 3 ? "busy once" : i == 5 ? "always busy" : $"file {i}")).ToList();
        Server.Fail(OllamaFault.ServiceUnavailable(), r => r.RawBody.Contains("busy once", StringComparison.Ordinal), times: 1);
        Server.Fail(OllamaFault.ServiceUnavailable(), r => r.RawBody.Contains("always busy", StringComparison.Ordinal));
        var result = await Processor().ProcessBatchAsync(new BatchRequest { Files = files, Prompt = "p", MaxConcurrent = 2, MaxAttempts = 3, RetryDelay = TimeSpan.FromMilliseconds(1) });

        Assert.That(result.Files.Select(f => f.Status), Is.EqualTo(new[]
        {
            BatchFileStatus.Success, BatchFileStatus.Success, BatchFileStatus.Success, BatchFileStatus.Success, BatchFileStatus.Failed, BatchFileStatus.Success,
        }), string.Join("; ", result.Files.Select(f => f.Error)));
        Assert.That(result.Files[2].Response, Does.Contain("busy once"));
        Assert.That(result.Files[4].Error, Is.Not.Empty);
        // One attempt per good file, two for the file busy once, three (the limit) for the file always busy.
        Assert.That(Server.RequestsTo("/api/chat"), Has.Count.EqualTo(4 + 2 + 3));
    }

    [Test]
    public async Task Two_hundred_files_at_concurrency_8_finish()
    {
        var files = Enumerable.Range(1, 200).Select(i => Write($"many/{i:000}.txt", $"document {i}")).ToList();
        Server.Latency = TimeSpan.FromMilliseconds(20);
        var progress = new ListProgress();
        var watch = Stopwatch.StartNew();
        var result = await Processor().ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "many"), Pattern = "*.txt", Prompt = "p", MaxConcurrent = 8 }, progress);
        watch.Stop();
        var ideal = TimeSpan.FromMilliseconds(20.0 * 200 / 8);
        TestContext.Out.WriteLine($"200 files, concurrency 8, 20 ms latency: {watch.Elapsed.TotalMilliseconds:0} ms (ideal {ideal.TotalMilliseconds:0} ms, efficiency {ideal / watch.Elapsed:0.00})");

        Assert.That(result.Successful, Is.EqualTo(200));
        Assert.That(result.Files.Select(f => f.Response), Has.All.Contain("document"));
        Assert.That(Enumerable.Range(0, 200).All(i => result.Files[i].Response!.Contains($"document {i + 1}", StringComparison.Ordinal)));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "a generous bound: the point is that the batch runs in parallel and finishes");
        Assert.That(progress.Reports[^1].Done, Is.EqualTo(200));
        Assert.That(progress.Reports.Where(r => r.Done is > 0 and < 200).Select(r => r.EstimatedRemaining), Is.All.Not.Null);
    }

    [Test]
    public async Task Concurrency_never_exceeds_MaxConcurrent()
    {
        var files = Enumerable.Range(1, 30).Select(i => Write($"c/{i:00}.txt", $"doc {i}")).ToList();
        var running = 0;
        var peak = 0;
        var provider = new DelegateProvider("mcp/v1", async (inv, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(5, ct);
            Interlocked.Decrement(ref running);
            return new JsonObject { ["response"] = "ok" };
        }, "tool.count");
        var result = await Processor(more: b => b.AddProvider(provider)).ProcessBatchAsync(new BatchRequest { Files = files, Method = "tool.count", MaxConcurrent = 3 });
        Assert.That(result.Successful, Is.EqualTo(30));
        Assert.That(peak, Is.InRange(1, 3));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Test]
    public async Task Cancellation_stops_the_batch()
    {
        var files = Enumerable.Range(1, 50).Select(i => Write($"x/{i:00}.txt", $"doc {i}")).ToList();
        Server.Latency = TimeSpan.FromMilliseconds(200);
        using var cts = new CancellationTokenSource();
        var progress = new CancelAfterFirst(cts);
        var task = Processor().ProcessBatchAsync(new BatchRequest { Files = files, Prompt = "p", MaxConcurrent = 2 }, progress, cts.Token);
        Assert.That(async () => await task, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Server.RequestsTo("/api/chat").Count, Is.LessThan(50));
    }

    private sealed class CancelAfterFirst(CancellationTokenSource cts) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value)
        {
            if (value.Done >= 1) cts.Cancel();
        }
    }

    [Test]
    public async Task Results_are_saved_and_resume_runs_only_the_files_that_did_not_succeed()
    {
        var files = Enumerable.Range(1, 6).Select(i => Write($"r/{i}.txt", $"doc {i}")).ToList();
        Server.Fail(OllamaFault.ServerError("down"), r => r.RawBody.Contains("doc 2", StringComparison.Ordinal) || r.RawBody.Contains("doc 5", StringComparison.Ordinal));
        var processor = Processor();
        var first = await processor.ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "r"), Pattern = "*.txt", Prompt = "p" });
        Assert.That(first.Failed, Is.EqualTo(2));
        var saved = Path.Combine(ResultsDir, first.BatchId + ".json");
        Assert.That(File.Exists(saved), Is.True);
        Assert.That(BatchResult.FromJson(File.ReadAllText(saved)).ToJson(), Is.EqualTo(first.ToJson()));

        Server.Reset();
        var second = await processor.ProcessBatchAsync(new BatchRequest { ResumeFrom = first.BatchId, Prompt = "p" });
        var sent = Server.RequestsTo("/api/chat");
        Assert.That(sent, Has.Count.EqualTo(2));
        Assert.That(sent.Select(r => r.RawBody), Has.Some.Contain("doc 2").And.Some.Contain("doc 5"));
        Assert.That(second.BatchId, Is.Not.EqualTo(first.BatchId));
        Assert.That(second.TotalFiles, Is.EqualTo(6));
        Assert.That(second.Successful, Is.EqualTo(6));
        Assert.That(second.Files.Select(f => f.Path), Is.EqualTo(first.Files.Select(f => f.Path)));
        Assert.That(second.Files[0].Response, Is.EqualTo(first.Files[0].Response), "earlier successes are merged in");
    }

    [Test]
    public async Task Resume_from_an_unknown_batch_is_a_clear_error()
    {
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => Processor().ProcessBatchAsync(new BatchRequest { ResumeFrom = "batch_20250101_000000_deadbeef" }));
        Assert.That(ex!.Message, Does.Contain("batch_20250101_000000_deadbeef").And.Contain(ResultsDir));
    }

    [Test]
    public async Task A_request_without_files_is_a_clear_error()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Processor().ProcessBatchAsync(new BatchRequest { Prompt = "p" }));
        Assert.That(ex!.Message, Does.Contain("BatchRequest.Directory"));
    }

    [Test]
    public async Task A_null_results_directory_saves_nothing()
    {
        var a = Write("a.txt", "x");
        var result = await Processor(o => o.ResultsDirectory = null).ProcessBatchAsync(new BatchRequest { Files = [a], Prompt = "p" });
        Assert.That(result.Successful, Is.EqualTo(1));
        Assert.That(Directory.Exists(ResultsDir), Is.False);
    }

    [Test]
    public async Task BatchOptions_come_from_the_container()
    {
        await using var sp = new ServiceCollection().AddGleitzeit().Services.BuildServiceProvider();
        var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<BatchOptions>>().Value;
        Assert.That(options.MaxFileSize, Is.EqualTo(1024 * 1024));
        Assert.That(options.MaxConcurrent, Is.EqualTo(5));
        Assert.That(options.ResultsDirectory, Does.EndWith(Path.Combine(".gleitzeit", "batch_results")));
        Assert.That(sp.GetRequiredService<BatchProcessor>(), Is.Not.Null);
    }
}
