#!/usr/bin/env python3
"""Peer side of benchmarks/rag/hnsw.mjs: Debian's python3-hnswlib and python3-faiss on the same
vectors, same parameters, one thread, queries one at a time (as the Node side does); CPU seconds of this process.
Usage: /usr/bin/python3 hnsw_peer.py DIR  (DIR holds base.f32, queries.f32, truth.i32, params.json)
Prints one JSON object."""
import json, sys, time, os
import numpy as np

d = sys.argv[1]
p = json.load(open(os.path.join(d, 'params.json')))
n, nq, dim, k, M, efc, efs, runs = p['n'], p['nq'], p['dim'], p['k'], p['M'], p['efConstruction'], p['efs'], p['runs']
base = np.fromfile(os.path.join(d, 'base.f32'), dtype=np.float32).reshape(n, dim)
queries = np.fromfile(os.path.join(d, 'queries.f32'), dtype=np.float32).reshape(nq, dim)
truth = np.fromfile(os.path.join(d, 'truth.i32'), dtype=np.int32).reshape(nq, k)
med = lambda xs: float(np.median(xs))

def recall(found):
    return float(np.mean([len(set(map(int, f)) & set(map(int, t))) / k for f, t in zip(found, truth)]))

out = {}
import hnswlib
builds, rows = [], {ef: {'qps': [], 'recall': 0.0} for ef in efs}
for r in range(runs):
    t0 = time.process_time()
    idx = hnswlib.Index(space='cosine', dim=dim)
    idx.init_index(max_elements=n, M=M, ef_construction=efc, random_seed=100)
    idx.add_items(base, np.arange(n), num_threads=1)
    builds.append(time.process_time() - t0)
    for ef in efs:
        idx.set_ef(ef)
        for _ in range(3):
            found = []
            t0 = time.process_time()
            for q in queries:
                labels, _ = idx.knn_query(q, k=k, num_threads=1)
                found.append(labels[0])
            rows[ef]['qps'].append(nq / (time.process_time() - t0))
        rows[ef]['recall'] = recall(found)
out['python3-hnswlib'] = {'build_s': med(builds), 'ef': {str(ef): {'qps': med(v['qps']), 'recall': v['recall']} for ef, v in rows.items()}}

import faiss
faiss.omp_set_num_threads(1)
builds, rows = [], {ef: {'qps': [], 'recall': 0.0} for ef in efs}
for r in range(runs):
    t0 = time.process_time()
    idx = faiss.IndexHNSWFlat(dim, M, faiss.METRIC_INNER_PRODUCT)
    idx.hnsw.efConstruction = efc
    idx.add(base)  # vectors are unit length: inner product = cosine
    builds.append(time.process_time() - t0)
    for ef in efs:
        idx.hnsw.efSearch = ef
        for _ in range(3):
            found = []
            t0 = time.process_time()
            for i in range(nq):
                _, labels = idx.search(queries[i:i + 1], k)
                found.append(labels[0])
            rows[ef]['qps'].append(nq / (time.process_time() - t0))
        rows[ef]['recall'] = recall(found)
out['python3-faiss'] = {'build_s': med(builds), 'ef': {str(ef): {'qps': med(v['qps']), 'recall': v['recall']} for ef, v in rows.items()}, 'version': faiss.__version__}
print(json.dumps(out))
