"""Writes stdin into an existing RBD image at an offset (the guest tool's
instance-specific half of an RBD disk)."""
import sys

import rados
import rbd

conf, pool, image, offset = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with rados.Rados(conffile=conf, rados_id="admin") as cluster:
    with cluster.open_ioctx(pool) as ioctx:
        with rbd.Image(ioctx, image) as img:
            while True:
                chunk = sys.stdin.buffer.read(4 << 20)
                if not chunk:
                    break
                img.write(chunk, offset)
                offset += len(chunk)
