#!/usr/bin/env bash
# Prints the summed resident memory (MiB) of the local stack's own daemons:
# ceph, libvirtd, keystone (uwsgi), glance-api and its workers, QEMU guests.
ps -eo rss=,args= | awk '$2 ~ /(ceph-mon|ceph-mgr|ceph-osd|libvirtd|uwsgi-core|qemu-system-x86_64)$/ || $3 ~ /glance-api$/ {s+=$1} END {printf "%d\n", s/1024}'
