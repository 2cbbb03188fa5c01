#!/usr/bin/env bash
# Live snapshot benchmark for local disks: for each size and for a qcow2 guest (overlay on _base)
# and a raw ("flat") guest, the guest RUNNING, then in the same run
#   agent     a snapshot_instance cast to the bench's own agent (host bench-node), timed from publish
#             to its instance.snapshot.end; the image must be active in the disk's format
#   baseline  nova's live snapshot by hand on the same guest: qemu-img create of the delta (qcow2,
#             the disk's backing file, its virtual size; raw: no backing), virsh blockcopy --shallow
#             --reuse-external --transient-job --wait, virsh blockjob --abort, qemu-img convert
#             -t none -O <format> of the delta (+backing), the formats patch, curl -T (PUT), rm
# in alternating order (agent first, then baseline first, ...), BENCH_ROUNDS times each (default 2).
# Every image of a guest must have the same size, and for raw the same md5 checksum; the guest
# must be running afterwards with no block job and no delta left. Guest creation is not measured.
# Everything made is removed on exit.
#   usage: bench/local.sh [SIZE_GIB...]      (default 1; fractions such as 0.25 work)
set -euo pipefail
shopt -s extglob
. "$(dirname "${BASH_SOURCE[0]}")/lib/agent.sh"

