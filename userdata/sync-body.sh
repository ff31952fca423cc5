# ---- everything below is the fixed part of the sync script (userdata/sync-body.sh) ----
#
# One backup run. Passes (all with --fast-list and S3's server-side LastModified, so a run with
# nothing to do costs list requests only - no HEAD per object):
#   A "recent": re-copy every object modified since the last successful run began (minus a
#      margin for clock skew). This catches same-size edits and multipart objects, whose ETag is
#      not an MD5, without reading any per-object metadata.
#   B "full": copy anything missing or of a different size. This also repairs a blob left
#      truncated by an interrupted transfer. Without a known last success (first run, replaced
#      host) it compares hashes instead of sizes, so nothing can be missed.
# In mirror mode pass B is a sync: blobs gone from the source are moved to an archive folder, but
# only after a guard proves the source listing is sane and the deletions are within MAX_DELETES.
#
# Every run writes a machine-readable summary to $state_dir/last-run.json (and a copy to the vault
# under status/) and exits non-zero on any failure.

state_dir="${STATE_DIRECTORY:-/var/lib/cross-cloud-backup}"
config_dir="${CREDENTIALS_DIRECTORY:-/etc/cross-cloud-backup}"
export RCLONE_CONFIG="$config_dir/rclone.conf"
readonly RECENT_MARGIN_SECONDS=900
readonly KEEP_RUN_LOGS=30

mkdir -p "$state_dir/runs"
exec 9>"$state_dir/run.lock"
if ! flock -n 9; then
  echo "cross-cloud-backup: another run is in progress; not starting a second one" >&2
  exit 75
fi

run_id="$(date -u +%Y%m%dT%H%M%SZ)"
started_epoch="$(date -u +%s)"
started="$(date -u -d "@$started_epoch" +%Y-%m-%dT%H:%M:%SZ)"
run_dir="$state_dir/runs/$run_id"
mkdir -p "$run_dir"
errors_file="$run_dir/errors.txt"
: >"$errors_file"
passes_done=""
vault_reachable=true

log() { echo "cross-cloud-backup: $*" >&2; }
fail() {
  log "ERROR: $*"
  echo "$*" >>"$errors_file"
}

