#!/usr/bin/env bash
# Runs the forge commands of the GitHub workflows in github/, in the order
# a pull request, its merge and the next daily check run them, against
# whatever AWS the environment points at (tests point it at the emulator):
#
#   plan.yml   forge stacks --changed-since, then per stack and environment
#              forge plan -out --format markdown (a review plan if that fails)
#   apply.yml  per environment: review plans in dependency order, then per
#              stack: forge plan -out, forge show --format markdown,
#              forge apply PLANFILE -json
#   drift.yml  forge drift --all --all-envs --output drift.json
#
# usage: examples/ci/run-local.sh STACKS_DIR BASE_REF OUT_DIR
#   STACKS_DIR  the folder of stacks, inside a git work tree
#   BASE_REF    what the change is compared with (the PR's base commit)
#   OUT_DIR     where the plans, comments, events and report are written
# FORGE names the forge binary (default: forge on PATH). Secrets come as
# FORGE_VAR_<name>, as in the workflows. Exit status: drift's (0: no
# drift, 2: drift, 1: error), or 1 when an earlier step fails.
set -euo pipefail

forge=${FORGE:-forge}
dir=$1
base=$2
out=$3
mkdir -p "$out"

# Arguments for an environment from `forge stacks --json` (null or
# "default": a stack without environments).
env_args() {
  if [ -n "$1" ] && [ "$1" != null ] && [ "$1" != default ]; then
    printf '%s\n' -e "$1"
  fi
}

echo "== plan.yml: stacks"
"$forge" stacks "$dir" --changed-since "$base"
"$forge" stacks "$dir" --changed-since "$base" --json | jq -c '.runs[]' > "$out/runs.jsonl"

echo "== plan.yml: plan (one job per stack and environment)"
n=0
while read -r run; do
  n=$((n + 1))
  stack=$(jq -r .stack <<< "$run")
  environment=$(jq -r '.environment // ""' <<< "$run")
  mapfile -t args < <(env_args "$environment")
  set +e
  "$forge" plan "$stack" "${args[@]}" -input=false -lock-timeout=5m \
    -detailed-exitcode -out "$out/pr-$n.plan" --format markdown > "$out/pr-$n.md"
  code=$?
  if [ "$code" = 1 ]; then
    rm -f "$out/pr-$n.plan"
    "$forge" plan "$stack" "${args[@]}" -input=false -lock-timeout=5m \
      -detailed-exitcode --format markdown > "$out/pr-$n.md"
    code=$?
  fi
  set -e
  echo "pr plan $n: $stack ${environment:-(no environment)}: exit $code"
  if [ "$code" = 1 ]; then
    exit 1
  fi
done < "$out/runs.jsonl"

echo "== apply.yml: per environment, in dependency order"
"$forge" stacks "$dir" --changed-since "$base" --json > "$out/stacks.json"
for environment in $(jq -r '[.runs[].environment // "default"] | unique[]' "$out/stacks.json"); do
  mapfile -t args < <(env_args "$environment")
  jq -r --arg env "$environment" \
    '.runs | sort_by(.level)[] | select((.environment // "default") == $env) | .stack' \
    "$out/stacks.json" > "$out/stacks-$environment.txt"
  # Job "plan": review plans for the approvers.
  while read -r stack; do
    "$forge" plan "$stack" "${args[@]}" -input=false -lock-timeout=5m --format markdown \
      >> "$out/review-$environment.md"
  done < "$out/stacks-$environment.txt"
  # Job "apply" (after the environment's approval).
  while read -r stack; do
    "$forge" plan "$stack" "${args[@]}" -input=false -lock-timeout=5m -out "$out/apply.plan" > /dev/null
    "$forge" show "$out/apply.plan" --format markdown >> "$out/summary-$environment.md"
    "$forge" apply "$out/apply.plan" -input=false -json | tee -a "$out/events.jsonl"
    rm -f "$out/apply.plan"
  done < "$out/stacks-$environment.txt"
done

echo "== drift.yml"
set +e
"$forge" drift "$dir" --all --all-envs --output "$out/drift.json" > "$out/drift.txt"
code=$?
set -e
cat "$out/drift.txt"
echo "drift: exit $code"
exit "$code"
