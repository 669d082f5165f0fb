#!/usr/bin/env python3
"""An independent reference for the CLI's numbers: reads a TREC qrels file and a TREC run file and prints
per-query P_10, recall_100, recip_rank, map and ndcg_cut_10 as JSON, following trec_eval -c conventions
(score descending, ties by docno descending; relevant = grade >= 1; queries in qrels without results score 0)."""
import json
import math
import sys
from collections import defaultdict

qrels = defaultdict(dict)
for line in open(sys.argv[1]):
    if line.strip():
        q, _, d, g = line.split()
        qrels[q][d] = int(g)
run = defaultdict(list)
for line in open(sys.argv[2]):
    if line.strip():
        q, _, d, _, s, _ = line.split()
        run[q].append((float(s), d))

out = {}
for q, judged in qrels.items():
    ranked = [d for s, d in sorted(run.get(q, []), key=lambda x: (x[0], x[1].encode()), reverse=True)]
    rel = {d for d, g in judged.items() if g >= 1}
    hits = [1 if d in rel else 0 for d in ranked]
    ap, found, rr = 0.0, 0, 0.0
    for i, h in enumerate(hits):
        if h:
            found += 1
            ap += found / (i + 1)
            if not rr:
                rr = 1 / (i + 1)
    gains = [judged.get(d, 0) for d in ranked[:10]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains) if g > 0)
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    out[q] = {
        "P_10": sum(hits[:10]) / 10,
        "recall_100": sum(hits[:100]) / len(rel) if rel else 0.0,
        "recip_rank": rr,
        "map": ap / len(rel) if rel else 0.0,
        "ndcg_cut_10": dcg / idcg if idcg else 0.0,
    }
print(json.dumps(out))
