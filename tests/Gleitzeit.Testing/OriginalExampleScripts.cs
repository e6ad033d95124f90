namespace Gleitzeit.Testing;

/// <summary>
/// The Python scripts the original Gleitzeit workflows name (paths relative to <c>original-examples/</c>). The original
/// project did not ship them; these read the context each workflow passes, check its types, and leave a result.
/// </summary>
public static class OriginalExampleScripts
{
    public static IReadOnlyList<(string Path, string Source)> All { get; } =
    [
        ("examples/scripts/generate_numbers.py", """
            numbers = list(range(1, 11))
            print(f"generated {len(numbers)} numbers")
            result = {"numbers": numbers, "count": len(numbers)}
            """),
        ("examples/scripts/calculate_sum.py", """
            numbers = context["numbers"]
            assert isinstance(numbers, list), f"numbers should be a list, got {type(numbers).__name__}"
            if "count" in context:
                assert isinstance(count, int) and count == len(numbers), f"count should be the int {len(numbers)}, got {count!r}"
            total = sum(numbers)
            result = {"sum": total, "average": total / len(numbers), "count": len(numbers)}
            """),
        ("examples/scripts/format_report.py", """
            assert isinstance(number_data, dict) and isinstance(sum_data, dict)
            report = f"{number_data['count']} numbers, sum {sum_data['sum']}, average {sum_data['average']:.1f}"
            print(report)
            result = {"report": report, "numbers": number_data["numbers"], "sum": sum_data["sum"]}
            """),
        ("examples/scripts/count_words.py", """
            import os
            path = os.path.join(os.path.dirname(__file__), "..", "doc1.txt")
            with open(path, encoding="utf-8") as f:
                words = f.read().split()
            result = {"file": "doc1.txt", "word_count": len(words)}
            """),
        ("examples/scripts/read_text_file.py", """
            import os
            with open(file_path, encoding="utf-8") as f:
                text = f.read()
            result = {"file": os.path.basename(file_path), "word_count": len(text.split()), "lines": len(text.splitlines())}
            """),
        ("examples/scripts/test_context.py", """
            checks = {
                "numbers_is_list": isinstance(numbers, list),
                "count_is_int": isinstance(count, int),
                "test_string": test_string,
                "test_number_is_int": isinstance(test_number, int) and test_number == 42,
                "context_has_all": sorted(context) == sorted(["numbers", "count", "test_string", "test_number"]),
            }
            result = {"checks": checks, "all_passed": all(v is True or v == "hello world" for v in checks.values())}
            """),
        ("examples/scripts/calculate_stats.py", """
            import re
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", numbers_str)]
            assert numbers, f"no numbers in {numbers_str!r}"
            result = {"numbers": numbers, "count": len(numbers), "mean": sum(numbers) / len(numbers)}
            """),
        ("examples/scripts/process_vision.py", """
            words = [w.strip(".,;:!?'\"").lower() for w in description.split()]
            result = {"keywords": sorted({w for w in words if len(w) > 4})[:10], "length": len(description)}
            """),
        ("analyze_batch_results.py", """
            import os
            folder = os.path.join("examples", "documents")
            result = {"documents": sorted(os.listdir(folder))}
            """),
    ];

    /// <summary>Writes every script under <paramref name="root"/> (a copy of original-examples).</summary>
    public static void WriteTo(string root)
    {
        foreach (var (path, source) in All)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, source);
        }
    }
}
