# Tiny nova-like guests: a boot sector that prints a marker on the serial port
# and halts, then deterministic data, in nova's disk layouts.
#   rbd    vms/<uuid>_disk cloned from images/<base image id>@snap
#   qcow2  instances/<uuid>/disk, qcow2 overlay on _base/<base image id>
#   raw    instances/<uuid>/disk, raw copy ("flat")
# The guest-visible disk is: base data in the first half, data keyed by the
# instance UUID in the second half, so a snapshot can be checked byte for byte.

GUEST_DIR="$STATE/guests"
INSTANCES_DIR="$STATE/instances"

# x86 real mode: ds=0; print the message to COM1; cli; hlt forever.
BOOT_CODE='31c08ed8fcbe177cac84c07406baf803eeebf5faf4ebfd'
BOOT_MSG='SNAPSHOT-AGENT-GUEST OK'

# keystream KEYTEXT BYTES : deterministic bytes (AES-128-CTR of zeros)
keystream() {
  local key; key=$(printf '%s' "$1" | sha256sum | cut -c1-32)
  head -c "$2" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$key" -iv 00000000000000000000000000000000
}

# guest_base_data FILE MIB SEED
guest_base_data() {
  local f=$1 bytes=$(( $2 * 1048576 ))
  {
    printf "$(printf '%s' "$BOOT_CODE" | sed 's/../\\x&/g')"
    printf '%s\r\n\0' "$BOOT_MSG"
  } > "$f.boot"
  local used; used=$(stat -c %s "$f.boot")
  { cat "$f.boot"; head -c $(( 510 - used )) /dev/zero; printf '\x55\xaa'; keystream "$3" $(( bytes - 512 )); } > "$f"
  rm -f "$f.boot"
}

# guest_overlay_data BASEFILE OUT MIB UUID : base with the second half replaced
guest_overlay_data() {
  local half=$(( $3 * 1048576 / 2 ))
  { head -c "$half" "$1"; keystream "$4" "$half"; } > "$2"
}

guest_usage() { die "usage: stack.sh guest create NAME --disk rbd|qcow2|raw [--size MIB] | guest list | guest destroy UUID|NAME|--all"; }

guest_create() {
  local name="" disk="" size=16
  while [ $# -gt 0 ]; do
    case "$1" in
      --disk) disk=$2; shift 2 ;;
      --size) size=$2; shift 2 ;;
      -*) guest_usage ;;
      *) name=$1; shift ;;
    esac
  done
  [ -n "$name" ] && [[ "$disk" =~ ^(rbd|qcow2|raw)$ ]] || guest_usage
  [[ "$size" =~ ^[0-9]+$ ]] && [ "$size" -ge 2 ] || die "--size is in MiB, at least 2"
  [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "guest name: letters, digits, . _ - only"
  virsh -q -c qemu:///system dominfo "$name" >/dev/null 2>&1 && die "a domain named $name exists"
  mkdir -p "$GUEST_DIR" "$INSTANCES_DIR/_base"
  local uuid; uuid=$(cat /proc/sys/kernel/random/uuid)
  local work; work=$(mktemp -d "$STATE/tmp.XXXXXX")
  trap 'rm -rf "${work:-}"' RETURN

  guest_base_data "$work/base" "$size" "base-$name-$size"
  guest_overlay_data "$work/base" "$work/disk" "$size" "$uuid"
  local sha; sha=$(sha256sum "$work/disk" | cut -d' ' -f1)

  # the base image in Glance, as nova would have booted from
  local image_ref
  local token; token=$(os_admin token issue -f value -c id) || die "no Keystone token for the admin"
  image_ref=$(curl -fsS --max-time 30 -X POST -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"base-$name\",\"disk_format\":\"raw\",\"container_format\":\"bare\",\"visibility\":\"public\",\"os_type\":\"linux\"}" \
    "$GL_URL/v2/images" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])') \
    || die "creating the base image in Glance failed"
  local source_xml
  case "$disk" in
    rbd)
      timeout 60 rbd -c "$CEPH_CONF" import --dest-pool images "$work/base" "$image_ref" >/dev/null
      timeout 30 rbd -c "$CEPH_CONF" snap create "images/$image_ref@snap"
      timeout 30 rbd -c "$CEPH_CONF" snap protect "images/$image_ref@snap"
      guest_glance_location "$token" "$image_ref"
      timeout 30 rbd -c "$CEPH_CONF" clone "images/$image_ref@snap" "vms/${uuid}_disk"
      $PY "$HERE/lib/rbd_write.py" "$CEPH_CONF" vms "${uuid}_disk" $(( size * 1048576 / 2 )) \
        < <(tail -c $(( size * 1048576 / 2 )) "$work/disk")
      source_xml="<disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='none' discard='unmap'/>
      <auth username='nova'><secret type='ceph' uuid='$(state_value ceph-secret-uuid uuid)'/></auth>
      <source protocol='rbd' name='vms/${uuid}_disk'><host name='127.0.0.1' port='6789'/></source>
      <target dev='vda' bus='virtio'/>
    </disk>"
      ;;
    qcow2|raw)
      glance_upload "$token" "$image_ref" "$work/base"
      cp "$work/base" "$INSTANCES_DIR/_base/$image_ref"
      mkdir -p "$INSTANCES_DIR/$uuid"
      if [ "$disk" = qcow2 ]; then
        qemu-img convert -q -O qcow2 -B "$INSTANCES_DIR/_base/$image_ref" -F raw "$work/disk" "$INSTANCES_DIR/$uuid/disk"
      else
        cp "$work/disk" "$INSTANCES_DIR/$uuid/disk"
      fi
      source_xml="<disk type='file' device='disk'>
      <driver name='qemu' type='$disk' cache='none'/>
      <source file='$INSTANCES_DIR/$uuid/disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>"
      ;;
  esac

  mkdir -p "$INSTANCES_DIR/$uuid"
  cat > "$INSTANCES_DIR/$uuid/libvirt.xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <metadata>
    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
      <nova:name>$name</nova:name>
      <nova:root type="image" uuid="$image_ref"/>
    </nova:instance>
  </metadata>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    $source_xml
    <serial type='file'><source path='$INSTANCES_DIR/$uuid/console.log' append='on'/><target port='0'/></serial>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <memballoon model='none'/>
  </devices>
