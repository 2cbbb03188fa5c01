# Keystone (uwsgi) and Glance (eventlet) on loopback, sqlite-backed, plus the
# agent's database and role in the machine's PostgreSQL and its RabbitMQ.

KS_DIR="$STATE/keystone"
GL_DIR="$STATE/glance"
KS_URL="http://127.0.0.1:5000/v3"
GL_URL="http://127.0.0.1:9292"
PG_DB=snapshot_agent
PG_USER=snapshot_agent

# ---- RabbitMQ --------------------------------------------------------------
rabbitmq_up() {
  port_open 127.0.0.1 5672 && return 0
  log "rabbitmq: not listening on 127.0.0.1:5672, starting it"
  mkdir -p "$STATE/rabbitmq"
  RABBITMQ_PID_FILE="$RUN_DIR/rabbitmq.pid" rabbitmq-server -detached >>"$STATE/rabbitmq/start.log" 2>&1 \
    || die "rabbitmq-server failed to start (see $STATE/rabbitmq/start.log)"
  wait_for 90 rabbitmq port_open 127.0.0.1 5672 || die "RabbitMQ did not listen on 5672 within 90 s"
  touch "$RUN_DIR/rabbitmq.started-by-stack"
}
rabbitmq_down() {
  # only a broker this stack started; the machine's own one stays
  [ -f "$RUN_DIR/rabbitmq.started-by-stack" ] || return 0
  stop_pid rabbitmq "$(readlink -f /proc/"$(cat "$RUN_DIR/rabbitmq.pid" 2>/dev/null || echo 0)"/exe 2>/dev/null || echo beam.smp)"
  rm -f "$RUN_DIR/rabbitmq.started-by-stack"
}

# ---- PostgreSQL ------------------------------------------------------------
pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n1; }
psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 "$@"; }
pg_up() {
  if ! port_open 127.0.0.1 5432; then
    local v; v=$(pg_version); [ -n "$v" ] || die "PostgreSQL is not installed"
    log "postgresql: not listening on 127.0.0.1:5432, starting cluster $v/main"
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || die "PostgreSQL $v/main failed to start"
    wait_for 30 postgresql port_open 127.0.0.1 5432 || die "PostgreSQL did not listen on 5432"
    if [ -f "$RUN_DIR/postgresql.machine-owned" ]; then
      rm -f "$RUN_DIR/postgresql.machine-owned"
    else
      head -n1 "/var/run/postgresql/$v-main.pid" > "$RUN_DIR/postgresql.pid"
      touch "$RUN_DIR/postgresql.started-by-stack"
    fi
  fi
  local pw; pw=$(state_value pg-password)
  [ -f "$STATE/pg-ready" ] && [ "$(cat "$STATE/pg-ready")" = "$pw" ] && return 0
  psql_admin -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN PASSWORD '$pw';
  ELSE
    ALTER ROLE $PG_USER LOGIN PASSWORD '$pw';
  END IF;
END \$\$;
SQL
  if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" ]; then
    psql_admin -d postgres -c "CREATE DATABASE $PG_DB OWNER $PG_USER"
  fi
  echo "$pw" > "$STATE/pg-ready"
}
pg_down() {
  [ -f "$RUN_DIR/postgresql.started-by-stack" ] || return 0
  pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main stop || true
  rm -f "$RUN_DIR/postgresql.started-by-stack" "$RUN_DIR/postgresql.pid"
}
pg_ok() { PGPASSWORD=$(state_value pg-password) psql -X -h 127.0.0.1 -U $PG_USER -d $PG_DB -tAc 'select 1' >/dev/null 2>&1; }

# ---- Keystone --------------------------------------------------------------
keystone_conf() {
  mkdir -p "$KS_DIR"/{fernet-keys,credential-keys,log}
  cat > "$KS_DIR/keystone.conf" <<CONF
[DEFAULT]
log_file = $KS_DIR/log/keystone.log
[database]
connection = sqlite:///$KS_DIR/keystone.db
[fernet_tokens]
key_repository = $KS_DIR/fernet-keys
[credential]
key_repository = $KS_DIR/credential-keys
[identity]
password_hash_rounds = 4
[token]
expiration = ${SNAPSHOT_STACK_TOKEN_EXPIRATION:-3600}
CONF
  cat > "$KS_DIR/uwsgi.ini" <<CONF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:5000
wsgi-file = /usr/bin/keystone-wsgi-public
env = OS_KEYSTONE_CONFIG_FILES=$KS_DIR/keystone.conf
master = true
processes = 1
threads = 1
add-header = Connection: close
die-on-term = true
buffer-size = 65535
CONF
}

