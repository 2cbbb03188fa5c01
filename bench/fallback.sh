#!/usr/bin/env bash
# Fallback (standard) snapshot benchmark: the bench's own agent runs as the Ceph client
# nova-restricted (no write caps on images), so its direct clone is refused and it extracts the
# disk with qemu-img and uploads it to Glance. For each size, one RBD guest, SHUT OFF so that both
# sides copy the same bytes and no managed save is involved, then in the same run
#   agent     a snapshot_instance cast, timed from publish to instance.snapshot.end
#   baseline  qemu-img convert -t none -O raw -f raw rbd:vms/<uuid>_disk:id=nova:conf=... FILE,
#             the image's formats (curl JSON patch), curl -T FILE (PUT /v2/images/<id>/file), rm FILE
# in alternating order, BENCH_ROUNDS times each (default 2); every image must be active with the
# disk's size and the same checksum. Then, for information (BENCH_RUNNING=0 skips it), one agent
# snapshot of the guest RUNNING, which adds nova's managed save and restore.
# Guest creation is not measured. Everything made is removed on exit.
#   usage: bench/fallback.sh [SIZE_GIB...]      (default 1; fractions such as 0.25 work)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/agent.sh"

sizes=("${@:-1}")
rounds=${BENCH_ROUNDS:-2}
running=${BENCH_RUNNING:-1}
for s in "${sizes[@]}"; do bench_size_mib "$s" >/dev/null; done
echo "fallback snapshot (qemu-img + upload): sizes ${sizes[*]} GiB, $rounds runs per side; $(bench_facts)"
bench_agent_start SNAPSHOT_RBD_USER=nova-restricted
SCRATCH="$BENCH_DIR/snapshots"   # the agent's snapshots directory: the baseline writes there too

# verify IMAGE : active, the disk's size, and the same bytes as every other snapshot of this guest
verify() {
  local size sum
  read -r size sum < <(bench_snap check "$1")
  [ "$size" = $(( mib * 1048576 )) ] || bench_die "image $1 has $size bytes, the disk $(( mib * 1048576 ))"
  [ -n "${CHECKSUM:-}" ] || CHECKSUM=$sum
  [ "$sum" = "$CHECKSUM" ] || bench_die "image $1 has checksum $sum, an earlier snapshot of the same disk $CHECKSUM"
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
  local image file t0 tu convert secs
  bench_image "bench-baseline-$NAME"; image=$IMAGE
  file="$SCRATCH/baseline-$image"
  t0=$(bench_now)
  qemu-img convert -t none -O raw -f raw "rbd:vms/${UUID}_disk:id=nova:conf=$CEPH_CONF" "$file"
  convert=$(bench_since "$t0")
  tu=$(bench_now)
  curl -fsS -o /dev/null --max-time 60 -X PATCH -H "X-Auth-Token: $BENCH_TOKEN" \
    -H 'Content-Type: application/openstack-images-v2.1-json-patch' \
    -d '[{"op":"replace","path":"/disk_format","value":"raw"},{"op":"replace","path":"/container_format","value":"bare"}]' \
    "$GLANCE_URL/v2/images/$image"
  curl -fsS -o /dev/null --max-time 1800 -X PUT -H "X-Auth-Token: $BENCH_TOKEN" \
    -H 'Content-Type: application/octet-stream' -T "$file" "$GLANCE_URL/v2/images/$image/file"
  rm -f "$file"
  secs=$(bench_since "$t0")
  verify "$image"
  bench_drop_image "$image"
  echo "  baseline  $secs s   (qemu-img convert $convert s, formats + upload $(awk -v a="$secs" -v c="$convert" 'BEGIN { printf "%.3f", a - c }') s)"
  SECS=$secs
}

summary=() warmed=""
for size in "${sizes[@]}"; do
  mib=$(bench_size_mib "$size")
  echo
  echo "--- $size GiB ($mib MiB), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  bench_guest "bench-fallback-$mib-$$" "$mib"
  virsh -q -c qemu:///system destroy "$UUID" >/dev/null
  echo "guest shut off: $(virsh -q -c qemu:///system domstate "$UUID")"
  CHECKSUM=""
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
  summary+=("$(bench_summary "$size" "${agent[*]}" "${baseline[*]}")")
  echo "${summary[-1]}"
  if [ "$running" = 1 ]; then
    # for information only: a failure here (e.g. libvirtd restarted by other tests) is reported
    virsh -q -c qemu:///system start "$NAME" >/dev/null
    bench_image "bench-agent-running-$NAME"
    if secs=$(bench_snap cast "$GUEST_ENV" "$BENCH_HOST" "$IMAGE" 1800 2>&1) && verify "$IMAGE"; then
      state=$(virsh -q -c qemu:///system domstate "$UUID")
      echo "  agent, guest running  $secs s   (task history, s after creation: $(bench_snap phases "$BENCH_AGENT_URL" "$IMAGE" 2>/dev/null || echo "?")); guest $state afterwards"
      [ "$state" = running ] || bench_die "the guest is $state after the snapshot, not running"
      line=$(printf '%s s = %s x the shut-off baseline (information)' "$secs" "$(bench_ratio "$secs" "$(bench_mean "${baseline[*]}")")")
    else
      line="failed: $secs"
    fi
    bench_drop_image "$IMAGE"
    summary+=("$(printf '%-9s agent on the RUNNING guest (managed save + restore): %s' "$size GiB" "$line")")
    echo "${summary[-1]}"
  fi
  bench_guest_destroy "$NAME"
done

echo
echo "fallback snapshot, mean of $rounds runs per side (goal: ratio <= 1.05):"
printf '  %s\n' "${summary[@]}"
