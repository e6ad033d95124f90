// LangGraph.js side of benchmarks/Gleitzeit.Benchmarks (--only langgraph, --only slow-sibling).
// Usage:
//   node bench.mjs dag --shape chain|fan-out+in|random --n 1000 --warmup 2 --runs 7 [--checkpointer memory|sqlite]
//   node bench.mjs slow-sibling --runs 5
// Prints one JSON line: {"seconds":[...], "cpu":[...] (the process's CPU seconds per run), "executed": n, ...}. The DAG shapes are the harness's (Dag.cs): the same
// random DAG (seed 42, same generator) is passed in on stdin as dependency lists, so both engines run the same graph.
import { StateGraph, Annotation, START, END, MemorySaver } from "@langchain/langgraph";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const mode = args[0];
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const warmup = Number(arg("--warmup", "1"));
const runs = Number(arg("--runs", "3"));

// One counter channel: every no-op node adds 1, so a run proves that every node ran exactly once.
const State = Annotation.Root({
  count: Annotation({ reducer: (a, b) => a + b, default: () => 0 }),
});

function buildDag(deps, checkpointer) {
  const g = new StateGraph(State);
  const noop = () => ({ count: 1 });
  for (let i = 0; i < deps.length; i++) g.addNode("n" + i, noop);
  for (let i = 0; i < deps.length; i++) {
    const d = deps[i];
    if (d.length === 0) g.addEdge(START, "n" + i);
    else if (d.length === 1) g.addEdge("n" + d[0], "n" + i);
    else g.addEdge(d.map((x) => "n" + x), "n" + i); // waits for all of them (a barrier)
  }
  return g.compile(checkpointer ? { checkpointer } : {});
}

async function checkpointerOf(kind, dir, i) {
  if (kind === "memory") return new MemorySaver();
  if (kind === "sqlite") {
    const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
    return SqliteSaver.fromConnString(join(dir, `lg${i}.db`));
  }
  return undefined;
}

async function dag() {
  const deps = JSON.parse(readFileSync(0, "utf8"));
  const kind = arg("--checkpointer", "none");
  const dir = mkdtempSync(join(tmpdir(), "gleitzeit-langgraph-"));
  const seconds = [];
  const heap = [];
  const cpu = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const saver = await checkpointerOf(kind, dir, i);
      const app = buildDag(deps, saver);
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const out = await app.invoke({ count: 0 }, { recursionLimit: deps.length + 10, configurable: { thread_id: "t" + i } });
      const t1 = process.hrtime.bigint();
      const c1 = process.cpuUsage(c0);
      if (out.count !== deps.length) throw new Error(`LangGraph ran ${out.count} of ${deps.length} nodes`);
      if (i >= warmup) {
        seconds.push(Number(t1 - t0) / 1e9);
        cpu.push((c1.user + c1.system) / 1e6);
        heap.push(process.memoryUsage().rss);
      }
      if (saver && typeof saver.db?.close === "function") saver.db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ seconds, cpu, executed: deps.length, peakRss: Math.max(...heap) }));
}

// A 1,000 ms branch beside ten 20 ms steps, then a join: when does the fast branch's last step end (ms after start)?
async function slowSibling() {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const fastDone = [];
  const total = [];
  for (let i = 0; i < warmup + runs; i++) {
    let start = 0;
    let fastEnd = 0;
    const g = new StateGraph(State);
    g.addNode("slow", async () => { await sleep(1000); return { count: 1 }; });
    for (let k = 1; k <= 10; k++) {
      g.addNode("f" + k, async () => {
        await sleep(20);
        if (k === 10) fastEnd = performance.now();
        return { count: 1 };
      });
    }
    g.addNode("join", () => ({ count: 1 }));
    g.addEdge(START, "slow");
    g.addEdge(START, "f1");
    for (let k = 1; k < 10; k++) g.addEdge("f" + k, "f" + (k + 1));
    g.addEdge(["slow", "f10"], "join");
    g.addEdge("join", END);
    const app = g.compile();
    start = performance.now();
    const out = await app.invoke({ count: 0 });
    const end = performance.now();
    if (out.count !== 12) throw new Error(`slow-sibling ran ${out.count} of 12 nodes`);
    if (i >= warmup) {
      fastDone.push((fastEnd - start) / 1000);
      total.push((end - start) / 1000);
    }
  }
  console.log(JSON.stringify({ seconds: fastDone, total }));
}

if (mode === "dag") await dag();
else if (mode === "slow-sibling") await slowSibling();
else {
  console.error("usage: node bench.mjs dag|slow-sibling [options]");
  process.exit(2);
}
