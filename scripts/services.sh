#!/usr/bin/env bash
# Test services: real servers of other kinds on 127.0.0.1, for the tests that talk to one.
#
# Sourced by scripts/test.sh (start_services before the tests, stop_services from its EXIT
# trap, so they stop also when a test fails). Alone, it starts them, runs a command with the
# variables below, and stops them:
#   scripts/services.sh cargo nextest run -p server --test integration original_import
#
# Layout, to add a service: write start_<name> (start it in the background with
# `service_spawn`, wait for it with `service_wait_file` or `service_wait_port` (`free_port`
# gives a port), export its variables) and add <name> to SERVICES. Python services share one
# venv, target/services/venv, installed from the pinned scripts/services/requirements.txt
# (reinstalled only when that file changes); stop_services ends every one of them.
#
# Exported for the tests:
#   TT_TEST_SMTP_ADDR       127.0.0.1:PORT, plain SMTP offering STARTTLS and login (aiosmtpd)
#   TT_TEST_SMTPS_ADDR      127.0.0.1:PORT, implicit TLS (SMTPS) with login
#   TT_TEST_SMTP_USER, TT_TEST_SMTP_PASSWORD   the one login those accept (fresh each run)
#   TT_TEST_SMTP_MAILDIR    the Maildir each accepted message is written to
#   TT_TEST_CA              the test CA that signed the servers' certificate (for 127.0.0.1)
#   SSL_CERT_FILE           the system's roots plus that CA, so TLS clients that read the
#                           standard variable (the server's mail client) trust the test servers
#   TT_TEST_S3_ENDPOINT, _REGION, _BUCKET, _ACCESS_KEY_ID, _SECRET_KEY, _READONLY_ACCESS_KEY_ID,
#   _READONLY_SECRET_KEY    an S3-compatible server (moto) with IAM checks on, one bucket, a full
#                           and a read-only key
#   TT_TEST_WEBDAV_URL, _READONLY_URL, _USER, _PASSWORD   a WebDAV server (wsgidav) with basic auth,
#                           a writable and a read-only folder

if ! declare -F say >/dev/null; then
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

SERVICES=(smtp s3 webdav)
SERVICES_DIR="$ROOT/target/services"
SERVICES_VENV="$SERVICES_DIR/venv"
SERVICES_REQUIREMENTS="$ROOT/scripts/services/requirements.txt"
SERVICES_RUN=""
SERVICES_PIDS=()

ensure_services_venv() {
  local stamp="$SERVICES_VENV/requirements.txt"
  if [ -x "$SERVICES_VENV/bin/python" ] && cmp -s "$SERVICES_REQUIREMENTS" "$stamp"; then
    return 0
  fi
  say "installing the test services' Python packages into $SERVICES_VENV"
  mkdir -p "$SERVICES_DIR"
  python3 -m venv --clear "$SERVICES_VENV"
  "$SERVICES_VENV/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$SERVICES_REQUIREMENTS"
  cp "$SERVICES_REQUIREMENTS" "$stamp"
}

ensure_openssl() {
  if ! command -v openssl >/dev/null 2>&1; then
    say "installing Debian's openssl (to make the test certificates)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openssl >/dev/null
  fi
}

# A CA of this run, and a certificate it signed for 127.0.0.1 (only: a client that asks for
# another name must refuse it). SSL_CERT_FILE becomes the system's roots plus the CA.
make_test_ca() {
  local tls="$SERVICES_RUN/tls" system=""
  [ ! -f "$tls/server.pem" ] || return 0
  ensure_openssl
  mkdir -p "$tls"
  local curve=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${curve[@]}" -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 7 \
    -subj "/CN=Tracker Tracker test CA" 2>/dev/null
  openssl req "${curve[@]}" -keyout "$tls/server.key" -out "$tls/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -out "$tls/server.pem" -days 7 -extfile "$tls/server.ext" 2>/dev/null
  for f in "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt \
    "$(openssl version -d 2>/dev/null | sed -n 's/^OPENSSLDIR: "\(.*\)"$/\1/p')/cert.pem"; do
    if [ -n "$f" ] && [ -s "$f" ]; then
      system="$f"
      break
    fi
  done
  # Keeps cargo, curl and the rest trusting the public roots while the tests run.
  cat ${system:+"$system"} "$tls/ca.pem" >"$tls/bundle.pem"
  export TT_TEST_CA="$tls/ca.pem"
  export SSL_CERT_FILE="$tls/bundle.pem"
}

# service_spawn NAME COMMAND...: starts COMMAND in the background, output to NAME's log.
service_spawn() {
  local name="$1"
  shift
  mkdir -p "$SERVICES_RUN/$name"
  "$@" >"$SERVICES_RUN/$name/log" 2>&1 &
  SERVICES_PIDS+=("$!")
}

