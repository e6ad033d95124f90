using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Tests.Protocol;

/// <summary>A method that lists its parameters refuses others, naming the nearest known one; the rest stay open.</summary>
public class StrictParameterTests
{
    private static readonly MethodDescriptor Chat = new("x/chat", new ParameterSpec("model", ParameterType.String), new ParameterSpec("temperature", ParameterType.Number))
    {
        RequireOneOf = [["messages", "prompt"]],
    };

    [Test]
    public void An_unknown_parameter_is_named_with_the_nearest_known_one_and_located()
    {
        var problem = Chat.ValidateParameters(new JsonObject { ["prompt"] = "p", ["temprature"] = 0.5 }).Single();

        Assert.That(problem.Parameter, Is.EqualTo("temprature"));
        Assert.That(problem.Message, Is.EqualTo("unknown parameter 'temprature' for x/chat: did you mean 'temperature'? known parameters: model, temperature, messages, prompt"));
    }

    [Test]
    public void A_parameter_far_from_every_name_gets_the_list_without_a_guess()
    {
        var problem = Chat.ValidateParameters(new JsonObject { ["prompt"] = "p", ["zzzzzz"] = 1 }).Single();

        Assert.That(problem.Message, Does.Not.Contain("did you mean").And.Contain("known parameters: model"));
    }

    [Test]
    public void Methods_without_specs_and_wildcards_accept_anything_and_the_opt_out_works()
    {
        var open = new MethodDescriptor("x/open");
        var wildcard = new MethodDescriptor("tool.*", new ParameterSpec("server", ParameterType.Any));
        var optedOut = new MethodDescriptor("x/loose", new ParameterSpec("a", ParameterType.String)) { AllowAdditionalParameters = true };
        var extra = new JsonObject { ["anything"] = 1 };

        Assert.That(open.Validate(extra), Is.Empty);
        Assert.That(wildcard.Validate(extra), Is.Empty);
        Assert.That(optedOut.Validate(extra), Is.Empty);
        Assert.That(new MethodDescriptor("x/strict", new ParameterSpec("a", ParameterType.String)).Validate(extra), Has.Count.EqualTo(1));
    }

    [Test]
    public void A_parameter_check_reports_problems_under_the_parameters_path()
    {
        var method = new MethodDescriptor("x/do", new ParameterSpec("opts", ParameterType.Object)
        {
            Check = (value, _) => value["mode"] is null ? [new ParameterProblem("mode", "'mode' is required")] : [],
        });

        var problem = method.ValidateParameters(new JsonObject { ["opts"] = new JsonObject() }).Single();

        Assert.That(problem.Parameter, Is.EqualTo("opts.mode"));
        Assert.That(problem.Message, Is.EqualTo("parameter 'opts': 'mode' is required"));
    }
}