sizes=("${@:-1}")
rounds=${BENCH_ROUNDS:-2}
formats=(${BENCH_FORMATS:-qcow2 raw})
for s in "${sizes[@]}"; do bench_size_mib "$s" >/dev/null; done
echo "live local-disk snapshot (blockcopy + qemu-img + upload): sizes ${sizes[*]} GiB, formats ${formats[*]}, $rounds runs per side; $(bench_facts)"
bench_agent_start
SCRATCH="$BENCH_DIR/snapshots"   # the agent's snapshots directory: the baseline writes there too
VIRSH=(virsh -q -c qemu:///system)

# verify IMAGE : active, the same size as every other snapshot of this guest (raw: the disk's
# size and the same md5 too); the guest still running, no block job, nothing left in the scratch dir
verify() {
  local size sum left
  read -r size sum < <(bench_snap check "$1")
  [ -n "${SIZE:-}" ] || SIZE=$size
  [ "$size" = "$SIZE" ] || bench_die "image $1 has $size bytes, an earlier snapshot of the same disk $SIZE"
  if [ "$FORMAT" = raw ]; then
    [ "$size" = $(( mib * 1048576 )) ] || bench_die "image $1 has $size bytes, the disk $(( mib * 1048576 ))"
    [ -n "${CHECKSUM:-}" ] || CHECKSUM=$sum
    [ "$sum" = "$CHECKSUM" ] || bench_die "image $1 has checksum $sum, an earlier snapshot of the same disk $CHECKSUM"
  fi
  [ "$("${VIRSH[@]}" domstate "$UUID")" = running ] || bench_die "guest $NAME is $("${VIRSH[@]}" domstate "$UUID") after the snapshot"
  if "${VIRSH[@]}" blockjob "$UUID" vda --info 2>&1 | grep -q '%'; then bench_die "a block job is left on $NAME: $("${VIRSH[@]}" blockjob "$UUID" vda --info)"; fi
  left=$(find "$SCRATCH" -mindepth 1 -maxdepth 1 | head -n3)
  [ -z "$left" ] || bench_die "left in $SCRATCH: $left"
}

# run_agent [LABEL] / run_baseline: one snapshot of the running guest's disk; sets SECS
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

BASELINE_FILES=()
# a job left running ends with the guest (destroyed on exit before this runs)
bench_at_exit 'rm -f "${BASELINE_FILES[@]}"'

run_baseline() {
  local image out delta info backing bfmt vsize t0 t p_create p_copy p_abort p_convert secs
  bench_image "bench-baseline-$NAME"; image=$IMAGE
  out="$SCRATCH/baseline-$image" delta="$SCRATCH/baseline-$image.delta"
  BASELINE_FILES=("$out" "$delta")
  t0=$(bench_now)
  # nova: the disk's backing file and virtual size (raw: no backing, the disk's size)
  info=$(qemu-img info -U --output=json "$DISK_PATH")
  read -r backing bfmt vsize < <("$PY" -c '
import json, sys
i = json.loads(sys.argv[1])
print(i.get("full-backing-filename") or i.get("backing-filename") or "-", i.get("backing-filename-format") or "-", i["virtual-size"])' "$info")
  if [ "$backing" != - ]; then
    qemu-img create -q -f qcow2 -o "backing_file=$backing,backing_fmt=$bfmt" "$delta" "$vsize"
  else
    qemu-img create -q -f qcow2 "$delta" "$vsize"
  fi
  p_create=$(bench_since "$t0"); t=$(bench_now)
  # --format: with --reuse-external libvirt would otherwise take the delta for the source's format
  "${VIRSH[@]}" blockcopy "$UUID" vda "$delta" --shallow --reuse-external --transient-job \
    --format qcow2 --wait --verbose >/dev/null 2>"$BENCH_DIR/blockcopy.err" \
    || { cat "$BENCH_DIR/blockcopy.err" >&2; bench_die "virsh blockcopy of $NAME failed"; }
  p_copy=$(bench_since "$t"); t=$(bench_now)
  "${VIRSH[@]}" blockjob "$UUID" vda --abort >/dev/null
  p_abort=$(bench_since "$t"); t=$(bench_now)
  qemu-img convert -t none -O "$FORMAT" -f qcow2 "$delta" "$out"
  p_convert=$(bench_since "$t"); t=$(bench_now)
  curl -fsS -o /dev/null --max-time 60 -X PATCH -H "X-Auth-Token: $BENCH_TOKEN" \
    -H 'Content-Type: application/openstack-images-v2.1-json-patch' \
    -d "[{\"op\":\"replace\",\"path\":\"/disk_format\",\"value\":\"$FORMAT\"},{\"op\":\"replace\",\"path\":\"/container_format\",\"value\":\"bare\"}]" \
    "$GLANCE_URL/v2/images/$image"
  curl -fsS -o /dev/null --max-time 1800 -X PUT -H "X-Auth-Token: $BENCH_TOKEN" \
    -H 'Content-Type: application/octet-stream' -T "$out" "$GLANCE_URL/v2/images/$image/file"
  rm -f "$delta" "$out"
  secs=$(bench_since "$t0")
  BASELINE_FILES=()
  verify "$image"
  bench_drop_image "$image"
  echo "  baseline  $secs s   (info + create delta $p_create s, blockcopy $p_copy s, abort $p_abort s, convert $p_convert s, formats + upload + rm $(bench_since "$t") s)"
  SECS=$secs
}

summary=() warmed=""
for size in "${sizes[@]}"; do
  mib=$(bench_size_mib "$size")
  for FORMAT in "${formats[@]}"; do
    echo
    echo "--- $size GiB ($mib MiB), $FORMAT, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    bench_guest "bench-local-$FORMAT-$mib-$$" "$mib" "$FORMAT"
    DISK_PATH="$BENCH_STATE/instances/$UUID/disk"
    [ "$("${VIRSH[@]}" domstate "$UUID")" = running ] || bench_die "guest $NAME is not running"
    CHECKSUM="" SIZE=""
    # every guest: a fresh JVM's first snapshot pays class loading and JIT, and each format has
    # its own code path
    run_agent "warm-up (not counted)"
    agent=() baseline=()
    for r in $(seq 1 "$rounds"); do
      if (( r % 2 )); then
        run_agent; agent+=("$SECS"); run_baseline; baseline+=("$SECS")
      else
        run_baseline; baseline+=("$SECS"); run_agent; agent+=("$SECS")
      fi
    done
    bench_guest_destroy "$NAME"
    line=$(bench_summary "$size" "${agent[*]}" "${baseline[*]}")
    summary+=("$(printf '%-15s %s' "$size GiB $FORMAT" "${line##"$size GiB"*( )}")")
    echo "${summary[-1]}"
  done
done

echo
echo "live local-disk snapshot, mean of $rounds runs per side (goal: ratio <= 1.05):"
printf '  %s\n' "${summary[@]}"
