namespace Gleitzeit.Core.Tests;

/// <summary>The one "did you mean" rule shared by the loader, the validator and the CLI's configuration.</summary>
public class SpellingTests
{
    [TestCase("taks", "tasks")]
    [TestCase("depends", "depends_on")]
    [TestCase("max_attempt", "max_attempts")]
    [TestCase("Prompt", "prompt")]
    [TestCase("temprature", "temperature")]
    public void A_typo_gets_the_nearest_known_name(string typed, string expected)
    {
        string[] known = ["tasks", "depends_on", "max_attempts", "prompt", "temperature", "model", "messages"];

        Assert.That(Spelling.Suggest(typed, known), Is.EqualTo(expected));
    }

    [TestCase("b")]
    [TestCase("completely_different")]
    [TestCase("")]
    public void A_name_close_to_nothing_gets_no_suggestion(string typed)
    {
        Assert.That(Spelling.Suggest(typed, ["build", "model", "messages"]), Is.Null);
    }

    [Test]
    public void The_name_itself_is_never_suggested()
    {
        Assert.That(Spelling.Suggest("model", ["model"]), Is.Null);
    }

    [Test]
    public void The_closest_of_several_candidates_wins_and_ties_go_to_the_first()
    {
        Assert.That(Spelling.Suggest("fecth", ["fetch", "fetcher", "etch"]), Is.EqualTo("fetch"));
        Assert.That(Spelling.Suggest("ab", ["ax", "ay"]), Is.EqualTo("ax"));
    }

    [Test]
    public void DidYouMean_phrases_the_hint_for_an_error_message()
    {
        Assert.That(Spelling.DidYouMean("temprature", ["temperature", "top_p"]), Is.EqualTo(" (did you mean 'temperature'?)"));
        Assert.That(Spelling.DidYouMean("zzz", ["temperature"]), Is.Empty);
    }

    [TestCase("kitten", "sitting", 3)]
    [TestCase("", "abc", 3)]
    [TestCase("same", "same", 0)]
    public void Distance_counts_edits(string a, string b, int expected)
    {
        Assert.That(Spelling.Distance(a, b), Is.EqualTo(expected));
    }
}
