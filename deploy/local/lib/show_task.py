"""Prints one task of the agent's REST API (stdin) with its history."""
import json
import sys

task = json.load(sys.stdin)
for h in task["history"]:
    print(f"  {h['at']}  {str(h['from']):<24} -> {str(h['to']):<24} {h['reason']}")
print(f"  outcome: {task['outcome']} {task['errorCode'] or ''}")
