using Gleitzeit.Core.Definitions;
using static Gleitzeit.Core.Tests.Definitions.LoaderTestSupport;

namespace Gleitzeit.Core.Tests.Definitions;

/// <summary>Text that is not clean YAML (tabs, NUL bytes, broken UTF-8) is a located error, never a guess or a silent repair.</summary>
public class WorkflowLoaderTextTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "gleitzeit-text-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    private static ValidationError Single(WorkflowValidationException ex)
    {
        Assert.That(ex.Errors, Has.Count.EqualTo(1), ex.Message);
        return ex.Errors[0];
    }

    [Test]
    public void A_tab_in_indentation_is_reported_where_the_tab_is()
    {
        const string yaml = "name: w\ntasks:\n  - id: a\n    method: llm/chat\n\tparams: {}\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("tab"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\t")));
    }

    [Test]
    public void A_tab_after_spaces_in_indentation_is_reported_where_the_tab_is()
    {
        const string yaml = "name: w\ntasks:\n  - id: a\n    method: llm/chat\n    params:\n  \t  prompt: hi\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("tab"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\t")));
    }

    [TestCase("name: w\ntasks:\n\t- id: a\n    method: llm/chat\n")]
    [TestCase("name: w\ntasks:\n  - id: a\n    method: llm/chat\n    params:\n\t  prompt: hi\n")]
    [TestCase("name: w\ntasks:\n  - id: a\n    method: llm/chat\n    params:\n      prompt: hi\n\t\tx: 1\n")]
    public void Every_tab_in_indentation_is_reported_at_the_tab(string yaml)
    {
        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("tab in indentation"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\t")));
    }

    [Test]
    public void A_tab_after_a_key_is_a_separator_not_an_error()
    {
        var workflow = WorkflowLoader.Parse("name:\tw\ntasks:\n  - id: a\n    method: llm/chat\n");

        Assert.That(workflow.Name, Is.EqualTo("w"));
    }

    [Test]
    public void A_tab_inside_a_block_scalar_is_content()
    {
        const string yaml = "name: w\ntasks:\n  - id: a\n    method: python/execute\n    params:\n      code: |\n        if True:\n        \tresult = 1\n";

        var workflow = WorkflowLoader.Parse(yaml);

        Assert.That(workflow.Tasks[0].Parameters["code"]!.GetValue<string>(), Is.EqualTo("if True:\n\tresult = 1\n"));
    }

    [Test]
    public void A_nul_byte_is_named_and_located()
    {
        const string yaml = "name: w\ntasks:\n  - id: a\n    method: llm/chat\n    params: {prompt: \"hi\0there\"}\n";

        var error = Single(Invalid(yaml));

        Assert.That(error.Message, Does.Contain("NUL"));
        Assert.That(error.Message, Does.Not.Contain("end of stream"));
        Assert.That(Where(error), Is.EqualTo(PositionOf(yaml, "\0")));
    }

    [Test]
    public void A_nul_byte_in_a_file_is_named_and_located()
    {
        var path = Path.Combine(_directory, "nul.yaml");
        File.WriteAllBytes(path, "name: w\ntasks:\n\0 - id: a\n"u8.ToArray());

        var ex = Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.LoadFile(path))!;

        var error = Single(ex);
        Assert.That(error.Message, Does.Contain("NUL"));
        Assert.That(Where(error), Is.EqualTo((3, 1)));
        Assert.That(error.Location!.File, Is.EqualTo(path));
    }

    [Test]
    public void Invalid_utf8_is_a_located_error_not_a_replacement_character()
    {
        var path = Path.Combine(_directory, "latin1.yaml");
        // "café" written in Latin-1: 0xE9 is not valid UTF-8 on its own.
        var bytes = "name: w\ntasks:\n  - id: a\n    method: llm/chat\n    params: {prompt: \"caf"u8.ToArray()
            .Concat(new byte[] { 0xE9 })
            .Concat("\"}\n"u8.ToArray())
            .ToArray();
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.LoadFile(path))!;

        var error = Single(ex);
        Assert.That(error.Message, Does.Contain("UTF-8"));
        Assert.That(error.Message, Does.Contain("0xE9"));
        Assert.That(Where(error), Is.EqualTo((5, "    params: {prompt: \"caf".Length + 1)));
    }

    [Test]
    public void Invalid_utf8_after_multibyte_characters_counts_columns_in_characters()
    {
        var path = Path.Combine(_directory, "mixed.yaml");
        var bytes = "name: w\ntasks:\n  - id: a\n    method: llm/chat\n    params: {prompt: \"äöü "u8.ToArray()
            .Concat(new byte[] { 0xC3, 0x28 })
            .Concat("\"}\n"u8.ToArray())
            .ToArray();
        File.WriteAllBytes(path, bytes);

        var error = Single(Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.LoadFile(path))!);

        Assert.That(Where(error), Is.EqualTo((5, "    params: {prompt: \"äöü ".Length + 1)));
    }

    [Test]
    public void A_utf8_byte_order_mark_is_accepted()
    {
        var path = Path.Combine(_directory, "bom.yaml");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "name: bom\ntasks:\n  - id: a\n    method: llm/chat\n    params: {prompt: café}\n"u8.ToArray()]);

        var workflow = WorkflowLoader.LoadFile(path);

        Assert.That(workflow.Name, Is.EqualTo("bom"));
        Assert.That(workflow.Tasks[0].Parameters["prompt"]!.GetValue<string>(), Is.EqualTo("café"));
    }

    [Test]
    public void Errors_of_a_task_with_a_duplicate_id_are_placed_at_that_task()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: {prompt: hi}
              - id: a
                method: llm/chat
                params: {prompt: "${nothere.response}"}
            """;

        var ex = Invalid(yaml);

        var reference = ex.Errors.Single(e => e.Message.Contains("nothere", StringComparison.Ordinal));
        Assert.That(Where(reference), Is.EqualTo(PositionOf(yaml, "\"${nothere")), ex.Message);
        var duplicate = ex.Errors.Single(e => e.Code == GleitzeitErrorCode.TaskAlreadyExists);
        Assert.That(Where(duplicate), Is.EqualTo(PositionOf(yaml, "id: a", "id: ".Length, occurrence: 1)));
    }

    [Test]
    public void Errors_of_the_first_of_two_tasks_with_one_id_stay_at_the_first()
    {
        const string yaml = """
            name: w
            tasks:
              - id: a
                method: llm/chat
                params: {prompt: "${nothere.response}"}
              - id: a
                method: llm/chat
                params: {prompt: hi}
            """;

        var ex = Invalid(yaml);

        var reference = ex.Errors.Single(e => e.Message.Contains("nothere", StringComparison.Ordinal));
        Assert.That(Where(reference), Is.EqualTo(PositionOf(yaml, "\"${nothere")), ex.Message);
    }
}
