#!/usr/bin/env bash
# Writes the hand-made seeds of the mdp, broker, status, dispatcher and json corpora (the idl
# corpus holds documents roc-gen wrote for tests/codegen). Re-run after changing the input
# format of a target (fuzz_input.hpp): pieces are a 2-byte big-endian length and the bytes.
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C

# piece TEXT...: each TEXT as a length-prefixed piece.
piece() {
  local s
  for s in "$@"; do
    printf "\\x$(printf %02x $((${#s} >> 8)))\\x$(printf %02x $((${#s} & 255)))"
    printf '%s' "$s"
  done
}
# byte N...: raw bytes.
byte() {
  local n
  for n in "$@"; do printf "\\x$(printf %02x "$n")"; done
}
# message HEADER FRAME...: one broker_fuzz message (header byte, frame count, frames).
message() {
  local header=$1; shift
  byte "$header" $#
  piece "$@"
}

READY=$'\x01' REQUEST=$'\x02' REPLY=$'\x03' HEARTBEAT=$'\x04' DISCONNECT=$'\x05'
PROGRESS=$'\x06' CANCEL=$'\x07'
call='{"jsonrpc":"2.0","id":1,"method":"add","params":[42,23]}'
answer='{"jsonrpc":"2.0","id":1,"result":65}'

mkdir -p mdp broker status dispatcher json

# mdp: one multipart message per seed, as each side reads it.
piece client1 "" MDPC01 dev "$call" >mdp/broker-client-request
piece client1 "" MDPC01 mmi.service dev >mdp/broker-mmi-service
piece client1 "" MDPC01 mmi.objects "" >mdp/broker-mmi-objects
piece client1 "" MDPC01 dev "roc/1 timeout-ms=1500" "$call" >mdp/broker-client-request-with-deadline
piece "" MDPW01 "$REQUEST" client1 "" "roc/1 timeout-ms=250" "$call" >mdp/worker-request-with-deadline
piece worker1 "" MDPW01 "$READY" lab.camera 4 >mdp/broker-worker-ready
piece worker1 "" MDPW01 "$REPLY" client1 "" "$answer" attachment >mdp/broker-worker-reply
piece worker1 "" MDPW01 "$HEARTBEAT" >mdp/broker-worker-heartbeat
piece worker1 "" MDPW01 "$DISCONNECT" >mdp/broker-worker-disconnect
piece "" MDPW01 "$REQUEST" client1 "" "$call" attachment >mdp/worker-request
piece "" MDPW01 "$HEARTBEAT" >mdp/worker-heartbeat
piece "" MDPC01 dev "$answer" >mdp/client-reply
piece client1 "" MDPC01 dev "roc/1 timeout-ms=1500 call=7 progress=1" "$call" >mdp/broker-client-long-call
piece client1 "" MDPC01 dev "roc/1 cancel=7" >mdp/broker-client-cancel
piece worker1 "" MDPW01 "$READY" lab.camera 4 "attachments cancel progress" >mdp/broker-worker-ready-features
piece worker1 "" MDPW01 "$PROGRESS" client1 "" 7 '{"fraction":0.5,"message":"half"}' >mdp/broker-worker-progress
piece "" MDPW01 "$CANCEL" client1 "" 7 >mdp/worker-cancel
piece "" MDPC01 dev "roc/1 call=7 event=progress" '{"fraction":0.5}' >mdp/client-progress-event
info='{"host":"lab-pc","pid":4242,"program":"vnir-server"}'
piece worker1 "" MDPW01 "$READY" lab.camera 4 "attachments cancel progress" "$info" >mdp/broker-worker-ready-info
piece worker1 "" MDPW01 "$READY" lab.camera 4 "attachments" '{"host":"lab-pc","pid":0,"program":"x"}' >mdp/broker-worker-ready-info-bad-pid
piece worker1 "" MDPW01 "$READY" lab.camera 4 "attachments" '{"host":"lab' >mdp/broker-worker-ready-info-not-json
piece worker1 "" MDPW01 "$READY" lab.camera 4 "attachments" $'{"host":"\x1b[2J","pid":1,"program":"x"}' >mdp/broker-worker-ready-info-control
piece client1 "" MDPC01 mmi.workers lab.camera >mdp/broker-mmi-workers

