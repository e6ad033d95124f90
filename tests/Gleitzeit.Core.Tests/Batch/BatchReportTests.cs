using Gleitzeit.Core.Batch;

namespace Gleitzeit.Core.Tests.Batch;

public sealed class BatchReportTests
{
    private static BatchResult Sample() => new()
    {
        BatchId = "batch_20250102_030405_abcdef12",
        CreatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        Duration = TimeSpan.FromMilliseconds(1234.4),
        Files =
        [
            new BatchFileResult { Path = "docs/a.txt", Status = BatchFileStatus.Success, Response = "Summary of a.", Duration = TimeSpan.FromMilliseconds(250) },
            new BatchFileResult { Path = "docs/b|c.bin", Status = BatchFileStatus.Failed, Error = "binary file (it contains NUL bytes)" },
        ],
    };

    [Test]
    public void ToJson_has_the_snake_case_fields_of_the_cli()
    {
        Assert.That(Sample().ToJson(), Is.EqualTo("""
            {
              "batch_id": "batch_20250102_030405_abcdef12",
              "created_at": "2025-01-02T03:04:05.0000000Z",
              "total_files": 2,
              "successful": 1,
              "failed": 1,
              "duration_ms": 1234,
              "files": [
                {
                  "path": "docs/a.txt",
                  "status": "success",
                  "response": "Summary of a.",
                  "error": null,
                  "duration_ms": 250
                },
                {
                  "path": "docs/b|c.bin",
                  "status": "failed",
                  "response": null,
                  "error": "binary file (it contains NUL bytes)",
                  "duration_ms": 0
                }
              ]
            }
            """.ReplaceLineEndings("\n")));
    }

    [Test]
    public void FromJson_reads_back_what_ToJson_wrote()
    {
        var sample = Sample();
        var back = BatchResult.FromJson(sample.ToJson());
        Assert.That(back.BatchId, Is.EqualTo(sample.BatchId));
        Assert.That(back.CreatedAt, Is.EqualTo(sample.CreatedAt));
        Assert.That(back.Files, Is.EqualTo(sample.Files.Select(f => f with { Duration = TimeSpan.FromMilliseconds(Math.Round(f.Duration.TotalMilliseconds)) })));
        Assert.That(back.ToJson(), Is.EqualTo(sample.ToJson()));
    }

    [Test]
    public void FromJson_says_what_is_wrong()
    {
        Assert.That(() => BatchResult.FromJson("[1]"), Throws.InstanceOf<FormatException>().With.Message.Contains("JSON object"));
        Assert.That(() => BatchResult.FromJson("{"), Throws.InstanceOf<FormatException>().With.Message.Contains("not valid JSON"));
        Assert.That(() => BatchResult.FromJson("""{"batch_id":"x","files":[{"path":"a","status":"odd"}]}"""),
            Throws.InstanceOf<FormatException>().With.Message.Contains("unknown file status 'odd'"));
    }

    [Test]
    public void ToMarkdown_is_a_summary_table_then_each_file()
    {
        Assert.That(Sample().ToMarkdown(), Is.EqualTo("""
            # Batch report `batch_20250102_030405_abcdef12`

            | | |
            |---|---|
            | Created | 2025-01-02 03:04:05 UTC |
            | Files | 2 |
            | Successful | 1 |
            | Failed | 1 |
            | Duration | 1.23 s |

            | # | File | Status | Duration |
            |---:|---|---|---:|
            | 1 | docs/a.txt | success | 0.25 s |
            | 2 | docs/b\|c.bin | failed | 0.00 s |

            ## 1. a.txt (success)

            `docs/a.txt`

            Summary of a.

            ## 2. b|c.bin (failed)

            `docs/b|c.bin`

            **Error:** binary file (it contains NUL bytes)

            """.ReplaceLineEndings("\n")));
    }

    [Test]
    public async Task SaveToFileAsync_picks_the_format_from_the_extension()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gleitzeit-report-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var sample = Sample();
            await sample.SaveToFileAsync(Path.Combine(dir, "sub", "r.json"));
            await sample.SaveToFileAsync(Path.Combine(dir, "r.md"));
            Assert.That(await File.ReadAllTextAsync(Path.Combine(dir, "sub", "r.json")), Is.EqualTo(sample.ToJson()));
            Assert.That(await File.ReadAllTextAsync(Path.Combine(dir, "r.md")), Is.EqualTo(sample.ToMarkdown()));
            var ex = await Assert.ThrowsAsync<ArgumentException>(() => sample.SaveToFileAsync(Path.Combine(dir, "r.csv")));
            Assert.That(ex!.Message, Does.Contain("'.csv'").And.Contain(".json or .md"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
