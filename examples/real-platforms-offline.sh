#!/usr/bin/env bash
# README "Running against the real platforms", offline and end to end: Taobao/Tmall on TOP
# (`shoporg sandbox serve`: TOP's protocol on loopback, in front of a sandbox file of its own),
# Kuaishou on its open platform (`shoporg sandbox serve --protocol kuaishou`, the same file),
# Shopee/Ozon/Douyin on the manual-step ledger, the credentials only in stack config (nothing
# SHOPORG_* exported). Run from a checkout after `make setup`; it adds a stack `real`.
#
#   review → up (what is automated, what waits) → tasks → done / by hand in 千牛 → up (what
#   closed) → drift (exit 0, the open steps named) → 91 days on: drift exit 3 →
#   review-access --attest → drift exit 0
set -uo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
for v in $(env | grep -o '^SHOPORG_[A-Z_]*'); do unset "$v"; done
PORT=${PORT:-8765}
SESS='{"tb-youpin": "s-tb", "tm-youpin": "s-tm"}'   # one main-account session per account
KS_PORT=${KS_PORT:-8766}

shoporg sandbox --file .sandbox/top.db init --org org.yaml >/dev/null
shoporg sandbox --file .sandbox/top.db serve --port "$PORT" --app-key demo-app \
  --app-secret demo-secret --session "$SESS" > .sandbox/serve.log 2>&1 &
SERVE=$!
# ks-youpin is Kuaishou seller 1001 with the role org.yaml gives its staff (made in 快手小店).
shoporg sandbox --file .sandbox/top.db kuaishou seller 1001 优品数码快手小店 >/dev/null
shoporg sandbox --file .sandbox/top.db kuaishou role 1001 11 客服 >/dev/null
shoporg sandbox --file .sandbox/top.db serve --protocol kuaishou --port "$KS_PORT" \
  --app-key demo-ks --app-secret demo-ks-secret --token '{"1001": "t-ks"}' \
  > .sandbox/serve-ks.log 2>&1 &
KS_SERVE=$!
trap 'kill $SERVE $KS_SERVE' EXIT
sleep 2

pulumi stack init real
pulumi config set shoporg:backend taobao            # TOP; the other platforms go to the ledger
pulumi config set shoporg:taobaoEndpoint "http://127.0.0.1:$PORT/router/rest"
pulumi config set shoporg:taobaoAppKey demo-app
pulumi config set --secret shoporg:taobaoAppSecret demo-secret
pulumi config set --secret shoporg:taobaoSession "$SESS"
pulumi config set shoporg:connectors '{kuaishou: kuaishou}'   # the rest: TOP or the ledger
pulumi config set shoporg:kuaishouEndpoint "http://127.0.0.1:$KS_PORT"
pulumi config set shoporg:kuaishouAppKey demo-ks
pulumi config set --secret shoporg:kuaishouSignSecret demo-ks-secret
pulumi config set --secret shoporg:kuaishouAccessToken '{"ks-youpin": "t-ks"}'

shoporg review > .sandbox/review.md;          echo "review: exit $?"
shoporg up;                                   echo "up: exit $?"
shoporg tasks --format json > .sandbox/tasks.json
read -r FIRST REST < <(python3 - <<'PY'
import json
w = json.load(open(".sandbox/tasks.json"))
steps = [s for p in w["platforms"] for a in p["accounts"] for g in a["pages"]
         for person in g["people"] for s in person["steps"]]
ledger = [s["id"] for s in steps if s["platform"] in ("shopee", "ozon", "douyin")]
top = [s["id"] for s in steps if s["platform"] in ("taobao", "tmall")]
half = len(ledger) // 2
print(",".join(map(str, ledger[:half])), ",".join(map(str, ledger[half:] + top)))
PY
)
shoporg tasks done ${FIRST//,/ } --note "done in the seller centre"
shoporg sandbox --file .sandbox/top.db dept add tb-youpin warehouse 仓储部   # by hand in 千牛
shoporg up;                                   echo "up: exit $?"
shoporg drift;                                echo "drift: exit $? (the open steps named)"
shoporg tasks skip ${REST//,/ } --reason "not done in this walkthrough"
LATER=$(python3 -c "import datetime as d; print((d.datetime.now(d.UTC) + d.timedelta(days=91)).isoformat())")
SHOPORG_NOW=$LATER shoporg drift > .sandbox/drift-91.md; echo "drift 91 days on: exit $?"
SHOPORG_NOW=$LATER shoporg review-access --attest --by "客服主管" --note "Q1 review"
SHOPORG_NOW=$LATER shoporg drift > .sandbox/drift-91-attested.md; echo "drift after the review: exit $?"