# service_wait_file NAME FILE: waits (30 s at most) for the last spawned service to write FILE.
service_wait_file() {
  local name="$1" file="$2" pid="${SERVICES_PIDS[-1]}" i
  for i in $(seq 300); do
    [ ! -s "$file" ] || return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the $name test service stopped at start-up; its log:" >&2
      cat "$SERVICES_RUN/$name/log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "the $name test service did not start within 30 s; its log:" >&2
  cat "$SERVICES_RUN/$name/log" >&2
  return 1
}

# free_port: prints a TCP port free on 127.0.0.1 now (for servers that cannot pick their own).
free_port() {
  "$SERVICES_VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# service_wait_port NAME PORT: waits (30 s at most) until the last spawned service accepts
# connections on 127.0.0.1:PORT.
service_wait_port() {
  local name="$1" port="$2" pid="${SERVICES_PIDS[-1]}" i
  for i in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the $name test service stopped at start-up; its log:" >&2
      cat "$SERVICES_RUN/$name/log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "the $name test service did not listen on 127.0.0.1:$port within 30 s; its log:" >&2
  cat "$SERVICES_RUN/$name/log" >&2
  return 1
}

start_smtp() {
  local dir="$SERVICES_RUN/smtp"
  make_test_ca
  mkdir -p "$dir/maildir/tmp" "$dir/maildir/new" "$dir/maildir/cur"
  export TT_TEST_SMTP_USER="tt-test"
  TT_TEST_SMTP_PASSWORD="pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  export TT_TEST_SMTP_PASSWORD
  service_spawn smtp "$SERVICES_VENV/bin/python" "$ROOT/scripts/services/smtp_sink.py" \
    --maildir "$dir/maildir" --cert "$SERVICES_RUN/tls/server.pem" --key "$SERVICES_RUN/tls/server.key" \
    --user "$TT_TEST_SMTP_USER" --password "$TT_TEST_SMTP_PASSWORD" --ready "$dir/ready"
  service_wait_file smtp "$dir/ready"
  TT_TEST_SMTP_ADDR="$(sed -n 's/^smtp=//p' "$dir/ready")"
  TT_TEST_SMTPS_ADDR="$(sed -n 's/^smtps=//p' "$dir/ready")"
  export TT_TEST_SMTP_ADDR TT_TEST_SMTPS_ADDR
  export TT_TEST_SMTP_MAILDIR="$dir/maildir"
  say "SMTP test server: $TT_TEST_SMTP_ADDR (STARTTLS), $TT_TEST_SMTPS_ADDR (TLS), mail in $TT_TEST_SMTP_MAILDIR"
}

start_s3() {
  local port keys
  port="$(free_port)"
  # IAM checks on after the set-up's six requests: wrong keys and missing permissions are then
  # refused with S3's own error codes, as a real service does.
  service_spawn s3 env INITIAL_NO_AUTH_ACTION_COUNT=6 "$SERVICES_VENV/bin/moto_server" -H 127.0.0.1 -p "$port"
  service_wait_port s3 "$port"
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
  local port root="$SERVICES_RUN/webdav/root"
  port="$(free_port)"
  rm -rf "$root"
  mkdir -p "$root/rw" "$root/ro"
  export TT_TEST_WEBDAV_USER="tt-test"
  export TT_TEST_WEBDAV_PASSWORD="webdav-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  cat >"$SERVICES_RUN/webdav/wsgidav.yaml" <<EOF
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
  service_spawn webdav "$SERVICES_VENV/bin/wsgidav" --config "$SERVICES_RUN/webdav/wsgidav.yaml"
  service_wait_port webdav "$port"
  # Tests make their own folders under this one (MKCOL), so they never see each other's files.
  export TT_TEST_WEBDAV_URL="http://127.0.0.1:$port/rw"
  export TT_TEST_WEBDAV_READONLY_URL="http://127.0.0.1:$port/ro"
  say "WebDAV (wsgidav) on $TT_TEST_WEBDAV_URL"
}

start_services() {
  ensure_services_venv
  mkdir -p "$SERVICES_DIR"
  SERVICES_RUN="$(mktemp -d "$SERVICES_DIR/run.XXXXXX")"
  local s
  for s in "${SERVICES[@]}"; do
    "start_$s"
  done
}

# Stops what start_services started (by process id), then removes the run's folder.
stop_services() {
  local pid i
  for pid in "${SERVICES_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${SERVICES_PIDS[@]}"; do
    for i in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SERVICES_PIDS=()
  if [ -n "$SERVICES_RUN" ]; then
    rm -rf "$SERVICES_RUN"
    SERVICES_RUN=""
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  trap stop_services EXIT
  trap 'exit 130' INT TERM
  start_services
  if [ $# -gt 0 ]; then
    "$@"
  else
    say "test services are up; Ctrl-C stops them"
    while true; do sleep 3600; done
  fi
fi
