#!/usr/bin/python3
"""Validate ONNX files written by @llm/transformer's exportOnnx with the onnx checker (Debian python3-onnx).

    /usr/bin/python3 tools/golden/transformer/check_onnx.py DIR_OR_FILE...

Runs onnx.checker.check_model(full_check=True) (which includes shape inference) on every
model.onnx given or found under the folders, prints one JSON object and exits 1 on any failure.
"""
import json
import os
import sys

import onnx

files = []
for arg in sys.argv[1:]:
    if os.path.isdir(arg):
        for root, _, names in os.walk(arg):
            files += [os.path.join(root, n) for n in names if n.endswith(".onnx")]
    else:
        files.append(arg)
out = {"onnx": onnx.__version__, "files": {}}
ok = True
for f in sorted(files):
    try:
        m = onnx.load(f)
        onnx.checker.check_model(m, full_check=True)
        out["files"][f] = {"ok": True, "opset": [o.version for o in m.opset_import], "nodes": len(m.graph.node),
                           "inputs": [i.name for i in m.graph.input], "outputs": [o.name for o in m.graph.output]}
    except Exception as e:  # noqa: BLE001
        ok = False
        out["files"][f] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
print(json.dumps(out, indent=1))
sys.exit(0 if ok else 1)
