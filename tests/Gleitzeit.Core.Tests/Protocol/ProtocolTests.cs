using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests.Protocol;

public class ProtocolTests
{
    [TestCase(GleitzeitErrorCode.TaskTimeout, true, "TASK_TIMEOUT", -29003)]
    [TestCase(GleitzeitErrorCode.ProviderRateLimited, true, "PROVIDER_RATE_LIMITED", -30007)]
    [TestCase(GleitzeitErrorCode.NetworkConnectionLost, true, "NETWORK_CONNECTION_LOST", -25003)]
    [TestCase(GleitzeitErrorCode.InvalidParams, false, "INVALID_PARAMS", -32602)]
    [TestCase(GleitzeitErrorCode.MethodNotFound, false, "METHOD_NOT_FOUND", -32601)]
    [TestCase(GleitzeitErrorCode.TaskValidationFailed, false, "TASK_VALIDATION_FAILED", -29001)]
    [TestCase(GleitzeitErrorCode.WorkflowCircularDependency, false, "CIRCULAR_DEPENDENCY", -28006)]
    [TestCase(GleitzeitErrorCode.ProviderNotFound, false, "PROVIDER_NOT_FOUND", -30002)]
    [TestCase(GleitzeitErrorCode.ProviderNotAvailable, true, "PROVIDER_NOT_AVAILABLE", -30003)]
    [TestCase(GleitzeitErrorCode.TaskDependencyFailed, false, "TASK_DEPENDENCY_FAILED", -29005)]
    public void Error_codes_keep_the_original_numbers_names_and_retryability(GleitzeitErrorCode code, bool retryable, string name, int number)
    {
        Assert.That(code.IsRetryable(), Is.EqualTo(retryable));
        Assert.That(code.Name(), Is.EqualTo(name));
        Assert.That((int)code, Is.EqualTo(number));
    }

    [TestCase("llm/v1", true)]
    [TestCase("llm/v10", false)]
    [TestCase("llm/v", false)]
    [TestCase("llmx/v1", false)]
    [TestCase("llm-v1", false)]
    [TestCase("xllm/v1", false)]
    [TestCase("", false)]
    public void A_protocol_knows_its_id_without_making_it(string id, bool expected)
    {
        var protocol = new ProtocolDescriptor("llm", "v1", []);
        Assert.That(protocol.HasId(id), Is.EqualTo(expected));
        Assert.That(protocol.HasId(id), Is.EqualTo(protocol.Id == id));
    }

    [Test]
    public void Requests_and_responses_round_trip_as_json_rpc_2()
    {
        var request = new JsonRpcRequest("llm/chat", new JsonObject { ["prompt"] = "hi" }, "task-1");
        var json = request.ToJson().ToJsonString();
        Assert.That(json, Is.EqualTo("{\"jsonrpc\":\"2.0\",\"id\":\"task-1\",\"method\":\"llm/chat\",\"params\":{\"prompt\":\"hi\"}}"));
        Assert.That(JsonRpcRequest.Parse(json), Is.EqualTo(request).Using<JsonRpcRequest>((a, b) => a.Method == b.Method && JsonNode.DeepEquals(a.Params, b.Params)));

        var failure = JsonRpcResponse.Failure(1, new GleitzeitError(GleitzeitErrorCode.TaskTimeout, "slow"));
        var parsed = JsonRpcResponse.Parse(failure.ToJson().ToJsonString());
        Assert.That(parsed.Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskTimeout));
        Assert.That((int?)parsed.Id, Is.EqualTo(1));
    }

    [TestCase("not json", GleitzeitErrorCode.ParseError)]
    [TestCase("{\"method\":\"x\"}", GleitzeitErrorCode.InvalidRequest)]
    [TestCase("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":[1]}", GleitzeitErrorCode.InvalidRequest)]
    public void Bad_requests_get_json_rpc_codes(string json, GleitzeitErrorCode code) =>
        Assert.That(() => JsonRpcRequest.Parse(json), Throws.TypeOf<GleitzeitException>().With.Property("Code").EqualTo(code));

    [Test]
    public void The_registry_lists_what_exists_when_routing_fails()
    {
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());

        Assert.That(() => registry.Resolve("llm/v1", "llm/chat"),
            Throws.TypeOf<GleitzeitException>().With.Property("Code").EqualTo(GleitzeitErrorCode.ProviderNotFound)
                .And.Message.Contains("echo/v1").And.Message.Contains("AddOllama"));
        Assert.That(() => registry.Resolve("echo/v1", "shout"),
            Throws.TypeOf<GleitzeitException>().With.Property("Code").EqualTo(GleitzeitErrorCode.MethodNotFound).And.Message.Contains("it has: echo"));
        Assert.That(() => registry.Register(DelegateProvider.Echo()), Throws.InvalidOperationException.With.Message.Contains("already registered"));
    }

    [Test]
    public void The_provider_field_picks_a_registration_by_id()
    {
        var registry = new ProviderRegistry();
        var first = registry.Register(DelegateProvider.Echo(), "echo-a");
        var second = registry.Register(DelegateProvider.Echo(), "echo-b");

        Assert.That(registry.Resolve("echo/v1", "echo").Registration, Is.SameAs(first));
        Assert.That(registry.Resolve("echo/v1", "echo", "echo-b").Registration, Is.SameAs(second));
    }

    [Test]
    public void Method_specs_check_types_and_required_parameters()
    {
        var method = new MethodDescriptor("x/do", new ParameterSpec("model", ParameterType.String, Required: true), new ParameterSpec("n", ParameterType.Integer))
        {
            RequireOneOf = [["messages", "prompt"]],
        };
        var problems = method.Validate(new JsonObject { ["n"] = 1.5 });
        Assert.That(problems, Has.Some.Contains("missing required parameter 'model'"));
        Assert.That(problems, Has.Some.Contains("'n' must be an integer, got a number"));
        Assert.That(problems, Has.Some.Contains("one of the parameters 'messages', 'prompt' is required"));
        Assert.That(method.Validate(new JsonObject { ["model"] = "m", ["n"] = 2, ["prompt"] = "p" }), Is.Empty);
        Assert.That(method.Validate(new JsonObject { ["model"] = "${a.model}", ["prompt"] = "p" }, referencesUnresolved: true), Is.Empty);
    }

    [Test]
    public void Wildcard_methods_match_by_prefix()
    {
        var protocol = new ProtocolDescriptor("mcp", "v1", [new MethodDescriptor("tool.*"), new MethodDescriptor("mcp/ping")]);
        Assert.That(protocol.FindMethod("tool.echo")?.Name, Is.EqualTo("tool.*"));
        Assert.That(protocol.FindMethod("mcp/ping")?.Name, Is.EqualTo("mcp/ping"));
        Assert.That(protocol.FindMethod("tool."), Is.Null);
        Assert.That(protocol.FindMethod("other"), Is.Null);
    }
}
