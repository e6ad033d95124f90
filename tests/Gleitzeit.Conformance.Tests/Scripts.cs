namespace Gleitzeit.Conformance.Tests;

/// <summary>
/// The Python scripts the original workflows name (paths relative to original-examples). The originals did not ship
/// them; these follow tests/Gleitzeit.Providers.Python.Tests and read the context each workflow passes.
/// </summary>
internal static class Scripts
{
    public static readonly (string Path, string Source)[] All =
    [
        ("examples/scripts/generate_numbers.py", """
            numbers = list(range(1, 11))
            print(f"generated {len(numbers)} numbers")
            result = {"numbers": numbers, "count": len(numbers)}
            """),
        ("examples/scripts/calculate_sum.py", """
            numbers = context["numbers"]
            assert isinstance(numbers, list), f"numbers should be a list, got {type(numbers).__name__}"
            total = sum(numbers)
            result = {"sum": total, "average": total / len(numbers), "count": len(numbers)}
            """),
        ("examples/scripts/format_report.py", """
            assert isinstance(number_data, dict) and isinstance(sum_data, dict)
            report = f"{number_data['count']} numbers, sum {sum_data['sum']}, average {sum_data['average']:.1f}"
            result = {"report": report}
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
            result = {"file": os.path.basename(file_path), "word_count": len(text.split())}
            """),
        ("examples/scripts/test_context.py", """
            assert isinstance(numbers, list) and isinstance(count, int) and test_number == 42 and test_string == "hello world"
            result = {"keys": sorted(context), "count": count}
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
}
