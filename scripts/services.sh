# The servers the tests talk to, on loopback, for the length of a test run (sourced after lib.sh).
# One `start_<name>` function per service: it starts the server on a free port, waits until it
# answers, and exports the TT_TEST_* variables the tests read; `stop_services` stops every server
# started here (by process id). The Python packages are pinned in scripts/services-requirements.txt
# and installed once into target/services/venv (reinstalled when that file changes).
#
#   start_s3      moto[server]: an S3-compatible server with IAM checks on, a bucket, a full and a
#                 read-only access key (TT_TEST_S3_*)
#   start_webdav  wsgidav: a WebDAV server with basic auth, a writable and a read-only folder
#                 (TT_TEST_WEBDAV_*)
#
# A test that needs a service and finds its variables unset prints a line and passes, unless CI
# is set, where it fails.

SERVICES_DIR="$ROOT/target/services"
SERVICES_VENV="$SERVICES_DIR/venv"
SERVICES_REQUIREMENTS="$ROOT/scripts/services-requirements.txt"
SERVICE_PIDS=()

ensure_services_venv() {
  local stamp="$SERVICES_VENV/.requirements.txt"
  if [ -x "$SERVICES_VENV/bin/python" ] && cmp -s "$SERVICES_REQUIREMENTS" "$stamp"; then
    return
  fi
  say "installing the test services (moto, wsgidav) into $SERVICES_VENV"
  rm -rf "$SERVICES_VENV"
  mkdir -p "$SERVICES_DIR"
  python3 -m venv "$SERVICES_VENV"
  "$SERVICES_VENV/bin/pip" install --quiet --disable-pip-version-check --require-virtualenv -r "$SERVICES_REQUIREMENTS"
  cp "$SERVICES_REQUIREMENTS" "$stamp"
}

# A TCP port nobody listens on right now.
free_port() {
  "$SERVICES_VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until something accepts connections on 127.0.0.1:$1 (at most 30 s) or the process $2 ends.
wait_for_port() {
  local port="$1" pid="$2" name="$3" i
  for i in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name stopped before it answered; its log: $SERVICES_DIR/$name.log" >&2
      tail -n 20 "$SERVICES_DIR/$name.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  echo "$name did not answer on port $port within 30 s; its log: $SERVICES_DIR/$name.log" >&2
  return 1
}

start_s3() {
  ensure_services_venv
  local port pid keys
  port="$(free_port)"
  # IAM checks on after the set-up's six requests: wrong keys and missing permissions are then
  # refused with S3's own error codes, as a real service does.
  INITIAL_NO_AUTH_ACTION_COUNT=6 "$SERVICES_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$SERVICES_DIR/s3.log" 2>&1 &
  pid=$!
  SERVICE_PIDS+=("$pid")
  wait_for_port "$port" "$pid" s3
  export TT_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  export TT_TEST_S3_REGION="us-east-1"
  export TT_TEST_S3_BUCKET="tt-test"
  # Two IAM users (everything on S3; list and read only), their keys, and the bucket.
  keys="$("$SERVICES_VENV/bin/python" - "$TT_TEST_S3_ENDPOINT" "$TT_TEST_S3_REGION" "$TT_TEST_S3_BUCKET" <<'EOF'
import json, sys, boto3
from botocore.config import Config
endpoint, region, bucket = sys.argv[1:4]
cfg = Config(retries={"max_attempts": 1})
def client(name, key="setup", secret="setup"):
    return boto3.client(name, endpoint_url=endpoint, region_name=region, aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)
iam = client("iam")
keys = {}
for user, actions in (("tt-full", ["s3:*"]), ("tt-readonly", ["s3:ListBucket", "s3:GetObject"])):
    iam.create_user(UserName=user)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    iam.put_user_policy(UserName=user, PolicyName="tt", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=user)["AccessKey"]
    keys[user] = [k["AccessKeyId"], k["SecretAccessKey"]]
client("s3", *keys["tt-full"]).create_bucket(Bucket=bucket)
print(" ".join(keys["tt-full"] + keys["tt-readonly"]))
EOF
)"
  read -r TT_TEST_S3_ACCESS_KEY_ID TT_TEST_S3_SECRET_KEY TT_TEST_S3_READONLY_ACCESS_KEY_ID TT_TEST_S3_READONLY_SECRET_KEY <<<"$keys"
  export TT_TEST_S3_ACCESS_KEY_ID TT_TEST_S3_SECRET_KEY TT_TEST_S3_READONLY_ACCESS_KEY_ID TT_TEST_S3_READONLY_SECRET_KEY
  say "S3 (moto) on $TT_TEST_S3_ENDPOINT, bucket $TT_TEST_S3_BUCKET"
}

start_webdav() {
  ensure_services_venv
  local port pid root="$SERVICES_DIR/webdav"
  port="$(free_port)"
  rm -rf "$root"
  mkdir -p "$root/rw" "$root/ro"
  export TT_TEST_WEBDAV_USER="tt-test"
  export TT_TEST_WEBDAV_PASSWORD="webdav-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  cat >"$SERVICES_DIR/wsgidav.yaml" <<EOF
host: 127.0.0.1
port: $port
provider_mapping:
  "/rw": "$root/rw"
  "/ro":
    root: "$root/ro"
    readonly: true
http_authenticator:
  accept_basic: true
  accept_digest: false
  default_to_digest: false
simple_dc:
  user_mapping:
    "*":
      "$TT_TEST_WEBDAV_USER":
        password: "$TT_TEST_WEBDAV_PASSWORD"
verbose: 1
EOF
  "$SERVICES_VENV/bin/wsgidav" --config "$SERVICES_DIR/wsgidav.yaml" >"$SERVICES_DIR/webdav.log" 2>&1 &
  pid=$!
  SERVICE_PIDS+=("$pid")
  wait_for_port "$port" "$pid" webdav
  # Tests make their own folders under this one (MKCOL), so they never see each other's files.
  export TT_TEST_WEBDAV_URL="http://127.0.0.1:$port/rw"
  export TT_TEST_WEBDAV_READONLY_URL="http://127.0.0.1:$port/ro"
  say "WebDAV (wsgidav) on $TT_TEST_WEBDAV_URL"
}

stop_services() {
  local pid
  for pid in "${SERVICE_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${SERVICE_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  SERVICE_PIDS=()
}

start_services() {
  start_s3
  start_webdav
}
