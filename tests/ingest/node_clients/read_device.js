// Read one device with an independent client library (not pyzk) and print what it got as JSON.
// usage: node read_device.js LIB PROTOCOL HOST PORT TIMEOUT_MS
//   LIB: node-zklib      PROTOCOL: tcp | udp
// The libraries' own transport classes are used directly, so the protocol is the one asked for
// (their wrappers fall back from TCP to UDP by themselves).
'use strict'

const [lib, protocol, host, portText, timeoutText] = process.argv.slice(2)
const port = Number(portText)
const timeout = Number(timeoutText || 10000)

function transport() {
  if (lib === 'node-zklib') {
    const Cls = require(protocol === 'udp' ? 'node-zklib/zklibudp' : 'node-zklib/zklibtcp')
    return protocol === 'udp' ? new Cls(host, port, timeout, 0) : new Cls(host, port, timeout)
  }
  throw new Error(`unknown library ${lib}`)
}

// The libraries build Dates with the local-time constructor: read them back the same way.
function localText(date) {
  const pad = (n) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

async function main() {
  const zk = transport()
  await zk.createSocket()
  await zk.connect()
  const info = await zk.getInfo()
  const users = await zk.getUsers()
  const logs = await zk.getAttendances()
  await zk.disconnect()
  const errors = [users.err, logs.err].filter(Boolean).map(String)
  const records = logs.data.map((r) => [String(r.deviceUserId), localText(r.recordTime)])
  const text = JSON.stringify({ info, users: users.data.map((u) => String(u.userId)), records, errors })
  // exit only once stdout has taken everything (a pipe takes 64 KB at a time)
  await new Promise((resolve) => process.stdout.write(text, resolve))
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
