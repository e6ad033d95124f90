using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gleitzeit.TestServers.Ollama;

namespace Gleitzeit.Providers.Ollama.Tests.TestServer;

/// <summary>The test server itself speaks Ollama's wire format: checked with a plain HttpClient.</summary>
public sealed class OllamaTestServerTests
{
    private OllamaTestServer _server = null!;
    private HttpClient _http = null!;

    [SetUp]
    public async Task SetUp()
    {
        _server = await OllamaTestServer.StartAsync();
        _http = new HttpClient { BaseAddress = _server.BaseUri };
    }

    [TearDown]
    public async Task TearDown()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(string path, JsonObject body) =>
        _http.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    private static JsonObject Chat(string model, string text, bool? stream = null)
    {
        var body = new JsonObject { ["model"] = model, ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }) };
        if (stream is not null) body["stream"] = stream;
        return body;
    }

    [Test]
    public async Task Chat_streams_ndjson_chunks_then_a_final_chunk_with_counts()
    {
        using var response = await PostAsync("api/chat", Chat("llama3.2", "one two three"));
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/x-ndjson"));
        Assert.That(lines, Has.Count.EqualTo(4));
        Assert.That(string.Concat(lines.Select(l => (string?)l["message"]!["content"])), Is.EqualTo("one two three"));
        Assert.That(lines.Take(3).All(l => (bool?)l["done"] == false), Is.True);
        var last = lines[^1];
        Assert.That((bool?)last["done"], Is.True);
        Assert.That((int?)last["eval_count"], Is.EqualTo(3));
        Assert.That((int?)last["prompt_eval_count"], Is.EqualTo(3));
        Assert.That((long?)last["total_duration"], Is.GreaterThan(0));
    }

    [Test]
    public async Task Chat_without_stream_answers_one_object_and_uses_the_canned_reply()
    {
        _server.Reply("Paris", model: "llama3.2");
        using var response = await PostAsync("api/chat", Chat("llama3.2:latest", "Capital of France?", stream: false));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That((string?)body["message"]!["content"], Is.EqualTo("Paris"));
        Assert.That((bool?)body["done"], Is.True);
        Assert.That((string?)body["done_reason"], Is.EqualTo("stop"));
    }

    [Test]
    public async Task Generate_echoes_the_prompt_in_response_fields()
    {
        using var response = await PostAsync("api/generate", new JsonObject { ["model"] = "llama3.2", ["prompt"] = "hello there", ["stream"] = false });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That((string?)body["response"], Is.EqualTo("hello there"));
        Assert.That(body["context"], Is.InstanceOf<JsonArray>());
    }

    [Test]
    public async Task Unknown_model_gets_ollamas_404_body()
    {
        using var response = await PostAsync("api/chat", Chat("mistral", "hi"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("{\"error\":\"model \\u0022mistral\\u0022 not found, try pulling it first\"}").Or.EqualTo("{\"error\":\"model \\\"mistral\\\" not found, try pulling it first\"}"));
    }

    [Test]
    public async Task Tags_version_and_show_describe_the_installed_models()
    {
        var tags = JsonNode.Parse(await _http.GetStringAsync("api/tags"))!;
        var version = JsonNode.Parse(await _http.GetStringAsync("api/version"))!;
        using var show = await PostAsync("api/show", new JsonObject { ["model"] = "llava" });
        var shown = JsonNode.Parse(await show.Content.ReadAsStringAsync())!;

        Assert.That(tags["models"]!.AsArray().Select(m => (string?)m!["name"]), Is.EquivalentTo(new[] { "llama3.2:latest", "llava:latest", "nomic-embed-text:latest" }));
        Assert.That((string?)version["version"], Is.EqualTo("0.6.8"));
        Assert.That(shown["capabilities"]!.AsArray().Select(c => (string?)c), Does.Contain("vision"));
    }

    [Test]
    public async Task Embed_returns_one_deterministic_vector_per_input()
    {
        using var response = await PostAsync("api/embed", new JsonObject { ["model"] = "nomic-embed-text", ["input"] = new JsonArray("a", "b", "a") });
        var vectors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["embeddings"]!.AsArray();

        Assert.That(vectors, Has.Count.EqualTo(3));
        Assert.That(vectors[0]!.AsArray(), Has.Count.EqualTo(8));
        Assert.That(vectors[0]!.ToJsonString(), Is.EqualTo(vectors[2]!.ToJsonString()));
        Assert.That(vectors[0]!.ToJsonString(), Is.Not.EqualTo(vectors[1]!.ToJsonString()));
    }

    [Test]
    public async Task Rate_limit_fault_sends_429_with_retry_after_for_the_given_number_of_requests()
    {
        _server.Fail(OllamaFault.TooManyRequests(TimeSpan.FromSeconds(3)), times: 1);

        using var first = await PostAsync("api/chat", Chat("llama3.2", "x", stream: false));
        using var second = await PostAsync("api/chat", Chat("llama3.2", "x", stream: false));

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(first.Headers.RetryAfter!.Delta, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Dropped_stream_ends_without_the_final_chunk()
    {
        _server.Fail(OllamaFault.DropMidStream(afterChunks: 1));
        using var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "api/chat")
        {
            Content = new StringContent(Chat("llama3.2", "one two three").ToJsonString(), Encoding.UTF8, "application/json"),
        }, HttpCompletionOption.ResponseHeadersRead);

        Assert.That(async () => await response.Content.ReadAsStringAsync(), Throws.InstanceOf<HttpRequestException>().Or.InstanceOf<IOException>());
    }

    [Test]
    public async Task Every_request_is_recorded_with_its_parsed_body()
    {
        using var _ = await PostAsync("api/chat", Chat("llama3.2", "remember me"));

        var recorded = _server.RequestsTo("/api/chat").Single();
        Assert.That(recorded.Method, Is.EqualTo("POST"));
        Assert.That(recorded.Prompt, Is.EqualTo("remember me"));
        Assert.That(recorded.Model, Is.EqualTo("llama3.2"));
        Assert.That(recorded.Stream, Is.True);
    }

    [Test]
    public async Task Generate_streams_response_pieces_and_ends_with_context_and_counts()
    {
        using var response = await PostAsync("api/generate", new JsonObject { ["model"] = "llama3.2", ["prompt"] = "a b" });
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

        Assert.That(lines.Select(l => (string?)l["response"]), Is.EqualTo(new[] { "a ", "b", "" }));
        Assert.That((bool?)lines[^1]["done"], Is.True);
        Assert.That(lines[^1]["context"], Is.InstanceOf<JsonArray>());
    }

    [Test]
    public async Task Malformed_json_fault_answers_200_with_a_body_that_does_not_parse()
    {
        _server.Fail(OllamaFault.MalformedJson());

        using var response = await PostAsync("api/chat", Chat("llama3.2", "x", stream: false));
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(() => JsonNode.Parse(text), Throws.InstanceOf<System.Text.Json.JsonException>());
    }

    [Test]
    public async Task A_fault_rule_with_a_predicate_hits_only_matching_requests()
    {
        _server.Fail(OllamaFault.ServerError("only llava"), when: r => r.Model == "llava");

        using var llava = await PostAsync("api/chat", Chat("llava", "x", stream: false));
        using var llama = await PostAsync("api/chat", Chat("llama3.2", "x", stream: false));

        Assert.That(llava.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(await llava.Content.ReadAsStringAsync(), Does.Contain("only llava"));
        Assert.That(llama.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_hanging_request_is_released_when_the_client_gives_up()
    {
        _server.Fail(OllamaFault.Hang());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.That(async () => await _http.PostAsync("api/chat", new StringContent(Chat("llama3.2", "x").ToJsonString()), cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(_server.RequestsTo("/api/chat"), Has.Count.EqualTo(1));
        await Task.CompletedTask;
    }

    [Test]
    public async Task Removed_models_disappear_from_tags_and_get_404()
    {
        _server.RemoveModel("llava");

        var tags = JsonNode.Parse(await _http.GetStringAsync("api/tags"))!;
        using var response = await PostAsync("api/chat", Chat("llava", "x"));

        Assert.That(tags["models"]!.AsArray().Select(m => (string?)m!["name"]), Does.Not.Contain("llava:latest"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
