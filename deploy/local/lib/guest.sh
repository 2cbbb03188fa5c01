# Tiny nova-like guests: a boot sector that prints a marker on the serial port
# and halts, then deterministic data, in nova's disk layouts.
#   rbd    vms/<uuid>_disk cloned from images/<base image id>@snap
#   qcow2  instances/<uuid>/disk, qcow2 overlay on _base/<base image id>
#   raw    instances/<uuid>/disk, raw copy ("flat")
#   lvm    a block device, as nova's /dev/<vg>/<uuid>_disk; there is no
#          device-mapper here, so a loop device over lvm/<uuid>_disk
#   ploop  instances/<uuid>/disk, a directory: root.hds (parallels format)
#          and DiskDescriptor.xml; defined, never started (QEMU cannot open
#          a directory)
# The guest-visible disk is: base data in the first half, data keyed by the
# instance UUID in the second half, so a snapshot can be checked byte for byte.

GUEST_DIR="$STATE/guests"
INSTANCES_DIR="$STATE/instances"
LVM_DIR="$STATE/lvm"
VIRSH="virsh -q -c qemu:///system"

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

guest_usage() { die "usage: stack.sh guest create NAME --disk rbd|qcow2|raw|lvm|ploop [--size MIB] | guest list | guest start UUID|NAME | guest destroy UUID|NAME|--all"; }

# What a failed create leaves is removed on the way out (die exits the shell,
# so a RETURN trap would not run).
GUEST_WORK=""
GUEST_PARTIAL=""
guest_create_cleanup() {
  if [ -n "$GUEST_PARTIAL" ] && [ -e "$GUEST_PARTIAL" ]; then
    log "guest create failed: removing what it made"
    guest_destroy_one "$GUEST_PARTIAL" || true
  fi
  [ -z "$GUEST_WORK" ] || rm -rf "$GUEST_WORK"
}

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
  [ -n "$name" ] && [[ "$disk" =~ ^(rbd|qcow2|raw|lvm|ploop)$ ]] || guest_usage
  [[ "$size" =~ ^[0-9]+$ ]] && [ "$size" -ge 2 ] || die "--size is in MiB, at least 2"
  [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "guest name: letters, digits, . _ - only"
  $VIRSH dominfo "$name" >/dev/null 2>&1 && die "a domain named $name exists"
  mkdir -p "$GUEST_DIR" "$INSTANCES_DIR/_base"
  local uuid; uuid=$(cat /proc/sys/kernel/random/uuid)
  local work; work=$(mktemp -d "$STATE/tmp.XXXXXX")
  GUEST_WORK=$work
  trap guest_create_cleanup EXIT

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
  [ -n "$image_ref" ] || die "Glance returned no image id"
  # from here on the record exists, so a failure (or a later destroy) finds
  # everything: extra lines (LOOP_FILE, LOOP_DEV) are appended as they come
  local rec="$GUEST_DIR/$uuid.env"
  cat > "$rec" <<REC
NAME=$name
UUID=$uuid
DISK=$disk
SIZE_MIB=$size
IMAGE_REF=$image_ref
SHA256=$sha
REC
  GUEST_PARTIAL=$rec
  local source_xml start=yes
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
      guest_file_base "$token" "$image_ref" "$work/base"
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
    lvm)
      # nova fetches the base into _base and copies it onto the logical volume
      guest_file_base "$token" "$image_ref" "$work/base"
      mkdir -p "$LVM_DIR"
      echo "LOOP_FILE=$LVM_DIR/${uuid}_disk" >> "$rec"
      cp "$work/disk" "$LVM_DIR/${uuid}_disk"
      local dev; dev=$(guest_loop_attach "$LVM_DIR/${uuid}_disk") || die "losetup failed for $LVM_DIR/${uuid}_disk"
      echo "LOOP_DEV=$dev" >> "$rec"
      source_xml=$(guest_block_xml "$dev")
      ;;
    ploop)
      guest_file_base "$token" "$image_ref" "$work/base"
      local dir="$INSTANCES_DIR/$uuid/disk"
      mkdir -p "$dir"
      qemu-img convert -q -O parallels "$work/disk" "$dir/root.hds"
      guest_ploop_descriptor "$size" > "$dir/DiskDescriptor.xml"
      # the record's digest is of what the image holds, read back through QEMU's parallels driver
      qemu-img convert -q -f parallels -O raw "$dir/root.hds" "$work/readback"
      [ "$(sha256sum "$work/readback" | cut -d' ' -f1)" = "$sha" ] || die "root.hds does not read back as the data written"
      # libvirt's name for QEMU's parallels format is "ploop"; nova's ploop
      # disk points at the directory, which QEMU cannot open: never started
      source_xml="<disk type='file' device='disk'>
      <driver name='qemu' type='ploop' cache='none'/>
      <source file='$dir'/>
      <target dev='vda' bus='virtio'/>
    </disk>"
      start=no
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
  $VIRSH define "$INSTANCES_DIR/$uuid/libvirt.xml" >/dev/null || die "virsh define failed"
  if [ $start = yes ]; then
    $VIRSH start "$name" >/dev/null || die "virsh start $name failed"
  fi
  GUEST_PARTIAL=""
  rm -rf "$work"; GUEST_WORK=""
  trap - EXIT
  cat "$rec"
}