# shellcheck disable=SC2317 # called from the EXIT trap
write_summary() {
  local exit_code="$1"
  local finished
  finished="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local stats='[]'
  local f
  for f in "$run_dir"/pass-*.json; do
    [ -e "$f" ] || continue
    stats="$(jq -c --slurpfile s <(jq -c 'select(.stats != null) | .stats' "$f" | tail -n 1) \
      --arg pass "$(basename "$f" .json)" \
      '. + [($s[0] // {}) + {pass: ($pass | sub("^pass-"; ""))}]' <<<"$stats")"
  done
  jq -n \
    --arg runId "$run_id" --arg started "$started" --arg finished "$finished" \
    --argjson exitCode "$exit_code" --arg mode "$MODE" --arg source "$SOURCE" --arg dest "$DEST" \
    --argjson passes "$stats" --rawfile errs "$errors_file" \
    '{runId: $runId, started: $started, finished: $finished, exitCode: $exitCode,
      status: (if $exitCode == 0 then "success" else "failure" end),
      mode: $mode, source: $source, destination: $dest,
      checks: ([$passes[].checks // 0] | add // 0),
      transfers: ([$passes[].transfers // 0] | add // 0),
      bytesTransferred: ([$passes[].bytes // 0] | add // 0),
      deletes: ([$passes[].deletes // 0] | add // 0),
      errorCount: (([$passes[].errors // 0] | add // 0) + ($errs | split("\n") | map(select(length > 0)) | length)),
      errors: ($errs | split("\n") | map(select(length > 0))),
      passes: $passes}' >"$run_dir/summary.json"
  cp "$run_dir/summary.json" "$state_dir/last-run.json.tmp"
  mv "$state_dir/last-run.json.tmp" "$state_dir/last-run.json"
  if [ "$exit_code" -eq 0 ]; then
    cp "$state_dir/last-run.json" "$state_dir/last-success.json"
    echo "$started_epoch" >"$state_dir/covered-since"
  fi
}

# shellcheck disable=SC2317 # called from the EXIT trap
on_exit() {
  local rc=$?
  trap - EXIT
  [ "$rc" -eq 0 ] || [ -s "$errors_file" ] || fail "run aborted with exit code $rc"
  write_summary "$rc" || log "could not write the run summary"
  # Publish the outcome next to the data, so the vault itself shows how current it is.
  if [ "$vault_reachable" != true ]; then
    log "vault unreachable: run summary kept on the host only"
  elif ! rclone copyto "$run_dir/summary.json" "$STATUS/last-run.json" --log-level ERROR 2>>"$run_dir/status.log"; then
    log "could not publish the run summary to the vault"
  fi
  jq -c '{runId, status, exitCode, transfers, bytesTransferred, deletes, errorCount}' "$state_dir/last-run.json" >&2 || true
  # Keep the most recent run logs only, compressed (a first run logs one line per object).
  gzip -q "$run_dir"/*.json "$run_dir"/*.log 2>/dev/null || true
  find "$state_dir/runs" -mindepth 1 -maxdepth 1 -type d | sort | head -n "-$KEEP_RUN_LOGS" | xargs -r rm -rf
  exit "$rc"
}
trap on_exit EXIT

# The Azure credential. With SSM delivery the SAS URL is read at every run, so rotating the
# parameter needs no new instance; it only ever lives in this process's environment.
if [ "$CREDENTIAL" = "ssm" ]; then
  if ! sas_url="$(aws ssm get-parameter --region "$SSM_REGION" --name "$SSM_PARAMETER" \
    --with-decryption --query Parameter.Value --output text)"; then
    fail "could not read the SAS from SSM parameter $SSM_PARAMETER"
    exit 1
  fi
  if [ -z "$sas_url" ] || [ "$sas_url" = "None" ]; then
    fail "SSM parameter $SSM_PARAMETER is empty"
    exit 1
  fi
  export RCLONE_CONFIG_VAULT_SAS_URL="$sas_url"
fi

# Preflight: one listing of an empty prefix on each side, with few retries, so an unreachable
# or unauthorized side fails the run in seconds with a clear message instead of after minutes
# of retries. rclone exits 3 (directory not found) when the listing itself worked.
preflight() {
  local what="$1" path="$2" rc=0
  rclone lsf "$path/.cross-cloud-backup-preflight/" --low-level-retries 1 --retries 1 \
    >/dev/null 2>"$run_dir/preflight-$what.log" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    local reason
    reason="$(grep -o -m 1 -E 'ErrorCode=[A-Za-z]+|X-Ms-Error-Code: \[[A-Za-z]+\]|(AccessDenied|NoSuchBucket|InvalidAccessKeyId|SignatureDoesNotMatch|connection refused|no such host|i/o timeout)' \
      "$run_dir/preflight-$what.log" || true)"
    fail "cannot list the $what ($path): ${reason:-rclone exit code $rc, see $run_dir/preflight-$what.log}"
    return 1
  fi
}
preflight source "$SOURCE" || exit 1
if ! preflight vault "$DEST"; then
  vault_reachable=false
  exit 1
fi

# A transient error gets retried (low-level, then the whole pass once more); a longer outage fails
# the run and the next scheduled run picks up where this one stopped.
# One block upload at a time per file: rclone 1.60.1's Azure SDK deadlocks for ever when several
# concurrent block uploads of one blob fail (e.g. a SAS that lost write permission), a run that
# would never end. Larger blocks keep the throughput; memory stays at transfers x chunk size.
# Never raise the log level to DEBUG here: rclone then logs the SAS URL it read from the
# environment, and these logs go to the journal.
common=(--fast-list --use-server-modtime --no-update-modtime --retries 2 --low-level-retries 5
  --checkers 16 --transfers 8 --azureblob-upload-concurrency 1 --azureblob-chunk-size 16M
  --use-json-log --log-level INFO --stats 1h --stats-log-level NOTICE)
backup=()
if [ "$MODE" = "mirror" ]; then
  # Anything a mirror run overwrites or deletes is moved here first (and the vault also keeps
  # versions and soft-deleted blobs).
  backup=(--backup-dir "$ARCHIVE/$run_id")
fi

# run_pass NAME rclone-args... : runs one pass, keeps its JSON log, records failures.
run_pass() {
  local name="$1"
  shift
  local rc=0
  log "pass $name: rclone $1"
  rclone "$@" "${common[@]}" --log-file "$run_dir/pass-$name.json" || rc=$?
  jq -r 'select(.level == "error" or .level == "critical") | "\(.object // "-"): \(.msg)"' \
    "$run_dir/pass-$name.json" | head -n 20 >&2 || true
  passes_done="$passes_done $name"
  if [ "$rc" -ne 0 ]; then
    fail "pass $name failed (rclone exit code $rc)"
  fi
  return "$rc"
}

covered_since=""
if [ -s "$state_dir/covered-since" ]; then
  covered_since="$(cat "$state_dir/covered-since")"
fi

status=0
if [ -n "$covered_since" ]; then
  age=$((started_epoch - covered_since + RECENT_MARGIN_SECONDS))
  run_pass recent copy "$SOURCE" "$DEST" --ignore-times --max-age "${age}s" "${backup[@]}" || status=1
  full_compare=(--size-only)
else
  log "no record of a previous successful run: comparing hashes on this run"
  full_compare=()
fi

deletions_allowed=false
if [ "$MODE" = "mirror" ] && [ "$status" -eq 0 ]; then
  # Deletion guard: list both sides (listings only) and count what a sync would delete.
  if rclone lsf -R --files-only --fast-list "$SOURCE" >"$run_dir/source.lst" 2>>"$run_dir/guard.log" &&
    rclone lsf -R --files-only --fast-list "$DEST" >"$run_dir/dest.lst" 2>>"$run_dir/guard.log"; then
    LC_ALL=C sort -o "$run_dir/source.lst" "$run_dir/source.lst"
    LC_ALL=C sort -o "$run_dir/dest.lst" "$run_dir/dest.lst"
    source_count="$(wc -l <"$run_dir/source.lst")"
    dest_count="$(wc -l <"$run_dir/dest.lst")"
    to_delete="$(LC_ALL=C comm -13 "$run_dir/source.lst" "$run_dir/dest.lst" | wc -l)"
    rm -f "$run_dir/source.lst" "$run_dir/dest.lst"
    if [ "$source_count" -eq 0 ] && [ "$dest_count" -gt 0 ]; then
      fail "deletion guard: the source listing is empty but the vault holds $dest_count objects; nothing deleted"
    elif [ "$to_delete" -gt "$MAX_DELETES" ]; then
      fail "deletion guard: $to_delete deletions exceed maxDeletes ($MAX_DELETES); nothing deleted"
    else
      deletions_allowed=true
    fi
  else
    fail "deletion guard: could not list source or vault; nothing deleted"
  fi
fi

if [ "$deletions_allowed" = true ]; then
  run_pass full sync "$SOURCE" "$DEST" "${full_compare[@]}" "${backup[@]}" \
    --max-delete "$MAX_DELETES" || status=1
else
  run_pass full copy "$SOURCE" "$DEST" "${full_compare[@]}" "${backup[@]}" || status=1
fi

if [ -s "$errors_file" ]; then
  status=1
fi
log "passes:$passes_done"
exit "$status"
