# python/execute script for research_workflow.yaml: simple statistics of a text in `text`.
words = text.split()
result = {
    "words": len(words),
    "sentences": max(1, text.count(".") + text.count("!") + text.count("?")),
    "longest_word": max(words, key=len) if words else "",
}
