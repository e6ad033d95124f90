using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Providers.Ollama.Tests;

/// <summary>
/// <c>file_path</c>, <c>files</c> and <c>image_path</c> naming things that are not regular files: each is refused at once with
/// what it is, instead of waiting forever on a named pipe or reading a device until memory runs out.
/// </summary>
[Platform("Linux")]
public sealed class LlmFileTests : OllamaTestContext
{
    // A guard, not a timing assertion: before the fix a named pipe blocked the read forever.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private Task<GleitzeitException> RefusedAsync(string method, JsonObject parameters, OllamaProvider? provider = null) =>
        Task.Run(async () =>
        {
            try
            {
                await InvokeAsync(method, parameters, provider: provider);
            }
            catch (GleitzeitException ex)
            {
                return ex;
            }
            throw new AssertionException("the file was read and sent");
        }).WaitAsync(Guard);

    [Test]
    public async Task A_named_pipe_as_file_path_is_refused_at_once()
    {
        SpecialFiles.MakeFifo(Path.Combine(WorkDirectory, "pipe.txt"));

        var ex = await RefusedAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "pipe.txt" });

        Assert.That(ex.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain("'file_path'").And.Contain(Path.Combine(WorkDirectory, "pipe.txt")).And.Contain("named pipe (FIFO)"));
        Assert.That(Server.RequestsTo("/api/chat"), Is.Empty);
    }

    [Test]
    public async Task A_named_pipe_as_image_path_is_refused_at_once()
    {
        SpecialFiles.MakeFifo(Path.Combine(WorkDirectory, "pipe.png"));

        var ex = await RefusedAsync("llm/vision", new JsonObject { ["prompt"] = "x", ["model"] = "llava:latest", ["image_path"] = "pipe.png" });

        Assert.That(ex.Message, Does.Contain("'image_path'").And.Contain("named pipe (FIFO)"));
    }

    [Test]
    public async Task Dev_zero_and_a_link_to_it_are_refused_as_devices()
    {
        File.CreateSymbolicLink(Path.Combine(WorkDirectory, "zero.txt"), "/dev/zero");

        var direct = await RefusedAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "/dev/zero" });
        var linked = await RefusedAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["files"] = new JsonArray("zero.txt") });
        var image = await RefusedAsync("llm/vision", new JsonObject { ["prompt"] = "x", ["model"] = "llava:latest", ["image_paths"] = new JsonArray("zero.txt") });

        Assert.That(direct.Message, Does.Contain("/dev/zero").And.Contain("character device"));
        Assert.That(linked.Message, Does.Contain("'files[0]'").And.Contain("character device"));
        Assert.That(image.Message, Does.Contain("'image_paths[0]'").And.Contain("character device"));
    }

    [Test]
    public async Task The_limit_is_counted_while_reading_not_taken_from_the_reported_length()
    {
        // /proc files report length 0 and hold kilobytes: the old check took the 0 on trust.
        await using var small = new OllamaProvider(new OllamaOptions { Endpoint = Server.BaseUri, MaxFileBytes = 100 });

        var ex = await RefusedAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "/proc/self/maps" }, small);

        Assert.That(ex.Message, Does.Contain("larger than the limit of 100 bytes").And.Contain("LlmOptions.MaxFileBytes"));
    }

    [Test]
    public async Task A_directory_a_socket_and_a_dangling_link_say_what_they_are()
    {
        Directory.CreateDirectory(Path.Combine(WorkDirectory, "folder.txt"));
        using var socket = SpecialFiles.MakeSocket(Path.Combine(WorkDirectory, "sock.txt"));
        File.CreateSymbolicLink(Path.Combine(WorkDirectory, "gone.txt"), "nowhere.txt");

        var folder = await RefusedAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "folder.txt" });
        var sock = await RefusedAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "sock.txt" });
        var gone = await RefusedAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "gone.txt" });

        Assert.That(folder.Message, Does.Contain("is a directory"));
        Assert.That(sock.Message, Does.Contain("is a socket"));
        Assert.That(gone.Message, Does.Contain("symbolic link whose target does not exist").And.Contain("nowhere.txt"));
    }

    [Test]
    public void A_cancelled_task_does_not_read_its_file()
    {
        File.WriteAllText(Path.Combine(WorkDirectory, "a.txt"), "alpha");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var invocation = new TaskInvocation(new JsonRpcRequest("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "a.txt" }, "t1"), "wf", "t1")
        {
            BaseDirectory = WorkDirectory,
        };

        Assert.ThrowsAsync<OperationCanceledException>(async () => await Provider.ExecuteAsync(invocation, cancelled.Token));
        Assert.That(Server.RequestsTo("/api/chat"), Is.Empty);
    }
}