# broker: conversations. Header byte: peer in bits 0-1, clock step (x 250 ms) in bits 2-5.
{ message 1 "" MDPW01 "$READY" dev 2
  message 0 "" MDPC01 dev "$call"
  message 0 "" MDPC01 dev '[{"jsonrpc":"2.0","id":2,"method":"tag"},{"jsonrpc":"2.0","method":"bump"}]'
  message 1 "" MDPW01 "$REPLY" peer0 "" "$answer"
  message 5 "" MDPW01 "$HEARTBEAT"
  message 1 "" MDPW01 "$DISCONNECT"; } >broker/call-and-reply
{ message 0 "" MDPC01 nobody "$call"
  message $((4 << 2)) "" MDPC01 nobody "$call"; } >broker/unknown-object-grace
{ message 1 "" MDPW01 "$READY" dev 1
  message 0 "" MDPC01 dev "roc/1 timeout-ms=100" "$call"
  message 0 "" MDPC01 dev "roc/1 timeout-ms=100" "$call"
  message 2 "" MDPC01 dev "roc/1 timeout-ms=5000" "$call"
  message 2 "" MDPC01 dev "roc/1 timeout-ms=5000" "$call"
  message 2 "" MDPC01 dev "roc/1 timeout-ms=5000" "$call"
  message 3 "" MDPC01 dev "roc/1 timeout-ms=5000" "$call"
  message 3 "" MDPC01 dev "roc/1 timeout-ms=5000" "$call"
  message $(((2 << 2) | 1)) "" MDPW01 "$REPLY" peer0 "" "$answer"; } >broker/deadlines-and-queue-bound
{ message 1 "" MDPW01 "$READY" dev
  message 0 "" MDPC01 dev "$call"
  message 2 "" MDPC01 dev "$call"
  message $((15 << 2)) "" MDPC01 mmi.service dev
  message $((15 << 2)) "" MDPC01 dev "$call"; } >broker/worker-expires-holding-calls
{ message 1 "" MDPW01 "$READY" dev 1
  message 2 "" MDPW01 "$READY" dev 1
  message 0 "" MDPC01 dev "$call"
  message 3 "" MDPC01 dev "$call"
  message 3 "" MDPC01 mmi.objects ""
  message 1 "" MDPW01 "$READY" other
  message 2 "" MDPW01 "$REPLY" peer3 "" "$answer"; } >broker/two-workers-and-reregistration
{ message 0 "" MDPC01 dev "$(printf '%5000s' '')"
  message 1 "" MDPW01 "$REPLY" peer0 "" "$answer"
  message 2 junk
  message 1 "" MDPW01 "$READY" dev 0
  message 1 "" MDPW01 "$READY" dev 1; } >broker/malformed-and-oversize
{ message 1 "" MDPW01 "$READY" dev 1 "attachments cancel progress"
  message 0 "" MDPC01 dev "roc/1 timeout-ms=5000 call=1 progress=1" "$call"
  message 0 "" MDPC01 dev "roc/1 timeout-ms=5000 call=2" "$call"
  message 1 "" MDPW01 "$PROGRESS" peer0 "" 1 '{"fraction":0.5}'
  message 0 "" MDPC01 dev "roc/1 cancel=2"
  message 0 "" MDPC01 dev "roc/1 cancel=1"
  message 1 "" MDPW01 "$PROGRESS" peer0 "" 1 '{"fraction":0.9}'
  message 1 "" MDPW01 "$REPLY" peer0 "" "$answer"; } >broker/progress-and-cancel
