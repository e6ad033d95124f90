# python/execute script: makes ten numbers. Sets `result` (the task's result).
numbers = list(range(1, 11))
print(f"generated {len(numbers)} numbers")
result = {"numbers": numbers, "count": len(numbers)}
