# python/execute script for mixed_workflow.yaml: statistics of the numbers an LLM wrote as text.
# Reads `numbers_str` from the task's context (e.g. "12, 47, 3, 88, 61").
import re
import statistics

numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", numbers_str)]
if not numbers:
    raise ValueError(f"no numbers in the text: {numbers_str!r}")
result = {
    "numbers": numbers,
    "count": len(numbers),
    "sum": sum(numbers),
    "mean": statistics.mean(numbers),
    "min": min(numbers),
    "max": max(numbers),
}
print(f"{len(numbers)} numbers, mean {result['mean']:.2f}")