# Presence: workers with and without info, the listing, a departure that is announced.
{ message 1 "" MDPW01 "$READY" dev 2 "attachments cancel progress" "$info"
  message 2 "" MDPW01 "$READY" dev
  message 3 "" MDPW01 "$READY" dev 1 "" '{"host":1}'
  message 0 "" MDPC01 dev "$call"
  message 1 "" MDPW01 "$REPLY" peer0 "" "$answer"
  message 0 "" MDPC01 mmi.workers ""
  message 0 "" MDPC01 mmi.workers dev
  message 2 "" MDPW01 "$DISCONNECT"
  message $((15 << 2)) "" MDPC01 mmi.workers ""; } >broker/presence

# status: ops 0 path/mask, 1 merge, 2 cut, 3 publish through the cache (connection byte first),
# 4 XPUB subscription, 5 a connection closing or time passing, 6 stamp/sources frames, 7 sourced
# merge or stale mark.
{ byte 0; piece system system.cpu.load
  byte 1; piece system.cpu '{"load":0.5,"temp":41}'
  byte 1; piece "" '{"camera":{"exposure":{"us":1200},"state":"idle"}}'
  byte 1; piece camera.state null
  byte 2 2; piece system camera.exposure
  byte 0; piece system.foo system.foobar; } >status/paths-merge-cut
{ byte 3 0 2; piece status.camera '{"state":"acquiring","frame":12}'
  byte 3 1 3; piece status.camera.frame 13 extra
  byte 3 0 2; piece log.info '{"msg":"not status"}'
  byte 4; piece $'\x01roc.snapshot.tok42 ["camera"]'
  byte 4; piece $'\x01status.camera'
  byte 4; piece $'\x00roc.snapshot.tok42 ["camera"]'; } >status/cache-publish-snapshot
STAMP='{"emitted":1764476117.123456,"publisher":{"program":"vnir-server","host":"lab1","pid":4242}}'
{ byte 3 1 3; piece status.vnir '{"temperature":21.5,"frames":3}' "$STAMP"
  byte 3 2 3; piece status.vnir.camera '{"gain":2}' '{"emitted":1764476118,"publisher":null}'
  byte 3 3 3; piece status.vnir '{"camera":null}' 'not a stamp'
  byte 4; piece $'\x01roc.snapshot.tok7 ["vnir"]'
  byte 5 1 1
  byte 5 0 200
  byte 3 0 2; piece roc.stale.vnir "$STAMP"
  byte 4; piece $'\x01roc.snapshot.tok8 []'; } >status/stamps-stale-snapshot
{ byte 6; piece "$STAMP"
  byte 6; piece '[{"path":"vnir","emitted":1.5,"publisher":null,"stale":true},{"path":"a..b","emitted":1}]'
  byte 6; piece '{"emitted":1e308,"publisher":{"pid":1.5}}'
  byte 7; piece vnir.camera '{"gain":1}' camera 1
  byte 7; piece vnir '{}' camera 0
  byte 7; piece vnir null "" 1; } >status/sources-and-marks
{ byte 1; piece a..b 1
  byte 0; piece .a a.
  byte 2 1; piece ""
  byte 4; piece $'\x01roc.snapshot.t ["a..b"]'; } >status/malformed-paths

