"""Prints the agent's readiness JSON (stdin) as a table; exits 1 unless UP."""
import json
import sys

doc = json.load(sys.stdin)
for check in doc["checks"]:
    data = check.get("data", {})
    detail = data.get("error") or ", ".join(f"{k}: {v}" for k, v in data.items() if k != "endpoint")
    print(f"  {check['name']:<48} {check['status']:<5} {detail}")
print(f"  overall: {doc['status']}")
sys.exit(0 if doc["status"] == "UP" else 1)
