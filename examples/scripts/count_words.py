# python/execute script: word and line counts of every document in ../documents.
import os

folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "documents")
counts = {}
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        text = f.read()
    counts[name] = {"words": len(text.split()), "lines": len(text.splitlines())}
result = {"files": counts, "total_words": sum(c["words"] for c in counts.values())}