# dispatcher: JSON-RPC bodies as a server receives them.
printf '%s' "$call" >dispatcher/call-by-position
printf '%s' '{"jsonrpc":"2.0","id":"x","method":"greet","params":{"name":"Ada","greeting":"hi"}}' >dispatcher/call-by-name
printf '%s' '[{"jsonrpc":"2.0","id":1,"method":"echo_shape","params":[{"name":"tri","points":[{"x":0,"y":0},{"x":1,"y":0.5}],"colour":"red","tags":{"a":1}}]},{"jsonrpc":"2.0","method":"bump"},{"jsonrpc":"2.0","id":null,"method":"counter"}]' >dispatcher/batch
printf '%s' '{"jsonrpc":"2.0","id":3,"method":"rpc.describe"}' >dispatcher/describe
printf '%s' '{"jsonrpc":"2.0","id":4,"method":"rpc.signature"}' >dispatcher/signature
printf '%s' '{"jsonrpc":"2.0","id":5,"method":"echo_tuple","params":[[1,2.5,"three"]]}' >dispatcher/tuple
printf '%s' '{"jsonrpc":"2.0","id":6,"method":"set_level","params":[-1]}' >dispatcher/property-throws
printf '%s' '{"jsonrpc":"2.0","id":7,"method":"fail","params":["other"]}' >dispatcher/method-throws
printf '%s' '{"jsonrpc":"2.0","id":8,"method":"swap_ends","params":["a","b"]}' >dispatcher/out-parameters
printf '%s' '{"jsonrpc":"2.0","id":9,"method":"echo_uint64","params":[18446744073709551615]}' >dispatcher/uint64-max
printf '%s' '{"jsonrpc":"2.0","id":1e3,"method":"tag"}' >dispatcher/odd-id
printf '%s' '{"jsonrpc":"2.0","id":1e300,"method":"tag"}' >dispatcher/huge-id
printf '%s' '{"jsonrpc":"2.0","id":1,"method":"configure","params":{"channel":3}}' >dispatcher/defaults
printf '%s' '[]' >dispatcher/empty-batch
printf '%s' '{"jsonrpc":"2.0","id":1,"method":' >dispatcher/truncated

# json: values of every shape the conversions decode.
printf '%s' '[1,-2,127,-128,255,65535,-32768,2147483647,-2147483648,4294967295]' >json/integers
printf '%s' '[9223372036854775807,-9223372036854775808,18446744073709551615]' >json/integers-64
printf '%s' '[0.5,-1e-300,1.7976931348623157e308,5e-324,3.4028234e38,-0.0]' >json/doubles
printf '%s' '"h\u00e9llo \ud83d\ude00 \n\t\"\\"' >json/string
printf '%s' '{"a":1,"b":-2,"":3}' >json/map
printf '%s' '{"a":[1,null,3],"b":[]}' >json/map-of-optionals
printf '%s' '[1,2.5,"three"]' >json/tuple
printf '%s' '{"name":"tri","points":[{"x":0,"y":0},{"x":1,"y":0.5}],"colour":"green","tags":{"a":1}}' >json/shape
printf '%s' '[{"name":"a","points":[]},{"name":"b","points":[{"x":1,"y":2}],"colour":null}]' >json/shapes
printf '%s' '"blue"' >json/enum
printf '%s' '1500' >json/duration
printf '%s' 'null' >json/null
printf '%s' 'true' >json/bool

# attachment: a flags byte (1: the caller reads attachments, 2: every value goes as one), the body,
# then its frames.
mkdir -p attachment
ref() { printf '{"$attachment":%s,"type":"%s","order":"%s","shape":[%s]}' "$1" "$2" "$3" "$4"; }
{ byte 3; piece "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo_u16\",\"params\":[$(ref 0 uint16 little 2)]}" $'\x01\x00\x02\x00'; } >attachment/echo-u16
{ byte 1; piece "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo_image\",\"params\":[$(ref 0 uint16 big 2,1)]},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo_bytes\",\"params\":[$(ref 1 uint8 little 3)]}]" $'\x01\x00\x02\x00' abc; } >attachment/batch
{ byte 3; piece "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo_tiles\",\"params\":[[{\"name\":\"a\",\"samples\":$(ref 0 float little 1),\"image\":$(ref 1 int32 little 1,1)}]]}" abcd efgh; } >attachment/tiles
{ byte 3; piece "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo_u16\",\"params\":[$(ref 5 uint16 little 99999999999,99999999999)]}" ab cd; } >attachment/bad-references
{ byte 2; piece '{"jsonrpc":"2.0","id":1,"method":"rpc.set","params":["waveform",[1.5,2.5]]}'; } >attachment/property
