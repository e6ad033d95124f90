using System.Text.Json.Nodes;
using Gleitzeit.Cli.Commands;

namespace Gleitzeit.Cli.Tests;

/// <summary>NAME=VALUE pairs and ages, in process.</summary>
public sealed class ArgumentsTests
{
    [TestCase("7d", 7 * 24 * 60)]
    [TestCase("12h", 12 * 60)]
    [TestCase("30m", 30)]
    [TestCase("2w", 14 * 24 * 60)]
    [TestCase("1d12h", 36 * 60)]
    [TestCase("90s", 1.5)]
    public void Ages_parse_to_minutes(string text, double minutes) =>
        Assert.That(Arguments.ParseAge(text, "--older-than").TotalMinutes, Is.EqualTo(minutes));

    [TestCase("")]
    [TestCase("7")]
    [TestCase("d")]
    [TestCase("a week")]
    public void Bad_ages_are_refused_with_exit_2(string text)
    {
        var ex = Assert.Throws<CliException>(() => Arguments.ParseAge(text, "--older-than"));
        Assert.That(ex!.ExitCode, Is.EqualTo(2));
    }

    [Test]
    public void Pair_values_keep_their_json_type_and_words_stay_strings()
    {
        var pairs = Arguments.ParsePairs(["n=5", "flag=true", "list=[1,2]", "text=hello world", "quoted=\"7\"", "eq=a=b", "neg=-3", "date=2024-01-01"], "--input");

        Assert.Multiple(() =>
        {
            Assert.That(pairs["n"]!.GetValue<int>(), Is.EqualTo(5));
            Assert.That(pairs["flag"]!.GetValue<bool>(), Is.True);
            Assert.That(pairs["list"], Is.InstanceOf<JsonArray>());
            Assert.That(pairs["text"]!.GetValue<string>(), Is.EqualTo("hello world"));
            Assert.That(pairs["quoted"]!.GetValue<string>(), Is.EqualTo("7"));
            Assert.That(pairs["eq"]!.GetValue<string>(), Is.EqualTo("a=b"));
            Assert.That(pairs["neg"]!.GetValue<int>(), Is.EqualTo(-3));
            Assert.That(pairs["date"]!.GetValue<string>(), Is.EqualTo("2024-01-01"));
        });
    }

    [Test]
    public void A_pair_without_equals_is_refused()
    {
        var ex = Assert.Throws<CliException>(() => Arguments.ParsePairs(["topic"], "--input"));
        Assert.That(ex!.ExitCode, Is.EqualTo(2));
        Assert.That(ex.Message, Does.Contain("NAME=VALUE"));
    }
}
