#!/usr/bin/env python3
"""The B5 baseline of sst-bench: the same field changes as Yjs updates, made by pycrdt (Yrs).

Reads a JSON object on stdin:

    {"batch": 500,
     "operations": [{"entity": "pupil", "id": "<uuid>", "field": "given_name", "value": "Åsa"}, ...]}

and builds one Yjs document the natural way: a root map per entity, a nested map per record, one
map entry per field (values as plain JSON values, so a text field is a string, as in SST where
text merges as a whole value). Consecutive operations on the same record are one transaction (one
`sst record set`). Prints a JSON object with the size of the whole document as one update (a
catch-up) and the sum of the incremental updates of every `batch` operations (pushes), each raw and
gzip-compressed with the settings of HTTP compression in SwiftNIO (level 6, wbits 31, memLevel 8).

Exits 3 with {"error": "pycrdt unavailable: ..."} when pycrdt cannot be imported
(`pip install pycrdt`).
"""

import json
import sys
import zlib


def gzip_size(data: bytes) -> int:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31, 8, zlib.Z_DEFAULT_STRATEGY)
    return len(compressor.compress(data) + compressor.flush())


def main() -> int:
    try:
        import pycrdt
        from pycrdt import Doc, Map
    except ImportError as error:
        print(json.dumps({"error": f"pycrdt unavailable: {error}"}))
        return 3
    request = json.load(sys.stdin)
    operations = request["operations"]
    batch = max(1, int(request.get("batch", len(operations) or 1)))

    doc = Doc()
    roots = {}
    records = {}
    batch_update_bytes = 0
    batch_gzip_bytes = 0
    batches = 0
    for start in range(0, len(operations), batch):
        before = doc.get_state()
        chunk = operations[start:start + batch]
        index = 0
        while index < len(chunk):
            key = (chunk[index]["entity"], chunk[index]["id"])
            with doc.transaction():
                while index < len(chunk) and (chunk[index]["entity"], chunk[index]["id"]) == key:
                    operation = chunk[index]
                    record = records.get(key)
                    if record is None:
                        root = roots.get(key[0])
                        if root is None:
                            root = roots[key[0]] = doc.get(key[0], type=Map)
                        root[key[1]] = Map()
                        record = records[key] = root[key[1]]
                    record[operation["field"]] = operation["value"]
                    index += 1
        update = doc.get_update(before)
        batch_update_bytes += len(update)
        batch_gzip_bytes += gzip_size(update)
        batches += 1

    whole = doc.get_update()
    print(json.dumps({
        "pycrdt": getattr(pycrdt, "__version__", "unknown"),
        "operations": len(operations),
        "update_bytes": len(whole),
        "gzip_bytes": gzip_size(whole),
        "batches": batches,
        "batch_update_bytes": batch_update_bytes,
        "batch_gzip_bytes": batch_gzip_bytes,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