# guest_file_base TOKEN IMAGE_REF FILE : the base in Glance's file store and in _base
guest_file_base() {
  glance_upload "$1" "$2" "$3"
  cp "$3" "$INSTANCES_DIR/_base/$2"
}

guest_block_xml() {
  printf '%s' "<disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source dev='$1'/>
      <target dev='vda' bus='virtio'/>
    </disk>"
}

# A Virtuozzo-style descriptor (QEMU's docs/interop/prl-xml): one storage, one
# expanding ("Compressed") image with the predefined top GUID, 1 MiB clusters
# as qemu-img makes them, and a geometry whose product is the sector count.
guest_ploop_descriptor() {
  local sectors=$(( $1 * 2048 ))
  cat <<XML
<?xml version='1.0' encoding='UTF-8'?>
<Parallels_disk_image Version="1.0">
    <Disk_Parameters>
        <Disk_size>$sectors</Disk_size>
        <Cylinders>$(( sectors / 512 ))</Cylinders>
        <Heads>16</Heads>
        <Sectors>32</Sectors>
        <Padding>0</Padding>
    </Disk_Parameters>
    <StorageData>
        <Storage>
            <Start>0</Start>
            <End>$sectors</End>
            <Blocksize>2048</Blocksize>
            <Image>
                <GUID>{5fbaabe3-6958-40ff-92a7-860e329aab41}</GUID>
                <Type>Compressed</Type>
                <File>root.hds</File>
            </Image>
        </Storage>
    </StorageData>
    <Snapshots>
        <TopGUID>{5fbaabe3-6958-40ff-92a7-860e329aab41}</TopGUID>
        <Shot>
            <GUID>{5fbaabe3-6958-40ff-92a7-860e329aab41}</GUID>
            <ParentGUID>{00000000-0000-0000-0000-000000000000}</ParentGUID>
        </Shot>
    </Snapshots>
</Parallels_disk_image>
XML
}

# Loop devices are the kernel's, not the state dir's: after a reboot a
# recorded /dev/loopN is gone or belongs to some other file. So a device is
# only ever identified by the file behind it (losetup -j), never by the
# recorded name alone.
guest_loops_of() { [ -e "$1" ] && losetup -n -O NAME -j "$1" 2>/dev/null || true; }

guest_loop_attach() {
  local dev
  dev=$(guest_loops_of "$1" | head -n1)
  [ -n "$dev" ] || dev=$(losetup -f --show "$1") || return 1
  printf '%s\n' "$dev"
}

guest_loop_detach() {
  local dev
  for dev in $(guest_loops_of "$1"); do
    # a device still open (a QEMU libvirt lost track of) is detached when closed
    losetup -d "$dev" 2>/dev/null || log "losetup -d $dev failed"
  done
}

# guest_lvm_state : "" when the recorded device is attached to the guest's file
guest_lvm_state() {
  local dev; dev=$(guest_loops_of "${LOOP_FILE:-}" | head -n1)
  if [ -z "$dev" ]; then echo "loop detached"
  elif [ "$dev" != "${LOOP_DEV:-}" ]; then echo "loop is $dev, domain says ${LOOP_DEV:-none}"
  fi
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
      st=$($VIRSH domstate "$UUID" 2>/dev/null || echo missing)
      note=""
      [ "$DISK" != lvm ] || { note=$(guest_lvm_state); [ -z "$note" ] || note="  ($note: guest start $NAME)"; }
      printf '%-36s  %-16s  %-5s  %-8s  %s%s\n' "$UUID" "$NAME" "$DISK" "$st" "$SHA256" "$note" )
  done
}

