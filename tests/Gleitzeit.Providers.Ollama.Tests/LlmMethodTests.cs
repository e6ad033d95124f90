using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Providers.Ollama.Tests;

/// <summary>Each llm/* method against the Ollama-API test server: what is sent, what comes back.</summary>
public sealed class LlmMethodTests : OllamaTestContext
{
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x01];
    private static readonly byte[] Gif = "GIF89a\x01\x00\x01\x00\x00\x00\x00;"u8.ToArray();
    private static readonly byte[] Webp = "RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00"u8.ToArray();

    [Test]
    public async Task Chat_returns_the_answer_as_response_and_content_with_counts_and_duration()
    {
        Server.Reply("The capital is Paris.", model: "llama3.2");

        var result = await InvokeAsync("llm/chat", new JsonObject { ["model"] = "llama3.2", ["messages"] = UserMessage("Capital of France?") });

        Assert.That((string?)result["response"], Is.EqualTo("The capital is Paris."));
        Assert.That((string?)result["content"], Is.EqualTo("The capital is Paris."));
        Assert.That((string?)result["model"], Is.EqualTo("llama3.2"));
        Assert.That((bool?)result["done"], Is.True);
        Assert.That((int?)result["prompt_tokens"], Is.EqualTo(3));
        Assert.That((int?)result["completion_tokens"], Is.EqualTo(4));
        Assert.That((double?)result["duration_ms"], Is.GreaterThan(0));
        Assert.That(result.ContainsKey("text"), Is.False);
    }

    [Test]
    public async Task Chat_sends_system_messages_temperature_and_max_tokens_as_ollama_expects()
    {
        await InvokeAsync("llm/chat", new JsonObject
        {
            ["model"] = "llama3.2:latest",
            ["system"] = "Be brief.",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "Hi" },
                new JsonObject { ["role"] = "assistant", ["content"] = "Hello!" },
                new JsonObject { ["role"] = "user", ["content"] = "How are you?" }),
            ["temperature"] = 0.25,
            ["max_tokens"] = 64,
        });

        var sent = Server.RequestsTo("/api/chat").Single();
        Assert.That(sent.Messages.Select(m => $"{m["role"]}: {m["content"]}"), Is.EqualTo(new[] { "system: Be brief.", "user: Hi", "assistant: Hello!", "user: How are you?" }));
        Assert.That((double?)sent.Options!["temperature"], Is.EqualTo(0.25).Within(1e-6));
        Assert.That((int?)sent.Options!["num_predict"], Is.EqualTo(64));
        Assert.That(sent.Stream, Is.True);
    }

    [Test]
    public async Task Prompt_is_shorthand_for_one_user_message_and_the_default_model_applies()
    {
        var result = await InvokeAsync("llm/chat", new JsonObject { ["prompt"] = "echo me" });

        var sent = Server.RequestsTo("/api/chat").Single();
        Assert.That(sent.Model, Is.EqualTo("llama3.2:latest"));
        Assert.That(sent.Messages.Single()["role"]!.GetValue<string>(), Is.EqualTo("user"));
        Assert.That((string?)result["response"], Is.EqualTo("echo me"));
    }

    [Test]
    public async Task Generate_adds_text_to_the_chat_fields()
    {
        Server.Reply("Once upon a time");

        var result = await InvokeAsync("llm/generate", new JsonObject { ["model"] = "llama3.2", ["prompt"] = "Start a story" });

        Assert.That((string?)result["text"], Is.EqualTo("Once upon a time"));
        Assert.That((string?)result["response"], Is.EqualTo("Once upon a time"));
        Assert.That((string?)result["content"], Is.EqualTo("Once upon a time"));
        Assert.That(Server.RequestsTo("/api/chat").Single().Prompt, Is.EqualTo("Start a story"));
    }

    [Test]
    public async Task Embed_returns_one_vector_per_input_with_the_default_embedding_model()
    {
        var single = await InvokeAsync("llm/embed", new JsonObject { ["input"] = "hello" });
        var many = await InvokeAsync("llm/embed", new JsonObject { ["model"] = "nomic-embed-text", ["input"] = new JsonArray("a", "b") });

        Assert.That((string?)single["model"], Is.EqualTo("nomic-embed-text:latest"));
        Assert.That(single["embeddings"]!.AsArray(), Has.Count.EqualTo(1));
        var expected = OllamaTestServer.Vector("hello", 8);
        Assert.That(single["embeddings"]![0]!.AsArray().Select(v => (float)v!.GetValue<double>()), Is.EqualTo(expected).Within(1e-6));
        Assert.That(many["embeddings"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(Server.RequestsTo("/api/embed").Select(r => r.Model), Is.EqualTo(new[] { "nomic-embed-text:latest", "nomic-embed-text" }));
    }

    [Test]
    public async Task Vision_sends_image_files_base64_and_uses_the_vision_model()
    {
        File.WriteAllBytes(Path.Combine(WorkDirectory, "pic.png"), Png);
        File.WriteAllBytes(Path.Combine(WorkDirectory, "photo.jpg"), Jpeg);
        Server.Reply("A red square.", model: "llava");

        var result = await InvokeAsync("llm/vision", new JsonObject { ["prompt"] = "What is this?", ["image_path"] = "pic.png", ["image_paths"] = new JsonArray("photo.jpg") });

        var sent = Server.RequestsTo("/api/chat").Single();
        Assert.That(sent.Model, Is.EqualTo("llava:latest"));
        Assert.That(sent.Images, Is.EqualTo(new[] { Convert.ToBase64String(Png), Convert.ToBase64String(Jpeg) }));
        Assert.That(sent.Messages.Last()["content"]!.GetValue<string>(), Is.EqualTo("What is this?"));
        Assert.That((string?)result["response"], Is.EqualTo("A red square."));
    }

    [TestCase("png")]
    [TestCase("jpeg")]
    [TestCase("gif")]
    [TestCase("webp")]
    public async Task Vision_recognises_each_image_format_by_its_bytes(string format)
    {
        var bytes = format switch { "png" => Png, "jpeg" => Jpeg, "gif" => Gif, _ => Webp };
        var recorder = new RecordingChatClient();
        var provider = new Gleitzeit.Core.Llm.LlmProvider(recorder, options: new Gleitzeit.Core.Llm.LlmOptions { VisionModel = "llava" });
        var invocation = new TaskInvocation(new JsonRpcRequest("llm/vision", new JsonObject { ["prompt"] = "?", ["images"] = new JsonArray(Convert.ToBase64String(bytes)) }), "wf", "t");

        await provider.ExecuteAsync(invocation, CancellationToken.None);

        var image = recorder.LastMessages!.Last().Contents.OfType<Microsoft.Extensions.AI.DataContent>().Single();
        Assert.That(image.MediaType, Is.EqualTo("image/" + format));
        Assert.That(image.Data.ToArray(), Is.EqualTo(bytes));
    }

    [Test]
    public async Task Vision_base64_images_reach_ollama_unchanged()
    {
        var b64 = Convert.ToBase64String(Png);

        await InvokeAsync("llm/vision", new JsonObject { ["model"] = "llava", ["messages"] = UserMessage("Describe"), ["images"] = new JsonArray(b64) });

        Assert.That(Server.RequestsTo("/api/chat").Single().Images, Is.EqualTo(new[] { b64 }));
    }

    [Test]
    public async Task Vision_without_any_image_is_a_validation_error()
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/vision", new JsonObject { ["prompt"] = "?" }));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain("image_path"));
        Assert.That(Server.Requests, Is.Empty);
    }

    [Test]
    public async Task Vision_rejects_bad_base64_and_unknown_formats_naming_the_parameter()
    {
        var bad = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/vision", new JsonObject { ["prompt"] = "?", ["images"] = new JsonArray("not base64!!") }));
        var unknown = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/vision", new JsonObject { ["prompt"] = "?", ["images"] = new JsonArray(Convert.ToBase64String("hello"u8.ToArray())) }));

        Assert.That(bad!.Message, Does.Contain("images[0]").And.Contain("base64"));
        Assert.That(unknown!.Message, Does.Contain("images[0]").And.Contain("png, jpeg, gif or webp"));
        Assert.That(bad.IsRetryable || unknown.IsRetryable, Is.False);
    }

    [Test]
    public async Task File_text_is_appended_to_the_last_user_message()
    {
        File.WriteAllText(Path.Combine(WorkDirectory, "notes.txt"), "Alice owns the launch.\n");
        File.WriteAllText(Path.Combine(WorkDirectory, "more.md"), "# Risks\nBudget.");

        await InvokeAsync("llm/chat", new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "system", ["content"] = "Analyse." }, new JsonObject { ["role"] = "user", ["content"] = "Summarise:" }),
            ["file_path"] = "notes.txt",
            ["files"] = new JsonArray(Path.Combine(WorkDirectory, "more.md")),
        });

        var sent = Server.RequestsTo("/api/chat").Single();
        Assert.That(sent.Messages[0]["content"]!.GetValue<string>(), Is.EqualTo("Analyse."));
        var user = sent.Messages[1]["content"]!.GetValue<string>();
        Assert.That(user, Does.StartWith("Summarise:"));
        Assert.That(user, Does.Contain("notes.txt").And.Contain("Alice owns the launch."));
        Assert.That(user.IndexOf("Alice", StringComparison.Ordinal), Is.LessThan(user.IndexOf("Budget.", StringComparison.Ordinal)));
    }

    [Test]
    public async Task A_path_written_relative_to_the_original_working_directory_is_found_in_a_parent()
    {
        var examples = Directory.CreateDirectory(Path.Combine(WorkDirectory, "examples", "documents")).Parent!.FullName;
        File.WriteAllText(Path.Combine(examples, "documents", "notes.txt"), "from the parent");
        var invocation = new TaskInvocation(new JsonRpcRequest("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "examples/documents/notes.txt" }), "wf", "t")
        {
            BaseDirectory = examples,
        };

        await Provider.ExecuteAsync(invocation, CancellationToken.None);

        Assert.That(Server.RequestsTo("/api/chat").Single().Prompt, Does.Contain("from the parent"));
    }

    [Test]
    public async Task Missing_file_is_a_non_retryable_error_naming_the_path()
    {
        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "nope/missing.txt" }));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain(Path.Combine(WorkDirectory, "nope", "missing.txt")).And.Contain("file_path"));
        Assert.That(ex.IsRetryable, Is.False);
    }

    [Test]
    public async Task Binary_file_is_refused_naming_the_path()
    {
        File.WriteAllBytes(Path.Combine(WorkDirectory, "blob.txt"), Png);

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["files"] = new JsonArray("blob.txt") }));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(ex.Message, Does.Contain("blob.txt").And.Contain("not a text file"));
    }

    [Test]
    public async Task File_over_the_size_limit_is_refused_naming_the_path_and_the_limit()
    {
        File.WriteAllText(Path.Combine(WorkDirectory, "big.txt"), new string('a', 2000));
        await using var small = new OllamaProvider(new OllamaOptions { Endpoint = Server.BaseUri, MaxFileBytes = 1000 });

        var ex = await Assert.ThrowsAsync<GleitzeitException>(() => InvokeAsync("llm/chat", new JsonObject { ["prompt"] = "x", ["file_path"] = "big.txt" }, provider: small));

        Assert.That(ex!.Message, Does.Contain("big.txt").And.Contain("2000 bytes").And.Contain("1000"));
    }

    [Test]
    public void Parameter_specs_require_messages_or_prompt_and_input_for_embed()
    {
        var chat = Provider.Protocol.FindMethod("llm/chat")!;
        var embed = Provider.Protocol.FindMethod("llm/embed")!;

        Assert.That(chat.Validate(new JsonObject { ["model"] = "m" }), Has.Some.Contains("'messages', 'prompt'"));
        Assert.That(chat.Validate(new JsonObject { ["prompt"] = "p", ["temperature"] = "hot" }), Has.Some.Contains("temperature"));
        Assert.That(chat.Validate(new JsonObject { ["prompt"] = "p", ["max_tokens"] = 1.5 }), Has.Some.Contains("max_tokens"));
        Assert.That(chat.Validate(new JsonObject { ["prompt"] = "p", ["max_tokens"] = 64 }), Is.Empty);
        Assert.That(embed.Validate(new JsonObject()), Has.Some.Contains("input"));
        Assert.That(Provider.Protocol.Methods.Select(m => m.Name), Is.EquivalentTo(new[] { "llm/chat", "llm/generate", "llm/vision", "llm/embed" }));
    }

    [Test]
    public async Task Tokens_are_reported_as_progress_while_the_answer_streams()
    {
        Server.Reply("one two three four");
        var tokens = new List<TaskProgressUpdate>();

        var result = await InvokeAsync("llm/chat", new JsonObject { ["prompt"] = "count" }, tokens.Add);

        Assert.That(tokens.Select(t => t.Kind), Is.All.EqualTo(TaskProgressKind.Token));
        Assert.That(tokens.Select(t => t.Text), Is.EqualTo(new[] { "one ", "two ", "three ", "four" }));
        Assert.That((string?)result["response"], Is.EqualTo("one two three four"));
    }
}
