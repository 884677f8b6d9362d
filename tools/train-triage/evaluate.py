"""Measures the shipped model the way the demo runs it: the 1,000 held-out readings go
through `edgenode dry-run configs/demo.yaml` (prompt template, constrained decoding,
parse_json, output), and the verdicts are compared with the teacher's.

  /usr/bin/python3 evaluate.py --edgenode ../../build/node/edgenode [--config ../../configs/demo.yaml]

Prints status agreement, reason agreement, the share of readings whose output parsed as
JSON, a confusion matrix, and the wall time per reading.
"""

import argparse
import collections
import json
import subprocess
import tempfile
import time
from pathlib import Path

import data

REPO = Path(__file__).resolve().parents[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edgenode", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "demo.yaml")
    parser.add_argument("--show-errors", type=int, default=10, help="disagreements to print")
    args = parser.parse_args()

    rows = data.make_set(data.HELDOUT_SEED, data.HELDOUT_SIZE)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for seq, row in enumerate(rows):
            payload = dict(row["reading"], seq=seq)
            f.write(json.dumps({"topic": f"factory/{payload['machine']}/reading", "payload": payload}) + "\n")
        input_path = f.name
    start = time.time()
    result = subprocess.run([str(args.edgenode.resolve()), "dry-run", str(args.config.resolve()),
                             "--input", input_path], cwd=REPO, capture_output=True, text=True, check=False)
    seconds = time.time() - start
    Path(input_path).unlink()
    if result.returncode != 0:
        raise SystemExit(f"edgenode dry-run failed ({result.returncode}): {result.stderr.strip()[-2000:]}")

    verdicts, deadletters = {}, []
    for line in result.stdout.splitlines():
        out = json.loads(line)
        if out["kind"] == "output" and isinstance(out["payload"], dict) and "seq" in out["payload"]:
            verdicts[out["payload"]["seq"]] = out["payload"]
        else:
            deadletters.append(out)
    status_agree = reason_agree = 0
    confusion = collections.Counter()
    shown = 0
    for seq, row in enumerate(rows):
        expected = row["verdict"]
        got = verdicts.get(seq, {})
        confusion[(expected["status"], got.get("status", "(none)"))] += 1
        status_agree += got.get("status") == expected["status"]
        reason_agree += got.get("reason") == expected["reason"]
        if got.get("status") != expected["status"] and shown < args.show_errors:
            shown += 1
            print(f"disagreement: {row['reading']} teacher={expected} edgenode={got}")
    n = len(rows)
    print(f"readings={n} outputs={len(verdicts)} deadletters={len(deadletters)}")
    print(f"status_agreement={status_agree / n:.3f} reason_agreement={reason_agree / n:.3f} "
          f"json_parsed={sum('status' in v for v in verdicts.values()) / n:.3f}")
    print(f"wall_s={seconds:.1f} ms_per_reading={1000 * seconds / n:.1f}")
    print("confusion (teacher -> edgenode):")
    for (teacher, model), count in sorted(confusion.items()):
        print(f"  {teacher:>5} -> {model:<6} {count}")
    for d in deadletters[:3]:
        print(f"deadletter: {d}")


if __name__ == "__main__":
    main()