</domain>
XML
  virsh -q -c qemu:///system define "$INSTANCES_DIR/$uuid/libvirt.xml" >/dev/null || die "virsh define failed"
  virsh -q -c qemu:///system start "$name" >/dev/null || die "virsh start $name failed"
  cat > "$GUEST_DIR/$uuid.env" <<REC
NAME=$name
UUID=$uuid
DISK=$disk
SIZE_MIB=$size
IMAGE_REF=$image_ref
SHA256=$sha
REC
  cat "$GUEST_DIR/$uuid.env"
}

guest_glance_location() {
  curl -fsS --max-time 30 -X PATCH -H "X-Auth-Token: $1" \
    -H 'Content-Type: application/openstack-images-v2.1-json-patch' \
    -d "[{\"op\":\"add\",\"path\":\"/locations/-\",\"value\":{\"url\":\"rbd://$(ceph_fsid)/images/$2/snap\",\"metadata\":{}}}]" \
    "$GL_URL/v2/images/$2" >/dev/null || die "adding the rbd location to Glance image $2 failed"
}

glance_upload() {
  curl -fsS --max-time 300 -X PUT -H "X-Auth-Token: $1" -H 'Content-Type: application/octet-stream' \
    -T "$3" "$GL_URL/v2/images/$2/file" || die "uploading the base image $2 failed"
}

guest_list() {
  printf '%-36s  %-16s  %-5s  %-8s  %s\n' UUID NAME DISK STATE SHA256
  local f
  for f in "$GUEST_DIR"/*.env; do
    [ -e "$f" ] || continue
    ( . "$f"
      st=$(virsh -q -c qemu:///system domstate "$UUID" 2>/dev/null || echo missing)
      printf '%-36s  %-16s  %-5s  %-8s  %s\n' "$UUID" "$NAME" "$DISK" "$st" "$SHA256" )
  done
}

guest_destroy_one() {
  local f=$1
  ( . "$f"
    virsh -q -c qemu:///system destroy "$UUID" >/dev/null 2>&1 || true
    virsh -q -c qemu:///system undefine "$UUID" --managed-save >/dev/null 2>&1 || true
    if [ "$DISK" = rbd ]; then
      timeout 30 rbd -c "$CEPH_CONF" rm "vms/${UUID}_disk" >/dev/null 2>&1 || true
    fi
    if keystone_ok && glance_ok; then
      os_admin image delete "$IMAGE_REF" >/dev/null 2>&1 || true
    fi
    if [ "$DISK" = rbd ]; then  # Glance removes it when it can; make sure
      timeout 30 rbd -c "$CEPH_CONF" snap unprotect "images/$IMAGE_REF@snap" >/dev/null 2>&1 || true
      timeout 30 rbd -c "$CEPH_CONF" snap purge "images/$IMAGE_REF" >/dev/null 2>&1 || true
      timeout 30 rbd -c "$CEPH_CONF" rm "images/$IMAGE_REF" >/dev/null 2>&1 || true
    fi
    rm -rf "$INSTANCES_DIR/$UUID" "$INSTANCES_DIR/_base/$IMAGE_REF"
    log "guest $NAME ($UUID) destroyed" )
  rm -f "$f"
}

guest_destroy() {
  [ $# -eq 1 ] || guest_usage
  local f hit=0
  for f in "$GUEST_DIR"/*.env; do
    [ -e "$f" ] || continue
    if [ "$1" = --all ] || grep -qxE "(UUID|NAME)=$1" "$f"; then guest_destroy_one "$f"; hit=1; fi
  done
  [ $hit = 1 ] || [ "$1" = --all ] || die "no guest $1"
}

# Guests' QEMU processes outlive libvirtd: stop them before it goes.
guest_stop_all() {
  local f
  for f in "$GUEST_DIR"/*.env; do
    [ -e "$f" ] || continue
    ( . "$f"; virsh -q -c qemu:///system destroy "$UUID" >/dev/null 2>&1 || true )
  done
}
