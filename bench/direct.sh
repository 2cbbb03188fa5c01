#!/usr/bin/env bash
# Direct RBD snapshot benchmark: for each size, one RBD guest, then in the same run
#   agent     a snapshot_instance cast to the bench's own agent (host bench-node), timed from publish
#             to its instance.snapshot.end; the image must be active at images/<id>@snap, flattened
#   baseline  the same work by hand on the same disk: rbd CLI snap/protect/clone/flatten/unprotect/
#             rm and snap/protect of the clone, then Glance's formats and location (curl JSON patch)
# in alternating order (agent first, then baseline first, ...), BENCH_ROUNDS times each (default 2).
# Guest creation is not measured. Everything made is removed on exit.
#   usage: bench/direct.sh [SIZE_GIB...]      (default 1; fractions such as 0.25 work)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/agent.sh"

sizes=("${@:-1}")
rounds=${BENCH_ROUNDS:-2}
for s in "${sizes[@]}"; do bench_size_mib "$s" >/dev/null; done
echo "direct RBD snapshot: sizes ${sizes[*]} GiB, $rounds runs per side; $(bench_facts)"
bench_agent_start

# the result both sides must give: an active image at images/<id>@snap, flattened, its snap
# protected, and no snapshot left on the instance disk
verify() {
  local image=$1
  bench_snap check "$image" "rbd://$CEPH_FSID/images/$image/snap" >/dev/null
  rbd_admin info "images/$image" --format json | "$PY" -c '
import json, sys
i = json.load(sys.stdin)
sys.exit("images/%s still has a parent: not flattened" % i["name"] if "parent" in i else 0)'
  [ "$(rbd_admin snap ls "images/$image" --format json | "$PY" -c '
import json, sys; print(" ".join(s["name"] for s in json.load(sys.stdin)))')" = snap ] \
    || bench_die "images/$image has not exactly the snapshot snap"
  rbd_admin info "images/$image@snap" --format json | grep -Eq '"protected": ?"true"' \
    || bench_die "images/$image@snap is not protected"
  [ "$(rbd_admin snap ls "vms/${UUID}_disk" --format json)" = "[]" ] \
    || bench_die "snapshots left on vms/${UUID}_disk: $(rbd_admin snap ls "vms/${UUID}_disk")"
}

# run_agent [LABEL] / run_baseline: one snapshot of the guest's disk; sets SECS
run_agent() {
  local image secs phases
  bench_image "bench-agent-$NAME"; image=$IMAGE
  secs=$(bench_snap cast "$GUEST_ENV" "$BENCH_HOST" "$image" 1800)
  verify "$image"
  phases=$(bench_snap phases "$BENCH_AGENT_URL" "$image" 2>/dev/null || echo "?")
  bench_drop_image "$image"
  echo "  ${1:-agent}     $secs s   (task history, s after creation: $phases)"
  SECS=$secs
}

run_baseline() {
  local image disk="vms/${UUID}_disk" snap t0 tf flatten secs
  bench_image "bench-baseline-$NAME"; image=$IMAGE
  snap=$(cat /proc/sys/kernel/random/uuid | tr -d -)
  t0=$(bench_now)
  rbd_admin snap create --no-progress "$disk@$snap"
  rbd_admin snap protect "$disk@$snap"
  rbd_admin clone "$disk@$snap" "images/$image"
  tf=$(bench_now)
  rbd_admin flatten --no-progress "images/$image"
  flatten=$(bench_since "$tf")
  rbd_admin snap unprotect "$disk@$snap"
  rbd_admin snap rm --no-progress "$disk@$snap"
  rbd_admin snap create --no-progress "images/$image@snap"
  rbd_admin snap protect "images/$image@snap"
  curl -fsS -o /dev/null --max-time 60 -X PATCH -H "X-Auth-Token: $BENCH_TOKEN" \
    -H 'Content-Type: application/openstack-images-v2.1-json-patch' \
    -d '[{"op":"replace","path":"/disk_format","value":"raw"},{"op":"replace","path":"/container_format","value":"bare"}]' \
    "$GLANCE_URL/v2/images/$image"
  curl -fsS -o /dev/null --max-time 60 -X PATCH -H "X-Auth-Token: $BENCH_TOKEN" \
    -H 'Content-Type: application/openstack-images-v2.1-json-patch' \
    -d "[{\"op\":\"add\",\"path\":\"/locations/-\",\"value\":{\"url\":\"rbd://$CEPH_FSID/images/$image/snap\",\"metadata\":{}}}]" \
    "$GLANCE_URL/v2/images/$image"
  secs=$(bench_since "$t0")
  verify "$image"
  bench_drop_image "$image"
  echo "  baseline  $secs s   (of which rbd flatten $flatten s)"
  SECS=$secs
}

summary=() warmed=""
for size in "${sizes[@]}"; do
  mib=$(bench_size_mib "$size")
  echo
  echo "--- $size GiB ($mib MiB), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  bench_guest "bench-direct-$mib-$$" "$mib"
  if [ -z "$warmed" ]; then
    # a fresh JVM's first snapshot also pays class loading, JIT and Glance's version probe
    run_agent "warm-up (not counted)"; warmed=1
  fi
  agent=() baseline=()
  for r in $(seq 1 "$rounds"); do
    if (( r % 2 )); then
      run_agent; agent+=("$SECS"); run_baseline; baseline+=("$SECS")
    else
      run_baseline; baseline+=("$SECS"); run_agent; agent+=("$SECS")
    fi
  done
  bench_guest_destroy "$NAME"
  summary+=("$(bench_summary "$size" "${agent[*]}" "${baseline[*]}")")
  echo "${summary[-1]}"
done

echo
echo "direct RBD snapshot, mean of $rounds runs per side (goal: ratio <= 1.10 at 1 and 4 GiB):"
printf '  %s\n' "${summary[@]}"
