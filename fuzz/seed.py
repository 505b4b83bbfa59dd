#!/usr/bin/env python3
"""Fills fuzz/corpus/<target>/ with seeds from ../shared/corpus (the shared sample apps and
golden .fx.yaml files). The seeds stay outside git: fuzz/corpus is ignored."""

import pathlib
import sys
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "corpus"
# libFuzzer's -max_len for the container target; bigger apps would only be cut short.
MAX_APP = 128 * 1024


def put(target, name, data):
    d = HERE / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def main():
    if not SHARED.is_dir():
        sys.exit(f"no shared corpus at {SHARED}")
    apps = sorted((SHARED / "apps").glob("*.msapp")) + sorted((SHARED / "pairs").glob("*/app.msapp"))
    for fx in sorted(SHARED.rglob("*.fx.yaml")):
        put("fxyaml", fx.parent.name + "_" + fx.name, fx.read_bytes())
    for i, app in enumerate(apps):
        data = app.read_bytes()
        if len(data) <= MAX_APP:
            put("container", f"{i:02}_{app.parent.name}_{app.name}", data)
        with zipfile.ZipFile(app) as z:
            for j, info in enumerate(z.infolist()):
                body = z.read(info)
                name = info.filename.lower()
                if name.endswith(".fx.yaml"):
                    put("fxyaml", f"{i:02}_{j:03}.fx.yaml", body)
                if name.endswith(".json") and len(body) <= 64 * 1024:
                    put("json_model", f"{i:02}_{j:03}.json", bytes([j % 256]) + body)
    # Merge inputs: the mode byte, then edit streams (see harness::merge).
    for k in range(1, 8):
        put("merge", f"mode{k}", bytes([k, 3, 1, 5, 7, 3, 2, 9, 1, 0, 2, 1, 5, 4]) + b'"x"' + bytes([2, 2, 5, 7, 3, 3]) + b'"y"')
    put("merge", "raw", b"\0\1\1" + b"PK\5\6" + b"\0" * 60)
    # textconv inputs: the mode byte, then edit streams (see harness::textconv), or 0 and an app.
    for k in range(1, 8):
        put("textconv", f"mode{k}", bytes([k, 3, 1, 5, 7, 3, 2, 9, 1, 0, 2, 1, 5, 4]) + b'"x"' + bytes([2, 2, 5, 7, 3, 3]) + b'"y"')
    for i, app in enumerate(apps):
        data = app.read_bytes()
        if len(data) <= MAX_APP:
            put("textconv", f"raw{i:02}", b"\0" + data)


if __name__ == "__main__":
    main()