guest_find() {
  local f
  for f in "$GUEST_DIR"/*.env; do
    [ -e "$f" ] || continue
    if grep -qxE "(UUID|NAME)=$1" "$f"; then printf '%s\n' "$f"; return 0; fi
  done
  die "no guest $1"
}

# Starts a shut-off guest. An lvm guest's loop device is attached again first
# (after a reboot or a down that could not destroy it); if the kernel gives
# another /dev/loopN, the domain and the record are pointed at it.
guest_start() {
  [ $# -eq 1 ] || guest_usage
  local f; f=$(guest_find "$1")
  ( . "$f"
    [ "$DISK" != ploop ] || die "guest $NAME is a ploop guest: QEMU cannot open its disk directory, so it is never started (docs/local-stack.md)"
    if [ "$($VIRSH domstate "$UUID" 2>/dev/null)" = running ]; then log "guest $NAME is running"; exit 0; fi
    if [ "$DISK" = lvm ]; then
      [ -f "${LOOP_FILE:-}" ] || die "guest $NAME: its disk file ${LOOP_FILE:-(none recorded)} is gone"
      dev=$(guest_loop_attach "$LOOP_FILE") || die "losetup failed for $LOOP_FILE"
      if [ "$dev" != "${LOOP_DEV:-}" ]; then
        xml="$INSTANCES_DIR/$UUID/libvirt.xml"
        sed -i "s#<source dev='[^']*'/>#<source dev='$dev'/>#" "$xml"
        $VIRSH define "$xml" >/dev/null || die "virsh define $xml failed"
        sed -i "s#^LOOP_DEV=.*#LOOP_DEV=$dev#" "$f"
        log "guest $NAME: disk now on $dev (was ${LOOP_DEV:-none})"
      fi
    fi
    $VIRSH start "$UUID" >/dev/null || die "virsh start $NAME failed"
    log "guest $NAME started" )
}

guest_destroy_one() {
  local f=$1
  ( . "$f"
    $VIRSH destroy "$UUID" >/dev/null 2>&1 || true
    $VIRSH undefine "$UUID" --managed-save >/dev/null 2>&1 || true
    if [ "$DISK" = rbd ]; then
      timeout 30 rbd -c "$CEPH_CONF" rm "vms/${UUID}_disk" >/dev/null 2>&1 || true
    fi
    if [ "$DISK" = lvm ] && [ -n "${LOOP_FILE:-}" ]; then
      guest_loop_detach "$LOOP_FILE"
      rm -f "$LOOP_FILE"
    fi
    if [ -n "${IMAGE_REF:-}" ]; then
      if keystone_ok && glance_ok; then
        os_admin image delete "$IMAGE_REF" >/dev/null 2>&1 || true
      fi
      if [ "$DISK" = rbd ]; then  # Glance removes it when it can; make sure
        timeout 30 rbd -c "$CEPH_CONF" snap unprotect "images/$IMAGE_REF@snap" >/dev/null 2>&1 || true
        timeout 30 rbd -c "$CEPH_CONF" snap purge "images/$IMAGE_REF" >/dev/null 2>&1 || true
        timeout 30 rbd -c "$CEPH_CONF" rm "images/$IMAGE_REF" >/dev/null 2>&1 || true
      fi
      rm -f "$INSTANCES_DIR/_base/$IMAGE_REF"
    fi
    rm -rf "$INSTANCES_DIR/$UUID"
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

# Guests' QEMU processes outlive libvirtd: stop them before it goes. The
# guests stay (their records too); lvm guests' loop devices are let go, since
# the kernel's devices must not outlive the stack; "guest start" attaches them again.
guest_stop_all() {
  local f
  for f in "$GUEST_DIR"/*.env; do
    [ -e "$f" ] || continue
    ( . "$f"
      $VIRSH destroy "$UUID" >/dev/null 2>&1 || true
      [ "$DISK" != lvm ] || [ -z "${LOOP_FILE:-}" ] || guest_loop_detach "$LOOP_FILE" )
  done
}