keystone_bootstrap() {
  log "keystone: new database in $KS_DIR (about 25 s)"
  rm -rf "$KS_DIR"; keystone_conf
  local km="keystone-manage --config-file $KS_DIR/keystone.conf"
  $km db_sync >>"$KS_DIR/log/manage.log" 2>&1 || die "keystone db_sync failed: $KS_DIR/log/manage.log"
  $PY - "$KS_DIR/keystone.db" <<'PYEOF'
import sqlite3, sys
sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")
PYEOF
  $km fernet_setup --keystone-user root --keystone-group root >>"$KS_DIR/log/manage.log" 2>&1
  $km credential_setup --keystone-user root --keystone-group root >>"$KS_DIR/log/manage.log" 2>&1
  $km bootstrap --bootstrap-password "$(state_value admin-password)" \
    --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "$KS_URL" --bootstrap-internal-url "$KS_URL" --bootstrap-public-url "$KS_URL" \
    >>"$KS_DIR/log/manage.log" 2>&1 || die "keystone bootstrap failed: $KS_DIR/log/manage.log"
  keystone_start
  OS_ADMIN_PASSWORD=$(state_value admin-password) NOVA_PASSWORD=$(state_value nova-password) \
  GLANCE_PASSWORD=$(state_value glance-password) DEMO_PASSWORD=$(state_value demo-password) \
    $PY "$HERE/lib/keystone_seed.py" "$KS_URL" "$GL_URL" >>"$KS_DIR/log/seed.log" 2>&1 \
    || die "keystone seeding failed: $KS_DIR/log/seed.log"
  touch "$KS_DIR/bootstrapped"
}

keystone_ok() { http_ok "$KS_URL"; }
keystone_start() {
  pid_alive keystone /usr/bin/uwsgi-core && keystone_ok && return 0
  stop_pid keystone /usr/bin/uwsgi-core
  spawn keystone "$KS_DIR/log/uwsgi.log" /usr/bin/uwsgi-core --ini "$KS_DIR/uwsgi.ini"
  wait_for 60 keystone keystone_ok || die "keystone does not answer on $KS_URL: $KS_DIR/log/uwsgi.log"
}
keystone_up() {
  if [ ! -f "$KS_DIR/bootstrapped" ]; then
    keystone_bootstrap
  else
    keystone_start
  fi
}

# ---- Glance ----------------------------------------------------------------
glance_conf() {
  mkdir -p "$GL_DIR"/{images,staging,tasks,log,locks}
  cat > "$GL_DIR/glance-api.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9292
workers = 2
log_file = $GL_DIR/log/glance-api.log
show_multiple_locations = True
show_image_direct_url = True
node_staging_uri = file://$GL_DIR/staging
image_size_cap = 1099511627776
[database]
connection = sqlite:///$GL_DIR/glance.db
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = $KS_URL
auth_url = $KS_URL
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = glance
password = $(state_value glance-password)
[glance_store]
stores = file,http,rbd
default_store = file
filesystem_store_datadir = $GL_DIR/images
rbd_store_pool = images
rbd_store_user = glance
rbd_store_ceph_conf = $CEPH_CONF
rbd_store_chunk_size = 8
[os_glance_tasks_store]
filesystem_store_datadir = $GL_DIR/tasks
[os_glance_staging_store]
filesystem_store_datadir = $GL_DIR/staging
[oslo_concurrency]
lock_path = $GL_DIR/locks
[oslo_policy]
enforce_new_defaults = False
CONF
}

glance_ok() { http_ok "$GL_URL/versions"; }
glance_start() {
  pid_alive glance-api /usr/bin/python3.11 && glance_ok && return 0
  stop_pid glance-api /usr/bin/python3.11
  spawn glance-api "$GL_DIR/log/stdout.log" $PY /usr/bin/glance-api --config-file "$GL_DIR/glance-api.conf"
  wait_for 60 glance glance_ok || die "glance-api does not answer on $GL_URL: $GL_DIR/log/glance-api.log"
}
glance_up() {
  if [ ! -f "$GL_DIR/bootstrapped" ]; then
    log "glance: new database in $GL_DIR"
    rm -rf "$GL_DIR"; glance_conf
    glance-manage --config-file "$GL_DIR/glance-api.conf" db_sync >>"$GL_DIR/log/manage.log" 2>&1 \
      || die "glance db_sync failed: $GL_DIR/log/manage.log"
    $PY - "$GL_DIR/glance.db" <<'PYEOF'
import sqlite3, sys
sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")
PYEOF
    touch "$GL_DIR/bootstrapped"
  fi
  glance_conf   # the rbd store's ceph.conf path follows the state dir
  glance_start
}

openstack_down() {
  stop_pid glance-api /usr/bin/python3.11
  stop_pid keystone /usr/bin/uwsgi-core
}

# An authenticated openstack CLI as the admin (used by guests and status).
os_admin() {
  OS_AUTH_URL=$KS_URL OS_IDENTITY_API_VERSION=3 OS_USERNAME=admin OS_PASSWORD=$(state_value admin-password) \
  OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_INTERFACE=public \
  OS_REGION_NAME=RegionOne timeout 120 /usr/bin/openstack "$@"
}
