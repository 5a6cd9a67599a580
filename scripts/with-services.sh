#!/usr/bin/env bash
# Runs one command with the test services up (scripts/services.sh), e.g.
#   scripts/with-services.sh cargo nextest run -p server --test integration locations
# and stops them afterwards, whatever the command's outcome.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/services.sh"
trap stop_services EXIT
start_services
"$@"
